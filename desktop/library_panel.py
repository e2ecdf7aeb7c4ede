"""The library: collections, the documents in each with their status, and watched folders.

A collection is a named set of documents with a sensitivity (public, internal,
confidential); its check box says whether the chat searches it. The documents table shows
what became of each file: indexed, needs OCR, failed (with the reason), unsupported, and
how many of its passages the guard flagged as prompt injection. A first run, or an empty
collection, says what to do: drop files or folders, or index the sample document.

Everything slow runs through `ops`; the panel refreshes when a write touched the
collections, the documents or the watched folders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QObject,
    QPoint,
    QSize,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QKeySequence,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import icon, is_dark

if TYPE_CHECKING:
    from core.index.types import SearchHit
    from core.ingest.catalog import CollectionRecord, DocumentRecord

DEFAULT_COLLECTION = "default"
SENSITIVITIES = ("public", "internal", "confidential")
SENSITIVITY_HELP = {
    "public": "Public: may be sent to a cloud model when one is switched on.",
    "internal": "Internal: personal data and secrets are redacted before anything leaves.",
    "confidential": "Confidential: never sent to a cloud model, only answered on this machine.",
}
# Badge colours (light, dark) per sensitivity: background, text.
BADGE = {
    "public": (("#D3F9D8", "#2B8A3E"), ("#1F3A26", "#8CE99A")),
    "internal": (("#E7F5FF", "#1864AB"), ("#1B2F45", "#A5D8FF")),
    "confidential": (("#FFE3E3", "#C92A2A"), ("#4A1F22", "#FFA8A8")),
}
# What a person reads for the pipeline's reason codes.
REASONS = {
    "corrupt": "damaged file",
    "empty": "no text to index",
    "unreadable": "could not be read",
    "too_large": "too large",
    "encrypted": "password-protected",
    "missing": "file missing",
    "needs_ocr": "needs OCR",
    "unsupported": "unsupported format",
}
FILE_FILTER = (
    "Documents (*.pdf *.txt *.md *.markdown *.html *.htm *.docx *.epub *.csv *.rst *.json "
    "*.py *.js *.ts *.java *.c *.cpp *.go *.rs);;All files (*)"
)
LIVE_REFRESH_MS = 1500  # while a write runs, the table shows documents as they commit
EMPTY_TITLE = "Drop files or folders here to index them"
EMPTY_TEXT = (
    "PDFs, Word, Markdown, HTML, e-books, text and code. Everything is read and indexed on "
    "this machine; nothing is uploaded."
)
COLUMNS = ("Name", "Status", "Pages", "Chunks", "Flagged")
NAME, STATUS, PAGES, CHUNKS, FLAGGED = range(len(COLUMNS))
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2


@dataclass(frozen=True)
class Status:
    kind: str  # indexed | needs_ocr | failed | unsupported | pending
    text: str
    icon: str
    detail: str


def status_of(record: DocumentRecord) -> Status:
    """How a document's state reads in the table (and its full explanation)."""
    if record.status == "indexed":
        if record.warning:
            text = "Partly indexed" if "OCR" in record.warning else "Indexed (see note)"
            return Status("indexed", text, "warning", record.warning)
        pages = f" from {record.pages} page{'s' * (record.pages != 1)}" if record.pages else ""
        return Status("indexed", "Indexed", "check", f"{record.chunks} passages{pages}.")
    if record.status == "pending":
        if record.pending_version is None:  # a crash or kill; recovery dropped its chunks
            return Status("failed", "Interrupted", "warning",
                          "Indexing stopped before this file was done. Add it again to resume.")  # fmt: skip
        return Status("pending", "Indexing…", "layers", "Being indexed now.")
    reason = record.reason or "unreadable"
    detail = record.error or REASONS.get(reason, reason)
    if reason == "needs_ocr":
        return Status("needs_ocr", "Needs OCR", "warning", detail)
    if reason == "unsupported":
        return Status("unsupported", "Unsupported", "warning", detail)
    return Status("failed", f"Failed: {REASONS.get(reason, reason.replace('_', ' '))}",
                  "warning", detail)  # fmt: skip


@dataclass
class Snapshot:
    """What the panel shows, read in one background query."""

    collections: list[CollectionRecord]
    documents: list[DocumentRecord]
    watches: list[tuple[str, str]]
    flagged: dict[str, int] = field(default_factory=dict)  # path -> injection-flagged passages
    flags_known: bool = False


def read_snapshot(engine: Any) -> Snapshot:
    """Runs on the query pool: catalog reads only (no model, no store)."""
    collections = engine.collections()
    documents = engine.documents()
    watches = engine.watches()
    counter = getattr(engine, "flagged_passages", None)  # path -> count, when the engine has it
    flagged: dict[str, int] = {}
    if callable(counter):
        flagged = dict(counter())
    return Snapshot(collections, documents, watches, flagged, callable(counter))


@dataclass(frozen=True)
class GuardSummary:
    """What the guard flagged in one document's passages at ingest."""

    passages: int
    injection: int
    pii: int
    secrets: int
    first_injection: SearchHit | None

    @classmethod
    def of(cls, hits: list[SearchHit]) -> GuardSummary:
        injected = [h for h in hits if "injection" in h.flags]
        return cls(
            passages=len(hits),
            injection=len(injected),
            pii=sum(any(f.startswith("pii:") for f in h.flags) for h in hits),
            secrets=sum(any(f.startswith("secret:") for f in h.flags) for h in hits),
            first_injection=injected[0] if injected else None,
        )

    def html(self) -> str:
        parts = []
        if self.injection:
            colour = "#B197FC" if is_dark() else "#7048E8"
            parts.append(f"<span style='color:{colour}; font-weight:600'>{self.injection} "
                         f"passage{'s' * (self.injection != 1)} read as prompt injection</span>"
                         " (<a href='show'>show</a>)")  # fmt: skip
        if self.pii:
            parts.append(f"personal data in {self.pii}")
        if self.secrets:
            parts.append(f"secrets in {self.secrets}")
        if not parts:
            return "<span style='color:gray'>The guard flagged none of its passages.</span>"
        return "Guard: " + " · ".join(parts)


class LibraryPanel(QWidget):
    collection_changed = Signal(str)
    checked_changed = Signal(list)  # the collections the chat should search
    open_source = Signal(str, object, str)  # path, page | None, passage
    paths_chosen = Signal(list)  # files or folders picked with "Add files…"/"Add folder…"
    reindex_requested = Signal(list)  # document paths to read again
    sample_requested = Signal()

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = ops.engine
        self.snapshot = Snapshot([], [], [])
        self._selected = DEFAULT_COLLECTION
        self._unchecked: set[str] = set()
        self._generation = 0
        self._shown = 0  # generation on screen
        self._filling = False
        self._guard: dict[tuple[str, int], GuardSummary] = {}  # (doc_id, version) -> flags
        self._detail_record: DocumentRecord | None = None
        self.setAccessibleName("Library")

        title = QLabel("Library", self)
        title.setProperty("role", "title")
        self.add_files_button = self._tool("document", "Add files…", self.choose_files)
        self.add_folder_button = self._tool("folder", "Add folder…", self.choose_folder)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.add_files_button)
        header.addWidget(self.add_folder_button)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_collections())
        splitter.addWidget(self._build_documents())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([150, 520])
        self.splitter = splitter

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)
        layout.addWidget(self._build_watches())

        self._live = QTimer(self, interval=LIVE_REFRESH_MS)
        self._live.timeout.connect(self.refresh)
        changed = getattr(ops, "changed", None)
        if changed is not None:
            changed.connect(self._on_changed)
        busy = getattr(ops, "busy", None)
        if busy is not None:
            busy.connect(self._on_busy)
        self._show(self.snapshot)
        self.refresh()

    # -- building ------------------------------------------------------------------
    def _tool(self, icon_name: str, text: str, slot: Any, tip: str = "") -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon(icon_name))
        button.setText(text)
        button.setToolTip(tip or text)
        button.setAccessibleName(text.rstrip("…"))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        button.setIconSize(QSize(18, 18))
        button.clicked.connect(slot)
        return button

    def _build_collections(self) -> QWidget:
        box = QWidget(self)
        caption = QLabel("Collections", box)
        caption.setProperty("role", "hint")
        self.new_button = self._tool("add", "New collection…", self.ask_create_collection)
        self.rename_button = self._tool("settings", "Rename collection…",
                                        self.ask_rename_collection)  # fmt: skip
        self.delete_button = self._tool("trash", "Delete collection…", self.ask_delete_collection)
        bar = QHBoxLayout()
        bar.addWidget(caption, 1)
        for button in (self.new_button, self.rename_button, self.delete_button):
            button.setProperty("flat", True)
            bar.addWidget(button)
        self.collections_view = QTreeWidget(box)
        self.collections_view.setColumnCount(3)
        self.collections_view.setHeaderHidden(True)
        self.collections_view.setRootIsDecorated(False)
        self.collections_view.setAccessibleName("Collections")
        self.collections_view.setUniformRowHeights(True)
        self.collections_view.setMinimumHeight(64)
        self.collections_view.setStyleSheet("QTreeView::item { min-height: 26px; }")
        self.collections_view.setToolTip("Checked collections are the ones the chat searches.")
        self.collections_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.collections_view.customContextMenuRequested.connect(self._collection_menu)
        self.collections_view.currentItemChanged.connect(self._current_collection_changed)
        self.collections_view.itemChanged.connect(self._collection_checked)
        self.collections_view.itemDoubleClicked.connect(lambda *_: self.ask_rename_collection())
        head = self.collections_view.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.sensitivity_box = QComboBox(box)
        for name in SENSITIVITIES:
            self.sensitivity_box.addItem(name.capitalize(), name)
            self.sensitivity_box.setItemData(
                self.sensitivity_box.count() - 1, SENSITIVITY_HELP[name],
                Qt.ItemDataRole.ToolTipRole,
            )  # fmt: skip
        self.sensitivity_box.setAccessibleName("Sensitivity of the selected collection")
        self.sensitivity_box.activated.connect(self._sensitivity_chosen)
        sensitivity_label = QLabel("Sensitivity", box)
        sensitivity_label.setBuddy(self.sensitivity_box)
        row = QHBoxLayout()
        row.addWidget(sensitivity_label)
        row.addWidget(self.sensitivity_box, 1)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.collections_view, 1)
        layout.addLayout(row)
        return box

    def _build_documents(self) -> QWidget:
        box = QWidget(self)
        self.filter_box = QLineEdit(box)
        self.filter_box.setPlaceholderText("Filter documents by name or status")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setAccessibleName("Filter documents")
        self.filter_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.model = QStandardItemModel(0, len(COLUMNS), box)
        self.model.setHorizontalHeaderLabels(list(COLUMNS))
        self.model.setHeaderData(FLAGGED, Qt.Orientation.Horizontal,
                                 "Passages the guard flagged as prompt injection",
                                 Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.proxy = QSortFilterProxyModel(box)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter_box.textChanged.connect(self._filter)
        self.table = QTableView(box)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Documents")
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._document_menu)
        self.table.doubleClicked.connect(lambda index: self.open_selected())
        for keys, slot in ((QKeySequence.StandardKey.Delete, self.ask_remove_selected),
                           (QKeySequence(Qt.Key.Key_Return), self.open_selected),
                           (QKeySequence(Qt.Key.Key_Enter), self.open_selected)):  # fmt: skip
            shortcut = QShortcut(keys, self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (STATUS, PAGES, CHUNKS, FLAGGED):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        head.setHighlightSections(False)
        head.setMinimumSectionSize(40)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.viewport().installEventFilter(self)
        self.table.setItemDelegateForColumn(STATUS, _ElideRight(self.table))

        self.remove_button = QPushButton(icon("trash"), "Remove", box)
        self.remove_button.setToolTip("Remove the selected documents from the index "
                                      "(the files stay on disk)")  # fmt: skip
        self.remove_button.setAccessibleName("Remove selected documents")
        self.remove_button.clicked.connect(self.ask_remove_selected)
        self.reindex_button = QPushButton(icon("layers"), "Re-index", box)
        self.reindex_button.setToolTip("Read the selected documents again, e.g. after "
                                       "installing OCR")  # fmt: skip
        self.reindex_button.setAccessibleName("Re-index selected documents")
        self.reindex_button.clicked.connect(self.reindex_selected)
        self.summary = QLabel("", box)
        self.summary.setProperty("role", "hint")
        self.summary.setAccessibleName("Documents summary")
        self.summary.setWordWrap(True)  # a narrow sidebar wraps it instead of widening
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.reindex_button)
        actions.addWidget(self.remove_button)
        self.detail = QLabel("", box)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.detail.setAccessibleName("Selected document")
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.linkActivated.connect(self._detail_link)
        self.detail.hide()

        table_page = QWidget(box)
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.setSpacing(6)
        table_layout.addWidget(self.filter_box)
        table_layout.addWidget(self.table, 1)
        table_layout.addWidget(self.detail)
        table_layout.addWidget(self.summary)
        table_layout.addLayout(actions)

        self.stack = QStackedWidget(box)
        self.stack.addWidget(self._build_empty_state())
        self.stack.addWidget(table_page)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.stack)
        return box

    def _build_empty_state(self) -> QWidget:
        page = QWidget(self)
        page.setAccessibleName("Empty library")
        picture = QLabel(page)
        picture.setPixmap(icon("layers").pixmap(QSize(56, 56)))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_title = QLabel(EMPTY_TITLE, page)
        self.empty_title.setWordWrap(True)
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_title.setStyleSheet("font-size: 15pt; font-weight: 600;")
        self.empty_title.setAccessibleName(EMPTY_TITLE)
        self.empty_text = QLabel(EMPTY_TEXT, page)
        self.empty_text.setWordWrap(True)
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_text.setProperty("role", "hint")
        self.empty_files = QPushButton(icon("document"), "Add files…", page)
        self.empty_files.setProperty("primary", True)
        self.empty_files.setAccessibleName("Add files")
        self.empty_files.clicked.connect(self.choose_files)
        self.empty_folder = QPushButton(icon("folder"), "Add folder…", page)
        self.empty_folder.setAccessibleName("Add folder")
        self.empty_folder.clicked.connect(self.choose_folder)
        self.sample_button = QPushButton(icon("pdf"), "Index the sample document", page)
        self.sample_button.setAccessibleName("Index the sample document")
        self.sample_button.setToolTip("A short document shipped with Enclave, to try a question")
        self.sample_button.clicked.connect(self.sample_requested.emit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.empty_files)
        buttons.addWidget(self.empty_folder)
        buttons.addStretch(1)
        sample = QHBoxLayout()
        sample.addStretch(1)
        sample.addWidget(self.sample_button)
        sample.addStretch(1)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(picture)
        layout.addWidget(self.empty_title)
        layout.addWidget(self.empty_text)
        layout.addSpacing(6)
        layout.addLayout(buttons)
        layout.addLayout(sample)
        layout.addStretch(2)
        return page

    def _build_watches(self) -> QWidget:
        box = QWidget(self)
        caption = QLabel("Watched folders", box)
        caption.setProperty("role", "hint")
        caption.setToolTip("Folders kept in sync with the selected collection while Enclave runs")
        self.watch_button = self._tool("add", "Watch a folder…", self.ask_watch)
        self.unwatch_button = self._tool("trash", "Stop watching the selected folder",
                                         self.unwatch_selected)  # fmt: skip
        bar = QHBoxLayout()
        bar.addWidget(caption, 1)
        for button in (self.watch_button, self.unwatch_button):
            button.setProperty("flat", True)
            bar.addWidget(button)
        self.watch_list = QListWidget(box)
        self.watch_list.setAccessibleName("Watched folders")
        self.watch_list.setMaximumHeight(96)
        self.watch_list.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.watch_list.itemSelectionChanged.connect(self._update_actions)
        self.watch_hint = QLabel("None. Watched folders stay in sync while Enclave runs.", box)
        self.watch_hint.setProperty("role", "hint")
        self.watch_hint.setWordWrap(True)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.watch_list)
        layout.addWidget(self.watch_hint)
        return box

    # -- public API ----------------------------------------------------------------
    def selected_collection(self) -> str:
        return self._selected

    def checked_collections(self) -> list[str]:
        """The collections the chat searches: the checked ones, else the selected one."""
        names = [c.name for c in self.snapshot.collections if c.name not in self._unchecked]
        return names or [self._selected]

    def select_collection(self, name: str) -> None:
        self._selected = name
        for row in range(self.collections_view.topLevelItemCount()):
            item = self.collections_view.topLevelItem(row)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == name:
                self.collections_view.setCurrentItem(item)
                return
        self._fill_documents()

    def attach_jobs(self, jobs: Any) -> None:
        """Let "Add files…", "Add folder…", a new watch and "Re-index" start jobs there."""
        self.paths_chosen.connect(lambda paths: jobs.start_ingest(paths, self._selected))
        self.reindex_requested.connect(jobs.start_reindex)

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        self._ops.query(read_snapshot, self._engine).success(
            lambda snapshot: self._arrived(generation, snapshot)
        ).run()

    @property
    def documents_shown(self) -> list[tuple[str, str]]:
        """(name, status) of every row the table shows, in its order (tests, screen readers)."""
        rows = []
        for row in range(self.proxy.rowCount()):
            rows.append((
                str(self.proxy.index(row, NAME).data()),
                str(self.proxy.index(row, STATUS).data()),
            ))  # fmt: skip
        return rows

    def status_tip(self, name: str) -> str:
        """The full explanation of a document's status, as its tooltip shows it."""
        for row in range(self.model.rowCount()):
            if self.model.item(row, NAME).text() == name:
                return str(self.model.item(row, STATUS).toolTip())
        raise KeyError(name)

    # -- refresh -------------------------------------------------------------------
    def _on_changed(self, areas: Any) -> None:
        if not areas or {"collections", "documents", "watches"} & set(areas):
            self.refresh()

    def _on_busy(self, _count: int) -> None:
        writing = any(op.writes for op in getattr(self._ops, "running", []))
        if writing and not self._live.isActive():
            self._live.start()
        elif not writing:
            self._live.stop()

    def _arrived(self, generation: int, snapshot: Snapshot) -> None:
        if not shiboken6.isValid(self.collections_view):
            return  # the window closed while the read ran
        if generation < self._shown:
            return  # an older read finished after a newer one
        self._shown = generation
        self._show(snapshot)

    def _show(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        names = [c.name for c in snapshot.collections]
        if self._selected not in names and names:
            self._selected = DEFAULT_COLLECTION if DEFAULT_COLLECTION in names else names[0]
            self.collection_changed.emit(self._selected)
        self._fill_collections()
        self._fill_documents()
        self._fill_watches()

    def _records(self) -> list[CollectionRecord | None]:
        """The collections to list; a fresh library shows the default one, not yet created."""
        records: list[CollectionRecord | None] = list(self.snapshot.collections)
        return records or [None]

    def _fill_collections(self) -> None:
        counts = Counter(d.collection for d in self.snapshot.documents)
        view = self.collections_view
        self._filling = True
        view.clear()
        current = None
        for record in self._records():
            name = record.name if record else DEFAULT_COLLECTION
            sensitivity = record.sensitivity if record else "internal"
            item = QTreeWidgetItem([name, str(counts.get(name, 0)), ""])
            item.setIcon(0, icon("database"))
            item.setData(0, Qt.ItemDataRole.UserRole, name)
            item.setData(2, Qt.ItemDataRole.UserRole, sensitivity)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Unchecked if name in self._unchecked
                               else Qt.CheckState.Checked)  # fmt: skip
            item.setToolTip(0, f"{name}: {counts.get(name, 0)} documents. Checked: the chat "
                               "searches it.")  # fmt: skip
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setForeground(1, self.palette().placeholderText())
            item.setData(1, Qt.ItemDataRole.AccessibleTextRole, f"{counts.get(name, 0)} documents")
            view.addTopLevelItem(item)
            view.setItemWidget(item, 2, _badge(sensitivity, view))
            if name == self._selected:
                current = item
        if current is not None:
            view.setCurrentItem(current)
        rows = max(2, min(view.topLevelItemCount(), 8))
        view.setMaximumHeight(rows * 28 + 10)
        self._filling = False
        self._sync_sensitivity_box()
        self._update_actions()

    def _fill_documents(self) -> None:
        selected = set(self._selected_paths())
        documents = [d for d in self.snapshot.documents if d.collection == self._selected]
        self.model.removeRows(0, self.model.rowCount())
        sort_column = self.table.horizontalHeader().sortIndicatorSection()
        sort_order = self.table.horizontalHeader().sortIndicatorOrder()
        self.table.setSortingEnabled(False)
        for record in documents:
            self.model.appendRow(self._row(record))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(sort_column, sort_order)
        self.table.setColumnHidden(FLAGGED, not self.snapshot.flags_known)
        self._fit_columns()
        if selected:
            self._reselect(selected)
        library_empty = not self.snapshot.documents
        if documents:
            self.stack.setCurrentIndex(1)
        else:
            self.stack.setCurrentIndex(0)
            title = (
                EMPTY_TITLE
                if library_empty
                else (f"“{self._selected}” is empty. Drop files or folders here to add them")
            )
            self.empty_title.setText(title)
            self.empty_title.setAccessibleName(title)
            self.sample_button.setVisible(library_empty)
        self._summarise(documents)
        self._selection_changed()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def _fit_columns(self) -> None:
        """The name keeps most of a narrow sidebar: numbers stay compact, the status takes
        at most a third (elided; its tooltip and the detail line say it in full), and
        below 380 px the page count makes way."""
        width = self.table.viewport().width()
        head = self.table.horizontalHeader()
        metrics = head.fontMetrics()
        self.table.setColumnHidden(PAGES, width < 380)
        for column in (PAGES, CHUNKS, FLAGGED):
            label = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            head.resizeSection(column, metrics.horizontalAdvance(label) + 24)
        wanted = max(self.table.sizeHintForColumn(STATUS), metrics.horizontalAdvance("Status") + 30)
        head.resizeSection(STATUS, min(wanted + 8, int(width * 0.34)))

    def _row(self, record: DocumentRecord) -> list[QStandardItem]:
        path = Path(record.path)
        status = status_of(record)
        name = QStandardItem(icon("pdf" if path.suffix.lower() == ".pdf" else "document"),
                             path.name)  # fmt: skip
        name.setToolTip(f"{record.title}\n{record.path}" if record.title else record.path)
        name.setData(record.path, PATH_ROLE)
        state = QStandardItem(icon(status.icon), status.text)
        state.setToolTip(status.detail)
        state.setData(status.kind, KIND_ROLE)
        if status.kind in ("failed", "needs_ocr", "unsupported"):
            state.setForeground(QColor("#FFA8A8" if is_dark() else "#C92A2A"))
        pages = _number(record.pages)
        chunks = _number(record.chunks if record.status == "indexed" else None)
        flagged_count = self.snapshot.flagged.get(record.path, 0)
        flagged = _number(flagged_count if record.status == "indexed" else None)
        if flagged_count:
            flagged.setIcon(icon("shield"))
            flagged.setForeground(QColor("#B197FC" if is_dark() else "#7048E8"))
            flagged.setToolTip(f"{flagged_count} passage(s) read as prompt injection: the guard "
                               "warns about or leaves them out of answers.")  # fmt: skip
        return [name, state, pages, chunks, flagged]

    def _summarise(self, documents: list[DocumentRecord]) -> None:
        kinds = Counter(status_of(d).kind for d in documents)
        parts = [f"{len(documents)} document{'s' * (len(documents) != 1)}"]
        labels = {"failed": "failed", "needs_ocr": "need OCR", "unsupported": "unsupported",
                  "pending": "indexing"}  # fmt: skip
        parts += [f"{kinds[k]} {label}" for k, label in labels.items() if kinds[k]]
        flagged = sum(self.snapshot.flagged.get(d.path, 0) for d in documents)
        if flagged:
            parts.append(f"{flagged} flagged passage{'s' * (flagged != 1)}")
        self.summary.setText(" · ".join(parts))

    def _fill_watches(self) -> None:
        self.watch_list.clear()
        for collection, folder in self.snapshot.watches:
            if collection != self._selected:
                continue
            item = QListWidgetItem(icon("folder"), folder)
            item.setToolTip(f"{folder} (kept in sync with “{collection}”)")
            item.setData(Qt.ItemDataRole.UserRole, folder)
            self.watch_list.addItem(item)
        has = self.watch_list.count() > 0
        self.watch_list.setVisible(has)
        self.watch_hint.setVisible(not has)
        self._update_actions()

    # -- collections ---------------------------------------------------------------
    def _current_collection_changed(self, item: QTreeWidgetItem | None, _old: Any) -> None:
        if self._filling or item is None:
            return
        name = str(item.data(0, Qt.ItemDataRole.UserRole))
        if name != self._selected:
            self._selected = name
            self._fill_documents()
            self._fill_watches()
            self.collection_changed.emit(name)
        self._sync_sensitivity_box()
        self._update_actions()

    def _collection_checked(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        name = str(item.data(0, Qt.ItemDataRole.UserRole))
        if item.checkState(0) == Qt.CheckState.Checked:
            self._unchecked.discard(name)
        else:
            self._unchecked.add(name)
        self.checked_changed.emit(self.checked_collections())

    def _exists(self, name: str) -> bool:
        return any(c.name == name for c in self.snapshot.collections)

    def _sensitivity(self, name: str) -> str:
        record = next((c for c in self.snapshot.collections if c.name == name), None)
        return record.sensitivity if record else "internal"

    def _sync_sensitivity_box(self) -> None:
        index = self.sensitivity_box.findData(self._sensitivity(self._selected))
        self.sensitivity_box.setCurrentIndex(max(index, 0))
        self.sensitivity_box.setToolTip(SENSITIVITY_HELP[self._sensitivity(self._selected)])

    def _sensitivity_chosen(self, index: int) -> None:
        self.set_sensitivity(self._selected, str(self.sensitivity_box.itemData(index)))

    def set_sensitivity(self, name: str, sensitivity: str) -> None:
        if self._exists(name):
            self._write(self._engine.set_sensitivity, name, sensitivity)
        else:  # the default collection of a fresh library: create it with that sensitivity
            self._write(self._engine.create_collection, name, sensitivity)

    def ask_create_collection(self) -> None:
        name, ok = QInputDialog.getText(self, "New collection", "Name of the new collection:")
        if ok and name.strip():
            self.create_collection(name.strip())

    def create_collection(self, name: str, sensitivity: str = "internal") -> None:
        def created(record: CollectionRecord) -> None:
            self._selected = record.name
            self.collection_changed.emit(record.name)

        self._write(self._engine.create_collection, name, sensitivity, success=created)

    def ask_rename_collection(self) -> None:
        old = self._selected
        if not self._exists(old):
            return
        new, ok = QInputDialog.getText(self, "Rename collection", f"New name for “{old}”:",
                                       text=old)  # fmt: skip
        if ok and new.strip() and new.strip() != old:
            self.rename_collection(old, new.strip())

    def rename_collection(self, old: str, new: str) -> None:
        def renamed(record: CollectionRecord) -> None:
            if old in self._unchecked:
                self._unchecked.discard(old)
                self._unchecked.add(record.name)
            if self._selected == old:
                self._selected = record.name
                self.collection_changed.emit(record.name)

        self._write(self._engine.rename_collection, old, new, success=renamed)

    def ask_delete_collection(self) -> None:
        name = self._selected
        if not self._exists(name):
            return
        count = sum(d.collection == name for d in self.snapshot.documents)
        if self._confirm(
            "Delete collection",
            f"Delete the collection “{name}” and remove its {count} document(s) from the "
            "index?\n\nThe files themselves stay on disk.",
            "Delete",
        ):
            self.delete_collection(name)

    def delete_collection(self, name: str) -> None:
        self._write(self._engine.delete_collection, name)

    def _collection_menu(self, point: QPoint) -> None:
        item = self.collections_view.itemAt(point)
        menu = QMenu(self)
        menu.addAction(icon("add"), "New collection…", self.ask_create_collection)
        if item is not None and self._exists(str(item.data(0, Qt.ItemDataRole.UserRole))):
            menu.addAction("Rename…", self.ask_rename_collection)
            sensitivity = menu.addMenu(icon("shield"), "Sensitivity")
            current = self._sensitivity(self._selected)
            for name in SENSITIVITIES:
                action = QAction(name.capitalize(), sensitivity, checkable=True)
                action.setChecked(name == current)
                action.setToolTip(SENSITIVITY_HELP[name])
                action.triggered.connect(
                    lambda _=False, n=name: self.set_sensitivity(self._selected, n)
                )
                sensitivity.addAction(action)
            menu.addSeparator()
            menu.addAction(icon("trash"), "Delete…", self.ask_delete_collection)
        menu.exec(self.collections_view.viewport().mapToGlobal(point))

    # -- documents -----------------------------------------------------------------
    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._selection_changed()

    def _selected_paths(self) -> list[str]:
        rows = self.table.selectionModel().selectedRows(NAME)
        return [str(index.data(PATH_ROLE)) for index in rows]

    def _reselect(self, paths: set[str]) -> None:
        selection = self.table.selectionModel()
        flags = (QItemSelectionModel.SelectionFlag.Select
                 | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, NAME)
            if index.data(PATH_ROLE) in paths:
                selection.select(index, flags)

    def _selection_changed(self, *_: Any) -> None:
        paths = self._selected_paths()
        record = None
        if len(paths) == 1:
            record = next((d for d in self.snapshot.documents
                           if d.path == paths[0] and d.collection == self._selected), None)  # fmt: skip
        self._detail_record = record
        if record is None:
            self.detail.hide()
        else:
            self._show_detail(record)
            if record.status == "indexed" and (record.doc_id, record.version) not in self._guard:
                self._ops.query(self._engine.chunks_of, record.path).success(
                    lambda hits, r=record: self._guard_read(r, hits)
                ).failure(lambda _exc: None).run()
        self._update_actions()

    def _guard_read(self, record: DocumentRecord, hits: list[SearchHit]) -> None:
        self._guard[(record.doc_id, record.version)] = GuardSummary.of(hits)
        if self._detail_record == record and shiboken6.isValid(self.detail):
            self._show_detail(record)

    def _show_detail(self, record: DocumentRecord) -> None:
        status = status_of(record)
        html = (f"<b>{escape(Path(record.path).name)}</b> — {status.text}<br>"
                f"<span style='color:gray'>{escape(status.detail)}</span>")  # fmt: skip
        guard = self._guard.get((record.doc_id, record.version))
        if guard is not None:
            html += "<br>" + guard.html()
        self.detail.setText(html)
        self.detail.setToolTip(record.path)
        self.detail.show()

    def _detail_link(self, link: str) -> None:
        """ "show" next to the flagged passages opens the first one at its page."""
        record = self._detail_record
        guard = self._guard.get((record.doc_id, record.version)) if record else None
        if record is None or guard is None or guard.first_injection is None:
            return
        hit = guard.first_injection
        self.open_source.emit(record.path, hit.page, hit.text)

    def select_documents(self, names: list[str]) -> None:
        """Select the rows with these file names (tests, keyboard users' scripts)."""
        self.table.clearSelection()
        selection = self.table.selectionModel()
        flags = (QItemSelectionModel.SelectionFlag.Select
                 | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, NAME)
            if index.data() in names:
                selection.select(index, flags)

    def open_selected(self) -> None:
        for path in self._selected_paths()[:1]:
            self.open_source.emit(path, None, "")

    def ask_remove_selected(self) -> None:
        paths = self._selected_paths()
        if not paths:
            return
        what = Path(paths[0]).name if len(paths) == 1 else f"{len(paths)} documents"
        if self._confirm(
            "Remove from the index",
            f"Remove {what} from the index? The files stay on disk; add them again any time.",
            "Remove",
        ):
            self.remove(paths)

    def remove(self, paths: list[str]) -> None:
        self._write(self._engine.remove, paths)

    def reindex_selected(self) -> None:
        paths = self._selected_paths()
        if paths:
            self.reindex_requested.emit(paths)

    def _document_menu(self, point: QPoint) -> None:
        if not self.table.indexAt(point).isValid():
            return
        paths = self._selected_paths()
        menu = QMenu(self)
        open_action = menu.addAction(icon("open-external"), "Open", self.open_selected)
        open_action.setEnabled(len(paths) == 1)
        menu.addAction(icon("layers"), "Re-index", self.reindex_selected)
        menu.addSeparator()
        menu.addAction(icon("trash"), "Remove from index…", self.ask_remove_selected)
        menu.exec(self.table.viewport().mapToGlobal(point))

    # -- adding ----------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, f"Add files to “{self._selected}”", str(Path.home()), FILE_FILTER
        )
        if paths:
            self.paths_chosen.emit(list(paths))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, f"Add a folder to “{self._selected}”", str(Path.home())
        )
        if folder:
            self.paths_chosen.emit([folder])

    # -- watched folders ---------------------------------------------------------------
    def ask_watch(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, f"Watch a folder for “{self._selected}”", str(Path.home())
        )
        if folder:
            self.watch(folder)

    def watch(self, folder: str) -> None:
        """Keep `folder` in sync with the selected collection, and index it now."""
        self._write(self._engine.watch, folder, self._selected,
                    success=lambda path: self.paths_chosen.emit([str(path)]),
                    touches={"watches", "collections"})  # fmt: skip

    def unwatch_selected(self) -> None:
        for item in self.watch_list.selectedItems():
            folder = str(item.data(Qt.ItemDataRole.UserRole))
            self._write(self._engine.unwatch, folder, self._selected, touches={"watches"})

    # -- plumbing ----------------------------------------------------------------------
    def _write(
        self,
        call: Any,
        *args: Any,
        success: Any = None,
        touches: set[str] | None = None,
    ) -> None:
        op = self._ops.write(call, *args, touches=touches or {"collections", "documents"})
        if success is not None:
            op.success(success)
        op.run()

    def _confirm(self, title: str, text: str, verb: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self)
        yes = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def _update_actions(self) -> None:
        exists = self._exists(self._selected)
        self.rename_button.setEnabled(exists)
        self.delete_button.setEnabled(exists)
        has_selection = bool(self._selected_paths())
        self.remove_button.setEnabled(has_selection)
        self.reindex_button.setEnabled(has_selection)
        self.unwatch_button.setEnabled(bool(self.watch_list.selectedItems()))


# -- small pieces ---------------------------------------------------------------------
class _ElideRight(QStyledItemDelegate):
    """A status cut short keeps its first words ("Failed: dam…"), not its two ends."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


def _badge(sensitivity: str, parent: QWidget) -> QLabel:
    light, dark = BADGE.get(sensitivity, BADGE["internal"])
    background, text = dark if is_dark() else light
    badge = QLabel(sensitivity.capitalize(), parent)
    badge.setProperty("role", "badge")
    badge.setStyleSheet(f"QLabel {{ background: {background}; color: {text}; "
                        f"border: 1px solid {text}; border-radius: 8px; padding: 0px 7px; "
                        "font-size: 8pt; font-weight: 600; margin: 2px 4px; }")  # fmt: skip
    badge.setToolTip(SENSITIVITY_HELP.get(sensitivity, sensitivity))
    badge.setAccessibleName(f"Sensitivity: {sensitivity}")
    badge.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    return badge


def _number(value: int | None) -> QStandardItem:
    item = QStandardItem()
    if value is not None:
        item.setData(int(value), Qt.ItemDataRole.DisplayRole)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
