"""What a question asks for: the kind of answer (a person, an organisation, a place, a date, a number with its
unit, yes/no, or a description), read from its wh-word and the noun that word governs ("which regulator" ->
organisation, "how much" -> amount, "who is X" -> a description of X). Closed classes of English grammar and
common role nouns, no data-set vocabulary; pure text processing, no model."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qa.text.coverage import asks_which_outlet
from qa.text.terms import STOP_WORDS, words

CALLED = "called"  # the `Shape.head` of "What is X called?" / "What did Y call X?"


class Wants(StrEnum):
    """The kind of thing a question's answer is."""

    PERSON = "person"
    ORG = "organisation"
    PLACE = "place"
    DATE = "date"
    NUMBER = "number"
    NAME = "name"  # a named thing of no known kind ("What did Epic call its plan?", "Which drug ...")
    YESNO = "yesno"
    DESCRIPTION = "description"  # what happened, why, how: a clause answers it, not a name
    NONE = "none"  # a comparison or anything else: the quotes answer it


# Role nouns of general English, grouped by the kind of entity that fills them ("which manager" -> a person).
_PERSON_NOUNS = """person people individual man woman men women player players athlete athletes driver drivers
coach coaches manager managers executive executives ceo chief founder cofounder co-founder president chairman chair
director official officials minister secretary premier governor mayor judge lawyer attorney senator leader owner
quarterback pitcher striker goalkeeper captain singer actor actress artist author writer journalist reporter chief
spokesperson spokesman spokeswoman analyst investor billionaire entrepreneur candidate member members head boss
star stars scientist researcher researchers doctor professor economist king queen prince princess officer rapper
musician employee employees worker workers winner successor predecessor replacement champion referee defender
forward midfielder receiver runner rider boxer fighter golfer batter bowler cyclist host presenter"""
_ORG_NOUNS = """company companies firm firms organization organisation organizations group groups regulator
regulators agency agencies team teams club clubs retailer retailers startup start-up startups business businesses
brand brands bank banks network networks outlet publisher union party government ministry department court
institution university college school maker manufacturer automaker carmaker airline studio label platform service
exchange fund investor lender insurer developer operator provider distributor charity nonprofit association
federation league council committee board body authority commission"""
_PLACE_NOUNS = """city cities country countries state states place places town towns region venue stadium location
nation nations island islands county province capital continent area"""
_DATE_NOUNS = """date day days year month week time season quarter decade"""
_NUMBER_NOUNS = """number amount price cost score record share percentage percent proportion rate salary fee total
value size figure sum revenue revenues sales profit loss margin budget fine penalty wage pay valuation age height
weight distance speed capacity count tally margin attendance"""
_MONEY_NOUNS_TEXT = "price cost salary fee revenue revenues sales profit budget fine penalty wage pay valuation"
_MONEY_NOUNS = frozenset(_MONEY_NOUNS_TEXT.split())
_PERCENT_NOUNS = frozenset({"share", "percentage", "percent", "proportion"})
_PERSON = frozenset(_PERSON_NOUNS.split())
_ORG = frozenset(_ORG_NOUNS.split())
_PLACE = frozenset(_PLACE_NOUNS.split())
_DATE = frozenset(_DATE_NOUNS.split())
_NUMBER = frozenset(_NUMBER_NOUNS.split())

_AUXILIARY = r"(?:is|are|was|were|did|does|do|has|have|had|can|will|would|should|could|may|might|must)"
_YESNO = re.compile(rf"^{_AUXILIARY}\b", re.IGNORECASE)
# comparisons and before/after questions: the side-by-side evidence answers them, never one span
_COMPARING = re.compile(
    r"\b(?:before|than|compared?|whereas|while|both|either|consistent\w*|same|differ\w*|similar\w*|"
    r"contrast\w*|change[sd]?|between)\b",
    re.IGNORECASE,
)
# "still", "now", "decide": the latest dated evidence decides
_STATE = re.compile(
    r"\b(?:still|now|currently|latest|finally|eventually|ended up|outcome|result|status|decided?|ruled?|verdict)\b",
    re.IGNORECASE,
)
# what a clause after "what/which" does: "What did X say", "What happened": an event or a statement
_EVENT_VERBS_TEXT = """say said says do did does happen happened happens mean means cause caused think thinks
thought claim claimed announce announced reveal revealed find found decide decided warn warned suggest suggested
argue argued"""
_EVENT_VERBS = frozenset(_EVENT_VERBS_TEXT.split())
# Leading context a question may put before its wh-word: "After X, who ...", "In the Epic trial, which ..."
_LEADING_CLAUSE = re.compile(
    rf"^[^?]{{0,200}}?,\s*(?=(?:(?:in|at|on|for|by)\s+)?(?:who|whom|whose|which|what|when|where|why|how|{_AUXILIARY[3:-1]})\b)",
    re.IGNORECASE,
)
_WH = re.compile(
    r"^(?:(?:in|at|on|for|by|from|to|with|of|under|during|since|until)\s+)?"
    r"(?P<wh>who|whom|whose|which|what|when|where|why|how)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Shape:
    """What a question asks for. ``head``: the noun the wh-word governs ("regulator" in "which regulator"),
    ``unit``: for a number, what it counts or measures ("laps", "money", "percent", "duration")."""

    wants: Wants
    head: str = ""
    unit: str = ""
    wh: str = ""  # the wh-word or auxiliary the question opens with, lower-cased
    prep: str = ""  # a preposition before the wh-word ("by when", "in which city")
    comparing: bool = False
    state: bool = False  # asks about an outcome or a current state ("still", "now", "verdict")

    @property
    def typed(self) -> bool:
        """An entity, date or number answers it: a span of a sentence can be the direct answer."""
        return self.wants in (Wants.PERSON, Wants.ORG, Wants.PLACE, Wants.DATE, Wants.NUMBER, Wants.NAME)


def question_shape(question: str, named_outlets: tuple[str, ...] = ()) -> Shape:
    """``question`` -> its `Shape` (`Wants.NONE` when no direct answer can be given, e.g. a comparison).

    Only a yes/no question becomes a comparison by its wording ("Did A report X before B ...?"); in a
    wh-question "before", "after" and "between" place the event in time ("... before he left")."""
    text = " ".join(question.split()).strip()
    if asks_which_outlet(text):  # answered by the outlet of a sentence that states it (`qa.answer.coverage`)
        return Shape(Wants.NONE, wh="which")
    comparing = len(named_outlets) >= 2 or bool(_COMPARING.search(text))
    state = bool(_STATE.search(text))
    opening = text if _WH.match(text) or _YESNO.match(text) else _LEADING_CLAUSE.sub("", text, count=1)
    if _YESNO.match(opening):
        wants = Wants.NONE if comparing else Wants.YESNO
        return Shape(wants, wh=opening.split()[0].lower(), comparing=comparing, state=state)
    match = _WH.match(opening)
    if not match:
        return Shape(Wants.NONE, comparing=comparing, state=state)
    wh, rest = match.group("wh").lower(), match.group("rest").strip()
    prep = opening[: match.start("wh")].strip().lower()
    shape = _wh_shape(wh, rest, prep)
    return Shape(shape.wants, shape.head, shape.unit, wh, prep, comparing, state)


def _wh_shape(wh: str, rest: str, prep: str) -> Shape:
    tokens = [w.lower() for w in words(rest)]
    first = tokens[0] if tokens else ""
    if wh in ("who", "whom"):
        if first in ("is", "are", "was", "were") and _names_only(rest):  # "Who is Sergei Ryabkov?": a description
            return Shape(Wants.DESCRIPTION)
        return Shape(Wants.PERSON)
    if wh == "whose":
        return Shape(Wants.NAME)
    if wh == "when":
        return Shape(Wants.DATE)
    if wh == "where":
        return Shape(Wants.PLACE)
    if wh == "why":
        return Shape(Wants.DESCRIPTION)
    if wh == "how":
        return _how_shape(tokens)
    return _which_shape(tokens, prep)  # which / what


def _how_shape(tokens: list[str]) -> Shape:
    first = tokens[0] if tokens else ""
    if first in ("many", "much"):
        counted = _head(tokens[1:]) if len(tokens) > 1 and tokens[1] not in _AUX_WORDS else ""
        paid = any(t in _MONEY_VERBS for t in tokens)
        unit = "money" if first == "much" and (counted in ("money", "cash") or (not counted and paid)) else counted
        return Shape(Wants.NUMBER, counted, unit=unit)
    if first in ("long", "old", "far", "big", "large", "tall", "high", "fast", "often"):
        return Shape(Wants.NUMBER, unit={"long": "duration", "old": "age"}.get(first, first))
    return Shape(Wants.DESCRIPTION)


_MONEY_VERBS_TEXT = """pay paid cost costs spend spent raise raised earn earned charge charged owe owed invest
invested fine fined sell sold buy bought worth price priced"""
_MONEY_VERBS = frozenset(_MONEY_VERBS_TEXT.split())
_AUX_WORDS_TEXT = """is are was were did does do has have had will would can could"""
_AUX_WORDS = frozenset(_AUX_WORDS_TEXT.split())


def _which_shape(tokens: list[str], prep: str) -> Shape:
    """ "which manager", "what share", "what is the name of", "what did X say"."""
    if not tokens:
        return Shape(Wants.NONE)
    if tokens[-1] in ("for", "about", "over", "with", "against"):  # "What is X investigating Y for?": a reason
        return Shape(Wants.DESCRIPTION)
    if tokens[-1] in ("called", "named"):  # "What are the ferries called?": what a sentence says they are called
        return Shape(Wants.NAME, CALLED)
    if tokens[0] not in _AUX_WORDS and _verb_like(tokens[0]):  # "What changed ...", "What happened ..."
        return Shape(Wants.DESCRIPTION)
    if tokens[0] in _AUX_WORDS:
        # "What is the release date of ...", "What was the final score ...": the noun after the article
        if len(tokens) > 2 and tokens[1] in ("the", "a", "an") and tokens[0] in ("is", "was", "are", "were"):
            head = _head(tokens[2:])
            if head == "name":  # "What is the name of ...": a name
                return Shape(Wants.NAME, head)
            return _noun_shape(head, prep, default=Wants.DESCRIPTION)
        if any(t in ("call", "calls", "name", "names", "dub", "dubbed") for t in tokens[1:8]):
            return Shape(Wants.NAME, CALLED)  # "What did Epic call its plan?"
        if any(t in _EVENT_VERBS for t in tokens[1:6]) or tokens[0] in ("is", "are", "was", "were"):
            return Shape(Wants.DESCRIPTION)
        return Shape(Wants.NAME)  # "What did Epic call its plan?": the thing named
    return _noun_shape(_head(tokens), prep, default=Wants.NAME)


_KNOWN = _PERSON | _ORG | _PLACE | _DATE | _NUMBER | {"name"}
HEAD_REACH = 6  # words after the wh-word searched for the noun it governs ("which former Tottenham ... chief")


def _head(tokens: list[str]) -> str:
    """The noun a wh-word governs: the last role noun of the words before the verb ("which chinese vice premier
    met" -> "premier", "which women's media company were" -> "company"), else the last word before a verb-like
    word ("which drug-resistant bacterium infected" -> "bacterium", "how many children aged" -> "children")."""
    run: list[str] = []
    for t in tokens[:HEAD_REACH]:
        if t in _AUX_WORDS or (t in STOP_WORDS and t not in ("of", "and")) or (run and _verb_like(t)):
            break
        run.append(re.sub(r"[’']s$", "", t))
    known = [t for t in run if t in _KNOWN]
    if known:
        return known[-1]
    run = [t for t in run if t not in ("of", "and")]
    return run[-1] if run else ""


def _verb_like(word: str) -> bool:
    return (len(word) > 4 and word.endswith(("ed", "ing"))) or word in _EVENT_VERBS


def _noun_shape(head: str, prep: str, default: Wants) -> Shape:
    if head in _DATE or head.endswith("day"):
        return Shape(Wants.DATE, head)
    if head in _NUMBER:
        unit = "money" if head in _MONEY_NOUNS else "percent" if head in _PERCENT_NOUNS else head
        return Shape(Wants.NUMBER, head, unit=unit)
    if head in _PERSON or head.endswith(("er", "or", "ist")) and head in _PERSON:
        return Shape(Wants.PERSON, head)
    if head in _ORG:
        return Shape(Wants.ORG, head)
    if head in _PLACE or (prep in ("in", "at") and head in _PLACE):
        return Shape(Wants.PLACE, head)
    return Shape(default, head)


def _names_only(rest: str) -> bool:
    """ "is Sergei Ryabkov", "was the man who ...": only capitalised words after the verb."""
    parts = rest.rstrip("?. ").split()[1:]
    return bool(parts) and all(p[:1].isupper() for p in parts)
