"""Retrieval quality on SciFact (train queries): nDCG@10 and Recall@100 per search mode.

The corpus goes through the normal pipeline (one Markdown file per abstract); a
document's score is the best score of its chunks.
"""

from __future__ import annotations

import argparse
import math
import time

from benchmarks.common import WORK, emit, scifact_qrels, scifact_queries, write_scifact_documents
from core.engine import Engine
from core.index.types import SearchHit, SearchMode

CHUNK_DEPTH = 300  # chunks fetched per query: enough for 100 distinct documents


def ranked_documents(hits: list[SearchHit]) -> list[str]:
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(hit.path.rsplit("/", 1)[-1].removesuffix(".md"), None)
    return list(seen)


def ndcg_at(ranking: list[str], relevant: dict[str, int], k: int) -> float:
    gains = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return gains / best if best else 0.0


def recall_at(ranking: list[str], relevant: dict[str, int], k: int) -> float:
    return len(set(ranking[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def evaluate(engine: Engine, mode: SearchMode, limit: int | None) -> dict[str, float]:
    queries, qrels = scifact_queries(), scifact_qrels()
    ids = [q for q in queries if q in qrels][:limit]
    ndcg, recall, latency = [], [], []
    for qid in ids:
        started = time.perf_counter()
        hits = engine.search(queries[qid], k=CHUNK_DEPTH, mode=mode)
        latency.append(time.perf_counter() - started)
        ranking = ranked_documents(hits)
        ndcg.append(ndcg_at(ranking, qrels[qid], 10))
        recall.append(recall_at(ranking, qrels[qid], 100))
    return {
        "ndcg@10": round(sum(ndcg) / len(ndcg), 4),
        "recall@100": round(sum(recall) / len(recall), 4),
        "queries": len(ids),
        "mean_query_ms": round(1000 * sum(latency) / len(latency), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, help="evaluate only the first N queries")
    args = parser.parse_args()
    docs = write_scifact_documents(WORK / "scifact_docs")
    with Engine(WORK / "scifact_home") as engine:
        report = engine.ingest([docs], "scifact")  # incremental: free when already indexed
        result: dict[str, object] = {
            "benchmark": "retrieval_scifact",
            "split": "train",
            "chunks": engine.store.count(),
            "ingest": report.to_json() | {"failed": len(report.failed)},
        }
        for mode in ("vector", "keyword", "hybrid"):
            result[mode] = evaluate(engine, mode, args.limit)
    emit(result)


if __name__ == "__main__":
    main()
