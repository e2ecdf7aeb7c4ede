"""The transcript's widgets: one turn (the question, its streamed answer, the sources strip
and the model line), the passage cards under it, and the question box.

A turn re-renders its streamed text at most every RENDER_INTERVAL_MS so a long answer never
stalls the window. STYLE is the stylesheet of these widgets and of the panel around them.
"""

from __future__ import annotations

import html
import math
import time
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent, QResizeEvent, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.answer_render import (
    CITE_SCHEME,
    UNSUPPORTED_LINE,
    AnswerData,
    mark_unsupported,
    render_markdown,
    snippet,
    where,
)
from desktop.theme import icon, is_dark

if TYPE_CHECKING:
    from core.chat.sources import Source

RENDER_INTERVAL_MS = 60  # streamed text is re-rendered at most this often
ABSTAIN_PREFIX = "I could not find this in your documents."

STYLE = """
QFrame#answerCard { background: palette(base); border: 1px solid palette(mid); border-radius: 10px; }
QLabel#question {
    background: palette(alternate-base); border: 1px solid palette(mid);
    border-radius: 10px; padding: 8px 12px;
}
QTextBrowser#answer { border: none; background: transparent; padding: 0; }
QFrame#sourceCard { border: 1px solid palette(mid); border-radius: 6px; background: palette(window); }
QFrame#sourceCard:hover, QFrame#sourceCard:focus { border: 1px solid palette(highlight); }
QFrame#notice { border-radius: 6px; padding: 2px; }
QFrame#composer { background: palette(base); border: 1px solid palette(mid); border-radius: 10px; }
QPlainTextEdit#questionBox { border: none; background: transparent; padding: 2px; }
QScrollArea#transcript { border: none; background: transparent; }
"""


def _model_line(data: AnswerData) -> str:
    if data.cloud:
        return " · ".join(x for x in (data.provider, data.model) if x)
    return f"{data.model} · {data.backend}" if data.backend else data.model


def _seconds(ms: float) -> str:
    if ms < 1:
        return "<1 ms"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


# -- one answer ------------------------------------------------------------------------------
class AnswerView(QTextBrowser):
    """Rendered Markdown that is as tall as its text: the transcript scrolls, not the answer."""

    cite_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answer")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Answer")
        self.anchorClicked.connect(self._anchor)

    def show_markdown(
        self,
        text: str,
        sources: dict[int, Source],
        unsupported: list[tuple[str, tuple[str, ...]]] | None = None,
    ) -> int:
        """Render into a fresh document and swap it in: the layout runs once, not after
        every format change. Returns how many unsupported sentences were marked."""
        document = QTextDocument(self)
        document.setDefaultFont(self.font())
        document.setDocumentMargin(2)
        render_markdown(document, text, sources)
        marked = mark_unsupported(document, unsupported) if unsupported else 0
        old = self.document()
        ours = old.parent() is self  # the first document belongs to Qt, which deletes it
        self.setDocument(document)
        document.documentLayout().documentSizeChanged.connect(self._fit)
        document.setTextWidth(self.viewport().width())
        if ours:
            old.deleteLater()
        self._fit()
        return marked

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == CITE_SCHEME and url.path().isdigit():
            self.cite_clicked.emit(int(url.path()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.document().setTextWidth(self.viewport().width())
        self._fit()

    def _fit(self, *_: object) -> None:
        height = math.ceil(self.document().size().height()) + 2 * self.frameWidth() + 2
        if height != self.height():
            self.setFixedHeight(height)

    def anchors(self) -> list[tuple[str, str]]:
        """(href, text) of each link, in order: for tests and for a screen reader summary."""
        links: list[tuple[str, str]] = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fmt = fragment.charFormat()
                if fragment.isValid() and fmt.isAnchor():
                    links.append((fmt.anchorHref(), fragment.text()))
                it += 1
            block = block.next()
        return links


class SourceCard(QFrame):
    """One passage under an answer: [n] file, page and the opening words; click opens it."""

    activated = Signal(object)  # Source

    def __init__(self, source: Source, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = source
        self.setObjectName("sourceCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(f"Source {source.n}: {where(source)}")
        self.setToolTip(f"Open {where(source)}")
        kind = "pdf" if source.path.lower().endswith(".pdf") else "document"
        picture = QLabel(self)
        picture.setPixmap(icon(kind).pixmap(QSize(18, 18)))
        picture.setAlignment(Qt.AlignmentFlag.AlignTop)
        page = f" · page {source.pages_label}" if source.pages_label else ""
        flagged = (
            " <span style='color:#7048E8'>· flagged as injection</span>"
            if "injection" in source.flags
            else ""
        )
        self.label = QLabel(
            f"<b>[{source.n}]</b> <b>{html.escape(source.file_name)}</b>"
            f"<span style='color:gray'>{page}</span>{flagged}<br>"
            f"<span style='color:gray'>{html.escape(snippet(source.text))}</span>",
            self,
        )
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(picture)
        layout.addWidget(self.label, 1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.activated.emit(self.source)
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit(self.source)
            return
        super().keyPressEvent(event)


class TurnWidget(QWidget):
    """A question and its answer: streamed text, then links, marks, model line and sources."""

    source_requested = Signal(object)  # Source

    def __init__(self, question: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = question
        self.data: AnswerData | None = None
        self.streamed = ""
        self.finished = False
        self.marked = 0
        self.renders = 0  # times the streamed text was rendered
        self.source_cards: list[SourceCard] = []
        self._sources: dict[int, Source] = {}
        self._timer = QTimer(self, singleShot=True, interval=RENDER_INTERVAL_MS)
        self._timer.timeout.connect(self._render_stream)
        self.question_label = QLabel(html.escape(question).replace("\n", "<br>"), self)
        self.question_label.setObjectName("question")
        self.question_label.setWordWrap(True)
        self.question_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question_label.setAccessibleName("Question")
        self.question_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        asked = QHBoxLayout()
        asked.addStretch(1)
        asked.addWidget(self.question_label)
        self.card = QFrame(self)
        self.card.setObjectName("answerCard")
        self.status = QLabel("Searching your documents…", self.card)
        self.status.setProperty("role", "hint")
        self.status.setWordWrap(True)
        self.notice = _Notice(self.card)
        self.view = AnswerView(self.card)
        self.view.hide()
        self.view.cite_clicked.connect(self._cite)
        self.meta = QWidget(self.card)
        self.meta_layout = QHBoxLayout(self.meta)
        self.meta_layout.setContentsMargins(0, 0, 0, 0)
        self.meta_layout.setSpacing(8)
        self.meta.hide()
        self.strip = QWidget(self.card)
        self.strip_layout = QVBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(0, 4, 0, 0)
        self.strip_layout.setSpacing(4)
        self.strip.hide()
        inner = QVBoxLayout(self.card)
        inner.setContentsMargins(14, 10, 14, 10)
        inner.setSpacing(6)
        inner.addWidget(self.status)
        inner.addWidget(self.notice)
        inner.addWidget(self.view)
        inner.addWidget(self.strip)
        inner.addWidget(self.meta)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(asked)
        layout.addWidget(self.card)

    def fit_question(self, row_width: int) -> None:
        """The question's bubble as wide as its longest line, at most four fifths of the row
        (the panel passes the transcript's width: the turn's own would only ever grow)."""
        label = self.question_label
        metrics = label.fontMetrics()
        longest = max((metrics.horizontalAdvance(line) for line in self.question.splitlines()),
                      default=0)  # fmt: skip
        margins = label.contentsMargins()
        padding = margins.left() + margins.right() + 2 * label.frameWidth() + 28
        label.setFixedWidth(max(60, min(longest + padding, int(row_width * 0.8))))

    # streaming ---------------------------------------------------------------------------
    def add_token(self, piece: str) -> None:
        self.streamed += piece
        if not self._timer.isActive():
            self._timer.start()

    def _render_stream(self) -> None:
        if self.finished or not self.streamed:
            return
        started = time.perf_counter()
        self.renders += 1
        self.status.hide()
        self.view.show()
        self.view.show_markdown(self.streamed, self._sources)
        # a long answer takes longer to lay out: render less often, the window stays live
        spent_ms = (time.perf_counter() - started) * 1000
        self._timer.setInterval(max(RENDER_INTERVAL_MS, int(3 * spent_ms)))

    def stopping(self) -> None:
        self.status.setText("Stopping…")

    # the finished answer -------------------------------------------------------------------
    def finish(self, data: AnswerData) -> None:
        self._timer.stop()
        self.finished = True
        self.data = data
        self._sources = data.sources
        self.status.hide()
        if data.blocked:
            self.notice.show_message(
                "shield", "The guard blocked this question", data.text, "block"
            )
            self._show_meta(data)
            return
        text = data.text
        if data.abstained:
            self.notice.show_message(
                "search", "Not found in your documents",
                "Nothing in the selected collections answers this closely enough, so no model "
                "was asked." + (" The nearest passages:" if data.strip else ""), "info",
            )  # fmt: skip
            # the nearest passages are listed as cards when known, else as the stored text
            text = "" if data.strip else data.text.removeprefix(ABSTAIN_PREFIX).strip()
        if text:
            self.view.show()
            self.marked = self.view.show_markdown(text, data.sources, data.unsupported)
        else:
            self.view.hide()
        self._show_sources(data)
        self._show_meta(data)

    def fail(self, message: str) -> None:
        self._timer.stop()
        self.finished = True
        self.status.hide()
        if self.streamed:
            self.view.show()
            self.view.show_markdown(self.streamed, self._sources)
        self.notice.show_message("warning", "The answer failed", message, "error")

    def stopped_early(self) -> None:
        """Cancelled before the model wrote anything."""
        self._timer.stop()
        self.finished = True
        self.status.setText("Stopped before the answer began.")
        self.status.show()

    def _show_sources(self, data: AnswerData) -> None:
        _clear(self.strip_layout)
        self.source_cards = []
        if not data.strip and not data.others:
            return
        title = "Nearest passages" if data.abstained else "Sources"
        if data.inferred and not data.abstained:
            title += " (the model cited none; this is the closest passage)"
        heading = QLabel(f"<b>{title}</b>", self.strip)
        heading.setProperty("role", "hint")
        self.strip_layout.addWidget(heading)
        for source in data.strip:
            self._add_card(source, self.strip_layout)
        if data.others:
            self._add_others(data.others)
        self.strip.show()

    def _add_card(self, source: Source, layout: QVBoxLayout) -> None:
        card = SourceCard(source, self.strip)
        card.activated.connect(self.source_requested.emit)
        layout.addWidget(card)
        self.source_cards.append(card)

    def _add_others(self, others: list[Source]) -> None:
        box = QWidget(self.strip)
        inner = QVBoxLayout(box)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(4)
        for source in others:
            self._add_card(source, inner)
        box.hide()
        count = len(others)
        toggle = QToolButton(self.strip)
        toggle.setText(f"Show {count} more passage{'s' * (count != 1)} the model read")
        toggle.setIcon(icon("chevron-right"))
        toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toggle.setProperty("flat", True)
        toggle.setCheckable(True)
        toggle.setAccessibleName("Show the other passages")

        def flip(on: bool) -> None:
            box.setVisible(on)
            toggle.setIcon(icon("chevron-left" if on else "chevron-right"))
            toggle.setText(("Hide" if on else "Show") + toggle.text()[4:])

        toggle.toggled.connect(flip)
        self.strip_layout.addWidget(toggle, 0, Qt.AlignmentFlag.AlignLeft)
        self.strip_layout.addWidget(box)

    def _show_meta(self, data: AnswerData) -> None:
        _clear(self.meta_layout)
        top = Qt.AlignmentFlag.AlignTop
        if data.local:
            badge = _badge("offline", "Offline", "Answered on this machine")
        else:
            badge = _badge("cloud", "Cloud", "Answered by a cloud model")
        self.meta_layout.addWidget(badge, 0, top)
        parts = []
        if data.blocked or (data.abstained and data.backend in (None, "none") and not data.cloud):
            parts.append("no model used")
        else:
            parts.append(_model_line(data))
        if data.cloud and data.redacted:
            parts.append(
                f"{data.redacted} value{'s' * (data.redacted != 1)} redacted before sending"
            )
        if data.cloud and data.cost_usd:
            parts.append(f"${data.cost_usd:.4f}")
        if data.fallback_reason:  # why the router chose as it did, in its own words
            parts.append(data.fallback_reason)
        if data.ttft_ms:
            parts.append(f"first token {_seconds(data.ttft_ms)}")
        if data.total_ms:
            parts.append(f"{_seconds(data.total_ms)} total")
        if data.tokens:
            parts.append(f"{data.tokens} tokens")
        if data.finish_reason == "cancelled":
            parts.append("stopped")
        elif data.finish_reason == "length":
            parts.append("cut at the length limit")
        marks = ""
        if self.marked:
            marks = (
                f" · <span style='color:{UNSUPPORTED_LINE}'>{self.marked} sentence"
                f"{'s' * (self.marked != 1)} not supported by the sources</span>"
            )
        self.meta_label = QLabel(" · ".join(html.escape(p) for p in parts) + marks, self.meta)
        self.meta_label.setProperty("role", "hint")
        self.meta_label.setTextFormat(Qt.TextFormat.RichText)
        self.meta_label.setWordWrap(True)
        self.meta_label.setAccessibleName("Answer details")
        self.meta_layout.addWidget(self.meta_label, 1, top)
        if data.text and not data.blocked:
            self.copy_button = QToolButton(self.meta)
            self.copy_button.setText("Copy")
            self.copy_button.setProperty("flat", True)
            self.copy_button.setToolTip("Copy the answer as Markdown")
            self.copy_button.setAccessibleName("Copy the answer")
            self.copy_button.clicked.connect(lambda _checked=False: self.copy_answer())
            self.meta_layout.addWidget(self.copy_button, 0, top)
        self.meta.show()

    def copy_answer(self) -> None:
        """The answer's Markdown, [n] markers and all, to the clipboard."""
        text = self.data.text if self.data is not None else self.streamed
        QGuiApplication.clipboard().setText(text)

    def _cite(self, n: int) -> None:
        source = self._sources.get(n)
        if source is not None:
            self.source_requested.emit(source)

    # read back, for tests and accessibility -----------------------------------------------
    def answer_text(self) -> str:
        return self.view.toPlainText() if self.view.isVisibleTo(self) else ""

    def meta_text(self) -> str:
        label = getattr(self, "meta_label", None)
        return label.text() if label is not None and self.meta.isVisibleTo(self) else ""


class _Notice(QFrame):
    """A tinted line with an icon: abstained, blocked by the guard, failed."""

    TINTS: ClassVar[dict[str, tuple[str, str]]] = {  # light, dark
        "info": ("#E7F5FF", "#1B3A52"),
        "block": ("#F3F0FF", "#3B2F66"),
        "error": ("#FFF5F5", "#5C2323"),
    }

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.words = QLabel(self)
        self.words.setWordWrap(True)
        self.words.setTextFormat(Qt.TextFormat.RichText)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.picture)
        layout.addWidget(self.words, 1)
        self.kind = ""
        self.hide()

    def show_message(self, icon_name: str, title: str, text: str, kind: str) -> None:
        self.kind = kind
        light, dark = self.TINTS[kind]
        self.setStyleSheet(
            f"QFrame#notice {{ background: {dark if is_dark() else light}; border-radius: 6px; }}"
        )
        self.picture.setPixmap(icon(icon_name).pixmap(QSize(20, 20)))
        self.words.setText(f"<b>{html.escape(title)}</b><br>{html.escape(text)}")
        self.words.setAccessibleName(title)
        self.show()

    def text(self) -> str:
        return self.words.text() if not self.isHidden() else ""


def _badge(icon_name: str, text: str, tip: str) -> QWidget:
    badge = QFrame()
    badge.setObjectName("badge")
    badge.setStyleSheet(
        "QFrame#badge { border: 1px solid #2B8A3E; border-radius: 9px; }"
        "QLabel { color: #2B8A3E; font-size: 9pt; font-weight: 600; border: none; }"
        if icon_name == "offline"
        else "QFrame#badge { border: 1px solid palette(mid); border-radius: 9px; }"
    )
    badge.setToolTip(tip)
    badge.setAccessibleName(f"{text}: {tip}")
    picture = QLabel(badge)
    picture.setPixmap(icon(icon_name).pixmap(QSize(14, 14)))
    words = QLabel(text, badge)
    layout = QHBoxLayout(badge)
    layout.setContentsMargins(6, 1, 8, 1)
    layout.setSpacing(4)
    layout.addWidget(picture)
    layout.addWidget(words)
    return badge


def _clear(layout: Any) -> None:
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget()
        if widget is not None:
            widget.deleteLater()


# -- the question box ------------------------------------------------------------------------
class QuestionBox(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line; grows to a few lines as you type."""

    submitted = Signal()
    MAX_LINES = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionBox")
        self.setPlaceholderText("Ask about your documents…")
        self.setAccessibleName("Question")
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._grow)
        self._grow()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        if enter:  # Shift+Enter: a paragraph break, not the line separator Qt would insert
            self.insertPlainText("\n")
            return
        super().keyPressEvent(event)

    def _grow(self) -> None:
        wanted = int(self.document().size().height())
        lines = max(1, min(self.MAX_LINES, wanted))
        margins = self.contentsMargins()
        height = self.fontMetrics().lineSpacing() * lines + margins.top() + margins.bottom() + 14
        self.setFixedHeight(height)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded
            if wanted > self.MAX_LINES
            else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )
