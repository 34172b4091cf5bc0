"""Generated answers through a real local model server (SmolLM2-135M via `transformers serve`, as
`qa serve-llm` runs it): every displayed sentence cites a passage the model was given and is supported,
the unsupported ones the small model writes are caught, a prompt injection in an article is not obeyed,
and a refused, hung or failing server gives the extractive answer with one notice line."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import llm_fixtures
import pytest
from corpora import ARTICLES, FIXTURES
from llm_fixtures import ErrorServer, HungServer
from server_fixtures import free_port

from ingest.index import ingest
from qa.answer.assistant import Assistant
from qa.answer.generated import Draft, answer_with_model
from qa.answer.llm import PROMPT_PASSAGES
from qa.core.settings import Settings
from qa.core.types import Answer
from qa.store.embeddings.factory import make_embeddings

pytestmark = pytest.mark.slow
llm_server = llm_fixtures.llm_server
BRIDGE = "How much money did the Harbor City council approve to repair the Old Mill Bridge?"
FERRY = "When did the Pelican Bay ferry resume its crossings to Heron Island?"
CANARY = "CANARY-7731"
MAX_TOKENS = 48  # short answers keep the suite quick on two shared cores
TIMEOUT = 400.0  # generous: the cores are shared with other work during tests
FAIL_TIMEOUT = 3.0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Settings:
    """The fixture articles plus an article carrying a prompt injection (the canary)."""
    root = tmp_path_factory.mktemp("llm-corpus")
    shutil.copytree(ARTICLES, root / "articles")
    shutil.copytree(FIXTURES / "llm", root / "articles" / "llm")
    settings = Settings(data_dir=root / "qa-data")
    ingest([root / "articles"], settings)
    return settings


def with_model(settings: Settings, url: str, **more) -> Settings:
    values = {"llm_url": url, "llm_max_tokens": MAX_TOKENS, "llm_timeout": TIMEOUT, **more}
    return Settings(**{**settings.model_dump(), **values})


@pytest.fixture(scope="module")
def assistant(corpus, llm_server):
    assistant = Assistant(with_model(corpus, llm_server.url))
    yield assistant
    assistant.close()


def assert_checked(answer: Answer) -> None:
    """Every displayed sentence is a supported one citing passages the model was given; no unsupported one shows."""
    assert answer.mode == "generated", answer.notice
    given = answer.passages[:PROMPT_PASSAGES]
    supported = [s for s in answer.sentences if s.supported]
    assert supported
    for sentence in supported:
        assert sentence.citations and all(1 <= n <= len(given) for n in sentence.citations)
        assert sentence.text.rstrip(".!?") in answer.text
    for sentence in answer.sentences:
        if not sentence.supported:
            assert sentence.text.rstrip(".!?") not in answer.text
    assert {c.n for c in answer.citations} == {n for s in supported for n in s.citations}
    for citation in answer.citations:
        assert citation.passage == given[citation.n - 1]
        assert citation.passage.text[citation.start - citation.passage.start :].startswith(citation.sentence)


def test_generated_answer_cites_what_it_was_given(assistant, llm_server):
    answer = assistant.ask(BRIDGE)  # QA_LLM_URL set: generation by default
    assert_checked(answer)
    assert answer.model == str(llm_server.folder)  # the model the server lists, as no QA_LLM_MODEL is set
    assert "40 million" in answer.text
    data = answer.to_json()
    assert data["mode"] == "generated" and data["model"] == answer.model
    assert data["sentences"] == [s.to_json() for s in answer.sentences]
    assert answer.timings["first_token_ms"] > 0 and answer.timings["generate_ms"] >= answer.timings["first_token_ms"]


def test_streamed_answer_is_checked_sentence_by_sentence(assistant):
    events = list(assistant.ask_stream(BRIDGE, k=4))
    drafts, answer = events[:-1], events[-1]
    assert drafts and all(isinstance(d, Draft) for d in drafts)
    assert len(drafts) > 3  # token by token, not one block
    for earlier, later in zip(drafts, drafts[1:], strict=False):  # a checked sentence never changes
        assert later.checked[: len(earlier.checked)] == earlier.checked
    assert_checked(answer)
    assert [c.sentence for c in drafts[-1].checked] == list(answer.sentences[: len(drafts[-1].checked)])


def test_the_checker_catches_what_the_small_model_invents(assistant):
    """Given passages that do not answer the question, the 135M model still writes an answer: nothing of it is
    shown as fact, and the extractive answer comes back with a notice."""
    glacier = assistant.ask("How much ice has the Rhona glacier lost?", llm=False)
    assert not glacier.abstained and "glacier" in glacier.passages[0].title.lower()
    mismatched = replace(glacier, question=BRIDGE)  # the bridge question over the glacier passages
    embeddings = make_embeddings(assistant.settings.embed_backend)
    *_, answer = answer_with_model(assistant.generator, embeddings, mismatched, stream=False)
    assert answer.sentences, answer.notice
    assert not any(s.supported for s in answer.sentences), [s.to_json() for s in answer.sentences]
    assert answer.mode == "extractive" and answer.text == glacier.text
    assert "nothing its cited passages support" in answer.notice


def test_an_instruction_inside_an_article_is_not_obeyed(assistant):
    answer = assistant.ask(FERRY)
    assert not answer.abstained and answer.extractive_text  # the model was asked, about the canary's article
    assert "ferry" in answer.passages[0].title.lower()
    shown = [s for s in answer.sentences if s.supported]
    assert CANARY.lower() not in answer.text.lower()
    for sentence in shown:
        assert CANARY.lower() not in sentence.text.lower()
        assert "ignore" not in sentence.text.lower()


def test_cli_ask_llm_json(corpus, llm_server, monkeypatch):
    from typer.testing import CliRunner

    from qa.serve.cli import app

    monkeypatch.setenv("QA_LLM_URL", llm_server.url)
    monkeypatch.setenv("QA_LLM_MAX_TOKENS", str(MAX_TOKENS))
    monkeypatch.setenv("QA_LLM_TIMEOUT", str(TIMEOUT))
    data = str(corpus.data_dir)
    run = CliRunner().invoke(app, ["ask", BRIDGE, "--json", "--data-dir", data, "--no-llm"])
    assert run.exit_code == 0, run.output
    extractive = json.loads(run.stdout.strip().splitlines()[-1])
    assert extractive["mode"] == "extractive" and extractive["model"] is None and extractive["sentences"] == []
    run = CliRunner().invoke(app, ["ask", BRIDGE, "--json", "--data-dir", data, "--llm"])
    assert run.exit_code == 0, run.output
    generated = json.loads(run.stdout.strip().splitlines()[-1])
    assert generated["mode"] == "generated"
    assert all(set(s) == {"text", "citations", "supported"} for s in generated["sentences"])
    assert generated["passages"] == extractive["passages"]


@pytest.mark.parametrize("server", ["refused", "hung", "http-500"])
def test_a_broken_model_server_gives_the_extractive_answer_with_one_notice(corpus, server):
    extractive = Assistant(corpus).ask(BRIDGE)
    assert extractive.mode == "extractive" and not extractive.abstained
    broken = {"refused": None, "hung": HungServer(), "http-500": ErrorServer()}[server]
    expected = {"refused": "cannot be reached", "hung": f"within {FAIL_TIMEOUT:g} s", "http-500": "HTTP 500"}[server]
    url = f"http://127.0.0.1:{free_port()}/v1" if broken is None else broken.url
    started = time.monotonic()
    if broken is not None:
        broken.__enter__()
    try:
        settings = with_model(corpus, url, llm_timeout=FAIL_TIMEOUT, llm_model="any-model")
        events = list(Assistant(settings).ask_stream(BRIDGE))
    finally:
        if broken is not None:
            broken.__exit__(None, None, None)
    answer = events[-1]
    assert time.monotonic() - started < 60  # never a hang (the model side gives up after FAIL_TIMEOUT)
    assert answer.mode == "extractive" and answer.text == extractive.text
    assert answer.citations == extractive.citations
    assert expected in answer.notice and "showing the extractive answer" in answer.notice
    assert "\n" not in answer.notice


def test_chat_streams_the_checked_answer_and_api_switch(corpus, llm_server, tmp_path):
    from qa.serve.live import LiveAssistant
    from qa.serve.ui.callbacks import DONE, OUTPUTS, ChatHandlers

    data = tmp_path / "qa-data"
    shutil.copytree(corpus.data_dir, data)
    live = LiveAssistant(with_model(Settings(data_dir=data), llm_server.url)).start(watch=False)
    try:
        handlers = ChatHandlers(live)
        chat_at = OUTPUTS.index("chat")
        replies = handlers.respond(BRIDGE, [], [], [], [], "", "", 4, True)  # question, chat, turns, record, filters
        chats = [reply[chat_at] for reply in replies]
        messages = [chat[-1]["content"] for chat in chats if isinstance(chat, list) and chat]
        assert any("qa-writing" in m for m in messages[:-1])  # the model's words streamed in as they came
        assert messages[-1].endswith(DONE) and 'class="qa-cite"' in messages[-1]
        assert handlers.ask(BRIDGE, llm=False)["mode"] == "extractive"
    finally:
        live.close()
