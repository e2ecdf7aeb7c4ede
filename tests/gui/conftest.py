"""Shared GUI fixtures: offscreen Qt, the theme applied once, screenshots of main states."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cloud_servers.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    cloud_servers,
    cloud_servers_session,
    openai_server,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("ENCLAVE_SCREENSHOTS", REPO / "test-artifacts" / "screenshots"))

Shot = Callable[..., Path]


@pytest.fixture(autouse=True)
def _themed(qapp):  # type: ignore[no-untyped-def]
    """Every GUI test runs with the product's theme, as the app does."""
    from desktop.theme import apply_theme

    if not qapp.property("enclave-themed"):
        apply_theme(qapp)
        qapp.setProperty("enclave-themed", True)
    return qapp


@pytest.fixture
def shot(qtbot) -> Shot:  # type: ignore[no-untyped-def]
    """shot(widget, "name") saves test-artifacts/screenshots/name.png (after the event loop
    has painted) and returns the path. Set ENCLAVE_SCREENSHOTS to save elsewhere."""

    def save(widget, name: str, settle_ms: int = 150) -> Path:  # type: ignore[no-untyped-def]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        qtbot.wait(settle_ms)
        path = SCREENSHOTS / f"{name}.png"
        assert widget.grab().save(str(path)), f"could not save {path}"
        return path

    return save
