"""Loaders: one file in, one Document out (text blocks with pages and headings).

`load_document` picks a loader by suffix, checks the content where a suffix may lie,
and turns every failure into an IngestError with a reason code the pipeline records:
"empty", "encrypted", "corrupt", "too_large", "unsupported", "unreadable".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from core.errors import IngestError, UnsupportedFormat
from core.ingest.document import Document
from core.ingest.loaders._common import display_name
from core.settings import IngestSettings

log = logging.getLogger(__name__)

PDF_SUFFIXES = frozenset({".pdf"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".log", ".csv", ".tsv", ".rst", ".org"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
DOCX_SUFFIXES = frozenset({".docx"})
EPUB_SUFFIXES = frozenset({".epub"})
EMAIL_SUFFIXES = frozenset({".eml"})
CODE_SUFFIXES = frozenset(
    {
        ".py", ".pyi", ".js", ".jsx", ".mjs", ".ts", ".tsx", ".java", ".c", ".h", ".cc",
        ".cpp", ".cxx", ".hpp", ".hh", ".go", ".rs", ".rb", ".php", ".cs", ".kt", ".kts",
        ".swift", ".scala", ".sh", ".bash", ".zsh", ".ps1", ".bat", ".sql", ".r", ".m",
        ".lua", ".pl", ".dart", ".vue", ".css", ".scss", ".json", ".jsonl", ".yaml",
        ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".tex", ".gradle", ".cmake",
    }
)  # fmt: skip
SUPPORTED_SUFFIXES: frozenset[str] = (
    PDF_SUFFIXES
    | TEXT_SUFFIXES
    | MARKDOWN_SUFFIXES
    | HTML_SUFFIXES
    | DOCX_SUFFIXES
    | EPUB_SUFFIXES
    | EMAIL_SUFFIXES
    | CODE_SUFFIXES
)
# Files without a suffix that are still plainly text.
SUPPORTED_NAMES = frozenset({"makefile", "dockerfile", "readme", "license", "changelog"})

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"


def text_kind(path: str | Path) -> str:
    """What the guard calibrates a chunk's injection threshold for: "email" or "chunk"."""
    return "email" if Path(path).suffix.lower() in EMAIL_SUFFIXES else "chunk"


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES or (
        not path.suffix and path.name.lower() in SUPPORTED_NAMES
    )


def load_document(path: Path, settings: IngestSettings | None = None) -> Document:
    """Read one file into a Document. Raises IngestError (never anything else)."""
    settings = settings or IngestSettings()
    path = Path(path)
    try:
        head = _check_file(path, settings)
        document = _loader_for(path, head, settings)(path)
    except IngestError:
        raise
    except (OSError, MemoryError) as exc:
        log.debug("could not read %s", path, exc_info=True)
        raise _unreadable(path, exc) from exc
    except Exception as exc:  # a parser library's own failure: the file is not what it claims
        log.debug("loader failed on %s", path, exc_info=True)
        raise IngestError(
            f"{display_name(path)} could not be read: {_short(exc)}. "
            "The file may be damaged; open and re-save it, then add it again.",
            reason="corrupt",
        ) from exc
    if not any(b.text.strip() for b in document.blocks) and not document.needs_ocr_pages:
        raise IngestError(f"{display_name(path)} contains no text to index.", reason="empty")
    return document


def _check_file(path: Path, settings: IngestSettings) -> bytes:
    """Existence, size limits and the first bytes, before any parser sees the file."""
    name = display_name(path)
    if not path.is_file():
        raise IngestError(f"{name} was not found or is not a file.", reason="unreadable")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{name} is empty (0 bytes): there is nothing to index.", "empty")
    if size > settings.max_file_mb * 1024 * 1024:
        raise IngestError(
            f"{name} is {size / 1024 / 1024:.1f} MB, over the {settings.max_file_mb:g} MB "
            "limit. Split it, or raise 'max file size' in the ingest settings.",
            reason="too_large",
        )
    with path.open("rb") as handle:
        return handle.read(1024)


def _loader_for(path: Path, head: bytes, settings: IngestSettings) -> Callable[[Path], Document]:
    suffix = path.suffix.lower()
    if head.startswith(PDF_MAGIC) or (suffix in PDF_SUFFIXES and PDF_MAGIC in head):
        from core.ingest.loaders.pdf import load_pdf

        return lambda p: load_pdf(p, settings)
    if suffix in PDF_SUFFIXES:
        raise _not_what_it_claims(path, "PDF")
    if suffix in DOCX_SUFFIXES or suffix in EPUB_SUFFIXES:
        return _zip_loader(path, head, suffix)
    if not is_supported(path):
        raise UnsupportedFormat(
            f"{display_name(path)}: '{suffix or path.name}' files are not supported. "
            "Supported are PDF, Word (.docx), EPUB, HTML, Markdown, e-mail (.eml), text and "
            "source code."
        )
    from core.ingest.loaders import markup, text

    if suffix in EMAIL_SUFFIXES:
        from core.ingest.loaders.mail import load_email

        return load_email
    if suffix in MARKDOWN_SUFFIXES:
        return markup.load_markdown
    if suffix in HTML_SUFFIXES:
        return markup.load_html
    if suffix in CODE_SUFFIXES:
        return text.load_code
    return text.load_text


def _zip_loader(path: Path, head: bytes, suffix: str) -> Callable[[Path], Document]:
    from core.ingest.loaders import ebook, office

    if suffix in DOCX_SUFFIXES:
        office.check_office_container(path, head)
    if not head.startswith(ZIP_MAGIC):
        raise _not_what_it_claims(path, "Word document" if suffix == ".docx" else "EPUB book")
    return office.load_docx if suffix in DOCX_SUFFIXES else ebook.load_epub


def _not_what_it_claims(path: Path, kind: str) -> IngestError:
    return IngestError(
        f"{display_name(path)} could not be read: it is named like a {kind} but its content "
        "is not one. The file may be damaged or misnamed.",
        reason="corrupt",
    )


def _unreadable(path: Path, exc: BaseException) -> IngestError:
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return IngestError(
        f"{display_name(path)} could not be opened ({reason}). "
        "Check that the file exists and that you may read it.",
        reason="unreadable",
    )


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]


__all__ = ["SUPPORTED_SUFFIXES", "is_supported", "load_document", "text_kind"]
