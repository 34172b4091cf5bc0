"""Extractive answers: pick the sentences of the retrieved passages that best answer the question,
quote them verbatim with ``[n]`` citations, or abstain when the evidence is weak."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.sentences import sentence_spans
from qa.passage import Passage

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
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "by",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "did",
        "does",
        "do",
        "has",
        "have",
        "had",
        "according",
        "reported",
        "report",
        "article",
        "articles",
        "news",
        "both",
        "also",
        "than",
        "then",
        "there",
        "about",
        "into",
        "over",
        "after",
        "before",
        "between",
        "during",
        "while",
        "not",
        "no",
        "yes",
        "any",
        "all",
        "some",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "so",
        "too",
        "very",
        "can",
        "will",
        "just",
    ]
)


def _terms(text: str) -> set[str]:
    return {w.lower().strip("'’") for w in _WORD.findall(text)} - _STOP


def compose(
    question: str,
    passages: list[Passage],
    *,
    max_sentences: int,
    evidence_score: float,
    threshold: float,
    notice: str = "",
) -> Answer:
    """Quote the best sentences (one per article first) with ``[n]`` citations, or abstain."""
    if not passages or evidence_score < threshold:
        return Answer(question, NOT_FOUND, (), tuple(passages), True, evidence_score, notice=notice)
    wanted = _terms(question)
    scored = []
    for rank, passage in enumerate(passages):
        for s, e in sentence_spans(passage.text):
            sentence = passage.text[s:e]
            overlap = len(wanted & _terms(sentence)) / (len(wanted) or 1)
            scored.append((overlap + 0.3 * passage.score - 0.01 * rank, rank, s, e, passage))
    scored.sort(key=lambda item: item[0], reverse=True)
    chosen, seen_articles = [], set()
    for item in scored:
        if item[4].article_id in seen_articles:
            continue
        chosen.append(item)
        seen_articles.add(item[4].article_id)
        if len(chosen) == max_sentences:
            break
    chosen.sort(key=lambda item: item[1])
    citations, parts = [], []
    for n, (_, _, s, e, passage) in enumerate(chosen, start=1):
        sentence = passage.text[s:e]
        citations.append(Citation(n, passage, sentence, passage.start + s, passage.start + e))
        outlet = passage.source or "An article"
        parts.append(f"{outlet}: “{sentence}” [{n}]")
    return Answer(question, "\n".join(parts), tuple(citations), tuple(passages), False, evidence_score, notice=notice)
