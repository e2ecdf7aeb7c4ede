"""The library's side lists: the collections (one row a collection with its document
count, a check box that says whether the chat searches it, and a sensitivity badge) with the
sensitivity picker under them, and the watched folders of the selected collection.

These widgets only show; the panel connects their buttons and lists to its actions.
`tool_button` is the icon-only button of the library's bars, the panel's header included.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import icon, is_dark

if TYPE_CHECKING:
    from core.ingest.catalog import CollectionRecord

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


def tool_button(parent: QWidget, icon_name: str, text: str) -> QToolButton:
    """An icon-only button; `text` is its tooltip and, without the ellipsis, its name."""
    button = QToolButton(parent)
    button.setIcon(icon(icon_name))
    button.setText(text)
    button.setToolTip(text)
    button.setAccessibleName(text.rstrip("…"))
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    button.setIconSize(QSize(18, 18))
    return button


def _bar(caption: QLabel, *buttons: QToolButton) -> QHBoxLayout:
    bar = QHBoxLayout()
    bar.addWidget(caption, 1)
    for button in buttons:
        button.setProperty("flat", True)
        bar.addWidget(button)
    return bar


class CollectionsBox(QWidget):
    """The collections list, its bar (new, rename, delete) and the sensitivity picker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        caption = QLabel("Collections", self)
        caption.setProperty("role", "hint")
        self.new_button = tool_button(self, "add", "New collection…")
        self.rename_button = tool_button(self, "settings", "Rename collection…")
        self.delete_button = tool_button(self, "trash", "Delete collection…")
        self.view = self._build_view()
        self.sensitivity_box = self._build_sensitivity_box()
        sensitivity_label = QLabel("Sensitivity", self)
        sensitivity_label.setBuddy(self.sensitivity_box)
        row = QHBoxLayout()
        row.addWidget(sensitivity_label)
        row.addWidget(self.sensitivity_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(_bar(caption, self.new_button, self.rename_button, self.delete_button))
        layout.addWidget(self.view, 1)
        layout.addLayout(row)

    def _build_view(self) -> QTreeWidget:
        view = QTreeWidget(self)
        view.setColumnCount(3)
        view.setHeaderHidden(True)
        view.setRootIsDecorated(False)
        view.setAccessibleName("Collections")
        view.setUniformRowHeights(True)
        view.setMinimumHeight(64)
        view.setStyleSheet("QTreeView::item { min-height: 26px; }")
        view.setToolTip("Checked collections are the ones the chat searches.")
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        head = view.header()
        head.setStretchLastSection(False)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        return view

    def _build_sensitivity_box(self) -> QComboBox:
        box = QComboBox(self)
        for name in SENSITIVITIES:
            box.addItem(name.capitalize(), name)
            box.setItemData(box.count() - 1, SENSITIVITY_HELP[name], Qt.ItemDataRole.ToolTipRole)
        box.setAccessibleName("Sensitivity of the selected collection")
        return box

    def fill(self, collections: list[CollectionRecord], counts: Counter[str], selected: str,
             unchecked: set[str]) -> None:  # fmt: skip
        """A fresh library lists the default collection, not yet created."""
        self.view.clear()
        current = None
        records: list[CollectionRecord | None] = list(collections)
        for record in records or [None]:
            name = record.name if record else DEFAULT_COLLECTION
            sensitivity = record.sensitivity if record else "internal"
            item = self._item(name, counts.get(name, 0), sensitivity, name not in unchecked)
            self.view.addTopLevelItem(item)
            self.view.setItemWidget(item, 2, _badge(sensitivity, self.view))
            if name == selected:
                current = item
        if current is not None:
            self.view.setCurrentItem(current)
        rows = max(2, min(self.view.topLevelItemCount(), 8))
        self.view.setMaximumHeight(rows * 28 + 10)

    def _item(self, name: str, count: int, sensitivity: str, checked: bool) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, str(count), ""])
        item.setIcon(0, icon("database"))
        item.setData(0, Qt.ItemDataRole.UserRole, name)
        item.setData(2, Qt.ItemDataRole.UserRole, sensitivity)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        item.setToolTip(0, f"{name}: {count} documents. Checked: the chat searches it.")
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setForeground(1, self.palette().placeholderText())
        item.setData(1, Qt.ItemDataRole.AccessibleTextRole, f"{count} documents")
        return item

    def show_sensitivity(self, sensitivity: str) -> None:
        index = self.sensitivity_box.findData(sensitivity)
        self.sensitivity_box.setCurrentIndex(max(index, 0))
        self.sensitivity_box.setToolTip(SENSITIVITY_HELP[sensitivity])


class WatchedFolders(QWidget):
    """The folders kept in sync with the selected collection, and the bar to add or stop one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        caption = QLabel("Watched folders", self)
        caption.setProperty("role", "hint")
        caption.setToolTip("Folders kept in sync with the selected collection while Enclave runs")
        self.watch_button = tool_button(self, "add", "Watch a folder…")
        self.unwatch_button = tool_button(self, "trash", "Stop watching the selected folder")
        self.folders = QListWidget(self)
        self.folders.setAccessibleName("Watched folders")
        self.folders.setMaximumHeight(96)
        self.folders.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.hint = QLabel("None. Watched folders stay in sync while Enclave runs.", self)
        self.hint.setProperty("role", "hint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(_bar(caption, self.watch_button, self.unwatch_button))
        layout.addWidget(self.folders)
        layout.addWidget(self.hint)

    def fill(self, watches: list[tuple[str, str]], collection: str) -> None:
        """`watches` are (collection, folder) pairs; those of `collection` are listed."""
        self.folders.clear()
        for watched_for, folder in watches:
            if watched_for != collection:
                continue
            item = QListWidgetItem(icon("folder"), folder)
            item.setToolTip(f"{folder} (kept in sync with “{watched_for}”)")
            item.setData(Qt.ItemDataRole.UserRole, folder)
            self.folders.addItem(item)
        has = self.folders.count() > 0
        self.folders.setVisible(has)
        self.hint.setVisible(not has)


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
