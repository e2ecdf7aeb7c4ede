"""Vector, keyword and hybrid search over one chunk store.

Hybrid fuses the vector and keyword rankings with reciprocal rank fusion (RRF):
score = sum over rankings of 1 / (rrf_k + rank). Rank-based fusion needs no score
calibration between cosine similarity and BM25, which is why it is the default.

On long filings the right document is usually found and the right page is not: one
balance sheet among a hundred pages of figures. So the fused candidates are rescored
with what a single chunk cannot know (SearchTuning): how much of the evidence its
document gathered, whether the question names the document's company, and how strong
the other candidates on its page are, and whether it is part of the financial statement
a figure question is answered from (core/index/statements.py). A table of contents names
every topic with dot leaders, so it matches any question and never answers one: it is
damped. Keyword search reads the question rewritten into filing words
(core/index/query.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.index.query import expand_query, name_key, name_terms
from core.index.statements import needed_statements, statement_of
from core.index.store import ChunkStore, sql_in
from core.index.types import SearchHit, SearchMode

MIN_CANDIDATES = 50  # each side of a hybrid query ranks at least this many
_DOT_LEADER = re.compile(r"(?:\.\s?){5,}")  # "Security . . . . . . . 7"
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="enclave-search")


@dataclass(frozen=True)
class SearchTuning:
    """What hybrid search does beyond fusing the two rankings (measured in
    benchmarks/retrieval_pages.py; the defaults are the best variant there)."""

    rrf_k: int = 60
    candidates: int = MIN_CANDIDATES  # fused chunks that the rescoring looks at
    expand_query: bool = True  # "FY2022" -> "2022", "balance sheet" -> filing names
    doc_prior: float = 1.0  # weight of the document's share of the candidates' score
    doc_names: float = 1.0  # weight of the question naming the document's company
    page_fusion: float = 0.25  # weight of the other candidates on the same page
    # A page cut into many small chunks (a big table, a contents page) gathers many weak
    # candidates for any question: its peers count only when its best vector match is
    # at least this share of the best one (hybrid; keyword search has no such measure).
    page_match: float = 0.75
    contents_damping: float = 0.3  # factor on table-of-contents chunks (1.0: off)
    # Factor on chunks of the financial statement a figure question needs (statements.py).
    statement_boost: float = 2.0


DEFAULT_TUNING = SearchTuning()


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
    rrf_k: int | None = None,
    tuning: SearchTuning = DEFAULT_TUNING,
) -> list[SearchHit]:
    """Rank chunks for `query`; `vector` is its embedding (unused in keyword mode)."""
    keyword_query = expand_query(query) if tuning.expand_query else query
    depth = max(k, tuning.candidates)
    if mode == "keyword":
        rows = store.keyword_search(keyword_query, depth, where)
        scored = rescore([(row, row["score"]) for row in rows], query, tuning)
    elif vector is None:
        raise ValueError(f"{mode} search needs the query's vector")
    elif mode == "vector":
        scored = [(row, row["score"]) for row in store.vector_search(vector, k, where)]
    else:
        # Both searches run in LanceDB's native code, which releases the GIL: in parallel
        # the hybrid query costs about as much as the slower of the two.
        keyword = _POOL.submit(store.keyword_search, keyword_query, depth, where)
        nearest = store.vector_search(vector, depth, where)
        for row in nearest:
            row["cosine"] = row["score"]
        rankings = [nearest, keyword.result()]
        fused = reciprocal_rank_fusion(rankings, rrf_k or tuning.rrf_k)
        scored = rescore(fused, query, tuning)
    return [to_hit(row, score) for row, score in scored[:k]]


Scored = list[tuple[dict[str, Any], float]]


def rescore(fused: Scored, query: str, tuning: SearchTuning) -> Scored:
    """Fused candidates rescored by their document and their page (see module doc).

    Only chunks with a page are rescored: on short unpaged documents (SciFact abstracts)
    the document and page evidence pools a document's chunks and costs nDCG@10 (hybrid
    0.853 -> 0.624 on a 600-abstract sample), so those keep their fused score. In a mixed
    collection that leans towards paged hits (their weights are >= 1)."""
    paged = [(row, score) for row, score in fused if row["page_start"] is not None]
    if not paged:
        return fused
    weights = _document_weights(paged, query, tuning)
    scored = [
        (row, score * weights[row["doc_id"]] if row["page_start"] is not None else score)
        for row, score in fused
    ]
    if tuning.contents_damping != 1.0:
        scored = _scale_paged(scored, lambda row: is_contents(row.get("text", "")),
                              tuning.contents_damping)  # fmt: skip
    needed = needed_statements(query)
    if tuning.statement_boost != 1.0 and needed:
        in_statement = lambda row: bool(  # noqa: E731
            statement_of(row.get("heading", ""), row.get("text", "")) & needed
        )
        scored = _scale_paged(scored, in_statement, tuning.statement_boost)
    if tuning.page_fusion:
        scored = _page_fusion(scored, tuning)
    return sorted(scored, key=lambda pair: pair[1], reverse=True)


def _scale_paged(scored: Scored, chosen: Callable[[dict[str, Any]], bool], factor: float) -> Scored:
    """Paged chunks for which `chosen` holds, their score times `factor`."""
    return [
        (row, score * factor) if row["page_start"] is not None and chosen(row) else (row, score)
        for row, score in scored
    ]


def _document_weights(fused: Scored, query: str, tuning: SearchTuning) -> dict[str, float]:
    mass: dict[str, float] = {}
    keys: dict[str, str] = {}
    for row, score in fused:
        mass[row["doc_id"]] = mass.get(row["doc_id"], 0.0) + score
        keys.setdefault(row["doc_id"], name_key(row["title"], _stem(row["path"])))
    top_mass = max(mass.values())
    named = _named(keys, name_terms(query)) if tuning.doc_names else {}
    top_named = max(named.values(), default=0) or 1
    return {
        doc: 1.0
        + tuning.doc_prior * mass[doc] / top_mass
        + tuning.doc_names * named.get(doc, 0) / top_named
        for doc in mass
    }


def _named(keys: dict[str, str], terms: list[str]) -> dict[str, int]:
    """Per document, how many letters of the question's name terms its title or file
    name holds (a ticker counts where it starts a word of the title: "JPM")."""
    found: dict[str, int] = {}
    for doc, key in keys.items():
        letters = sum(len(term) for term in terms if term in key)
        if letters:
            found[doc] = letters
    return found


def is_contents(text: str) -> bool:
    """A quarter of the text or more is dot leaders: a table of contents or an index."""
    leaders = sum(len(run) for run in _DOT_LEADER.findall(text))
    return leaders > 0 and leaders >= 0.25 * len(text)


def _page_fusion(scored: Scored, tuning: SearchTuning) -> Scored:
    """Each chunk gains `page_fusion` times the scores of the other candidates on its
    page: the page that holds the table, its heading and its notes outranks a stray
    match, provided one of them is a good match itself (`page_match`)."""
    pages: dict[tuple[str, int], list[int]] = {}
    best_cosine: dict[tuple[str, int], float] = {}
    for i, (row, _) in enumerate(scored):
        if row["page_start"] is not None:
            key = (row["doc_id"], row["page_start"])
            pages.setdefault(key, []).append(i)
            best_cosine[key] = max(best_cosine.get(key, -1.0), row.get("cosine", -1.0))
    top = max(best_cosine.values(), default=-1.0)
    bar = tuning.page_match * top if top > 0 else -1.0  # keyword search: no cosines
    fused = []
    for i, (row, score) in enumerate(scored):
        key = (row["doc_id"], row["page_start"])
        if row["page_start"] is not None and best_cosine[key] >= bar:
            score += tuning.page_fusion * sum(scored[j][1] for j in pages[key] if j != i)
        fused.append((row, score))
    return fused


def _stem(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0]


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
