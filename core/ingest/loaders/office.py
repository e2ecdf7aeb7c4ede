"""DOCX with python-docx: Heading styles become heading paths, tables markdown rows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from core.errors import IngestError
from core.ingest.document import Block, Document
from core.ingest.loaders._common import HeadingStack, clean_inline, display_name, split_long
from core.ingest.loaders.markup import markdown_table

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def check_office_container(path: Path, head: bytes) -> None:
    """A password-protected .docx is an OLE file holding an encrypted package."""
    if not head.startswith(OLE_SIGNATURE):
        return
    data = path.read_bytes()
    name = display_name(path)
    if "EncryptionInfo".encode("utf-16-le") in data:
        raise IngestError(
            f"{name} is password-protected. Save an unprotected copy and add that instead.",
            reason="encrypted",
        )
    raise IngestError(
        f"{name} is an old-style Word file (.doc). Save it as .docx or PDF and add it again.",
        reason="unsupported",
    )


def load_docx(path: Path) -> Document:
    import docx

    document = docx.Document(str(path))
    stack = HeadingStack()
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            table = markdown_table(_table_rows(item))
            if table:
                blocks.append(Block(table, heading_path=stack.path))
            continue
        text = clean_inline(item.text)
        if not text:
            continue
        level = _heading_level(item)
        if level:
            blocks.append(Block(text, heading_path=stack.push(level, text), is_heading=True))
        else:
            blocks.extend(Block(piece, heading_path=stack.path) for piece in split_long(text))
    core_title = clean_inline(document.core_properties.title or "")
    first_heading = next((b.text for b in blocks if b.is_heading), None)
    title = core_title or first_heading or path.stem
    return Document(path=path, title=title, blocks=blocks)


def _heading_level(paragraph: Any) -> int:
    style_name = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name.strip())
    return int(match.group(1)) if match else 0


def _table_rows(table: Any) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    for row in table.rows:
        cells: list[str | None] = []
        for cell in row.cells:
            # Merged cells repeat the same cell object across the span: keep it once.
            if cells and cell.text == cells[-1]:
                continue
            cells.append(cell.text)
        rows.append(cells)
    return rows
