"""Find a usable Tesseract language pack for PyMuPDF's OCR, without crashing if absent."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

_WELL_KNOWN_TESSDATA = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
    "/opt/local/share/tessdata",
    "C:/Program Files/Tesseract-OCR/tessdata",
)


def tessdata_dir(language: str = "eng") -> Path | None:
    """The tessdata folder holding every language in `language` ("eng+deu"), or None."""
    return _tessdata_dir(language)


@functools.lru_cache(maxsize=8)
def _tessdata_dir(language: str) -> Path | None:
    wanted = [lang for lang in language.split("+") if lang]
    for folder in _candidate_dirs():
        if folder.is_dir() and all((folder / f"{lang}.traineddata").is_file() for lang in wanted):
            return folder
    return None


def _candidate_dirs() -> list[Path]:
    candidates = []
    if os.environ.get("TESSDATA_PREFIX"):
        prefix = Path(os.environ["TESSDATA_PREFIX"])
        candidates += [prefix, prefix / "tessdata"]
    candidates += [Path(p) for p in _WELL_KNOWN_TESSDATA]
    candidates += sorted(Path("/usr/share/tesseract-ocr").glob("*/tessdata"), reverse=True)
    reported = _tesseract_reported_dir()
    if reported:
        candidates.append(reported)
    return candidates


def _tesseract_reported_dir() -> Path | None:
    """`tesseract --list-langs` names its tessdata folder on the first line."""
    exe = shutil.which("tesseract")
    if not exe:
        return None
    try:
        result = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'"([^"]+)"', result.stdout + result.stderr)
    return Path(match.group(1)) if match else None
