"""Plain text and source code: decode any encoding, split into paragraphs."""

from __future__ import annotations

import codecs
from pathlib import Path

from core.errors import IngestError
from core.ingest.document import Block, Document
from core.ingest.loaders._common import display_name, text_blocks

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str:
    """Bytes to text: BOM first, then strict UTF-8, then charset detection, then cp1252."""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(bom_encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    guessed = _guess_encoding(data)
    for encoding in (guessed, "cp1252"):
        if encoding is not None:
            try:
                return data.decode(encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    # latin-1 maps every byte, so this never fails.
    return data.decode("latin-1")


def _utf16_without_bom(data: bytes) -> str | None:
    """ASCII-heavy UTF-16 has a zero in every other byte; which half tells the order."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_zero = sample[0::2].count(0) / len(sample[0::2])
    odd_zero = sample[1::2].count(0) / len(sample[1::2])
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def _guess_encoding(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:
        return None
    best = from_bytes(data[:200_000]).best()
    return best.encoding if best is not None else None


def looks_binary(data: bytes) -> bool:
    """NUL bytes (outside UTF-16/32 text) or mostly control characters mean not text."""
    sample = data[:8192]
    if any(sample.startswith(bom) for bom, _ in _BOMS) or _utf16_without_bom(sample):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.1


def read_text_file(path: Path) -> str:
    data = path.read_bytes()
    if looks_binary(data):
        raise IngestError(
            f"{display_name(path)} does not look like a text file (it contains binary data). "
            "Convert it to text or a supported format and add it again.",
            reason="unsupported",
        )
    return decode_text(data).replace("\r\n", "\n").replace("\r", "\n")


def load_text(path: Path) -> Document:
    text = read_text_file(path)
    return Document(path=path, title=path.stem, blocks=text_blocks(text))


def load_code(path: Path) -> Document:
    """Source and config files: the file name is the only heading worth having."""
    text = read_text_file(path)
    heading = (path.name,)
    blocks: list[Block] = text_blocks(text, heading_path=heading)
    return Document(path=path, title=path.name, blocks=blocks)
