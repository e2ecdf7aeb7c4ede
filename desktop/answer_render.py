"""What an answer shows and how its Markdown is drawn, free of widgets.

AnswerData gathers an answer from a live result or a stored turn; render_markdown turns its
text into a QTextDocument with [n] markers as cite:n links and code and tables styled, and
mark_unsupported marks the sentences the grounding check could not support.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import (
    QBrush,
    QColor,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextFrame,
    QTextFrameFormat,
    QTextLength,
    QTextTable,
)

from desktop.theme import is_dark

if TYPE_CHECKING:
    from core.chat.result import AnswerResult
    from core.chat.sources import Source
    from core.chat.store import Turn

CITE_SCHEME = "cite"
INLINE_CODE_RE = re.compile(r"`[^`\n]+`")
MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
CLOUD_BACKENDS = frozenset({"cloud", "openai", "anthropic", "gemini", "openai-compatible"})
SNIPPET_CHARS = 170
UNSUPPORTED_TIP = "Not supported by the sources"
UNSUPPORTED_TINT = ("#FFF3BF", "#4D3F0F")  # light, dark
UNSUPPORTED_LINE = "#E8590C"


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
        title = f"[{n}] {where(source)}: {snippet(source.text, 200)}" if source else f"[{n}]"
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


def where(source: Source) -> str:
    """The file name and its page, as a person would say where a passage is."""
    page = f", page {source.pages_label}" if source.pages_label else ""
    return f"{source.file_name}{page}"


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The opening words of a passage on one line, cut at a word."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
