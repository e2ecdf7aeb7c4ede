"""Split a Document into token-sized chunks that follow headings and pages.

Blocks under one heading path form a section; a chunk never spans two sections, so a
passage is always read under the right heading. Within a section, sentences are packed
greedily up to `max_tokens` of the embedding model, and each chunk repeats the last
`overlap` tokens' worth of sentences of the one before it. A sentence longer than the
budget is cut at token boundaries. Token counts come from the embedder's own tokenizer,
in one batched call per document.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from core.index.types import Chunk
from core.ingest.document import Document

BLOCK_SEPARATOR = "\n\n"
# A sentence ends at . ! ? followed by space and a capital/digit/quote, or at a newline.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])|\n+")

TokenCounter = Callable[[Sequence[str]], list[int]]
Span = tuple[int, int, int | None]  # start, end, page in the document text


@dataclass(frozen=True)
class _Piece:
    """A sentence (or a cut of one) with its span in the document text and its page."""

    start: int
    end: int
    page: int | None
    tokens: int


def split_document(
    document: Document, count_tokens: TokenCounter, max_tokens: int = 200, overlap: int = 32
) -> list[Chunk]:
    text = document.text
    sections = [
        (
            heading_path,
            [s for start, end, page in spans for s in _sentences(text, start, end, page)],
        )
        for heading_path, spans in _sections(document)
    ]
    all_spans = [span for _, spans in sections for span in spans]
    counts = iter(count_tokens([text[s:e] for s, e, _ in all_spans]) if all_spans else [])
    chunks: list[Chunk] = []
    for heading_path, spans in sections:
        pieces = [_Piece(s, e, page, next(counts)) for s, e, page in spans]
        fitted = [part for piece in pieces for part in _cut(piece, text, max_tokens, count_tokens)]
        for group in _pack(fitted, max_tokens, overlap):
            chunks.append(_make_chunk(text, group, heading_path, len(chunks)))
    return chunks


def _sections(document: Document) -> Iterator[tuple[tuple[str, ...], list[Span]]]:
    """Group block spans (start, end, page) by heading path, in document order."""
    offset = 0
    current: tuple[str, ...] | None = None
    spans: list[Span] = []
    for block in document.blocks:
        start, end = offset, offset + len(block.text)
        offset = end + len(BLOCK_SEPARATOR)
        path = block.heading_path
        if block.is_heading or path != current:
            if spans:
                yield current or (), spans
            spans, current = [], path
        if not block.is_heading and block.text.strip():
            spans.append((start, end, block.page))
    if spans:
        yield current or (), spans


def _sentences(text: str, start: int, end: int, page: int | None) -> Iterator[Span]:
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if text[cursor : match.start()].strip():
            yield cursor, match.start(), page
        cursor = match.end()
    if text[cursor:end].strip():
        yield cursor, end, page


def _cut(piece: _Piece, text: str, max_tokens: int, count_tokens: TokenCounter) -> list[_Piece]:
    """Cut an over-long sentence at word boundaries until every part fits (rare: recount)."""
    if piece.tokens <= max_tokens:
        return [piece]
    parts = -(-piece.tokens // max_tokens)
    bounds = [piece.start]
    for i in range(1, parts):
        target = piece.start + (piece.end - piece.start) * i // parts
        space = text.rfind(" ", bounds[-1] + 1, target + 1)
        bounds.append(space if space > bounds[-1] else target)
    bounds.append(piece.end)
    spans = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    counts = count_tokens([text[a:b] for a, b in spans])
    if len(spans) == 1 and counts[0] >= piece.tokens:  # cannot cut further: keep as is
        return [piece]
    cut = [_Piece(a, b, piece.page, n) for (a, b), n in zip(spans, counts, strict=True)]
    return [part for p in cut for part in _cut(p, text, max_tokens, count_tokens)]


def _pack(pieces: list[_Piece], max_tokens: int, overlap: int) -> Iterator[list[_Piece]]:
    group: list[_Piece] = []
    size = 0
    for piece in pieces:
        if group and size + piece.tokens > max_tokens:
            yield group
            group = _tail(group, overlap, max_tokens - piece.tokens)
            size = sum(p.tokens for p in group)
        group.append(piece)
        size += piece.tokens
    if group:
        yield group


def _tail(group: list[_Piece], overlap: int, room: int) -> list[_Piece]:
    """The last sentences of a chunk, up to `overlap` tokens, to open the next one."""
    tail: list[_Piece] = []
    size = 0
    for piece in reversed(group):
        if size + piece.tokens > min(overlap, room):
            break
        tail.insert(0, piece)
        size += piece.tokens
    return tail


def _make_chunk(
    text: str, group: list[_Piece], heading_path: tuple[str, ...], ordinal: int
) -> Chunk:
    pages = [p.page for p in group if p.page is not None]
    start, end = group[0].start, group[-1].end
    return Chunk(
        text=_join(text, group),
        ordinal=ordinal,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        heading_path=heading_path,
        char_start=start,
        char_end=end,
    )


def _join(text: str, group: list[_Piece]) -> str:
    """The chunk text: contiguous pieces keep the document's own spacing."""
    out = [text[group[0].start : group[0].end]]
    for prev, piece in itertools.pairwise(group):
        gap = text[prev.end : piece.start]
        out.append(gap if gap.strip() == "" and len(gap) <= 2 else " ")
        out.append(text[piece.start : piece.end])
    return "".join(out).strip()
