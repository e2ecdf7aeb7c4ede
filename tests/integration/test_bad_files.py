"""Bad inputs built from the real shared PDFs: each is refused with its reason code and a
message naming the file, never with a traceback from a parser library."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from core.errors import IngestError
from core.ingest.loaders import load_document
from core.settings import IngestSettings

pytestmark = pytest.mark.integration

PDFS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs"
PAPER = PDFS / "pdfplumber__issue-982-example.pdf"
NO_OCR = IngestSettings(ocr=False)

if not PAPER.is_file():
    pytest.skip(f"shared PDFs not found at {PDFS}", allow_module_level=True)


def refusal(path: Path, settings: IngestSettings = NO_OCR) -> IngestError:
    with pytest.raises(IngestError) as caught:
        load_document(path, settings)
    assert path.name in str(caught.value)
    assert "Traceback" not in str(caught.value)
    return caught.value


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    data = PAPER.read_bytes()
    path = tmp_path / "half.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert refusal(path).reason == "corrupt"


def test_random_bytes_with_pdf_header_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "noise.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(50_000))
    assert refusal(path).reason == "corrupt"


def test_text_named_pdf_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("just some notes, not a PDF\n" * 10, encoding="utf-8")
    error = refusal(path)
    assert error.reason == "corrupt" and "PDF" in str(error)


def test_real_pdf_with_password_is_encrypted(tmp_path: Path) -> None:
    import pymupdf

    path = tmp_path / "locked.pdf"
    with pymupdf.open(PAPER) as doc:
        doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw", owner_pw="owner")
    error = refusal(path)
    assert error.reason == "encrypted" and "password" in str(error)


def test_pdf_over_size_limit(tmp_path: Path) -> None:
    path = tmp_path / PAPER.name
    shutil.copy(PAPER, path)
    error = refusal(path, IngestSettings(ocr=False, max_file_mb=0.5))
    assert error.reason == "too_large" and "MB" in str(error)


def test_zero_byte_pdf_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "zero.pdf"
    path.touch()
    assert refusal(path).reason == "empty"


def test_executable_is_unsupported(tmp_path: Path) -> None:
    path = tmp_path / "tool.exe"
    path.write_bytes(b"MZ" + os.urandom(4096))
    assert refusal(path).reason == "unsupported"


def test_pdf_with_wrong_suffix_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "paper.txt"
    shutil.copy(PAPER, path)
    doc = load_document(path, NO_OCR)
    assert doc.page_count == 8 and "Creativity in Machine Learning" in doc.text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "private.txt"
    path.write_text("secret", encoding="utf-8")
    path.chmod(0)
    assert refusal(path).reason == "unreadable"
