"""Plain records shared by the store, the engine and the faces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

SearchMode = Literal["hybrid", "vector", "keyword"]


@dataclass(frozen=True)
class Chunk:
    """A token-sized passage of one document, ready to embed."""

    text: str
    ordinal: int  # position within the document
    page_start: int | None
    page_end: int | None
    heading_path: tuple[str, ...]
    char_start: int  # span in Document.text
    char_end: int


@dataclass(frozen=True)
class SearchHit:
    chunk_id: str
    path: str
    title: str
    page: int | None  # first page of the chunk, 1-based
    page_end: int | None
    heading_path: tuple[str, ...]
    text: str
    score: float
    collection: str
    doc_id: str
    ordinal: int
    flags: tuple[str, ...] = ()  # guard flags stored at ingest, e.g. ("injection",)

    def to_json(self) -> dict[str, Any]:
        """The public result shape of `enclave search --json`."""
        return {
            "path": self.path,
            "title": self.title,
            "page": self.page,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "text": self.text,
        }
