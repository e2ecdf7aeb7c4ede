"""The search panel on a real Engine (FakeEmbedder): results with bold terms, open_source,
empty and no-results states."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine import Engine
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.gui

PDF = "pdfplumber__federal-register-2020-17221.pdf"
WAIT_MS = 15_000
LEASE = """# Lease of the Harbour Street office

The tenant pays a monthly rent of 2,400 euros on the first working day of each month.

Either party may terminate this lease with ninety days' written notice to the other party.
"""


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """One index for the module (the PDF takes seconds to read); each test gets a copy."""
    root = tmp_path_factory.mktemp("search")
    docs = root / "docs"
    docs.mkdir()
    (docs / "lease.md").write_text(LEASE, encoding="utf-8")
    shutil.copy(shared_data / "pdfs" / PDF, docs / PDF)
    with Engine(root / "home", embedder=FakeEmbedder(), tagger=_no_tags) as engine:
        engine.ingest([docs / PDF])
        engine.ingest([docs / "lease.md"], "contracts")
    return root / "home"


@pytest.fixture
def panel(qtbot, tmp_path: Path, indexed: Path) -> Iterator:  # type: ignore[no-untyped-def]
    from desktop.ops import Ops
    from desktop.search_panel import SearchPanel

    home = shutil.copytree(indexed, tmp_path / "home")
    engine = Engine(home, embedder=FakeEmbedder(), tagger=_no_tags)
    ops = Ops(engine)
    widget = SearchPanel(ops)
    widget.resize(900, 700)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    ops.shutdown()
    engine.close()


def _no_tags(texts, _vectors, _kinds):  # type: ignore[no-untyped-def]
    return [() for _ in texts]


def test_results_show_file_page_score_and_bold_terms_and_open_the_source(
    panel, qtbot, shot
) -> None:  # type: ignore[no-untyped-def]
    assert panel.stack.currentWidget() is panel.empty
    shot(panel, "search-empty")
    panel.box.setText("horizontal stabilizer trim")
    panel.button.click()
    qtbot.waitUntil(lambda: bool(panel.results), timeout=WAIT_MS)
    assert panel.stack.currentWidget() is panel.list
    assert "passage" in panel.status.text() and "all collections" in panel.status.text()
    first = panel.results[0]
    shown = panel.list.item(0).text()
    assert first.path.endswith(PDF) and first.page is not None
    assert PDF in shown and f"page {first.page}" in shown and "score" in shown
    assert re.search(r"<b>(horizontal|stabilizer|trim)\w*</b>", shown, re.IGNORECASE)

    item_rect = panel.list.visualItemRect(panel.list.item(0))
    with qtbot.waitSignal(panel.open_source, timeout=2000) as opened:
        qtbot.mouseClick(panel.list.viewport(), _left(), pos=item_rect.center())
    assert opened.args == [first.path, first.page, first.text]
    shot(panel, "search-results")


def test_search_keeps_to_the_chosen_collections(panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_collections(["contracts"])
    panel.search("terminate lease notice")
    qtbot.waitUntil(lambda: bool(panel.results), timeout=WAIT_MS)
    assert {hit.path.rsplit("/", 1)[-1] for hit in panel.results} == {"lease.md"}
    shown = panel.list.item(0).text()
    assert "<b>terminate</b>" in shown and "<b>notice</b>" in shown and "contracts" in shown
    assert "in contracts" in panel.status.text()


def test_keyboard_activation_opens_a_pdf_result_at_its_page(panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    panel.search("federal register rule")
    qtbot.waitUntil(lambda: bool(panel.results), timeout=WAIT_MS)
    row = next(i for i, hit in enumerate(panel.results) if hit.path.endswith(PDF))
    panel.list.setCurrentRow(row)
    panel.list.setFocus()
    with qtbot.waitSignal(panel.open_source, timeout=2000) as opened:
        qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    assert opened.args[0].endswith(PDF) and opened.args[1] == panel.results[row].page


def test_no_results_and_clearing_return_to_the_states(panel, qtbot, shot) -> None:  # type: ignore[no-untyped-def]
    panel._engine.create_collection("empty-one")
    panel.set_collections(["empty-one"])
    panel.search("rent")
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.nothing, timeout=WAIT_MS)
    assert "Nothing matches" in panel.nothing.findChild(type(panel.status), "words").text()
    assert "No passages in empty-one" in panel.status.text()
    shot(panel, "search-no-results")
    panel.box.clear()
    panel._typed("")
    assert panel.stack.currentWidget() is panel.empty and panel.results == []


def test_unknown_collection_is_said_inline(panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_collections(["missing"])
    panel.search("rent")
    qtbot.waitUntil(lambda: "no collection" in panel.status.text(), timeout=WAIT_MS)


def test_snippet_marks_terms_and_escapes_html() -> None:
    from desktop.search_panel import query_terms, snippet_html

    terms = query_terms("What is the <rent> & notice?")
    assert terms == ["rent", "notice"]
    html = snippet_html("Pay <b>rents</b> & give notice & more", terms)
    assert "&lt;b&gt;<b>rents</b>&lt;/b&gt;" in html and "<b>notice</b>" in html and "&amp;" in html
    long = "filler " * 60 + "the rent is due" + " tail" * 80
    cut = snippet_html(long, ["rent"])
    assert cut.startswith("…") and cut.endswith("…") and "<b>rent</b>" in cut


def _left():  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_results_refresh_when_documents_change(panel, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    panel.set_collections(["contracts"])
    panel.search("sublease garage")
    qtbot.waitUntil(lambda: bool(panel.results), timeout=WAIT_MS)
    assert not any(hit.path.endswith("garage.md") for hit in panel.results)
    extra = tmp_path / "garage.md"
    extra.write_text("The tenant may sublease the garage with consent.", encoding="utf-8")
    engine = panel._engine
    panel._ops.write(engine.ingest, [extra], "contracts", touches={"documents"}).run()
    qtbot.waitUntil(
        lambda: any(hit.path.endswith("garage.md") for hit in panel.results), timeout=WAIT_MS
    )
