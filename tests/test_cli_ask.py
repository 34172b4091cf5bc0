"""``qa ask`` and ``qa eval`` as a user runs them: output formats, the batch file, bad input, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.eval_natural import direct_is_right
from qa.serve.cli import app


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def ask(runner: CliRunner, settings, *args: str):
    return runner.invoke(app, ["ask", *args, "--data-dir", str(settings.data_dir)])


def test_ask_json_has_the_public_shape(runner, indexed_corpus):
    result = ask(runner, indexed_corpus, "How many e-bikes is Nimbus recalling?", "--json", "--k", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"question", "answer", "abstained", "evidence_score", "citations", "passages"} <= set(data)
    assert data["abstained"] is False and len(data["passages"]) == 3
    citation = data["citations"][0]
    assert citation["source"] == "Gadget Report" and f"[{citation['n']}]" in data["answer"]
    lo, hi = citation["highlight"]
    assert citation["excerpt"][lo:hi] == citation["sentence"]


def test_ask_readable_output_names_outlet_and_offsets(runner, indexed_corpus):
    result = ask(runner, indexed_corpus, "How many e-bikes is Nimbus recalling?")
    assert result.exit_code == 0, result.output
    assert "Gadget Report" in result.stdout and "[1]" in result.stdout and "characters" in result.stdout


def test_ask_outlet_and_date_options_filter(runner, indexed_corpus):
    result = ask(runner, indexed_corpus, "bridge repairs", "--outlet", "coastal daily", "--json")
    assert result.exit_code == 0, result.output
    assert {p["source"] for p in json.loads(result.stdout)["passages"]} == {"Coastal Daily"}
    result = ask(runner, indexed_corpus, "news", "--since", "November 2023", "--until", "2023-11-30", "--json")
    assert result.exit_code == 0, result.output
    assert {p["article_id"] for p in json.loads(result.stdout)["passages"]} == {"tech-001"}


def test_ask_with_history_file(runner, indexed_corpus, tmp_path):
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "What happened to the Rhona glacier?"}]))
    result = ask(runner, indexed_corpus, "And what could happen by 2080?", "--history", str(history), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["passages"][0]["article_id"] == "sci-001"
    history.write_text('{"role": "user"}')
    result = ask(runner, indexed_corpus, "And then?", "--history", str(history))
    assert result.exit_code == 2 and "history" in result.output and "Traceback" not in result.output


def test_batch_writes_one_line_per_question_and_skips_bad_lines(runner, indexed_corpus, tmp_path):
    questions = tmp_path / "q.jsonl"
    lines = [
        {"id": "a", "question": "How many e-bikes is Nimbus recalling?"},
        {"query_id": "b", "query": "Who won the cup final?"},
        "not json",
        {"id": "c", "question": "   "},
        {
            "id": "d",
            "question": "And when was it founded?",
            "history": [{"role": "user", "content": "Who won the cup?"}],
        },
        {"id": "e", "question": "x", "history": "not a list"},
    ]
    questions.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    answers = tmp_path / "a.jsonl"
    result = runner.invoke(
        app,
        [
            "ask",
            "--batch",
            str(questions),
            "--out",
            str(answers),
            "--k",
            "4",
            "--data-dir",
            str(indexed_corpus.data_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in answers.read_text().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "d"]
    for record in out:
        assert {"id", "answer", "abstained", "citations", "passages"} <= set(record)
        assert len(record["passages"]) == 4
        assert set(record["passages"][0]) >= {"text", "title", "source", "url", "published_at", "start", "end", "score"}
    assert out[2]["passages"][0]["article_id"] == "sport-001"
    assert "line 3" in result.output and "id c" in result.output and "line 6" in result.output
    assert "3 answers written" in result.output


@pytest.mark.parametrize(
    ("question", "code", "message"),
    [
        ("", 2, "empty"),
        ("   \t\n ", 2, "empty"),
        ("x" * 100_000, 2, "limit"),
    ],
)
def test_bad_questions_get_a_message_and_exit_code(runner, indexed_corpus, question, code, message):
    result = ask(runner, indexed_corpus, question)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


def test_control_characters_are_dropped_and_another_script_gets_a_note(runner, indexed_corpus):
    result = ask(runner, indexed_corpus, "How many\x00 e-bikes\x1b is Nimbus\x07 recalling?", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["question"] == "How many e-bikes is Nimbus recalling?"
    result = ask(runner, indexed_corpus, "Сколько велосипедов отзывает Nimbus?", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert "Cyrillic" in data["notice"]
    # the one Latin word still finds its article; nothing else may be quoted
    assert data["abstained"] or {c["article_id"] for c in data["citations"]} == {"tech-001"}


def test_unknown_outlet_bad_date_and_missing_arguments(runner, indexed_corpus, tmp_path):
    result = ask(runner, indexed_corpus, "bridge", "--outlet", "Daily Planet")
    assert result.exit_code == 2 and "Coastal Daily" in result.output
    result = ask(runner, indexed_corpus, "bridge", "--since", "someday")
    assert result.exit_code == 2 and "Cannot read the date" in result.output
    assert runner.invoke(app, ["ask", "--data-dir", str(indexed_corpus.data_dir)]).exit_code == 2
    result = runner.invoke(app, ["ask", "--batch", str(tmp_path / "none.jsonl"), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--out" in result.output


def test_empty_index_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(app, ["ask", "anything?", "--data-dir", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "index is empty" in result.output and "Traceback" not in result.output


def test_eval_reports_metrics_per_question_type(runner, indexed_corpus, tmp_path):
    dataset = tmp_path / "dev.jsonl"
    fact = "Nimbus Mobility is recalling about 30,000 of its Model S e-bikes"
    rows = [
        {
            "query_id": "q1",
            "query": "How many e-bikes is Nimbus recalling?",
            "answer": "Nimbus Mobility",
            "question_type": "inference_query",
            "gold_doc_ids": ["tech-001"],
            "evidence": [{"doc_id": "tech-001", "fact": fact}],
        },
        {"query_id": "q2", "query": "What is the best sourdough recipe with rye?", "question_type": "null_query"},
        {
            "id": "f1",
            "history": [{"role": "user", "content": "What happened to the Rhona glacier?"}],
            "question": "And what did Science Weekly say about it?",
            "gold_doc_ids": ["sci-001"],
            "outlet": "Science Weekly",
        },
    ]
    dataset.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n")
    result = runner.invoke(app, ["eval", str(dataset), "--json", "--data-dir", str(indexed_corpus.data_dir)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["questions"] == 3 and summary["skipped"] == 1
    overall = summary["overall"]
    assert overall["hits@4"] == 1.0 and overall["mrr@10"] == 1.0 and overall["doc_recall@10"] == 1.0
    assert overall["null_abstention"] == 1.0 and overall["false_abstention"] == 0.0
    assert overall["answer_contains_gold"] == 1.0 and overall["followup@4"] == 1.0
    assert set(summary["by_type"]) == {"inference_query", "null_query", "followup"}
    assert summary["latency_ms"]["p50"] > 0 and summary["passage_tokens"]["max"] <= 256


NATURAL_KEYS = {
    "direct_right",
    "direct_wrong",
    "direct_precision",
    "first_quote_has_gold",
    "quotes_have_gold",
    "gold_sentence_cited",
    "unanswerable_abstained",
    "unanswerable_with_direct",
    "by_kind",
}


def test_eval_scores_natural_questions(runner, indexed_corpus):
    dataset = Path(__file__).parent / "fixtures" / "natural" / "questions.jsonl"
    result = runner.invoke(app, ["eval", str(dataset), "--json", "--data-dir", str(indexed_corpus.data_dir)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary) >= NATURAL_KEYS
    assert summary["answerable"] == 4 and summary["unanswerable"] == 1 and summary["skipped"] == 0
    assert set(summary["by_kind"]) == {"number", "when", "yesno", "who"}
    assert all(set(counts) == {"n", "right", "wrong"} for counts in summary["by_kind"].values())
    assert all(0.0 <= summary[name] <= 1.0 for name in NATURAL_KEYS - {"by_kind"})
    assert summary["unanswerable_abstained"] == 1.0 and summary["unanswerable_with_direct"] == 0.0
    assert summary["quotes_have_gold"] > 0 and summary["gold_sentence_cited"] > 0
    readable = runner.invoke(app, ["eval", str(dataset), "--data-dir", str(indexed_corpus.data_dir)])
    assert readable.exit_code == 0 and "direct_precision" in readable.stdout and "yesno" in readable.stdout


@pytest.mark.parametrize(
    ("gold", "direct", "kind", "right"),
    [
        ("seven counts", "7 counts", "number", True),  # number words up to twenty
        ("Oct. 20", "October 20", "when", True),  # month abbreviations
        ("14% of adults", "14%", "number", True),  # a shorter span holding the gold's number
        ("Craig Counsell", "Counsell", "who", True),  # half of the gold's words
        ("the Brewers", "Brewers", "who", True),  # a leading "the"
        ("a broken brake rotor", "rotor", "why", False),  # a quarter of the words, no number
        ("yes", "No [1]", "yesno", False),
        ("no", "No, as reported by CNBC", "yesno", True),
        ("2-7", "", "number", False),
    ],
)
def test_natural_direct_answers_are_scored_by_the_dataset_rules(gold, direct, kind, right):
    assert direct_is_right(gold, direct, kind) is right
