"""The "Get a model" dialog: the recommended GGUFs with a verdict for this machine, and a
download with progress, speed, time left and Cancel (a cancelled or dropped download
resumes next time; a file appears among the models only once its hash checks out)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.jobs import Progress
from desktop.ops import Op, error_message
from desktop.theme import icon

SPEED_LABELS = {"fast": "Fast", "usable": "Usable", "slow": "Slow"}
COLUMNS = ["Model", "Size", "RAM", "Context", "Speed here", "Licence"]


def _size(size_bytes: int | None) -> str:
    return f"{size_bytes / 1e9:.1f} GB" if size_bytes else "?"


class ModelCatalogDialog(QDialog):
    downloaded = Signal(object)  # DownloadResult

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ops = ops
        self.engine = ops.engine
        self._op: Op | None = None
        self.setWindowTitle("Get a model")
        self.resize(860, 460)
        intro = QLabel(
            "Models recommended for Enclave, with what to expect on this computer. A download "
            "is checked against its published SHA-256 before it can be used; it can be "
            "stopped and resumed.", self)  # fmt: skip
        intro.setWordWrap(True)
        intro.setProperty("role", "hint")
        self.table = QTreeWidget(self)
        self.table.setHeaderLabels(COLUMNS)
        self.table.setRootIsDecorated(False)
        self.table.setAccessibleName("Recommended models")
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._sync)
        self.download_button = QPushButton(icon("add"), "Download", self)
        self.download_button.clicked.connect(self.download_selected)
        self.cancel_button = QPushButton(icon("stop"), "Stop", self)
        self.cancel_button.clicked.connect(self.stop)
        self.cancel_button.hide()
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName("Download progress")
        self.bar.hide()
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Download status")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.download_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.bar, 1)
        row.addStretch(0 if self.bar.isVisible() else 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.refresh()

    def refresh(self) -> None:
        self.ops.query(self.engine.model_catalog).success(self._show).failure(
            lambda exc: self.status.setText(error_message(exc))
        ).run()

    def _show(self, verdicts: list[Any]) -> None:
        self.table.clear()
        for verdict in verdicts:
            entry = verdict.entry
            speed = SPEED_LABELS.get(verdict.speed, verdict.speed)
            speed += f" (~{verdict.tokens_per_s:.0f} tokens/s)"
            if not verdict.fits_ram:
                speed = "Needs more memory than this computer has"
            item = QTreeWidgetItem([
                entry.title + (" — installed" if verdict.installed else ""),
                _size(entry.size_bytes), f"{entry.ram_gb:.1f} GB", f"{entry.context:,}",
                speed, entry.licence,
            ])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, entry.name)
            item.setToolTip(0, f"{entry.publisher} · {entry.source}")
            if not (verdict.fits_ram and verdict.fits_disk):
                item.setIcon(4, icon("warning"))
            self.table.addTopLevelItem(item)
        self._sync()

    def _sync(self) -> None:
        self.download_button.setEnabled(bool(self.table.selectedItems()) and self._op is None)

    def download_selected(self) -> None:
        items = self.table.selectedItems()
        if items:
            self.download(str(items[0].data(0, Qt.ItemDataRole.UserRole)))

    def download(self, name: str) -> None:
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel_button.show()
        self.status.setText(f"Connecting for {name}…")
        op = self.ops.query(self.engine.download_model, name).progress(self._progress)
        op.success(self._done).failure(self._failed).finally_(self._idle)
        self._op = op.cancellable().run()
        self._sync()

    def stop(self) -> None:
        if self._op is not None:
            self._op.cancel()
            self.status.setText("Stopping; what was downloaded is kept for next time…")

    def _progress(self, progress: Progress) -> None:
        if progress.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * progress.done / progress.total))
        rate = f" · {progress.rate / 1e6:.1f} MB/s" if progress.rate else ""
        eta = f" · {progress.eta:.0f} s left" if progress.eta is not None else ""
        total = f" of {progress.total / 1e6:.0f} MB" if progress.total else ""
        self.status.setText(f"{progress.done / 1e6:.0f} MB{total}{rate}{eta}")

    def _done(self, result: Any) -> None:
        self.status.setText(f"{result.name} is ready: choose it under Local models.")
        self.downloaded.emit(result)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(error_message(exc))

    def _idle(self) -> None:
        self._op = None
        self.bar.hide()
        self.cancel_button.hide()
        self._sync()

    def reject(self) -> None:
        self.stop()
        super().reject()
