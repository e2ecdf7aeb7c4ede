"""Vector, keyword and hybrid search over one chunk store.

Hybrid fuses the vector and keyword rankings with reciprocal rank fusion (RRF):
score = sum over rankings of 1 / (rrf_k + rank). Rank-based fusion needs no score
calibration between cosine similarity and BM25, which is why it is the default.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.index.store import ChunkStore, sql_in
from core.index.types import SearchHit, SearchMode

MIN_CANDIDATES = 50  # each side of a hybrid query ranks at least this many
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="enclave-search")


@dataclass(frozen=True)
class SearchTimings:
    embed_ms: float
    search_ms: float


def build_filter(collections: list[str] | None, paths: list[str] | None) -> str | None:
    clauses = []
    if collections:
        clauses.append(sql_in("collection", collections))
    if paths:
        clauses.append(sql_in("path", paths))
    return " AND ".join(clauses) or None


def search_store(
    store: ChunkStore,
    query: str,
    vector: np.ndarray | None,
    *,
    k: int,
    mode: SearchMode,
    where: str | None,
    rrf_k: int = 60,
) -> list[SearchHit]:
    """Rank chunks for `query`; `vector` is its embedding (unused in keyword mode)."""
    if mode == "keyword":
        scored = [(row, row["score"]) for row in store.keyword_search(query, k, where)]
    elif vector is None:
        raise ValueError(f"{mode} search needs the query's vector")
    elif mode == "vector":
        scored = [(row, row["score"]) for row in store.vector_search(vector, k, where)]
    else:
        depth = max(k, MIN_CANDIDATES)
        # Both searches run in LanceDB's native code, which releases the GIL: in parallel
        # the hybrid query costs about as much as the slower of the two.
        keyword = _POOL.submit(store.keyword_search, query, depth, where)
        rankings = [store.vector_search(vector, depth, where), keyword.result()]
        scored = reciprocal_rank_fusion(rankings, rrf_k)[:k]
    return [to_hit(row, score) for row, score in scored]


def reciprocal_rank_fusion(
    rankings: list[list[dict[str, Any]]], rrf_k: int
) -> list[tuple[dict[str, Any], float]]:
    fused: dict[str, tuple[dict[str, Any], float]] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking, 1):
            previous = fused.get(row["chunk_id"])
            score = (previous[1] if previous else 0.0) + 1.0 / (rrf_k + rank)
            fused[row["chunk_id"]] = (previous[0] if previous else row, score)
    return sorted(fused.values(), key=lambda pair: pair[1], reverse=True)


def to_hit(row: dict[str, Any], score: float) -> SearchHit:
    return SearchHit(
        chunk_id=row["chunk_id"],
        path=row["path"],
        title=row["title"],
        page=row["page_start"],
        page_end=row["page_end"],
        heading_path=tuple(h for h in row["heading"].split("\n") if h),
        text=row["text"],
        score=float(score),
        collection=row["collection"],
        doc_id=row["doc_id"],
        ordinal=row["ordinal"],
        flags=tuple(f for f in (row.get("flags") or "").split(",") if f),
    )
