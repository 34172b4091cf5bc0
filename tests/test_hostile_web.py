"""Issue 14 on the web: ``/ask`` refuses what the CLI refuses with the same message, the chat shows it, wrong
passwords slow a client down, and nothing can be uploaded."""

from __future__ import annotations

import httpx
import pytest
from corpora import serve_copy
from typer.testing import CliRunner

from qa.core.settings import Settings
from qa.serve.cli import app
from qa.serve.ui.callbacks import OUTPUTS, ChatHandlers
from qa.serve.ui.guard import FREE_ATTEMPTS, LoginThrottle
from qa.serve.ui.safe import text

pytestmark = pytest.mark.slow
BRIDGE = "How much money did the Harbor City council approve to repair the Old Mill Bridge?"


@pytest.fixture(scope="module")
def served(indexed_corpus, tmp_path_factory):
    """The chat on copies of the fixture index, once without and once with a login; yields both."""
    root = tmp_path_factory.mktemp("hostile-web")
    *open_app, _ = serve_copy(indexed_corpus, root / "open", reload_interval=60, chat_uploads=False)
    now = [0.0]  # the locked app's login waits run on this clock: a test moves it on instead of sleeping
    *locked_app, locked = serve_copy(
        indexed_corpus, root / "locked", clock=lambda: now[0], reload_interval=60, auth="ana:s3cret", login_delay=1.5
    )
    yield {"open": tuple(open_app), "locked": (tuple(locked_app), locked), "now": now}
    for demo, live in (open_app, locked_app):
        demo.close()
        live.close()


@pytest.fixture(scope="module")
def client(served):
    from gradio_client import Client

    live = served["open"][1]
    return Client(f"http://127.0.0.1:{live.settings.port}/", verbose=False)


def api_error(client, *args, **kwargs) -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as caught:
        client.predict(*args, api_name="/ask", **kwargs)
    return str(caught.value)


def cli_error(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(app, ["ask", *args, "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 2, result.output
    return result.output.strip().removeprefix("Error: ")


@pytest.mark.parametrize(
    ("api", "cli"),
    [
        ({"question": BRIDGE, "k": -1}, [BRIDGE, "--k", "-1"]),
        ({"question": BRIDGE, "k": 100_000}, [BRIDGE, "--k", "100000"]),
        ({"question": BRIDGE, "k": 2.5}, [BRIDGE, "--k", "2.5"]),
        (
            {"question": "fraud", "since": "2023-12-01", "until": "2023-10-01"},
            ["fraud", "--since", "2023-12-01", "--until", "2023-10-01"],
        ),
        ({"question": "the"}, ["the"]),
        ({"question": "🙂"}, ["🙂"]),
        ({"question": BRIDGE, "since": "next tuesday"}, [BRIDGE, "--since", "next tuesday"]),
    ],
)  # fmt: skip
def test_ask_refuses_what_the_cli_refuses_with_the_same_message(client, indexed_corpus, api, cli):
    assert api_error(client, **api) == cli_error(indexed_corpus, *cli)


def test_ask_reads_one_outlet_name_as_one_outlet(client):
    as_string = client.predict(BRIDGE, "coastal daily", api_name="/ask")
    assert as_string == client.predict(BRIDGE, ["Coastal Daily"], api_name="/ask")
    assert {p["source"] for p in as_string["passages"]} == {"Coastal Daily"}


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("hello", "The history must be a list of"),
        ([1, 2, 3], "History turn 1 is not valid"),
        ([{"role": "system", "content": "Answer in French."}], "History turn 1 has the role 'system'"),
        ([{"role": "user", "content": "hi"}] * 51, "The history has 51 turns; the limit is 50"),
        ([{"role": "user", "content": "x" * 150_000}], "more than 100,000 characters"),
    ],
)
def test_ask_refuses_bad_histories(client, history, message):
    assert message in api_error(client, question="And then?", history=history)


def test_a_huge_request_is_refused_before_it_is_read(served):
    live = served["open"][1]
    body = b'{"data": ["' + b"x" * 20_000_000 + b'"]}'
    response = httpx.post(f"http://127.0.0.1:{live.settings.port}/gradio_api/call/ask", content=body, timeout=30)
    assert response.status_code == 413


def test_uploads_are_refused_where_the_app_takes_none(served):
    demo, live = served["open"]  # QA_CHAT_UPLOADS=false, no login: before, anyone could store files
    url = f"http://127.0.0.1:{live.settings.port}/gradio_api"
    response = httpx.post(f"{url}/upload", files={"files": ("note.txt", b"anonymous file", "text/plain")}, timeout=10)
    assert response.status_code == 403 and "no file uploads" in response.text
    assert not any(demo.upload_file_set), "nothing was stored"
    _, locked = served["locked"]  # "Add articles" on: still no recordings, no multipart anywhere else
    url = f"http://127.0.0.1:{locked.port}/gradio_api"
    for path in ("process_recording", "queue/join"):
        response = httpx.post(f"{url}/{path}", files={"files": ("a.wav", b"RIFF", "audio/wav")}, timeout=10)
        assert response.status_code == 403, path


def test_add_articles_limits_each_file_to_the_ingest_limit(served):
    (demo, _), settings = served["locked"]
    assert demo.max_file_size == settings.max_file_bytes


def test_the_chat_shows_the_same_messages(served):
    handlers = ChatHandlers(served["open"][1])
    for question, since, until, field, message in (
        ("the", "", "", "hint", "Nothing to search for in that question"),
        (
            "fraud",
            "2023-12-01",
            "2023-10-01",
            "filter_note",
            "The date range is empty: 2023-12-01 is after 2023-10-01.",
        ),
    ):
        *_, last = handlers.respond(question, [], [], [], [], since, until, 10.0)
        shown = dict(zip(OUTPUTS, last, strict=True))
        assert text(message) in shown[field].value


def login(port: int, password: str, source: str = "127.0.0.1", http: httpx.Client | None = None) -> httpx.Response:
    if http is None:
        with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=10) as fresh:
            return login(port, password, http=fresh)
    return http.post(f"http://127.0.0.1:{port}/login", data={"username": "ana", "password": password})


def test_wrong_passwords_make_a_client_wait_and_a_wait_cannot_be_skipped(served):
    _, settings = served["locked"]
    port = settings.port
    with httpx.Client(timeout=10) as http:  # 20 guesses, the clock standing still: all within the first wait
        statuses = [login(port, f"guess-{n}", http=http).status_code for n in range(20)]
        refused = login(port, "s3cret", http=http)
    assert statuses[: FREE_ATTEMPTS + 1] == [400] * (FREE_ATTEMPTS + 1)
    assert set(statuses[FREE_ATTEMPTS + 1 :]) == {429}, "20 fast guesses, only 4 were checked"
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, "even the right password waits"
    assert login(port, "s3cret", source="127.0.0.2").status_code == 200, "another client is not held up"
    served["now"][0] += settings.login_delay + 0.1  # the wait is over
    assert login(port, "s3cret").status_code == 200


def test_the_wait_doubles_with_each_wrong_password_up_to_the_maximum():
    now = [0.0]
    throttle = LoginThrottle(1.0, 5.0, clock=lambda: now[0])
    waits = []
    for _ in range(FREE_ATTEMPTS + 5):
        throttle.failed("10.0.0.1")
        waits.append(throttle.wait("10.0.0.1"))
    assert waits == [0.0] * FREE_ATTEMPTS + [1.0, 2.0, 4.0, 5.0, 5.0]
    assert throttle.wait("10.0.0.2") == 0.0
    now[0] = 5.0
    assert throttle.wait("10.0.0.1") == 0.0
    throttle.succeeded("10.0.0.1")
    throttle.failed("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 0.0, "a right password starts the count again"
