"""Files shipped with Enclave (resources/): found beside the package in a checkout (which
`make` installs editable) or in a PyInstaller bundle (where `sys._MEIPASS` is the root). A
plain `pip install .` does not carry them: Enclave ships as the installer's bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


RESOURCES = resources_dir()
SAMPLE_DOCUMENT = RESOURCES / "sample" / "Enclave-Welcome.pdf"
