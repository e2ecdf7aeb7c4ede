"""Prompt threads follow how busy the machine is; generation threads stay at half."""

from __future__ import annotations

import pytest

from core.llm import llama
from core.llm.settings import LLMSettings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("load", "expected"), [(0.2, 4), (2.9, 4), (3.5, 2), (9.0, 2)])
def test_all_cpus_read_the_prompt_only_while_one_is_idle(
    monkeypatch: pytest.MonkeyPatch, load: float, expected: int
) -> None:
    monkeypatch.setattr(llama, "available_cpus", lambda: 4)
    monkeypatch.setattr(llama.os, "getloadavg", lambda: (load, load, load))
    assert llama.default_threads() == 2
    assert llama.batch_threads(LLMSettings()) == expected


def test_explicit_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama.os, "getloadavg", lambda: (50.0, 50.0, 50.0))
    assert llama.batch_threads(LLMSettings(threads_batch=3)) == 3
    assert llama.batch_threads(LLMSettings(threads=3)) == 3  # busy: as many as generate
