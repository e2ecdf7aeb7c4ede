"""Per-sentence citations from the grounding alignment: inferred where the model wrote no
marker, none for an unsupported sentence, and written markers checked against it."""

from __future__ import annotations

import pytest

from core.chat.attribution import attribute_answer
from core.chat.sources import Source
from core.guard.grounding import check_grounding

pytestmark = pytest.mark.unit

TRIAL = "The trial enrolled 120 patients at Karolinska Institute between 2019 and 2021."
ASPIRIN = "Aspirin lowered the relative risk of stroke by 25 percent in older adults."
SOURCES = [Source(1, "c1", "/d/trial.pdf", "", 3, 3, TRIAL),
           Source(2, "c2", "/d/aspirin.pdf", "", 7, 7, ASPIRIN)]  # fmt: skip


def test_the_alignment_names_the_passage_that_supports_each_sentence() -> None:
    verdicts = check_grounding("Aspirin lowered stroke risk by 25 percent. Pigs can fly.",
                               {s.n: s.text for s in SOURCES})  # fmt: skip
    assert [v.aligned for v in verdicts] == [2, None]


def test_without_markers_each_supported_sentence_gets_its_own_inferred_citation() -> None:
    answer = "The trial enrolled 120 patients. Aspirin lowered stroke risk by 25 percent."
    attribution, _ = attribute_answer(answer, SOURCES)
    assert [(s.sources, s.inferred) for s in attribution.sentences] == [((1,), True), ((2,), True)]
    assert [(c.n, c.inferred) for c in attribution.citations] == [(1, True), (2, True)]
    assert attribution.cited_share == 1.0 and attribution.supported_share == 1.0
    assert attribution.disagreements == []


def test_an_unsupported_sentence_gets_no_citation_and_nothing_is_made_up() -> None:
    attribution, verdicts = attribute_answer("Walnuts are a good source of fibre.", SOURCES)
    assert attribution.sentences[0].sources == () and not attribution.sentences[0].supported
    assert attribution.citations == [] and attribution.cited_share == 0.0
    assert attribution.supported_share is None and not verdicts[0].supported


def test_written_markers_are_kept_and_checked_against_the_alignment() -> None:
    answer = "The trial enrolled 120 patients [1]. Aspirin lowered stroke risk by 25 percent [1]."
    attribution, _ = attribute_answer(answer, SOURCES)
    assert [(s.sources, s.inferred) for s in attribution.sentences] == [((1,), False), ((1,), False)]
    assert [(d.cited, d.aligned) for d in attribution.disagreements] == [(1, 2)]
    assert attribution.supported_share == 0.5
    assert [(c.n, c.inferred) for c in attribution.citations] == [(1, False)]


def test_a_mixed_answer_infers_only_for_the_unmarked_sentences() -> None:
    answer = "The trial enrolled 120 patients [1]. Aspirin lowered stroke risk by 25 percent."
    attribution, _ = attribute_answer(answer, SOURCES)
    assert [(c.n, c.inferred) for c in attribution.citations] == [(1, False), (2, True)]
