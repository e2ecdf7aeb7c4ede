"""Loaders on small files generated here with the real libraries (python-docx, ebooklib,
PyMuPDF): content, heading paths, pages and the reason codes of bad inputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import IngestError
from core.ingest.document import Document
from core.ingest.loaders import SUPPORTED_SUFFIXES, is_supported, load_document
from core.ingest.loaders.pdf_layout import reading_order
from core.settings import IngestSettings

pytestmark = pytest.mark.unit

NO_OCR = IngestSettings(ocr=False)


def texts(doc: Document) -> list[str]:
    return [b.text for b in doc.blocks]


def block_with(doc: Document, phrase: str):
    matches = [b for b in doc.blocks if phrase in b.text]
    assert matches, f"{phrase!r} not found in {texts(doc)}"
    return matches[0]


def reason_of(path: Path, settings: IngestSettings = NO_OCR) -> str:
    with pytest.raises(IngestError) as caught:
        load_document(path, settings)
    assert path.name in str(caught.value)  # the person learns which file
    return caught.value.reason


# ------------------------------------------------------------------ text


def test_latin1_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes("Café crème à la façon de Noël.\n\nSecond paragraph.".encode("latin-1"))
    doc = load_document(path, NO_OCR)
    assert texts(doc) == ["Café crème à la façon de Noël.", "Second paragraph."]
    assert all(b.page is None for b in doc.blocks)
    assert doc.title == "notes"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
def test_unicode_encodings_with_and_without_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "u.txt"
    path.write_bytes("Grüße aus Zürich — ünïcödé\n\nZweiter Absatz.".encode(encoding))
    assert texts(load_document(path, NO_OCR)) == ["Grüße aus Zürich — ünïcödé", "Zweiter Absatz."]


def test_text_blocks_are_paragraphs_not_lines_nor_whole_file(tmp_path: Path) -> None:
    paragraph = "\n".join(f"line {n} of a paragraph" for n in range(5))
    path = tmp_path / "p.log"
    path.write_text("\n\n".join([paragraph] * 4) + "\n\n" + "word " * 3000, encoding="utf-8")
    doc = load_document(path, NO_OCR)
    assert texts(doc)[:4] == [paragraph] * 4
    assert len(doc.blocks) > 5  # the 15,000-character tail was cut into pieces
    assert max(len(t) for t in texts(doc)) <= 2000


def test_csv_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("name,city\nAda,London\n", encoding="utf-8")
    assert "Ada,London" in load_document(path, NO_OCR).text


def test_code_has_file_name_as_heading(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text("def main():\n    return 42\n\n\nclass Thing:\n    pass\n", encoding="utf-8")
    doc = load_document(path, NO_OCR)
    assert "def main():\n    return 42" in texts(doc)
    assert {b.heading_path for b in doc.blocks} == {("tool.py",)}


# -------------------------------------------------------------- markdown


def test_markdown_heading_paths(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n"
        "```\n# not a heading\n```\n\n### Linux\n\nUse apt.\n\n## Use\n\nClick.\n\n"
        "Setext Title\n============\n\nBody.\n",
        encoding="utf-8",
    )
    doc = load_document(path, NO_OCR)
    assert doc.title == "Guide"
    assert block_with(doc, "Use apt").heading_path == ("Guide", "Install", "Linux")
    assert block_with(doc, "Click").heading_path == ("Guide", "Use")
    assert block_with(doc, "# not a heading").is_heading is False
    assert block_with(doc, "Body.").heading_path == ("Setext Title",)
    headings = [b.text for b in doc.blocks if b.is_heading]
    assert headings == ["Guide", "Install", "Linux", "Use", "Setext Title"]
    assert all(b.page is None for b in doc.blocks)


def test_a_paragraph_written_as_a_heading_is_indexed_as_text(tmp_path: Path) -> None:
    paragraph = "Mature plaques: as the name atherosclerosis implies, " * 8
    path = tmp_path / "note.md"
    path.write_text(f"# Coronary plaque\n\n   ### {paragraph}\n", encoding="utf-8")
    doc = load_document(path, NO_OCR)
    block = block_with(doc, "Mature plaques")
    assert block.is_heading is False
    assert block.heading_path == ("Coronary plaque",)
    assert [b.text for b in doc.blocks if b.is_heading] == ["Coronary plaque"]


# ------------------------------------------------------------------ HTML

HTML = """<html><head><title>Handbook</title><style>.x{color:red}</style></head>
<body><nav>Home | About | Menu</nav><script>var secret = 1;</script>
<h1>Handbook</h1><p>Welcome to the <b>handbook</b>.</p>
<h2>Prices</h2><table><tr><th>Item</th><th>Price</th></tr>
<tr><td>Tea</td><td>2 EUR</td></tr></table>
<h3>Notes</h3><ul><li>First point</li><li>Second point</li></ul></body></html>"""


def test_html_drops_scripts_and_keeps_headings_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    doc = load_document(path, NO_OCR)
    assert doc.title == "Handbook"
    full = doc.text
    assert "secret" not in full and "color:red" not in full and "About" not in full
    assert block_with(doc, "Welcome to the handbook.").heading_path == ("Handbook",)
    table = block_with(doc, "| Tea |")
    assert table.text == "| Item | Price |\n|---|---|\n| Tea | 2 EUR |"
    assert table.heading_path == ("Handbook", "Prices")
    assert block_with(doc, "First point").heading_path == ("Handbook", "Prices", "Notes")


# ------------------------------------------------------------------ DOCX


def make_docx(path: Path) -> None:
    import docx

    document = docx.Document()
    document.core_properties.title = "Quarterly Report"
    document.add_heading("Summary", level=1)
    document.add_paragraph("Revenue grew in every region.")
    document.add_heading("Details", level=2)
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, [("Region", "Growth"), ("North", "12%")], strict=True):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    document.add_paragraph("After the table.")
    document.save(str(path))


def test_docx_headings_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    make_docx(path)
    doc = load_document(path, NO_OCR)
    assert doc.title == "Quarterly Report"
    assert texts(doc) == [
        "Summary",
        "Revenue grew in every region.",
        "Details",
        "| Region | Growth |\n|---|---|\n| North | 12% |",
        "After the table.",
    ]
    assert block_with(doc, "After the table").heading_path == ("Summary", "Details")
    assert block_with(doc, "Summary").is_heading


def test_encrypted_docx_is_reported(tmp_path: Path) -> None:
    # A password-protected .docx is an OLE compound file with an EncryptionInfo stream.
    path = tmp_path / "secret.docx"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    path.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 1000)
    assert reason_of(path) == "encrypted"


def test_docx_that_is_not_a_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a word file at all " * 20)
    assert reason_of(path) == "corrupt"


def test_truncated_docx_is_corrupt(tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    make_docx(good)
    path = tmp_path / "cut.docx"
    path.write_bytes(good.read_bytes()[:3000])
    assert reason_of(path) == "corrupt"


# ------------------------------------------------------------------ EPUB


def make_epub(path: Path) -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("id-1")
    book.set_title("Sea Stories")
    book.set_language("en")
    chapters = []
    for number, (title, body) in enumerate(
        [("The Harbour", "Boats rocked in the harbour."), ("The Storm", "Waves broke the mast.")],
        start=1,
    ):
        chapter = epub.EpubHtml(title=title, file_name=f"chap_{number}.xhtml", lang="en")
        chapter.content = f"<h1>{title}</h1><p>{body}</p><h2>Later</h2><p>Night {number}.</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)


def test_epub_chapters_in_spine_order_with_titles(tmp_path: Path) -> None:
    path = tmp_path / "sea.epub"
    make_epub(path)
    doc = load_document(path, NO_OCR)
    assert doc.title == "Sea Stories"
    full = doc.text
    assert full.index("Boats rocked") < full.index("Waves broke")
    assert block_with(doc, "Boats rocked").heading_path == ("The Harbour",)
    assert block_with(doc, "Night 2.").heading_path == ("The Storm", "Later")
    assert [b.text for b in doc.blocks if b.is_heading].count("The Storm") == 1


# ------------------------------------------------------------ small PDFs


def make_pdf(path: Path, pages: list[str], **save_options) -> None:
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 720), text, fontsize=11)
    doc.save(str(path), **save_options)
    doc.close()


def test_pdf_pages_are_one_based(tmp_path: Path) -> None:
    path = tmp_path / "three.pdf"
    make_pdf(path, ["Alpha page text.", "Beta page text.", "Gamma page text."])
    doc = load_document(path, NO_OCR)
    assert doc.page_count == 3
    assert [(b.page, b.text) for b in doc.blocks] == [
        (1, "Alpha page text."),
        (2, "Beta page text."),
        (3, "Gamma page text."),
    ]


def test_encrypted_pdf(tmp_path: Path) -> None:
    import pymupdf

    path = tmp_path / "locked.pdf"
    make_pdf(
        path,
        ["Top secret."],
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        user_pw="hunter2",
        owner_pw="owner-pw",
    )
    assert reason_of(path) == "encrypted"


def test_pdf_over_max_pages(tmp_path: Path) -> None:
    path = tmp_path / "long.pdf"
    make_pdf(path, ["page"] * 4)
    assert reason_of(path, IngestSettings(ocr=False, max_pages=3)) == "too_large"


def test_pdf_without_any_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    make_pdf(path, [""])
    assert reason_of(path) == "empty"


# ------------------------------------------------------------- bad input


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.pdf"
    path.touch()
    assert reason_of(path) == "empty"


def test_whitespace_only_text_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("\n\n   \n", encoding="utf-8")
    assert reason_of(path) == "empty"


def test_random_bytes_named_pdf_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(bytes(range(256)) * 40)
    assert reason_of(path) == "corrupt"


@pytest.mark.parametrize("name", ["setup.exe", "archive.bin", "photo.jpg"])
def test_unsupported_formats(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 10)
    assert not is_supported(path)
    assert reason_of(path) == "unsupported"


def test_binary_named_txt_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "fake.txt"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 10)
    assert reason_of(path) == "unsupported"


def test_too_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("x" * 20_000, encoding="utf-8")
    assert reason_of(path, IngestSettings(ocr=False, max_file_mb=0.01)) == "too_large"


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    assert reason_of(tmp_path / "gone.txt") == "unreadable"


def test_supported_suffixes_cover_the_families() -> None:
    for suffix in (".pdf", ".txt", ".md", ".html", ".docx", ".epub", ".py", ".json", ".csv"):
        assert suffix in SUPPORTED_SUFFIXES
    assert is_supported(Path("README.MD")) and not is_supported(Path("x.exe"))


# ---------------------------------------------------------- reading order


@dataclass
class Box:
    name: str
    bbox: tuple[float, float, float, float]


def test_two_columns_are_read_column_by_column() -> None:
    boxes = [
        Box("title", (50, 40, 550, 60)),
        Box("left-1", (50, 80, 290, 200)),
        Box("right-1", (310, 80, 550, 200)),
        Box("left-2", (50, 210, 290, 400)),
        Box("right-2", (310, 210, 550, 400)),
        Box("figure", (50, 420, 550, 500)),
        Box("left-3", (50, 520, 290, 700)),
        Box("right-3", (310, 520, 550, 700)),
    ]
    order = [b.name for b in reading_order(boxes)]
    assert order == [
        "title", "left-1", "left-2", "right-1", "right-2", "figure", "left-3", "right-3"
    ]  # fmt: skip


def test_single_column_keeps_top_to_bottom() -> None:
    boxes = [Box(str(n), (50, 100 + 50 * n, 550, 140 + 50 * n)) for n in range(5)][::-1]
    assert [b.name for b in reading_order(boxes)] == ["0", "1", "2", "3", "4"]


def test_borderless_table_rows_stay_rows() -> None:
    boxes = []
    for row in range(4):
        top = 100 + 20 * row
        boxes += [
            Box(f"k{row}", (50, top, 150, top + 12)),
            Box(f"v{row}", (400, top, 500, top + 12)),
        ]
    order = [b.name for b in reading_order(boxes)]
    assert order == ["k0", "v0", "k1", "v1", "k2", "v2", "k3", "v3"]


def test_permission_error_is_unreadable(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "private.txt"
    path.write_text("secret", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refuse)
    assert reason_of(path) == "unreadable"


def test_parser_crash_becomes_corrupt_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    from core.ingest.loaders import markup

    def crash(text: str):
        raise KeyError("internal parser state")

    monkeypatch.setattr(markup, "markdown_blocks", crash)
    path = tmp_path / "doc.md"
    path.write_text("# Title\n\nBody.", encoding="utf-8")
    assert reason_of(path) == "corrupt"


def test_ocr_renders_poster_sized_pages_at_a_lower_dpi() -> None:
    from core.ingest.loaders.pdf import OCR_DPI, OCR_MAX_PIXELS, ocr_dpi

    assert ocr_dpi(612, 792) == OCR_DPI  # Letter: full resolution
    poster = ocr_dpi(2160, 2160)  # 30 x 30 inches
    assert poster < OCR_DPI and 30 * poster <= OCR_MAX_PIXELS
