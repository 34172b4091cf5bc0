"""Articles rebuilt from the chunks of one corpus version, for choosing a window inside each: built on
first use and kept while the version lasts (a few milliseconds per article, then free)."""

from __future__ import annotations

import functools
import threading
from dataclasses import replace

import numpy as np

from qa.core.types import Passage
from qa.search.corpus import Corpus
from qa.search.windows import (
    ArticleText,
    best_windows,
    build_article,
    chunk_prior,
    sentence_scores,
    window_passage,
)
from qa.store.embeddings.model import get_tokenizer

EXTRA_WINDOW_SHARE = 0.5  # a second window of one article must score half its first: another fact, not filler
DENSE_SHARE = 0.035  # weight of the chunk-similarity prior beside the term scores (`chunk_prior`); Hits@10 on
# every 3rd dev question: 0.855 without it, 0.877 / 0.883 / 0.883 / 0.875 at 0.02 / 0.035 / 0.05 / 0.07; checked
# on the next third (not used for tuning): 0.877 without, 0.891 at 0.035, 0.885 at 0.05


# A long-lived process (the chat, `qa chat`) builds every article's text in the background after start: ~16 ms an
# article on this CPU, ~160 ms of a warm question otherwise (about ten new articles a question). Bounded, because
# the texts stay in memory while the version lasts: past this many articles they are built on first use only.
PREPARE_MAX_ARTICLES = 20_000
# Past that, the texts built on use are kept for the most recently used articles only (~60 KB each; a question
# reads ~10 new ones, so 512 are the last ~50 questions'): at 100k chunks after 160 questions RSS 759 MB with 4,096
# kept, 692 MB with 512, same latency
LAZY_KEPT_ARTICLES = 512


class ArticleTexts:
    """The `ArticleText` of each article of one corpus version, built lazily (or all at once by `prepare`)."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.rows = corpus.arrays.article_rows()  # live rows only: never a deleted version's text
        kept = len(self.rows) if len(self.rows) <= PREPARE_MAX_ARTICLES else LAZY_KEPT_ARTICLES
        self.get = functools.lru_cache(maxsize=kept)(self._build)  # the texts used last (`Cached`'s way for rows)

    def _build(self, article_id: str) -> ArticleText:
        chunks = [self.corpus.passages[i] for i in self.rows[article_id]]
        return build_article(chunks, get_tokenizer().offsets, self.corpus.bm25.terms)

    @property
    def built(self) -> int:
        """How many article texts are kept now."""
        return self.get.cache_info().currsize

    def build_all(self) -> int:
        """Build every article's text now (in a background thread: questions meanwhile build what they need)."""
        for article_id in list(self.rows):
            self.get(article_id)
        return len(self.rows)


class WindowPicker:
    """Replaces each retrieved chunk by the best window of its article for the question."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._texts: ArticleTexts | None = None
        self._lock = threading.Lock()

    def texts(self, corpus: Corpus) -> ArticleTexts:
        with self._lock:
            if self._texts is None or self._texts.corpus is not corpus:
                self._texts = ArticleTexts(corpus)
            return self._texts

    def prepare(self, corpus: Corpus) -> threading.Thread | None:
        """Start building every article text of ``corpus`` in a daemon thread (none past `PREPARE_MAX_ARTICLES`)."""
        texts = self.texts(corpus)
        if not texts.rows or len(texts.rows) > PREPARE_MAX_ARTICLES:
            return None
        thread = threading.Thread(target=texts.build_all, name="article-texts", daemon=True)
        thread.start()
        return thread

    def windows(
        self, chunks: list[Passage], wanted: dict[str, float], corpus: Corpus, vector: np.ndarray
    ) -> list[Passage]:
        """The chunks in the same order, each replaced by a window of its article: the best one for an
        article's first chunk, its next best for a second (the chunk itself when no other window fits).
        ``wanted``: the question's terms with their weights (`Query.idf`)."""
        texts = self.texts(corpus)
        per_article = {}
        for chunk in chunks:
            per_article[chunk.article_id] = per_article.get(chunk.article_id, 0) + 1
        found: dict[str, list[Passage]] = {}
        for article_id, count in per_article.items():
            article = texts.get(article_id)
            similarity = corpus.vectors[list(texts.rows[article_id])] @ vector
            scores = sentence_scores(article, wanted) + DENSE_SHARE * chunk_prior(article, similarity)
            windows = best_windows(article, scores, self.budget, count, EXTRA_WINDOW_SHARE)
            found[article_id] = [
                window_passage(article, w, 0.0, self.budget, get_tokenizer().truncate) for w in windows
            ]
        out: list[Passage] = []
        for chunk in chunks:
            options = found[chunk.article_id]
            window = options.pop(0) if options else chunk
            out.append(replace(window, score=chunk.score, also=chunk.also))
        return out
