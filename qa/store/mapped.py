"""Segment files opened memory-mapped, with the kernel told how each is read.

Vectors and codes are scanned whole on every question: the default advice (read ahead) suits them. Texts,
ids, sentence terms and BM25 postings are read a few hundred rows (or one term's range) at a time, at random:
`MADV_RANDOM` stops each page fault on them from reading ~128 KB around it into the page cache (which is then
mapped into the process) when the file is not cached yet. Measured on 100k chunks with the files evicted from
the page cache first: docs/benchmarks.md, "Memory of a reader"."""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np


def load(path: Path, random: bool = False) -> np.ndarray:
    """The ``.npy`` file as a read-only mapped array (a plain ndarray view: no np.memmap per-access cost);
    ``random``: read at random, no read-ahead."""
    mapped = np.load(path, mmap_mode="r")
    if random and getattr(mapped, "_mmap", None) is not None:  # an empty array has no mapping
        mapped._mmap.madvise(mmap.MADV_RANDOM)
    return np.asarray(mapped)


def map_bytes(path: Path, random: bool = False) -> mmap.mmap | bytes:
    """The file mapped read-only (slicing gives bytes); empty files cannot be mapped."""
    if not path.stat().st_size:
        return b""
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, prot=mmap.PROT_READ)
    if random:
        mapped.madvise(mmap.MADV_RANDOM)
    return mapped
