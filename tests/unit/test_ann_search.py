"""The store's ANN index (real LanceDB, IVF-HNSW-SQ) against its own exact scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.query_latency import ann_recall, exact_top_ids
from core.index.store import AnnDepth, ChunkStore

pytestmark = pytest.mark.unit

DIM = 32


def clustered_store(directory: Path, rows: int = 4000) -> tuple[ChunkStore, np.ndarray]:
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(40, DIM))
    vectors = centres[rng.integers(0, 40, rows)] + rng.normal(0, 0.35, (rows, DIM))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    store = ChunkStore(directory, "ann-test", DIM, ann_threshold=1000)
    empty = {"collection": "c", "path": "p", "title": "t", "heading": "", "flags": ""}
    text = {"text": "x", "search_text": "x", "version": 1, "page_start": 0, "page_end": 0}
    rows_ = [{**empty, **text, "chunk_id": f"c{i}", "doc_id": f"d{i}", "ordinal": 0,
              "char_start": 0, "char_end": 1} for i in range(rows)]  # fmt: skip
    store.add(rows_, vectors)
    store.refresh_indexes()
    return store, vectors


def test_deep_search_finds_what_the_exact_scan_finds(tmp_path: Path) -> None:
    store, vectors = clustered_store(tmp_path)
    assert store._has_vector_index()
    queries = vectors[:40] + np.float32(0.05)
    exact = exact_top_ids(store, queries, 10)
    assert ann_recall(store, queries, exact, 10) >= 0.95


def test_graph_search_is_never_narrower_than_the_refined_candidates(tmp_path: Path) -> None:
    """LanceDB refuses ef < k x refine_factor ("ef must be greater than or equal to k")."""
    store, vectors = clustered_store(tmp_path)
    store.ann_depth = AnnDepth(ef=20, refine_factor=10)
    rows = store.vector_search(vectors[0], 50, None)
    assert len(rows) == 50
