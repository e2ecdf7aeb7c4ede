"""Plain text and source code: decode any encoding, split into paragraphs."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
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


# UTF-8 with a few broken bytes (a truncated download, a pasted control sequence) stays
# UTF-8 when at least one multi-byte character decodes (text in a legacy code page almost
# never forms one by chance: nearly all its non-ASCII bytes are invalid UTF-8) and the bad
# bytes are at most this share of the non-ASCII bytes, or a handful (FEW_BAD_BYTES, and no
# more than the characters that do decode), as in a short file cut off mid-character.
MAX_BAD_SHARE = 0.1
FEW_BAD_BYTES = 4
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # surrogateescape's stand-ins for bad bytes
_NON_ASCII_CHAR = re.compile("[^\x00-\x7f]")
_NON_ASCII_BYTE = re.compile(b"[\x80-\xff]")
PREFERRED_ON_TIE = ("cp1252", "latin_1", "iso8859_15")


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    bad_bytes: int = 0  # bytes replaced by U+FFFD

    @property
    def warning(self) -> str | None:
        if not self.bad_bytes:
            return None
        plural = "byte" if self.bad_bytes == 1 else "bytes"
        return f"{self.bad_bytes} {plural} could not be decoded as UTF-8 and were replaced"


def decode_text(data: bytes) -> str:
    return decode_bytes(data).text


def decode_bytes(data: bytes) -> DecodedText:
    """Bytes to text: BOM first, then UTF-8 (strict, or with a few bad bytes replaced), then
    charset detection, then cp1252."""
    for bom, bom_encoding in _BOMS:
        if data.startswith(bom):
            return DecodedText(data.decode(bom_encoding, errors="replace"), bom_encoding)
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16:
        return DecodedText(data.decode(utf16, errors="replace"), utf16)
    bad = _mostly_utf8(data)
    if bad is not None:
        return DecodedText(data.decode("utf-8", errors="replace"), "utf-8", bad)
    guessed = _guess_encoding(data)
    for encoding in (guessed, "cp1252"):
        if encoding is not None:
            try:
                return DecodedText(data.decode(encoding), encoding)
            except (UnicodeDecodeError, LookupError):
                continue
    # latin-1 maps every byte, so this never fails.
    return DecodedText(data.decode("latin-1"), "latin-1")


def _mostly_utf8(data: bytes) -> int | None:
    """How many bytes are not UTF-8, when the rest is UTF-8 with multi-byte characters."""
    escaped = data.decode("utf-8", errors="surrogateescape")
    bad = len(_ESCAPED_BYTE.findall(escaped))
    multibyte = len(_NON_ASCII_CHAR.findall(escaped)) - bad
    non_ascii = len(_NON_ASCII_BYTE.findall(data))
    allowed = max(MAX_BAD_SHARE * non_ascii, min(FEW_BAD_BYTES, multibyte))
    if multibyte == 0 or bad > allowed:
        return None
    return bad


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
    matches = from_bytes(data[:200_000])
    best = matches.best()
    if best is None:
        return None
    # Western text often fits several code pages equally well (French reads the same in
    # cp1250 but for à, è, ű): on a tie the most common one, Windows-1252, wins.
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    return next((e for e in PREFERRED_ON_TIE if e in tied), best.encoding)


def looks_binary(data: bytes) -> bool:
    """NUL bytes (outside UTF-16/32 text) or mostly control characters mean not text."""
    sample = data[:8192]
    if any(sample.startswith(bom) for bom, _ in _BOMS) or _utf16_without_bom(sample):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and controls / len(sample) > 0.1


def read_text(path: Path) -> DecodedText:
    """A text file's decoded content, newlines normalized; binary files are refused."""
    data = path.read_bytes()
    if looks_binary(data):
        raise IngestError(
            f"{display_name(path)} does not look like a text file (it contains binary data). "
            "Convert it to text or a supported format and add it again.",
            reason="unsupported",
        )
    decoded = decode_bytes(data)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedText(text, decoded.encoding, decoded.bad_bytes)


def read_text_file(path: Path) -> str:
    return read_text(path).text


def decode_warnings(decoded: DecodedText) -> list[str]:
    return [decoded.warning] if decoded.warning else []


def load_text(path: Path) -> Document:
    decoded = read_text(path)
    return Document(
        path=path,
        title=path.stem,
        blocks=text_blocks(decoded.text),
        warnings=decode_warnings(decoded),
    )


def load_code(path: Path) -> Document:
    """Source and config files: the file name is the only heading worth having."""
    decoded = read_text(path)
    heading = (path.name,)
    blocks: list[Block] = text_blocks(decoded.text, heading_path=heading)
    return Document(path=path, title=path.name, blocks=blocks, warnings=decode_warnings(decoded))
