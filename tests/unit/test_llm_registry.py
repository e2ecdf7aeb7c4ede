"""A model that is loading must not hold up answers from a model already loaded."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.llm.backend import ChatMessage
from core.llm.fake import FakeLLM
from core.llm.registry import LLMRegistry
from core.llm.settings import LLMSettings

pytestmark = pytest.mark.unit


def test_loading_one_model_does_not_block_another(tmp_path: Path, monkeypatch) -> None:
    release_load = threading.Event()

    def slow_loader(name, path, settings):
        release_load.wait(5)
        return FakeLLM(name=name)

    llms = LLMRegistry(tmp_path, LLMSettings(), loader=slow_loader)
    monkeypatch.setattr(llms.models, "path_of", lambda name: tmp_path / f"{name}.gguf")
    llms.register(FakeLLM(name="ready", token_delay_s=0.001))
    loader = threading.Thread(target=llms.get, args=("big",))
    loader.start()
    try:
        answer = llms.get("ready").generate([ChatMessage("user", "hi")], max_tokens=20)
        assert answer.completion_tokens > 0
        assert loader.is_alive() and "big" not in llms.loaded()
    finally:
        release_load.set()
        loader.join()
    assert llms.loaded() == ["big", "ready"]
