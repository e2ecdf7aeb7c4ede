"""Shared fixtures: every test gets its own data directory; models stay offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ENCLAVE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ENCLAVE_HOME for this test."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("ENCLAVE_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA} (set ENCLAVE_SHARED_DATA)")
    return SHARED_DATA
