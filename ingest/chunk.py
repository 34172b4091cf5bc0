"""Sentence-aligned chunks that fit the embedder, each with exact character offsets into the body."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ingest.article import Article
from qa.text.sentences import sentence_spans

# Word-piece counts for a batch of texts (special tokens not included).
TokenCounter = Callable[[Sequence[str]], list[int]]
# Character offsets of the word pieces of one text, for cutting a sentence longer than a chunk.
TokenOffsets = Callable[[str], list[tuple[int, int]]]
COUNT_BATCH_CHARS = 200_000  # characters tokenized per call: memory bounded whatever an article's length
WINDOW_CHARS = 20_000  # characters of one long sentence tokenized at a time (some 20 chunks' worth)


@dataclass(frozen=True)
class Chunk:
    """``text == body[start:end]`` of article ``article_id``; ``tokens`` counts its word pieces."""

    article_id: str
    index: int
    start: int
    end: int
    text: str
    tokens: int

    @property
    def id(self) -> str:
        """Deterministic: the same article text always yields the same ids, so re-indexing is an upsert."""
        key = f"{self.article_id}\x1f{self.start}\x1f{self.end}\x1f{self.text}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def chunk_article(
    article: Article,
    *,
    max_tokens: int,
    overlap_sentences: int,
    count_tokens: TokenCounter,
    token_offsets: TokenOffsets,
) -> list[Chunk]:
    """Pack whole sentences into chunks of at most ``max_tokens`` word pieces, repeating
    ``overlap_sentences`` sentences between neighbours; a longer sentence is cut at word starts."""
    body = article.body
    pieces = _fit_pieces(body, sentence_spans(body), max_tokens, count_tokens, token_offsets)
    chunks: list[Chunk] = []
    first, done = 0, -1  # ``done``: the last piece already in a chunk
    while first < len(pieces):
        last, total = first, pieces[first][2]
        while last + 1 < len(pieces) and total + pieces[last + 1][2] <= max_tokens:
            last += 1
            total += pieces[last][2]
        last, total = _verified(body, pieces, first, last, total, max_tokens, count_tokens)
        if last <= done:  # the overlap left no room for anything new: start afresh without it
            first = done + 1
            continue
        done = last
        start, end = pieces[first][0], pieces[last][1]
        chunks.append(Chunk(article.id, len(chunks), start, end, body[start:end], total))
        if last + 1 >= len(pieces):
            break
        first = _next_first(pieces, first, last, overlap_sentences, max_tokens)
    return chunks


def _verified(
    body: str,
    pieces: list[tuple[int, int, int]],
    first: int,
    last: int,
    total: int,
    max_tokens: int,
    count_tokens: TokenCounter,
) -> tuple[int, int]:
    """``(last, tokens)`` of a chunk whose count is exact: pieces glued without a space (parts of a
    cut word) can tokenize differently together, so such a chunk is re-counted and shrunk to fit."""
    if all(pieces[k][1] < pieces[k + 1][0] for k in range(first, last)):
        return last, total  # whitespace between all pieces: word-piece counts simply add up
    while True:
        tokens = count_tokens([body[pieces[first][0] : pieces[last][1]]])[0]
        if tokens <= max_tokens or last == first:
            return last, tokens
        last -= 1


def _next_first(pieces: list[tuple[int, int, int]], first: int, last: int, overlap: int, max_tokens: int) -> int:
    """Where the next chunk starts: up to ``overlap`` pieces back, using at most half the budget
    and leaving room for the first new piece."""
    nxt = last + 1
    used = 0
    room = min(max_tokens // 2, max_tokens - pieces[last + 1][2])
    while overlap > 0 and nxt - 1 > first and used + pieces[nxt - 1][2] <= room:
        nxt -= 1
        used += pieces[nxt][2]
        overlap -= 1
    return nxt


def _fit_pieces(
    body: str,
    spans: list[tuple[int, int]],
    max_tokens: int,
    count_tokens: TokenCounter,
    token_offsets: TokenOffsets,
) -> list[tuple[int, int, int]]:
    """Sentences as ``(start, end, tokens)``, the ones over ``max_tokens`` cut into fitting parts. Counted
    a bounded batch at a time: the tokenizer's per-text records would otherwise hold the whole body at once."""
    pieces: list[tuple[int, int, int]] = []
    for batch in _batches(spans):
        short = [(s, e) for s, e in batch if e - s <= WINDOW_CHARS]
        counts = iter(count_tokens([body[s:e] for s, e in short]) if short else [])
        for start, end in batch:
            # a sentence longer than a window is never tokenized whole: `_cut_long` reads it in windows
            tokens = next(counts) if end - start <= WINDOW_CHARS else max_tokens + 1
            if tokens <= max_tokens:
                pieces.append((start, end, tokens))
            else:
                pieces.extend(_cut_long(body, start, end, max_tokens, count_tokens, token_offsets))
    return pieces


def _batches(spans: list[tuple[int, int]]) -> Iterator[list[tuple[int, int]]]:
    """``spans`` in consecutive groups of at most `COUNT_BATCH_CHARS` characters (or one longer span)."""
    batch: list[tuple[int, int]] = []
    size = 0
    for start, end in spans:
        if batch and size + (end - start) > COUNT_BATCH_CHARS:
            yield batch
            batch, size = [], 0
        batch.append((start, end))
        size += end - start
    if batch:
        yield batch


def _cut_long(
    body: str, start: int, end: int, max_tokens: int, count_tokens: TokenCounter, token_offsets: TokenOffsets
) -> list[tuple[int, int, int]]:
    """Cut one long sentence at word starts into parts of at most ``max_tokens`` word pieces.

    The sentence is tokenized a window of `WINDOW_CHARS` at a time (cut at a space), so memory stays
    bounded and the work linear however long it is; the last, possibly incomplete, part of a window is
    read again at the start of the next one."""
    parts: list[tuple[int, int, int]] = []
    position, size = start, WINDOW_CHARS
    while position < end:
        stop = _window_end(body, position, end, size)
        final = stop >= end
        offsets = [(position + s, position + e) for s, e in token_offsets(body[position:stop])]
        done, resume = _cut_window(body, offsets, position, stop, max_tokens, count_tokens, final)
        if not done and not final:
            size *= 2  # less than one part in this window (characters the tokenizer ignores): read more
            continue
        parts.extend(done)
        position, size = resume, WINDOW_CHARS
    return parts or [(start, end, 0)]


def _window_end(body: str, position: int, end: int, size: int) -> int:
    """Where a window starting at ``position`` ends: at a space in its second half, else ``size`` on."""
    if end - position <= size:
        return end
    limit = position + size
    space = max(body.rfind(" ", position + size // 2, limit), body.rfind("\n", position + size // 2, limit))
    return space if space > position else limit


def _cut_window(
    body: str,
    offsets: list[tuple[int, int]],
    start: int,
    end: int,
    max_tokens: int,
    count_tokens: TokenCounter,
    final: bool,
) -> tuple[list[tuple[int, int, int]], int]:
    """Parts of ``body[start:end]`` given its word pieces' ``offsets``, and where the next window starts.

    Parts run from one cut to the next (characters the tokenizer ignores stay inside a part). A word
    longer than a whole part is cut inside; its tail can then tokenize differently on its own, so
    every part is re-counted and shortened until the tokenizer agrees that it fits. Unless ``final``,
    the part that reaches the window's end is left for the next window."""
    parts: list[tuple[int, int, int]] = []
    if not offsets:
        return ([(start, end, 0)] if final else []), end
    i = 0
    while i < len(offsets):
        j = min(i + max_tokens, len(offsets))
        if j == len(offsets) and not final:
            return parts, offsets[i][0]
        if j < len(offsets):
            cut = j
            while cut > i + 1 and not _starts_word(body, offsets[cut][0]):
                cut -= 1
            j = cut if cut > i + 1 else j
        while True:
            part_start, part_end = _part_bounds(body, offsets, i, j, start, end)
            tokens = count_tokens([body[part_start:part_end]])[0]
            if tokens <= max_tokens or j == i + 1:
                break
            j = max(i + 1, j - (tokens - max_tokens))
        parts.append((part_start, part_end, tokens))
        i = j
    return parts, end


def _part_bounds(body: str, offsets: list[tuple[int, int]], i: int, j: int, start: int, end: int) -> tuple[int, int]:
    """Characters of word pieces ``i`` to ``j - 1``, extended to the next part, whitespace trimmed."""
    part_start = start if i == 0 else offsets[i][0]
    part_end = end if j == len(offsets) else offsets[j][0]
    while part_end > part_start + 1 and body[part_end - 1].isspace():
        part_end -= 1
    return part_start, part_end


def _starts_word(body: str, position: int) -> bool:
    return position == 0 or not (body[position - 1].isalnum() and body[position].isalnum())
