"""Issue 24 on the web side: request bodies are bounded while they stream (chunked ones too, before any login),
the login throttle counts the connecting address unless a trusted proxy names the client, and `qa serve` /
`qa stats` work on a read-only data dir."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from corpora import serve_copy
from pydantic import ValidationError
from server_fixtures import free_port

from qa.core.settings import Settings
from qa.serve.ui.guard import FREE_ATTEMPTS, Guard, LoginThrottle
from qa.store.snapshots import TEMP_PREFIX
from qa.store.stats import read_stats

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
MIB = 1 << 20
BRIDGE = "How much money did the Harbor City council approve to repair the Old Mill Bridge?"


@pytest.fixture(scope="module")
def locked(indexed_corpus, tmp_path_factory):
    """The chat with a login on a copy of the fixture index; 127.0.0.2 is its trusted reverse proxy. Login waits
    run on a clock that stands still (a test moves it instead of sleeping)."""
    now = [0.0]
    root = tmp_path_factory.mktemp("hardening-web")
    demo, live, settings = serve_copy(
        indexed_corpus, root, clock=lambda: now[0], reload_interval=60, auth="ana:s3cret", trusted_proxies="127.0.0.2"
    )
    yield settings
    demo.close()
    live.close()


def rss_mb() -> float:
    """This process's resident memory (the server runs in it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def post_chunked(port: int, path: str, mib: int) -> str:
    """POST ``mib`` chunks of 1 MiB to ``path`` with ``Transfer-Encoding: chunked`` (no length declared), over a
    raw socket; the status line of the reply."""
    chunk = b"%x\r\n" % MIB + b"x" * MIB + b"\r\n"
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head.encode())
        try:
            for _ in range(mib):
                sock.sendall(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server may close the connection after its 413
            pass
        return sock.recv(4096).split(b"\r\n", 1)[0].decode()


def test_a_chunked_body_is_cut_off_at_the_limit_before_login(locked):
    before = rss_mb()
    status = post_chunked(locked.port, "/gradio_api/queue/join", 200)
    grown = rss_mb() - before
    assert status.startswith("HTTP/1.1 413"), status  # before: read whole (200 MiB held), then 401/422
    assert grown < 100, f"the server grew by {grown:.0f} MB for a 200 MiB body"


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_sent(locked):
    with socket.create_connection(("127.0.0.1", locked.port), timeout=10) as sock:
        sock.sendall(b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")


async def reads_all(scope, receive, send) -> None:
    """The app behind the guard in the ASGI tests: reads the whole body and replies with its size; fails on a
    disconnect as Starlette does (``ClientDisconnect``)."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise RuntimeError("client disconnected")
        size += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(size).encode()})


def post_through_guard(path: str, size: int, multipart: bool = False) -> httpx.Response:
    """POST ``size`` bytes in 1,000-byte chunks (no Content-Length) through `Guard` (bodies up to 10,000 bytes,
    uploads up to 50,000) to `reads_all`."""
    guard = Guard(reads_all, LoginThrottle(1.0, 5.0), max_body=10_000, uploads=True, max_upload=50_000)

    async def chunks():
        for start in range(0, size, 1000):
            yield b"x" * min(1000, size - start)

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=guard)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            kind = "multipart/form-data; boundary=b" if multipart else "application/json"
            return await client.post(path, content=chunks(), headers={"content-type": kind})

    return asyncio.run(post())


def test_streamed_bodies_are_counted_on_every_route():
    assert post_through_guard("/gradio_api/queue/join", 9_000).text == "9000"
    refused = post_through_guard("/gradio_api/queue/join", 11_000)
    assert refused.status_code == 413 and "10,000 bytes" in refused.text
    assert post_through_guard("/gradio_api/upload", 40_000, multipart=True).text == "40000"
    assert post_through_guard("/gradio_api/upload", 60_000, multipart=True).status_code == 413
    assert post_through_guard("/login", 20_000).status_code == 413


def login(port: int, password: str, source: str = "127.0.0.1", forwarded: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source), timeout=10) as http:
        data = {"username": "ana", "password": password}
        return http.post(f"http://127.0.0.1:{port}/login", data=data, headers=headers).status_code


def test_a_rotating_forwarded_for_does_not_reset_the_throttle(locked):
    statuses = [login(locked.port, f"guess-{n}", forwarded=f"198.51.100.{n}") for n in range(20)]
    assert statuses[: FREE_ATTEMPTS + 1] == [400] * (FREE_ATTEMPTS + 1)
    assert set(statuses[FREE_ATTEMPTS + 1 :]) == {429}, "before: 20 passwords checked, one per forged address"


def test_a_trusted_proxy_names_the_client_and_a_forged_entry_before_it_is_ignored(locked):
    proxy, port = "127.0.0.2", locked.port
    guesses = [login(port, f"guess-{n}", proxy, f"10.0.0.{n}, 203.0.113.7") for n in range(FREE_ATTEMPTS + 2)]
    assert guesses[-1] == 429, guesses  # the proxy appended 203.0.113.7: what the client wrote before it is no one
    assert login(port, "s3cret", proxy, "203.0.113.8") == 200, "another client behind the proxy is not held up"


def test_trusted_proxies_must_be_addresses_or_networks():
    assert Settings(trusted_proxies=" 10.0.0.5, 10.1.0.0/16 ").trusted_proxies == "10.0.0.5,10.1.0.0/16"
    with pytest.raises(ValidationError, match="not an IP address or network"):
        Settings(trusted_proxies="proxy.internal")


# ---- a read-only data dir ------------------------------------------------------------------------------------

# run the rest of the command line with the folder "$0" mounted read-only over itself (in the private mount
# namespace `unshare --mount` makes: nothing leaks to the machine, and it is gone with the process)
MOUNT_READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"'


@pytest.fixture()
def read_only(indexed_corpus, tmp_path):
    """A copy of the fixture index and the command prefix that runs a command seeing it read-only. Root (as in
    CI) writes through any mode bits, so there it is a read-only bind mount; another user gets read-only modes."""
    data = tmp_path / "ro-data"
    shutil.copytree(indexed_corpus.data_dir, data)
    if os.geteuid() != 0:
        set_writable(data, False)
        yield data, []
        set_writable(data, True)
        return
    wrap = ["unshare", "--mount", "sh", "-c", MOUNT_READ_ONLY, str(data)]
    if shutil.which("unshare") is None:
        pytest.skip("running as root and `unshare` (util-linux) is missing: no read-only bind mount")
    probe = subprocess.run([*wrap, "sh", "-c", 'test ! -w "$0"', str(data)], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root and a read-only bind mount is refused here (needs CAP_SYS_ADMIN): {probe.stderr}")
    yield data, wrap


def set_writable(folder: Path, writable: bool) -> None:
    for path in [folder, *folder.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def qa_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "qa.serve.cli", *args]


def test_stats_reads_a_read_only_data_dir(read_only):
    data, wrap = read_only
    command = [*wrap, *qa_command("stats", "--json", "--data-dir", str(data))]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr  # before: 1, "attempt to write a readonly database"
    assert json.loads(result.stdout) == read_stats(Settings(data_dir=data)).to_json()


def test_serve_answers_from_a_read_only_data_dir_with_uploads_off(read_only, tmp_path):
    data, wrap = read_only
    port, temp, log = free_port(), tmp_path / "tmp", tmp_path / "serve.log"
    temp.mkdir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TMPDIR": str(temp)}
    command = [*wrap, *qa_command("serve", "--data-dir", str(data), "--port", str(port))]
    with open(log, "w") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(server, port, log)
        assert len(list(temp.glob(f"{TEMP_PREFIX}*/*/.owner"))) == 1, "its snapshot is in the temporary folder"
        props = {c["props"].get("elem_id"): c["props"] for c in config(port)["components"]}
        assert props["qa-upload"]["interactive"] is False
        assert "read-only" in props["qa-upload-note"]["value"]
        from gradio_client import Client

        answer = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(BRIDGE, api_name="/ask")
        assert "$40 million" in answer["answer"]
    finally:
        server.send_signal(signal.SIGTERM)  # as `docker stop`: the snapshot is removed
        server.wait(timeout=60)
    assert not list(temp.glob(f"{TEMP_PREFIX}*")), "the temporary snapshot folder is gone"
    assert "Traceback" not in log.read_text(), log.read_text()


def wait_until_serving(server: subprocess.Popen, port: int, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`qa serve` exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"`qa serve` did not answer in {seconds} s:\n{log.read_text()[-3000:]}")


def config(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/config", timeout=10).json()
