"""The catalog: what is indexed, from where, in which state (SQLite in the data dir).

A document's chunks in the store carry a version. `version` is the committed one that
search may show; `pending_version` is being written. A crash between the two leaves a
pending version whose chunks `recover()` lets the store delete, so the index never holds
a half-written document and the committed version is never lost.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY,
    embed_model TEXT NOT NULL,
    sensitivity TEXT NOT NULL DEFAULT 'internal',
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    path TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    content_hash TEXT,
    mtime REAL,
    size INTEGER,
    pages INTEGER,
    status TEXT NOT NULL,
    reason TEXT,
    error TEXT,
    warning TEXT,
    chunks INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0,
    pending_version INTEGER,
    updated REAL NOT NULL,
    UNIQUE (collection, path)
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents (content_hash);
CREATE TABLE IF NOT EXISTS watches (
    collection TEXT NOT NULL,
    folder TEXT NOT NULL,
    PRIMARY KEY (collection, folder)
);
CREATE TABLE IF NOT EXISTS stale_chunks (
    doc_id TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

INDEXED, FAILED, PENDING = "indexed", "failed", "pending"


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    collection: str
    path: str
    title: str
    content_hash: str | None
    mtime: float | None
    size: int | None
    pages: int | None
    status: str
    reason: str | None
    error: str | None
    warning: str | None
    chunks: int
    version: int
    pending_version: int | None
    updated: float

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "collection": self.collection,
            "title": self.title,
            "status": self.status,
            "pages": self.pages,
            "chunks": self.chunks,
            "size": self.size,
            "error": self.error,
            "warning": self.warning,
        }


@dataclass(frozen=True)
class CollectionRecord:
    name: str
    embed_model: str
    sensitivity: str
    created: float


@dataclass(frozen=True)
class Commit:
    """A document whose new chunks were written under `version`."""

    doc_id: str
    path: str
    content_hash: str
    mtime: float
    size: int
    title: str
    pages: int | None
    chunks: int
    version: int
    warning: str | None


def document_id(collection: str, path: str) -> str:
    return hashlib.sha1(f"{collection}\0{path}".encode()).hexdigest()[:20]


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    # -- small facts about the index (e.g. which guard tagged its chunks) --------------
    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- collections ---------------------------------------------------------------
    def ensure_collection(self, name: str, embed_model: str) -> CollectionRecord:
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO collections (name, embed_model, created) VALUES (?,?,?)",
                (name, embed_model, time.time()),
            )
        record = self.collection(name)
        assert record is not None
        return record

    def collection(self, name: str) -> CollectionRecord | None:
        rows = self._query("SELECT * FROM collections WHERE name = ?", (name,))
        return CollectionRecord(**dict(rows[0])) if rows else None

    def collections(self) -> list[CollectionRecord]:
        return [
            CollectionRecord(**dict(r))
            for r in self._query("SELECT * FROM collections ORDER BY name")
        ]

    def set_collection_model(self, name: str, embed_model: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE collections SET embed_model = ? WHERE name = ?", (embed_model, name))

    def set_sensitivity(self, name: str, sensitivity: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE collections SET sensitivity = ? WHERE name = ?", (sensitivity, name))

    def rename_collection(self, old: str, new: str) -> None:
        """Documents keep their ids; only the name they are filed under changes."""
        with self._transaction() as db:
            db.execute("UPDATE collections SET name = ? WHERE name = ?", (new, old))
            db.execute("UPDATE documents SET collection = ? WHERE collection = ?", (new, old))
            db.execute("UPDATE watches SET collection = ? WHERE collection = ?", (new, old))

    def delete_collection(self, name: str) -> None:
        """Drop the collection record, its failure records and its watched folders (its
        indexed documents are removed first, through the ingest pipeline)."""
        with self._transaction() as db:
            db.execute("DELETE FROM documents WHERE collection = ?", (name,))
            db.execute("DELETE FROM watches WHERE collection = ?", (name,))
            db.execute("DELETE FROM collections WHERE name = ?", (name,))

    # -- documents -----------------------------------------------------------------
    def document(self, collection: str, path: str) -> DocumentRecord | None:
        rows = self._query(
            "SELECT * FROM documents WHERE collection = ? AND path = ?", (collection, path)
        )
        return DocumentRecord(**dict(rows[0])) if rows else None

    def documents(
        self, collection: str | None = None, under: str | None = None
    ) -> list[DocumentRecord]:
        sql, params = "SELECT * FROM documents WHERE 1=1", list[object]()
        if collection is not None:
            sql, params = sql + " AND collection = ?", [*params, collection]
        if under is not None:
            sql += " AND (path = ? OR substr(path, 1, ?) = ?)"
            prefix = under.rstrip("/\\") + "/"
            params += [under, len(prefix), prefix]
        return [DocumentRecord(**dict(r)) for r in self._query(sql + " ORDER BY path", params)]

    def has_chunks(self) -> bool:
        """Whether any committed document has chunks in the store (no store needed)."""
        rows = self._query("SELECT 1 FROM documents WHERE version > 0 AND chunks > 0 LIMIT 1")
        return bool(rows)

    def documents_by_path(self, path: str) -> list[DocumentRecord]:
        rows = self._query("SELECT * FROM documents WHERE path = ?", (path,))
        return [DocumentRecord(**dict(r)) for r in rows]

    def indexed_with_hash(self, content_hash: str, embed_model: str) -> DocumentRecord | None:
        rows = self._query(
            "SELECT d.* FROM documents d JOIN collections c ON c.name = d.collection "
            "WHERE d.content_hash = ? AND d.status = ? AND d.version > 0 AND c.embed_model = ? "
            "LIMIT 1",
            (content_hash, INDEXED, embed_model),
        )
        return DocumentRecord(**dict(rows[0])) if rows else None

    def next_version(self) -> int:
        rows = self._query(
            "SELECT MAX(MAX(version), COALESCE(MAX(pending_version), 0)) FROM documents"
        )
        return int(rows[0][0] or 0) + 1

    def mark_pending(self, collection: str, commits: Iterable[Commit]) -> None:
        """The chunks of these versions are about to be written."""
        now = time.time()
        with self._transaction() as db:
            for c in commits:
                db.execute(
                    "INSERT INTO documents (doc_id, collection, path, status, pending_version, updated)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT(doc_id) DO UPDATE SET"
                    " pending_version = excluded.pending_version, updated = excluded.updated",
                    (c.doc_id, collection, c.path, PENDING, c.version, now),
                )

    def commit(self, commits: Iterable[Commit]) -> list[tuple[str, int]]:
        """Make new versions visible; return the (doc_id, old version) pairs to delete."""
        stale: list[tuple[str, int]] = []
        now = time.time()
        with self._transaction() as db:
            for c in commits:
                old = db.execute(
                    "SELECT version FROM documents WHERE doc_id = ?", (c.doc_id,)
                ).fetchone()
                if old and old[0]:
                    stale.append((c.doc_id, int(old[0])))
                    db.execute("INSERT INTO stale_chunks VALUES (?, ?)", (c.doc_id, int(old[0])))
                db.execute(
                    "UPDATE documents SET content_hash=?, mtime=?, size=?, title=?, pages=?,"
                    " chunks=?, version=?, pending_version=NULL, status=?, reason=NULL,"
                    " error=NULL, warning=?, updated=? WHERE doc_id=?",
                    (
                        c.content_hash,
                        c.mtime,
                        c.size,
                        c.title,
                        c.pages,
                        c.chunks,
                        c.version,
                        INDEXED,
                        c.warning,
                        now,
                        c.doc_id,
                    ),
                )
        return stale

    def record_failure(
        self, doc_id: str, collection: str, path: str, reason: str, error: str
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO documents (doc_id, collection, path, status, reason, error, updated)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT(doc_id) DO UPDATE SET status = excluded.status,"
                " reason = excluded.reason, error = excluded.error, pending_version = NULL,"
                " updated = excluded.updated",
                (doc_id, collection, path, FAILED, reason, error, time.time()),
            )

    def forget_file_state(self, paths: Iterable[str]) -> None:
        """Make the next ingest read these files again, even if unchanged on disk."""
        with self._transaction() as db:
            for path in paths:
                db.execute(
                    "UPDATE documents SET mtime = NULL, content_hash = NULL WHERE path = ?",
                    (path,),
                )

    def touch(self, doc_id: str, mtime: float) -> None:
        with self._transaction() as db:
            db.execute("UPDATE documents SET mtime = ? WHERE doc_id = ?", (mtime, doc_id))

    def remove(self, doc_ids: Iterable[str]) -> list[tuple[str, int]]:
        """Forget documents; return their (doc_id, version) chunks to delete."""
        stale = []
        with self._transaction() as db:
            for doc_id in doc_ids:
                row = db.execute(
                    "SELECT version, pending_version FROM documents WHERE doc_id = ?", (doc_id,)
                ).fetchone()
                if row is None:
                    continue
                for version in {row[0], row[1]} - {None, 0}:
                    stale.append((doc_id, int(version)))
                    db.execute("INSERT INTO stale_chunks VALUES (?, ?)", (doc_id, int(version)))
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        return stale

    # -- crash recovery ------------------------------------------------------------
    def interrupted(self) -> list[tuple[str, int]]:
        """Chunk versions a killed ingest may have left: pending or not yet deleted."""
        rows = self._query(
            "SELECT doc_id, pending_version FROM documents WHERE pending_version IS NOT NULL"
            " UNION SELECT doc_id, version FROM stale_chunks"
        )
        return [(r[0], int(r[1])) for r in rows]

    def clear_interrupted(self, cleaned: Iterable[tuple[str, int]]) -> None:
        with self._transaction() as db:
            for doc_id, version in cleaned:
                db.execute(
                    "DELETE FROM stale_chunks WHERE doc_id = ? AND version = ?", (doc_id, version)
                )
                db.execute(
                    "UPDATE documents SET pending_version = NULL"
                    " WHERE doc_id = ? AND pending_version = ?",
                    (doc_id, version),
                )

    # -- watched folders -----------------------------------------------------------
    def add_watch(self, collection: str, folder: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO watches VALUES (?, ?)", (collection, folder))

    def remove_watch(self, collection: str, folder: str) -> None:
        with self._transaction() as db:
            db.execute(
                "DELETE FROM watches WHERE collection = ? AND folder = ?", (collection, folder)
            )

    def watches(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._query("SELECT collection, folder FROM watches")]
