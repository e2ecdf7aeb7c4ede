"""Query latency: p50/p95 of search at ~10k, 100k and (with --sizes) 1M chunks, query
embedding excluded.

10k: the SciFact index the retrieval benchmark builds (real text, real vectors).
100k, 1M: the same texts repeated, each copy's vector the real one plus small Gaussian noise
(so the vectors keep the clustered shape of real embeddings, which an ANN index depends
on; uniform random vectors would misjudge its recall). Over the ANN threshold the store
builds its vector index; its recall@10 against an exact scan is reported. The query's
embedding time with the real model is reported on its own, and for each synthetic size
the time to build its indexes (full-text and vector) and its peak RSS so far.

    .venv/bin/python -m benchmarks.query_latency [--sizes 100000,1000000] \
        [--depths ef:nprobes:refine,...] > result.json

Measured 2026-12-04 on the idle 2-core machine, 200 SciFact queries, k 10, --sizes 1000000
(index build 459 s, peak RSS 4.4 GB; query embedding p50 4 ms, p95 6 ms):

| ANN depth (ef:nprobes:refine) | recall@10 vs exact | vector p95 | keyword p95 | hybrid p95 |
|---|---|---|---|---|
| 100:default:2 (before) | 0.834 | 14.8 ms | 30.2 ms | 46.1 ms |
| 200:default:2 | 0.909 | 16.0 | 31.5 | 45.3 |
| 300:default:2 | 0.947 | 15.5 | 24.8 | 40.5 |
| **400:default:2 (shipped)** | **0.972** | 14.7 | 28.1 | **41.1** |
| 600:default:2 | 0.979 | 16.8 | 30.7 | 40.6 |
| 200:default:5 | 0.909 | 12.9 | 26.6 | 37.4 |
| 400:default:5 | 0.972 | 16.2 | 26.7 | 38.7 |
| 400:40:2 | 0.972 | 12.4 | 21.2 | 31.2 |

The real SciFact index (11,466 chunks, exact scan): hybrid p95 28.5 ms. Latency does not
grow with depth here (the graph search is a small part of a hybrid query), so the shipped
depth is the smallest tried with recall >= 0.95 and a margin.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import (
    WORK,
    emit,
    peak_rss_mb,
    percentile,
    scifact_queries,
    write_scifact_documents,
)
from core.engine import Engine
from core.index.search import search_store
from core.index.store import AnnDepth, ChunkStore
from core.index.types import SearchMode

MODES: tuple[SearchMode, ...] = ("vector", "keyword", "hybrid")


def time_queries(
    store: ChunkStore, queries: list[str], vectors: np.ndarray, k: int
) -> dict[str, Any]:
    result: dict[str, Any] = {"chunks": store.count()}
    for mode in MODES:
        for query, vector in zip(queries[:5], vectors[:5], strict=True):  # warm caches
            search_store(store, query, vector, k=k, mode=mode, where=None)
        times = []
        for query, vector in zip(queries, vectors, strict=True):
            started = time.perf_counter()
            search_store(store, query, vector, k=k, mode=mode, where=None)
            times.append((time.perf_counter() - started) * 1000)
        result[mode] = {
            "p50_ms": round(percentile(times, 50), 2),
            "p95_ms": round(percentile(times, 95), 2),
        }
    return result


def synthetic_store(source: ChunkStore, directory: Path, target: int) -> tuple[ChunkStore, float]:
    table = source._table.to_arrow()
    rows = table.drop_columns(["vector"]).to_pylist()
    real = np.asarray(table.column("vector").to_pylist(), dtype=np.float32)
    store = ChunkStore(directory, f"synthetic-{target}", source.dim)
    rng = np.random.default_rng(7)
    batch = 20_000
    for start in range(0, target, batch):
        ids = np.arange(start, min(start + batch, target))
        chunk_rows = []
        for i in ids:
            row = dict(rows[i % len(rows)])
            row.update(chunk_id=f"s{i}", doc_id=f"d{i // 4}", ordinal=int(i % 4))
            chunk_rows.append(row)
        noise = rng.normal(0, 0.03, (len(ids), source.dim)).astype(np.float32)
        vectors = real[ids % len(real)] + np.where((ids < len(real))[:, None], 0, noise)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        store.add(chunk_rows, vectors)
    started = time.perf_counter()
    store.refresh_indexes()
    return store, time.perf_counter() - started


def exact_top_ids(store: ChunkStore, vectors: np.ndarray, k: int) -> list[set[str]]:
    """Each query's exact top-k chunk ids (a flat scan, bypassing the ANN index)."""
    tops = []
    for vector in vectors:
        exact: Any = store._table.search(vector)
        exact = exact.distance_type("cosine").bypass_vector_index()
        tops.append(set(exact.limit(k).select(["chunk_id", "_distance"]).to_arrow()["chunk_id"].to_pylist()))
    return tops


def ann_recall(store: ChunkStore, vectors: np.ndarray, exact: list[set[str]], k: int) -> float:
    """Share of the exact top-k that the store's (indexed) vector search returns."""
    found = []
    for vector, exact_ids in zip(vectors, exact, strict=True):
        ann_ids = {row["chunk_id"] for row in store.vector_search(vector, k, None)}
        found.append(len(exact_ids & ann_ids) / k)
    return float(np.mean(found))


def parse_depths(text: str) -> list[AnnDepth]:
    """'ef:nprobes:refine,...' (nprobes 0: LanceDB's default); '' is the shipped depth."""
    depths = []
    for item in filter(None, text.split(",")):
        ef, nprobes, refine = (int(part) for part in item.split(":"))
        depths.append(AnnDepth(ef=ef, nprobes=nprobes or None, refine_factor=refine))
    return depths or [AnnDepth()]


def measure_depths(
    store: ChunkStore, queries: list[str], vectors: np.ndarray, k: int, depths: list[AnnDepth]
) -> list[dict[str, Any]]:
    """Recall@k and latency of each search depth on the same built index."""
    exact = exact_top_ids(store, vectors, k)
    shipped, rows = store.ann_depth, []
    try:
        for depth in depths:
            store.ann_depth = depth
            timing = time_queries(store, queries, vectors, k)
            recall = round(ann_recall(store, vectors, exact, k), 4)
            rows.append({**asdict(depth), f"ann_recall@{k}": recall, **timing})
            print(f"{depth}: recall {recall}, {timing}", file=sys.stderr, flush=True)
    finally:
        store.ann_depth = shipped
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("-k", type=int, default=10)
    parser.add_argument(
        "--sizes", default="100000", help="synthetic index sizes, comma-separated "
        "(1000000 takes ~3 GB of disk and tens of minutes to build on two cores)",
    )  # fmt: skip
    parser.add_argument(
        "--depths", default="", help="ANN search depths to compare on each synthetic index, "
        "'ef:nprobes:refine_factor,...' (nprobes 0 = LanceDB's default); default: the shipped one",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    queries = list(scifact_queries().values())
    random.Random(3).shuffle(queries)
    queries = queries[: args.queries]
    docs = write_scifact_documents(WORK / "scifact_docs")
    scratch = Path(tempfile.mkdtemp(prefix="enclave-latency-"))
    try:
        with Engine(WORK / "scifact_home") as engine:
            engine.ingest([docs], "scifact")
            embed_times = []
            vectors = []
            for query in queries:
                started = time.perf_counter()
                vectors.append(engine.embedder.embed([query])[0])
                embed_times.append((time.perf_counter() - started) * 1000)
            matrix = np.stack(vectors)
            small = time_queries(engine.store, queries, matrix, args.k)
            synthetic = {}
            for size in sizes:
                store, index_seconds = synthetic_store(engine.store, scratch / str(size), size)
                depths = measure_depths(store, queries, matrix, args.k, parse_depths(args.depths))
                large = {**depths[0], "index_build_seconds": round(index_seconds, 1)}
                large["peak_rss_mb"] = round(peak_rss_mb())
                if len(depths) > 1:
                    large["depths"] = depths
                synthetic[f"synthetic_{size // 1000}k"] = large
                shutil.rmtree(scratch / str(size), ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    emit(
        {
            "benchmark": "query_latency",
            "k": args.k,
            "queries": len(queries),
            "query_embedding_ms": {
                "p50": round(percentile(embed_times, 50), 2),
                "p95": round(percentile(embed_times, 95), 2),
            },
            "scifact_real": small,
            **synthetic,
            "target": "hybrid p95 <= 50 ms at 100k, <= 100 ms at 1M; ANN recall@10 >= 0.95",
        }
    )


if __name__ == "__main__":
    main()
