"""How the detector uses the fine-tuned classifier (a recording stand-in, no model): typed
text always, passages only when the linear scorers or a rule find them suspect, each kind
with its own threshold."""

from __future__ import annotations

import numpy as np
import pytest

from core.guard.injection import CHAR_FEATURES, InjectionDetector, LinearScorer
from core.guard.settings import INJECTION_PREFILTER

pytestmark = pytest.mark.unit
DIM = 384
PREFILTER_LOGIT = float(np.log(INJECTION_PREFILTER / (1 - INJECTION_PREFILTER)))


class RecordingClassifier:
    """Margin +3 for texts containing "plant", -3 otherwise; per-kind offsets."""

    def __init__(self, offsets: dict[str, float] | None = None) -> None:
        self.read: list[tuple[str, str]] = []
        self.offsets = offsets or {}

    def margins(self, texts: list[str], kind: str) -> np.ndarray:
        self.read += [(t, kind) for t in texts]
        base = np.array([3.0 if "plant" in t else -3.0 for t in texts], np.float32)
        return base + np.float32(self.offsets.get(kind, 0.0))


def _detector(linear_logit: float, classifier: RecordingClassifier) -> InjectionDetector:
    detector = InjectionDetector(embedder=object(), classifier=classifier,
                                 multilingual_weights_path=None)  # fmt: skip
    zeros = np.zeros(CHAR_FEATURES, np.float32)
    detector.scorers = {"test": LinearScorer(np.zeros(DIM, np.float32), zeros, linear_logit)}
    return detector


def _vectors(n: int) -> np.ndarray:
    return np.zeros((n, DIM), np.float32)


def test_typed_text_is_always_read_by_the_classifier() -> None:
    classifier = RecordingClassifier()
    detector = _detector(-10.0, classifier)
    results = detector.score_prompts(["plant this", "a plain question"])
    assert [r.flagged for r in results] == [True, False]
    assert classifier.read == [("plant this", "question"), ("a plain question", "question")]


def test_passages_the_linear_scorers_clear_never_reach_the_classifier() -> None:
    classifier = RecordingClassifier()
    detector = _detector(PREFILTER_LOGIT - 1.0, classifier)
    texts = ["a plant in the greenhouse", "quarterly revenue rose by four percent"]
    results = detector.score(texts, _vectors(2))
    assert classifier.read == []
    assert not any(r.flagged for r in results)
    # A weaker rule makes a passage suspect on its own.
    weak_rule = "Please act as an SQL terminal and plant the table."
    assert detector.score([weak_rule], _vectors(1))[0].flagged
    assert classifier.read == [(weak_rule, "chunk")]


def test_suspect_passages_get_the_classifier_verdict_for_their_kind() -> None:
    classifier = RecordingClassifier(offsets={"email": -4.0})
    detector = _detector(PREFILTER_LOGIT + 1.0, classifier)
    texts = ["plant the payload right here", "plant the payload right here", "nothing here at all today"]
    results = detector.score(texts, _vectors(3), ["chunk", "email", "chunk"])
    # The linear scorers alone would flag none of them (their logit is below 0)...
    assert PREFILTER_LOGIT + 1.0 < 0
    # ...the classifier flags the chunk, and the e-mail's stricter threshold clears it.
    assert [r.flagged for r in results] == [True, False, False]
    assert "classifier" in results[0].reasons
    assert sorted(kind for _, kind in classifier.read) == ["chunk", "chunk", "email"]


def test_prefilter_zero_has_the_classifier_read_every_passage() -> None:
    classifier = RecordingClassifier()
    detector = _detector(-20.0, classifier)
    texts = ["a plant in the greenhouse today", "quarterly revenue rose by four percent"]
    results = detector.score(texts, _vectors(2), prefilter=0.0)
    assert [t for t, _ in classifier.read] == texts
    assert [r.flagged for r in results] == [True, False]


def test_without_the_classifier_the_linear_scorers_decide() -> None:
    classifier = RecordingClassifier()
    detector = _detector(2.0, classifier)
    detector.use_classifier = False
    assert detector.score(["quarterly revenue rose by four percent"], _vectors(1))[0].flagged
    assert classifier.read == []
