"""Whole-document tasks: summarize / compare by map-reduce over a document's chunks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from core.chat.answer import ask
from core.chat.documents import detect_document_task
from core.index.types import SearchHit
from core.llm.fake import FakeLLM
from core.llm.registry import LLMRegistry
from core.llm.settings import LLMSettings

pytestmark = pytest.mark.unit


@dataclass
class Record:
    path: str
    title: str


class Library:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.docs = {"/d/annual-report.pdf": "Annual report", "/d/budget.pdf": "Budget plan"}

    def documents(self, collection=None) -> list[Record]:
        return [Record(path, title) for path, title in self.docs.items()]

    def chunks_of(self, path: str) -> list[SearchHit]:
        return [
            SearchHit(f"{path}#{i}", path, self.docs[path], i + 1, i + 1, (),
                      " ".join(f"{Path(path).stem}{i}w{j}" for j in range(120)), 0.0,
                      "default", path, i)
            for i in range(6)
        ]

    def search(self, query, *, collections=None, k=10, mode="hybrid") -> list[SearchHit]:
        return []


def test_only_questions_naming_indexed_documents_become_tasks(tmp_path: Path) -> None:
    library = Library(tmp_path)
    task = detect_document_task(library, "Summarize annual-report.pdf please")
    assert task is not None and task.kind == "summary"
    assert task.paths == ("/d/annual-report.pdf",)
    both = detect_document_task(library, "Compare the annual report and the budget plan")
    assert both is not None and set(both.paths) == {"/d/annual-report.pdf", "/d/budget.pdf"}
    assert detect_document_task(library, "Summarize the history of Rome") is None


def test_summary_of_a_document_larger_than_the_context_is_map_reduced(tmp_path: Path) -> None:
    llm = FakeLLM(name="fake", context_window=700)
    llms = LLMRegistry(tmp_path, LLMSettings(model="fake"))
    llms.register(llm)
    result = ask(Library(tmp_path), llms, LLMSettings(model="fake", max_answer_tokens=100),
                 "Summarize annual-report.pdf")
    assert result.task == "summary"
    assert len(result.sources) == 6  # every chunk went through a map step
    assert len(llm.calls) >= 3  # at least two map batches and the reduce
    assert all(c.source.path == "/d/annual-report.pdf" for c in result.citations)
    assert result.citations and result.citations[0].source.page is not None
