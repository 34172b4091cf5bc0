"""What an ingest run will do, decided before anything is written: the diff between the inputs and the
manifest (new, changed, unchanged, moved, gone), as one `IngestPlan` object."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ingest.article import Article
from ingest.clean import strip_furniture
from ingest.feeds import FeedNote
from ingest.feedstate import FeedBook
from ingest.load import load_paths
from ingest.web import FetchPolicy, is_url
from qa.core.types import Skip
from qa.store.schema import ManifestEntry
from qa.text.outlets import lookalikes

CUT_SEARCH_CHARS = 10_000  # a long body is cut at the last paragraph break (else space) this close to the limit


@dataclass(frozen=True)
class Truncated:
    """An article longer than ``QA_MAX_ARTICLE_CHARS``: only its first ``kept`` of ``chars`` characters are indexed."""

    path: str  # "file" or "file:record"
    chars: int
    kept: int

    def __str__(self) -> str:
        return f"{self.path}: {self.chars:,} characters; indexed the first {self.kept:,} (QA_MAX_ARTICLE_CHARS)"

    def to_json(self) -> dict:
        return {"path": self.path, "chars": self.chars, "indexed": self.kept}


@dataclass(frozen=True)
class Loaded:
    """The articles read from the inputs (by id, first occurrence wins), every input that was not, the
    articles cut to the length limit, and what each feed gave (its entries indexed already are not read)."""

    articles: dict[str, Article]
    skipped: tuple[Skip, ...]
    truncated: tuple[Truncated, ...] = ()
    feeds: tuple[FeedNote, ...] = ()

    @property
    def kept(self) -> int:
        """Feed entries not read because their articles are indexed already: unchanged."""
        return sum(note.kept for note in self.feeds)


@dataclass(frozen=True)
class IngestPlan:
    """The diff: articles to embed (``added`` + ``updated``), entries whose file moved, entries to remove."""

    added: tuple[Article, ...] = ()
    updated: tuple[Article, ...] = ()
    unchanged: int = 0
    moved: tuple[ManifestEntry, ...] = ()  # unchanged content, new origin: only the manifest changes
    gone: tuple[ManifestEntry, ...] = ()  # in an ingested folder or file before, absent now
    skipped: tuple[Skip, ...] = field(default_factory=tuple)
    warnings: tuple[str, ...] = ()  # outlets that could pass for another: indexed under their own name, flagged

    @property
    def to_embed(self) -> list[Article]:
        return [*self.added, *self.updated]

    @property
    def changes_chunks(self) -> bool:
        return bool(self.added or self.updated or self.gone)


Adopt = Callable[[Article], Article]  # how a caller claims the articles read (uploads: their own ids, provenance)


def load(
    paths: Iterable[Path | str],
    max_file_bytes: int,
    adopt: Adopt | None = None,
    max_article_chars: int | None = None,
    fetch: FetchPolicy | None = None,
    feeds: FeedBook | None = None,
) -> Loaded:
    """Read every input (web addresses fetched under ``fetch``, feeds remembered in ``feeds``; each article passed
    through ``adopt`` when given); a repeated article id is skipped with where it was first seen, and a body longer
    than ``max_article_chars`` is cut to that length (a `Truncated` note says so). Page furniture is then taken out
    of the bodies, judged over the articles of this run (`ingest.clean.strip_furniture`)."""
    articles: dict[str, Article] = {}
    skipped: list[Skip] = []
    truncated: list[Truncated] = []
    notes: list[FeedNote] = []
    for item in load_paths(paths, max_file_bytes, fetch, feeds):
        if isinstance(item, FeedNote):
            notes.append(item)
            continue
        if isinstance(item, Skip):
            skipped.append(item)
            continue
        if adopt is not None:
            item = adopt(item)
        if item.id in articles:
            first = articles[item.id]
            skipped.append(Skip(where_from(item), f"duplicate article id {item.id!r} (first at {where_from(first)})"))
        else:
            if max_article_chars is not None and len(item.body) > max_article_chars:
                chars = len(item.body)
                item = replace(item, body=cut_body(item.body, max_article_chars))
                truncated.append(Truncated(where_from(item), chars, len(item.body)))
            articles[item.id] = item
    return Loaded(strip_furniture(articles).articles, tuple(skipped), tuple(truncated), tuple(notes))


def cut_body(body: str, limit: int) -> str:
    """The first ``limit`` characters of ``body`` at most, ending at a paragraph break near the limit when there
    is one, else at a space (a hard cut for text without either)."""
    floor = max(1, limit - CUT_SEARCH_CHARS)
    cut = body.rfind("\n", floor, limit + 1)
    if cut < 0:
        cut = max(body.rfind(" ", floor, limit + 1), body.rfind("\t", floor, limit + 1))
    return body[: cut if cut > 0 else limit].rstrip()


def plan(loaded: Loaded, manifest: dict[str, ManifestEntry], paths: list[Path | str]) -> IngestPlan:
    """Compare what was read with what the store holds, by content hash."""
    added, updated, moved = [], [], []
    unchanged = loaded.kept
    for article in loaded.articles.values():
        entry = manifest.get(article.id)
        if entry is None:
            added.append(article)
        elif entry.content_hash != article.content_hash:
            updated.append(article)
        else:
            unchanged += 1
            if entry.origin != origin_of(article):
                moved.append(replace(entry, origin=origin_of(article)))
    gone = [e for e in manifest.values() if e.article_id not in loaded.articles and covered(e, paths)]
    warnings = outlet_warnings(loaded, manifest)
    return IngestPlan(tuple(added), tuple(updated), unchanged, tuple(moved), tuple(gone), loaded.skipped, warnings)


def outlet_warnings(loaded: Loaded, manifest: dict[str, ManifestEntry]) -> tuple[str, ...]:
    """A line for each outlet read that could pass for another (`qa.text.outlets.lookalikes`), naming its articles."""
    read: dict[str, list[Article]] = {}
    for article in loaded.articles.values():
        if article.source:
            read.setdefault(article.source, []).append(article)
    flagged = lookalikes(read, {e.source for e in manifest.values() if e.source})
    warnings = []
    for name, articles in sorted(read.items()):
        if reason := flagged.get(name):
            count = f"{len(articles)} articles" if len(articles) > 1 else f"article {articles[0].title[:80]!r}"
            warnings.append(f"{reason}: {count} indexed under that name, not merged with any other outlet")
    return tuple(warnings)


def covered(entry: ManifestEntry, paths: list[Path | str]) -> bool:
    """Whether ``entry`` came from one of ``paths`` (so its absence there means it was removed). An article of a
    web page never is: a page that fails to fetch (a 404, a timeout) is skipped and its article kept, and no
    folder holds it; only ``--rebuild`` drops it."""
    if is_url(entry.origin):
        return False
    origin = Path(entry.origin)
    for path in paths:
        if is_url(path):
            continue
        resolved = path.resolve()
        if origin == resolved or (path.is_dir() and resolved in origin.parents):
            return True
    return False


def origin_of(article: Article) -> str:
    """The absolute path an article came from, or the web address it was named by ("" for none): how removals
    are scoped to the inputs."""
    if is_url(article.origin):
        return article.origin
    return str(Path(article.origin).resolve()) if article.origin else ""


def where_from(article: Article) -> str:
    return f"{article.origin}:{article.record}" if article.record else article.origin
