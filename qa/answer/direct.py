"""The direct answer: the name, number, date, yes/no or claim a cited sentence states, or nothing.

Never a guess: a name, number or date is a span of a cited sentence, verbatim; "Yes"/"No" only when one
sentence states the asked predicate plainly for the asked subject (not hedged, not conditional); a
sentence that reports what someone says gives a claim naming the claimant and the outlet."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from qa.answer.candidates import Candidate, canonical, coverage, question_terms
from qa.answer.claims import HEDGED, NEGATED, PLAIN, REPORTED, Stance, claim_text, stance
from qa.answer.clause import clause_answer
from qa.answer.entity import choose_name, contains_words
from qa.answer.language import lemmas, parse_all, predicate, predicate_objects
from qa.answer.polarity import VERDICT_TERMS, clause_negated, verdict_unstated
from qa.answer.roles import someone_else
from qa.answer.typed import of_kind, stated_words, typed_answer
from qa.core.types import Passage
from qa.text.question import Shape, Wants
from qa.text.terms import prior_weight, stems, words

LEAD_ONLY = ""  # a `Plan` kind: the sentence leads the quotes, but it is no sure answer

SUPPORT_QUOTES = 2  # sentences cited for a name: the best and one more from another article
PREDICATE_COVERAGE = 0.75  # share (by rarity) of the question's words a yes/no sentence must hold
YESNO_SENTENCES = 40  # the best sentences searched for a yes/no statement
LIGHT_VERBS = frozenset({"come", "go", "get", "got", "make", "made", "take", "took", "happen", "happened"})


@dataclass(frozen=True)
class Plan:
    """A direct answer and the sentences behind it (`support`, cited by it); `also` holds the sentences that
    said otherwise earlier when the story changed (shown, not cited by the direct answer)."""

    kind: str  # a `Direct` kind (name, number, date, yes, no, claim) or LEAD_ONLY
    text: str
    support: tuple[Candidate, ...]
    also: tuple[Candidate, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.also)


def plan_direct(
    question: str,
    shape: Shape,
    ranked: list[Candidate],
    passages: list[Passage],
    named_outlets: tuple[str, ...] = (),
    context: str = "",
) -> Plan | None:
    """The direct answer for ``question`` from its ranked sentences, or None; ``context`` is the earlier turn a
    follow-up continues (its names are the subject of "Did he ...?")."""
    if shape.wants == Wants.YESNO:
        return yes_no(question, ranked, named_outlets, context)
    if shape.wants == Wants.DESCRIPTION:
        clause = clause_answer(shape, question, ranked)
        return Plan("description", clause.text, (clause.candidate,)) if clause else None
    if not shape.typed:
        return None
    found = typed_answer(shape, question, ranked)
    if found is not None:
        return Plan(found.kind, found.span.shown, (found.candidate,))
    if shape.wants in (Wants.PERSON, Wants.ORG, Wants.NAME):
        return name_answer(question, ranked, passages, shape)
    return None


STATED_SENTENCES = 8  # the best sentences searched for one that states the asked predicate
UNSTATED_SIMILARITY = 0.7  # a sentence this close to the question states it, whatever its words


def unstated(question: str, shape: Shape, ranked: list[Candidate]) -> bool:
    """A question for a name, a date or a number none of whose best sentences holds its predicate's words: the
    articles are about the topic but do not say the asked fact. Not for a question that names outlets (compose):
    it asks what several reports say together, and its predicate is spread over them (MultiHop-RAG's inference
    questions: false abstention 0.015 -> 0.079 with the rule). (What happened, why and yes/no questions are
    answered in other words too often: "What did the jury decide?" / "found guilty".)"""
    wanted = predicate(question)
    if not shape.typed or not wanted:
        return False
    pool = ranked[:STATED_SENTENCES]
    if any(c.similarity >= UNSTATED_SIMILARITY for c in pool):  # says it in other words
        return False
    return not any(stated_words(wanted, doc) for doc in parse_all([c.sentence for c in pool]))


def name_answer(question: str, ranked: list[Candidate], passages: list[Passage], shape: Shape) -> Plan | None:
    """The name the leading articles share (`choose_name`), cited where a sentence spells it out. When another
    name is about as widely shared, the sentence still leads the quotes but no direct answer is given."""
    choice = choose_name(question, passages)
    entity = choice.name if choice else ""
    if not entity:
        return None
    support: list[Candidate] = []
    for c in ranked:
        if contains_words(c.sentence, entity) and all(c.passage.article_id != s.passage.article_id for s in support):
            support.append(c)
            if len(support) >= SUPPORT_QUOTES:
                break
    if not support:
        return None
    doubtful = not confident(choice.articles, choice.runner_up) or support[0].overlap < NAME_SENTENCE_OVERLAP
    answers = of_kind(entity, support[0], shape)
    if doubtful or not answers:
        # a name of another kind than asked (a place for "who") cannot be the answer: a sentence that states the
        # predicate leads instead, the name's after it (or not at all, from the same article)
        stating = None if answers else _stating_first(question, support[0], ranked)
        return Plan(LEAD_ONLY, "", (stating, support[0]) if stating else support[:1])
    return Plan("name", entity, tuple(support))


def _stating_first(question: str, lead: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """A better-ranked sentence that states the asked predicate when ``lead``, which only names the shared name,
    does not: "Who pays for the repairs?" is answered by "... would be paid by the shipyard", not by the council's
    vote on the route that names the island every article names."""
    wanted = predicate(question)
    above = list(itertools.takewhile(lambda c: c is not lead, ranked[:STATED_SENTENCES]))  # ``lead`` is of ranked
    if not wanted or not above:
        return None
    docs = parse_all([lead.sentence, *(c.sentence for c in above)])
    if stated_words(wanted, docs[0]):
        return None
    return next((c for c, doc in zip(above, docs[1:], strict=True) if stated_words(wanted, doc)), None)


NAME_SENTENCE_OVERLAP = 0.01  # the sentence naming it must share a word with the question, not just the topic
NAME_LEAD = 1.5  # the name must be shared by this many times the articles of the runner-up
NAME_MIN_ARTICLES = 4  # with NAME_LEAD: 0.067 of dev inference questions get a wrong name, 0.50 the right one


def confident(articles: int, runner_up: int) -> bool:
    return articles >= NAME_MIN_ARTICLES and articles >= NAME_LEAD * runner_up


def yes_no(question: str, ranked: list[Candidate], named_outlets: tuple[str, ...], context: str = "") -> Plan | None:
    """Yes/No from the latest sentence stating the predicate; a claim when that sentence reports what someone
    says. When dated sentences disagree, the latest decides and the earlier ones come along in `also`."""
    subject = subject_names(question, named_outlets) + subject_names(context, named_outlets)
    if not subject:  # "Did he ...?" with no one named anywhere: whose predicate it is cannot be checked
        return None
    wanted = predicate(question)
    terms = question_terms(question, named_outlets)
    stated = [
        c
        for c in ranked[:YESNO_SENTENCES]
        if states(question, c.sentence, named_outlets, subject) or _states_by_parse(c, wanted, subject, terms)
    ]
    # "Brightwater won its lawsuit against Corvid" holds every word of "Did Corvid win its lawsuit against
    # Brightwater?" and has another actor win: it answers nothing about the asked statement
    stated = [c for c in stated if not someone_else(question, c.sentence)]
    matches = [(c, stance(c.sentence, question)) for c in stated]
    matches = [(c, s) for c, s in matches if s.kind != HEDGED]
    matches = clause_polarity(question, matches, subject)
    if not matches:
        return None
    matches.sort(key=lambda m: (m[0].day, m[0].score), reverse=True)
    latest, how = matches[0]
    if how.kind == REPORTED:
        return Plan("claim", claim_text(how.claimant, latest.passage.source), (latest,))
    verdict = {PLAIN: "yes", NEGATED: "no"}[how.kind]
    agreeing = [c for c, s in matches if {PLAIN: "yes", NEGATED: "no"}.get(s.kind) == verdict]
    earlier = [c for c, s in matches if s.kind in (PLAIN, NEGATED) and {PLAIN: "yes", NEGATED: "no"}[s.kind] != verdict]
    earlier = [c for c in earlier if c.day and c.day < latest.day][:1]
    return Plan(verdict, verdict.capitalize(), tuple(agreeing[:SUPPORT_QUOTES]), tuple(earlier))


YESNO_COVERAGE = 0.5  # a long question's sentence holds this share of its words itself (by rarity) ...


def _states_by_parse(c: Candidate, wanted: frozenset[str], subject: list[str], terms: dict[str, float]) -> bool:
    """... one of the names it asks about (sentence or title) and its predicate's verb (the parse's lemma). The
    title does not count: a sentence that denies something must deny the asked statement, not a nearby one."""
    if not wanted or coverage(terms, canonical(c.sentence)) < YESNO_COVERAGE:
        return False
    if not any(contains_words(f"{c.passage.title} {c.sentence}", name) for name in subject):
        return False
    return bool(wanted & lemmas(parse_all([c.sentence])[0]))


def clause_polarity(question: str, matches: list, subject: list[str]) -> list:
    """A plain or negated reading corrected by the parse: the polarity of the clause stating the predicate. Asked
    for a verdict, a sentence whose only clauses holding it are a plea, a charge or a denial is dropped."""
    named = {t for name in subject for t in canonical(name)}
    wanted = predicate(question) | predicate_objects(question)
    predicate_terms = canonical(" ".join(wanted)) if wanted else set()
    predicate_terms = predicate_terms or {t for t in canonical(question) if t not in named and t not in LIGHT_VERBS}
    verdict = bool(predicate_terms & VERDICT_TERMS)  # then a reported plea is no claim of a verdict either
    parsed = [i for i, (_, how) in enumerate(matches) if verdict or how.kind in (PLAIN, NEGATED)]
    docs = parse_all([matches[i][0].sentence for i in parsed])
    out = list(matches)
    dropped = set()
    for i, doc in zip(parsed, docs, strict=True):
        if verdict and verdict_unstated(doc, predicate_terms):
            dropped.add(i)
            continue
        negated = clause_negated(doc, predicate_terms) if out[i][1].kind in (PLAIN, NEGATED) else None
        if negated is not None:
            out[i] = (matches[i][0], Stance(NEGATED if negated else PLAIN))
    return [m for i, m in enumerate(out) if i not in dropped]


def states(question: str, sentence: str, named_outlets: tuple[str, ...] = (), subject: list[str] | None = None) -> bool:
    """Whether ``sentence`` holds the question's predicate for its subject: every name the question uses
    (its last word) and `PREDICATE_COVERAGE` of its other words by rarity, predicates compared by meaning."""
    outlet_words = {w.lower() for name in named_outlets for w in words(name)}
    tokens = [w for w in words(question) if w.lower() not in outlet_words]
    said = canonical(sentence)
    names = subject if subject is not None else _names(tokens)
    if not all(set(stems(name)) & said for name in names):
        return False
    named = {w for run in _name_runs(tokens) for w in run}
    asked = [w for w in tokens[1:] if w not in named and w.lower() not in LIGHT_VERBS and stems(w)]
    weights = {min(canonical(w)): prior_weight(w) for w in asked}
    total = sum(weights.values())
    if not total:
        return False
    return sum(weight for s, weight in weights.items() if s in said) / total >= PREDICATE_COVERAGE


def _name_runs(tokens: list[str]) -> list[list[str]]:
    """Runs of capitalised words after the first word ("Did Tom Becker return" -> [["Tom", "Becker"]])."""
    runs, run = [], []
    for word in tokens[1:] + [""]:
        if word[:1].isupper():
            run.append(word)
        elif run:
            runs.append(run)
            run = []
    return runs


def subject_names(question: str, named_outlets: tuple[str, ...] = ()) -> list[str]:
    """The names a question is about, outlets aside (their last words: "Sam Bankman-Fried" -> "Bankman-Fried")."""
    outlet_words = {w.lower() for name in named_outlets for w in words(name)}
    return _names([w for w in words(question) if w.lower() not in outlet_words])


def _names(tokens: list[str]) -> list[str]:
    """The last word of each name the question uses ("Sam Bankman-Fried" -> "Bankman-Fried")."""
    return [run[-1] for run in _name_runs(tokens)]
