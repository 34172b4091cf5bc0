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
from qa.store.embeddings.model import MAX_TEXT_TOKENS, Tokenizer, get_tokenizer
from qa.store.schema import ChunkRecord, EntryState, ManifestEntry, record_passage
from qa.store.segment import ArticleChunks

ProgressCallback = Callable[[int], None]  # called with the number of articles just written


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
        """Embed and write prepared articles (new or changed) crash-safely; returns what was written."""
        pending = [
            manifest_entry(p.article, p.chunks, EntryState.PENDING, stale=_ids(previous.get(p.article.id)))
            for p in prepared
        ]
        self.store.mark(pending)
        texts = [f"{p.prefix}\n{chunk.text}" if p.prefix else chunk.text for p in prepared for chunk in p.chunks]
        vectors = iter(self._embed_sorted(texts))
        records = [chunk_record(p.article, chunk, next(vectors)) for p in prepared for chunk in p.chunks]
        self.store.upsert_chunks(records)
        stale = [chunk_id for entry in pending for chunk_id in entry.stale_ids if chunk_id not in set(entry.chunk_ids)]
        if stale:
            self.store.delete_chunks(stale)
        done = [manifest_entry(p.article, p.chunks, EntryState.DONE) for p in prepared]
        self.store.mark(done)
        progress(len(prepared))
        return written_articles(done, records)

    def _embed_sorted(self, texts: list[str]) -> list[list[float]]:
        """Embed longest first in one order so batches hold similar lengths (less padding)."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        vectors = self.embeddings.embed_documents([texts[i] for i in order])
        result: list[list[float]] = [[] for _ in texts]
        for position, index in enumerate(order):
            result[index] = vectors[position]
        return result


@dataclass(frozen=True)
class Written:
    """One article as this run wrote it: its manifest entry and its chunks (for the search arrays)."""

    entry: ManifestEntry
    chunks: ArticleChunks


def written_articles(done: list[ManifestEntry], records: list[ChunkRecord]) -> list[Written]:
    """``records`` (in the order of ``done``'s chunk ids) grouped by article, as the store now holds them."""
    by_id = {r.id: r for r in records}
    out = []
    for entry in done:
        chunks = [by_id[i] for i in entry.chunk_ids]
        vectors = np.asarray([r.embedding for r in chunks], dtype=np.float32).reshape(len(chunks), -1)
        passages = tuple(record_passage(r) for r in chunks)
        out.append(Written(entry, ArticleChunks(entry.article_id, entry.content_hash, passages, vectors)))
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
