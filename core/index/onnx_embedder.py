"""A sentence-transformers model run by ONNX Runtime: int8 weights, both cores, no torch.

The model folder is the sentence-transformers one (tokenizer.json, sentence_bert_config.json,
1_Pooling); the graph is exported from its weights once (core.index.onnx_export). Vectors
are the model's mean-pooled token vectors, normalized, as SentenceTransformer.encode gives
them: the fp32 graph matches torch to cosine 0.99999, the 8-bit one to 0.99 on average
(measured in tests/integration/test_onnx_embedder.py).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.errors import UserError
from core.jobs import ProgressCallback

if TYPE_CHECKING:
    import onnxruntime

CACHE_ENV = "ENCLAVE_CACHE"
_LOADED: dict[tuple[str, str], _OnnxModel] = {}
_LOADING = threading.Lock()


class _OnnxModel:
    """Session and tokenizers of one exported folder; thread-safe after construction."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        from core.index.onnx_export import MODEL_FILE
        from core.index.onnx_runtime import session, shrinking_run_options

        _check_pooling(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        st_config = _read_json(folder / "sentence_bert_config.json")
        self.dim = int(config["hidden_size"])
        self.max_tokens = int(st_config.get("max_seq_length") or 512)
        self.session: onnxruntime.InferenceSession = session(folder / MODEL_FILE, threads)
        self.run_options = shrinking_run_options()
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.encoder = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.encoder.enable_truncation(self.max_tokens)
        self.encoder.enable_padding(pad_id=int(config.get("pad_token_id") or 0))
        self.counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.counter.no_truncation()
        self.counter.no_padding()

    def run(self, texts: list[str]) -> np.ndarray:
        """One batch: mean of the token vectors under the attention mask, unit length."""
        encoded = self.encoder.encode_batch(texts)
        ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feeds, self.run_options)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _check_pooling(folder: Path) -> None:
    pooling = _read_json(folder / "1_Pooling" / "config.json")
    if pooling and not pooling.get("pooling_mode_mean_tokens"):
        raise UserError(f"{folder.name}: only mean-pooled models run on ONNX Runtime here.")


class OnnxEmbedder:
    """Embedder protocol over an exported model; exports at first use (progress reported)."""

    def __init__(
        self,
        model_id: str,
        source: str | os.PathLike[str],
        variant: str = "onnx-int8",
        batch_size: int = 32,
        cache_dir: str | os.PathLike[str] | None = None,
        threads: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        """`source`: the sentence-transformers folder (its weights); `variant`: onnx-int8
        or onnx (fp32). core.index.embedder.load_embedder makes both from a model id."""
        self.model_id = model_id
        self.source = Path(source)
        self.variant = variant
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir else _default_cache()
        self.threads = threads
        self.progress = progress
        self._model: _OnnxModel | None = None

    @property
    def model(self) -> _OnnxModel:
        if self._model is None:
            with _LOADING:
                key = (self.model_id, str(self.cache_dir))
                if key not in _LOADED:
                    _LOADED[key] = self._load()
                self._model = _LOADED[key]
        return self._model

    def prepare(self, progress: ProgressCallback | None = None) -> None:
        """Export (the first time, reporting `progress`) and load the model now."""
        if progress is not None:
            self.progress = progress
        _ = self.model

    def _load(self) -> _OnnxModel:
        from core.index.onnx_export import exported_model

        try:
            folder = exported_model(self.source, self.cache_dir, self.variant, self.progress)
            return _OnnxModel(folder, self.threads)
        except (OSError, ValueError, RuntimeError) as exc:
            raise UserError(f"Cannot load embedding model {self.model_id!r}: {exc}") from exc

    @property
    def dim(self) -> int:
        return self.model.dim

    @property
    def max_tokens(self) -> int:
        return self.model.max_tokens

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Sorted by length across the whole call, so each batch pads little."""
        model = self.model
        vectors = np.zeros((len(texts), model.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = model.run([texts[i] for i in batch])
        return vectors

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self.model.counter.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encoded]


def _default_cache() -> Path:
    """Exported models derive from the installed weights alone, so every data directory
    shares one cache (ENCLAVE_CACHE, else the platform's user cache folder)."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root).expanduser() / "embedding"
    import platformdirs

    return Path(platformdirs.user_cache_dir("Enclave", appauthor=False)) / "embedding"
