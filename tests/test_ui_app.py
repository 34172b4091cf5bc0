"""The running chat app through `gradio_client`: the ``/ask`` API answers with citations, same JSON as the CLI."""

from __future__ import annotations

import json

import pytest
from corpora import serve_copy
from server_fixtures import free_port

from qa.answer.assistant import Assistant

pytestmark = pytest.mark.slow
BRIDGE_QUESTION = "How much money did the Harbor City council approve to repair the Old Mill Bridge?"


@pytest.fixture(scope="module")
def served(indexed_corpus, tmp_path_factory):
    """One app per module, on a copy of the indexed fixture corpus."""
    demo, live, settings = serve_copy(indexed_corpus, tmp_path_factory.mktemp("served"), reload_interval=0.5)
    yield settings, f"http://127.0.0.1:{settings.port}/"
    demo.close()
    live.close()


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    return Client(served[1], verbose=False)


def test_api_answers_with_a_citation_of_the_article(client):
    result = client.predict(BRIDGE_QUESTION, api_name="/ask")
    assert result["abstained"] is False
    assert "[1]" in result["answer"]
    cited = [c for c in result["citations"] if "$40 million" in c["sentence"]]
    assert cited, result["citations"]
    assert cited[0]["title"] == "Harbor City council approves $40 million bridge repair plan"
    assert cited[0]["url"] == "https://harborcitygazette.example/news/bridge-repair-plan"
    c = cited[0]
    assert c["excerpt"][c["highlight"][0] : c["highlight"][1]] == c["sentence"]


def test_api_json_is_the_cli_json(client, served, indexed_corpus):
    from typer.testing import CliRunner

    from qa.serve.cli import app

    api = client.predict(BRIDGE_QUESTION, api_name="/ask")
    assert api == Assistant(indexed_corpus).ask(BRIDGE_QUESTION).to_json()
    data = indexed_corpus.data_dir
    run = CliRunner().invoke(app, ["ask", BRIDGE_QUESTION, "--json", "--data-dir", str(data)])
    assert run.exit_code == 0, run.output
    assert api == json.loads(run.stdout.strip().splitlines()[-1])
    options = ["--outlet", "Coastal Daily", "--since", "March 2024", "--k", "4"]
    run = CliRunner().invoke(app, ["ask", BRIDGE_QUESTION, "--json", *options, "--data-dir", str(data)])
    assert run.exit_code == 0, run.output
    filtered = client.predict(BRIDGE_QUESTION, ["Coastal Daily"], "March 2024", None, 4, api_name="/ask")
    assert filtered == json.loads(run.stdout.strip().splitlines()[-1])
    assert filtered != api and len(filtered["passages"]) <= 4  # the options really reached both sides


def test_api_filters_restrict_outlets_and_dates(client):
    only = client.predict(BRIDGE_QUESTION, ["coastal daily"], api_name="/ask")  # read as `qa ask --outlet` reads it
    assert {c["source"] for c in only["citations"]} <= {"Coastal Daily"}
    assert {p["source"] for p in only["passages"]} == {"Coastal Daily"}
    dated = client.predict(question="e-bike battery recall", since="November 2023", until="2023-11-30", api_name="/ask")
    assert dated["passages"] and all(p["published_at"].startswith("2023-11") for p in dated["passages"])


def test_api_errors_are_plain_messages(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="The question is empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="Cannot read the date"):
        client.predict(BRIDGE_QUESTION, None, "last Tuesday", api_name="/ask")


def test_api_follow_up_uses_history(client):
    history = [
        {"role": "user", "content": "Why is Nimbus recalling its Model S e-bikes?"},
        {"role": "assistant", "content": "Gadget Report: “...” [1]"},
    ]
    follow = client.predict(
        "How many reports of overheating did the company receive?", None, None, None, 3, history, api_name="/ask"
    )
    assert follow["citations"] and follow["citations"][0]["article_id"] == "tech-001"
    assert len(follow["passages"]) <= 3


def test_only_the_ask_endpoint_is_public(client):
    info = client.view_api(return_format="dict", print_info=False)
    assert list(info["named_endpoints"]) == ["/ask"]


def test_login_is_required_when_qa_auth_is_set(served):
    from gradio_client import Client

    from qa.serve.ui.start import serve

    settings, _ = served
    secured = settings.model_copy(update={"port": free_port(), "auth": "ana:s3cret:with-colon"})
    demo, live = serve(secured, block=False)
    try:
        url = f"http://127.0.0.1:{secured.port}/"
        with pytest.raises(Exception, match="(?i)login|auth|401|credentials"):
            Client(url, verbose=False).predict(BRIDGE_QUESTION, api_name="/ask")
        with pytest.raises(Exception, match="(?i)login|auth|401|credentials|incorrect"):
            Client(url, auth=("ana", "wrong"), verbose=False)
        answer = Client(url, auth=("ana", "s3cret:with-colon"), verbose=False).predict(BRIDGE_QUESTION, api_name="/ask")
        assert answer["citations"]
    finally:
        demo.close()
        live.close()


def test_parse_auth():
    from qa.core.errors import QAError
    from qa.serve.ui.blocks import parse_auth

    assert parse_auth(None) is None
    assert parse_auth("u:p:q") == ("u", "p:q")
    for bad in ("nopassword", ":p", "u:"):
        with pytest.raises(QAError, match="user:password"):
            parse_auth(bad)


def test_batch_lines_ask_json_and_the_api_carry_the_same_keys(client, indexed_corpus, tmp_path):
    from typer.testing import CliRunner

    from qa.serve.cli import app

    data = str(indexed_corpus.data_dir)
    questions, answers = tmp_path / "questions.jsonl", tmp_path / "answers.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": BRIDGE_QUESTION}) + "\n")
    run = CliRunner().invoke(app, ["ask", "--batch", str(questions), "--out", str(answers), "--data-dir", data])
    assert run.exit_code == 0, run.output
    line = json.loads(answers.read_text().splitlines()[0])
    run = CliRunner().invoke(app, ["ask", BRIDGE_QUESTION, "--json", "--data-dir", data])
    assert run.exit_code == 0, run.output
    cli = json.loads(run.stdout.strip().splitlines()[-1])
    api = client.predict(BRIDGE_QUESTION, api_name="/ask")
    assert line.pop("id") == "q1"
    assert set(line) == set(cli) == set(api) >= {"question", "answer", "direct", "notice", "citations", "passages"}
    assert line["direct"] == cli["direct"] == api["direct"]
