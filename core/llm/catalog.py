"""The catalog of recommended GGUF models (resources/models/catalog.json) and what each
would mean on this machine: does it fit in RAM and on disk, and how fast would it answer.

The speed class is an estimate, not a measurement: generating a token reads every weight
once, so tokens/s is roughly the memory bandwidth the cores can pull divided by the file
size. ~2.5 GB/s per core (capped at 20 GB/s) matches what llama.cpp reaches on desktop CPUs;
the bundled SmolLM2 (100 MB) then lands far above "fast", a 7B Q4 file (4.4 GB) on 2 cores
at ~1 token/s, "slow".
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.errors import NotFound, UserError
from core.resources import RESOURCES

CATALOG_PATH = RESOURCES / "models" / "catalog.json"
BANDWIDTH_PER_CORE = 2.5e9  # bytes/s one core streams from RAM during generation
MAX_BANDWIDTH = 20e9
FAST_TPS, USABLE_TPS = 15.0, 5.0


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    url: str
    size_bytes: int | None  # as the hub's listing rounds it; the server gives the exact size
    sha256: str | None  # None: checked against the hub's LFS hash at download
    licence: str
    params_b: float
    context: int
    ram_gb: float
    template: str
    publisher: str
    source: str

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Machine:
    cpus: int
    ram_bytes: int
    free_disk_bytes: int


@dataclass(frozen=True)
class Verdict:
    """What one catalog model would mean on this machine."""

    entry: CatalogEntry
    fits_ram: bool
    fits_disk: bool
    tokens_per_s: float  # an estimate from memory bandwidth, see the module docstring
    speed: str  # fast | usable | slow
    installed: bool

    def to_json(self) -> dict[str, object]:
        return {
            **self.entry.to_json(),
            "fits_ram": self.fits_ram,
            "fits_disk": self.fits_disk,
            "expected_tokens_per_s": self.tokens_per_s,
            "speed": self.speed,
            "installed": self.installed,
        }


def load_catalog(path: Path = CATALOG_PATH) -> list[CatalogEntry]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [CatalogEntry(**item) for item in raw["models"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"The model catalog {path} is unreadable ({exc}); reinstall Enclave.") from exc


def find_entry(name: str, entries: list[CatalogEntry] | None = None) -> CatalogEntry:
    entries = load_catalog() if entries is None else entries
    for entry in entries:
        if entry.name == name.lower():
            return entry
    known = ", ".join(e.name for e in entries)
    raise NotFound(f"No catalog model named {name!r}. Known: {known}. Or give a URL.")


def this_machine(models_dir: Path) -> Machine:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return Machine(cpus or 1, _ram_bytes(), free_bytes(models_dir))


def free_bytes(path: Path) -> int:
    """Free space on the file system that holds path (or its nearest existing parent)."""
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def judge(entry: CatalogEntry, machine: Machine, installed: bool = False) -> Verdict:
    size = entry.size_bytes or expected_size(entry)
    bandwidth = min(machine.cpus * BANDWIDTH_PER_CORE, MAX_BANDWIDTH)
    tps = round(bandwidth / size, 1)
    return Verdict(
        entry=entry,
        fits_ram=entry.ram_gb * 1e9 <= machine.ram_bytes,
        fits_disk=installed or size < machine.free_disk_bytes,
        tokens_per_s=tps,
        speed="fast" if tps >= FAST_TPS else "usable" if tps >= USABLE_TPS else "slow",
        installed=installed,
    )


def expected_size(entry: CatalogEntry) -> int:
    """The listed size, or ~4.85 bits per parameter (Q4_K_M) when no listing showed it."""
    return entry.size_bytes or int(entry.params_b * 1e9 * 4.85 / 8)
