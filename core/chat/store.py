"""Conversations in SQLite (<home>/chats.sqlite3): turns, their sources and citations.

Each turn keeps the user message exactly as it went into the prompt, so a follow-up
rebuilds a byte-identical prefix and llama.cpp reuses its KV cache for it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.chat.sources import Source
from core.errors import NotFound, StoreError

CHATS_FILE = "chats.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    question TEXT NOT NULL,
    search_query TEXT NOT NULL,
    user_content TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    model TEXT NOT NULL,
    citations TEXT NOT NULL,  -- JSON list of source numbers, inferred ones negative-free
    inferred INTEGER NOT NULL,
    info TEXT NOT NULL,  -- JSON: timings, finish reason, dangling markers
    created REAL NOT NULL,
    PRIMARY KEY (conversation_id, ordinal)
);
CREATE TABLE IF NOT EXISTS sources (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    turn INTEGER NOT NULL,  -- the turn that showed it first
    data TEXT NOT NULL,
    PRIMARY KEY (conversation_id, n)
);
"""


@dataclass(frozen=True)
class Conversation:
    id: str
    title: str
    created: float
    updated: float
    turns: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "created": self.created,
                "updated": self.updated, "turns": self.turns}


@dataclass(frozen=True)
class Turn:
    ordinal: int
    question: str
    search_query: str
    user_content: str
    answer: str
    abstained: bool
    model: str
    cited: tuple[int, ...]
    inferred: bool
    new_sources: tuple[Source, ...] = ()
    visible_sources: tuple[int, ...] = ()  # numbers of every source shown in this turn
    info: dict[str, Any] = field(default_factory=dict)


class ConversationStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @classmethod
    def in_home(cls, home: Path) -> ConversationStore:
        return cls(Path(home) / CHATS_FILE)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=10)
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open the chat history {self.path}: {exc}") from exc
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:  # one transaction, committed or rolled back
                yield db
        except sqlite3.Error as exc:
            raise StoreError(f"Chat history {self.path} failed: {exc}") from exc
        finally:
            db.close()

    def create(self, title: str) -> Conversation:
        now = time.time()
        conversation = Conversation(uuid.uuid4().hex[:12], title.strip()[:80] or "Chat", now, now)
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?)",
                (conversation.id, conversation.title, now, now),
            )
        return conversation

    def get(self, conversation_id: str) -> Conversation:
        for conversation in self.list_conversations(conversation_id):
            return conversation
        raise NotFound(f"No conversation {conversation_id!r}; see the conversation list.")

    def list_conversations(self, only_id: str | None = None) -> list[Conversation]:
        query = (
            "SELECT c.id, c.title, c.created, c.updated, COUNT(t.ordinal) FROM conversations c "
            "LEFT JOIN turns t ON t.conversation_id = c.id "
            + ("WHERE c.id = ? " if only_id else "")
            + "GROUP BY c.id ORDER BY c.updated DESC"
        )
        with self._connect() as db:
            rows = db.execute(query, (only_id,) if only_id else ()).fetchall()
        return [Conversation(*row) for row in rows]

    def rename(self, conversation_id: str, title: str) -> None:
        with self._connect() as db:
            changed = db.execute(
                "UPDATE conversations SET title = ? WHERE id = ?", (title.strip(), conversation_id)
            ).rowcount
        if not changed:
            raise NotFound(f"No conversation {conversation_id!r} to rename.")

    def delete(self, conversation_id: str) -> None:
        with self._connect() as db:
            changed = db.execute(
                "DELETE FROM conversations WHERE id = ?", (conversation_id,)
            ).rowcount
        if not changed:
            raise NotFound(f"No conversation {conversation_id!r} to delete.")

    def add_turn(self, conversation_id: str, turn: Turn) -> None:
        info = {**turn.info, "visible_sources": list(turn.visible_sources)}
        with self._connect() as db:
            db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, turn.ordinal, turn.question, turn.search_query,
                 turn.user_content, turn.answer, int(turn.abstained), turn.model,
                 json.dumps(list(turn.cited)), int(turn.inferred), json.dumps(info),
                 time.time()),
            )
            db.executemany(
                "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                [(conversation_id, s.n, turn.ordinal, json.dumps(s.to_json()))
                 for s in turn.new_sources],
            )
            db.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), conversation_id)
            )

    def turns(self, conversation_id: str) -> list[Turn]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT ordinal, question, search_query, user_content, answer, abstained, "
                "model, citations, inferred, info FROM turns WHERE conversation_id = ? "
                "ORDER BY ordinal",
                (conversation_id,),
            ).fetchall()
            source_rows = db.execute(
                "SELECT turn, data FROM sources WHERE conversation_id = ? ORDER BY n",
                (conversation_id,),
            ).fetchall()
        by_turn: dict[int, list[Source]] = {}
        for turn_ordinal, data in source_rows:
            by_turn.setdefault(turn_ordinal, []).append(Source.from_json(json.loads(data)))
        return [_turn_from_row(row, by_turn.get(row[0], [])) for row in rows]

    def sources(self, conversation_id: str) -> dict[int, Source]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT data FROM sources WHERE conversation_id = ?", (conversation_id,)
            ).fetchall()
        sources = (Source.from_json(json.loads(data)) for (data,) in rows)
        return {s.n: s for s in sources}


def _turn_from_row(row: tuple[Any, ...], new_sources: list[Source]) -> Turn:
    ordinal, question, query, content, answer, abstained, model, cited, inferred, info = row
    details = json.loads(info)
    return Turn(
        ordinal=ordinal,
        question=question,
        search_query=query,
        user_content=content,
        answer=answer,
        abstained=bool(abstained),
        model=model,
        cited=tuple(json.loads(cited)),
        inferred=bool(inferred),
        new_sources=tuple(new_sources),
        visible_sources=tuple(details.pop("visible_sources", ())),
        info=details,
    )
