"""Abstention quality on SciFact train queries; calibrates LLMSettings.abstain_threshold.

ask() abstains when the best cosine similarity (all-MiniLM-L6-v2) between the query and
its top passages is below the threshold. Here, for every train query with qrels:
  answerable: the best cosine among the top-5 passages of the full corpus;
  removed:    the same with the query's relevant documents taken out of the corpus.
An error is abstaining on an answerable query, or answering once its sources are gone.
The threshold printed minimizes the sum of both error rates (measured on a calibration
half, reported on the other half). Exact vector search in numpy over whole abstracts
(title + text): the relevance signal of ask(), without needing an index build.

    .venv/bin/python benchmarks/llm_abstention.py [--limit N] > result.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
CACHE = Path("/tmp/enclave_scifact_minilm.npy")
TOP = 5


def load(limit: int | None) -> tuple[list[str], list[str], list[str], list[set[int]]]:
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open()]
    ids = [str(d["_id"]) for d in corpus]
    texts = [f"{d['title']}. {d['text']}" for d in corpus]
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    relevant: dict[str, set[int]] = {}
    for line in (DATA / "qrels" / "train.tsv").open():
        parts = line.split()
        if len(parts) >= 3 and parts[0] != "query-id" and parts[1] in index:
            relevant.setdefault(parts[0], set()).add(index[parts[1]])
    queries = [json.loads(line) for line in (DATA / "queries_train.jsonl").open()]
    queries = [q for q in queries if str(q["_id"]) in relevant][:limit]
    return texts, [q["text"] for q in queries], [str(q["_id"]) for q in queries], [
        relevant[str(q["_id"])] for q in queries
    ]


def embed(texts: list[str]) -> np.ndarray:
    from core.index.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    return embedder.embed(texts)


def best_cosines(queries: np.ndarray, corpus: np.ndarray, removed: list[set[int]]) -> tuple[
    np.ndarray, np.ndarray
]:
    scores = queries @ corpus.T
    kept = np.sort(scores, axis=1)[:, -TOP:].max(axis=1)
    for row, docs in enumerate(removed):
        scores[row, list(docs)] = -1.0
    gone = scores.max(axis=1)
    return kept, gone


def errors(answerable: np.ndarray, removed: np.ndarray, threshold: float) -> tuple[float, float]:
    return float((answerable < threshold).mean()), float((removed >= threshold).mean())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    texts, questions, _, relevant = load(args.limit)
    started = time.perf_counter()
    if CACHE.exists():
        corpus = np.load(CACHE)
    else:
        corpus = embed(texts)
        np.save(CACHE, corpus)
    embed_s = time.perf_counter() - started
    answerable, removed = best_cosines(embed(questions), corpus, relevant)
    calibrate, report = slice(0, None, 2), slice(1, None, 2)
    grid = np.round(np.arange(0.10, 0.80, 0.01), 2)
    costs = [sum(errors(answerable[calibrate], removed[calibrate], t)) for t in grid]
    threshold = float(grid[int(np.argmin(costs))])
    false_abstain, false_answer = errors(answerable[report], removed[report], threshold)
    print(json.dumps({
        "benchmark": "abstention_scifact_train",
        "queries": len(questions),
        "signal": f"max cosine all-MiniLM-L6-v2, top-{TOP}, whole abstracts",
        "threshold": threshold,
        "held_out_queries": len(answerable[report]),
        "false_abstention_rate": round(false_abstain, 4),
        "false_answer_rate_sources_removed": round(false_answer, 4),
        "median_cosine_answerable": round(float(np.median(answerable)), 4),
        "median_cosine_removed": round(float(np.median(removed)), 4),
        "at_default_0.35": dict(zip(("false_abstention", "false_answer"),
                                    errors(answerable, removed, 0.35), strict=True)),
        "corpus_embed_s": round(embed_s, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
