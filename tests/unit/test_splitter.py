from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from core.ingest.document import Block, Document
from core.ingest.splitter import split_document
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.unit
count = FakeEmbedder().count_tokens


def sentences(n: int, prefix: str = "Sentence") -> str:
    return " ".join(f"{prefix} number {i} says something." for i in range(n))


def doc(*blocks: Block) -> Document:
    return Document(Path("x.md"), "X", list(blocks))


def test_chunks_respect_the_token_budget_and_overlap() -> None:
    document = doc(Block(sentences(60), page=1))
    chunks = split_document(document, count, max_tokens=40, overlap=10)
    assert len(chunks) > 5
    assert all(count([c.text])[0] <= 40 for c in chunks)
    # Each chunk starts with the tail of the one before it.
    for before, after in itertools.pairwise(chunks):
        assert after.char_start < before.char_end
        assert after.text.split(".")[0] in before.text


def test_chunks_never_cross_a_heading() -> None:
    document = doc(
        Block("Intro", heading_path=("Intro",), is_heading=True),
        Block(sentences(3, "Alpha"), heading_path=("Intro",)),
        Block("Method", heading_path=("Method",), is_heading=True),
        Block(sentences(3, "Beta"), heading_path=("Method",)),
    )
    chunks = split_document(document, count, max_tokens=200, overlap=0)
    assert [c.heading_path for c in chunks] == [("Intro",), ("Method",)]
    assert "Beta" not in chunks[0].text and "Alpha" not in chunks[1].text


def test_pages_and_spans_point_into_the_document_text() -> None:
    document = doc(Block(sentences(4, "One"), page=1), Block(sentences(4, "Two"), page=2))
    chunks = split_document(document, count, max_tokens=30, overlap=0)
    text = document.text
    assert chunks[0].page_start == 1 and chunks[-1].page_end == 2
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end].split()[:3] == chunk.text.split()[:3]
        expected = {1} if "One" in chunk.text and "Two" not in chunk.text else None
        if expected:
            assert (chunk.page_start, chunk.page_end) == (1, 1)


def test_an_overlong_sentence_is_cut_at_word_boundaries() -> None:
    words = " ".join(f"word{i}" for i in range(500))
    chunks = split_document(doc(Block(words)), count, max_tokens=100, overlap=0)
    assert len(chunks) >= 5
    assert all(count([c.text])[0] <= 110 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == words.split()


def test_empty_document_gives_no_chunks() -> None:
    assert split_document(doc(Block("   "), Block("")), count) == []
