"""PDF with PyMuPDF: text in reading order with page numbers, headings and tables.

Why not pymupdf4llm: measured on ../shared/data/pdfs it costs 0.3-2.5 s/page (its
layout model runs on every page) against 0.01-0.1 s/page here, and its reading order
was no better on the multi-column papers. See the loaders' issue note for numbers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import IngestError
from core.ingest.document import Block, Document
from core.ingest.loaders._common import (
    MAX_BLOCK_CHARS,
    HeadingStack,
    clean_inline,
    display_name,
    split_long,
)
from core.ingest.loaders.markup import markdown_table
from core.ingest.loaders.ocr import tessdata_dir
from core.ingest.loaders.pdf_context import MAX_HEAD_CHARS, TableHead, filing_title
from core.ingest.loaders.pdf_layout import reading_order
from core.settings import IngestSettings

HEADING_SIZE_RATIO = 1.15  # this much above the body font size reads as a heading
MAX_HEADING_CHARS = 150
SAMPLE_PAGES = 20  # pages read up front to learn the body font size and heading sizes
MIN_IMAGE_AREA = 0.1  # share of the page covered by images before it is worth OCR
MIN_RULE_LENGTH = 20.0  # points
MIN_RULES = 3  # ruled tables need this many horizontal and vertical lines; else skip
OCR_DPI = 300
OCR_MAX_PIXELS = 4200  # longer side of the rendered page: a full A4/Letter page at 300 dpi
OCR_TIMEOUT_S = 120  # one page; a stuck tesseract must not stall the whole ingest
_PAGE_NUMBER = re.compile(r"^(page\s*)?(\d+|[ivxlcdm]+)$", re.I)
_NOTE = re.compile(r"^\(.*\)$")  # "(in millions, except per share data)" is no heading
_NUMBERED_SECTION = re.compile(r"^((?:\d+\.)*\d+\.?|[IVX]+\.|[A-H]\.)\s+\S.{0,80}$")
_MEANINGLESS_TITLE = re.compile(
    r"^(untitled|microsoft word - .*|document\d*|slide \d+|.*\.(docx?|pdf|tex|dvi))$", re.I
)


@dataclass
class _Item:
    """A text block or a table on a page, placed by its bounding box."""

    bbox: tuple[float, float, float, float]
    lines: list[_Line] = field(default_factory=list)
    table: str = ""


@dataclass
class _Line:
    text: str
    size: float
    bold: bool
    horizontal: bool = True
    emphasized: bool = False  # bold or italic or all capitals: a numbered section title


@dataclass
class _FontProfile:
    """Body font size and the larger sizes used for headings, learned from a sample."""

    body: float
    heading_sizes: list[float]

    def heading_level(self, line: _Line) -> int:
        if not line.horizontal or _PAGE_NUMBER.match(line.text) or _NOTE.match(line.text):
            return 0  # margin stamps, page numbers and unit notes
        if line.size >= self.body * HEADING_SIZE_RATIO:
            return 1 + sum(1 for s in self.heading_sizes if s > line.size + 0.25)
        if line.bold and line.size >= self.body * 0.95:
            return 1 + len(self.heading_sizes)
        numbered = _NUMBERED_SECTION.match(line.text)
        if numbered and line.emphasized and line.size >= self.body * 0.95:
            return 1 + len(self.heading_sizes) + _section_depth(numbered.group(1))
        return 0


def load_pdf(path: Path, settings: IngestSettings) -> Document:
    pymupdf = _import_pymupdf()
    doc = _open(pymupdf, path, settings)
    with doc:
        return _PdfReader(pymupdf, doc, path, settings).read()


def _import_pymupdf() -> Any:
    import importlib

    try:
        pymupdf = importlib.import_module("pymupdf")
    except ImportError:  # PyMuPDF < 1.24.3 only has the old name
        pymupdf = importlib.import_module("fitz")
    pymupdf.TOOLS.mupdf_display_errors(False)  # errors reach us as exceptions instead
    return pymupdf


def _open(pymupdf: Any, path: Path, settings: IngestSettings) -> Any:
    name = display_name(path)
    try:
        doc = pymupdf.open(str(path), filetype="pdf")
    except Exception as exc:
        raise IngestError(
            f"{name} could not be read: it is not a valid PDF ({_short(exc)}). "
            "Check that the file is complete, or open and re-save it.",
            reason="corrupt",
        ) from exc
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise IngestError(
            f"{name} is password-protected. Save a copy without a password and add that.",
            reason="encrypted",
        )
    if doc.page_count == 0:
        doc.close()
        raise IngestError(
            f"{name} could not be read: the PDF has no readable pages (it may be truncated "
            "or damaged). Get a complete copy and add it again.",
            reason="corrupt",
        )
    if (pages := doc.page_count) > settings.max_pages:
        doc.close()
        raise IngestError(
            f"{name} has {pages} pages, more than the limit of {settings.max_pages}. "
            "Split it, or raise 'max pages' in the ingest settings.",
            reason="too_large",
        )
    return doc


def _short(exc: BaseException) -> str:
    text = clean_inline(str(exc)) or type(exc).__name__
    return text[:120]


class _PdfReader:
    def __init__(self, pymupdf: Any, doc: Any, path: Path, settings: IngestSettings) -> None:
        self.pymupdf = pymupdf
        self.doc = doc
        self.name = display_name(path)
        self.settings = settings
        self.flags = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
        self.tessdata = tessdata_dir(settings.ocr_language) if settings.ocr else None
        self.result = Document(path=path, title=path.stem, blocks=[], page_count=doc.page_count)
        self.stack = HeadingStack()
        self.table_head = TableHead()
        self.page_title = ""  # the last heading in capitals on the page being read
        self.failed_pages: list[int] = []
        self.first_page_headings: list[tuple[int, str]] = []

    def read(self) -> Document:
        sample = {n: self._text_items(self.doc[n]) for n in range(min(SAMPLE_PAGES, len(self.doc)))}
        self.profile = _font_profile([i for items in sample.values() for i in items])
        for number in range(len(self.doc)):
            try:
                self._read_page(number, sample.pop(number, None))
            except Exception as exc:  # one broken page must not cost the whole document
                self.failed_pages.append(number + 1)
                self.result.warnings.append(f"Page {number + 1} could not be read: {_short(exc)}")
        self._finish()
        return self.result

    def _read_page(self, number: int, items: list[_Item] | None) -> None:
        page = self.doc[number]
        if items is None:
            items = self._text_items(page)
        profile: _FontProfile | None = self.profile
        self.table_head.reset()
        self.page_title = ""
        if not items:
            items = self._ocr_items(page, number + 1)
            profile = None  # OCR text has no trustworthy font sizes
        if items:
            items = self._with_tables(page, items)
        for item in reading_order(items):
            self._emit(item, number + 1, profile)

    def _text_items(self, page: Any, textpage: Any = None) -> list[_Item]:
        page_dict = page.get_text("dict", flags=self.flags, textpage=textpage)
        items = []
        for block in page_dict["blocks"]:
            lines = [line for line in map(_line_of, block.get("lines", ())) if line.text]
            if lines:
                items.append(_Item(bbox=tuple(block["bbox"]), lines=lines))
        return items

    def _ocr_items(self, page: Any, page_number: int) -> list[_Item]:
        if _image_coverage(page) < MIN_IMAGE_AREA:
            return []  # a blank page or a page of drawings only
        if self.tessdata is None:
            self.result.needs_ocr_pages.append(page_number)
            return []
        try:
            items = self._ocr_in_subprocess(page)
            if items is None:  # no tesseract program: PyMuPDF's in-process OCR
                textpage = page.get_textpage_ocr(
                    flags=self.flags,
                    language=self.settings.ocr_language,
                    dpi=OCR_DPI,
                    full=True,
                    tessdata=str(self.tessdata),
                )
                items = self._text_items(page, textpage)
        except Exception as exc:
            self.result.warnings.append(f"OCR failed on page {page_number}: {_short(exc)}")
            self.result.needs_ocr_pages.append(page_number)
            return []
        self.result.ocr_pages.append(page_number)
        return items

    def _ocr_in_subprocess(self, page: Any) -> list[_Item] | None:
        """OCR by the tesseract program: the page rendered to PNG, read back as the one-page
        PDF with a text layer that tesseract writes. PyMuPDF's own OCR holds the GIL for
        the whole recognition (5-7 s a page here), which froze the window during an
        ingest; waiting on a subprocess does not. None when there is no tesseract."""
        import pymupdf

        program = shutil.which("tesseract")
        if program is None or self.tessdata is None:
            return None
        with tempfile.TemporaryDirectory(prefix="enclave-ocr-") as folder:
            image = Path(folder) / "page.pnm"  # uncompressed: writing it costs no time
            dpi = ocr_dpi(page.rect.width, page.rect.height)
            page.get_pixmap(dpi=dpi).save(str(image))
            subprocess.run(
                [program, str(image), str(Path(folder) / "page"), "-l", self.settings.ocr_language,
                 "--dpi", str(dpi), "--tessdata-dir", str(self.tessdata), "pdf"],
                check=True, capture_output=True, timeout=OCR_TIMEOUT_S,
            )  # fmt: skip
            with pymupdf.open(Path(folder) / "page.pdf") as scanned:
                ocr_page = scanned[0]
                scale = page.rect.width / ocr_page.rect.width if ocr_page.rect.width else 1.0
                items = self._text_items(ocr_page)
        return [_scaled(item, scale, page.rect.x0, page.rect.y0) for item in items]

    def _with_tables(self, page: Any, items: list[_Item]) -> list[_Item]:
        """Replace the text blocks inside ruled tables by one markdown table each."""
        if not _has_ruling(page):
            return items
        try:
            found = page.find_tables(use_layout=False)
        except TypeError:  # PyMuPDF before 2.0 has no layout switch
            found = page.find_tables()
        words = page.get_text("words", flags=self.flags) if found.tables else []
        tables = []
        for table in found.tables:
            rows = _table_cells(table, words)
            if len(rows) >= 2 and max(len(r) for r in rows) >= 2:
                tables.append(_Item(bbox=tuple(table.bbox), table=markdown_table(rows)))
        if not tables:
            return items
        outside = [i for i in items if not any(_centre_inside(i.bbox, t.bbox) for t in tables)]
        return outside + [t for t in tables if t.table]

    def _emit(self, item: _Item, page: int, profile: _FontProfile | None) -> None:
        blocks = self.result.blocks
        if item.table:
            head = _header_row(item.table)
            blocks.extend(
                Block(part, page=page, heading_path=self._path(head))
                for part in _table_parts(item.table)
            )
            return
        for level, lines in _runs_by_heading_level(item.lines, profile):
            text = _join_lines(lines)
            if level and len(text) <= MAX_HEADING_CHARS and any(c.isalpha() for c in text):
                path = self.stack.push(level, text)
                if _mostly_capitals(text):
                    self.page_title = text
                if page == 1:
                    self.first_page_headings.append((level, text))
                blocks.append(Block(text, page=page, heading_path=path, is_heading=True))
            else:
                for line in lines:
                    self.table_head.see(line.text)
                path = self._path(self.table_head.text)
                blocks.extend(
                    Block(piece, page=page, heading_path=path) for piece in split_long(text)
                )

    def _path(self, table_head: str) -> tuple[str, ...]:
        """The heading path, with the page's own title in capitals ("CONSOLIDATED BALANCE
        SHEETS") where a lesser heading of the same level ("Assets") took its place, and the
        column heads when the text is part of a table: every chunk cut from a page or
        a table says what it is part of and which columns its figures are in."""
        path = self.stack.path
        if self.page_title and self.page_title not in path:
            path = (*path[:-1], self.page_title, *path[-1:])
        return path + ((table_head,) if table_head else ())

    def _finish(self) -> None:
        result = self.result
        if result.needs_ocr_pages:
            pages = ", ".join(map(str, result.needs_ocr_pages[:20]))
            more = " ..." if len(result.needs_ocr_pages) > 20 else ""
            result.warnings.append(
                f"{len(result.needs_ocr_pages)} page(s) of {self.name} are scanned images "
                f"without text (pages {pages}{more}). Install Tesseract OCR (tesseract-ocr) "
                "and turn OCR on in the ingest settings to make them searchable."
            )
        if self.doc.is_repaired:
            result.warnings.append(f"{self.name} was damaged and repaired; some text may miss.")
        if not any(b.text.strip() for b in result.blocks) and not result.needs_ocr_pages:
            self._raise_no_text()
        result.title = self._title()

    def _raise_no_text(self) -> None:
        if self.doc.is_repaired or self.failed_pages:
            raise IngestError(
                f"{self.name} could not be read: the PDF is damaged and no text could be "
                "recovered. Get a complete copy and add it again.",
                reason="corrupt",
            )
        raise IngestError(
            f"{self.name} contains no text. If it holds pictures of text, turn OCR on in the "
            "ingest settings; otherwise there is nothing to index.",
            reason="empty",
        )

    def _title(self) -> str:
        for number in range(min(2, len(self.doc))):  # an SEC filing names its registrant
            if filing := filing_title(self.doc[number].get_text(flags=self.flags)):
                return filing
        meta_title = clean_inline((self.doc.metadata or {}).get("title") or "")
        if _letters(meta_title) > 2 and not _MEANINGLESS_TITLE.match(meta_title):
            return meta_title
        if self.first_page_headings:  # the outermost heading on page 1, first if tied
            return min(self.first_page_headings, key=lambda h: h[0])[1]
        first_heading = next((b.text for b in self.result.blocks if b.is_heading), None)
        return first_heading or self.result.title


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)  # "0000909832-21-000014" is an id, no title


def _header_row(table: str) -> str:
    """The first row of a markdown table as plain text, for the chunks of its parts."""
    cells = [c.strip() for c in table.split("\n", 1)[0].strip("|").split("|")]
    head = " | ".join(c for c in cells if c)
    return head if len(head) <= MAX_HEAD_CHARS else ""


def _line_of(line: dict[str, Any]) -> _Line:
    spans = [s for s in line.get("spans", ()) if s["text"].strip()]
    if not spans:
        return _Line("", 0.0, False)
    # The largest span, so that SMALL CAPS headings are sized by their capitals.
    main_span = max(spans, key=lambda s: s["size"])
    text = clean_inline("".join(s["text"] for s in line["spans"]))
    bold = all(_is_bold(s) for s in spans)
    italic = all(s.get("flags", 0) & 2 for s in spans)
    direction = line.get("dir", (1.0, 0.0))
    return _Line(
        text=text,
        size=round(float(main_span["size"]), 1),
        bold=bold,
        horizontal=abs(direction[1]) < 0.1,
        emphasized=bold or italic or _mostly_capitals(text),
    )


def _section_depth(number: str) -> int:
    """ "II." and "2" are sections (0), "A." and "2.1" subsections (1), "2.1.3" deeper."""
    if number[0].isdigit():
        return number.rstrip(".").count(".")
    return 1 if len(number) == 2 and number[0] in "ABCDEFGH" else 0


def _mostly_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 3 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def _is_bold(span: dict[str, Any]) -> bool:
    font = str(span.get("font", "")).lower()
    return bool(span.get("flags", 0) & 16) or any(w in font for w in ("bold", "black", "heavy"))


def _font_profile(items: list[_Item]) -> _FontProfile:
    sizes: Counter[float] = Counter()
    for item in items:
        for line in item.lines:
            sizes[line.size] += len(line.text)
    if not sizes:
        return _FontProfile(body=10.0, heading_sizes=[])
    body = sizes.most_common(1)[0][0]
    larger = sorted({s for s in sizes if s >= body * HEADING_SIZE_RATIO}, reverse=True)
    return _FontProfile(body=body, heading_sizes=larger)


def _runs_by_heading_level(
    lines: list[_Line], profile: _FontProfile | None
) -> list[tuple[int, list[_Line]]]:
    """Consecutive lines of one heading level (0 = body) grouped together."""
    runs: list[tuple[int, list[_Line]]] = []
    for line in lines:
        level = profile.heading_level(line) if profile else 0
        if runs and runs[-1][0] == level:
            runs[-1][1].append(line)
        else:
            runs.append((level, [line]))
    return runs


def _join_lines(lines: list[_Line]) -> str:
    """Lines of one paragraph as one string, re-joining words hyphenated at line ends."""
    text = ""
    for line in lines:
        if text.endswith("-") and line.text[:1].islower() and text[-2:-1].isalpha():
            text = text[:-1] + line.text
        else:
            text = f"{text} {line.text}" if text else line.text
    return text


def _table_parts(table: str) -> list[str]:
    """A long markdown table cut into row groups that each repeat the header."""
    lines = table.split("\n")
    header, rows = lines[:2], lines[2:]
    parts: list[str] = []
    current: list[str] = []
    for row in rows:
        if current and sum(len(line) + 1 for line in [*header, *current, row]) > MAX_BLOCK_CHARS:
            parts.append("\n".join(header + current))
            current = []
        current.append(row)
    parts.append("\n".join(header + current))
    return parts


def _has_ruling(page: Any) -> bool:
    """Cheap test for the ruled lines a table needs; table finding costs ~0.1 s/page."""
    horizontal = vertical = 0
    for path in page.get_cdrawings():
        for item in path.get("items", ()):
            if item[0] == "re":
                x0, y0, x1, y1 = item[1]
            elif item[0] == "l":
                (x0, y0), (x1, y1) = item[1], item[2]
            else:
                continue
            # Rules are long and straight; a thin rectangle is a rule too.
            horizontal += abs(x1 - x0) > MIN_RULE_LENGTH
            vertical += abs(y1 - y0) > MIN_RULE_LENGTH
        if horizontal >= MIN_RULES and vertical >= MIN_RULES:
            return True
    return False


def _table_cells(table: Any, words: list[tuple[Any, ...]]) -> list[list[str | None]]:
    """Cell texts from the page's words: MuPDF's word extraction keeps the spaces that
    `Table.extract()` loses in PDFs that position words instead of writing spaces."""
    x0, y0, x1, y1 = table.bbox
    inside = [w for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1]
    rows: list[list[str | None]] = []
    for row in table.rows:
        top, bottom = row.bbox[1], row.bbox[3]
        in_row = [w for w in inside if top <= (w[1] + w[3]) / 2 <= bottom]
        cells: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                continue  # covered by a merged cell to its left
            left, right = cell[0], cell[2]
            in_cell = [w for w in in_row if left <= (w[0] + w[2]) / 2 <= right]
            in_cell.sort(key=lambda w: (w[5], w[6], w[7]))  # block, line, word number
            cells.append(" ".join(str(w[4]) for w in in_cell))
        rows.append(cells)
    return rows


def _image_coverage(page: Any) -> float:
    area = abs(page.rect)
    if not area:
        return 0.0
    covered = sum(abs(page.rect & _rect(page, info["bbox"])) for info in page.get_image_info())
    return min(covered / area, 1.0)


def ocr_dpi(width_pt: float, height_pt: float) -> int:
    """OCR_DPI, lowered for poster-sized pages so the image stays under OCR_MAX_PIXELS
    on its longer side (a 30-inch page at 300 dpi is 81 megapixels for the same text)."""
    longest_in = max(width_pt, height_pt, 1.0) / 72
    return max(72, min(OCR_DPI, int(OCR_MAX_PIXELS / longest_in)))


def _scaled(item: _Item, scale: float, x0: float, y0: float) -> _Item:
    """An item read from tesseract's page, placed in the original page's coordinates."""
    a, b, c, d = item.bbox
    item.bbox = (x0 + a * scale, y0 + b * scale, x0 + c * scale, y0 + d * scale)
    return item


def _rect(page: Any, bbox: Any) -> Any:
    return type(page.rect)(bbox)


def _centre_inside(
    box: tuple[float, float, float, float], outer: tuple[float, float, float, float]
) -> bool:
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return outer[0] <= x <= outer[2] and outer[1] <= y <= outer[3]
