"""The PDF loader on the real PDFs in ../shared/data/pdfs: pages, reading order, tables,
headings, OCR on and off. Each PDF is loaded once per module (OCR off) to stay fast."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.ingest.document import Block, Document
from core.ingest.loaders import load_document
from core.ingest.loaders.ocr import tessdata_dir
from core.settings import IngestSettings

pytestmark = pytest.mark.integration

PDFS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs"
NO_OCR = IngestSettings(ocr=False)

if not PDFS.is_dir():
    pytest.skip(f"shared PDFs not found at {PDFS}", allow_module_level=True)


@pytest.fixture(scope="module")
def loaded() -> dict[str, Document]:
    """Every shared PDF without OCR, with a seconds/page line for the speed report."""
    documents = {}
    for path in sorted(PDFS.glob("*.pdf")):
        started = time.perf_counter()
        documents[path.name] = load_document(path, NO_OCR)
        seconds = time.perf_counter() - started
        pages = documents[path.name].page_count or 1
        print(f"\n{path.name}: {pages} pages, {seconds / pages:.4f} s/page")
    return documents


def block_with(doc: Document, phrase: str) -> Block:
    matches = [b for b in doc.blocks if phrase in b.text]
    assert matches, f"{phrase!r} not found in {doc.path.name}"
    return matches[0]


@pytest.mark.parametrize(
    ("name", "phrase", "page"),
    [
        ("pdfplumber__federal-register-2020-17221.pdf", "Following the Lion Air Flight 610", 2),
        ("pdfplumber__federal-register-2020-17221.pdf", "existing Airspeed Unreliable", 7),
        ("pdfplumber__federal-register-2020-17221.pdf", "your appropriate principal inspector", 15),
        ("pdfplumber__issue-982-example.pdf", "Aurelia aurita", 2),
        ("docling__redp5110_sampled.pdf", "two fundamental steps in securing information", 6),
        ("pdfplumber__WARN-Report-for-7-1-2015-to-03-25-2016.pdf", "Maxim Integrated", 1),
    ],
)
def test_known_text_on_known_page(loaded, name: str, phrase: str, page: int) -> None:
    assert block_with(loaded[name], phrase).page == page


def test_page_numbers_are_one_based_and_ordered(loaded) -> None:
    doc = loaded["pdfplumber__federal-register-2020-17221.pdf"]
    pages = [b.page for b in doc.blocks]
    assert pages == sorted(pages)
    assert pages[0] == 1 and pages[-1] == doc.page_count == 15


def test_two_column_paper_reads_column_by_column(loaded) -> None:
    doc = loaded["pdfplumber__issue-982-example.pdf"]
    text = doc.text
    end_of_left_column = text.index("improves with experience E.")
    start_of_right_column = text.index("This means that machine learning programs adjust")
    assert end_of_left_column < start_of_right_column
    assert text.index("I. INTRODUCTION") < end_of_left_column
    # Interleaved lines would break this sentence, which runs over five lines of column 1.
    block_with(
        doc,
        "There are way to many different objects, different lighting situations, variations "
        "in rotation and the arrangement of a scene for a human to think of all of them",
    )


def test_three_column_register_continues_in_next_column(loaded) -> None:
    text = loaded["pdfplumber__federal-register-2020-17221.pdf"].text
    column_one_end = text.index("These effects include stall warning activation, airspeed")
    column_two_start = text.index("altitude disagree alert,5 and may affect")
    assert column_one_end < column_two_start
    assert column_two_start - column_one_end < 3000  # only column 1's footnotes between


def test_ruled_table_is_a_markdown_table(loaded) -> None:
    doc = loaded["docling__redp5110_sampled.pdf"]
    table = block_with(doc, "FUNCTION_ID")
    assert "| FUNCTION_ID | VARCHAR(30) | ID of the function. |" in table.text.split("\n")
    assert table.text.startswith("| Column name | Data type | Description |\n|---|---|---|")
    assert table.page == 8


def test_big_table_is_cut_into_parts_that_repeat_the_header(loaded) -> None:
    doc = loaded["pdfplumber__WARN-Report-for-7-1-2015-to-03-25-2016.pdf"]
    row = "| 06/22/2015 | 03/25/2016 | 07/01/2015 | Maxim Integrated Product | San Jose | 150 |"
    assert row in block_with(doc, "Maxim Integrated").text
    parts = [b for b in doc.blocks if b.text.startswith("| ") and "\n|---|---|" in b.text]
    assert {b.page for b in parts} == set(range(1, 17))  # a table on every page
    assert len(parts) > 16  # long tables were cut into several parts
    assert all(len(b.text) <= 2000 for b in parts)
    assert all(len(b.text.split("\n")) >= 3 for b in parts)  # header, rule, rows


def test_headings_fill_heading_paths(loaded) -> None:
    paper = loaded["pdfplumber__issue-982-example.pdf"]
    heading = block_with(paper, "A. Google DeepDream")
    assert heading.is_heading and heading.page == 2
    body = block_with(paper, "The gradient descent algorithm which optimizes")
    assert body.heading_path[-2:] == ("III. IMAGE DATA", "A. Google DeepDream")
    redbook = loaded["docling__redp5110_sampled.pdf"]
    heading = next(b for b in redbook.blocks if b.text == "1.1 Security fundamentals")
    assert heading.is_heading and heading.page == 6
    after = block_with(redbook, "Before reviewing database security techniques")
    assert after.heading_path[-1] == "1.1 Security fundamentals"


def test_title_from_metadata_or_first_heading(loaded) -> None:
    assert loaded["docling__amt_handbook_sample.pdf"].title == "AMT General Handbook"
    assert loaded["pdfplumber__federal-register-2020-17221.pdf"].title == "Proposed Rules"


def test_scanned_pages_are_marked_when_ocr_is_off(loaded) -> None:
    doc = loaded["docling__nemotron_multipage.pdf"]
    assert doc.needs_ocr_pages == [1, 2, 3, 4]
    assert doc.blocks == [] and doc.ocr_pages == []
    assert any("Tesseract" in warning for warning in doc.warnings)
    mixed = loaded["ocrmypdf__multipage.pdf"]
    assert mixed.needs_ocr_pages == [1, 2, 3, 5, 6]  # page 4 has a text layer


@pytest.mark.slow
def test_ocr_reads_a_scanned_page() -> None:
    if tessdata_dir("eng") is None:
        pytest.skip("Tesseract with English data is not installed (apt install tesseract-ocr)")
    doc = load_document(PDFS / "ocrmypdf__skew.pdf", IngestSettings(ocr=True))
    assert doc.ocr_pages == [1] and doc.needs_ocr_pages == []
    assert "LinnSequencer" in doc.text
    assert "polyphonic tracks" in doc.text
    assert {b.page for b in doc.blocks} == {1}


def test_ocr_language_without_data_marks_pages(monkeypatch) -> None:
    doc = load_document(PDFS / "ocrmypdf__skew.pdf", IngestSettings(ocr=True, ocr_language="xx"))
    assert doc.needs_ocr_pages == [1] and doc.blocks == []
