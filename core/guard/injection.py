"""Prompt-injection detection for text a model will read: rules plus a learned scorer.

Rules catch the blatant forms (instruction overrides, role switches, invisible Unicode,
encoded payloads, exfiltration links). The learned scorer is a logistic regression on the
all-MiniLM-L6-v2 sentence embeddings that ingest already computes, joined with hashed
character n-grams (which carry the wording of attacks in languages the English embedding
model reads poorly). Weights are trained by benchmarks/guard_train_injection.py.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import GuardError

WEIGHTS_PATH = Path(__file__).resolve().parents[2] / "resources/guard/injection_lr.npz"
SCORER_MODEL_ID = "all-MiniLM-L6-v2"
CHAR_FEATURES = 2**15


def char_ngram_features(texts: list[str]) -> Any:
    """Hashed char 3-5 grams: stateless, so the weights file is all the model there is."""
    from sklearn.feature_extraction.text import HashingVectorizer

    vectorizer = HashingVectorizer(n_features=CHAR_FEATURES, analyzer="char_wb",
                                   ngram_range=(3, 5), alternate_sign=False, norm="l2")  # fmt: skip
    return vectorizer.transform(texts)

# (reason, pattern, weight): weight >= 0.9 flags on its own; lower weights add to the model.
_I = re.IGNORECASE
RULES: list[tuple[str, re.Pattern[str], float]] = [
    ("instruction_override", re.compile(
        r"\b(?:ignore|disregard|forget|skip|override|bypass)\b[^.!?\n]{0,40}\b(?:previous|prior|"
        r"above|earlier|preceding|all|any|your|the|system|initial|original)\b[^.!?\n]{0,30}\b"
        r"(?:instructions?|prompts?|rules?|directives?|guidelines?|tasks?|context|commands?|"
        r"messages?)\b", _I), 0.95),
    ("instruction_override", re.compile(
        r"\b(?:vergiss|ignoriere|ignorieren sie|vergessen sie)\b[^.!?\n]{0,40}\b(?:alle|alles|"
        r"vorherigen?|bisherigen?|obigen?|anweisungen|aufgaben|befehle)\b", _I), 0.95),
    ("new_instructions", re.compile(
        r"\b(?:new|updated|real|actual|secret) (?:instructions?|task|orders?|rules?)\s*(?::|are|is)"
        r"|\bneue (?:aufgabe|anweisung)", _I), 0.5),
    ("prompt_leak", re.compile(
        r"\b(?:reveal|show|print|repeat|output|tell me|display|leak|give me)\b[^.!?\n]{0,30}\b"
        r"(?:system prompt|your (?:prompt|instructions|rules|initial)|prompt texts?|hidden "
        r"(?:prompt|instructions))", _I), 0.9),
    ("role_switch", re.compile(
        r"\b(?:you are now|from now on,? you|act as (?:an? )?(?:unfiltered|unrestricted|evil|"
        r"jailbroken)|pretend (?:to be|you are)|you're no longer|du bist (?:jetzt|nun)|"
        r"stell dir vor,? du bist|tu so,? als)\b", _I), 0.45),
    ("jailbreak", re.compile(
        r"\b(?:jailbreak|DAN mode|do anything now|developer mode|god mode|no restrictions|"
        r"without (?:any )?(?:restrictions|filters|censorship))\b", _I), 0.6),
    ("fake_system_turn", re.compile(
        r"(?:^|\n)\s*(?:system|assistant)\s*:|<\|?(?:im_start|system|endoftext)\|?>|\[/?INST\]"
        r"|###\s*(?:system|instruction)", _I), 0.6),
    ("exfiltration_link", re.compile(
        r"!\[[^\]]*\]\(\s*https?://[^)\s]+[?&][^)\s]*=", _I), 0.95),
    ("exfiltration_request", re.compile(
        r"\b(?:send|post|upload|forward|exfiltrate|email)\b[^.!?\n]{0,40}\b(?:conversation|chat "
        r"history|api keys?|passwords?|credentials|secrets|the data)\b[^.!?\n]{0,30}\b(?:to|at)\b"
        r"[^.!?\n]{0,20}(?:https?://|@|\bserver\b|\bwebhook\b)", _I), 0.9),
]  # fmt: skip

INVISIBLE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]")
BASE64_RE = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
INJECTION_WORDS = re.compile(r"ignore|instruction|system prompt|disregard|you are|password", _I)


@dataclass(frozen=True)
class InjectionResult:
    score: float
    flagged: bool
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "flagged": self.flagged, "reasons": list(self.reasons)}


def rule_hits(text: str) -> list[tuple[str, float]]:
    hits = [(reason, weight) for reason, rx, weight in RULES if rx.search(text)]
    invisible = len(INVISIBLE_RE.findall(text))
    if invisible >= 3:
        hits.append(("invisible_unicode", 0.95 if invisible >= 8 else 0.5))
    if _has_encoded_instructions(text):
        hits.append(("encoded_payload", 0.9))
    return hits


def _has_encoded_instructions(text: str) -> bool:
    for m in BASE64_RE.finditer(text):
        try:
            decoded = base64.b64decode(m.group() + "==", validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if INJECTION_WORDS.search(decoded) or rule_hits_plain(decoded):
            return True
    return False


def rule_hits_plain(text: str) -> bool:
    return any(rx.search(text) and w >= 0.9 for _, rx, w in RULES)


class InjectionDetector:
    """Scores texts in [0, 1]; `threshold` (0.5 is the trained operating point) flags."""

    def __init__(self, threshold: float = 0.5, embedder: Any = None,
                 weights_path: Path = WEIGHTS_PATH) -> None:  # fmt: skip
        self.threshold = threshold
        self._embedder = embedder
        self._lock = threading.Lock()
        try:
            data = np.load(weights_path)
        except OSError as exc:
            raise GuardError(f"Injection scorer weights missing at {weights_path}: {exc}") from exc
        self.coef = data["coef"].astype(np.float32)
        self.char_coef = data["char_coef"].astype(np.float32)
        self.bias = float(data["bias"])

    def score(self, texts: list[str], embeddings: np.ndarray | None = None) -> list[InjectionResult]:
        """`embeddings`: normalized all-MiniLM-L6-v2 vectors of `texts`, if already computed."""
        if not texts:
            return []
        if embeddings is None or embeddings.shape != (len(texts), self.coef.shape[0]):
            embeddings = self._embed(texts)
        logits = embeddings.astype(np.float32) @ self.coef + self.bias
        logits += char_ngram_features(texts) @ self.char_coef
        learned = 1.0 / (1.0 + np.exp(-logits))
        return [self._combine(t, float(p)) for t, p in zip(texts, learned, strict=True)]

    def _combine(self, text: str, learned: float) -> InjectionResult:
        hits = rule_hits(text)
        strong = max((w for _, w in hits if w >= 0.9), default=0.0)
        boost = sum(w for _, w in hits if w < 0.9) * 0.5
        score = max(strong, min(1.0, learned + boost))
        reasons = [r for r, _ in hits]
        if learned >= self.threshold:
            reasons.append("classifier")
        return InjectionResult(score, score >= self.threshold, tuple(dict.fromkeys(reasons)))

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            if self._embedder is None:
                from core.index.embedder import SentenceTransformerEmbedder

                self._embedder = SentenceTransformerEmbedder(SCORER_MODEL_ID)
        return np.asarray(self._embedder.embed(texts), dtype=np.float32)
