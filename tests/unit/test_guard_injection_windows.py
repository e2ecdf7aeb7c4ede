"""Long texts: stricter operating point and per-window character n-grams (no model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from core.guard.injection import (
    LONG_TEXT_WORDS,
    WINDOW_STRIDE,
    WINDOW_WORDS,
    InjectionDetector,
    text_windows,
)

pytestmark = pytest.mark.unit


def test_windows_cover_every_word_with_overlap() -> None:
    words = [f"w{i}" for i in range(101)]
    windows = text_windows(" ".join(words))
    assert all(len(w.split()) <= WINDOW_WORDS for w in windows)
    assert windows[1].split()[0] == words[WINDOW_STRIDE]
    assert {w for window in windows for w in window.split()} == set(words)
    assert text_windows("short text") == ["short text"]


def _detector_with_bias(bias: float, window: bool = True) -> InjectionDetector:
    detector = InjectionDetector(embedder=object(), window_long_texts=window)
    detector.coef = np.zeros_like(detector.coef)  # only the bias and char n-grams count
    detector.bias = bias
    return detector


def test_long_texts_need_a_higher_learned_probability() -> None:
    detector = _detector_with_bias(0.0)
    detector.char_coef = np.zeros_like(detector.char_coef)
    short, long = "word " * 10, "word " * (LONG_TEXT_WORDS + 10)
    vectors = np.zeros((2, detector.coef.shape[0]), dtype=np.float32)
    scores = [r.score for r in detector.score([short, long], vectors)]
    assert scores[0] == pytest.approx(0.5)
    assert scores[1] == pytest.approx(0.3, abs=1e-3)  # 0.7 learned is needed for 0.5


def test_attack_wording_at_the_end_of_a_long_chunk_counts_in_its_window() -> None:
    attack = "zqx attack wording zqx"
    filler = " ".join(f"plain{i}" for i in range(3 * WINDOW_WORDS))
    detector = _detector_with_bias(-0.5)  # grey zone for a long text
    vectors = np.zeros((1, detector.coef.shape[0]), dtype=np.float32)
    from core.guard.injection import char_ngram_features

    # Weight exactly the n-grams of the attack wording.
    detector.char_coef = np.asarray(char_ngram_features([attack]).toarray()[0] * 30, np.float32)
    windowed = detector.score([f"{filler} {attack}"], vectors)[0].score
    plain = _with_coef(detector, window=False).score([f"{filler} {attack}"], vectors)[0].score
    assert windowed > plain
    assert windowed >= 0.5 > plain


def _with_coef(source: InjectionDetector, window: bool) -> InjectionDetector:
    detector = _detector_with_bias(source.bias, window=window)
    detector.char_coef = source.char_coef
    return detector
