"""The source viewer: a cited passage shown where it stands in its document.

PDFs open in QtPdf at the cited page with the passage painted over like a highlighter
pen; other formats open as read-only text scrolled to the passage. "Open in system viewer"
hands the file to the desktop. Pages are 1-based here as everywhere in Enclave's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMargins, QPointF, QRect, QRectF, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QPolygonF,
    QResizeEvent,
    QShortcut,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import highlight_colour, icon

if TYPE_CHECKING:
    from core.index.types import SearchHit

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
EXTRACTED_SUFFIXES = frozenset({".docx", ".epub", ".eml"})  # shown as the text Enclave indexed
MAX_TEXT_BYTES = 20 * 1024 * 1024
SHINGLE_WORDS = 6  # words per probe when the passage is not found verbatim
MERGE_GAP = 80  # characters between two matched probes that still make one highlight
ZOOM_STEPS = (0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0)
PDF_HIGHLIGHTER = "#FFE066"  # multiplied over the white page: the text stays black
TOP_MARGIN_PX = 48  # room above the passage when the view scrolls to it


# -- finding a passage in a page's or a file's text -------------------------------------
def _normalized(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with every whitespace run as one space, soft hyphens and hyphens
    that break a word across lines dropped, and the index in `text` of each kept character."""
    text = text.replace("\u00ad", "\u0000")
    out: list[str] = []
    where: list[int] = []
    space = True
    for i, ch in enumerate(text):
        if ch == "\u0000" or (ch == "-" and _breaks_line(text, i)):
            space = True  # swallow the line break that follows
            continue
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        out.append(ch.lower())
        where.append(i)
        space = False
    return "".join(out), where


def _breaks_line(text: str, i: int) -> bool:
    """True for a hyphen at the end of a line, after a letter: 'with-\nout'."""
    if i == 0 or not text[i - 1].isalpha():
        return False
    rest = text[i + 1 : i + 4]
    return bool(rest) and rest[0] in "\r\n"


def passage_spans(haystack: str, passage: str) -> list[tuple[int, int]]:
    """Character spans of `haystack` covering `passage`: the passage itself where it stands
    verbatim (whitespace aside), else runs of its words found in order (the PDF's own text
    layer breaks lines and hyphenates where the indexed text does not)."""
    hay, where = _normalized(haystack)
    needle = _normalized(passage)[0].strip()
    if not hay or not needle:
        return []
    pos = hay.find(needle)
    if pos >= 0:
        return [(where[pos], where[pos + len(needle) - 1] + 1)]
    words = needle.split(" ")
    found: list[tuple[int, int]] = []
    cursor = 0
    step = max(1, SHINGLE_WORDS // 2)
    starts = list(range(0, max(1, len(words) - SHINGLE_WORDS + 1), step))
    starts.append(max(0, len(words) - SHINGLE_WORDS))  # the passage's last words, always
    for i in sorted(set(starts)):
        probe = " ".join(words[i : i + SHINGLE_WORDS])
        if len(probe) < 12:
            continue
        at = hay.find(probe, cursor)
        if at >= 0:
            found.append((at, at + len(probe)))
            cursor = at + 1
    merged: list[list[int]] = []
    for start, end in found:
        if merged and start - merged[-1][1] <= MERGE_GAP:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(where[s], where[e - 1] + 1) for s, e in merged]


# -- the PDF pane -------------------------------------------------------------------------
@dataclass
class _Highlight:
    page: int  # 0-based, as QtPdf counts
    polygons: list[QPolygonF]
    text: str


class PdfPane(QPdfView):
    """QPdfView in continuous pages with a highlighter drawn over the passage.

    The zoom always stays Custom ("fit width" computes the factor here), so the page
    geometry below is Qt's own layout rule for that mode (qpdfview.cpp,
    calculateDocumentLayout): pages stacked under each other, centred, sized
    points x logical DPI / 72 x zoom.
    """

    scrolled = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setPageMode(QPdfView.PageMode.MultiPage)
        self.setZoomMode(QPdfView.ZoomMode.Custom)
        self.setDocumentMargins(QMargins(16, 16, 16, 16))
        self.setPageSpacing(12)
        self.highlights: list[_Highlight] = []
        self.fit_width = True
        # Where scroll_to put the view, until the person scrolls: a resize or zoom that
        # comes before the layout settles (the scroll range still small) must not lose it.
        self._anchor: tuple[int, float] | None = None
        self._scrolling = False
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)

    def _on_scroll(self, _value: int) -> None:
        if not self._scrolling:
            self._anchor = None
        self.scrolled.emit()

    # geometry --------------------------------------------------------------------------
    def _resolution(self) -> float:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return float(screen.logicalDotsPerInch()) / 72.0 if screen else 96.0 / 72.0

    def page_rects(self) -> dict[int, QRect]:
        """Page -> its rectangle in document coordinates (before scrolling)."""
        doc = self.document()
        if doc is None or doc.status() != QPdfDocument.Status.Ready:
            return {}
        scale = self._resolution() * self.zoomFactor()
        sizes = {p: _scaled_size(doc.pagePointSize(p), scale) for p in range(doc.pageCount())}
        margins = self.documentMargins()
        total = max((s.width() for s in sizes.values()), default=0)
        total += margins.left() + margins.right()
        width = max(total, self.viewport().width())
        y = margins.top()
        rects = {}
        for page, size in sizes.items():
            rects[page] = QRect((width - size.width()) // 2, y, size.width(), size.height())
            y += size.height() + self.pageSpacing()
        return rects

    def scale_of(self, page: int) -> float:
        """Pixels per PDF point on `page`."""
        doc = self.document()
        rect = self.page_rects().get(page)
        if doc is None or rect is None:
            return 1.0
        return rect.width() / max(1.0, doc.pagePointSize(page).width())

    def visible_page(self) -> int:
        """The 0-based page under the top third of the view."""
        probe = self.verticalScrollBar().value() + self.viewport().height() // 3
        rects = self.page_rects()
        for page, rect in rects.items():
            if probe < rect.bottom() + self.pageSpacing():
                return page
        return max(rects, default=0)

    def scroll_to(self, page: int, y_points: float = 0.0) -> None:
        rect = self.page_rects().get(page)
        if rect is None:
            return
        target = max(0, rect.top() + int(y_points * self.scale_of(page)) - TOP_MARGIN_PX)
        self._scrolling = True
        try:
            self.pageNavigator().jump(page, QPointF(0, y_points), self.zoomFactor())
            self.verticalScrollBar().setValue(target)  # jump() scrolls to the page's top
        finally:
            self._scrolling = False
        self._anchor = (page, y_points)

    def position(self) -> tuple[int, float]:
        """(page, y in points) at the top of the view: kept across zoom changes."""
        page = self.visible_page()
        rect = self.page_rects().get(page)
        if rect is None:
            return 0, 0.0
        offset = self.verticalScrollBar().value() + TOP_MARGIN_PX - rect.top()
        return page, max(0.0, offset / self.scale_of(page))

    # zoom ------------------------------------------------------------------------------
    def fit_width_factor(self) -> float:
        doc = self.document()
        if doc is None or doc.pageCount() == 0:
            return 1.0
        widest = max(doc.pagePointSize(p).width() for p in range(doc.pageCount()))
        margins = self.documentMargins()
        room = self.viewport().width() - margins.left() - margins.right()
        return max(0.25, room / max(1.0, widest * self._resolution()))

    def set_zoom(self, factor: float, *, fit_width: bool = False) -> None:
        page, y = self._anchor or self.position()
        self.fit_width = fit_width
        self._scrolling = True
        try:
            self.setZoomFactor(max(0.25, min(4.0, factor)))
        finally:
            self._scrolling = False
        self.scroll_to(page, y)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit_width and self.document() is not None:
            factor = self.fit_width_factor()
            if abs(factor - self.zoomFactor()) > 0.01:
                self.set_zoom(factor, fit_width=True)

    # painting --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.highlights:
            return
        rects = self.page_rects()
        painter = QPainter(self.viewport())
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(PDF_HIGHLIGHTER))
        dx, dy = self.horizontalScrollBar().value(), self.verticalScrollBar().value()
        for mark in self.highlights:
            rect = rects.get(mark.page)
            if rect is None:
                continue
            scale = self.scale_of(mark.page)
            for polygon in mark.polygons:
                box = polygon.boundingRect()
                painter.drawRoundedRect(
                    QRectF(rect.left() - dx + box.left() * scale - 1,
                           rect.top() - dy + box.top() * scale - 1,
                           box.width() * scale + 2, box.height() * scale + 2),
                    2, 2,
                )  # fmt: skip
        painter.end()


def _scaled_size(points: Any, scale: float) -> QSize:
    """QSizeF(points * scale).toSize(), as Qt rounds it."""
    return QSize(int(points.width() * scale + 0.5), int(points.height() * scale + 0.5))


class ElidedLabel(QLabel):
    """A label that shortens its text with an ellipsis instead of clipping it."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width())
        super().setText(shown)


# -- the viewer -----------------------------------------------------------------------------
class SourceViewer(QWidget):
    """Shows one source: a PDF at its page, anything else as text, the passage highlighted."""

    opened = Signal(str)

    def __init__(self, ops: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self.current_path: str | None = None
        self.highlighted_text = ""
        self.mode = "empty"  # empty | pdf | text
        self._document = QPdfDocument(self)
        self.pdf = PdfPane(self)
        self.pdf.setDocument(self._document)
        self.pdf.setAccessibleName("PDF page view")
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Document text")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.document().setDocumentMargin(12)
        self.empty = QLabel("Click a citation or a search result to see it in its document.")
        self.empty.setProperty("role", "empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._stack = QStackedWidget(self)
        for pane in (self.empty, self.pdf, self.text):
            self._stack.addWidget(pane)
        self.notice = QLabel(self)
        self.notice.setProperty("role", "hint")
        self.notice.setWordWrap(True)
        self.notice.setContentsMargins(10, 0, 10, 0)
        self.notice.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(self._build_toolbar())
        layout.addWidget(self.notice)
        layout.addWidget(self._stack, 1)
        self.pdf.scrolled.connect(self._sync_page_box)
        self.pdf.zoomFactorChanged.connect(self._sync_zoom_label)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom_by(+1))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom_by(-1))
        self._show_controls()

    def _tool(self, name: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton(self)
        button.setIcon(icon(name))
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.setIconSize(QSize(18, 18))
        button.clicked.connect(slot)
        return button

    def _build_toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 0)
        self.kind_icon = QLabel(self)
        self.title = ElidedLabel("No source open", self)
        self.title.setProperty("role", "title")
        self.prev_button = self._tool("chevron-left", "Previous page", lambda: self._step(-1))
        self.page_box = QSpinBox(self)
        self.page_box.setAccessibleName("Page number")
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(self.go_to_page)
        self.page_total = QLabel("of 1", self)
        self.next_button = self._tool("chevron-right", "Next page", lambda: self._step(+1))
        self.zoom_out = self._tool("zoom-out", "Zoom out", lambda: self.zoom_by(-1))
        self.zoom_label = QLabel("100%", self)
        self.zoom_label.setMinimumWidth(44)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_in = self._tool("zoom-in", "Zoom in", lambda: self.zoom_by(+1))
        self.fit_button = self._tool("fit-width", "Fit page width", self.fit_width)
        self.external = self._tool("open-external", "Open in system viewer", self.open_external)
        bar.addWidget(self.kind_icon)
        bar.addWidget(self.title, 1)
        self._pdf_controls = [self.prev_button, self.page_box, self.page_total, self.next_button,
                              self.zoom_out, self.zoom_label, self.zoom_in, self.fit_button]  # fmt: skip
        for widget in self._pdf_controls:
            bar.addWidget(widget)
        bar.addSpacing(8)
        bar.addWidget(self.external)
        return bar

    # public API ------------------------------------------------------------------------
    @property
    def current_page(self) -> int | None:
        """The 1-based page in view (None for text sources)."""
        if self.mode != "pdf":
            return None
        return self.pdf.visible_page() + 1

    @property
    def page_count(self) -> int:
        return self._document.pageCount() if self.mode == "pdf" else 0

    def open_source(self, path: str, page: int | None, passage: str) -> None:
        """Show `path` at `page` (1-based; None for formats without pages), `passage` marked."""
        self.current_path = path
        self.highlighted_text = ""
        self._notice("")
        file = Path(path)
        self.title.setText(file.name)
        self.title.setToolTip(path)
        is_pdf = file.suffix.lower() == ".pdf"
        self.kind_icon.setPixmap(icon("pdf" if is_pdf else "document").pixmap(20, 20))
        if not file.is_file():
            self._show_text(passage, passage, f"The file is no longer at {path}; "
                            "this is the passage as it was indexed.")  # fmt: skip
        elif is_pdf:
            self._open_pdf(path, page, passage)
        else:
            self._open_text(file, passage)
        self.opened.emit(path)

    def clear(self) -> None:
        self.current_path, self.highlighted_text, self.mode = None, "", "empty"
        self.pdf.highlights = []
        self._document.close()
        self.title.setText("No source open")
        self.kind_icon.clear()
        self._notice("")
        self._show_controls()

    def open_external(self) -> None:
        if self.current_path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.current_path))

    def go_to_page(self, page: int) -> None:
        """1-based."""
        if self.mode == "pdf" and 1 <= page <= self.page_count and page != self.current_page:
            self.pdf.scroll_to(page - 1)

    def zoom_by(self, steps: int) -> None:
        if self.mode != "pdf":
            return
        now = self.pdf.zoomFactor()
        if steps > 0:
            factor = next((z for z in ZOOM_STEPS if z > now + 0.01), ZOOM_STEPS[-1])
        else:
            factor = next((z for z in reversed(ZOOM_STEPS) if z < now - 0.01), ZOOM_STEPS[0])
        self.pdf.set_zoom(factor)

    def fit_width(self) -> None:
        if self.mode == "pdf":
            self.pdf.set_zoom(self.pdf.fit_width_factor(), fit_width=True)

    # PDF -------------------------------------------------------------------------------
    def _open_pdf(self, path: str, page: int | None, passage: str) -> None:
        self.pdf.highlights = []
        self._document.close()
        error = self._document.load(path)
        if error != QPdfDocument.Error.None_ or self._document.pageCount() == 0:
            self._show_text(passage, passage, f"This PDF cannot be displayed ({error.name}); "
                            "this is the passage as it was indexed.")  # fmt: skip
            return
        self.mode = "pdf"
        self._stack.setCurrentWidget(self.pdf)
        self._show_controls()
        count = self._document.pageCount()
        first = min(max(1, page or 1), count) - 1
        self.pdf.highlights = self._find_on_pages(first, passage)
        self.highlighted_text = " ".join(h.text for h in self.pdf.highlights)
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(count)
        self.page_box.blockSignals(False)
        self.page_total.setText(f"of {count}")
        self.pdf.set_zoom(self.pdf.fit_width_factor(), fit_width=True)
        anchor = self.pdf.highlights[0] if self.pdf.highlights else None
        top = min(p.boundingRect().top() for p in anchor.polygons) if anchor else 0.0
        self.pdf.scroll_to(anchor.page if anchor else first, top)
        if passage.strip() and not anchor:
            self._notice(f"The passage could not be located in the page text; "
                                f"showing page {first + 1}.")  # fmt: skip
        self._sync_page_box()
        self.pdf.viewport().update()

    def _find_on_pages(self, first: int, passage: str) -> list[_Highlight]:
        """Highlights for the passage on its page, and on the next one where it runs over."""
        text = self._document.getAllText(first).text()
        marks = self._marks_on(first, text, passage)
        if first + 1 < self._document.pageCount() and not (marks and _ends_on(text, passage)):
            following = self._document.getAllText(first + 1).text()
            marks += self._marks_on(first + 1, following, passage)
        return marks

    def _marks_on(self, page: int, text: str, passage: str) -> list[_Highlight]:
        marks = []
        for start, end in passage_spans(text, passage):
            selection = self._document.getSelectionAtIndex(page, start, end - start)
            if selection.isValid():
                marks.append(_Highlight(page, list(selection.bounds()), selection.text()))
        return marks

    # text ------------------------------------------------------------------------------
    def _open_text(self, file: Path, passage: str) -> None:
        suffix = file.suffix.lower()
        if suffix in EXTRACTED_SUFFIXES:
            self._show_text(passage, passage, "Loading the document's text…")
            self._load_indexed_text(str(file), passage)
            return
        try:
            if file.stat().st_size > MAX_TEXT_BYTES:
                raise OSError("the file is too large to show here")
            raw = file.read_bytes()
        except OSError as exc:
            self._show_text(passage, passage, f"Cannot read {file.name}: {exc}.")
            return
        if b"\0" in raw[:4096]:
            self._load_indexed_text(str(file), passage)
            return
        content = raw.decode("utf-8", errors="replace")
        if suffix in HTML_SUFFIXES:
            html = QTextDocument()
            html.setHtml(content)
            content = html.toPlainText()
        self._show_text(content, passage)

    def _load_indexed_text(self, path: str, passage: str) -> None:
        """Formats Qt cannot read as text (Word, EPUB, e-mail): the passages Enclave indexed."""
        if self._ops is None:
            self._show_text(passage, passage, "Showing the indexed passage.")
            return
        engine = self._ops.engine

        def shown(hits: list[SearchHit]) -> None:
            if self.current_path == path:
                self._show_text(joined_passages([h.text for h in hits]), passage)

        def failed(_error: BaseException) -> bool:
            if self.current_path == path:
                self._show_text(passage, passage, "Showing the indexed passage.")
            return True

        self._ops.query(engine.chunks_of, path).success(shown).failure(failed).run()

    def _show_text(self, content: str, passage: str, notice: str = "") -> None:
        self.mode = "text"
        self._stack.setCurrentWidget(self.text)
        self._show_controls()
        self.text.setPlainText(content)
        self._notice(notice)
        spans = passage_spans(content, passage)
        selections = []
        fmt = QTextCharFormat()
        fmt.setBackground(highlight_colour("passage"))
        for start, end in spans:
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection = QTextEdit.ExtraSelection()
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.text.setExtraSelections(selections)
        self.highlighted_text = " ".join(content[s:e] for s, e in spans)
        if spans:
            self._scroll_text_to(spans[0][0])
        elif passage.strip() and not notice:
            self._notice("The passage could not be located in this file's text.")

    def _scroll_text_to(self, position: int) -> None:
        cursor = self.text.textCursor()
        cursor.setPosition(position)
        self.text.setTextCursor(cursor)
        self.text.centerCursor()

    def _notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # controls --------------------------------------------------------------------------
    def _show_controls(self) -> None:
        for widget in self._pdf_controls:
            widget.setVisible(self.mode == "pdf")
        self.external.setEnabled(self.current_path is not None)
        if self.mode == "empty":
            self._stack.setCurrentWidget(self.empty)

    def _step(self, delta: int) -> None:
        page = self.current_page
        if page is not None:
            self.go_to_page(page + delta)

    def _sync_page_box(self) -> None:
        page = self.current_page
        if page is None:
            return
        self.page_box.blockSignals(True)
        self.page_box.setValue(page)
        self.page_box.blockSignals(False)
        self.prev_button.setEnabled(page > 1)
        self.next_button.setEnabled(page < self.page_count)

    def _sync_zoom_label(self, factor: float) -> None:
        self.zoom_label.setText(f"{round(factor * 100)}%")


def _ends_on(page_text: str, passage: str) -> bool:
    """True when the passage's last words are on this page (no need to read the next)."""
    tail = " ".join(passage.split()[-SHINGLE_WORDS:])
    return bool(passage_spans(page_text, tail))


def joined_passages(texts: list[str]) -> str:
    """Chunks in reading order as one text, the overlap each repeats from the last dropped."""
    out: list[str] = []
    for text in texts:
        if out:
            text = _drop_overlap(out[-1], text)
        if text.strip():
            out.append(text)
    return "\n\n".join(out)


def _drop_overlap(previous: str, text: str) -> str:
    words = text.split(" ")
    for size in range(min(len(words) - 1, 120), 3, -1):
        if previous.endswith(" ".join(words[:size])):
            return " ".join(words[size:])
    return text
