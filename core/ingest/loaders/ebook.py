"""EPUB with ebooklib: chapters in spine order, chapter titles as top-level headings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.ingest.document import Block, Document
from core.ingest.loaders._common import HeadingStack, clean_inline
from core.ingest.loaders.markup import html_blocks


def load_epub(path: Path) -> Document:
    import warnings

    from ebooklib import ITEM_DOCUMENT, epub

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ebooklib warns about future defaults on every read
        book = epub.read_epub(str(path), options={"ignore_ncx": False})
    chapter_titles = _toc_titles(book.toc)
    stack = HeadingStack()
    blocks: list[Block] = []
    for idref, *_ in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT:
            continue
        chapter = chapter_titles.get(item.get_name())
        if chapter:
            blocks.append(Block(chapter, heading_path=stack.push(1, chapter), is_heading=True))
        blocks.extend(html_blocks(item.get_content(), stack, level_offset=1).blocks)
    metadata_title = book.get_metadata("DC", "title")
    title = clean_inline(metadata_title[0][0]) if metadata_title else ""
    return Document(path=path, title=title or path.stem, blocks=blocks)


def _toc_titles(toc: Any) -> dict[str, str]:
    """href (without #fragment) -> title of the first table-of-contents entry for it."""
    titles: dict[str, str] = {}
    for entry in toc:
        if isinstance(entry, (tuple, list)):
            section, children = entry[0], entry[1]
            _add_title(titles, section)
            titles.update({k: v for k, v in _toc_titles(children).items() if k not in titles})
        else:
            _add_title(titles, entry)
    return titles


def _add_title(titles: dict[str, str], entry: Any) -> None:
    href = getattr(entry, "href", None)
    title = clean_inline(getattr(entry, "title", "") or "")
    if href and title:
        titles.setdefault(href.split("#", 1)[0], title)
