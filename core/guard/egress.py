"""Egress log: an append-only, hash-chained SQLite record of every request that left.

Each row stores when, to whom, the exact bytes sent (after redaction), what was redacted
(types and counts, never values) and the response size, plus the hash of the previous row.
Triggers refuse UPDATE and DELETE; `verify` recomputes the chain, so an edit made around
the triggers (or a deleted row, seen as a gap in AUTOINCREMENT ids) is still detected.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.errors import NotFound

GENESIS = "0" * 64
SCHEMA = """
CREATE TABLE IF NOT EXISTS egress (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    payload BLOB NOT NULL, redactions TEXT NOT NULL, response_size INTEGER NOT NULL,
    prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS egress_no_update BEFORE UPDATE ON egress
BEGIN SELECT RAISE(ABORT, 'egress log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS egress_no_delete BEFORE DELETE ON egress
BEGIN SELECT RAISE(ABORT, 'egress log is append-only'); END;
"""


@dataclass(frozen=True)
class EgressRecord:
    id: int
    ts: str
    provider: str
    model: str
    payload: bytes
    redactions: dict[str, int]
    response_size: int
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problems: tuple[str, ...]


def row_hash(prev_hash: str, ts: str, provider: str, model: str, payload: bytes,
             redactions: str, response_size: int) -> str:  # fmt: skip
    head = json.dumps([prev_hash, ts, provider, model, redactions, response_size])
    return hashlib.sha256(head.encode("utf-8") + b"\0" + payload).hexdigest()


class EgressLog:
    def __init__(self, home: Path | str) -> None:
        self.path = Path(home) / "egress.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(self, provider: str, model: str, payload: bytes, redactions: dict[str, int],
               response_size: int) -> int:  # fmt: skip
        ts = datetime.now(UTC).isoformat(timespec="milliseconds")
        red = json.dumps(dict(sorted(redactions.items())))
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")  # one writer: the chain never forks
            last = db.execute("SELECT hash FROM egress ORDER BY id DESC LIMIT 1").fetchone()
            prev = last["hash"] if last else GENESIS
            digest = row_hash(prev, ts, provider, model, payload, red, response_size)
            cur = db.execute(
                "INSERT INTO egress (ts, provider, model, payload, redactions, response_size,"
                " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (ts, provider, model, payload, red, response_size, prev, digest),
            )
            db.execute("COMMIT")
            return int(cur.lastrowid or 0)
        finally:
            db.close()

    def list(self, limit: int | None = None) -> list[EgressRecord]:
        sql = "SELECT * FROM egress ORDER BY id" + (f" DESC LIMIT {int(limit)}" if limit else "")
        with self._connect() as db:
            rows = [_record(r) for r in db.execute(sql)]
        return sorted(rows, key=lambda r: r.id)

    def show(self, record_id: int) -> EgressRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM egress WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise NotFound(f"No egress record {record_id}. See `enclave egress list`.")
        return _record(row)

    def verify(self) -> VerifyResult:
        problems: list[str] = []
        prev, expected_id = GENESIS, 1
        with self._connect() as db:
            rows = list(db.execute("SELECT * FROM egress ORDER BY id"))
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'egress'").fetchone()
        for r in rows:
            if r["id"] != expected_id:
                problems.append(f"rows {expected_id}..{r['id'] - 1} are missing")
            if r["prev_hash"] != prev:
                problems.append(f"row {r['id']}: chain broken (previous row changed or removed)")
            digest = row_hash(r["prev_hash"], r["ts"], r["provider"], r["model"],
                              bytes(r["payload"]), r["redactions"], r["response_size"])  # fmt: skip
            if digest != r["hash"]:
                problems.append(f"row {r['id']}: contents do not match its hash (edited)")
            prev, expected_id = r["hash"], r["id"] + 1
        if seq is not None and int(seq["seq"]) >= expected_id:
            problems.append(f"rows {expected_id}..{seq['seq']} at the end are missing")
        return VerifyResult(not problems, len(rows), tuple(problems))


def _record(r: sqlite3.Row) -> EgressRecord:
    return EgressRecord(r["id"], r["ts"], r["provider"], r["model"], bytes(r["payload"]),
                        json.loads(r["redactions"]), r["response_size"], r["prev_hash"],
                        r["hash"])  # fmt: skip
