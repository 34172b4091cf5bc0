"""The embedding backend this CPU runs best, for ``QA_EMBED_BACKEND=auto`` (a new index only: an existing index
keeps the backend it was built with, `qa.store.config.settle_backend`).

bfloat16 matrix products pay only with bf16 units (AVX-512 BF16 or AMX): there ``torch-bf16`` is about twice
the fp32 rate; without them torch emulates bf16 and runs ~3.4-7x slower than fp32. Read from the kernel's
``/proc/cpuinfo`` flags (Linux), so choosing imports no torch; elsewhere the flags are unknown and the
choice is the fp32 one, right on every CPU.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from qa.core.settings import AUTO_BACKEND

CPUINFO = Path("/proc/cpuinfo")
BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
BF16_BACKEND = "torch-bf16"
# fp32 without bf16 units: ONNX Runtime's fused BERT kernels (see bench/backends.py and the README's table)
FP32_BACKEND = "onnx"


def choose_backend(flags: Iterable[str]) -> str:
    """The backend for a CPU reporting ``flags`` (as /proc/cpuinfo spells them)."""
    return BF16_BACKEND if BF16_FLAGS & set(flags) else FP32_BACKEND


def parse_flags(cpuinfo: str) -> frozenset[str]:
    """The flags every core reports in a /proc/cpuinfo text ("flags" on x86; none elsewhere)."""
    per_core = [
        frozenset(line.split(":", 1)[1].split())
        for line in cpuinfo.splitlines()
        if line.split(":", 1)[0].strip() == "flags" and ":" in line
    ]
    return frozenset.intersection(*per_core) if per_core else frozenset()


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """This machine's CPU flags; empty when the kernel does not say (not Linux, or no /proc)."""
    try:
        return parse_flags(CPUINFO.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return frozenset()


def cpu_backend() -> str:
    """The backend ``auto`` builds a new index with on this machine."""
    return choose_backend(cpu_flags())


def concrete_backend(backend: str) -> str:
    """``backend``, with ``auto`` read as the backend a new index gets on this CPU."""
    return cpu_backend() if backend == AUTO_BACKEND else backend


def backend_note(requested: str, used: str) -> str:
    """What to do when ``auto`` kept an index's backend that is not this CPU's choice ("" otherwise)."""
    best = cpu_backend()
    if requested != AUTO_BACKEND or used == best:
        return ""
    return (
        f"The index keeps the {used} backend it was built with; this CPU runs {best} faster "
        f"(see the README's backend table): `qa ingest --rebuild PATHS` re-embeds everything with {best}, "
        f"QA_EMBED_BACKEND={used} keeps it without this note."
    )
