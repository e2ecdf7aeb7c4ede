"""Grounding: numbers, names and key terms of each sentence must be in its cited passage."""

from __future__ import annotations

import numpy as np
import pytest

from core.guard.grounding import check_grounding

pytestmark = pytest.mark.unit

SOURCES = {
    1: "The trial enrolled 120 patients at Karolinska Institute between 2019 and 2021.",
    2: "Aspirin lowered the relative risk of stroke by 25 percent in older adults.",
}


def verdicts(answer: str, embedder: object = None) -> list[tuple[bool, tuple[str, ...]]]:
    return [(s.supported, s.missing) for s in check_grounding(answer, SOURCES, embedder)]


def test_supported_sentences_pass() -> None:
    assert verdicts("The trial enrolled 120 patients [1]. Aspirin lowered stroke risk by 25 percent [2].") == [
        (True, ()), (True, ())]  # fmt: skip


def test_wrong_number_or_name_is_flagged() -> None:
    result = verdicts("The trial enrolled 150 patients [1]. It ran at Uppsala University [1].")
    assert result[0] == (False, ("150",))
    assert not result[1][0] and "Uppsala University" in result[1][1]


def test_citation_to_wrong_passage_is_flagged() -> None:
    assert verdicts("Aspirin lowered stroke risk by 25 percent [1].")[0][0] is False


class TopicEmbedder:
    """Embeds by topic words, so a paraphrase of a passage lands close to it."""

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = [[("aspirin" in t.lower()) + ("stroke" in t.lower()), 0.1] for t in texts]
        vectors = np.array(rows, dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_similarity_rescues_a_paraphrase_but_not_a_number() -> None:
    paraphrase = "Taking aspirin made strokes rarer among elderly people [2]."
    assert verdicts(paraphrase)[0][0] is False
    assert verdicts(paraphrase, TopicEmbedder())[0][0] is True
    assert verdicts("Aspirin made strokes 90 percent rarer [2].", TopicEmbedder())[0][0] is False


def test_an_answer_is_embedded_in_one_call() -> None:
    calls: list[int] = []

    class CountingEmbedder(TopicEmbedder):
        def embed(self, texts: list[str]) -> np.ndarray:
            calls.append(len(texts))
            return super().embed(texts)

    answer = "Aspirin helped [2]. Strokes fell [2]. The trial was small [1]."
    assert len(verdicts(answer, CountingEmbedder())) == 3
    assert calls == [3 + len(SOURCES)]  # each sentence and each passage once
