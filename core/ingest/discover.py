"""Turn the paths a person dropped into the files to consider."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)  # folders walked (for removals)
    missing: list[Path] = field(default_factory=list)


def is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name in {"__pycache__", "node_modules"}


def discover(paths: Iterable[str | os.PathLike[str]]) -> Discovery:
    found = Discovery()
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            found.folders.append(path)
            candidates = list(_walk(path))
        elif path.is_file():
            candidates = [path]
        else:
            found.missing.append(path)
            continue
        for file in candidates:
            if file not in seen:
                seen.add(file)
                found.files.append(file)
    return found


def _walk(folder: Path) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not is_hidden(d))
        for name in sorted(files):
            if not is_hidden(name):
                yield Path(root) / name
