"""The source viewer: a real PDF at the cited page, and text sources scrolled to the passage."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

PDF = "pdfplumber__federal-register-2020-17221.pdf"


def _page_text(path: Path, page: int) -> str:
    import pymupdf

    with pymupdf.open(path) as doc:
        return str(doc[page - 1].get_text())


@pytest.fixture
def viewer(qtbot):  # type: ignore[no-untyped-def]
    from desktop.viewer import SourceViewer

    widget = SourceViewer()
    widget.resize(900, 1000)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_pdf_opens_at_the_cited_page_with_the_passage_highlighted(viewer, shared_data, shot):  # type: ignore[no-untyped-def]
    path = shared_data / "pdfs" / PDF
    # The passage as PyMuPDF (the indexer) reads it: QtPdf's text layer breaks it differently.
    passage = " ".join(_page_text(path, 3).split()[120:200])
    viewer.open_source(str(path), 3, passage)
    assert viewer.mode == "pdf"
    assert viewer.current_path == str(path)
    assert viewer.current_page == 3
    assert viewer.page_count == 15
    assert viewer.page_box.value() == 3
    words = passage.split()
    assert words[3] in viewer.highlighted_text and words[-4] in viewer.highlighted_text
    assert all(mark.page == 2 for mark in viewer.pdf.highlights)
    shot(viewer, "viewer-pdf-cited-page")


def test_pdf_page_navigation_and_zoom(viewer, shared_data):  # type: ignore[no-untyped-def]
    viewer.open_source(str(shared_data / "pdfs" / PDF), 9, "")
    assert viewer.current_page == 9
    viewer.go_to_page(2)
    assert viewer.current_page == 2
    viewer.next_button.click()
    assert viewer.current_page == 3
    before = viewer.pdf.zoomFactor()
    viewer.zoom_in.click()
    assert viewer.pdf.zoomFactor() > before
    assert viewer.current_page == 3  # zooming keeps the place
    viewer.fit_button.click()
    assert viewer.pdf.zoomFactor() == pytest.approx(before, rel=0.02)


def test_text_source_is_scrolled_to_the_passage_and_highlighted(viewer, tmp_path, shot):  # type: ignore[no-untyped-def]
    lines = [f"Clause {n}. The parties agree to routine matter number {n}." for n in range(400)]
    lines[300] = "Clause 300. Either party may terminate this lease   with ninety days'\nnotice."
    path = tmp_path / "lease.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    viewer.open_source(
        str(path), None, "Either party may terminate this lease with ninety days' notice."
    )
    assert viewer.mode == "text"
    assert viewer.current_page is None
    assert viewer.highlighted_text.startswith("Either party may terminate")
    assert viewer.highlighted_text.endswith("notice.")
    top = viewer.text.cursorForPosition(viewer.text.rect().topLeft()).blockNumber()
    assert 200 < top <= 300  # scrolled down to clause 300, not left at the top
    shot(viewer, "viewer-text-passage")


def test_missing_file_shows_the_indexed_passage(viewer, tmp_path):  # type: ignore[no-untyped-def]
    viewer.open_source(str(tmp_path / "gone.pdf"), 2, "The indexed words.")
    assert viewer.mode == "text"
    assert "no longer" in viewer.notice.text()
    assert viewer.highlighted_text == "The indexed words."


def test_passage_spans_survive_line_breaks_and_hyphenation() -> None:
    from desktop.viewer import passage_spans

    page = "The lessee shall pay the rent on the first day of each calendar\r\nmonth, with-\r\nout demand, to the lessor at its office."
    spans = passage_spans(
        page,
        "shall pay the rent on the first day of each calendar month, without demand, to the lessor at its office.",
    )
    covered = "".join(page[s:e] for s, e in spans)
    assert covered.startswith("shall pay the rent") and covered.endswith("at its office.")
    assert passage_spans(page, "nothing of the sort appears in this page at all") == []
