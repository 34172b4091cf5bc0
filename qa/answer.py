"""Extractive answers: pick the sentences of the retrieved passages that best answer the question,
quote them verbatim with ``[n]`` citations, or abstain when the evidence is weak."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.sentences import sentence_spans
from qa.passage import Passage
from qa.query import STOP_WORDS

MIN_OVERLAP = 0.1  # share of the question's words a second or third quote must contain
NOT_FOUND = "Not found in the corpus: no indexed article answers this question."


@dataclass(frozen=True)
class Citation:
    """Citation ``[n]``: the supporting sentence at ``start``/``end`` in the article body, inside ``passage``."""

    n: int
    passage: Passage
    sentence: str
    start: int  # offsets of the sentence in the article body
    end: int

    def to_json(self) -> dict:
        p = self.passage
        return {
            "n": self.n,
            "title": p.title,
            "source": p.source,
            "published_at": p.published,
            "url": p.url,
            "article_id": p.article_id,
            "excerpt": p.text,
            "excerpt_start": p.start,
            "excerpt_end": p.end,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            # where the sentence sits inside the excerpt, for highlighting
            "highlight": [self.start - p.start, self.end - p.start],
        }


@dataclass(frozen=True)
class Answer:
    """The answer text with ``[n]`` markers, its citations, and the passages it was drawn from."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    evidence_score: float = 0.0
    timings: dict = field(default_factory=dict, compare=False)
    notice: str = ""  # a caveat to show beside the answer (e.g. a question in another script)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "evidence_score": round(self.evidence_score, 4),
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "notice": self.notice,
        }


_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
# A name: capitalised words, joined by at most one "of"/"de"/"&" ("Bank of America", "Sam Bankman-Fried")
_CAP = r"[A-Z](?:[\w'’-]|\.(?=\w))*"
_NAME = re.compile(rf"\b{_CAP}(?:\s+(?:(?:of|de|del|van|von|&)\s+)?{_CAP})*")
_ENTITY_QUESTION = re.compile(r"^\s*(?:who|whom|whose|which|what|name)\b", re.IGNORECASE)
_PERSON_QUESTION = re.compile(
    r"^\s*who\b|\b(?:individual|person|player|athlete|founder|executive|ceo|quarterback|coach|singer|actor)\b",
    re.IGNORECASE,
)
_CALENDAR_TEXT = """monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december"""
_CALENDAR = frozenset(_CALENDAR_TEXT.split())


def _terms(text: str) -> set[str]:
    return {w.lower().strip("'’") for w in _WORD.findall(text)} - STOP_WORDS


def answer_entity(question: str, passages: list[Passage], top: int = 10) -> str:
    """For a who/which/what question: the name most of the leading articles mention that the question
    does not, in its longest written form ("Sam Bankman-Fried" over "Bankman-Fried"); "" otherwise.

    Multi-article questions describe one thing several ways; the thing itself is the name the
    retrieved articles share. Choosing a sentence that spells it out makes the answer say it."""
    if not _ENTITY_QUESTION.match(question):
        return ""
    asked = {w.lower() for w in _WORD.findall(question)}
    outlets = {p.source.lower() for p in passages}
    leading = passages[:top]
    lowercase = {w for p in leading for w in _WORD.findall(p.text) if w.islower()}
    votes: dict[str, set[str]] = {}
    mentions: dict[str, float] = {}
    for rank, passage in enumerate(leading):
        for match in _NAME.finditer(passage.text):
            name = _trim_name(match.group(0), lowercase)
            words = [w.lower() for w in _WORD.findall(name)]
            if not words or len(words) > 5 or name.lower() in outlets:
                continue
            if all(w in asked or w in STOP_WORDS or w in _CALENDAR for w in words):
                continue
            if len(words) == 1 and words[0] in lowercase:  # "If", "See": capitalised only at a sentence start
                continue
            votes.setdefault(name, set()).add(passage.article_id)
            mentions[name] = mentions.get(name, 0.0) + 1.0 / (rank + 1)
    if not votes:
        return ""

    # a short form also counts the articles (and mentions) of every longer form containing it
    def support(name: str) -> tuple[int, float]:
        containing = [other for other in votes if _contains_words(other, name)]
        return len({a for other in containing for a in votes[other]}), sum(mentions[o] for o in containing)

    pool = list(votes)
    if _PERSON_QUESTION.search(question):  # a person has a first and a last name somewhere in the articles
        people = [n for n in pool if len(n.split()) in (2, 3) and support(n)[0] >= 2]
        pool = [n for n in pool if any(_contains_words(p, n) for p in people)] or pool
    # the name must be in the best passage: shared by lesser ones only, it answers something else
    lead_text = leading[0].text
    pool = [n for n in pool if _contains_words(lead_text, n)]
    if not pool:
        return ""
    best = max(pool, key=lambda n: (*support(n), len(n)))
    if support(best)[0] < 2:
        return ""
    return max((f for f in votes if _contains_words(f, best)), key=lambda f: (len(f.split()) <= 4, len(f)))


def _trim_name(name: str, common: set[str]) -> str:
    """Drop leading words that are only capitalised because a sentence starts there ("The", "Didn’t")."""
    words = name.split()
    while words and (words[0].lower() in STOP_WORDS or words[0].lower() in _CALENDAR or words[0].lower() in common):
        words = words[1:]
    name = " ".join(words)
    for suffix in ("’s", "'s"):
        name = name.removesuffix(suffix)
    return name.rstrip(".’'")


def _contains_words(longer: str, shorter: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(shorter)}(?!\w)", longer) is not None


def compose(
    question: str,
    passages: list[Passage],
    *,
    max_sentences: int,
    evidence_score: float,
    threshold: float,
    notice: str = "",
    context: str = "",
) -> Answer:
    """Quote the best sentences (one per article first) with ``[n]`` citations, or abstain.

    When the question asks for a name, the first quote is the best sentence that spells out the
    name the leading articles share; the others are the sentences sharing most of the question's
    words (and, for a follow-up, of the ``context`` turn), from different articles."""
    if not passages or evidence_score < threshold:
        return Answer(question, NOT_FOUND, (), tuple(passages), True, evidence_score, notice=notice)
    wanted = _terms(question)
    earlier = _terms(context) - wanted  # a follow-up's subject, at half the weight of its own words
    focus = answer_entity(question, passages)
    scored = []
    for rank, passage in enumerate(passages):
        for s, e in sentence_spans(passage.text):
            sentence = passage.text[s:e]
            words = _terms(sentence)
            overlap = (len(wanted & words) + 0.5 * len(earlier & words)) / ((len(wanted) + 0.5 * len(earlier)) or 1)
            scored.append((overlap + 0.3 * passage.score - 0.01 * rank, rank, s, e, passage, overlap))
    scored.sort(key=lambda item: item[0], reverse=True)
    chosen, seen_articles = [], set()
    if focus:
        named = [item for item in scored if _contains_words(item[4].text[item[2] : item[3]], focus)]
        if named:
            chosen.append(named[0])
            seen_articles.add(named[0][4].article_id)
    for item in scored:
        if len(chosen) >= max_sentences:
            break
        if item[4].article_id in seen_articles:
            continue
        if chosen and item[5] < MIN_OVERLAP:  # beyond the first quote, only sentences that share the question's words
            continue
        chosen.append(item)
        seen_articles.add(item[4].article_id)
    citations, parts = [], []
    for n, (_, _, s, e, passage, _) in enumerate(chosen, start=1):
        sentence = passage.text[s:e]
        citations.append(Citation(n, passage, sentence, passage.start + s, passage.start + e))
        outlet = passage.source or "An article"
        parts.append(f"{outlet}: “{sentence}” [{n}]")
    return Answer(question, "\n".join(parts), tuple(citations), tuple(passages), False, evidence_score, notice=notice)
