"""What loaders produce and the splitter consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Block:
    """A run of text from one place in a document: one page, under one heading path.

    Loaders emit blocks in reading order. `page` is 1-based; None where the format has
    no pages. `heading_path` is the chain of headings the text sits under, outermost
    first. `is_heading` marks a block that is itself a heading line.
    """

    text: str
    page: int | None = None
    heading_path: tuple[str, ...] = ()
    is_heading: bool = False


@dataclass
class Document:
    path: Path
    title: str
    blocks: list[Block]
    page_count: int | None = None
    # Pages that had no text layer and could not be OCRed (1-based).
    needs_ocr_pages: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(b.text for b in self.blocks)
