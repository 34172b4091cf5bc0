"""Every sentence of the retrieved passages, scored as the answer to the question: how much of what the question
asks it holds (its words weighted by rarity in English, predicates compared by meaning) and how close it is in
meaning (the embedding model on the sentence), so the sentence that states the fact leads, in long and short
articles alike."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.core.types import Passage
from qa.text.language import verb_lemmas
from qa.text.sentences import sentence_spans
from qa.text.terms import content_words, prior_weight, stem_words, stems, word_set, words

PASSAGE_WEIGHT = 0.3  # a sentence of a better-ranked passage wins among equal matches
RANK_PENALTY = 0.01  # and, all else equal, the earlier passage
CONTEXT_WEIGHT = 0.5  # a follow-up's earlier words count half as much as its own
TITLE_WEIGHT = 0.5  # a question word only the article's title (or the sentence before) holds counts half
SIMILARITY_WEIGHT = 1.0  # cosine of question and sentence beside the weighted share of the question's words
COVERAGE_WEIGHT = 1.0
EMBEDDED_PASSAGES = 6  # sentences of the leading passages are embedded (the answer is in the top 4 for 0.97) ...
EMBEDDED_SENTENCES = 8  # ... the best of them by their words alone (12 ms each here; all ~70 took 1.4 s)
# predicates news writes several ways; general English, one group per meaning (stems compared)
_EQUIVALENT_TEXT = (
    "convict convicted guilty",
    "return returned back rehired rehire reinstated reinstate",
    "fire fired ousted oust dismissed dismiss removed sacked",
    "sue sued lawsuit",
    "win won wins victory beat",
    "resign resigned quit",
    "buy bought acquire acquired acquisition purchase purchased",
    "appoint appointed named hire hired",
    "lure lured poach poached",
)
_CANON = {s: group.split()[0] for group in _EQUIVALENT_TEXT for s in stems(group)}
# a line that points to another story or a video ("MORE: How Joshua Dobbs got his nickname", "WATCH: ...",
# "READ MORE: ..."): a news site's cross-reference, in capitals before a colon, never the article's own statement
CROSS_REFERENCE = re.compile(
    r"^(?:(?:READ|SEE|CLICK|WATCH|LISTEN|ALSO|MORE|RELATED|RECOMMENDED|TRENDING|PHOTOS?|VIDEOS?|LATEST)\b[A-Z0-9 '’&-]*"
    r"|[A-Z][A-Z0-9 '’&-]*\b(?:MORE|ALSO|RELATED|WATCH|READ))\s*:"
)


@dataclass(frozen=True)
class Candidate:
    """One sentence of one retrieved passage, scored as a quote for the question."""

    passage: Passage
    rank: int  # of its passage in the retrieval
    start: int  # offsets of the sentence inside the passage text
    end: int
    overlap: float  # share of the question's words (and a follow-up's context) the sentence contains
    score: float
    coverage: float = 0.0  # rarity-weighted share of the question's terms it holds (title: half)
    similarity: float = 0.0  # cosine with the question (0 when not embedded)

    @property
    def sentence(self) -> str:
        return self.passage.text[self.start : self.end]

    @property
    def day(self) -> str:
        """The ISO day its article was published ("" when unknown)."""
        return self.passage.published[:10]

    @property
    def key(self) -> str:
        """The sentence as compared for duplicates: case, spacing and punctuation ignored."""
        return " ".join(re.sub(r"[^\w\s]", " ", self.sentence.lower()).split())


def canonical(text: str) -> set[str]:
    """The stems of ``text``, an irregular verb's forms reduced to its lemma ("paid" -> "pay", which the stemmer
    leaves apart from "pays"), predicates news writes several ways to one ("ousted" -> "fire")."""
    base = verb_lemmas()
    return {_CANON.get(s, s) for s in stem_words([base.get(w, w) for w in content_words(text)])}


def regular_canonical(text: str) -> set[str]:
    """`canonical` of words that hold no irregular verb form ("denied refused"): needs no English pipeline, so a
    module's word lists are read at import without loading it."""
    return {_CANON.get(s, s) for s in stems(text)}


def question_terms(question: str, skip: Sequence[str] = ()) -> dict[str, float]:
    """The question's terms (canonical stems) weighted by rarity in English; ``skip``: names whose words say where
    to look (outlets), not what is asked."""
    skipped = {w.lower() for name in skip for w in words(name)}
    weights: dict[str, float] = {}
    for word in words(question):
        if word.lower() in skipped:
            continue
        for term in canonical(word):
            weights[term] = max(weights.get(term, 0.0), prior_weight(word))
    return weights


def coverage(terms: dict[str, float], held: set[str], nearby: set[str] = frozenset()) -> float:
    """Rarity-weighted share of ``terms`` in ``held``; a term only ``nearby`` holds counts `TITLE_WEIGHT`."""
    total = sum(terms.values())
    if not total:
        return 0.0
    found = sum(w if t in held else TITLE_WEIGHT * w if t in nearby else 0.0 for t, w in terms.items())
    return found / total


def candidates(
    question: str,
    passages: list[Passage],
    context: str = "",
    *,
    embed: Callable[[list[str]], Sequence] | None = None,
    skip: Sequence[str] = (),
) -> list[Candidate]:
    """Every sentence of ``passages``, best first. ``embed``: texts -> normalised vectors (the question first),
    for the sentences of the leading passages; without it the words alone decide."""
    wanted = word_set(question)
    earlier = word_set(context) - wanted  # a follow-up's subject, at a lower weight than its own words
    weight = (len(wanted) + CONTEXT_WEIGHT * len(earlier)) or 1
    terms = question_terms(f"{question} {context}" if context else question, skip)
    spans = [(rank, p, s, e) for rank, p in enumerate(passages) for s, e in sentence_spans(p.text)]
    found = []
    previous: dict[int, set[str]] = {}
    for rank, passage, start, end in spans:
        text = passage.text[start:end]
        if CROSS_REFERENCE.match(text):
            continue
        sentence_words = word_set(text)
        overlap = (len(wanted & sentence_words) + CONTEXT_WEIGHT * len(earlier & sentence_words)) / weight
        held = canonical(text)
        nearby = canonical(passage.title) | previous.get(rank, set())
        previous[rank] = held
        covered = coverage(terms, held, nearby)
        score = overlap + COVERAGE_WEIGHT * covered + PASSAGE_WEIGHT * passage.score - RANK_PENALTY * rank
        found.append(Candidate(passage, rank, start, end, overlap, score, covered))
    found.sort(key=lambda c: c.score, reverse=True)
    return _by_meaning(question, found, embed)


def _by_meaning(question: str, found: list[Candidate], embed) -> list[Candidate]:
    """The leading sentences by words, re-scored with their cosine to the question, best first."""
    if embed is None:
        return found
    chosen = [c for c in found if c.rank < EMBEDDED_PASSAGES][:EMBEDDED_SENTENCES]
    if not chosen:
        return found
    vectors = np.asarray(embed([question] + [c.sentence for c in chosen]), dtype=np.float32)
    close = {id(c): float(v @ vectors[0]) for c, v in zip(chosen, vectors[1:], strict=True)}
    rescored = [
        replace(c, similarity=close[id(c)], score=c.score + SIMILARITY_WEIGHT * close[id(c)]) if id(c) in close else c
        for c in found
    ]
    return sorted(rescored, key=lambda c: c.score, reverse=True)
