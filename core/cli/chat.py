"""CLI commands of the chat area."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    """Add this area's subcommands to the `enclave` parser."""
    del commands


def _unused(_: argparse.Namespace) -> int:
    return 0
