"""Checking a generated answer: split it into sentences with their ``[n]`` citations (also while it streams)
and decide, per sentence, whether the passages it cites support it and whether it bears on the question.

A sentence is supported only when
  * it cites at least one passage, and only passages the model was given;
  * every number it states appears in a cited passage (title and date included);
  * most of its content words (stemmed) appear in the cited passages, or it is close in meaning
    (MiniLM cosine) to one sentence of a cited passage;
  * it shares a content word with the question (or the earlier turn), or is close to it in meaning.
The thresholds were chosen on the model's own answers to dev questions (see ``bench/generate.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from qa.answer.roles import swapped_roles
from qa.core.types import AnswerSentence, Citation, Passage
from qa.text.sentences import sentence_spans
from qa.text.terms import stem_words, word_set

WORD_SHARE = 0.75  # share of a sentence's content words that must appear in its cited passages ...
SIMILARITY = 0.80  # ... or its cosine to one cited sentence (a close paraphrase)
ON_QUESTION = 0.35  # cosine to the question that counts as bearing on it when no content word is shared

_MARKER = re.compile(r"\[\s*(?:passages?\s*)?(\d+(?:\s*[,;]\s*\d+)*)\s*\]", re.IGNORECASE)  # [1], [1, 2], [Passage 1]
_HEADING = re.compile(r"\b(?:outlet|date|title)\s*:|<\s*/?\s*passage", re.IGNORECASE)  # our prompt's labels
_OPEN_MARKER = re.compile(r"\[[\w\s,;]*$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LEAD = re.compile(r"^(?:[-*•]\s+|\d+[.)]\s+)")  # list bullets and numbering the model may write


@dataclass(frozen=True)
class Written:
    """One sentence as the model wrote it: its text without markers and the passage numbers it cites."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Checked:
    """A written sentence with the verdict; ``evidence`` holds the best cited sentence of each cited passage."""

    sentence: AnswerSentence
    evidence: tuple[Citation, ...]
    word_share: float
    similarity: float
    reason: str  # why it is unsupported ("" when supported)


def split_written(text: str) -> list[Written]:
    """The model's answer as sentences with the passages each cites. Markers opening a sentence belong to it
    (the prompted form, "[1] It reopened on Monday."), as do markers inside or at its end; a span of markers
    alone ("... Monday. [1]" at the very end) belongs to the sentence before it."""
    pieces: list[tuple[str, list[int]]] = []
    for start, end in sentence_spans(text):
        raw = text[start:end]
        body = _tidy(_MARKER.sub(" ", raw))
        if body and re.search(r"\w", body):
            pieces.append((body, _cited(raw)))
        elif pieces:
            pieces[-1][1].extend(_cited(raw))
    return [Written(body, tuple(dict.fromkeys(numbers))) for body, numbers in pieces]


def _cited(text: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(text) for n in re.split(r"[,;]", group)]


def _tidy(text: str) -> str:
    text = _LEAD.sub("", " ".join(text.split()).lstrip(" .,;:"))
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


class SentenceStream:
    """Feeds streamed pieces; hands out each sentence once it is complete (the next one has begun)."""

    def __init__(self) -> None:
        self.text = ""
        self.done = 0

    def feed(self, piece: str) -> list[Written]:
        self.text += piece
        written = split_written(_OPEN_MARKER.sub("", self.text))  # "[1" may yet close the sentence before it
        ready = written[self.done : max(self.done, len(written) - 1)]
        self.done += len(ready)
        return ready

    def finish(self) -> list[Written]:
        rest = split_written(self.text)[self.done :]
        self.done += len(rest)
        return rest

    @property
    def pending(self) -> str:
        """What is written but not yet a complete sentence (shown while streaming)."""
        written = split_written(self.text)
        return " ".join(w.text for w in written[self.done :])


class Checker:
    """Checks sentences against the ``passages`` the model was given (``[n]`` is ``passages[n-1]``)."""

    def __init__(self, embeddings, question: str, passages: list[Passage], context: str = "") -> None:
        self.embeddings = embeddings
        self.passages = passages
        self.question_stems = self._stems(f"{question} {context}")
        self._question_vector = None
        self.question = question
        self._sentences: dict[int, tuple[list[tuple[int, int]], np.ndarray]] = {}

    def _stems(self, text: str) -> set[str]:
        return set(stem_words(sorted(word_set(text))))

    def _vectors(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.embeddings.embed_documents(texts), dtype=np.float32)

    def _passage_sentences(self, n: int) -> tuple[list[tuple[int, int]], np.ndarray]:
        if n not in self._sentences:
            passage = self.passages[n - 1]
            spans = sentence_spans(passage.text) or [(0, len(passage.text))]
            self._sentences[n] = (spans, self._vectors([passage.text[a:b] for a, b in spans]))
        return self._sentences[n]

    def check(self, written: Written) -> Checked:
        cited = written.citations
        if not cited:
            return self._verdict(written, (), 0.0, 0.0, "cites no passage")
        if any(n < 1 or n > len(self.passages) for n in cited):
            return self._verdict(written, (), 0.0, 0.0, "cites a passage it was not given")
        sources = [self.passages[n - 1] for n in cited]
        source_text = " ".join(f"{p.title} {p.source} {p.published[:10]} {p.text}" for p in sources)
        claim_stems = self._stems(written.text)
        found = claim_stems & self._stems(source_text)
        share = len(found) / len(claim_stems) if claim_stems else 0.0
        vector = self._vectors([written.text])[0]
        evidence, best = self._evidence(cited, vector)
        if _HEADING.search(written.text):
            return self._verdict(written, evidence, share, best, "copies a passage heading, not an answer")
        if not set(_numbers(written.text)) <= set(_numbers(source_text)):
            return self._verdict(written, evidence, share, best, "states a number its sources do not")
        if share < WORD_SHARE and best < SIMILARITY:
            return self._verdict(written, evidence, share, best, "its cited passages do not say this")
        if best >= SIMILARITY and any(contradiction(written.text, e.sentence) for e in evidence):
            return self._verdict(written, evidence, share, best, "its cited passage says the opposite")
        if not claim_stems & self.question_stems and self._to_question(vector) < ON_QUESTION:
            return self._verdict(written, evidence, share, best, "does not bear on the question")
        return self._verdict(written, evidence, share, best, "")

    def _evidence(self, cited: tuple[int, ...], vector: np.ndarray) -> tuple[tuple[Citation, ...], float]:
        """The closest sentence of each cited passage, and the best cosine among them."""
        evidence, best = [], -1.0
        for n in cited:
            spans, vectors = self._passage_sentences(n)
            scores = vectors @ vector
            i = int(np.argmax(scores))
            best = max(best, float(scores[i]))
            p = self.passages[n - 1]
            a, b = spans[i]
            evidence.append(Citation(n, p, p.text[a:b], p.start + a, p.start + b))
        return tuple(evidence), best

    def _to_question(self, vector: np.ndarray) -> float:
        if self._question_vector is None:
            self._question_vector = self._vectors([self.question])[0]
        return float(self._question_vector @ vector)

    @staticmethod
    def _verdict(written: Written, evidence, share: float, best: float, reason: str) -> Checked:
        sentence = AnswerSentence(written.text, written.citations, supported=not reason)
        return Checked(sentence, evidence, round(share, 3), round(best, 3), reason)


def _numbers(text: str) -> list[str]:
    """Numbers as written without thousands separators or a trailing period ("12,000" -> "12000")."""
    return [n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)]


_NEGATOR = re.compile(r"^(?:not|never|no|none|nor|neither|without|cannot|\w*n't)$", re.IGNORECASE)  # "won't" too
_TOKEN = re.compile(r"n't|\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)?")
NEGATION_SCOPE = 5  # words after a negator it denies ("did not fully win", "not all of them are effective")


# a clause that sets a condition or a concession ("useful if you don't know which console", "despite McCaffrey not
# scoring"): a negator inside it qualifies the statement, it does not deny it
_SUBORDINATE = re.compile(r"^(?:if|unless|despite|although|though|whether|even)$", re.IGNORECASE)
KICKER_WORDS = 5  # words before a colon that open a sentence as its label ("UPDATE:", "Not so fast:")
_CLAUSE_END = re.compile(r"[,;:()\u2014\u2013]")


def _denials(text: str) -> list[tuple[int, list[str]]]:
    """Each main-clause negator's position and the words after it; negators of conditional or concessive clauses
    are left out."""
    text = text.replace("’", "'")
    kicker = text.find(":")  # "Not Sonos fast there: Sonos scored a win": a short lead-in before a colon is a label
    if kicker > 0 and len(_TOKEN.findall(text[:kicker])) <= KICKER_WORDS:
        text = text[kicker + 1 :]
    tokens = list(_TOKEN.finditer(text))
    found, subordinate = [], False
    for i, m in enumerate(tokens):
        if i and _CLAUSE_END.search(text[tokens[i - 1].end() : m.start()]):
            subordinate = False
        word = m.group(0)
        if _SUBORDINATE.match(word):
            subordinate = True
        elif _NEGATOR.match(word) and not subordinate:
            found.append((i, [t.group(0) for t in tokens[i + 1 : i + 1 + NEGATION_SCOPE]]))
    return found


def negates(text: str) -> bool:
    """Whether ``text``'s main clauses hold a negator ("not", "never", "nor", "won't", ...)."""
    return bool(_denials(text))


def negated_stems(text: str) -> set[str]:
    """Stems of the content words a main-clause negator denies: those within `NEGATION_SCOPE` words after it."""
    denied = [word for _, words in _denials(text) for word in words]
    return set(stem_words(sorted(word_set(" ".join(denied)))))


def _anchored_numbers(text: str) -> dict[str, set[str]]:
    """Each number with the stem of the word it counts or names: the word after it ("812 yards"), or the name it
    is joined to by a hyphen ("GPT-3.5"). An ordinal ("16th") or a score ("15-0") counts nothing here."""
    tokens = list(_TOKEN.finditer(text))
    found: dict[str, set[str]] = {}
    for i, m in enumerate(tokens):
        if not m.group(0)[0].isdigit() or text[m.end() : m.end() + 1].isalpha() or text[m.end() : m.end() + 2] == "-":
            continue
        beside = []
        if i > 0 and text[tokens[i - 1].end() : m.start()] == "-" and not tokens[i - 1].group(0)[0].isdigit():
            beside.append(tokens[i - 1].group(0))
        elif i + 1 < len(tokens) and not tokens[i + 1].group(0)[0].isdigit():
            beside.append(tokens[i + 1].group(0))
        found.setdefault(m.group(0).replace(",", "").rstrip("."), set()).update(
            stem_words(sorted(word_set(" ".join(beside))))
        )
    return found


# opposite outcomes and directions of general English, as stems ("won" and "lost", "offense" and "defense")
_OPPOSITE_TEXT = """win lose, won lost, victory defeat, rise fall, rose fell, increase decrease, increased decreased,
higher lower, gain loss, positive negative, improve worsen, offense defense, offensive defensive, approve reject,
approved rejected, guilty innocent, convicted acquitted, open closed, profit loss, surplus deficit, bullish bearish"""
_OPPOSITES = tuple(tuple(stem_words(pair.split())) for pair in _OPPOSITE_TEXT.replace("\n", " ").split(","))


_QUESTION_CLAUSE = re.compile(r"^\W*(?:whether|if)\b", re.IGNORECASE)


ROUNDING = 0.05  # "$26 billion" and "$26.3 billion": one amount, rounded; beyond 5% apart, another number


def _same_amount(a: str, b: str) -> bool:
    """Whether two numbers as written are one amount, one of them rounded (within `ROUNDING` of each other)."""
    try:
        x, y = float(a), float(b)
    except ValueError:
        return a == b
    return x == y or (max(abs(x), abs(y)) > 0 and abs(x - y) <= ROUNDING * max(abs(x), abs(y)))


def contradiction(claim: str, sentence: str) -> str:
    """Why ``sentence`` says the opposite of ``claim`` it is close to ("" when it does not): the opposite outcome or
    direction ("lost" for "won", "defense" for "offense"; "Google lost to Epic" restates "Epic won against Google"),
    another number beside the same word ("GPT-3.5" where the claim says "GPT-2"), the names of one verb swapped
    ("Google won against Epic"), or words the two share denied on one side only (the negator's scope: the few words
    after "not", "never", "n't", "without")."""
    stated, found = _anchored_numbers(claim), _anchored_numbers(sentence)
    for number, beside in stated.items():
        other = sorted(n for n, near in found.items() if near & beside and not _same_amount(n, number))
        if other and number not in found:
            return f"states {other[0]} where the claim says {number}"
    said, written = set(stem_words(sorted(word_set(claim)))), set(stem_words(sorted(word_set(sentence))))
    for a, b in _OPPOSITES:
        for mine, theirs in ((a, b), (b, a)):
            # "Google lost to Epic" for "Epic won against Google": the opposite verb with the names swapped restates
            if mine in said and theirs in written and mine not in written and not swapped_roles(claim, sentence):
                return f"says {theirs} where the claim says {mine}"
    verb = swapped_roles(claim, sentence, same_verb=True)
    if verb:
        return f"swaps who did {verb!r} and to whom"
    if _QUESTION_CLAUSE.match(claim):  # "whether X should have been dismissed" states neither X nor not X
        return ""
    shared = said & written
    in_claim, in_sentence = negated_stems(claim) & shared, negated_stems(sentence) & shared
    # one side negated, the other not at all: a negator whose scope a long sentence outruns ("nor had attempts been
    # made to branch out beyond ...") is still a denial, not the plain statement
    in_claim, in_sentence = (
        (in_claim if not negates(sentence) else set()),
        (in_sentence if not negates(claim) else set()),
    )
    if in_sentence and not in_claim:
        return f"denies {', '.join(sorted(in_sentence))}"
    if in_claim and not in_sentence:
        return f"states {', '.join(sorted(in_claim))} plainly where the claim denies it"
    return ""


def shared_numbers(first: str, second: str) -> bool:
    """Whether two sentences state one number beside the same word ("3 euros" in both)."""
    theirs = _anchored_numbers(second)
    return any(beside & theirs.get(number, set()) for number, beside in _anchored_numbers(first).items())


def word_share(claim: str, text: str) -> float:
    """Share of the content words (stemmed) of ``claim`` that ``text`` holds."""
    wanted = set(stem_words(sorted(word_set(claim))))
    return len(wanted & set(stem_words(sorted(word_set(text))))) / len(wanted) if wanted else 0.0
