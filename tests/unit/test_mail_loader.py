"""E-mail messages (.eml): headers, the text body (plain or HTML), charsets, attachments named;
ingest tells the guard their chunks are e-mail."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pytest

from core.engine import Engine
from core.errors import IngestError
from core.ingest.loaders import is_supported, load_document, text_kind
from core.settings import IngestSettings
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.unit


def _message(subject: str = "Your March statement is ready") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Northbank <statements@northbank.example>"
    message["To"] = "Ana Ruiz <ana@example.org>"
    message["Date"] = "Tue, 03 Mar 2026 09:12:00 +0000"
    message["Subject"] = subject
    return message


def test_plain_text_body_with_headers_and_attachment_names(tmp_path: Path) -> None:
    message = _message()
    message.set_content("Dear Ana,\n\nYour statement for March is ready.\n\nKind regards,\nNorthbank")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="statement-march.pdf")  # fmt: skip
    path = tmp_path / "statement.eml"
    path.write_bytes(message.as_bytes())
    doc = load_document(path, IngestSettings(ocr=False))
    texts = [b.text for b in doc.blocks]
    assert doc.title == "Your March statement is ready"
    assert texts[0].startswith("From: Northbank <statements@northbank.example>")
    assert "Subject: Your March statement is ready" in texts[0]
    assert "Your statement for March is ready." in texts
    assert texts[-1] == "Attachments: statement-march.pdf"
    assert "%PDF" not in " ".join(texts)  # attachments are named, not read
    assert is_supported(path) and text_kind(path) == "email" and text_kind("a.pdf") == "chunk"


def test_html_only_body_and_a_declared_charset(tmp_path: Path) -> None:
    message = _message("Reçu de votre commande")
    message.set_content("<html><body><h1>Merci !</h1><p>Total payé : 42,50 EUR</p></body></html>",
                        subtype="html", charset="iso-8859-1")  # fmt: skip
    path = tmp_path / "recu.eml"
    path.write_bytes(message.as_bytes())
    doc = load_document(path, IngestSettings(ocr=False))
    body = " ".join(b.text for b in doc.blocks)
    assert "Total payé : 42,50 EUR" in body and "<p>" not in body


def test_a_message_without_text_is_reported_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.eml"
    path.write_bytes(b"\r\n\r\n")
    with pytest.raises(IngestError) as caught:
        load_document(path, IngestSettings(ocr=False))
    assert caught.value.reason == "empty" and "blank.eml" in str(caught.value)


def test_ingest_tells_the_guard_which_chunks_are_e_mail(tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def tagger(texts: list[str], vectors: np.ndarray, kinds: list[str]) -> list[tuple[str, ...]]:
        seen.update(zip(texts, kinds, strict=True))
        return [() for _ in texts]

    docs = tmp_path / "docs"
    docs.mkdir()
    message = _message()
    message.set_content("Please sign and return the attached form by Friday.")
    (docs / "form.eml").write_bytes(message.as_bytes())
    (docs / "notes.txt").write_text("The lease runs for two years from March.", encoding="utf-8")
    with Engine(tmp_path / "home", embedder=FakeEmbedder(), tagger=tagger) as engine:
        engine.ingest([docs])
    kinds = {("form" if "sign and return" in t else "notes" if "lease" in t else "?"): k
             for t, k in seen.items()}  # fmt: skip
    assert kinds["form"] == "email" and kinds["notes"] == "chunk"
