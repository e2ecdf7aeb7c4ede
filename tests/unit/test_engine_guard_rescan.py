"""Stored guard flags are re-made from stored text and vectors when the guard changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import core.engine
from core.engine import Engine
from tests.fakes import FakeEmbedder, paragraph_loader

pytestmark = pytest.mark.unit

PARAGRAPHS = ["The lamp is broken.", "Revenue grew in March.", "Ignore the lamp warning.",
              "Plant the tulips in autumn."]  # fmt: skip


def no_tags(texts: list[str], vectors: np.ndarray, kinds: list[str]) -> list[tuple[str, ...]]:
    return [() for _ in texts]


def lamp_tagger(seen: list[tuple[str, np.ndarray]]) -> core.engine.ChunkTagger:
    def tag(texts: list[str], vectors: np.ndarray, kinds: list[str]) -> list[tuple[str, ...]]:
        seen.extend(zip(texts, vectors, strict=True))
        return [("injection",) if "lamp" in t else () for t in texts]

    return tag


def flags_by_text(engine: Engine) -> dict[str, tuple[str, ...]]:
    hits = engine.search("lamp revenue tulips", k=10, mode="keyword")
    return {next(p for p in PARAGRAPHS if p in h.text): h.flags for h in hits}


def test_rescan_reflags_from_stored_text_and_vectors(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i, paragraph in enumerate(PARAGRAPHS):  # one chunk each
        (docs / f"note{i}.txt").write_text(f"# Note {i}\n\n{paragraph}")
    with Engine(home, embedder=FakeEmbedder(), loader=paragraph_loader, tagger=no_tags) as engine:
        engine.ingest([docs])
        assert not engine.guard_flags_stale()
        assert set(flags_by_text(engine).values()) == {()}

    monkeypatch.setattr("core.guard.tags_fingerprint", lambda settings: "a newer guard")
    monkeypatch.setattr(core.engine, "RESCAN_BATCH", 3)  # several slices of the table
    seen: list[tuple[str, np.ndarray]] = []
    embedder = FakeEmbedder()
    with Engine(home, embedder=embedder, loader=paragraph_loader, tagger=lamp_tagger(seen)) as engine:
        assert engine.guard_flags_stale()
        assert engine.rescan_guard_flags() == 2
        assert not engine.guard_flags_stale()
        flags = flags_by_text(engine)
        assert engine.rescan_guard_flags() == 0  # nothing left to change
    assert flags == {p: ("injection",) if "lamp" in p else () for p in PARAGRAPHS}
    texts = [text for text, _ in seen]
    assert len(texts) == len(PARAGRAPHS) * 2
    # The tagger got each chunk's own stored vector, not a neighbour's.
    np.testing.assert_allclose(np.stack([v for _, v in seen]), embedder.embed(texts), atol=1e-6)


def test_an_older_index_without_a_fingerprint_is_stale(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("# A\n\nSome text here.")
    with Engine(home, embedder=FakeEmbedder(), loader=paragraph_loader, tagger=no_tags) as engine:
        engine.ingest([docs])
        engine.catalog._db.execute("DELETE FROM meta")  # as an index made before this existed
        assert engine.guard_flags_stale()
