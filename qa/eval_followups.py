"""Two-turn conversations whose second turn leans on the first with a pronoun ("Who is she dating?"): our own
format, one JSON object a line, ``{"id", "turns": [{"question", "gold_urls": [...]}, ...]}``. The turns are asked
in order as in a chat (each earlier turn and the assistant's answer to it are the history of the next); the
metric is a gold article among the top 4 passages, per turn (``turn1@4``, ``turn2@4``)."""

from __future__ import annotations

import time

from qa.search.validate import Options, check_request

FOLLOWUP_K = 4  # the follow-up metric's cut-off, as for dev-followups.jsonl


def conversation_turns(record: dict) -> tuple[dict, ...]:
    """The checked turns of a conversation record: each a question with its gold article URLs."""
    turns = record.get("turns")
    if not isinstance(turns, list) or len(turns) < 2:
        raise ValueError('"turns" must list at least two {"question", "gold_urls"} turns')
    checked = []
    for turn in turns:
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str):
            raise ValueError('each turn needs a "question" string')
        urls = turn.get("gold_urls") or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ValueError('"gold_urls" must be a list of URLs')
        checked.append({"question": turn["question"], "gold_urls": tuple(urls)})
    return tuple(checked)


def conversation_row(assistant, example, k: int) -> dict:
    """Ask the turns in order; per turn, whether a gold article's URL is among the top `FOLLOWUP_K` passages."""
    history: list[dict] = []
    row: dict = {"id": example.id, "kind": "conversation", "abstained": False}
    started = time.perf_counter()
    for n, turn in enumerate(example.turns, start=1):
        answer = assistant.ask(check_request(turn["question"], history=history or None, options=Options(k=k)))
        urls = [p.url for p in answer.passages[:FOLLOWUP_K]]
        row[f"turn{n}@4"] = float(bool(set(turn["gold_urls"]) & set(urls)))
        row["abstained"] = answer.abstained
        history += [{"role": "user", "content": turn["question"]}, {"role": "assistant", "content": answer.text}]
    row["ms"] = (time.perf_counter() - started) * 1000
    return row
