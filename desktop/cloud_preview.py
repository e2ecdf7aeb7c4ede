"""Before the first cloud request of a conversation: the exact bytes that would leave, with
the guard's placeholders marked, and the person's choice (Send for this conversation /
Send once / Cancel). The request shown is `Engine.cloud_preview`, which sends nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import highlight_colour, icon

SEND_ALWAYS, SEND_ONCE, CANCEL = "always", "once", "cancel"


def _summary(preview: Any) -> str:
    where = preview.base_url or "the provider's own address"
    redacted = ", ".join(f"{count} {kind.replace('_', ' ').lower()}"
                         for kind, count in sorted(preview.redactions.items()))  # fmt: skip
    left_out = ", ".join(f"{count} {why}" for why, count in preview.left_out.items())
    lines = [f"<b>{len(preview.body):,} bytes</b> to <b>{preview.provider}</b> "
             f"({preview.model}) at {where}."]  # fmt: skip
    lines.append(f"Replaced by placeholders: {redacted}." if redacted
                 else "Nothing needed replacing.")  # fmt: skip
    if left_out:
        lines.append(f"Passages left out: {left_out}.")
    lines.append("The request is written to the egress log before it is sent.")
    return "<br>".join(lines)


class CloudPreviewDialog(QDialog):
    """`choice` is SEND_ALWAYS, SEND_ONCE or CANCEL once the dialog closes."""

    def __init__(self, preview: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice = CANCEL
        self.setWindowTitle("Send to the cloud model?")
        self.resize(820, 560)
        summary = QLabel(_summary(preview) if preview.would_send
                         else f"<b>Nothing will be sent.</b> {preview.reason}", self)  # fmt: skip
        summary.setWordWrap(True)
        summary.setAccessibleName("What would be sent")
        self.body = QPlainTextEdit(preview.text, self)
        self.body.setReadOnly(True)
        self.body.setAccessibleName("Exact request body")
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self._mark(preview.placeholder_spans)
        self.send_always = QPushButton(icon("cloud"), "Send (this conversation)", self)
        self.send_once = QPushButton("Send once", self)
        cancel = QPushButton("Cancel", self)
        for button, choice in ((self.send_always, SEND_ALWAYS), (self.send_once, SEND_ONCE),
                               (cancel, CANCEL)):  # fmt: skip
            button.clicked.connect(lambda _=False, c=choice: self._choose(c))
        self.send_always.setEnabled(preview.would_send)
        self.send_once.setEnabled(preview.would_send)
        cancel.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.send_always, self.send_once, cancel):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.body, 1)
        layout.addLayout(buttons)

    def _mark(self, spans: list[tuple[int, int]]) -> None:
        marks = []
        colour = QColor(highlight_colour("pii"))
        for start, end in spans:
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(self.body.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            char = QTextCharFormat()
            char.setBackground(colour)
            selection.format = char
            marks.append(selection)
        self.body.setExtraSelections(marks)
        self.marked = len(marks)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        if choice == CANCEL:
            self.reject()
        else:
            self.accept()
