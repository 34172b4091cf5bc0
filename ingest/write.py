"""Chunk, embed and write articles crash-safely: ``pending`` manifest entries first, ``done`` after."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ingest.article import Article
from ingest.chunk import Chunk, chunk_article
from ingest.plan import origin_of
from qa.core.settings import Settings
from qa.store.chroma import Store
from qa.store.embeddings.factory import make_embeddings
from qa.store.embeddings.model import DIMENSION, MAX_TEXT_TOKENS, Tokenizer, get_tokenizer
from qa.store.schema import ChunkRecord, EntryState, ManifestEntry, record_passage
from qa.store.segment import ArticleChunks

ProgressCallback = Callable[[int], None]  # called with the number of articles just written
# chunks embedded and upserted at a time: a record's vector as Python floats takes ~12 KB, so a batch of long
# articles (thousands of chunks) never holds them all at once; large enough that Chroma's calls stay few
WRITE_SLICE_CHUNKS = 512


@dataclass(frozen=True)
class Prepared:
    """An article ready to embed: the title prefix its chunks are embedded with, and the chunks."""

    article: Article
    prefix: str
    chunks: list[Chunk]


class Indexer:
    """Chunks, embeds and writes articles; owns the tokenizer and the embedding model for one run."""

    def __init__(self, settings: Settings, store: Store, tokenizer: Tokenizer | None = None, embeddings=None):
        self.settings = settings
        self.store = store
        self.tokenizer = tokenizer or get_tokenizer()
        self.embeddings = embeddings or make_embeddings(
            settings.embed_backend, settings.embed_batch_size, settings.embed_threads
        )

    def prepare(self, article: Article) -> Prepared:
        """The title prefix used for embedding and the article's chunks (which fit after that prefix)."""
        prefix = ""
        if self.settings.title_prefix_tokens and article.title:
            prefix = self.tokenizer.truncate(article.title, self.settings.title_prefix_tokens)
        prefix_tokens = self.tokenizer.count([prefix])[0] if prefix else 0
        budget = max(16, min(self.settings.chunk_tokens, MAX_TEXT_TOKENS) - prefix_tokens)
        chunks = chunk_article(
            article,
            max_tokens=budget,
            overlap_sentences=self.settings.chunk_overlap_sentences,
            count_tokens=self.tokenizer.count,
            token_offsets=self.tokenizer.offsets,
        )
        return Prepared(article, prefix, chunks)

    def prepare_all(self, articles: list[Article]) -> list[Prepared]:
        """Tokenizer work only: no store, no model."""
        return [self.prepare(article) for article in articles]

    def prepare_ahead(self, batches: list[list[Article]]) -> Iterator[list[Prepared]]:
        """Each batch prepared, chunking the next batch on a second thread while this one embeds
        (chunking uses one core; embedding both, so the other core would idle while chunking)."""
        if not batches:
            return
        with ThreadPoolExecutor(1, thread_name_prefix="chunk") as pool:
            upcoming = pool.submit(self.prepare_all, batches[0])
            for index in range(len(batches)):
                prepared = upcoming.result()
                if index + 1 < len(batches):
                    upcoming = pool.submit(self.prepare_all, batches[index + 1])
                yield prepared

    def write(
        self, prepared: list[Prepared], previous: dict[str, ManifestEntry], progress: ProgressCallback
    ) -> list[Written]:
        """Embed and write prepared articles (new or changed) crash-safely; returns what was written.

        The chunks are embedded and upserted `WRITE_SLICE_CHUNKS` at a time, whatever the articles' lengths:
        only their float32 vectors are kept for the search arrays, never a whole batch's records at once."""
        pending = [
            manifest_entry(p.article, p.chunks, EntryState.PENDING, stale=_ids(previous.get(p.article.id)))
            for p in prepared
        ]
        self.store.mark(pending)
        pairs = [(p, chunk) for p in prepared for chunk in p.chunks]
        parts: list[np.ndarray] = []
        for first in range(0, len(pairs), WRITE_SLICE_CHUNKS):
            part = pairs[first : first + WRITE_SLICE_CHUNKS]
            parts.append(self._embed_sorted([f"{p.prefix}\n{c.text}" if p.prefix else c.text for p, c in part]))
            records = [chunk_record(p.article, c, v.tolist()) for (p, c), v in zip(part, parts[-1], strict=True)]
            self.store.upsert_chunks(records)
        vectors = np.concatenate(parts) if parts else np.zeros((0, DIMENSION), dtype=np.float32)
        deleted = []
        for entry in pending:
            kept = set(entry.chunk_ids)
            deleted.append([chunk_id for chunk_id in entry.stale_ids if chunk_id not in kept])
        if any(deleted):
            self.store.delete_chunks([chunk_id for ids in deleted for chunk_id in ids])
        done = [manifest_entry(p.article, p.chunks, EntryState.DONE) for p in prepared]
        self.store.mark(done)
        progress(len(prepared))
        return written_articles(prepared, done, vectors, [len(ids) for ids in deleted])

    def _embed_sorted(self, texts: list[str]) -> np.ndarray:
        """Embed longest first in one order so batches hold similar lengths (less padding)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        vectors = np.asarray(self.embeddings.embed_documents([texts[i] for i in order]), dtype=np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


@dataclass(frozen=True)
class Written:
    """One article as this run wrote it: its manifest entry, its chunks (for the search arrays), and how many
    chunks of its previous version it dropped."""

    entry: ManifestEntry
    chunks: ArticleChunks
    deleted: int = 0


def written_articles(
    prepared: list[Prepared], done: list[ManifestEntry], vectors: np.ndarray, deleted: list[int]
) -> list[Written]:
    """The articles as the store now holds them; ``vectors`` has one row per chunk, in the order of ``prepared``."""
    out = []
    row = 0
    for p, entry, dropped in zip(prepared, done, deleted, strict=True):
        passages = tuple(record_passage(chunk_record(p.article, chunk, ())) for chunk in p.chunks)
        rows = vectors[row : row + len(p.chunks)]
        row += len(p.chunks)
        out.append(Written(entry, ArticleChunks(entry.article_id, entry.content_hash, passages, rows), dropped))
    return out


def _ids(entry: ManifestEntry | None) -> tuple[str, ...]:
    return entry.chunk_ids if entry is not None else ()


def manifest_entry(
    article: Article, chunks: list[Chunk], state: EntryState, stale: Iterable[str] = ()
) -> ManifestEntry:
    return ManifestEntry(
        article_id=article.id,
        content_hash=article.content_hash,
        state=state,
        chunk_ids=tuple(chunk.id for chunk in chunks),
        origin=origin_of(article),
        source=article.source,
        published=article.published,
        stale_ids=tuple(stale),
    )


def chunk_record(article: Article, chunk: Chunk, vector: list[float]) -> ChunkRecord:
    return ChunkRecord(
        id=chunk.id,
        text=chunk.text,
        embedding=vector,
        article_id=article.id,
        chunk_index=chunk.index,
        start=chunk.start,
        end=chunk.end,
        tokens=chunk.tokens,
        title=article.title,
        source=article.source,
        author=article.author,
        url=article.url,
        published=article.published,
        uploaded=article.uploaded,
    )
