"""The search panel: hybrid search (meaning and words) over the chosen collections.

Each result shows the file, the page, the score and a snippet around the first query term,
with the query's words in bold. Clicking a result (or Enter on it) opens the passage in the
source viewer through `open_source`.
"""

from __future__ import annotations

import html
import re
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop.ops import error_message
from desktop.theme import icon

if TYPE_CHECKING:
    from core.index.types import SearchHit

RESULTS = 20
TYPING_PAUSE_MS = 450  # search as you type, after this pause
MIN_QUERY_CHARS = 3
SNIPPET_BEFORE = 80
SNIPPET_AFTER = 240
ITEM_PADDING = 8
HIT_ROLE = Qt.ItemDataRole.UserRole
_STOPWORDS = (
    "a an and are as at be by for from how in is it of on or the to was what when where which "
    "who why with does did do this that these those"
)
STOPWORDS = frozenset(_STOPWORDS.split())
EMPTY_TEXT = (
    "<p style='font-size:14pt; font-weight:600'>Search your library</p>"
    "<p>Finds passages by meaning and by the words they contain. Click a result to open it "
    "at its page.</p>"
)


# -- snippets -----------------------------------------------------------------------------
def query_terms(query: str) -> list[str]:
    """The words worth marking: no stopwords, no single letters."""
    words = re.findall(r"\w+", query.casefold())
    return list(dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS))


def terms_pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w{{0,3}}", re.IGNORECASE)  # plurals, -ed, -ing


def snippet_html(text: str, terms: list[str]) -> str:
    """A window of `text` around the first query term, escaped, with the terms in bold."""
    text = " ".join(text.split())
    pattern = terms_pattern(terms)
    first = pattern.search(text) if pattern else None
    start = max(0, (first.start() if first else 0) - SNIPPET_BEFORE)
    end = min(len(text), start + SNIPPET_BEFORE + SNIPPET_AFTER)
    if start > 0:
        start = text.find(" ", start) + 1 or start
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    window = text[start:end]
    marked = _bold(window, pattern)
    return ("…" if start > 0 else "") + marked + ("…" if end < len(text) else "")


def _bold(text: str, pattern: re.Pattern[str] | None) -> str:
    if pattern is None:
        return html.escape(text)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<b>{html.escape(match.group())}</b>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def result_html(hit: SearchHit, terms: list[str], rank: int) -> str:
    name = html.escape(hit.path.replace("\\", "/").rsplit("/", 1)[-1])
    page = f" · page {hit.page}" if hit.page else ""
    if hit.page and hit.page_end and hit.page_end != hit.page:
        page = f" · pages {hit.page}–{hit.page_end}"
    heading = " › ".join(hit.heading_path[-2:])
    heading_html = f" · {html.escape(heading)}" if heading else ""
    return (
        f"<div><span style='font-weight:600'>{rank}. {name}</span>"
        f"<span style='color:gray'>{page}{heading_html} · {hit.collection} · "
        f"score {hit.score:.3g}</span></div>"
        f"<div style='margin-top:3px'>{snippet_html(hit.text, terms)}</div>"
    )


class ResultDelegate(QStyledItemDelegate):
    """Paints an item's HTML (file line and snippet) inside the normal selection background."""

    def _document(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QTextDocument:
        document = QTextDocument()
        document.setDocumentMargin(0)
        document.setDefaultFont(option.font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole))
        if option.state & QStyle.StateFlag.State_Selected:  # grey is unreadable on the accent
            text = text.replace("color:gray", "")
        document.setHtml(text)
        document.setTextWidth(max(50, option.rect.width() - 2 * ITEM_PADDING))
        return document

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.initStyleOption(option, index)
        document = self._document(option, index)
        option.text = ""
        widget = option.widget
        style = widget.style() if widget else QStyle()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(role))
        rect = option.rect
        painter.save()
        painter.translate(rect.left() + ITEM_PADDING, rect.top() + ITEM_PADDING)
        context.clip = QRectF(0, 0, rect.width() - 2 * ITEM_PADDING, rect.height())
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        self.initStyleOption(option, index)
        document = self._document(option, index)
        return QSize(int(document.idealWidth()), int(document.size().height()) + 2 * ITEM_PADDING)


class SearchPanel(QWidget):
    open_source = Signal(str, object, str)  # path, page or None, passage

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = ops.engine
        self._collections: list[str] = []
        self._sequence = 0  # only the newest search's results are shown
        self._last_open: tuple[int, float] = (-1, 0.0)
        self.results: list[SearchHit] = []
        self.last_query = ""
        self.box = QLineEdit(self)
        self.box.setPlaceholderText("Search your documents: words or meaning…")
        self.box.setAccessibleName("Search")
        self.box.setClearButtonEnabled(True)
        self.box.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.box.returnPressed.connect(self.search)
        self.box.textEdited.connect(self._typed)
        self.button = QPushButton(icon("search"), "Search", self)
        self.button.setProperty("primary", True)
        self.button.setAccessibleName("Search now")
        self.button.clicked.connect(self.search)
        self.status = QLabel("", self)
        self.status.setProperty("role", "hint")
        self.status.setAccessibleName("Search status")
        self.list = QListWidget(self)
        self.list.setAccessibleName("Search results")
        self.list.setItemDelegate(ResultDelegate(self.list))
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)  # snippets re-wrap on resize
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.stack = QStackedWidget(self)
        self.empty = state_page(self, "search", EMPTY_TEXT, "Search your library")
        self.nothing = state_page(self, "search", "", "No results")
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.nothing)
        self.stack.addWidget(self.list)
        self._timer = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._timer.timeout.connect(self.search)
        top = QHBoxLayout()
        top.addWidget(self.box, 1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.stack, 1)
        self._show_scope()
        self.setFocusProxy(self.box)
        changed = getattr(ops, "changed", None)
        if changed is not None:
            changed.connect(self._on_changed)

    def set_collections(self, names: list[str]) -> None:
        changed = list(names) != self._collections
        self._collections = list(names)
        if changed and self.last_query:
            self.search(self.last_query)
        else:
            self._show_scope()

    def focus_search(self) -> None:
        self.box.setFocus()
        self.box.selectAll()

    def search(self, query: str | None = None) -> None:
        self._timer.stop()
        query = (query if isinstance(query, str) else self.box.text()).strip()
        if not query:
            self._show_empty()
            return
        self._sequence += 1
        sequence, started = self._sequence, time.perf_counter()
        self.last_query = query
        self.status.setText(f"Searching for “{query}”…")
        self._ops.query(
            self._engine.search, query, collections=self._collections or None, k=RESULTS,
            mode="hybrid",
        ).success(
            lambda hits: self._show(sequence, query, hits, time.perf_counter() - started)
        ).failure(lambda error: self._failed(sequence, error)).run()  # fmt: skip

    def _typed(self, text: str) -> None:
        if len(text.strip()) >= MIN_QUERY_CHARS:
            self._timer.start()
        elif not text.strip():
            self._timer.stop()
            self._show_empty()

    def _show(self, sequence: int, query: str, hits: list[SearchHit], seconds: float) -> None:
        if sequence != self._sequence:
            return
        self.results = list(hits)
        terms = query_terms(query)
        self.list.clear()
        for rank, hit in enumerate(hits, 1):
            item = QListWidgetItem(result_html(hit, terms, rank))
            item.setData(HIT_ROLE, rank - 1)
            item.setToolTip(hit.path)
            self.list.addItem(item)
        where = self._scope_text()
        if hits:
            self.status.setText(
                f"{len(hits)} passage{'s' * (len(hits) != 1)} {where} · {seconds * 1000:.0f} ms"
            )
            self.stack.setCurrentWidget(self.list)
        else:
            self.status.setText(f"No passages {where}.")
            self.nothing.findChild(QLabel, "words").setText(  # type: ignore[union-attr]
                f"<p style='font-size:13pt; font-weight:600'>Nothing matches "
                f"“{html.escape(query)}”</p><p>Try other words"
                + (", or search all collections." if self._collections else ".")
                + "</p>"
            )
            self.stack.setCurrentWidget(self.nothing)

    def _failed(self, sequence: int, error: BaseException) -> None:
        if sequence == self._sequence:
            self.status.setText(
                f"<span style='color:#C92A2A'>{html.escape(error_message(error))}</span>"
            )

    def _show_empty(self) -> None:
        self._sequence += 1
        self.results = []
        self.last_query = ""
        self.list.clear()
        self.stack.setCurrentWidget(self.empty)
        self._show_scope()

    def _show_scope(self) -> None:
        self.status.setText(f"Searches {self._scope_text().removeprefix('in ')}.")

    def _scope_text(self) -> str:
        if not self._collections:
            return "in all collections"
        if len(self._collections) == 1:
            return f"in {self._collections[0]}"
        return f"in {len(self._collections)} collections"

    def _activated(self, item: QListWidgetItem) -> None:
        row = int(item.data(HIT_ROLE))
        now = time.monotonic()
        if self._last_open[0] == row and now - self._last_open[1] < 0.5:
            return  # a double click is a click and an activation: open once
        self._last_open = (row, now)
        hit = self.results[row]
        self.open_source.emit(hit.path, hit.page, hit.text)

    def _on_changed(self, areas: Any) -> None:
        if (not areas or "documents" in areas or "collections" in areas) and self.last_query:
            self.search(self.last_query)


def state_page(
    parent: QWidget, icon_name: str, text: str, name: str, icon_size: int = 48
) -> QWidget:
    """An empty or no-results page: a large icon over centred words (QLabel "words")."""
    page = QWidget(parent)
    picture = QLabel(page)
    picture.setPixmap(icon(icon_name).pixmap(QSize(icon_size, icon_size)))
    picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
    words = QLabel(text, page)
    words.setObjectName("words")
    words.setWordWrap(True)
    words.setAlignment(Qt.AlignmentFlag.AlignCenter)
    words.setMaximumWidth(540)
    words.setAccessibleName(name)
    centred = QHBoxLayout()  # not an alignment flag: that would clip the wrapped text
    centred.addStretch(1)
    centred.addWidget(words, 10)
    centred.addStretch(1)
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addWidget(picture)
    layout.addLayout(centred)
    layout.addStretch(2)
    return page
