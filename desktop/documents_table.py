"""The library's documents table: its columns, one row a document (name, status, pages,
passages, passages the guard flagged), the proxy that sorts and filters it, column widths
that fit a narrow sidebar, and the text of the summary line under it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from desktop.document_status import status_of
from desktop.theme import icon, is_dark

if TYPE_CHECKING:
    from collections.abc import Callable

    from core.ingest.catalog import DocumentRecord

COLUMNS = ("Name", "Status", "Pages", "Chunks", "Flagged")
NAME, STATUS, PAGES, CHUNKS, FLAGGED = range(len(COLUMNS))
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2


class DocumentsTable(QTableView):
    """Shows `proxy`, which sorts and filters `items` (one row a document)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items = QStandardItemModel(0, len(COLUMNS), self)
        self.items.setHorizontalHeaderLabels(list(COLUMNS))
        self.items.setHeaderData(FLAGGED, Qt.Orientation.Horizontal,
                                 "Passages the guard flagged as prompt injection",
                                 Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.items)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setModel(self.proxy)
        self.setAccessibleName("Documents")
        self.setSortingEnabled(True)
        self.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(26)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._set_up_header()

    def _set_up_header(self) -> None:
        head = self.horizontalHeader()
        head.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (STATUS, PAGES, CHUNKS, FLAGGED):
            head.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        head.setHighlightSections(False)
        head.setMinimumSectionSize(40)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().installEventFilter(self)
        self.setItemDelegateForColumn(STATUS, _ElideRight(self))

    def fill(self, documents: list[DocumentRecord], flagged: dict[str, int],
             flags_known: bool) -> None:  # fmt: skip
        """Rows for `documents`, in the order and with the selection the table had."""
        selected = set(self.selected_paths())
        self.items.removeRows(0, self.items.rowCount())
        sort_column = self.horizontalHeader().sortIndicatorSection()
        sort_order = self.horizontalHeader().sortIndicatorOrder()
        self.setSortingEnabled(False)
        for record in documents:
            self.items.appendRow(document_row(record, flagged.get(record.path, 0)))
        self.setSortingEnabled(True)
        self.sortByColumn(sort_column, sort_order)
        self.setColumnHidden(FLAGGED, not flags_known)
        self.fit_columns()
        if selected:
            self._select_rows(lambda index: index.data(PATH_ROLE) in selected)

    def selected_paths(self) -> list[str]:
        rows = self.selectionModel().selectedRows(NAME)
        return [str(index.data(PATH_ROLE)) for index in rows]

    def select_names(self, names: list[str]) -> None:
        self.clearSelection()
        self._select_rows(lambda index: index.data() in names)

    def _select_rows(self, wanted: Callable[[QModelIndex], bool]) -> None:
        selection = self.selectionModel()
        flags = (QItemSelectionModel.SelectionFlag.Select
                 | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, NAME)
            if wanted(index):
                selection.select(index, flags)

    def rows_shown(self) -> list[tuple[str, str]]:
        rows = []
        for row in range(self.proxy.rowCount()):
            rows.append((
                str(self.proxy.index(row, NAME).data()),
                str(self.proxy.index(row, STATUS).data()),
            ))  # fmt: skip
        return rows

    def status_tip(self, name: str) -> str:
        for row in range(self.items.rowCount()):
            if self.items.item(row, NAME).text() == name:
                return str(self.items.item(row, STATUS).toolTip())
        raise KeyError(name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

    def fit_columns(self) -> None:
        """The name keeps most of a narrow sidebar: numbers stay compact, the status takes
        at most a third (elided; its tooltip and the detail line say it in full), and
        below 380 px the page count makes way."""
        width = self.viewport().width()
        head = self.horizontalHeader()
        metrics = head.fontMetrics()
        self.setColumnHidden(PAGES, width < 380)
        for column in (PAGES, CHUNKS, FLAGGED):
            label = str(self.items.headerData(column, Qt.Orientation.Horizontal))
            head.resizeSection(column, metrics.horizontalAdvance(label) + 24)
        wanted = max(self.sizeHintForColumn(STATUS), metrics.horizontalAdvance("Status") + 30)
        head.resizeSection(STATUS, min(wanted + 8, int(width * 0.34)))


def document_row(record: DocumentRecord, flagged_count: int) -> list[QStandardItem]:
    """One row's cells; `flagged_count` is how many of its passages read as prompt injection."""
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
    flagged = _number(flagged_count if record.status == "indexed" else None)
    if flagged_count:
        flagged.setIcon(icon("shield"))
        flagged.setForeground(QColor("#B197FC" if is_dark() else "#7048E8"))
        flagged.setToolTip(f"{flagged_count} passage(s) read as prompt injection: the guard "
                           "warns about or leaves them out of answers.")  # fmt: skip
    return [name, state, pages, chunks, flagged]


def summary_text(documents: list[DocumentRecord], flagged: dict[str, int]) -> str:
    """ "6 documents · 1 failed · 2 flagged passages": the line under the table."""
    kinds = Counter(status_of(d).kind for d in documents)
    parts = [f"{len(documents)} document{'s' * (len(documents) != 1)}"]
    labels = {"failed": "failed", "needs_ocr": "need OCR", "unsupported": "unsupported",
              "pending": "indexing"}  # fmt: skip
    parts += [f"{kinds[k]} {label}" for k, label in labels.items() if kinds[k]]
    flagged_passages = sum(flagged.get(d.path, 0) for d in documents)
    if flagged_passages:
        parts.append(f"{flagged_passages} flagged passage{'s' * (flagged_passages != 1)}")
    return " · ".join(parts)


class _ElideRight(QStyledItemDelegate):
    """A status cut short keeps its first words ("Failed: dam…"), not its two ends."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


def _number(value: int | None) -> QStandardItem:
    item = QStandardItem()
    if value is not None:
        item.setData(int(value), Qt.ItemDataRole.DisplayRole)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
