"""Markdown and HTML: headings become heading paths, tables become markdown rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.ingest.document import Block, Document
from core.ingest.loaders._common import HeadingStack, clean_inline, split_long, text_blocks
from core.ingest.loaders.text import decode_warnings, read_text

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
# Longer than any title: a '#' line holding a whole paragraph (a converted page, a paste)
# is text. As a heading it would only label what follows, and a file made of such lines
# would be "no text to index" (two of 20,000 SciFact notes in benchmarks/ingest_memory).
MAX_HEADING_CHARS = 200

DROPPED_TAGS = frozenset(
    {"script", "style", "nav", "noscript", "template", "svg", "canvas", "head", "iframe", "form"}
)
HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCK_TAGS = frozenset(
    {
        "p", "div", "section", "article", "main", "aside", "header", "footer", "blockquote",
        "ul", "ol", "li", "dl", "dt", "dd", "figure", "figcaption", "address", "details",
        "summary", "body", "html", "hr", "caption",
    }
)  # fmt: skip


# ---------------------------------------------------------------- Markdown


def load_markdown(path: Path) -> Document:
    decoded = read_text(path)
    blocks = markdown_blocks(decoded.text)
    first_heading = next((b.text for b in blocks if b.is_heading), None)
    return Document(
        path=path,
        title=first_heading or path.stem,
        blocks=blocks,
        warnings=decode_warnings(decoded),
    )


def markdown_blocks(text: str) -> list[Block]:
    """Split markdown at headings (ATX '#' and setext underlines), outside code fences."""
    stack = HeadingStack()
    blocks: list[Block] = []
    body: list[str] = []

    def flush() -> None:
        blocks.extend(text_blocks("\n".join(body), heading_path=stack.path))
        body.clear()

    def heading(level: int, title: str) -> None:
        flush()
        title = clean_inline(title)
        if title:
            blocks.append(Block(title, heading_path=stack.push(level, title), is_heading=True))

    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _ATX_HEADING.match(line)):
            if len(match.group(2)) <= MAX_HEADING_CHARS:
                heading(len(match.group(1)), match.group(2))
                continue
            line = match.group(2)
        elif not in_fence and _is_setext_underline(line, body):
            title = body.pop()
            heading(1 if line.strip().startswith("=") else 2, title)
            continue
        body.append(line)
    flush()
    return blocks


def _is_setext_underline(line: str, body: list[str]) -> bool:
    # "---" after a blank line is a horizontal rule, not a heading underline.
    return bool(_SETEXT_UNDERLINE.match(line)) and bool(body) and bool(body[-1].strip())


# -------------------------------------------------------------------- HTML


def load_html(path: Path) -> Document:
    decoded = read_text(path)
    converted = html_blocks(decoded.text)
    return Document(
        path=path,
        title=converted.title or path.stem,
        blocks=converted.blocks,
        warnings=decode_warnings(decoded),
    )


@dataclass
class HtmlBlocks:
    blocks: list[Block]
    title: str | None


@dataclass
class _HtmlWalker:
    """Walks a parsed HTML tree in document order, collecting paragraph-sized blocks."""

    stack: HeadingStack
    level_offset: int = 0
    blocks: list[Block] = field(default_factory=list)
    buffer: list[str] = field(default_factory=list)

    def flush(self) -> None:
        text = clean_inline("".join(self.buffer))
        self.buffer.clear()
        for piece in split_long(text):
            self.blocks.append(Block(piece, heading_path=self.stack.path))

    def heading(self, level: int, title: str) -> None:
        self.flush()
        title = clean_inline(title)
        # An EPUB chapter often repeats its table-of-contents title as its first heading.
        if title and self.stack.path[-1:] != (title,):
            path = self.stack.push(level + self.level_offset, title)
            self.blocks.append(Block(title, heading_path=path, is_heading=True))

    def walk(self, node: Any) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

        for child in node.children:
            if isinstance(child, (Comment, Declaration, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.buffer.append(str(child))
            elif isinstance(child, Tag):
                self.visit(child)

    def visit(self, tag: Any) -> None:
        name = tag.name.lower() if tag.name else ""
        if name in DROPPED_TAGS:
            return
        if name in HEADING_TAGS:
            self.heading(HEADING_TAGS[name], tag.get_text(" "))
        elif name == "table":
            self.flush()
            table = html_table_markdown(tag)
            if table:
                self.blocks.append(Block(table, heading_path=self.stack.path))
        elif name == "pre":
            self.flush()
            self.blocks.extend(text_blocks(tag.get_text(), heading_path=self.stack.path))
        elif name == "br":
            self.buffer.append("\n")
        else:
            is_block = name in BLOCK_TAGS
            if is_block:
                self.flush()
            if name == "li":
                self.buffer.append("- ")
            self.walk(tag)
            if is_block:
                self.flush()


def parse_html(markup: str | bytes) -> Any:
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        # XHTML (EPUB chapters) parses fine as HTML; that is what we want here.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            return BeautifulSoup(markup, "lxml")
        except Exception:  # lxml missing (bs4.FeatureNotFound): the stdlib parser will do.
            return BeautifulSoup(markup, "html.parser")


def html_blocks(
    markup: str | bytes, stack: HeadingStack | None = None, level_offset: int = 0
) -> HtmlBlocks:
    soup = parse_html(markup)
    title_tag = soup.find("title")
    title = clean_inline(title_tag.get_text()) if title_tag else ""
    walker = _HtmlWalker(stack=stack or HeadingStack(), level_offset=level_offset)
    walker.walk(soup.body or soup)
    walker.flush()
    if not title:
        title = next((b.text for b in walker.blocks if b.is_heading), "")
    return HtmlBlocks(blocks=walker.blocks, title=title or None)


def html_table_markdown(table: Any) -> str:
    rows = []
    for tr in table.find_all("tr"):
        cells = [cell.get_text(" ") for cell in tr.find_all(["th", "td"])]
        if cells:
            rows.append(cells)
    return markdown_table(rows)


def markdown_table(rows: list[list[str | None]]) -> str:
    """Rows of cells as a markdown table; the first row is taken as the header."""
    cleaned = [[clean_inline(c or "").replace("|", "\\|") for c in row] for row in rows]
    cleaned = [row for row in cleaned if any(row)]
    if not cleaned:
        return ""
    width = max(len(row) for row in cleaned)
    padded = [row + [""] * (width - len(row)) for row in cleaned]
    lines = ["| " + " | ".join(row) + " |" for row in padded]
    lines.insert(1, "|" + "---|" * width)
    return "\n".join(lines)
