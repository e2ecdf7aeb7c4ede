"""The move to the int8 default: an index made on torch MiniLM re-embeds once, with progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.engine import Engine
from core.jobs import Progress
from tests.fakes import FakeEmbedder, paragraph_loader

pytestmark = pytest.mark.unit


def engine(home: Path, model_id: str) -> Engine:
    embedder = FakeEmbedder(model_id=model_id)
    return Engine(
        home, embedder=embedder, loader=paragraph_loader, tagger=lambda t, v, k: [() for _ in t]
    )


def test_old_torch_index_reembeds_once_with_progress(home: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("a", "b"):
        (docs / f"{name}.txt").write_text(f"Paragraph {name} about leases and notice.")
    engine(home, "all-MiniLM-L6-v2").ingest([docs])
    upgraded = engine(home, "all-MiniLM-L6-v2@onnx-int8")
    seen: list[Progress] = []
    report = upgraded.ingest([docs], progress=seen.append)
    assert report.unchanged == 2 and upgraded.store.count() == 2
    reembedding = [p for p in seen if p.label == "Re-embedding"]
    assert reembedding and reembedding[-1].done == 2
    assert upgraded.collections()[0].embed_model == "all-MiniLM-L6-v2@onnx-int8"
    seen.clear()
    upgraded.ingest([docs], progress=seen.append)
    assert not [p for p in seen if p.label == "Re-embedding"]  # once
