"""The frozen records that move between stages: `Passage` out of retrieval, `Filters` from the user,
`Citation` and `Answer` out of answering. Stages return new ones (``dataclasses.replace``), never mutate."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

NOT_FOUND = "Not found in the corpus: no indexed article answers this question."


class Mode(StrEnum):
    """How an answer's text was made."""

    EXTRACTIVE = "extractive"  # quoted sentences chosen by the composer
    GENERATED = "generated"  # written by a model, every sentence checked against the passages it cites


@dataclass(frozen=True)
class Passage:
    """``text == article body[start:end]``; scores are replaced (``dataclasses.replace``), never mutated."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""
    author: str = ""
    chunk_index: int = 0
    score: float = 0.0
    uploaded: str = ""  # when its article was added from the chat (ISO UTC); "" for `qa ingest` articles
    also: tuple[str, ...] = ()  # outlets of the other copies of its story (near-duplicates), "also published by"

    def to_json(self) -> dict:
        """The public JSON shape (``qa ask --json`` and the chat API)."""
        data = asdict(self)
        data["published_at"] = data.pop("published")
        data["score"] = round(self.score, 4)
        data["also"] = list(self.also)
        return data


@dataclass(frozen=True)
class Filters:
    """Explicit restrictions from the user (CLI options or chat controls): hard, unlike what a question implies."""

    outlets: tuple[str, ...] = ()
    since: str | None = None  # ISO date, inclusive
    until: str | None = None

    def accepts(self, passage: Passage) -> bool:
        return self.accepts_article(passage.source, passage.published)

    def accepts_article(self, source: str, published: str) -> bool:
        """Whether an article of outlet ``source`` published at ``published`` (ISO) passes these filters."""
        if self.outlets and source not in self.outlets:
            return False
        day = published[:10]
        if self.since and (not day or day < self.since):
            return False
        return not (self.until and (not day or day > self.until))


NO_FILTERS = Filters()


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
            "uploaded": p.uploaded,
            "also": list(p.also),  # the outlets of the story's other copies
            "excerpt": p.text,
            "excerpt_start": p.start,
            "excerpt_end": p.end,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            # where the sentence sits inside the excerpt, for highlighting
            "highlight": [self.start - p.start, self.end - p.start],
        }


DIRECT_KINDS = ("name", "number", "date", "yes", "no", "claim", "description", "before", "after", "outlet")
CLAIM_VERDICTS = ("supported", "contradicted", "not_found")


@dataclass(frozen=True)
class ClaimCheck:
    """One claim of a question about coverage ("Did A report X ...?"), checked against the articles of the outlet
    (and date) it is attributed to: the verdict, the quote that decides it (``citation``, an ``[n]`` of the
    answer; None when nothing was found) and why, in words a reader can check."""

    text: str  # the claim as the question puts it
    outlet: str  # the outlet it is attributed to, as indexed ("" when the question names none)
    date: str  # publication date (ISO) of the matched article, or "" when none matched
    verdict: str  # one of CLAIM_VERDICTS
    citation: int | None = None
    reason: str = ""

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "outlet": self.outlet,
            "date": self.date,
            "verdict": self.verdict,
            "citation": self.citation,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Direct:
    """The answer itself, shown first: a span of a cited sentence (name, number, date), "Yes"/"No" when one cited
    sentence states the asked predicate plainly, or a claim naming who makes it and the outlet that reports it."""

    text: str
    kind: str  # one of DIRECT_KINDS
    citations: tuple[int, ...]  # the [n] of the sentences that state it

    def to_json(self) -> dict:
        return {"text": self.text, "kind": self.kind, "citations": list(self.citations)}


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of a generated answer: the passages ``[n]`` it cites and whether they support it."""

    text: str  # without its [n] markers
    citations: tuple[int, ...]
    supported: bool

    def to_json(self) -> dict:
        return {"text": self.text, "citations": list(self.citations), "supported": self.supported}


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
    direct: Direct | None = None  # the answer itself when a cited sentence states it; never a guess
    # generated answers (issue 12): how the text was made, by which model, and every sentence the model wrote
    mode: Mode = Mode.EXTRACTIVE
    model: str | None = None
    sentences: tuple[AnswerSentence, ...] = ()  # generated mode: all of them, unsupported ones included
    extractive_text: str = field(default="", compare=False)  # the extractive answer beside a generated one
    claims: tuple[ClaimCheck, ...] = ()  # a question about coverage: each claim with its outlet and verdict

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "evidence_score": round(self.evidence_score, 4),
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages],
            "notice": self.notice,
            "direct": self.direct.to_json() if self.direct else None,
            # generated answers (issue 12)
            "mode": self.mode,
            "model": self.model,
            "sentences": [s.to_json() for s in self.sentences],
            "claims": [c.to_json() for c in self.claims],
        }


@dataclass(frozen=True)
class Skip:
    """An input that was not used (a file, a record, a line of a questions file), with a one-line reason."""

    path: str  # the file, "file:record", or "line N" of a JSONL file being read
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"
