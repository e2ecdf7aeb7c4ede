"""The real main window, offscreen: files dropped on it are indexed, a question is answered
with citations that open the cited page, a setting is saved, an ingest cut short by
closing the window resumes at the next start."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core.engine import Engine
from core.llm.fake import FakeLLM
from core.settings import Settings
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.gui

PDFS = ("docling__nemotron_multipage.pdf", "pdfplumber__nics-background-checks-2015-11.pdf")


def fake_engine(home: Path) -> Engine:
    return Engine(home, embedder=FakeEmbedder(), tagger=lambda t, v, k: [() for _ in t])


@pytest.fixture
def window(qtbot, home: Path):  # type: ignore[no-untyped-def]
    from desktop.main_window import MainWindow

    engine = fake_engine(home)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()
    engine.close()


def drop_files(window, paths: list[Path]) -> None:  # type: ignore[no-untyped-def]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = window.rect().center()
    enter = QDragEnterEvent(
        QPoint(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    assert window._overlay.isVisible()
    drop = QDropEvent(
        QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(window, drop)
    assert not window._overlay.isVisible()


def test_first_run_is_an_empty_library_that_says_what_to_do(window, shot) -> None:  # type: ignore[no-untyped-def]
    assert "Enclave" in window.windowTitle()
    shot(window, "01-first-run")
    assert window.ops.engine.documents() == []


def test_dropped_files_are_indexed_and_a_corrupt_one_reports_why(  # type: ignore[no-untyped-def]
    window, qtbot, tmp_path: Path, shared_data: Path, shot
) -> None:
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.7 this is not really a pdf \x00\xff" * 50)
    drop_files(window, [shared_data / "pdfs" / name for name in PDFS] + [corrupt])
    engine = window.ops.engine
    qtbot.waitUntil(lambda: not window.jobs.has_running(), timeout=60_000)
    docs = {Path(d.path).name: d for d in engine.documents()}
    assert {PDFS[0], PDFS[1], "broken.pdf"} <= set(docs)
    assert docs["broken.pdf"].status != "indexed" and docs["broken.pdf"].error
    assert docs[PDFS[0]].status == "indexed"
    shot(window, "02-library-indexed")


def test_question_answer_cites_and_opens_the_cited_pdf_page(  # type: ignore[no-untyped-def]
    window, qtbot, shot
) -> None:
    from desktop.main_window import SAMPLE_DOCUMENT as pdf

    engine = window.ops.engine
    engine.ingest([pdf])
    page_text = next(h for h in engine.chunks_of(str(pdf.resolve())) if (h.page or 0) >= 2)
    engine.settings.guard.detect_injection = False  # the real check is tested elsewhere
    engine.settings.llm.model = "fake"
    engine.llms.register(FakeLLM())  # answers with the opening words of source [1], cited
    engine.settings.llm.abstain_threshold = -1.0  # the fake embedder's cosines mean nothing
    window.ops.changed.emit(frozenset({"documents", "collections"}))
    window._collections_changed()
    opened: list[tuple[str, object]] = []
    window.chat.open_source.connect(lambda path, page, _p: opened.append((path, page)))
    window.chat.send(page_text.text[:120])
    qtbot.waitUntil(lambda: not window.chat.busy, timeout=30_000)
    window.chat.turns[-1].view.cite_clicked.emit(1)  # what clicking the [1] link does
    assert opened and Path(opened[0][0]) == pdf.resolve()
    qtbot.waitUntil(lambda: window.viewer.isVisible(), timeout=5_000)
    assert window.viewer.current_page == opened[0][1]
    shot(window, "03-answer-with-citations")


def test_closing_during_an_ingest_resumes_it_at_the_next_start(  # type: ignore[no-untyped-def]
    qtbot, home: Path, tmp_path: Path, shared_data: Path
) -> None:
    from desktop.main_window import MainWindow

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        shutil.copy(shared_data / "pdfs" / PDFS[1], folder / f"copy{i}.pdf")
        (folder / f"note{i}.txt").write_text(f"Note {i}: the shipment left on day {i}.")
    engine = fake_engine(home)
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    win.ingest([str(folder)])
    qtbot.waitUntil(lambda: len(engine.documents()) >= 3, timeout=60_000)
    win.close()  # cancels the ingest and waits for it
    engine.close()
    engine = fake_engine(home)
    assert engine.pending_ingests(), "the cut-short ingest is remembered"
    done_before = len(engine.documents())
    assert done_before < 80
    win = MainWindow(engine)
    qtbot.addWidget(win)
    win.show()
    win.start_background_work()
    qtbot.waitUntil(lambda: not engine.pending_ingests(), timeout=120_000)
    assert len(engine.documents()) == 80
    win.shutdown()
    engine.close()


def test_a_changed_setting_is_saved(window, qtbot, home: Path) -> None:  # type: ignore[no-untyped-def]
    done: list[object] = []
    window.ops.write(window.ops.engine.update_settings, {"llm": {"sources_k": 4}},
                     touches={"settings"}).success(done.append).run()  # fmt: skip
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    assert Settings.load(home).llm.sources_k == 4
