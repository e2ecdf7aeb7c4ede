"""Text read faithfully: UTF-8 with a few broken bytes stays UTF-8 (with a warning saying how
many bytes were replaced); files in a legacy code page are still detected as such."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.engine import Engine
from core.ingest.loaders import load_document
from core.ingest.loaders.text import decode_bytes
from core.settings import IngestSettings

pytestmark = pytest.mark.unit

NO_OCR = IngestSettings(ocr=False)
FRENCH = (
    "Le café de la gare ouvre à sept heures. Crème brûlée, thé glacé et déjeuner léger.\n\n"
    "On y parle de la façon dont Noël arrive chaque année, à pas feutrés.\n\n"
)


def test_utf8_cut_off_mid_character_stays_utf8_with_a_warning(tmp_path: Path) -> None:
    data = (FRENCH * 20).encode("utf-8") + "café".encode()[:-1]  # a truncated download
    decoded = decode_bytes(data)
    assert decoded.encoding == "utf-8" and decoded.bad_bytes == 1
    assert "café" in decoded.text and "cafÃ" not in decoded.text
    assert decoded.text.endswith("caf\ufffd")


def test_utf8_with_pasted_garbage_bytes_is_loaded_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(FRENCH.encode() * 10 + b"\x1b[0m\xff\xfe\x9b garbage\n\n" + FRENCH.encode())
    doc = load_document(path, NO_OCR)
    assert "café" in doc.text and "Ã" not in doc.text
    assert doc.warnings == ["3 bytes could not be decoded as UTF-8 and were replaced"]


def test_short_utf8_file_cut_off_keeps_its_one_accent(tmp_path: Path) -> None:
    decoded = decode_bytes("Un café, merci.".encode() + b"\xc3")
    assert (decoded.encoding, decoded.bad_bytes) == ("utf-8", 1)
    assert decoded.text.startswith("Un café, merci.")


@pytest.mark.parametrize("suffix", [".md", ".html", ".py"])
def test_every_text_loader_carries_the_warning(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"page{suffix}"
    path.write_bytes(b"# Titre\n\n" + FRENCH.encode() * 5 + b"\xff\n")
    doc = load_document(path, NO_OCR)
    assert "café" in doc.text
    assert doc.warnings == ["1 byte could not be decoded as UTF-8 and were replaced"]


def test_valid_utf8_has_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "ok.txt"
    path.write_text(FRENCH, encoding="utf-8")
    assert load_document(path, NO_OCR).warnings == []


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (FRENCH * 5, "latin-1"),
        ("“Smart quotes” — and an en dash – in a Windows file, café.\n\n" * 20, "cp1252"),
        (
            "東京の天気は晴れです。明日は雨が降るでしょう。日本語の文章を書きます。\n\n" * 20,
            "shift_jis",
        ),
    ],
)
def test_legacy_encodings_are_still_detected(text: str, encoding: str) -> None:
    decoded = decode_bytes(text.encode(encoding))
    assert decoded.bad_bytes == 0 and decoded.encoding != "utf-8"
    assert decoded.text == text


def test_warning_reaches_the_catalog_and_the_report(home: Path, tmp_path: Path) -> None:
    from tests.fakes import FakeEmbedder

    path = tmp_path / "cut.txt"
    path.write_bytes(FRENCH.encode() * 5 + b"\xe9\xe9")
    engine = Engine(home, embedder=FakeEmbedder(), tagger=lambda texts, *_: [() for _ in texts])
    report = engine.ingest([path])
    assert report.added == 1 and report.warnings == [
        f"{path}: 2 bytes could not be decoded as UTF-8 and were replaced"
    ]
    (record,) = engine.documents()
    assert record.status == "indexed" and record.warning and "2 bytes" in record.warning
    assert engine.search("café", k=1, mode="keyword")[0].path == str(path)
