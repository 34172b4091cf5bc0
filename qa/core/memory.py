"""Memory freed by Python given back to the operating system, for a long-lived process (the chat).

A chat swaps in a new index after every ingest: the retired one's article texts and passages (a few hundred MB at
600 articles) are freed, but glibc's allocator keeps freed pages of its per-thread arenas mapped, so without a trim
the process's RSS ratchets up swap after swap (issue 23's soak run: 498 -> 1,025 MB in 4 minutes, 40 articles
added). ``malloc_trim(0)`` hands every arena's free pages back (tens of milliseconds); elsewhere it is a no-op."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


@cache
def _trim():
    """glibc's ``malloc_trim``, or None (musl, macOS, Windows: nothing to call)."""
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


def give_back() -> bool:
    """Collect garbage cycles, then return free heap pages to the system; False where the C library cannot."""
    gc.collect()
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
