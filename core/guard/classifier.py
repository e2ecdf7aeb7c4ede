"""The fine-tuned injection classifier: all-MiniLM-L6-v2 trained end to end to tell planted
instructions from ordinary text, run as an int8 ONNX graph on ONNX Runtime (no torch).

Trained by benchmarks/guard_finetune_injection.py (data and licences in
resources/guard/injection_training.md). Its thresholds are per kind of text, each chosen on
that kind's own held-out benign texts: what a person types ("question"), a document passage
("chunk") and a passage of an e-mail ("email") read differently, and one threshold for all
either flags every third bank notice or misses short attacks.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.errors import GuardError
from core.resources import RESOURCES

if TYPE_CHECKING:
    import onnxruntime

CLASSIFIER_DIR = RESOURCES / "guard" / "injection_classifier"
MAX_TOKENS = 256
BATCH = 16
KINDS = ("question", "chunk", "email")


class InjectionClassifier:
    """`margins(texts, kind)`: the injection logit minus the kind's threshold (> 0 flags)."""

    def __init__(self, folder: Path = CLASSIFIER_DIR, calibrated: bool = True,
                 threads: int | None = None) -> None:  # fmt: skip
        from tokenizers import Tokenizer

        from core.index.onnx_runtime import session, shrinking_run_options

        try:
            self.session: onnxruntime.InferenceSession = session(folder / "model.onnx", threads)
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            thresholds = calibrated_thresholds(folder) if calibrated else dict.fromkeys(KINDS, 0.0)
        except (OSError, ValueError, RuntimeError) as exc:
            raise GuardError(f"Injection classifier missing or unreadable at {folder}: {exc}") from exc
        self.thresholds: dict[str, float] = thresholds
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id") or 0))
        self.run_options = shrinking_run_options()
        self._lock = threading.Lock()  # the tokenizer's padding state is shared

    def margins(self, texts: list[str], kind: str) -> np.ndarray:
        if kind not in self.thresholds:
            raise GuardError(f"Unknown kind of text {kind!r} (one of {', '.join(KINDS)}).")
        return self.logits(texts) - np.float32(self.thresholds[kind])

    def logits(self, texts: list[str]) -> np.ndarray:
        """log p(injection) - log p(benign) per text; batches sorted by length pad little."""
        out = np.zeros(len(texts), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encoded = self.tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encoded], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        logits = self.session.run(None, feeds, self.run_options)[0]
        return (logits[:, 1] - logits[:, 0]).astype(np.float32)


def calibrated_thresholds(folder: Path = CLASSIFIER_DIR) -> dict[str, float]:
    """Kind of text -> logit threshold, as benchmarks/guard_finetune_injection.py chose them."""
    calibration = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    return {kind: float(calibration["logit_thresholds"][kind]) for kind in KINDS}


_shared: InjectionClassifier | None = None
_shared_lock = threading.Lock()


def shared_classifier() -> InjectionClassifier:
    """One per process: the session holds ~25 MB of weights and its thread pool."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = InjectionClassifier()
        return _shared
