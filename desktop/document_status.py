"""How a document's catalog state reads in the library: its status (indexed, partly
indexed, needs OCR, failed with the reason, unsupported, being indexed) and the words a
person reads for the ingest pipeline's reason codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.ingest.catalog import DocumentRecord

# What a person reads for the pipeline's reason codes.
REASONS = {
    "corrupt": "damaged file",
    "empty": "no text to index",
    "unreadable": "could not be read",
    "too_large": "too large",
    "encrypted": "password-protected",
    "missing": "file missing",
    "needs_ocr": "needs OCR",
    "unsupported": "unsupported format",
}


@dataclass(frozen=True)
class Status:
    kind: str  # indexed | needs_ocr | failed | unsupported | pending
    text: str
    icon: str
    detail: str


def status_of(record: DocumentRecord) -> Status:
    """How a document's state reads in the table (and its full explanation)."""
    if record.status == "indexed":
        if record.warning:
            text = "Partly indexed" if "OCR" in record.warning else "Indexed (see note)"
            return Status("indexed", text, "warning", record.warning)
        pages = f" from {record.pages} page{'s' * (record.pages != 1)}" if record.pages else ""
        return Status("indexed", "Indexed", "check", f"{record.chunks} passages{pages}.")
    if record.status == "pending":
        if record.pending_version is None:  # a crash or kill; recovery dropped its chunks
            return Status("failed", "Interrupted", "warning",
                          "Indexing stopped before this file was done. Add it again to resume.")  # fmt: skip
        return Status("pending", "Indexing…", "layers", "Being indexed now.")
    reason = record.reason or "unreadable"
    detail = record.error or REASONS.get(reason, reason)
    if reason == "needs_ocr":
        return Status("needs_ocr", "Needs OCR", "warning", detail)
    if reason == "unsupported":
        return Status("unsupported", "Unsupported", "warning", detail)
    return Status("failed", f"Failed: {REASONS.get(reason, reason.replace('_', ' '))}",
                  "warning", detail)  # fmt: skip
