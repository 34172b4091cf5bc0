"""What every benchmark script shares: where the repository and the MultiHop-RAG data are, a free port, stopping
a server process, the chroma server helper of the tests, and reciprocal rank fusion (the baseline only benchmarks
use).

Scripts run as ``python bench/NAME.py`` with the project installed (``make setup``), so ``qa`` and
``ingest`` import as packages and this module imports as ``common``."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MULTIHOP = SHARED / "data" / "multihop-rag"
RRF_K = 60  # Cormack et al.'s constant, as in the MultiHop-RAG baselines


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGTERM (a served chat removes its snapshot on it), then SIGKILL if it has not exited within ``timeout``."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def server_fixtures() -> ModuleType:
    """``tests/server_fixtures.py`` (the real `chroma run` helper), loaded by path: tests/ is not a package."""
    spec = importlib.util.spec_from_file_location("server_fixtures", ROOT / "tests" / "server_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of several rankings: each key scores the sum of ``1 / (k + rank)``."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return scores
