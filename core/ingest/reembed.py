"""Move a collection to another embedding model, from the chunk texts already stored.

No file is parsed again: the stored passages are embedded with the new model and
written to that model's table, one document at a time, each crash-safe like ingest.
"""

from __future__ import annotations

from pathlib import Path

from core.index.embedder import Embedder
from core.index.store import FTS_COLUMN, ChunkStore
from core.ingest.catalog import INDEXED, Catalog, CollectionRecord, Commit
from core.jobs import ProgressCallback, ProgressMeter


def reembed_collection(
    record: CollectionRecord,
    *,
    catalog: Catalog,
    index_dir: Path,
    store: ChunkStore,
    embedder: Embedder,
    progress: ProgressCallback | None = None,
) -> int:
    """Embed the collection's stored passages with `embedder` into `store` (the table of
    the current model); returns the chunks moved."""
    dim = ChunkStore.existing_dim(index_dir, record.embed_model)
    if dim is None or record.embed_model == embedder.model_id:
        return 0
    old = ChunkStore(index_dir, record.embed_model, dim)
    new = store
    documents = [d for d in catalog.documents(record.name) if d.status == INDEXED and d.version]
    meter = ProgressMeter(progress, "Re-embedding", total=len(documents), unit="files")
    moved = 0
    for doc in documents:
        rows = old.rows_of(doc.doc_id, doc.version).to_pylist()
        version = catalog.next_version()
        vectors = embedder.embed([r[FTS_COLUMN] for r in rows])
        for row in rows:
            row.update(version=version, chunk_id=f"{doc.doc_id}:{version}:{row['ordinal']}")
        commit = Commit(
            doc.doc_id,
            doc.path,
            doc.content_hash or "",
            doc.mtime or 0.0,
            doc.size or 0,
            doc.title,
            doc.pages,
            len(rows),
            version,
            doc.warning,
        )
        catalog.mark_pending(record.name, [commit])
        new.add(rows, vectors)
        old.delete_versions(catalog.commit([commit]))
        moved += len(rows)
        meter.advance()
    new.refresh_indexes()
    return moved
