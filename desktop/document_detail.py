"""The line under the documents table about the one selected document: its status in full
and what the guard flagged in its passages at ingest (GuardSummary), with a "show" link
to the first passage read as prompt injection."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from desktop.document_status import status_of
from desktop.theme import is_dark

if TYPE_CHECKING:
    from core.index.types import SearchHit
    from core.ingest.catalog import DocumentRecord


@dataclass(frozen=True)
class GuardSummary:
    """What the guard flagged in one document's passages at ingest."""

    passages: int
    injection: int
    pii: int
    secrets: int
    first_injection: SearchHit | None

    @classmethod
    def of(cls, hits: list[SearchHit]) -> GuardSummary:
        injected = [h for h in hits if "injection" in h.flags]
        return cls(
            passages=len(hits),
            injection=len(injected),
            pii=sum(any(f.startswith("pii:") for f in h.flags) for h in hits),
            secrets=sum(any(f.startswith("secret:") for f in h.flags) for h in hits),
            first_injection=injected[0] if injected else None,
        )

    def html(self) -> str:
        parts = []
        if self.injection:
            colour = "#B197FC" if is_dark() else "#7048E8"
            parts.append(f"<span style='color:{colour}; font-weight:600'>{self.injection} "
                         f"passage{'s' * (self.injection != 1)} read as prompt injection</span>"
                         " (<a href='show'>show</a>)")  # fmt: skip
        if self.pii:
            parts.append(f"personal data in {self.pii}")
        if self.secrets:
            parts.append(f"secrets in {self.secrets}")
        if not parts:
            return "<span style='color:gray'>The guard flagged none of its passages.</span>"
        return "Guard: " + " · ".join(parts)


class DocumentDetail(QLabel):
    """Hidden until one document is selected; the panel answers its "show" link."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self.setAccessibleName("Selected document")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.hide()

    def show_record(self, record: DocumentRecord, guard: GuardSummary | None) -> None:
        status = status_of(record)
        html = (f"<b>{escape(Path(record.path).name)}</b> — {status.text}<br>"
                f"<span style='color:gray'>{escape(status.detail)}</span>")  # fmt: skip
        if guard is not None:
            html += "<br>" + guard.html()
        self.setText(html)
        self.setToolTip(record.path)
        self.show()
