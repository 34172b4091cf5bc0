"""What a question, a conversation and the search options must look like, checked once for every way in
(CLI, batch files, the chat and its ``/ask`` API): the same rules, the same messages. Every refusal is a
`BadQuestionError` (exit 2 in the CLI, a `gr.Error` on ``/ask``, a message in the chat)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from qa.core.errors import BadQuestionError
from qa.core.settings import Settings, get_settings
from qa.core.types import NO_FILTERS, Filters
from qa.text.dates import parse_day

ROLES = ("user", "assistant")
MAX_K = 100  # the same cap as QA_TOP_K and `qa ask --k`: more passages add latency, not answers
MAX_OUTLETS = 50  # more outlets than any corpus we index names; bounds the matching work per question
MAX_OUTLET_CHARS = 200  # the loader keeps outlet names to 200 characters, so a longer one never matches
MAX_DATE_CHARS = 100  # "September 30, 2023" is 18: anything this long is not a date, and is never parsed
LLM_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}  # check_llm
TURN_SHAPE = 'each history turn must be {"role": "user" or "assistant", "content": "..."}'
JSON_ESCAPE_FACTOR = 6  # a character may take six in JSON ("\u00e9")
JSON_SLACK = 64_000  # ids, keys, options and envelopes beside the question and its history


@dataclass(frozen=True)
class Options:
    """The search options after every check: CLI flags, the chat's controls, ``/ask``'s arguments."""

    filters: Filters = NO_FILTERS  # outlet names as given: the searcher resolves them in the snapshot that answers
    k: int | None = None  # None: QA_TOP_K
    llm: bool | None = None  # generate with the model server (None: when QA_LLM_URL is set)


NO_OPTIONS = Options()


@dataclass(frozen=True)
class Request:
    """A question and its options after every check (built only by `check_request`): the assistant takes it
    as it is, without checking it again."""

    question: str
    history: tuple[dict, ...] = ()
    filters: Filters = NO_FILTERS  # outlet names as given: the searcher resolves them in the snapshot that answers
    k: int | None = None  # None: QA_TOP_K
    llm: bool | None = None  # generate with the model server (None: when QA_LLM_URL is set)


def check_options(
    *,
    outlets: object = None,
    since: object = None,
    until: object = None,
    k: object = None,
    llm: object = None,
    date_labels: tuple[str, str] = ("", ""),
) -> Options:
    """Raw options as checked `Options`; ``date_labels`` name the date fields in a message ("From: ...")."""
    first, last = check_dates(since, until, labels=date_labels)
    filters = Filters(outlets=check_outlets(outlets), since=first, until=last)
    return Options(filters, check_k(k), check_llm(llm))


def check_request(
    question: object,
    *,
    history: object = None,
    options: Options = NO_OPTIONS,
    settings: Settings | None = None,
) -> Request:
    """Raw question and history (from a command line, a JSON line, the chat or an API call) with checked
    ``options`` (`check_options`) as a `Request`: the one way every entry point builds one."""
    settings = settings or get_settings()
    return Request(
        question=clean_question(question, settings.max_question_chars),
        history=tuple(check_history(history, settings=settings)),
        filters=options.filters,
        k=options.k,
        llm=options.llm,
    )


def max_request_chars(settings: Settings | None = None) -> int:
    """Characters the longest acceptable question with the longest acceptable history can take as JSON:
    a batch line, a ``--history`` file or a request body beyond this is refused without being parsed."""
    settings = settings or get_settings()
    return (settings.max_question_chars + settings.max_history_chars) * JSON_ESCAPE_FACTOR + JSON_SLACK


def clean_question(question: object, max_chars: int) -> str:
    """Refuse empty or oversized questions; drop control characters; keep any script."""
    if question is None or (isinstance(question, str) and not question.strip()):
        raise BadQuestionError("The question is empty.")
    if not isinstance(question, str):
        raise BadQuestionError(f"The question must be text, not {_kind(question)}.")
    if len(question) > max_chars * 4:
        raise BadQuestionError(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    cleaned = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise BadQuestionError("The question is empty.")
    if len(cleaned) > max_chars:
        raise BadQuestionError(
            f"The question is {len(cleaned):,} characters long; the limit is {max_chars:,} (QA_MAX_QUESTION_CHARS)."
        )
    return cleaned


def check_history(history: object, *, settings: Settings | None = None) -> list[dict]:
    """``[{"role": "user" | "assistant", "content": str}, ...]``, oldest first, within
    QA_MAX_HISTORY_TURNS and QA_MAX_HISTORY_CHARS; returned as fresh ``{"role", "content"}`` dicts."""
    if history is None:
        return []
    settings = settings or get_settings()
    if not isinstance(history, list | tuple):
        raise BadQuestionError(f'The history must be a list of {{"role", "content"}} turns, not {_kind(history)}.')
    if len(history) > settings.max_history_turns:
        raise BadQuestionError(
            f"The history has {len(history):,} turns; the limit is {settings.max_history_turns:,} "
            "(QA_MAX_HISTORY_TURNS)."
        )
    turns, total = [], 0
    for number, turn in enumerate(history, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
            raise BadQuestionError(f"History turn {number} is not valid: {TURN_SHAPE}.")
        role = turn.get("role")
        if role not in ROLES:
            shown = repr(role)[:40] if isinstance(role, str) else _kind(role)
            raise BadQuestionError(
                f'History turn {number} has the role {shown}: only "user" and "assistant" turns are accepted.'
            )
        total += len(turn["content"])
        if total > settings.max_history_chars:
            raise BadQuestionError(
                f"The history holds more than {settings.max_history_chars:,} characters (QA_MAX_HISTORY_CHARS)."
            )
        turns.append({"role": role, "content": turn["content"]})
    return turns


def recent_history(turns: list[dict], *, settings: Settings | None = None) -> list[dict]:
    """The latest turns that fit the history limits (the chat keeps its whole conversation on screen,
    but sends only what `check_history` accepts)."""
    settings = settings or get_settings()
    kept: list[dict] = []
    total = 0
    for turn in reversed(turns[-settings.max_history_turns :]):
        total += len(str(turn.get("content", "")))
        if total > settings.max_history_chars:
            break
        kept.append(turn)
    return kept[::-1]


def check_k(k: object) -> int | None:
    """Passages to retrieve: a whole number from 1 to 100 (``2.0`` counts as 2; ``2.5``, ``-1``, ``True`` and
    ``"5"`` are refused); None means the default (QA_TOP_K)."""
    if k is None:
        return None
    if isinstance(k, float) and math.isfinite(k) and k.is_integer():
        k = int(k)
    if isinstance(k, bool) or not isinstance(k, int):
        raise BadQuestionError(f"k must be a whole number from 1 to {MAX_K}, not {_kind(k)}.")
    if not 1 <= k <= MAX_K:
        shown = f"{k:,}" if abs(k) < 10**12 else "a huge number"
        raise BadQuestionError(f"k must be a whole number from 1 to {MAX_K}, not {shown}.")
    return k


def check_llm(llm: object) -> bool | None:
    """Whether a model writes the answer: true/false, or the text or number a form or query string sends
    ("true"/"false", "yes"/"no", "1"/"0", any case); None means the default (on when QA_LLM_URL is set).
    Anything else is refused: "false" must never count as true."""
    if llm is None or isinstance(llm, bool):
        return llm
    if isinstance(llm, int | float) and llm in (0, 1):
        return bool(llm)
    if isinstance(llm, str) and llm.strip().lower() in LLM_WORDS:
        return LLM_WORDS[llm.strip().lower()]
    raise BadQuestionError(f"llm must be true or false (or yes/no, 1/0), not {_kind(llm)}.")


def check_outlets(outlets: object) -> tuple[str, ...]:
    """Outlet names: a list of strings; a single string is one outlet ("TechCrunch", never T, e, c, ...).
    Blank names are dropped; None or an empty list means every outlet."""
    if outlets is None:
        return ()
    if isinstance(outlets, str):
        outlets = [outlets]
    if not isinstance(outlets, list | tuple):
        raise BadQuestionError(f"outlets must be a list of outlet names, not {_kind(outlets)}.")
    if len(outlets) > MAX_OUTLETS:
        raise BadQuestionError(f"{len(outlets):,} outlets given; at most {MAX_OUTLETS} can be chosen.")
    names = []
    for name in outlets:
        if not isinstance(name, str):
            raise BadQuestionError(f"outlets must be a list of outlet names; one of them is {_kind(name)}.")
        name = " ".join(name.split())
        if len(name) > MAX_OUTLET_CHARS:
            raise BadQuestionError(f"An outlet name is {len(name):,} characters long; no indexed outlet is.")
        if name and name not in names:
            names.append(name)
    return tuple(names)


def check_dates(since: object, until: object, *, labels: tuple[str, str] = ("", "")) -> tuple[str | None, str | None]:
    """``since``/``until`` ("2023-10-07", "October 7, 2023", "October 2023") as ISO days; the first day of
    ``since`` and the last of ``until``. An unreadable date or an empty range is refused; ``labels`` name
    the two fields in the message of the one that cannot be read (the chat's "From" and "To")."""
    days = []
    for value, last, label in ((since, False, labels[0]), (until, True, labels[1])):
        try:
            days.append(_check_day(value, last))
        except BadQuestionError as exc:
            raise BadQuestionError(f"{label}: {exc}" if label else str(exc)) from None
    first, final = days
    if first and final and first > final:
        raise BadQuestionError(f"The date range is empty: {first} is after {final}.")
    return first, final


def _check_day(value: object, last: bool) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadQuestionError(f"A date must be text such as 2023-10-07, not {_kind(value)}.")
    value = (value or "").strip()
    if len(value) > MAX_DATE_CHARS:
        raise BadQuestionError(f"Cannot read a {len(value):,}-character date; use 2023-10-07 or 'October 2023'.")
    try:
        return parse_day(value, last=last) if value else None
    except ValueError as exc:
        raise BadQuestionError(str(exc)) from None


def _kind(value: object) -> str:
    """How a refused value is named in a message: its JSON-ish type, never its (possibly huge) content."""
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}
    if isinstance(value, str):
        return f"the text {value[:30]!r}" + ("..." if len(value) > 30 else "")
    if isinstance(value, float) and not math.isfinite(value):
        return "a non-finite number"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e12 else "a number"
    return names.get(type(value), type(value).__name__)
