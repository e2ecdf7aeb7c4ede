"""The chunk store: one LanceDB table per embedding model, vector + full-text search.

Rows carry (doc_id, version); the catalog decides which version is visible, and the
store only ever appends a version or deletes one, so a crash never leaves a mixed
document (see core/ingest/catalog.py). The one column rewritten in place is the guard's
flags (Engine.rescan_guard_flags), and rewriting it again gives the same result.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import StoreError

if TYPE_CHECKING:
    import pyarrow as pa

TEXT_COLUMNS = ["chunk_id", "doc_id", "collection", "path", "title", "heading", "text", "flags"]
INT_COLUMNS = ["version", "ordinal", "page_start", "page_end", "char_start", "char_end"]
RESULT_COLUMNS = TEXT_COLUMNS + INT_COLUMNS
FTS_COLUMN = "search_text"  # title + headings + text: what keyword search matches on


@dataclass(frozen=True)
class AnnDepth:
    """How hard a query searches the ANN index: HNSW candidate list (`ef`, at least 2k),
    IVF partitions probed (None: LanceDB's default), and how many times k candidates are
    re-ranked by their exact distance (`refine_factor`).

    Measured by benchmarks/query_latency.py (--depths) on 1M chunks, recall@10 against the
    exact scan: ef 100 0.83, 200 0.91, 300 0.95, 400 0.97, 600 0.98, with hybrid p95 31-46 ms
    and no trend with depth; refine_factor 5 or nprobes 40 add no recall. At 100k chunks
    ef 100 already gave 0.999."""

    ef: int = 400
    nprobes: int | None = None
    refine_factor: int = 2


def table_name(model_id: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", Path(model_id).name.lower()).strip("_")[:40]
    digest = hashlib.sha1(model_id.encode()).hexdigest()[:8]
    return f"chunks_{slug}_{digest}"


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(sql_string(v) for v in values)})"


def predicate_parts(values: Sequence[Any], size: int = 200) -> Iterator[Sequence[Any]]:
    """Slices of `values` small enough for one SQL predicate each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def version_filter(pairs: Sequence[tuple[str, int]]) -> str:
    return " OR ".join(f"(doc_id = {sql_string(d)} AND version = {int(v)})" for d, v in pairs)


class ChunkStore:
    """All chunks embedded with one model. Thread-safe for one writer, many readers."""

    def __init__(
        self, directory: Path, model_id: str, dim: int, ann_threshold: int = 50_000
    ) -> None:
        import lancedb

        self.model_id = model_id
        self.dim = dim
        self.ann_threshold = ann_threshold
        self.ann_depth = AnnDepth()
        self.name = table_name(model_id)
        self._write_lock = threading.Lock()
        try:
            self._db = lancedb.connect(str(directory))
            self._table = self._db.create_table(self.name, schema=self._schema(), exist_ok=True)
        except Exception as exc:  # lancedb raises plain ValueError/RuntimeError/OSError
            raise StoreError(f"Cannot open the index in {directory}: {exc}") from exc
        self._fts_ready = self._has_fts_index()
        self._ann_ready = self._has_vector_index()

    @staticmethod
    def existing_dim(directory: Path, model_id: str) -> int | None:
        """The vector size of a model's table, if one was ever created."""
        import lancedb

        db = lancedb.connect(str(directory))
        name = table_name(model_id)
        if name not in db.table_names():
            return None
        return int(db.open_table(name).schema.field("vector").type.list_size)

    def _schema(self) -> pa.Schema:
        import pyarrow as pa

        fields = [pa.field(c, pa.string()) for c in TEXT_COLUMNS]
        fields += [pa.field(c, pa.int32()) for c in INT_COLUMNS]
        fields += [
            pa.field(FTS_COLUMN, pa.string()),
            pa.field("vector", pa.list_(pa.float32(), self.dim)),
        ]
        return pa.schema(fields)

    def _has_fts_index(self) -> bool:
        return any(FTS_COLUMN in idx.columns for idx in self._table.list_indices())

    # -- writing -------------------------------------------------------------------
    def add(self, rows: list[dict[str, Any]], vectors: np.ndarray) -> None:
        import pyarrow as pa

        if not rows:
            return
        columns: dict[str, Any] = {c: [r[c] for r in rows] for c in TEXT_COLUMNS + INT_COLUMNS}
        columns[FTS_COLUMN] = [r[FTS_COLUMN] for r in rows]
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel())
        columns["vector"] = pa.FixedSizeListArray.from_arrays(flat, self.dim)
        batch = pa.Table.from_pydict(columns, schema=self._schema())
        with self._write_lock:
            self._table.add(batch)

    def delete_versions(self, pairs: Sequence[tuple[str, int]]) -> None:
        for part in predicate_parts(pairs):
            with self._write_lock:
                self._table.delete(version_filter(part))

    def rows_of(self, doc_id: str, version: int, with_vectors: bool = False) -> pa.Table:
        columns = RESULT_COLUMNS + [FTS_COLUMN] + (["vector"] if with_vectors else [])
        where = f"doc_id = {sql_string(doc_id)} AND version = {int(version)}"
        table = self._table.search().where(where).select(columns).limit(None).to_arrow()
        return table.sort_by("ordinal")

    def refresh_indexes(self) -> None:
        """Bring the indexes up to date after writes (new rows, deletions).

        Below `self.ann_threshold` rows an exact (flat) vector scan is fast enough; above it,
        an IVF-HNSW index with scalar quantization keeps queries in milliseconds
        (measured: recall@10 0.999 against the flat scan at 100k chunks).
        """
        from lancedb.index import HnswSq

        with self._write_lock:
            rows = self._table.count_rows()
            if rows == 0:
                return
            if not self._fts_ready:
                self._table.create_fts_index(
                    FTS_COLUMN, use_tantivy=False, replace=True, with_position=False,
                    stem=True, remove_stop_words=True, ascii_folding=True, lower_case=True,
                )  # fmt: skip
                self._fts_ready = True
            if rows >= self.ann_threshold and not self._ann_ready:
                self._table.create_index("vector", config=HnswSq(distance_type="cosine"))
                self._ann_ready = True
            self._table.optimize()  # compacts fragments, folds new rows into the indexes

    def _has_vector_index(self) -> bool:
        return any("vector" in idx.columns for idx in self._table.list_indices())

    def set_flags(self, flags_by_chunk: dict[str, str]) -> None:
        """Rewrite the guard flags of some chunks (one update per distinct value)."""
        by_value: dict[str, list[str]] = {}
        for chunk_id, value in flags_by_chunk.items():
            by_value.setdefault(value, []).append(chunk_id)
        for value, ids in by_value.items():
            for part in predicate_parts(ids):
                with self._write_lock:
                    self._table.update(where=sql_in("chunk_id", part), values={"flags": value})

    def rename_collection(self, old: str, new: str) -> None:
        with self._write_lock:
            self._table.update(
                where=f"collection = {sql_string(old)}", values={"collection": new}
            )

    # -- reading -------------------------------------------------------------------
    def iter_rows(self, columns: list[str], batch_rows: int) -> Iterator[pa.RecordBatch]:
        """Every row, a batch at a time (the whole table need not fit in memory)."""
        yield from self._table.search().select(columns).limit(None).to_batches(batch_rows)

    def count(self) -> int:
        return int(self._table.count_rows())

    def vector_search(self, vector: np.ndarray, k: int, where: str | None) -> list[dict[str, Any]]:
        query: Any = self._table.search(vector.astype(np.float32), vector_column_name="vector")
        query = query.distance_type("cosine").select([*RESULT_COLUMNS, "_distance"]).limit(k)
        if self._ann_ready:
            # LanceDB's defaults gave recall@10 0.93 at 100k chunks; see AnnDepth.
            depth = self.ann_depth  # the graph search must find all k x refine candidates
            query = query.ef(max(depth.ef, k * depth.refine_factor, 2 * k))
            query = query.refine_factor(depth.refine_factor)
            if depth.nprobes:
                query = query.nprobes(depth.nprobes)
        if where:
            query = query.where(where, prefilter=True)
        rows = query.to_arrow().to_pylist()
        for row in rows:
            row["score"] = 1.0 - float(row.pop("_distance"))
        return rows

    def keyword_search(self, text: str, k: int, where: str | None) -> list[dict[str, Any]]:
        if not self._fts_ready or not text.strip():
            return []
        query: Any = self._table.search(text, query_type="fts", fts_columns=FTS_COLUMN)
        query = query.select([*RESULT_COLUMNS, "_score"]).limit(k)
        if where:
            query = query.where(where, prefilter=True)
        rows = query.to_arrow().to_pylist()
        for row in rows:
            row["score"] = float(row.pop("_score"))
        return rows
