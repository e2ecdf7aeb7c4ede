"""Token usage and cost of each cloud answer, next to the egress log's record of it.

The egress log is append-only and written before a request leaves, so what came back
(tokens, cost, whether the answer completed) is kept here, keyed by the egress id.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.llm.cloud.settings import Price

SCHEMA = """
CREATE TABLE IF NOT EXISTS cloud_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, egress_id INTEGER,
    conversation_id TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
    estimated INTEGER NOT NULL, cost_usd REAL, status TEXT NOT NULL, reason TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False  # the server sent no usage: counted from characters

    def to_json(self) -> dict[str, Any]:
        return {"prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "estimated": self.estimated}  # fmt: skip


def cost_of(usage: Usage, price: Price | None) -> float | None:
    """US dollars, or None when the price table has no entry for the model."""
    if price is None:
        return None
    return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6


@dataclass(frozen=True)
class CallRecord:
    id: int
    ts: str
    egress_id: int | None
    conversation_id: str
    provider: str
    model: str
    usage: Usage
    cost_usd: float | None
    status: str  # ok | cancelled | broken | failed
    reason: str


@dataclass(frozen=True)
class CostSum:
    key: str  # a conversation id or a month (YYYY-MM)
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    unpriced_calls: int  # calls whose model has no price in the table

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "calls": self.calls, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "cost_usd": round(self.cost_usd, 6), "unpriced_calls": self.unpriced_calls}  # fmt: skip


class CloudLedger:
    def __init__(self, home: Path | str) -> None:
        self.path = Path(home) / "cloud_usage.sqlite3"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        db.row_factory = sqlite3.Row
        return db

    def record(self, *, egress_id: int | None, conversation_id: str, provider: str, model: str,
               usage: Usage, cost_usd: float | None, status: str, reason: str = "") -> int:  # fmt: skip
        ts = datetime.now(UTC).isoformat(timespec="milliseconds")
        db = self._connect()
        try:
            cur = db.execute(
                "INSERT INTO cloud_calls (ts, egress_id, conversation_id, provider, model,"
                " prompt_tokens, completion_tokens, estimated, cost_usd, status, reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ts, egress_id, conversation_id, provider, model, usage.prompt_tokens,
                 usage.completion_tokens, int(usage.estimated), cost_usd, status, reason),
            )  # fmt: skip
            return int(cur.lastrowid or 0)
        finally:
            db.close()

    def calls(self) -> list[CallRecord]:
        with self._connect() as db:
            rows = list(db.execute("SELECT * FROM cloud_calls ORDER BY id"))
        return [CallRecord(r["id"], r["ts"], r["egress_id"], r["conversation_id"], r["provider"],
                           r["model"], Usage(r["prompt_tokens"], r["completion_tokens"],
                                             bool(r["estimated"])),
                           r["cost_usd"], r["status"], r["reason"]) for r in rows]  # fmt: skip

    def by_egress(self) -> dict[int, CallRecord]:
        return {c.egress_id: c for c in self.calls() if c.egress_id is not None}

    def sums(self, by: str) -> list[CostSum]:
        """Totals per "conversation" or per "month"."""
        if by not in ("conversation", "month"):
            raise ValueError(by)
        key = "conversation_id" if by == "conversation" else "substr(ts, 1, 7)"
        sql = (f"SELECT {key} AS k, count(*) AS n, sum(prompt_tokens) AS p,"
               " sum(completion_tokens) AS c, coalesce(sum(cost_usd), 0) AS usd,"
               " sum(cost_usd IS NULL) AS unpriced FROM cloud_calls GROUP BY k ORDER BY min(id)")  # fmt: skip
        with self._connect() as db:
            return [CostSum(r["k"], r["n"], r["p"], r["c"], r["usd"], r["unpriced"])
                    for r in db.execute(sql)]  # fmt: skip
