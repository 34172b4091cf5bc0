"""Dense candidates at archive size: exact float32 scan against the approximate ways of issue 23 item 3.

Random unit vectors (384 dimensions, the model's) memory-mapped from a .npy file made once and reused; 30
random unit questions. Each way returns the top `--n` rows (the hybrid search's candidates); recall@10 is
against the exact float32 top 10, latency is per question (the vector file already in the page cache).

    .venv/bin/python bench/approx.py --sizes 100000,1000000
    .venv/bin/python bench/approx.py --sizes 100000 --chroma      # + Chroma's own HNSW (slow to build)

Ways: ``exact`` (`qa.store.arrays`: blocked float32 matrix-vector products), ``float16`` (half the bytes,
converted per block), ``int8`` (a quarter of the bytes, per-row scale, converted per block, then the top
`--rescore` rows rescored exactly in float32), ``int8-ort`` (the same codes scanned by onnxruntime's
MatMulInteger, no conversion; then rescored), ``chroma-hnsw`` (a Chroma collection of the same vectors).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from qa.store.quantized import Codes

DIM = 384
BLOCK = 65536
QUESTIONS = 30


def vectors(size: int, work: Path) -> np.ndarray:
    """``size`` random unit vectors, written once per size under ``work`` and memory-mapped."""
    path = work / f"vectors-{size}.npy"
    if not path.exists():
        rng, out = np.random.default_rng(0), np.lib.format.open_memmap(path, "w+", np.float32, (size, DIM))
        for start in range(0, size, BLOCK):
            block = rng.standard_normal((min(BLOCK, size - start), DIM)).astype(np.float32)
            out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
        out.flush()
        del out
    return np.asarray(np.load(path, mmap_mode="r"))


def blocked(matrix: np.ndarray, vector: np.ndarray, convert=None) -> np.ndarray:
    out = np.empty(len(matrix), dtype=np.float32)
    for start in range(0, len(matrix), BLOCK):
        block = matrix[start : start + BLOCK]
        out[start : start + BLOCK] = (block.astype(np.float32) if convert else block) @ vector
    return out


def top(scores: np.ndarray, n: int) -> np.ndarray:
    found = np.argpartition(-scores, min(n, len(scores) - 1))[:n]
    return found[np.argsort(-scores[found])]


def rescored(matrix: np.ndarray, approx: np.ndarray, vector: np.ndarray, n: int, rescore: int) -> np.ndarray:
    """The approximate top ``rescore`` rows, scored again exactly: the top ``n`` of those."""
    rows = np.sort(top(approx, rescore))
    return rows[top(matrix[rows] @ vector, n)]


def int8_codes(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric int8 codes (rows x dim) and each row's scale."""
    scale = (np.abs(matrix).max(axis=1) / 127).astype(np.float32)
    codes = np.empty(matrix.shape, dtype=np.int8)
    for start in range(0, len(matrix), BLOCK):
        codes[start : start + BLOCK] = np.rint(matrix[start : start + BLOCK] / scale[start : start + BLOCK, None])
    return codes, scale


def chroma_search(matrix: np.ndarray, work: Path):
    """A Chroma collection (cosine HNSW, Chroma's defaults) of the same vectors; returns (search, build seconds)."""
    import chromadb

    path = work / f"chroma-{len(matrix)}"
    shutil.rmtree(path, ignore_errors=True)
    client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.create_collection("vectors", metadata={"hnsw:space": "cosine"}, embedding_function=None)
    started = time.perf_counter()
    for start in range(0, len(matrix), 5000):
        rows = range(start, min(len(matrix), start + 5000))
        collection.add(ids=[str(i) for i in rows], embeddings=np.array(matrix[rows.start : rows.stop]))
    build = time.perf_counter() - started

    def search(vector: np.ndarray, n: int) -> np.ndarray:
        found = collection.query(query_embeddings=vector[None], n_results=n, include=[])
        return np.asarray([int(i) for i in found["ids"][0]])

    return search, build


def measure(name: str, search, questions: np.ndarray, truth: list[set[int]], n: int, extra: str = "") -> dict:
    search(questions[0], n)  # warm: the pages in memory, sessions started
    times, recalls = [], []
    for question, exact in zip(questions, truth, strict=True):
        started = time.perf_counter()
        rows = search(question, n)
        times.append((time.perf_counter() - started) * 1000)
        recalls.append(len(exact & set(rows[:10].tolist())) / 10)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {"way": name, "p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
            "recall10": round(float(np.mean(recalls)), 3), "note": extra}  # fmt: skip


def run(size: int, args: argparse.Namespace) -> list[dict]:
    matrix = vectors(size, args.work_dir)
    rng = np.random.default_rng(5)
    questions = rng.standard_normal((QUESTIONS, DIM)).astype(np.float32)
    questions /= np.linalg.norm(questions, axis=1, keepdims=True)
    truth = [set(top(blocked(matrix, q), 10).tolist()) for q in questions]
    n, rescore = args.n, args.rescore
    ways = args.ways.split(",")
    rows = [measure("exact", lambda q, k: top(blocked(matrix, q), k), questions, truth, n)] if "exact" in ways else []
    if "float16" in ways:
        started = time.perf_counter()
        half = matrix.astype(np.float16)
        rows.append(measure("float16", lambda q, k: top(blocked(half, q, True), k), questions, truth, n,
                            f"codes {time.perf_counter() - started:.1f} s"))  # fmt: skip
        del half
    started = time.perf_counter()
    codes, scale = int8_codes(matrix)
    made = f"codes {time.perf_counter() - started:.1f} s, rescore {rescore}"
    if "int8" in ways:
        rows.append(measure("int8", lambda q, k: rescored(matrix, blocked(codes, q, True) * scale, q, k, rescore),
                            questions, truth, n, made))  # fmt: skip
    scan = Codes(np.ascontiguousarray(codes.T), scale.astype(np.float32))  # the store's own int8 scan

    def int8_ort(q: np.ndarray, k: int) -> np.ndarray:
        return rescored(matrix, scan.approximate(q), q, k, rescore)

    if "int8-ort" in ways:
        rows.append(measure("int8-ort", int8_ort, questions, truth, n, made))
    if "exact" in ways:  # again after the others: the load of a shared machine moves between the runs
        rows.append(measure("exact", lambda q, k: top(blocked(matrix, q), k), questions, truth, n, "second run"))
    if args.chroma:
        search, build = chroma_search(matrix, args.work_dir)
        rows.append(measure("chroma-hnsw", search, questions, truth, n, f"build {build:.0f} s"))
    for row in rows:
        row["chunks"] = size
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--n", type=int, default=200, help="rows wanted (the hybrid search's candidates)")
    parser.add_argument("--rescore", type=int, default=400, help="approximate rows rescored exactly")
    parser.add_argument("--ways", default="exact,float16,int8,int8-ort", help="comma-separated, see above")
    parser.add_argument("--chroma", action="store_true", help="also Chroma's HNSW (a 1M build takes hours)")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/qa-approx"))
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    print("| chunks | way | p50 ms | p95 ms | recall@10 vs exact | note |\n|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        for row in run(size, args):
            print(f"| {row['chunks']:,} | {row['way']} | {row['p50_ms']} | {row['p95_ms']} | {row['recall10']} "
                  f"| {row['note']} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
