"""A numbered source: one retrieved passage as the model saw it and a citation shows it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.index.types import SearchHit


@dataclass(frozen=True)
class Source:
    n: int  # stable within a conversation: [n] means the same passage in every turn
    chunk_id: str
    path: str
    title: str
    page: int | None
    page_end: int | None
    text: str
    score: float = 0.0
    flags: tuple[str, ...] = ()
    truncated: bool = False  # text was trimmed to fit the context budget

    @classmethod
    def from_hit(cls, n: int, hit: SearchHit) -> Source:
        return cls(
            n=n,
            chunk_id=hit.chunk_id,
            path=hit.path,
            title=hit.title,
            page=hit.page,
            page_end=hit.page_end,
            text=hit.text,
            score=hit.score,
            flags=tuple(hit.flags),
        )

    def renumbered(self, n: int) -> Source:
        return replace(self, n=n)

    @property
    def file_name(self) -> str:
        return Path(self.path).name

    @property
    def pages_label(self) -> str:
        if self.page is None:
            return ""
        if self.page_end and self.page_end != self.page:
            return f"{self.page}-{self.page_end}"
        return str(self.page)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "path": self.path,
            "page": self.page,
            "text": self.text,
            "title": self.title,
            "page_end": self.page_end,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "flags": list(self.flags),
            "truncated": self.truncated,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Source:
        return cls(
            n=int(data["n"]),
            chunk_id=str(data.get("chunk_id", "")),
            path=str(data["path"]),
            title=str(data.get("title", "")),
            page=data.get("page"),
            page_end=data.get("page_end"),
            text=str(data.get("text", "")),
            score=float(data.get("score", 0.0)),
            flags=tuple(data.get("flags", ())),
            truncated=bool(data.get("truncated", False)),
        )
