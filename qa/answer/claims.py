"""What a sentence does with its statement: states it plainly, negates it, hedges it, makes it conditional,
or reports that someone says it (and who). Closed classes of English grammar, no data-set vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text.display import outlet_display

PLAIN, NEGATED, HEDGED, REPORTED = "plain", "negated", "hedged", "reported"

_REPORTING = (
    r"(?:said|says|say|told|tells|warned|warns|warn|claimed|claims|claim|alleged|alleges|allege|accused|accuses|"
    r"accuse|stated|states|insisted|insists|argued|argues|believes|believe|suggested|suggests|maintained|"
    r"maintains|asserted|asserts|charged|charges|contended|contends|noted|notes|added|adds|announced|announces)"
)
_AUX = r"(?:(?:has|have|had|also|repeatedly|previously)\s+){0,2}"
# a claimant: a capitalised name (possibly possessive, several words) or "the" + a few lower-case words
_NAME = r"(?:[A-Z][\w.'’&-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w.'’&-]*)*(?:['’]s(?:\s+[A-Z][\w'’&-]*)+)?)"
_CLAIMANT = rf"(?P<who>{_NAME}|(?:the|a|an|its|their)\s+[a-z][\w-]*(?:\s+[a-z][\w-]*)?|prosecutors|officials|police)"
_LEADING = re.compile(rf"(?:^|[-–—:]\s*|\)\s*-*\s*){_CLAIMANT}\s+{_AUX}{_REPORTING}\b")
_TRAILING = re.compile(rf"[,”\"’]\s+{_CLAIMANT}\s+{_AUX}{_REPORTING}\b")
_INVERTED = re.compile(rf"[,”\"’]\s+{_REPORTING}\s+{_CLAIMANT}")
_ACCORDING = re.compile(rf"\b(?i:according to)\s+{_CLAIMANT}")
_ANY_REPORTING = re.compile(rf"\b{_REPORTING}\b\s+(?:that\b|[“\"])")

_NEGATION = re.compile(r"\b(?:not|never|no longer|neither|nor|none|denied|denies|deny|refused|rejected)\b|n[’']t\b")
# "could face ... if convicted": a condition or a possibility states nothing ("would" alone is a reported future)
_CONDITIONAL = re.compile(r"\b(?:[Ii]f|[Uu]nless|[Ww]hether|[Cc]ould|[Mm]ight|may)\b")  # "May" is also a month
_HEDGE = re.compile(
    r"\b(?:possibly|perhaps|reportedly|allegedly|likely|unlikely|expected to|plans? to|planning to|considering|"
    r"rumou?red|speculat\w*|potentially|appears? to|seems? to|intends? to|aims? to|hopes? to|set to|"
    r"on track to|poised to|suspected|insisting|demanding|calling for|urging|in talks|"
    # an attempt states nothing of its outcome: "tried to bring back Altman" (who "would not return")
    r"tr(?:y|ies|ied|ying) to|attempt(?:s|ed|ing)? to|s(?:eek|eeks|eeking|ought) to|want(?:s|ed|ing)? to)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stance:
    """How a sentence holds its statement; ``claimant`` names who says it when it is reported."""

    kind: str  # PLAIN, NEGATED, HEDGED or REPORTED
    claimant: str = ""


# "according to a release / data / a filing": a fact's record, not a party's claim
_RECORDS = re.compile(
    r"\b(?i:according to)\s+(?:(?:a|an|the|its|their|new|official|latest|preliminary|court|company)\s+)*"
    r"(?:release|statement|report|data|filing|filings|figures|estimates?|survey|study|records?|documents?|"
    r"results|census|analysis|statistics)\b"
)


def claimant(sentence: str) -> str | None:
    """Who the sentence says the statement comes from ("Russia", "Russia's Defense Ministry", "the ministry");
    ``""`` when it is reported speech without a readable claimant; ``None`` when it is not reported at all (a fact
    given "according to a release" or to data is the record's, not a party's claim)."""
    for pattern in (_ACCORDING, _LEADING, _TRAILING, _INVERTED):
        match = pattern.search(sentence)
        if match:
            if pattern is _ACCORDING and _RECORDS.search(sentence):
                continue
            return match.group("who").strip()
    if _ANY_REPORTING.search(sentence):
        return ""
    return None


def stance(sentence: str, question: str = "") -> Stance:
    """Hedged or conditional first (a reported hope is no claim of fact), then reported, then negated. A hedge
    word the question itself uses is its subject, not a hedge ("Are they planning ...?" / "... planning to ...")."""
    asked = {w.lower() for w in re.findall(r"[\w’']+", question)}
    found = [m.group(0) for p in (_CONDITIONAL, _HEDGE) for m in p.finditer(sentence)]
    hedges = [h for h in found if h.split()[0].lower() not in asked]
    if hedges:
        return Stance(HEDGED)
    who = claimant(sentence)
    if who is not None:
        return Stance(REPORTED, who)
    if _NEGATION.search(sentence):
        return Stance(NEGATED)
    return Stance(PLAIN)


def claim_text(who: str, outlet: str) -> str:
    """``"Russia's Defense Ministry says so, as reported by Radio Habana Cuba"``."""
    speaker = who[:1].upper() + who[1:] if who else "A source quoted in the article"
    reporter = outlet_display(outlet) or "the article"
    verb = "say" if speaker.lower() in {"prosecutors", "officials", "police"} else "says"
    return f"{speaker} {verb} so, as reported by {reporter}"
