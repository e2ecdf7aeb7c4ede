"""The jobs panel driving real ingests (real loaders, LanceDB, SQLite; fake embedder)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.gui

WAIT_MS = 60_000


class SlowEmbedder(FakeEmbedder):
    """The fake embedder at the pace of a real one on a small machine, so a job can be
    watched and cancelled midway."""

    def __init__(self, seconds_per_batch: float) -> None:
        super().__init__()
        self.batch_size = 8
        self.seconds_per_batch = seconds_per_batch

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.seconds_per_batch)
        return super().embed(texts)


def no_tags(texts: list[str], vectors: object, kinds: object) -> list[tuple[str, ...]]:
    return [() for _ in texts]


def make_ops(home: Path, embedder: FakeEmbedder):  # type: ignore[no-untyped-def]
    from core.engine import Engine
    from desktop.ops import Ops

    engine = Engine(home, embedder=embedder, tagger=no_tags)
    engine.settings.ingest.ocr = False
    engine.settings.index.embed_window = 24  # commit every document or two
    return Ops(engine)


NOTES = 10
FAST_PDFS = (  # real PDFs that parse in well under a second each
    "pdfplumber__issue-982-example.pdf",
    "pdfplumber__nics-background-checks-2015-11.pdf",
    "ocrmypdf__multipage.pdf",
    "ocrmypdf__skew.pdf",
    "docling__nemotron_multipage.pdf",
)


@pytest.fixture
def all_pdfs(tmp_path: Path, shared_data: Path) -> Path:
    """Real PDFs and notes of distinct text: a few seconds of embedding at the slow pace."""
    folder = tmp_path / "pdfs"
    folder.mkdir()
    for name in FAST_PDFS:
        shutil.copy(shared_data / "pdfs" / name, folder / name)
    for number in range(NOTES):
        paragraphs = [f"Note {number}, paragraph {p}: " + " ".join(
            f"word{number}x{p}x{w}" for w in range(60)) for p in range(30)]  # fmt: skip
        (folder / f"note-{number}.md").write_text("\n\n".join(paragraphs))
    return folder


@pytest.fixture
def panel(qtbot, home: Path) -> Iterator[object]:  # type: ignore[no-untyped-def]
    from desktop.jobs_panel import JobsPanel

    ops = make_ops(home, SlowEmbedder(0.08))
    widget = JobsPanel(ops)
    widget.resize(900, 120)
    qtbot.addWidget(widget)
    yield widget
    ops.shutdown()
    ops.engine.close()


def test_failed_and_unsupported_files_listed_with_reasons(panel, qtbot, tmp_path, shared_data, shot):  # type: ignore[no-untyped-def]
    pdf = shared_data / "pdfs" / "pdfplumber__issue-982-example.pdf"
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(np.random.default_rng(7).bytes(5000))
    odd = tmp_path / "model.stl"
    odd.write_bytes(b"solid nothing")
    assert not panel.isVisible() and not panel.has_running()
    with qtbot.waitSignal(panel.job_finished, timeout=WAIT_MS) as finished:
        row = panel.start_ingest([str(pdf), str(corrupt), str(odd)], "default")
        assert panel.isVisible() and panel.has_running()
        assert row.title.text().startswith("<b>pdfplumber__issue-982-example.pdf and 2 more")
    report = finished.args[0]
    assert (report.added, len(report.failed)) == (1, 2)
    assert row.state == "done" and not panel.has_running()
    assert row.stats.text().startswith("1 indexed")
    assert "1 failed" in row.stats.text() and "1 unsupported" in row.stats.text()
    assert row.details_button.isVisible() and not row.details.isVisible()
    row.details_button.click()
    assert row.details.isVisible()
    reasons = {name: (why, message) for name, why, message in row.detail_rows}
    assert reasons["broken.pdf"][0] == "Damaged file"
    assert "broken.pdf could not be read" in reasons["broken.pdf"][1]
    assert reasons["model.stl"][0] == "Unsupported format"
    assert "'.stl' files are not supported" in reasons["model.stl"][1]
    panel.resize(900, panel.sizeHint().height() + 40)
    shot(panel, "jobs-finished-with-details")
    # a finished row is dismissed; the panel hides when it has none left
    row.dismiss_button.click()
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=2000)
    assert panel.rows == []


def test_progress_then_cancel_midway_leaves_a_consistent_index(qtbot, panel, all_pdfs, shot):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    from desktop.library_panel import LibraryPanel

    engine = panel._engine
    engine.embedder.seconds_per_batch = 0.25
    window = QWidget()  # the library beside the job, as in the main window
    library = LibraryPanel(panel._ops, window)
    layout = QVBoxLayout(window)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(library, 1)
    layout.addWidget(panel)
    window.resize(560, 760)
    qtbot.addWidget(window)
    window.show()
    row = panel.start_ingest([str(all_pdfs)], "default")
    assert row.title.text().startswith("<b>pdfs (folder)")
    qtbot.waitUntil(lambda: row.chunks > 0 and row.files_done >= 2, timeout=WAIT_MS)
    assert row.state == "running" and row.bar.maximum() == 1000
    assert row.files_total == len(FAST_PDFS) + NOTES
    qtbot.waitUntil(lambda: "chunks/s" in row.stats.text() and "left" in row.stats.text(),
                    timeout=WAIT_MS)  # fmt: skip
    # while it runs, the library shows the documents committed so far
    qtbot.waitUntil(lambda: len(library.documents_shown) > 0, timeout=WAIT_MS)
    assert row.running
    shot(window, "library-ingest-in-progress", settle_ms=0)
    with qtbot.waitSignal(panel.job_finished, timeout=WAIT_MS) as finished:
        row.cancel_button.click()
    assert finished.args[0].cancelled and row.state == "cancelled"
    assert "Cancelled" in row.stats.text()

    documents = engine.documents()
    indexed = [d for d in documents if d.status == "indexed"]
    assert 1 <= len(indexed) < row.files_total
    assert all(d.status in ("indexed", "failed") and d.pending_version is None
               for d in documents)  # fmt: skip
    # the store holds exactly the committed versions' chunks: no half-written document
    for record in indexed:
        assert engine.store.rows_of(record.doc_id, record.version).num_rows == record.chunks
    assert engine.store.count() == sum(d.chunks for d in indexed)
    assert engine.catalog.interrupted() == []
    # cancelled on purpose: not resumed at the next start (closing the window would be)
    qtbot.waitUntil(lambda: engine.pending_ingests() == [], timeout=WAIT_MS)

    # adding the same folder again resumes: what was indexed is unchanged, the rest is added
    with qtbot.waitSignal(panel.job_finished, timeout=WAIT_MS) as resumed:
        panel.start_ingest([str(all_pdfs)], "default")
    report = resumed.args[0]
    assert report.unchanged == len(indexed)
    assert report.added + len(report.failed) == row.files_total - len(indexed)
    assert engine.store.count() == sum(d.chunks for d in engine.documents()
                                       if d.status == "indexed")  # fmt: skip
    panel.setParent(None)  # the fixture closes the panel itself


def test_cancel_all_stops_running_and_queued_jobs(qtbot, panel, all_pdfs, shared_data):  # type: ignore[no-untyped-def]
    first = panel.start_ingest([str(all_pdfs)], "default")
    second = panel.start_ingest([str(shared_data / "pdfs" / "ocrmypdf__skew.pdf")], "other")
    assert second.stats.text() == "Waiting for the indexer…"
    qtbot.waitUntil(lambda: first.state == "running", timeout=WAIT_MS)
    panel.cancel_all()
    qtbot.waitUntil(lambda: not panel.has_running(), timeout=WAIT_MS)
    assert first.state == "cancelled"
    assert second.state in ("cancelled", "done")
    panel.clear_finished()
    assert panel.rows == [] and not panel.isVisible()


def test_a_failing_job_says_why_in_its_row(qtbot, panel, tmp_path):  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(panel.job_finished, timeout=WAIT_MS) as finished:
        row = panel.start_reindex([str(tmp_path / "never-indexed.pdf")])
    assert row.state == "failed"
    assert "is not in the index" in row.stats.text()
    assert finished.args[0].failed[0].reason == "error"
