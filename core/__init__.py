"""Enclave's engine. Importing it stays light: heavy parts load at first use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.engine import Engine

__all__ = ["Engine"]


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from core.engine import Engine

        return Engine
    raise AttributeError(name)
