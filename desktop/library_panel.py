"""The library: collections, the documents in each with their status, and watched folders.

A collection is a named set of documents with a sensitivity (public, internal,
confidential); its check box says whether the chat searches it. The documents table shows
what became of each file: indexed, needs OCR, failed (with the reason), unsupported, and
how many of its passages the guard flagged as prompt injection. A first run, or an empty
collection, says what to do: drop files or folders, or index the sample document.

The panel holds the state and the actions; its pieces live beside it: the collections and
watched-folder lists (desktop.library_collections), the documents table
(desktop.documents_table) with its status words (desktop.document_status), the selected
document's detail line (desktop.document_detail) and the empty page (desktop.library_empty).

Everything slow runs through `ops`; the panel refreshes when a write touched the
collections, the documents or the watched folders.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.document_detail import DocumentDetail, GuardSummary
from desktop.documents_table import DocumentsTable, summary_text
from desktop.library_collections import (
    DEFAULT_COLLECTION,
    SENSITIVITIES,
    SENSITIVITY_HELP,
    CollectionsBox,
    WatchedFolders,
    tool_button,
)
from desktop.library_empty import EmptyLibraryPage
from desktop.theme import icon

if TYPE_CHECKING:
    from core.index.types import SearchHit
    from core.ingest.catalog import CollectionRecord, DocumentRecord

FILE_FILTER = (
    "Documents (*.pdf *.txt *.md *.markdown *.html *.htm *.docx *.epub *.eml *.csv *.rst *.json "
    "*.py *.js *.ts *.java *.c *.cpp *.go *.rs);;All files (*)"
)
LIVE_REFRESH_MS = 1500  # while a write runs, the table shows documents as they commit


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
        self.add_files_button = tool_button(self, "document", "Add files…")
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button = tool_button(self, "folder", "Add folder…")
        self.add_folder_button.clicked.connect(self.choose_folder)
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
    def _build_collections(self) -> QWidget:
        box = self.collections_box = CollectionsBox(self)
        self.new_button = box.new_button
        self.new_button.clicked.connect(self.ask_create_collection)
        self.rename_button = box.rename_button
        self.rename_button.clicked.connect(self.ask_rename_collection)
        self.delete_button = box.delete_button
        self.delete_button.clicked.connect(self.ask_delete_collection)
        self.collections_view = box.view
        self.collections_view.customContextMenuRequested.connect(self._collection_menu)
        self.collections_view.currentItemChanged.connect(self._current_collection_changed)
        self.collections_view.itemChanged.connect(self._collection_checked)
        self.collections_view.itemDoubleClicked.connect(lambda *_: self.ask_rename_collection())
        self.sensitivity_box = box.sensitivity_box
        self.sensitivity_box.activated.connect(self._sensitivity_chosen)
        return box

    def _build_documents(self) -> QWidget:
        box = QWidget(self)
        table_page = self._build_table_page(box)
        self.stack = QStackedWidget(box)
        self.stack.addWidget(self._build_empty_state())
        self.stack.addWidget(table_page)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.stack)
        return box

    def _build_table_page(self, box: QWidget) -> QWidget:
        self.filter_box = QLineEdit(box)
        self.filter_box.setPlaceholderText("Filter documents by name or status")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setAccessibleName("Filter documents")
        self.filter_box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter_box.textChanged.connect(self._filter)
        self.table = DocumentsTable(box)
        self.model, self.proxy = self.table.items, self.table.proxy
        self._connect_table()

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
        self.detail = DocumentDetail(box)
        self.detail.linkActivated.connect(self._detail_link)

        table_page = QWidget(box)
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.setSpacing(6)
        table_layout.addWidget(self.filter_box)
        table_layout.addWidget(self.table, 1)
        table_layout.addWidget(self.detail)
        table_layout.addWidget(self.summary)
        table_layout.addLayout(actions)
        return table_page

    def _connect_table(self) -> None:
        self.table.customContextMenuRequested.connect(self._document_menu)
        self.table.doubleClicked.connect(lambda index: self.open_selected())
        for keys, slot in ((QKeySequence.StandardKey.Delete, self.ask_remove_selected),
                           (QKeySequence(Qt.Key.Key_Return), self.open_selected),
                           (QKeySequence(Qt.Key.Key_Enter), self.open_selected)):  # fmt: skip
            shortcut = QShortcut(keys, self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)

    def _build_empty_state(self) -> QWidget:
        page = self.empty = EmptyLibraryPage(self)
        self.empty_title, self.empty_text = page.title, page.hint
        self.empty_files = page.files_button
        self.empty_files.clicked.connect(self.choose_files)
        self.empty_folder = page.folder_button
        self.empty_folder.clicked.connect(self.choose_folder)
        self.sample_button = page.sample_button
        self.sample_button.clicked.connect(self.sample_requested.emit)
        return page

    def _build_watches(self) -> QWidget:
        box = self.watched = WatchedFolders(self)
        self.watch_button = box.watch_button
        self.watch_button.clicked.connect(self.ask_watch)
        self.unwatch_button = box.unwatch_button
        self.unwatch_button.clicked.connect(self.unwatch_selected)
        self.watch_list, self.watch_hint = box.folders, box.hint
        self.watch_list.itemSelectionChanged.connect(self._update_actions)
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
        return self.table.rows_shown()

    def status_tip(self, name: str) -> str:
        """The full explanation of a document's status, as its tooltip shows it."""
        return self.table.status_tip(name)

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

    def _fill_collections(self) -> None:
        counts = Counter(d.collection for d in self.snapshot.documents)
        self._filling = True
        self.collections_box.fill(self.snapshot.collections, counts, self._selected,
                                  self._unchecked)  # fmt: skip
        self._filling = False
        self._sync_sensitivity_box()
        self._update_actions()

    def _fill_documents(self) -> None:
        documents = [d for d in self.snapshot.documents if d.collection == self._selected]
        self.table.fill(documents, self.snapshot.flagged, self.snapshot.flags_known)
        if documents:
            self.stack.setCurrentIndex(1)
        else:
            self.stack.setCurrentIndex(0)
            self.empty.show_for(self._selected, library_empty=not self.snapshot.documents)
        self.summary.setText(summary_text(documents, self.snapshot.flagged))
        self._selection_changed()

    def _fill_watches(self) -> None:
        self.watched.fill(self.snapshot.watches, self._selected)
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
        self.collections_box.show_sensitivity(self._sensitivity(self._selected))

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

    def _selection_changed(self, *_: Any) -> None:
        paths = self.table.selected_paths()
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
        self.detail.show_record(record, self._guard.get((record.doc_id, record.version)))

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
        self.table.select_names(names)

    def open_selected(self) -> None:
        for path in self.table.selected_paths()[:1]:
            self.open_source.emit(path, None, "")

    def ask_remove_selected(self) -> None:
        paths = self.table.selected_paths()
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
        paths = self.table.selected_paths()
        if paths:
            self.reindex_requested.emit(paths)

    def _document_menu(self, point: QPoint) -> None:
        if not self.table.indexAt(point).isValid():
            return
        paths = self.table.selected_paths()
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
        has_selection = bool(self.table.selected_paths())
        self.remove_button.setEnabled(has_selection)
        self.reindex_button.setEnabled(has_selection)
        self.unwatch_button.setEnabled(bool(self.watch_list.selectedItems()))
