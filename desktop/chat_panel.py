"""The chat panel: conversations on the left, the transcript and the question box on the right.

A question goes to `Engine.ask` as one op; its tokens stream into the newest answer, which is
re-rendered as Markdown at most every RENDER_INTERVAL_MS so a long answer never stalls the
window. When the answer is complete its [n] markers become links to the passages they cite,
sentences the grounding check could not support are marked, and a sources strip lists the
passages under it. Stop cancels the op; the words already written stay.
"""

from __future__ import annotations

import html
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QEvent, QRegularExpression, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
    QTextFrameFormat,
    QTextLength,
    QTextTable,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.ops import error_message
from desktop.search_panel import state_page
from desktop.theme import icon, is_dark

if TYPE_CHECKING:
    from core.chat.result import AnswerResult
    from core.chat.sources import Source
    from core.chat.store import Conversation, Turn

RENDER_INTERVAL_MS = 60  # streamed text is re-rendered at most this often
STATUS_MS = 6000  # how long "Exported to …" and the like stay under the chat list
CITE_SCHEME = "cite"
INLINE_CODE_RE = re.compile(r"`[^`\n]+`")
MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
CLOUD_BACKENDS = frozenset({"cloud", "openai", "anthropic", "gemini", "openai-compatible"})
ABSTAIN_PREFIX = "I could not find this in your documents."
SNIPPET_CHARS = 170
COLUMN_WIDTH = 880  # the transcript reads like a page, not a banner
NARROW_WIDTH = 820  # below this the chat list folds away (the toggle brings it back)
UNSUPPORTED_TIP = "Not supported by the sources"
UNSUPPORTED_TINT = ("#FFF3BF", "#4D3F0F")  # light, dark
UNSUPPORTED_LINE = "#E8590C"
ID_ROLE = Qt.ItemDataRole.UserRole
TITLE_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY_TEXT = (
    "<p style='font-size:15pt; font-weight:600'>Ask a question about your documents</p>"
    "<p>Answers come from the files in your library, with numbered citations: click one "
    "to see the passage on its page. Everything runs on this machine.</p>"
)
EMPTY_LIBRARY = (
    "<p><b>Your library is empty.</b> Drop files or folders onto the window, or use "
    "“Add files…”, then ask about them here.</p>"
)
KEYS_HINT = "Enter sends · Shift+Enter new line · Esc stops"

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


# -- what an answer shows, from a live result or a stored turn ------------------------------
@dataclass
class AnswerData:
    text: str
    sources: dict[int, Source] = field(default_factory=dict)  # n -> passage, for the links
    strip: list[Source] = field(default_factory=list)  # listed under the answer
    others: list[Source] = field(default_factory=list)  # shown to the model, not cited
    abstained: bool = False
    blocked: bool = False
    model: str = ""
    backend: str | None = None
    ttft_ms: float | None = None
    total_ms: float | None = None
    tokens: int | None = None
    finish_reason: str = "stop"
    inferred: bool = False
    unsupported: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    cloud: bool = False  # the router sent it to a cloud model
    provider: str | None = None
    redacted: int = 0  # values the guard replaced before sending
    cost_usd: float | None = None
    fallback_reason: str | None = None

    @property
    def local(self) -> bool:
        return not self.cloud and (self.backend or "") not in CLOUD_BACKENDS


def answer_from_result(result: AnswerResult, known: dict[int, Source]) -> AnswerData:
    sources = {**known, **{s.n: s for s in result.sources}}
    sources.update({c.n: c.source for c in result.citations})
    cited = [c.source for c in result.citations]
    cited_n = {s.n for s in cited}
    timings = result.timings
    route = getattr(result, "route", None)
    return AnswerData(
        cloud=bool(route and route.route == "cloud"),
        provider=route.provider if route else None,
        redacted=sum(route.redactions.values()) if route else 0,
        cost_usd=route.cost_usd if route else None,
        fallback_reason=route.fallback_reason if route else None,
        text=result.answer,
        sources=sources,
        strip=list(result.sources) if result.abstained else cited,
        others=[] if result.abstained else [s for s in result.sources if s.n not in cited_n],
        abstained=result.abstained,
        blocked=result.finish_reason == "blocked",
        model=result.model,
        backend=result.backend,
        ttft_ms=timings.ttft_ms or None,
        total_ms=timings.total_ms or None,
        tokens=timings.completion_tokens or None,
        finish_reason=result.finish_reason,
        inferred=any(c.inferred for c in result.citations),
        unsupported=[(u.text, tuple(u.missing)) for u in result.unsupported],
    )


def answer_from_turn(turn: Turn, known: dict[int, Source]) -> AnswerData:
    """A stored turn: its sources come from the conversation (numbers are stable in it)."""
    info = turn.info
    timings = info.get("timings") or {}
    finish = str(info.get("finish_reason", "stop"))
    cited = [known[n] for n in turn.cited if n in known]
    unsupported = [(str(u.get("text", "")), tuple(u.get("missing", ())))
                   for u in info.get("unsupported", ()) if isinstance(u, dict)]  # fmt: skip
    stored = info.get("cloud")
    cloud: dict[str, Any] = stored if isinstance(stored, dict) else {}
    backend = info.get("backend")  # the route: local | cloud | none (older turns: absent)
    return AnswerData(
        cloud=backend == "cloud",
        provider=cloud.get("provider"),
        redacted=sum((cloud.get("redactions") or {}).values()),
        cost_usd=cloud.get("cost"),
        fallback_reason=cloud.get("fallback_reason"),
        text=turn.answer,
        sources=dict(known),
        strip=cited,
        others=[known[n] for n in turn.visible_sources if n in known and n not in turn.cited],
        abstained=turn.abstained,
        blocked=finish == "blocked",
        model=turn.model,
        backend=None if backend in (None, "local", "cloud") else backend,
        ttft_ms=timings.get("ttft_ms") or None,
        total_ms=timings.get("total_ms") or None,
        tokens=timings.get("completion_tokens") or None,
        finish_reason=finish,
        inferred=turn.inferred,
        unsupported=unsupported,
    )


# -- Markdown with links and marks ----------------------------------------------------------
def render_markdown(document: QTextDocument, text: str, sources: dict[int, Source]) -> None:
    """`text` as GitHub Markdown: [n] markers as cite:n links, code and tables styled."""
    document.setMarkdown(
        linked_markdown(text, sources), QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    )
    _style_code(document, inline=INLINE_CODE_RE.search(text) is not None)
    _style_tables(document.rootFrame())


def linked_markdown(text: str, sources: dict[int, Source]) -> str:
    """[n] markers rewritten as Markdown links to cite:n (with the passage as their tooltip),
    outside code: the Markdown reader then makes the anchors itself, in one pass."""
    lines, fenced = [], False
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            parts = line.split("`")  # even parts lie outside inline code
            for i in range(0, len(parts), 2):
                parts[i] = MARKER_RE.sub(lambda m: _marker_links(m, sources), parts[i])
            line = "`".join(parts)
        lines.append(line)
    return "".join(lines)


def _marker_links(marker: re.Match[str], sources: dict[int, Source]) -> str:
    numbers = [int(x) for x in re.findall(r"\d+", marker.group())]

    def link(n: int, label: str) -> str:
        source = sources.get(n)
        title = f"[{n}] {_where(source)}: {_snippet(source.text, 200)}" if source else f"[{n}]"
        title = title.replace("\\", "/").replace('"', "'")
        return f'[{label}]({CITE_SCHEME}:{n} "{title}")'

    if len(numbers) == 1:  # a lone [n] is linked whole: a bigger target to click
        return link(numbers[0], f"\\[{numbers[0]}\\]")
    return "\\[" + ", ".join(link(n, str(n)) for n in numbers) + "\\]"


def mark_unsupported(document: QTextDocument, sentences: list[tuple[str, tuple[str, ...]]]) -> int:
    """Tint and underline (dotted) each sentence the grounding check could not support.
    Markdown markup may sit between its words, so the words are matched, not the raw text."""
    marked = 0
    fmt = QTextCharFormat()
    light, dark = UNSUPPORTED_TINT
    fmt.setBackground(QColor(dark if is_dark() else light))
    fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
    fmt.setUnderlineColor(QColor(UNSUPPORTED_LINE))
    for text, missing in sentences:
        words = re.findall(r"\w+", text)
        if not words:
            continue
        pattern = QRegularExpression(
            r"\W*".join(re.escape(w) for w in words),
            QRegularExpression.PatternOption.UseUnicodePropertiesOption,
        )
        found = document.find(pattern, 0)
        if found.isNull():
            continue
        tip = UNSUPPORTED_TIP + (f" (not found: {', '.join(missing[:6])})" if missing else "")
        fmt.setToolTip(tip)
        found.mergeCharFormat(fmt)
        marked += 1
    return marked


def _style_code(document: QTextDocument, *, inline: bool = True) -> None:
    """Fenced code on a tinted block, inline code on a tinted run."""
    tint = QColor("#2C3035" if is_dark() else "#F1F3F5")
    block = document.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if fmt.hasProperty(QTextFormat.Property.BlockCodeFence) or fmt.hasProperty(
            QTextFormat.Property.BlockCodeLanguage
        ):
            fmt.setBackground(tint)
            fmt.setLeftMargin(4)
            QTextCursor(block).setBlockFormat(fmt)
        elif inline:  # walking every fragment costs: only when there is inline code
            _tint_inline_code(block, tint)
        block = block.next()


def _tint_inline_code(block: Any, tint: QColor) -> None:
    it = block.begin()
    while not it.atEnd():
        fragment = it.fragment()
        if fragment.isValid() and fragment.charFormat().fontFixedPitch():
            cursor = QTextCursor(block.document())
            cursor.setPosition(fragment.position())
            cursor.setPosition(
                fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
            )
            fmt = QTextCharFormat()
            fmt.setBackground(tint)
            cursor.mergeCharFormat(fmt)
        it += 1


def _style_tables(frame: QTextFrame) -> None:
    for child in frame.childFrames():
        if isinstance(child, QTextTable):
            fmt = child.format()
            fmt.setBorderCollapse(True)
            fmt.setBorder(1)
            fmt.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
            fmt.setBorderBrush(QBrush(QColor("#454A52" if is_dark() else "#C9CED6")))
            fmt.setCellPadding(5)
            fmt.setCellSpacing(0)
            fmt.setWidth(QTextLength(QTextLength.Type.PercentageLength, 100))
            child.setFormat(fmt)
        _style_tables(child)


def _where(source: Source) -> str:
    page = f", page {source.pages_label}" if source.pages_label else ""
    return f"{source.file_name}{page}"


def _snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


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
        self.setAccessibleName(f"Source {source.n}: {_where(source)}")
        self.setToolTip(f"Open {_where(source)}")
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
            f"<span style='color:gray'>{html.escape(_snippet(source.text))}</span>",
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


# -- the panel ------------------------------------------------------------------------------
class ChatPanel(QWidget):
    open_source = Signal(str, object, str)  # path, page or None, passage

    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = ops.engine
        self._collections: list[str] = []
        self._current: str | None = None  # conversation id shown
        self._known: dict[int, Source] = {}  # the conversation's sources by number
        self._op: Any = None
        self._live: TurnWidget | None = None
        # Conversations whose cloud requests the person approved after seeing the first.
        self._cloud_approved: set[str] = set()
        self._approve_next = False
        self.preview_dialog: Any = None
        self._follow = True
        self._list_sequence = 0
        self.conversations: list[Conversation] = []
        self.turns: list[TurnWidget] = []
        self.has_documents = True
        self.setStyleSheet(STYLE)
        self._narrow: bool | None = None
        self._title = "New chat"
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.list_pane = self._build_list()
        splitter.addWidget(self.list_pane)
        splitter.addWidget(self._build_chat())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 780])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter)
        changed = getattr(ops, "changed", None)
        if changed is not None:
            changed.connect(self._on_changed)
        self.setFocusProxy(self.question_box)
        self.refresh_conversations()
        self._check_library()

    # building ------------------------------------------------------------------------------
    def _build_list(self) -> QWidget:
        pane = QWidget(self)
        title = QLabel("Chats", pane)
        title.setProperty("role", "title")
        self.new_button = QPushButton(icon("add"), "New chat", pane)
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.setAccessibleName("New chat")
        self.new_button.clicked.connect(self.new_chat)
        self.list = QListWidget(pane)
        self.list.setAccessibleName("Conversations")
        self.list.setProperty("role", "nav")
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._list_menu)
        self.list.currentItemChanged.connect(self._on_current_item)
        self.list.itemChanged.connect(self._on_item_edited)
        self.list_empty = QLabel("No chats yet. Your questions and answers are kept here.", pane)
        self.list_empty.setProperty("role", "hint")
        self.list_empty.setWordWrap(True)
        self.rename_button = self._tool(
            pane, "Rename", None, "Rename the chat (F2)", self.rename_current
        )
        self.export_button = self._tool(pane, "Export…", "document", "Export the chat as Markdown",
                                        self.export_current)  # fmt: skip
        self.delete_button = self._tool(pane, "", "trash", "Delete the chat", self.delete_current)
        self.delete_button.setAccessibleName("Delete chat")
        self.list_status = QLabel("", pane)
        self.list_status.setProperty("role", "hint")
        self.list_status.setWordWrap(True)
        self.list_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._status_timer = QTimer(self, singleShot=True, interval=STATUS_MS)
        self._status_timer.timeout.connect(lambda: self.list_status.setText(""))
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.new_button)
        tools = QHBoxLayout()
        tools.addWidget(self.rename_button)
        tools.addWidget(self.export_button)
        tools.addStretch(1)
        tools.addWidget(self.delete_button)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.list_empty)
        layout.addLayout(tools)
        layout.addWidget(self.list_status)
        self._update_tools()
        return pane

    def _tool(
        self, parent: QWidget, text: str, icon_name: str | None, tip: str, slot: Any
    ) -> QToolButton:
        button = QToolButton(parent)
        button.setText(text)
        if icon_name:
            button.setIcon(icon(icon_name))
        button.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if text and icon_name
            else Qt.ToolButtonStyle.ToolButtonTextOnly
            if text
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        button.setToolTip(tip)
        button.setAccessibleName(text.rstrip("…") or tip)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _build_chat(self) -> QWidget:
        pane = QWidget(self)
        self.stack = QStackedWidget(pane)
        self.empty = self._build_empty(pane)
        self.transcript = QScrollArea(pane)
        self.transcript.setObjectName("transcript")
        self.transcript.setWidgetResizable(True)
        self.transcript.setFrameShape(QFrame.Shape.NoFrame)
        self.transcript.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.transcript.setAccessibleName("Transcript")
        holder = QWidget(self.transcript)
        self.column = QWidget(holder)
        self.column.setMaximumWidth(COLUMN_WIDTH)
        self.column_layout = QVBoxLayout(self.column)
        self.column_layout.setContentsMargins(8, 8, 8, 8)
        self.column_layout.setSpacing(18)
        self.column_layout.addStretch(1)
        centred = QHBoxLayout(holder)
        centred.setContentsMargins(0, 0, 0, 0)
        centred.addWidget(self.column)
        self.transcript.setWidget(holder)
        bar = self.transcript.verticalScrollBar()
        bar.rangeChanged.connect(self._keep_at_bottom)
        bar.valueChanged.connect(lambda value: setattr(self, "_follow", value >= bar.maximum() - 8))
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.transcript)
        self.transcript.viewport().installEventFilter(self)
        self.list_toggle = QToolButton(pane)
        self.list_toggle.setProperty("flat", True)
        self.list_toggle.setCheckable(True)
        self.list_toggle.setChecked(True)
        self.list_toggle.setAccessibleName("Show the chat list")
        self.list_toggle.toggled.connect(self._show_list)
        self.title = QLabel("New chat", pane)
        self.title.setStyleSheet("font-weight: 600;")
        self.title.setAccessibleName("Chat title")
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.installEventFilter(self)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.list_toggle)
        header.addWidget(self.title, 1)
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(6, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self._build_composer(pane))
        self._show_list(True)
        return pane

    def _set_title(self, title: str) -> None:
        self._title = title
        self.title.setToolTip(title)
        width = max(40, self.title.width())
        self.title.setText(
            self.title.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, width)
        )

    def _show_list(self, shown: bool) -> None:
        self.list_pane.setVisible(shown)
        self.list_toggle.setIcon(icon("chevron-left" if shown else "chevron-right"))
        self.list_toggle.setToolTip("Hide the chat list" if shown else "Show the chat list")

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = self.width() < NARROW_WIDTH
        self.keys_hint.setVisible(self.width() >= NARROW_WIDTH - 160)
        if narrow != self._narrow:  # crossing the line folds or unfolds the list, once
            self._narrow = narrow
            self.list_toggle.setChecked(not narrow)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        if event.type() == QEvent.Type.Resize:
            if watched is self.transcript.viewport():
                self._fit_questions()
            elif watched is self.title:
                self._set_title(self._title)
        return super().eventFilter(watched, event)

    def _row_width(self) -> int:
        return min(COLUMN_WIDTH, self.transcript.viewport().width()) - 16

    def _fit_questions(self) -> None:
        width = self._row_width()
        for turn in self.turns:
            turn.fit_question(width)

    def _build_empty(self, parent: QWidget) -> QWidget:
        page = state_page(parent, "chat", EMPTY_TEXT, "No messages yet", icon_size=56)
        words = page.findChild(QLabel, "words")
        assert words is not None
        self.empty_label: QLabel = words
        return page

    def _build_composer(self, parent: QWidget) -> QWidget:
        box = QFrame(parent)
        box.setObjectName("composer")
        self.question_box = QuestionBox(box)
        self.question_box.submitted.connect(lambda: self.send())
        self.question_box.textChanged.connect(self._update_send)
        self.send_button = QPushButton(icon("send"), "Send", box)
        self.send_button.setProperty("primary", True)
        self.send_button.setAccessibleName("Send question")
        self.send_button.setToolTip("Send (Enter)")
        self.send_button.clicked.connect(lambda _checked=False: self.send())
        self.stop_button = QPushButton(icon("stop"), "Stop", box)
        self.stop_button.setAccessibleName("Stop the answer")
        self.stop_button.setToolTip("Stop the answer (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.hide()
        self.scope = QLabel("", box)
        self.scope.setProperty("role", "hint")
        self.scope.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.keys_hint = QLabel(KEYS_HINT, box)
        self.keys_hint.setProperty("role", "hint")
        row = QHBoxLayout()
        row.addWidget(self.question_box, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        hints = QHBoxLayout()
        hints.addWidget(self.scope, 1)
        hints.addWidget(self.keys_hint)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(10, 8, 10, 6)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addLayout(hints)
        self._update_scope()
        self._update_send()
        return box

    # public --------------------------------------------------------------------------------
    @property
    def current_conversation(self) -> str | None:
        return self._current

    @property
    def busy(self) -> bool:
        return self._op is not None

    def set_collections(self, names: list[str]) -> None:
        self._collections = list(names)
        self._update_scope()

    def focus_question(self) -> None:
        self.question_box.setFocus()

    def new_chat(self) -> None:
        """An empty transcript; the conversation is created with the first question."""
        self._detach_live()
        self._current = None
        self._known = {}
        self._clear_transcript()
        self._set_title("New chat")
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        self.list.clearSelection()
        self.list.blockSignals(False)
        self._update_tools()
        self.focus_question()

    def send(self, text: str | None = None) -> None:
        question = (text if text is not None else self.question_box.toPlainText()).strip()
        if not question or self.busy:
            return
        self.question_box.clear()
        if self._needs_cloud_preview():
            self._preview_then_ask(question)
        else:
            self._ask(question)

    def _needs_cloud_preview(self) -> bool:
        """Cloud-first mode shows the first request of each conversation before it leaves."""
        mode = self._engine.settings.cloud.mode
        return bool(mode == "cloud" and self._current not in self._cloud_approved)

    def _preview_then_ask(self, question: str) -> None:
        from desktop.cloud_preview import SEND_ALWAYS, CloudPreviewDialog

        def show(preview: object) -> None:
            dialog = CloudPreviewDialog(preview, self)
            self.preview_dialog = dialog
            dialog.finished.connect(lambda _code: decided(dialog.choice))
            dialog.open()

        def decided(choice: str) -> None:
            self.preview_dialog = None
            if choice == SEND_ALWAYS:
                self._approve_next = True
            if choice in (SEND_ALWAYS, "once"):
                self._ask(question)
            else:
                self.question_box.setPlainText(question)  # nothing lost

        self._list_message("Preparing what would be sent to the cloud model…")
        self._ops.query(
            self._engine.cloud_preview, question, conversation_id=self._current,
            collections=self._collections or None,
        ).success(show).failure(lambda error: self._list_message(error_message(error))).run()  # fmt: skip

    def _ask(self, question: str) -> None:
        turn = self._add_turn(question)
        self._live = turn
        self._follow = True
        op = self._ops.query(
            self._engine.ask, question, conversation_id=self._current,
            collections=self._collections or None,
        )  # fmt: skip
        op.tokens(lambda piece: turn.add_token(piece) if turn is self._live else None)
        op.success(lambda result: self._answered(turn, result))
        op.failure(lambda error: self._failed(turn, error))
        op.finally_(lambda: self._idle(op))
        self._op = op.cancellable().run()
        self._set_busy(True)

    def stop(self) -> None:
        if self._op is not None:
            self._op.cancel()
            if self._live is not None:
                self._live.stopping()

    def open_conversation(self, conversation_id: str) -> None:
        if conversation_id == self._current and self.turns:
            return
        self._detach_live()
        self._current = conversation_id
        self._known = {}
        self._clear_transcript()
        self._select(conversation_id)
        conversation = self._conversation(conversation_id)
        self._set_title(conversation.title if conversation else "")
        self._update_tools()
        self._ops.query(self._engine.turns, conversation_id).success(
            lambda turns: self._show_turns(conversation_id, turns)
        ).failure(lambda error: self._list_message(error_message(error))).run()

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        title = title.strip()
        if not title:
            return
        self._ops.write(
            self._engine.rename_conversation, conversation_id, title, touches={"conversations"}
        ).failure(self._list_failed).run()

    def delete_conversation(self, conversation_id: str, *, confirm: bool = True) -> None:
        conversation = self._conversation(conversation_id)
        title = conversation.title if conversation else "this chat"
        if confirm and not self._confirm_delete(title):
            return
        if conversation_id == self._current:
            self.new_chat()
        self._ops.write(
            self._engine.delete_conversation, conversation_id, touches={"conversations"}
        ).success(lambda _r: self._list_message(f"Deleted “{title}”.")).failure(
            self._list_failed
        ).run()

    def export_conversation(self, conversation_id: str, path: str | None = None) -> None:
        """Markdown with the cited passages; without `path` a file dialog asks where."""
        if path is None:
            conversation = self._conversation(conversation_id)
            name = _file_name(conversation.title if conversation else "chat")
            path, _filter = QFileDialog.getSaveFileName(
                self, "Export chat as Markdown", str(Path.home() / f"{name}.md"),
                "Markdown (*.md);;All files (*)",
            )  # fmt: skip
            if not path:
                return
        self._ops.query(export_to_file, self._engine, conversation_id, path).success(
            lambda written: self._list_message(f"Exported to {written.name}", str(written))
        ).failure(self._list_failed).run()

    def rename_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.list.editItem(item)

    def delete_current(self) -> None:
        if self._current is not None:
            self.delete_conversation(self._current)

    def export_current(self) -> None:
        if self._current is not None:
            self.export_conversation(self._current)

    def _confirm_delete(self, title: str) -> bool:
        answer = QMessageBox.question(
            self, "Delete chat",
            f"Delete “{title}” and its answers? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    # the answer coming back ----------------------------------------------------------------
    def _answered(self, turn: TurnWidget, result: AnswerResult) -> None:
        if self._approve_next:
            self._cloud_approved.add(result.conversation_id)
            self._approve_next = False
        if self._current is None and turn is self._live:
            self._current = result.conversation_id
            self._update_tools()
        if result.conversation_id == self._current:
            data = answer_from_result(result, self._known)
            self._known = dict(data.sources)
            if turn is self._live:
                turn.finish(data)
        self.refresh_conversations()

    def _failed(self, turn: TurnWidget, error: BaseException) -> None:
        from core.errors import Cancelled

        if turn is not self._live:
            return
        if isinstance(error, Cancelled):
            turn.stopped_early()
        else:
            turn.fail(error_message(error))
        self.refresh_conversations()

    def _idle(self, op: Any) -> None:
        if op is self._op:
            self._op = None
            self._live = None
            self._set_busy(False)

    def _detach_live(self) -> None:
        """Leaving a conversation while it answers: stop the answer, forget its widget."""
        if self._op is not None:
            self._op.cancel()
        self._live = None

    def _set_busy(self, busy: bool) -> None:
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self._update_send()

    def _update_send(self) -> None:
        self.send_button.setEnabled(bool(self.question_box.toPlainText().strip()) and not self.busy)

    def _update_scope(self) -> None:
        if not self._collections:
            text = "Searching all collections"
        elif len(self._collections) == 1:
            text = f"Searching {self._collections[0]}"
        else:
            text = f"Searching {len(self._collections)} collections: " + ", ".join(
                self._collections
            )
        self.scope.setText(text)

    # the transcript ------------------------------------------------------------------------
    def _add_turn(self, question: str) -> TurnWidget:
        turn = TurnWidget(question, self.column)
        turn.source_requested.connect(self._open)
        self.column_layout.insertWidget(self.column_layout.count() - 1, turn)
        self.turns.append(turn)
        turn.fit_question(self._row_width())
        self.stack.setCurrentWidget(self.transcript)
        return turn

    def _clear_transcript(self) -> None:
        for turn in self.turns:
            self.column_layout.removeWidget(turn)
            turn.deleteLater()
        self.turns = []
        self.stack.setCurrentWidget(self.empty)

    def _show_turns(self, conversation_id: str, turns: list[Turn]) -> None:
        if conversation_id != self._current or self._live is not None:
            return
        self._clear_transcript()
        for stored in turns:
            self._known.update({s.n: s for s in stored.new_sources})
        for stored in turns:
            self._add_turn(stored.question).finish(answer_from_turn(stored, self._known))
        self._follow = True
        if not turns:
            self.stack.setCurrentWidget(self.empty)

    def _keep_at_bottom(self, _low: int, high: int) -> None:
        if self._follow:
            self.transcript.verticalScrollBar().setValue(high)

    def _open(self, source: Source) -> None:
        self.open_source.emit(source.path, source.page, source.text)

    # the conversation list -------------------------------------------------------------------
    def refresh_conversations(self) -> None:
        self._list_sequence += 1
        sequence = self._list_sequence  # two refreshes may finish out of order: newest wins

        def show(conversations: list[Conversation]) -> None:
            if sequence == self._list_sequence:
                self._show_conversations(conversations)

        self._ops.query(self._engine.conversations).success(show).failure(self._list_failed).run()

    def _show_conversations(self, conversations: list[Conversation]) -> None:
        self.conversations = list(conversations)
        self.list.blockSignals(True)
        self.list.clear()
        for conversation in conversations:
            item = QListWidgetItem(icon("chat"), conversation.title)
            item.setData(ID_ROLE, conversation.id)
            item.setData(TITLE_ROLE, conversation.title)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            turns = f"{conversation.turns} question{'s' * (conversation.turns != 1)}"
            updated = datetime.fromtimestamp(conversation.updated).strftime("%Y-%m-%d %H:%M")
            item.setToolTip(f"{conversation.title}\n{turns} · last {updated}")
            self.list.addItem(item)
            if conversation.id == self._current:
                self.list.setCurrentItem(item)
                self._set_title(conversation.title)
        self.list.blockSignals(False)
        if self._current is not None and self._conversation(self._current) is None:
            self.new_chat()  # deleted elsewhere
        self.list_empty.setVisible(not conversations)
        self._update_tools()

    def _on_current_item(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self.open_conversation(str(item.data(ID_ROLE)))

    def _on_item_edited(self, item: QListWidgetItem) -> None:
        title, old = item.text().strip(), str(item.data(TITLE_ROLE))
        if title == old:
            return
        if not title:
            self.list.blockSignals(True)
            item.setText(old)
            self.list.blockSignals(False)
            return
        self.rename_conversation(str(item.data(ID_ROLE)), title)

    def _list_menu(self, position: Any) -> None:
        item = self.list.itemAt(position)
        if item is None:
            return
        conversation_id = str(item.data(ID_ROLE))
        menu = QMenu(self)
        menu.addAction("Rename", lambda: self.list.editItem(item))
        menu.addAction(icon("document"), "Export as Markdown…",
                       lambda: self.export_conversation(conversation_id))  # fmt: skip
        menu.addSeparator()
        menu.addAction(icon("trash"), "Delete…", lambda: self.delete_conversation(conversation_id))
        menu.exec(self.list.viewport().mapToGlobal(position))

    def _select(self, conversation_id: str) -> None:
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(ID_ROLE) == conversation_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def _conversation(self, conversation_id: str) -> Conversation | None:
        return next((c for c in self.conversations if c.id == conversation_id), None)

    def _update_tools(self) -> None:
        chosen = self._current is not None
        for button in (self.rename_button, self.export_button, self.delete_button):
            button.setEnabled(chosen)

    def _list_message(self, text: str, tip: str = "") -> None:
        self.list_status.setText(text)
        self.list_status.setToolTip(tip or text)
        self._status_timer.start()  # owned by the panel: it dies with it

    def _list_failed(self, error: BaseException) -> None:
        self._list_message(error_message(error))

    # refreshing ------------------------------------------------------------------------------
    def _on_changed(self, areas: Any) -> None:
        if not areas or "conversations" in areas:
            self.refresh_conversations()
        if not areas or "documents" in areas:
            self._check_library()

    def _check_library(self) -> None:
        self._ops.query(self._engine.documents).success(self._show_library_state).failure(
            lambda _error: None
        ).run()

    def _show_library_state(self, documents: list[Any]) -> None:
        self.has_documents = bool(documents)
        self.empty_label.setText(EMPTY_TEXT + ("" if documents else EMPTY_LIBRARY))


def export_to_file(engine: Any, conversation_id: str, path: str) -> Path:
    """Runs on the op's thread: the export and the file write are both off the UI thread."""
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".md")
    partial = target.with_name(target.name + ".part")  # never a half-written file in its place
    partial.write_text(engine.export_conversation(conversation_id), encoding="utf-8")
    partial.replace(target)
    return target


def _file_name(title: str) -> str:
    name = re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-")
    return name[:60] or "chat"
