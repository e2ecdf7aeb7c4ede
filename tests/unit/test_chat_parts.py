"""Prompt builder, citations and condensing against FakeLLM."""

from __future__ import annotations

import pytest

from core.chat.citations import resolve_citations
from core.chat.condense import condense_question, is_follow_up
from core.chat.prompt import INJECTION_WARNING, TRIM_NOTE, PriorTurn, build_prompt
from core.chat.sources import Source
from core.index.types import SearchHit
from core.llm.fake import FakeLLM

pytestmark = pytest.mark.unit


def hit(i: int, words: int = 20, flags: tuple[str, ...] = ()) -> SearchHit:
    text = " ".join(f"w{i}x{j}" for j in range(words))
    return SearchHit(f"c{i}", f"/docs/d{i}.pdf", f"D{i}", i, i, (), text, 1.0 / (i + 1),
                     "default", f"d{i}", 0, flags)


def test_sources_are_numbered_delimited_and_fit_the_budget() -> None:
    llm = FakeLLM(context_window=400)
    hits = [hit(i, words=60) for i in range(10)]
    built = build_prompt(llm, "what is w1?", hits, max_answer_tokens=100)
    assert [s.n for s in built.new_sources] == list(range(1, len(built.new_sources) + 1))
    assert built.prompt_tokens + built.answer_budget <= llm.context_window
    assert built.skipped_sources == 10 - len(built.new_sources) > 0
    assert '<source n="1" file="d0.pdf" page="0">' in built.user_content
    assert built.user_content.rstrip().endswith("Question: what is w1?")
    assert built.messages[0].role == "system"


def test_a_source_cut_to_fit_says_so() -> None:
    llm = FakeLLM(context_window=600)
    built = build_prompt(llm, "q", [hit(0, words=800)], max_answer_tokens=100)
    assert len(built.new_sources) == 1 and built.new_sources[0].truncated
    assert TRIM_NOTE.strip() in built.user_content
    assert built.prompt_tokens <= 600 - built.answer_budget


def test_injection_flagged_source_is_quoted_with_a_warning() -> None:
    built = build_prompt(FakeLLM(), "q", [hit(0, flags=("injection",))])
    assert INJECTION_WARNING in built.user_content
    assert "> w0x0" in built.user_content


def test_follow_up_prompt_extends_the_previous_one_and_reuses_numbers() -> None:
    llm = FakeLLM()
    first = build_prompt(llm, "first question", [hit(0), hit(1)])
    previous = PriorTurn(first.user_content, "answer one [1].", tuple(first.new_sources))
    second = build_prompt(llm, "and it?", [hit(1), hit(2)], history=[previous], next_n=3)
    assert [s.n for s in second.new_sources] == [3]
    assert [s.n for s in second.reused_sources] == [2]
    assert "[2]" in second.user_content and "w1x0" not in second.user_content
    assert second.messages[: len(first.messages)] == first.messages
    assert set(second.visible) == {1, 2, 3}


def test_old_turns_are_dropped_when_history_outgrows_its_share() -> None:
    llm = FakeLLM(context_window=500)
    turns = [PriorTurn("q " * 60, "a " * 40, ()) for _ in range(5)]
    built = build_prompt(llm, "question", [hit(0)], history=turns, max_answer_tokens=64)
    assert 0 < built.history_kept < 5
    assert built.history_dropped == 5 - built.history_kept


def source(n: int, text: str) -> Source:
    return Source(n, f"c{n}", f"/d/{n}.pdf", "", n, n, text)


def test_citations_resolve_and_dangling_markers_are_removed_and_counted() -> None:
    visible = {1: source(1, "alpha"), 2: source(2, "beta")}
    resolved = resolve_citations("Alpha is first [1]. Beta [2, 7]. Gamma [9].", visible)
    assert resolved.text == "Alpha is first [1]. Beta [2]. Gamma."
    assert [c.n for c in resolved.citations] == [1, 2]
    assert resolved.dangling == 2
    assert not any(c.inferred for c in resolved.citations)


def test_without_markers_the_citation_falls_back_to_the_best_overlapping_source() -> None:
    shown = [source(1, "kittens purr softly"), source(2, "the budget grew in 2021")]
    resolved = resolve_citations("The budget grew.", {1: shown[0], 2: shown[1]}, shown)
    assert [(c.n, c.inferred) for c in resolved.citations] == [(2, True)]
    nothing = resolve_citations("Unrelated.", {1: shown[0], 2: shown[1]}, shown)
    assert [c.n for c in nothing.citations] == [1]  # best-ranked when nothing overlaps


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and what about 2021?", True),
        ("why?", True),
        ("How did they measure it in the trial?", True),
        ("What is the boiling point of ethanol at sea level?", False),
    ],
)
def test_follow_up_detection(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_condensed_query_carries_the_topic_of_the_previous_turn() -> None:
    assert condense_question("and what about 2021?", ["revenue of Acme in 2020"]) == (
        "revenue of Acme in 2020 and what about 2021?"
    )
    standalone = "What is the boiling point of ethanol at sea level?"
    assert condense_question(standalone, ["revenue"]) == standalone
    assert condense_question("why?", []) == "why?"
