"""A question is embedded once per ask: the hybrid search and the abstention cosine share it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.engine import Engine
from core.llm.fake import FakeLLM
from tests.fakes import FakeEmbedder, paragraph_loader

pytestmark = pytest.mark.unit


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]):  # type: ignore[no-untyped-def]
        self.texts += list(texts)
        return super().embed(texts)


def engine_with(home: Path, tmp_path: Path, embedder: FakeEmbedder) -> Engine:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "report.txt").write_text("Acme revenue in 2020 was 12 million euros.")
    engine = Engine(
        home, embedder=embedder, loader=paragraph_loader, tagger=lambda t, v, k: [() for _ in t]
    )
    engine.ingest([docs])
    engine.settings.guard.detect_injection = False
    engine.settings.llm.model = "fake"
    engine.llms.register(FakeLLM(responder=lambda messages: "Acme earned 12 million euros [1]."))
    return engine


def test_ask_embeds_the_question_once(home: Path, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    engine = engine_with(home, tmp_path, embedder)
    embedder.texts.clear()
    question = "What was Acme revenue in 2020?"
    result = engine.ask(question)
    assert result.relevance is not None and result.sources
    assert embedder.texts.count(question) == 1


def test_a_new_query_or_model_embeds_again(home: Path, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    engine = engine_with(home, tmp_path, embedder)
    embedder.texts.clear()
    for query in ("revenue", "revenue", "euros", "revenue"):
        engine.search(query, k=1)
    assert embedder.texts == ["revenue", "euros", "revenue"]
    engine.search("revenue", k=1, mode="keyword")
    assert len(embedder.texts) == 3
