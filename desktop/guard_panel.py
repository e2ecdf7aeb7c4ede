"""The guard panel: what the on-device guard sees in a text, and what ever left the machine.

"Check a text" runs the guard on pasted or typed text (the CLI's `guard scan`): personal
data and secrets are coloured where they stand, a prompt injection is underlined and
explained. "Egress log" lists every request sent to a cloud model with the exact bytes
sent, and verifies the log's hash chain.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.theme import highlight_colour, icon

if TYPE_CHECKING:
    from core.guard.egress import EgressRecord, VerifyResult
    from core.guard.scan import GuardScan

PLACEHOLDER_RE = re.compile(r"<[A-Z][A-Z_]*?_\d{1,4}>")  # what the vault put in place of a value
SCAN_DELAY_MS = 700  # typing pause before the text is scanned again
MAX_SCAN_CHARS = 200_000
PLACEHOLDER = (
    "Paste or type text here: an e-mail, a contract clause, a prompt you received.\n"
    "Enclave shows the personal data, secrets and prompt-injection attempts it finds, "
    "on this machine."
)
EMPTY_EGRESS = (
    "<p style='font-size:13pt'><b>Nothing has left this machine.</b></p>"
    "<p>Every question so far was answered by the local model. If you switch a cloud model on "
    "in Settings, each request is written here, byte for byte, <i>before</i> it is sent, "
    "with what the guard redacted.</p>"
)


@dataclass(frozen=True)
class Finding:
    kind: str  # pii | secret | injection
    type: str
    start: int
    end: int
    text: str
    detail: str


def findings_of(scan: GuardScan, text: str) -> list[Finding]:
    """One list for the view: spans of PII and secrets, and the injection verdict."""
    found = [Finding("pii", f.type, f.start, f.end, f.text, f"score {f.score:.2f}")
             for f in scan.pii]  # fmt: skip
    found += [Finding("secret", s.type, s.start, s.end, _masked(text[s.start : s.end]), "secret")
              for s in scan.secrets]  # fmt: skip
    injection = scan.injection
    if injection is not None and injection.flagged:
        reasons = ", ".join(r.replace("_", " ") for r in injection.reasons) or "learned scorer"
        found.append(Finding("injection", "PROMPT_INJECTION", 0, len(text), "the whole text",
                             f"score {injection.score:.2f}: {reasons}"))  # fmt: skip
    return sorted(found, key=lambda f: (f.start, f.kind))


def _masked(secret: str) -> str:
    """Enough of a secret to recognise it, never all of it on screen."""
    if len(secret) <= 8:
        return "•" * len(secret)
    return f"{secret[:4]}{'•' * min(12, len(secret) - 6)}{secret[-2:]}"


class GuardPanel(QWidget):
    def __init__(self, ops: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ops = ops
        self._engine = ops.engine
        self.findings: list[Finding] = []
        self.records: list[EgressRecord] = []
        self.last_verify: VerifyResult | None = None
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_scan_tab(), icon("shield"), "Check a text")
        self.tabs.addTab(self._build_egress_tab(), icon("cloud"), "Egress log")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.tabs)
        self._timer = QTimer(self, singleShot=True, interval=SCAN_DELAY_MS)
        self._timer.timeout.connect(self.scan)
        self.editor.textChanged.connect(self._timer.start)
        changed = getattr(ops, "changed", None)
        if changed is not None:
            changed.connect(self._on_changed)
        self.refresh_egress()

    # check a text ------------------------------------------------------------------------
    def _build_scan_tab(self) -> QWidget:
        page = QWidget(self)
        self.editor = QPlainTextEdit(page)
        self.editor.setPlaceholderText(PLACEHOLDER)
        self.editor.setAccessibleName("Text to check")
        self.scan_button = QPushButton(icon("search"), "Check now", page)
        self.scan_button.setProperty("primary", True)
        self.scan_button.clicked.connect(self.scan)
        self.verdict = QLabel("The guard checks the text as you type. Nothing is sent anywhere.")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.legend = QLabel(_legend_html(), page)
        self.legend.setProperty("role", "hint")
        self.findings_view = QTreeWidget(page)
        self.findings_view.setHeaderLabels(["Finding", "Text", "Where", "Detail"])
        self.findings_view.setRootIsDecorated(False)
        self.findings_view.setAccessibleName("Guard findings")
        self.findings_view.itemActivated.connect(self._select_finding)
        self.findings_view.itemClicked.connect(self._select_finding)
        self.findings_view.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        top = QHBoxLayout()
        top.addWidget(self.verdict, 1)
        top.addWidget(self.scan_button)
        splitter = QSplitter(Qt.Orientation.Vertical, page)
        splitter.addWidget(self.editor)
        splitter.addWidget(self.findings_view)
        splitter.setSizes([320, 180])
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.legend)
        return page

    def scan(self) -> None:
        """Run the guard on the editor's text (in the background); results paint inline."""
        self._timer.stop()
        text = self.editor.toPlainText()[:MAX_SCAN_CHARS]
        if not text.strip():
            self._show_findings(text, [])
            self.verdict.setText("The guard checks the text as you type. Nothing is sent anywhere.")
            return
        self.scan_button.setEnabled(False)
        self.verdict.setText("Checking…")

        def done(scan: GuardScan) -> None:
            self.scan_button.setEnabled(True)
            if self.editor.toPlainText()[:MAX_SCAN_CHARS] == text:
                self._show_scan(text, scan)

        def failed(error: BaseException) -> None:
            self.scan_button.setEnabled(True)
            self.verdict.setText(f"The guard could not check this text: {error}")

        self._ops.query(self._engine.guard_scan, text).success(done).failure(failed).run()

    def _show_scan(self, text: str, scan: GuardScan) -> None:
        found = findings_of(scan, text)
        self._show_findings(text, found)
        self.verdict.setText(_verdict_html(scan, found))

    def _show_findings(self, text: str, found: list[Finding]) -> None:
        self.findings = found
        self.findings_view.clear()
        for finding in found:
            where = (
                "whole text" if finding.kind == "injection" else f"{finding.start}–{finding.end}"
            )
            item = QTreeWidgetItem([_label(finding), finding.text, where, finding.detail])
            item.setIcon(0, icon({"pii": "key", "secret": "key"}.get(finding.kind, "warning")))
            item.setBackground(0, highlight_colour(finding.kind))
            item.setData(0, Qt.ItemDataRole.UserRole, (finding.start, finding.end))
            self.findings_view.addTopLevelItem(item)
        self.editor.setExtraSelections([_selection(self.editor, f) for f in found])

    @property
    def highlighted(self) -> list[tuple[str, str]]:
        """(kind, text) of every inline highlight, for tests and accessibility."""
        text = self.editor.toPlainText()
        return [(f.kind, text[f.start : f.end]) for f in self.findings]

    def _select_finding(self, item: QTreeWidgetItem) -> None:
        start, end = item.data(0, Qt.ItemDataRole.UserRole)
        cursor = self.editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(min(end, start + 2000), QTextCursor.MoveMode.KeepAnchor)
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    # egress log --------------------------------------------------------------------------
    def _build_egress_tab(self) -> QWidget:
        page = QWidget(self)
        self.egress_stack = QStackedWidget(page)
        self.egress_empty = _empty_state(page)
        self.table = QTableWidget(0, 5, page)
        self.table.setHorizontalHeaderLabels(["Time", "Destination", "Sent", "Redacted", "Reply"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setAccessibleName("Egress log")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._show_selected_payload)
        self.payload = QPlainTextEdit(page)
        self.payload.setReadOnly(True)
        self.payload.setAccessibleName("Exact payload sent")
        self.payload.setPlaceholderText("Select a request to see exactly what was sent.")
        self.payload.setFont(QFont("monospace"))
        self.payload_caption = QLabel("", page)
        self.payload_caption.setProperty("role", "hint")
        self.payload_caption.setWordWrap(True)
        self.indent = QCheckBox("Indent JSON for reading", page)
        self.indent.setToolTip("Off: the exact bytes sent. On: the same JSON, indented.")
        self.indent.toggled.connect(self._show_selected_payload)
        records = QWidget(page)
        split = QSplitter(Qt.Orientation.Vertical, records)
        split.addWidget(self.table)
        detail = QWidget(split)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 6, 0, 0)
        caption = QHBoxLayout()
        caption.addWidget(self.payload_caption, 1)
        caption.addWidget(self.indent)
        detail_layout.addLayout(caption)
        detail_layout.addWidget(self.payload, 1)
        split.addWidget(detail)
        records_layout = QVBoxLayout(records)
        records_layout.setContentsMargins(0, 0, 0, 0)
        records_layout.addWidget(split)
        self.egress_stack.addWidget(self.egress_empty)
        self.egress_stack.addWidget(records)
        self.verify_button = QPushButton(icon("check"), "Verify log", page)
        self.verify_button.setToolTip("Recompute the hash chain: any edited or removed row shows.")
        self.verify_button.clicked.connect(self.verify)
        self.refresh_button = QPushButton("Refresh", page)
        self.refresh_button.clicked.connect(self.refresh_egress)
        self.verify_label = QLabel("", page)
        self.verify_label.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(self.verify_label, 1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.verify_button)
        layout = QVBoxLayout(page)
        layout.addLayout(bar)
        layout.addWidget(self.egress_stack, 1)
        return page

    def _on_changed(self, areas: Any) -> None:
        if not areas or "egress" in areas:
            self.refresh_egress()

    def refresh_egress(self) -> None:
        self._ops.query(self._engine.egress_records).success(self._show_records).run()

    def _show_records(self, records: list[EgressRecord]) -> None:
        self.records = list(reversed(records))  # newest first
        self.table.setRowCount(len(self.records))
        for row, record in enumerate(self.records):
            cells = [_local_time(record.ts), f"{record.provider} · {record.model}",
                     _size(len(record.payload)), _redactions(record.redactions),
                     _size(record.response_size)]  # fmt: skip
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, record.id)
                if column in (2, 4):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        self.egress_stack.setCurrentIndex(1 if self.records else 0)
        self.verify_button.setEnabled(bool(self.records))
        if self.records and not self.table.selectedItems():
            self.table.selectRow(0)

    def _show_selected_payload(self) -> None:
        items = self.table.selectedItems()
        if not items:
            return
        record_id = int(items[0].data(Qt.ItemDataRole.UserRole))
        record = next((r for r in self.records if r.id == record_id), None)
        if record is None:
            return
        self.payload.setPlainText(_payload_text(record.payload, self.indent.isChecked()))
        self.payload.setExtraSelections(_placeholder_marks(self.payload))
        self.payload_caption.setText(
            f"Request {record.id}: {len(record.payload):,} bytes to {record.provider} "
            f"({record.model}) at {_local_time(record.ts)} · hash {record.hash[:16]}…"
        )

    def verify(self) -> None:
        self.verify_label.setText("Verifying…")
        self._ops.query(self._engine.egress_verify).success(self._show_verify).run()

    def _show_verify(self, result: VerifyResult) -> None:
        self.last_verify = result
        if result.ok:
            colour = "#2B8A3E"
            text = f"✓ Log intact: {result.rows} request(s), hash chain verified."
        else:
            colour = "#C92A2A"
            text = "✗ Log tampered with: " + "; ".join(result.problems)
        self.verify_label.setText(f"<span style='color:{colour}; font-weight:600'>{text}</span>")


# -- small pieces -------------------------------------------------------------------------
def _selection(editor: QPlainTextEdit, finding: Finding) -> QTextEdit.ExtraSelection:
    fmt = QTextCharFormat()
    if finding.kind == "injection":
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor("#7048E8"))
    else:
        fmt.setBackground(highlight_colour(finding.kind))
        fmt.setToolTip(f"{_label(finding)} ({finding.detail})")
    cursor = QTextCursor(editor.document())
    cursor.setPosition(finding.start)
    cursor.setPosition(finding.end, QTextCursor.MoveMode.KeepAnchor)
    selection = QTextEdit.ExtraSelection()
    selection.cursor = cursor
    selection.format = fmt
    return selection


def _placeholder_marks(view: QPlainTextEdit) -> list[QTextEdit.ExtraSelection]:
    """The vault's placeholders in a payload, marked: each stands for a redacted value."""
    fmt = QTextCharFormat()
    fmt.setBackground(highlight_colour("pii"))
    marks = []
    for match in PLACEHOLDER_RE.finditer(view.toPlainText()):
        cursor = QTextCursor(view.document())
        cursor.setPosition(match.start())
        cursor.setPosition(match.end(), QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = fmt
        marks.append(selection)
    return marks


def _label(finding: Finding) -> str:
    if finding.kind == "injection":
        return "Prompt injection"
    return finding.type.replace("_", " ").title().replace("Iban", "IBAN").replace("Ssn", "SSN")


def _verdict_html(scan: GuardScan, found: list[Finding]) -> str:
    pii = sum(f.kind == "pii" for f in found)
    secrets = sum(f.kind == "secret" for f in found)
    parts = []
    injection = scan.injection
    if injection is not None and injection.flagged:
        parts.append(f"<b style='color:#7048E8'>Prompt injection</b> (score {injection.score:.2f})")
    if pii:
        parts.append(f"<b>{pii}</b> personal data item{'s' * (pii != 1)}")
    if secrets:
        parts.append(f"<b>{secrets}</b> secret{'s' * (secrets != 1)}")
    if not parts:
        verdict = "<b style='color:#2B8A3E'>Nothing sensitive found.</b>"
    else:
        verdict = "Found: " + ", ".join(parts) + "."
    if not scan.names_detected:
        verdict += (
            " <span style='color:gray'>Names are detected only after Mr/Ms/Dr"
            " (name detection is off).</span>"
        )
    return verdict


def _legend_html() -> str:
    swatch = "<span style='background:{}'>&nbsp;{}&nbsp;</span>"
    return "  ".join([
        swatch.format(highlight_colour("pii").name(), "personal data"),
        swatch.format(highlight_colour("secret").name(), "secret"),
        "<span style='text-decoration: underline wavy #7048E8'>prompt injection</span>",
    ])  # fmt: skip


def _empty_state(parent: QWidget) -> QWidget:
    page = QWidget(parent)
    picture = QLabel(page)
    picture.setPixmap(icon("shield").pixmap(QSize(56, 56)))
    picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
    words = QLabel(EMPTY_EGRESS, page)
    words.setWordWrap(True)
    words.setAlignment(Qt.AlignmentFlag.AlignCenter)
    words.setMaximumWidth(520)
    words.setAccessibleName("Nothing has left this machine")
    layout = QVBoxLayout(page)
    layout.addStretch(1)
    layout.addWidget(picture)
    layout.addWidget(words, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(2)
    return page


def _local_time(ts: str) -> str:
    try:
        return datetime.fromisoformat(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ts


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def _redactions(counts: dict[str, int]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{k.replace('_', ' ').lower()} {v}" for k, v in sorted(counts.items()))


def _payload_text(payload: bytes, indent: bool) -> str:
    """The bytes sent, as text; with `indent`, JSON indented for reading."""
    text = payload.decode("utf-8", errors="replace")
    if not indent:
        return text
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
