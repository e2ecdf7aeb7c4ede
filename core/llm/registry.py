"""Loaded models, one instance per name, loaded lazily and at most once.

Loading takes a lock of its own per model name, never a global one held during the
load, so loading a second model does not stall an answer that is streaming from the
first. Each backend serializes its own generations (a llama.cpp context is not
thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from core.llm.backend import LLMBackend
from core.llm.models import ModelManager
from core.llm.settings import LLMSettings

Loader = Callable[[str, Path, LLMSettings], LLMBackend]


def load_llama(name: str, path: Path, settings: LLMSettings) -> LLMBackend:
    from core.llm.llama import LlamaBackend

    return LlamaBackend(name, path, settings)


class LLMRegistry:
    def __init__(self, home: Path, settings: LLMSettings, loader: Loader = load_llama) -> None:
        self.home = Path(home)
        self.settings = settings
        self.models = ModelManager(self.home)
        self._loader = loader
        self._loaded: dict[str, LLMBackend] = {}
        self._load_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()  # protects the two dicts, held only briefly

    def get(self, name: str | None = None) -> LLMBackend:
        name = name or self.settings.model
        with self._guard:
            if name in self._loaded:
                return self._loaded[name]
            load_lock = self._load_locks.setdefault(name, threading.Lock())
        with load_lock:
            with self._guard:
                if name in self._loaded:  # another thread finished loading meanwhile
                    return self._loaded[name]
            backend = self._loader(name, self.models.path_of(name), self.settings)
            with self._guard:
                self._loaded[name] = backend
        return backend

    def register(self, backend: LLMBackend) -> None:
        """Add a backend that is not a GGUF file (a fake, a cloud model)."""
        with self._guard:
            self._loaded[backend.name] = backend

    def loaded(self) -> list[str]:
        with self._guard:
            return sorted(self._loaded)

    def unload(self, name: str) -> None:
        with self._guard:
            backend = self._loaded.pop(name, None)
        close = getattr(backend, "close", None)
        if close is not None:
            close()
