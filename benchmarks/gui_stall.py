"""UI stall while a real ingest runs: how long the window's event loop goes unanswered.

The real main window (offscreen) with the real engine ingests the shared PDFs and 300
SciFact abstracts through its jobs panel, as a dropped folder would be. A 10 ms QTimer
probe records each gap between ticks; a stall is the gap beyond 10 ms. Reports max and
p99 of the stalls over the whole ingest, and the ingest's own time. Target: max <= 100 ms.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchmarks.common import DATA, WORK, emit, percentile, write_scifact_documents

PROBE_MS = 10
ABSTRACTS = 300


def corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for pdf in sorted((DATA / "pdfs").glob("*.pdf")):
        shutil.copy(pdf, folder / pdf.name)
    abstracts = sorted(write_scifact_documents(WORK / "scifact_docs").glob("*.md"))
    for path in abstracts[:ABSTRACTS]:
        shutil.copy(path, folder / path.name)
    return folder


def main() -> None:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from core.engine import Engine
    from desktop.main_window import MainWindow
    from desktop.theme import apply_theme

    app = QApplication([])
    apply_theme(app)
    with tempfile.TemporaryDirectory(prefix="enclave-stall-") as tmp:
        folder = corpus(Path(tmp) / "docs")
        engine = Engine(Path(tmp) / "home")
        engine.warm_up()  # model loading is not the stall being measured
        window = MainWindow(engine)
        window.show()
        gaps: list[float] = []
        clock = QElapsedTimer()
        probe = QTimer()
        probe.setInterval(PROBE_MS)

        def tick() -> None:
            gaps.append(clock.nsecsElapsed() / 1e6)
            clock.restart()
            if not window.jobs.has_running():
                app.quit()

        probe.timeout.connect(tick)
        started = time.perf_counter()
        window.ingest([str(folder)])
        clock.start()
        probe.start()
        app.exec()
        elapsed = time.perf_counter() - started
        documents = len(engine.documents())
        window.shutdown()
        engine.close()
    stalls = [max(0.0, gap - PROBE_MS) for gap in gaps[1:]]
    emit(
        {
            "benchmark": "gui_stall",
            "documents": documents,
            "ingest_s": round(elapsed, 1),
            "probes": len(stalls),
            "stall_max_ms": round(max(stalls), 1),
            "stall_p99_ms": round(percentile(stalls, 99), 1),
            "stall_p50_ms": round(percentile(stalls, 50), 1),
            "target": {"stall_max_ms": 100},
        }
    )


if __name__ == "__main__":
    main()
