"""`Passage`: a chunk of an article with its metadata and a score, the unit that moves between stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass


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

    def to_json(self) -> dict:
        """The public JSON shape (``qa ask --json`` and the chat API)."""
        data = asdict(self)
        data["published_at"] = data.pop("published")
        data["score"] = round(self.score, 4)
        return data
