"""Ingest jobs: one row per job with its progress, speed, time left and a Cancel button.

A job is an `engine.ingest` (or `engine.reindex`) run on the ops writer. While it runs its
row shows the file it is on out of how many, the passages (chunks) written and their rate,
and the time left; when it ends the row says what came of it (indexed, unchanged, failed,
unsupported) and "Details" lists every file that was not indexed, with the reason. A
cancelled ingest keeps what it committed; adding the same files again resumes it.

The panel hides itself when it has no rows.
"""

from __future__ import annotations

import re
import time
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.errors import Cancelled
from core.ingest.report import Failure, IngestReport
from desktop.document_status import REASONS
from desktop.theme import icon

if TYPE_CHECKING:
    from core.jobs import Progress
    from desktop.ops import Op

# The pipeline's label: "3/10 files · 45 chunks".
LABEL_RE = re.compile(r"(\d+)\s*/\s*(\d+)\s+files?\D+(\d+)\s+chunks?")
BAR_STEPS = 1000
TEXT_EVERY_S = 0.2  # the speed and ETA text changes at most five times a second
MAX_VISIBLE_ROWS = 3


def job_label(paths: list[str]) -> str:
    """The first file or folder's name, and how many more."""
    if not paths:
        return "Nothing"
    first = Path(paths[0]).name or paths[0]
    if Path(paths[0]).is_dir():
        first += " (folder)"
    more = len(paths) - 1
    return f"{first} and {more} more" if more else first


def merged(reports: dict[str, IngestReport]) -> IngestReport:
    """One report for a re-index that touched several collections."""
    total = IngestReport()
    for report in reports.values():
        total.added += report.added
        total.updated += report.updated
        total.unchanged += report.unchanged
        total.removed += report.removed
        total.chunks += report.chunks
        total.seconds += report.seconds
        total.failed += report.failed
        total.warnings += report.warnings
        total.cancelled = total.cancelled or report.cancelled
    return total


def summary_of(report: IngestReport) -> str:
    unsupported = sum(f.reason == "unsupported" for f in report.failed)
    needs_ocr = sum(f.reason == "needs_ocr" for f in report.failed)
    failed = len(report.failed) - unsupported - needs_ocr
    indexed = report.added + report.updated
    parts = [f"{indexed} indexed"]
    if report.updated:
        parts[0] += f" ({report.updated} updated)"
    if report.unchanged:
        parts.append(f"{report.unchanged} unchanged")
    if report.removed:
        parts.append(f"{report.removed} removed")
    if failed:
        parts.append(f"{failed} failed")
    if needs_ocr:
        parts.append(f"{needs_ocr} need{'s' * (needs_ocr == 1)} OCR")
    if unsupported:
        parts.append(f"{unsupported} unsupported")
    parts.append(f"{report.chunks:,} passages in {_duration(report.seconds)}")
    return " · ".join(parts)


class JobRow(QFrame):
    """One job: label, bar, numbers, Cancel; then the outcome, Details and Dismiss."""

    dismissed = Signal(object)

    def __init__(self, label: str, collection: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("QFrame#jobRow { border: 1px solid palette(mid); border-radius: 8px;"
                           " background: palette(base); }")  # fmt: skip
        self.op: Op | None = None
        self.resumable: tuple[str, list[str]] | None = None  # (collection, paths) of an ingest
        self.state = "waiting"  # waiting | running | done | cancelled | failed
        self.report: IngestReport | None = None
        self.last_progress: Progress | None = None
        self.files_done = 0
        self.files_total: int | None = None
        self.chunks = 0
        self._started: float | None = None
        self._text_at = 0.0
        self.setAccessibleName(f"Indexing {label}")

        self.icon = QLabel(self)
        self.icon.setPixmap(icon("layers").pixmap(QSize(20, 20)))
        self.title = QLabel(f"<b>{escape(label)}</b> → {escape(collection)}", self)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setToolTip(f"Indexing into the collection “{collection}”")
        # a narrow window cuts the title short instead of pushing the buttons out of sight
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy until the first progress arrives
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        self.bar.setAccessibleName(f"Progress of {label}")
        self.stats = QLabel("Waiting for the indexer…", self)
        self.stats.setProperty("role", "hint")
        self.stats.setAccessibleName("Job status")
        self.stats.setWordWrap(True)
        self.cancel_button = QPushButton(icon("stop"), "Cancel", self)
        self.cancel_button.setAccessibleName(f"Cancel indexing {label}")
        self.cancel_button.setToolTip("Stop after the current file; what is indexed stays")
        self.cancel_button.clicked.connect(self.cancel)
        self.details_button = QToolButton(self)
        self.details_button.setText("Details")
        self.details_button.setCheckable(True)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setAccessibleName(f"Details of {label}")
        self.details_button.setProperty("flat", True)
        self.details_button.toggled.connect(self._toggle_details)
        self.details_button.hide()
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setIcon(icon("check"))
        self.dismiss_button.setText("Dismiss")
        self.dismiss_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.dismiss_button.setAccessibleName(f"Dismiss {label}")
        self.dismiss_button.clicked.connect(lambda: self.dismissed.emit(self))
        self.dismiss_button.hide()
        self.details = QTreeWidget(self)
        self.details.setHeaderLabels(["File", "Why", "What the reader said"])
        self.details.setRootIsDecorated(False)
        self.details.setAccessibleName(f"Files not indexed from {label}")
        self.details.setAlternatingRowColors(True)
        for column in (0, 1):
            self.details.header().setSectionResizeMode(
                column, QHeaderView.ResizeMode.ResizeToContents
            )
        self.details.header().setStretchLastSection(True)
        self.details.hide()

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.icon)
        top.addWidget(self.title, 1)
        top.addWidget(self.details_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(5)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.stats)
        layout.addWidget(self.details)

    @property
    def running(self) -> bool:
        return self.state in ("waiting", "running")

    def cancel(self) -> None:
        if self.op is not None and self.running:
            self.op.cancel()
            self.cancel_button.setEnabled(False)
            self.stats.setText("Cancelling after the current file…")

    # -- progress --------------------------------------------------------------------
    def on_progress(self, progress: Progress) -> None:
        now = time.monotonic()
        if self._started is None:
            self._started = now
        self.state = "running"
        self.last_progress = progress
        match = LABEL_RE.search(progress.label)
        if match:
            self.files_done, self.files_total, self.chunks = map(int, match.groups())
        if progress.total:
            self.bar.setRange(0, BAR_STEPS)
            self.bar.setValue(min(BAR_STEPS, int(BAR_STEPS * progress.done / progress.total)))
        final = progress.total is not None and progress.done >= progress.total
        if final or now - self._text_at >= TEXT_EVERY_S:
            self._text_at = now
            if self.cancel_button.isEnabled():
                self.stats.setText(self._stats_text(progress, now - self._started))

    def _stats_text(self, progress: Progress, elapsed: float) -> str:
        parts = []
        if self.files_total:
            parts.append(f"File {self.files_done} of {self.files_total}")
        elif progress.total:
            parts.append(f"{100 * progress.done / progress.total:.0f}%")
        parts.append(f"{self.chunks:,} passages")
        if self.chunks and elapsed > 0.5:
            parts.append(f"{self.chunks / elapsed:.1f} chunks/s")
        elif progress.unit == "bytes" and progress.rate:
            parts.append(f"{progress.rate / 1e6:.1f} MB/s")
        if progress.eta is not None and progress.done:
            parts.append(f"about {_duration(progress.eta)} left")
        return " · ".join(parts)

    # -- outcome ---------------------------------------------------------------------
    def finish(self, report: IngestReport, state: str) -> None:
        self.state = state
        self.report = report
        self.cancel_button.hide()
        self.dismiss_button.show()
        self.bar.hide()
        problems = [*report.failed]
        if state == "cancelled":
            self.icon.setPixmap(icon("stop").pixmap(QSize(20, 20)))
            self.stats.setText(
                "Cancelled. What was indexed stays; add the same files again to resume."
            )
        elif state == "failed":
            self.icon.setPixmap(icon("warning").pixmap(QSize(20, 20)))
            self.stats.setText(problems[0].error if problems else "The indexer stopped.")
            self.stats.setWordWrap(True)
        else:
            self.icon.setPixmap(icon("warning" if problems else "check").pixmap(QSize(20, 20)))
            self.stats.setText(summary_of(report))
        self.stats.setProperty("role", "")
        self.stats.style().unpolish(self.stats)
        self.stats.style().polish(self.stats)
        self._fill_details(problems, report.warnings)
        self.setAccessibleName(f"{self.accessibleName()}: {state}")

    def _fill_details(self, problems: list[Failure], warnings: list[str]) -> None:
        self.details.clear()
        for failure in problems:
            name = Path(failure.path).name or failure.path or "—"
            why = REASONS.get(failure.reason, failure.reason.replace("_", " ") or "error")
            item = QTreeWidgetItem([name, why.capitalize(), failure.error])
            item.setIcon(0, icon("warning"))
            item.setToolTip(0, failure.path)
            item.setToolTip(2, failure.error)
            self.details.addTopLevelItem(item)
        for warning in warnings:
            path, _, text = warning.partition(": ")
            item = QTreeWidgetItem([Path(path).name, "Indexed, with a note", text])
            item.setIcon(0, icon("document"))
            item.setToolTip(0, path)
            item.setToolTip(2, text)
            self.details.addTopLevelItem(item)
        count = self.details.topLevelItemCount()
        if count and self.state != "failed":
            self.details_button.setText(f"Details ({count})")
            self.details_button.show()
            rows = min(count, 6)
            self.details.setFixedHeight(28 + rows * 24)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        panel = self.parent()
        while panel is not None and not isinstance(panel, JobsPanel):
            panel = panel.parent()
        if panel is not None:
            panel.fit()

    @property
    def detail_rows(self) -> list[tuple[str, str, str]]:
        """(file, reason, message) of every file listed under Details."""
        items = [self.details.topLevelItem(i) for i in range(self.details.topLevelItemCount())]
        return [(item.text(0), item.text(1), item.text(2)) for item in items if item is not None]


class JobsPanel(QWidget):
    job_finished = Signal(object)  # the IngestReport (cancelled=True when cancelled)

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = ops.engine
        self.rows: list[JobRow] = []
        self.setAccessibleName("Indexing jobs")
        title = QLabel("Indexing", self)
        title.setStyleSheet("font-weight: 600;")
        self.clear_button = QToolButton(self)
        self.clear_button.setText("Clear finished")
        self.clear_button.setAccessibleName("Clear finished jobs")
        self.clear_button.setProperty("flat", True)
        self.clear_button.clicked.connect(self.clear_finished)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.clear_button)
        self._rows_box = QWidget(self)
        self._rows_layout = QVBoxLayout(self._rows_box)
        self._rows_layout.setContentsMargins(0, 0, 0, 0)
        self._rows_layout.setSpacing(6)
        self._rows_layout.addStretch(1)
        self.scroller = QScrollArea(self)
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(self._rows_box)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.scroller)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.hide()

    # -- public API ----------------------------------------------------------------
    def start_ingest(self, paths: list[str], collection: str) -> JobRow:
        paths = [str(p) for p in paths]
        row = self._add_row(job_label(paths), collection)
        op = self._ops.write(self._engine.ingest, paths, collection,
                             touches={"documents", "collections"})  # fmt: skip
        self._run(row, op, lambda report: report)
        row.resumable = (collection, paths)
        return row

    def start_reindex(self, paths: list[str], collection: str | None = None) -> JobRow:
        """Read documents again (a report per collection, merged into one row)."""
        paths = [str(p) for p in paths]
        label = job_label(paths)
        row = self._add_row(f"Re-index {label}", collection or "their collections")
        op = self._ops.write(self._engine.reindex, paths, touches={"documents", "collections"})
        self._run(row, op, merged)
        return row

    def has_running(self) -> bool:
        return any(row.running for row in self.rows)

    def cancel_all(self) -> None:
        for row in self.rows:
            row.cancel()

    def clear_finished(self) -> None:
        for row in [r for r in self.rows if not r.running]:
            self.dismiss(row)

    def dismiss(self, row: JobRow) -> None:
        if row.running or row not in self.rows:
            return
        self.rows.remove(row)
        self._rows_layout.removeWidget(row)
        row.deleteLater()
        self.fit()

    # -- plumbing --------------------------------------------------------------------
    def _add_row(self, label: str, collection: str) -> JobRow:
        row = JobRow(label, collection, self._rows_box)
        row.dismissed.connect(self.dismiss)
        self.rows.append(row)
        self._rows_layout.insertWidget(self._rows_layout.count() - 1, row)
        self.fit()
        return row

    def _run(self, row: JobRow, op: Op, to_report: Any) -> None:
        def done(result: Any) -> None:
            report = to_report(result)
            row.finish(report, "done")
            self._ended(row)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                row.finish(IngestReport(cancelled=True), "cancelled")
                self._forget(row)
            else:
                from desktop.ops import error_message

                message = error_message(exc)
                row.finish(IngestReport(failed=[Failure("", message, "error")]), "failed")
            self._ended(row)

        row.op = op.progress(row.on_progress).cancellable().success(done).failure(failed)
        op.run()

    def _forget(self, row: JobRow) -> None:
        """Cancelled by the person (closing the window delivers no result): the engine
        would resume the ingest at the next start; it should not."""
        if row.resumable is not None:
            collection, paths = row.resumable
            self._ops.write(self._engine.forget_pending_ingest, collection, paths,
                            touches={"documents"}).run()  # fmt: skip

    def _ended(self, row: JobRow) -> None:
        self.fit()
        assert row.report is not None
        self.job_finished.emit(row.report)

    def fit(self) -> None:
        """Show as many rows as fit (up to three), hide when there are none."""
        self.clear_button.setVisible(any(not r.running for r in self.rows))
        if not self.rows:
            self.hide()
            return
        self._rows_box.adjustSize()
        heights = [r.sizeHint().height() for r in self.rows[:MAX_VISIBLE_ROWS]]
        spacing = self._rows_layout.spacing() * max(len(heights) - 1, 0)
        self.scroller.setFixedHeight(sum(heights) + spacing + 2)
        self.show()


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second" if seconds < 0.95 else "1 s"
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
