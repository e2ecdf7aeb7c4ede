"""Move a collection to another embedding model, from the chunk texts already stored.

No file is parsed again: the stored passages are embedded with the new model and
written to that model's table, one document at a time, each crash-safe like ingest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.index.store import FTS_COLUMN, ChunkStore
from core.ingest.catalog import INDEXED, CollectionRecord, Commit
from core.jobs import ProgressCallback, ProgressMeter

if TYPE_CHECKING:
    from core.engine import Engine


def reembed_collection(
    engine: Engine, record: CollectionRecord, progress: ProgressCallback | None = None
) -> int:
    dim = ChunkStore.existing_dim(engine.index_dir, record.embed_model)
    if dim is None or record.embed_model == engine.embedder.model_id:
        return 0
    old = ChunkStore(engine.index_dir, record.embed_model, dim)
    new, catalog = engine.store, engine.catalog
    documents = [d for d in catalog.documents(record.name) if d.status == INDEXED and d.version]
    meter = ProgressMeter(progress, "Re-embedding", total=len(documents), unit="files")
    moved = 0
    for doc in documents:
        rows = old.rows_of(doc.doc_id, doc.version).to_pylist()
        version = catalog.next_version()
        vectors = engine.embedder.embed([r[FTS_COLUMN] for r in rows])
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
