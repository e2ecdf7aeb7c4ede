"""ask() end to end against FakeLLM and a fake retriever: abstention, citations,
follow-ups with prefix reuse, cancel, persistence across a restart, export."""

from __future__ import annotations

import re
import threading
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.chat.answer import ask
from core.chat.export import export_markdown
from core.chat.result import ABSTAIN_MESSAGE
from core.chat.store import ConversationStore
from core.errors import NotFound
from core.index.types import SearchHit
from core.jobs import CancelToken
from core.llm.fake import FakeLLM
from core.llm.registry import LLMRegistry
from core.llm.settings import LLMSettings

pytestmark = pytest.mark.unit

PASSAGES = [
    ("/docs/report.pdf", 3, "Acme revenue in 2020 was 12 million dollars after the merger."),
    ("/docs/report.pdf", 4, "Acme revenue in 2021 grew to 15 million dollars."),
    ("/docs/cats.pdf", 1, "Cats sleep for most of the day and purr when content."),
]


class FakeEmbedder:
    dim = 64

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w{3,}", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0  # stable across runs
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)


class FakeRetriever:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.embedder = FakeEmbedder()
        self.queries: list[str] = []

    def search(self, query: str, *, collections=None, k=10, mode="hybrid") -> list[SearchHit]:
        self.queries.append(query)
        words = set(re.findall(r"\w{3,}", query.lower()))
        scored = []
        for i, (path, page, text) in enumerate(PASSAGES):
            overlap = len(words & set(re.findall(r"\w{3,}", text.lower())))
            if overlap:
                scored.append((overlap, SearchHit(f"c{i}", path, Path(path).stem, page, page,
                                                  (), text, float(overlap), "default",
                                                  path, i)))
        ranked = [h for _, h in sorted(scored, key=lambda x: -x[0])][:k]
        if mode != "vector":
            return ranked
        vectors = self.embedder.embed([query] + [h.text for h in ranked])
        cosines = vectors[1:] @ vectors[0]
        return [replace(h, score=float(c)) for h, c in zip(ranked, cosines, strict=True)]


@pytest.fixture
def setup(tmp_path: Path):
    settings = LLMSettings(model="fake", abstain_threshold=0.3)
    llms = LLMRegistry(tmp_path, settings)
    llm = FakeLLM()
    llms.register(llm)
    return FakeRetriever(tmp_path), llms, settings, llm


def test_answer_cites_the_passage_it_used(setup) -> None:
    retriever, llms, settings, _ = setup
    streamed: list[str] = []
    result = ask(retriever, llms, settings, "What was Acme revenue in 2020?",
                 on_token=streamed.append)
    assert not result.abstained
    assert "".join(streamed).strip() == re.sub(r"\s+", " ", "".join(streamed)).strip()
    assert [c.n for c in result.citations] == [1]
    assert result.citations[0].source.page == 3
    assert not result.citations[0].inferred
    data = result.to_json()
    assert set(data) >= {"answer", "citations", "abstained", "model", "backend", "timings"}
    assert data["citations"][0]["path"] == "/docs/report.pdf"
    assert data["timings"]["prompt_tokens"] > 0 and data["engine"] == "fake"
    assert data["backend"] == "local" and data["egress_id"] is None and data["cost"] is None


def test_unrelated_question_abstains_without_calling_the_model(setup) -> None:
    retriever, llms, settings, llm = setup
    result = ask(retriever, llms, settings, "How do volcanoes form under the ocean floor?")
    assert result.abstained and result.answer.startswith(ABSTAIN_MESSAGE)
    assert llm.calls == [] and result.citations == []


def test_documents_plus_model_answers_even_without_sources(setup) -> None:
    retriever, llms, settings, llm = setup
    loose = settings.model_copy(update={"strictness": "documents+model"})
    result = ask(retriever, llms, loose, "How do volcanoes form under the ocean floor?")
    assert not result.abstained and len(llm.calls) == 1
    assert "No passage" in llm.calls[0][-1].content


def test_follow_up_is_condensed_and_reuses_the_prompt_prefix(setup) -> None:
    retriever, llms, settings, llm = setup
    first = ask(retriever, llms, settings, "What was Acme revenue in 2020?")
    second = ask(retriever, llms, settings, "and in 2021?", conversation_id=first.conversation_id)
    assert retriever.queries[-1] == "What was Acme revenue in 2020? and in 2021?"
    assert second.turn == 1
    assert second.timings.cached_tokens > 0.8 * first.timings.prompt_tokens
    assert llm.calls[1][: len(llm.calls[0])] == llm.calls[0]


def test_cancel_stops_within_one_token(setup) -> None:
    retriever, llms, settings, _ = setup
    slow = FakeLLM(name="slow", token_delay_s=0.01,
                   responder=lambda _: " ".join(["word"] * 200))
    llms.register(slow)
    cancel = CancelToken()
    seen: list[str] = []

    def on_token(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 5:
            cancel.cancel()

    result = ask(retriever, llms, settings, "What was Acme revenue in 2020?", model="slow",
                 on_token=on_token, cancel=cancel)
    assert result.finish_reason == "cancelled"
    assert len(seen) == 5 and result.timings.completion_tokens == 5


def test_conversations_survive_a_restart_and_export(setup, tmp_path: Path) -> None:
    retriever, llms, settings, _ = setup
    first = ask(retriever, llms, settings, "What was Acme revenue in 2020?")
    ask(retriever, llms, settings, "and in 2021?", conversation_id=first.conversation_id)
    reopened = ConversationStore.in_home(tmp_path)  # a fresh object on the same file
    [conversation] = reopened.list_conversations()
    assert conversation.turns == 2 and conversation.title.startswith("What was Acme")
    reopened.rename(conversation.id, "Acme revenue")
    markdown = export_markdown(reopened, conversation.id)
    assert markdown.startswith("# Acme revenue")
    assert "/docs/report.pdf, page 3" in markdown and "[1]" in markdown
    reopened.delete(conversation.id)
    assert reopened.list_conversations() == []
    with pytest.raises(NotFound):
        reopened.get(conversation.id)


def test_registry_loads_a_model_once_across_threads(tmp_path: Path) -> None:
    loads: list[str] = []
    gate = threading.Event()

    def loader(name, path, settings):
        loads.append(name)
        gate.wait(1)
        return FakeLLM(name=name)

    llms = LLMRegistry(tmp_path, LLMSettings(), loader=loader)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(llms.get())) for _ in range(4)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert loads == ["smollm2-135m-instruct"] and len({id(x) for x in got}) == 1
