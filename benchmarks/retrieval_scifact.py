"""Retrieval quality on SciFact (train queries): nDCG@10 and Recall@100 per search mode.

The corpus goes through the normal pipeline (one Markdown file per abstract); a
document's score is the best score of its chunks.

Measured 2026-12-03 (all 809 train queries, 5,183 abstracts, 11,448 chunks, the int8
embedder): nDCG@10 / Recall@100 vector 0.6841 / 0.9347, keyword 0.6927 / 0.9252, hybrid
0.7256 / 0.9584, the same without the rescoring for long filings (abstracts have no
pages). With torch MiniLM earlier: hybrid 0.725 / 0.958.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import time
from pathlib import Path

from benchmarks.common import WORK, emit, scifact_qrels, scifact_queries, write_scifact_documents
from core.engine import Engine
from core.index.search import SearchTuning, search_store
from core.index.types import SearchHit, SearchMode

# Hybrid search without the rescoring for long filings (core/index/search.py).
PLAIN = SearchTuning(
    expand_query=False, doc_prior=0.0, doc_names=0.0, page_fusion=0.0, statement_boost=1.0
)

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


def evaluate(
    engine: Engine, mode: SearchMode, limit: int | None, tuning: SearchTuning | None = None
) -> dict[str, float]:
    queries, qrels = scifact_queries(), scifact_qrels()
    ids = [q for q in queries if q in qrels][:limit]
    ndcg, recall, latency = [], [], []
    for qid in ids:
        started = time.perf_counter()
        if tuning is None:
            hits = engine.search(queries[qid], k=CHUNK_DEPTH, mode=mode)
        else:
            vector = engine.embedder.embed([queries[qid]])[0]
            hits = search_store(
                engine.store, queries[qid], vector, k=CHUNK_DEPTH, mode=mode, where=None,
                tuning=tuning,
            )  # fmt: skip
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
    parser.add_argument(
        "--sample", type=int, help="a corpus of N abstracts: the evaluated queries' "
        "relevant ones plus random others (quicker; not comparable to full-corpus numbers)",
    )  # fmt: skip
    args = parser.parse_args()
    docs = write_scifact_documents(WORK / "scifact_docs")
    home = WORK / "scifact_home"
    if args.sample:
        docs = sample_documents(docs, args.sample, args.limit)
        home = WORK / f"scifact_home_sample{args.sample}_{args.limit}"
    with Engine(home) as engine:
        report = engine.ingest([docs], "scifact")  # incremental: free when already indexed
        result: dict[str, object] = {
            "benchmark": "retrieval_scifact",
            "split": "train",
            "chunks": engine.store.count(),
            "ingest": report.to_json() | {"failed": len(report.failed)},
        }
        for mode in ("vector", "keyword", "hybrid"):
            result[mode] = evaluate(engine, mode, args.limit)
        result["hybrid_without_rescoring"] = evaluate(engine, "hybrid", args.limit, PLAIN)
    emit(result)


def sample_documents(folder: Path, size: int, limit: int | None) -> Path:
    """A folder of `size` abstracts holding every relevant one of the evaluated queries."""
    target = folder.parent / f"scifact_sample{size}_{limit}"
    if (target / ".complete").exists():
        return target
    queries, qrels = scifact_queries(), scifact_qrels()
    ids = [q for q in queries if q in qrels][:limit]
    relevant = {doc for qid in ids for doc in qrels[qid]}
    others = sorted(p.stem for p in folder.glob("*.md") if p.stem not in relevant)
    chosen = relevant | set(random.Random(15).sample(others, max(0, size - len(relevant))))
    target.mkdir(parents=True, exist_ok=True)
    for doc in chosen:
        shutil.copy(folder / f"{doc}.md", target / f"{doc}.md")
    (target / ".complete").touch()
    return target


if __name__ == "__main__":
    main()
