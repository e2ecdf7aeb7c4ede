"""Helpers shared by the loaders: heading stacks and paragraph-sized blocks."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from core.ingest.document import Block

# Paragraphs longer than this are cut at line breaks so a block stays "paragraph-ish";
# the splitter packs blocks into chunks, it should not have to cut novels.
MAX_BLOCK_CHARS = 2000
_BLANK_LINES = re.compile(r"\n\s*\n")


class HeadingStack:
    """The chain of headings the current text sits under, outermost first."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    def push(self, level: int, title: str) -> tuple[str, ...]:
        while self._levels and self._levels[-1][0] >= level:
            self._levels.pop()
        self._levels.append((level, title))
        return self.path

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._levels)


def clean_inline(text: str) -> str:
    """Collapse runs of whitespace inside one paragraph or heading."""
    return " ".join(text.split())


def split_long(text: str, limit: int = MAX_BLOCK_CHARS) -> Iterator[str]:
    """Cut an over-long paragraph at line breaks (or spaces) into pieces under `limit`."""
    if len(text) <= limit:
        yield text
        return
    piece = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > 0 else limit
            if piece.strip():
                yield piece.strip()
                piece = ""
            yield line[:cut].strip()
            line = line[cut:]
        if len(piece) + len(line) > limit and piece.strip():
            yield piece.strip()
            piece = ""
        piece += line
    if piece.strip():
        yield piece.strip()


def paragraphs(text: str) -> Iterator[str]:
    """Blank-line separated paragraphs of `text`, each cut to a block-friendly size."""
    for para in _BLANK_LINES.split(text):
        if para.strip():
            yield from split_long(para.strip("\n"))


def text_blocks(
    text: str, heading_path: tuple[str, ...] = (), page: int | None = None
) -> list[Block]:
    return [Block(para, page=page, heading_path=heading_path) for para in paragraphs(text)]


def has_text(blocks: Iterable[Block]) -> bool:
    return any(b.text.strip() for b in blocks)


def display_name(path: Path) -> str:
    return path.name or str(path)
