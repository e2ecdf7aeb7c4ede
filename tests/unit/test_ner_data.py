"""The name detector's training sentences: every labelled span is the value put there, and
held-out templates never appear in training."""

from __future__ import annotations

import pytest

from benchmarks.guard_ner_data import PLACEHOLDER, ValueSource, load_templates, render, sentences

pytestmark = pytest.mark.unit


def test_spans_cover_exactly_the_values_filled_in() -> None:
    values = ValueSource(seed=5)
    sentence = render("Dear {PERSON}, your parcel for {ADDRESS} left {CITY} on {DATE}.",
                      "business_email", values)  # fmt: skip
    labels = [label for _, _, label in sentence.spans]
    assert labels == ["PERSON", "ADDRESS", "GPE"]  # the date is not an entity
    for start, end, _ in sentence.spans:
        value = sentence.text[start:end]
        assert value and value == value.strip() and "{" not in value


def test_joined_passages_keep_their_spans_aligned() -> None:
    for sentence in sentences("train", 200, seed=7):
        for start, end, _ in sentence.spans:
            assert 0 <= start < end <= len(sentence.text)
        assert not PLACEHOLDER.search(sentence.text)


def test_held_out_templates_are_not_trained_on() -> None:
    train = {t["template"] for t in load_templates("train")}
    test = {t["template"] for t in load_templates("test")}
    assert train and test and not train & test
    assert 0.1 < len(test) / (len(train) + len(test)) < 0.3
