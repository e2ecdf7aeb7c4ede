"""The main window: library on the left, chat / search / guard in the middle, the source
viewer on the right, ingest jobs along the bottom. Files dropped anywhere are indexed.

The window composes panels and routes between them; it holds no engine logic. Engine
work goes through `desktop.ops`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from core.engine import Engine
from core.jobs import Progress
from core.resources import SAMPLE_DOCUMENT
from desktop.chat_panel import ChatPanel
from desktop.guard_panel import GuardPanel
from desktop.jobs_panel import JobsPanel
from desktop.library_panel import LibraryPanel
from desktop.ops import Ops, error_message
from desktop.search_panel import SearchPanel
from desktop.theme import icon
from desktop.viewer import SourceViewer

log = logging.getLogger(__name__)
CHAT_TAB, SEARCH_TAB, GUARD_TAB = range(3)


class DropOverlay(QLabel):
    """Covers the window while files are dragged over it: says where they will go."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("dropOverlay")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "#dropOverlay { background: rgba(37, 99, 235, 40); border: 3px dashed #2563eb;"
            " border-radius: 12px; font-size: 20px; font-weight: 600; color: #1d4ed8; }"
        )
        self.hide()

    def show_for(self, collection: str, count: int) -> None:
        noun = "item" if count == 1 else "items"
        self.setText(f"Drop {count} {noun} to index into “{collection}”")
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect().adjusted(8, 8, -8, -8))
        self.raise_()
        self.show()


class MainWindow(QMainWindow):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.setWindowTitle("Enclave")
        self.setWindowIcon(icon("enclave", tint=False))
        self.setAcceptDrops(True)
        self.setMinimumSize(960, 600)
        self.ops = Ops(engine, self)
        self._closing = False
        self.last_error = ""
        self.ops.error.connect(self.show_error)
        self._build_panels()
        self._build_toolbar()
        self._build_status_bar()
        self._build_shortcuts()
        self._overlay = DropOverlay(self)
        self._restore_geometry()

    # -- layout ------------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.library = LibraryPanel(self.ops)
        self.chat = ChatPanel(self.ops)
        self.search = SearchPanel(self.ops)
        self.guard = GuardPanel(self.ops)
        self.viewer = SourceViewer(self.ops)
        self.jobs = JobsPanel(self.ops)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.chat, icon("chat"), "Chat")
        self.tabs.addTab(self.search, icon("search"), "Search")
        self.tabs.addTab(self.guard, icon("shield"), "Guard")
        self.tabs.setAccessibleName("Chat, search and guard")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for widget in (self.library, self.tabs, self.viewer):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setSizes([280, 640, 480])
        self.viewer.hide()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.jobs)
        self.setCentralWidget(central)

        for panel in (self.library, self.chat, self.search):
            panel.open_source.connect(self.open_source)
        self.library.attach_jobs(self.jobs)
        self.library.checked_changed.connect(self._collections_changed)
        self.library.collection_changed.connect(self._collections_changed)
        self.library.sample_requested.connect(self.index_sample)
        self._collections_changed()

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        self.add_files_action = self._action(bar, "add", "Add files…", self.add_files)
        self.add_folder_action = self._action(bar, "folder", "Add folder…", self.add_folder)
        bar.addSeparator()
        self.new_chat_action = self._action(bar, "chat", "New chat", self.new_chat)
        self.new_chat_action.setShortcut(QKeySequence("Ctrl+N"))
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        self.settings_action = self._action(bar, "settings", "Settings", self.open_settings)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))

    def _action(self, bar: QToolBar, icon_name: str, text: str, slot: object) -> QAction:
        action = QAction(icon(icon_name), text, self)
        action.triggered.connect(slot)
        bar.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.loading_label = QLabel("Starting…")
        self.loading_label.setAccessibleName("Loading status")
        self.model_label = QLabel()
        self.model_label.setAccessibleName("Local model")
        self.statusBar().addWidget(self.loading_label, 1)
        self.statusBar().addPermanentWidget(self.model_label)
        self._show_model_status()

    def _build_shortcuts(self) -> None:
        QShortcut(QKeySequence("Ctrl+L"), self, self.focus_question)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.chat.stop)
        QShortcut(QKeySequence("Ctrl+F"), self, self._focus_search)

    # -- start and stop ------------------------------------------------------------------
    def start_background_work(self) -> None:
        """Load models and the index, resume ingests a closed window left, watch folders."""
        self.loading_label.setText("Loading the embedding model and the guard…")
        op = self.ops.query(self.ops.engine.warm_up).progress(self._warm_up_progress)
        op.success(lambda _r: self.loading_label.setText("Ready"))
        op.failure(self._warm_up_failed).run()
        for collection, paths in self.ops.engine.pending_ingests():
            self.jobs.start_ingest(paths, collection)
        self.ops.write(self.ops.engine.start_watching, self._watched_folder_synced,
                       touches={"watches"}).run()  # fmt: skip

    def _warm_up_progress(self, progress: Progress) -> None:
        if progress.label != "Ready":
            self.loading_label.setText(f"{progress.label}…")

    def _warm_up_failed(self, exc: BaseException) -> None:
        self.loading_label.setText(f"Not ready: {error_message(exc)}")

    def _watched_folder_synced(self, *_: object) -> None:
        # Called on the watcher's thread: hop to the main thread before touching widgets.
        QTimer.singleShot(0, self, lambda: self.ops.changed.emit(frozenset({"documents"})))

    def shutdown(self) -> None:
        """Stop background work; an ingest still running resumes at the next start."""
        self._closing = True
        self.ops.engine.stop_watching()
        self.ops.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.splitter.saveState())
        if self.jobs.has_running():
            self.loading_label.setText("Stopping the ingest; it resumes at the next start…")
        self.shutdown()
        super().closeEvent(event)

    def _restore_geometry(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and self.restoreGeometry(geometry):
            splitter = settings.value("window/splitter")
            if isinstance(splitter, QByteArray):
                self.splitter.restoreState(splitter)
        else:
            self.resize(1360, 840)

    # -- actions -------------------------------------------------------------------------
    def add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add files to index")
        if paths:
            self.ingest(paths)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to index")
        if folder:
            self.ingest([folder])

    def ingest(self, paths: list[str]) -> None:
        self.jobs.start_ingest(paths, self.library.selected_collection())

    def index_sample(self) -> None:
        if SAMPLE_DOCUMENT.is_file():
            self.ingest([str(SAMPLE_DOCUMENT)])
        else:
            self.show_error(FileNotFoundError(f"The sample document is missing: {SAMPLE_DOCUMENT}"))

    def new_chat(self) -> None:
        self.tabs.setCurrentIndex(CHAT_TAB)
        self.chat.new_chat()

    def focus_question(self) -> None:
        self.tabs.setCurrentIndex(CHAT_TAB)
        self.chat.focus_question()

    def _focus_search(self) -> None:
        self.tabs.setCurrentIndex(SEARCH_TAB)
        self.search.setFocus()

    def open_settings(self) -> None:
        from desktop.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.ops, self)
        dialog.exec()
        self._show_model_status()

    def open_source(self, path: str, page: object, passage: str) -> None:
        if self.viewer.isHidden():
            self.viewer.show()
            library, middle, _ = self.splitter.sizes()
            width = library + middle
            self.splitter.setSizes([library, int((width - library) * 0.55),
                                    int((width - library) * 0.45)])  # fmt: skip
        self.viewer.open_source(path, page if isinstance(page, int) else None, passage)

    def show_error(self, exc: object) -> None:
        """A message the person can act on; window-modal but never blocking the caller."""
        message = error_message(exc) if isinstance(exc, BaseException) else str(exc)
        log.warning("shown to the user: %s", message)
        if self._closing:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Enclave", message,
                          QMessageBox.StandardButton.Ok, self)  # fmt: skip
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_error = message

    def _collections_changed(self, *_: object) -> None:
        collections = self.library.checked_collections()
        self.chat.set_collections(collections)
        self.search.set_collections(collections)

    def _show_model_status(self) -> None:
        self.ops.query(self.ops.engine.models).success(self._show_models).failure(
            lambda exc: self.model_label.setText(f"Local model: {error_message(exc)}")
        ).run()

    def _show_models(self, models: list[object]) -> None:
        selected = self.ops.engine.selected_model()
        names = [getattr(m, "name", "") for m in models]
        if selected in names:
            self.model_label.setText(f"Local model: {selected} · offline")
        else:
            self.model_label.setText("No local model: choose one in Settings")

    # -- drag and drop anywhere on the window ---------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        paths = _local_paths(event)
        if paths:
            event.acceptProposedAction()
            self._overlay.show_for(self.library.selected_collection(), len(paths))

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._overlay.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._overlay.hide()
        paths = _local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.ingest(paths)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._overlay.isVisible():
            self._overlay.setGeometry(self.rect().adjusted(8, 8, -8, -8))


def _local_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
