"""On-device guard: PII and secrets, injection defence, vault, policy, egress log, grounding.

`scan_chunks` is what ingest calls per batch: rules and patterns only (no Presidio, no
spaCy), plus the injection scorers on the embeddings ingest has already computed and the
fine-tuned classifier on the passages they find suspect.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.guard.settings import GuardSettings

if TYPE_CHECKING:
    import numpy as np

    from core.guard.injection import InjectionDetector

__all__ = ["ChunkFlags", "GuardSettings", "scan_chunks", "tags_fingerprint"]


@dataclass(frozen=True)
class ChunkFlags:
    injection: bool = False
    injection_score: float = 0.0
    pii_types: tuple[str, ...] = ()
    secret_types: tuple[str, ...] = ()

    def as_tags(self) -> tuple[str, ...]:
        tags = ("injection",) if self.injection else ()
        return (*tags, *(f"pii:{t}" for t in self.pii_types),
                *(f"secret:{t}" for t in self.secret_types))  # fmt: skip


_detectors: dict[float, InjectionDetector] = {}
_detectors_lock = threading.Lock()


def injection_detector(threshold: float) -> InjectionDetector:
    from core.guard.injection import InjectionDetector

    with _detectors_lock:
        if threshold not in _detectors:
            _detectors[threshold] = InjectionDetector(threshold)
        return _detectors[threshold]


def scan_chunks(texts: list[str], embeddings: np.ndarray | None, settings: GuardSettings,
                kinds: list[str] | None = None) -> list[ChunkFlags]:  # fmt: skip
    """Flags per chunk. `embeddings`: normalized all-MiniLM-L6-v2 rows, or None; `kinds`:
    "chunk" or "email" per text (core.ingest.loaders.text_kind), "chunk" if None."""
    from core.guard.patterns import find_pii_fast
    from core.guard.secrets import find_secrets_fast

    if not settings.enabled or not texts:
        return [ChunkFlags() for _ in texts]
    detector = injection_detector(settings.injection_threshold)
    injections = (detector.score(texts, embeddings, kinds, settings.injection_prefilter)
                  if settings.detect_injection else None)  # fmt: skip
    flags = []
    for i, text in enumerate(texts):
        pii = find_pii_fast(text, tuple(settings.pii_entities)) if settings.detect_pii else []
        secrets = find_secrets_fast(text) if settings.detect_secrets else []
        result = injections[i] if injections else None
        flags.append(ChunkFlags(
            injection=bool(result and result.flagged),
            injection_score=round(result.score, 4) if result else 0.0,
            pii_types=tuple(sorted({f.type for f in pii})),
            secret_types=tuple(sorted({s.type for s in secrets})),
        ))  # fmt: skip
    return flags


def tags_fingerprint(settings: GuardSettings) -> str:
    """Changes when what scan_chunks says of a chunk can change: the scorer weights, the
    rules, patterns and constants of the detectors, or the settings they read. Flags stored
    under another fingerprint are stale (see Engine.rescan_guard_flags)."""
    from core.guard import classifier, injection, patterns, secrets

    digest = hashlib.sha256(injection.WEIGHTS_PATH.read_bytes())
    for name in ("model.onnx", "calibration.json"):
        digest.update(_file_digest(classifier.CLASSIFIER_DIR / name).encode())
    for module in (injection, patterns, secrets, classifier):
        for name, value in sorted(vars(module).items()):
            described = _describe(value)
            if described is not None:
                digest.update(f"{name}={described}".encode())
    read = {"enabled", "detect_pii", "detect_secrets", "detect_injection", "pii_entities",
            "injection_threshold", "injection_prefilter"}  # fmt: skip
    digest.update(settings.model_dump_json(include=read).encode())
    return digest.hexdigest()[:16]


def _file_digest(path: Path) -> str:
    """sha256 of a file, computed once per size and mtime (the classifier is ~23 MB)."""
    stat = path.stat()
    return _digest_of(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _digest_of(path: str, _size: int, _mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _describe(value: object) -> str | None:
    """A stable text for module-level patterns, numbers and collections of them."""
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, (list, tuple)):
        parts = [_describe(v) if not isinstance(v, str) else v for v in value]
        return repr(parts) if any(p is not None for p in parts) else None
    return None
