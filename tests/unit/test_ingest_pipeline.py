"""The ingest pipeline with a fake embedder, real LanceDB and real SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.engine import Engine
from core.errors import Cancelled, NotFound
from core.jobs import CancelToken, Progress
from tests.fakes import FakeEmbedder, paragraph_loader

pytestmark = pytest.mark.unit


def no_tags(texts: list[str], vectors: object, kinds: object) -> list[tuple[str, ...]]:
    return [() for _ in texts]


def make_engine(home: Path, embedder: FakeEmbedder | None = None) -> Engine:
    # The guard's scan is covered by tests/integration/test_ingest_guard.py.
    return Engine(home, embedder=embedder or FakeEmbedder(), loader=paragraph_loader, tagger=no_tags)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fox.txt").write_text("# Animals\n\nThe quick brown fox jumps over the lazy dog.")
    (docs / "pasta.txt").write_text("Boil pasta in salted water and add tomato sauce.")
    (docs / "sub").mkdir()
    (docs / "sub" / "lance.txt").write_text("LanceDB keeps vectors and a full text index.")
    return docs


def paths_of(engine: Engine, query: str, mode: str = "keyword") -> set[str]:
    return {Path(h.path).name for h in engine.search(query, k=20, mode=mode)}  # type: ignore[arg-type]


def test_ingest_then_search_every_mode(home: Path, folder: Path) -> None:
    engine = make_engine(home)
    report = engine.ingest([folder])
    assert (report.added, report.failed, report.chunks) == (3, [], 3)
    for mode in ("keyword", "vector", "hybrid"):
        assert next(iter(engine.search("brown fox", k=1, mode=mode))).path.endswith("fox.txt")
    hit = engine.search("fox", k=1)[0]
    assert hit.heading_path == ("Animals",) and hit.title == "Animals" and hit.page is None


def test_unchanged_files_cost_no_embedding(home: Path, folder: Path) -> None:
    embedder = FakeEmbedder()
    engine = make_engine(home, embedder)
    engine.ingest([folder])
    calls = embedder.calls
    report = engine.ingest([folder])
    assert (report.unchanged, report.added, report.chunks) == (3, 0, 0)
    assert embedder.calls == calls


def test_changed_file_replaces_its_chunks(home: Path, folder: Path) -> None:
    engine = make_engine(home)
    engine.ingest([folder])
    (folder / "pasta.txt").write_text("Risotto needs arborio rice and patience.")
    report = engine.ingest([folder])
    assert (report.updated, report.unchanged) == (1, 2)
    assert paths_of(engine, "tomato") == set()
    assert paths_of(engine, "arborio") == {"pasta.txt"}
    assert engine.store.count() == 3


def test_file_removed_from_folder_leaves_the_index(home: Path, folder: Path) -> None:
    engine = make_engine(home)
    engine.ingest([folder])
    (folder / "sub" / "lance.txt").unlink()
    report = engine.ingest([folder])
    assert report.removed == 1
    assert paths_of(engine, "LanceDB") == set()
    assert [Path(d.path).name for d in engine.documents()] == ["fox.txt", "pasta.txt"]


def test_duplicate_file_is_not_embedded_twice(home: Path, folder: Path) -> None:
    (folder / "copy_of_fox.txt").write_bytes((folder / "fox.txt").read_bytes())
    embedder = FakeEmbedder()
    engine = make_engine(home, embedder)
    report = engine.ingest([folder])
    assert report.added == 4 and report.chunks == 4
    assert embedder.embedded == 3  # the copy reused the original's vectors
    assert paths_of(engine, "brown fox") == {"fox.txt", "copy_of_fox.txt"}


def test_bad_files_are_reported_and_the_batch_goes_on(home: Path, folder: Path) -> None:
    (folder / "locked.pdf").write_text("FAIL: encrypted needs a password")
    (folder / "buggy.txt").write_text("BOOM")
    report = make_engine(home).ingest([folder, folder / "missing.txt"])
    reasons = {Path(f.path).name: f.error for f in report.failed}
    assert report.added == 3
    assert "password" in reasons["locked.pdf"]
    assert "parser exploded" in reasons["buggy.txt"]
    assert "missing.txt" in reasons
    statuses = {Path(d.path).name: (d.status, d.reason) for d in make_engine(home).documents()}
    assert statuses["locked.pdf"] == ("failed", "encrypted")
    assert statuses["buggy.txt"] == ("failed", "corrupt")


def test_progress_reports_bytes_and_files(home: Path, folder: Path) -> None:
    events: list[Progress] = []
    make_engine(home).ingest([folder], progress=events.append)
    assert events[-1].done == events[-1].total > 0
    assert "3/3 files" in events[-1].label


def test_cancel_keeps_what_was_committed_and_a_rerun_resumes(home: Path, folder: Path) -> None:
    token = CancelToken()
    engine = make_engine(home)
    engine.settings.index.embed_window = 1  # commit after every document
    with pytest.raises(Cancelled):
        engine.ingest([folder], progress=lambda _: token.cancel(), cancel=token)
    kept = [d for d in engine.documents() if d.status == "indexed"]
    assert 1 <= len(kept) < 3
    report = make_engine(home).ingest([folder])
    assert (report.unchanged, report.added) == (len(kept), 3 - len(kept))
    assert make_engine(home).store.count() == 3


def test_half_written_document_is_dropped_at_next_open(home: Path, folder: Path) -> None:
    """Simulate a kill after the store append but before the catalog commit."""
    from core.ingest.catalog import Catalog

    engine = make_engine(home)
    engine.ingest([folder / "fox.txt"])
    original_commit = Catalog.commit

    def killed(self: Catalog, commits: object) -> list[tuple[str, int]]:
        raise KeyboardInterrupt  # the process dies here

    Catalog.commit = killed  # type: ignore[method-assign]
    try:
        with pytest.raises(KeyboardInterrupt):
            engine.ingest([folder])
    finally:
        Catalog.commit = original_commit  # type: ignore[method-assign]
    assert engine.store.count() > 1  # the orphan rows are really there
    reopened = make_engine(home)
    assert reopened.store.count() == 1  # only the committed fox document
    assert paths_of(reopened, "pasta") == set()
    report = reopened.ingest([folder])
    assert (report.added, report.unchanged) == (2, 1)
    assert reopened.store.count() == 3


def test_collections_filter_search(home: Path, folder: Path) -> None:
    engine = make_engine(home)
    engine.ingest([folder / "fox.txt"], collection="animals")
    engine.ingest([folder / "pasta.txt"], collection="food")
    assert paths_of(engine, "fox pasta", "hybrid") == {"fox.txt", "pasta.txt"}
    found = {h.collection for h in engine.search("fox pasta", collections=["food"])}
    assert found == {"food"}
    with pytest.raises(NotFound):
        engine.search("fox", collections=["nope"])


def test_remove_forgets_documents(home: Path, folder: Path) -> None:
    engine = make_engine(home)
    engine.ingest([folder])
    assert engine.remove([folder / "sub"]) == 1
    assert engine.store.count() == 2
    with pytest.raises(NotFound):
        engine.remove([folder / "sub"])


def test_changing_the_embedding_model_reembeds_the_collection(home: Path, folder: Path) -> None:
    make_engine(home, FakeEmbedder(dim=64, model_id="model-a")).ingest([folder])
    other = FakeEmbedder(dim=32, model_id="model-b")
    engine = make_engine(home, other)
    report = engine.ingest([folder])
    assert report.unchanged == 3
    assert other.embedded == 3  # stored passages re-embedded, files not parsed again
    assert engine.catalog.collection("default").embed_model == "model-b"  # type: ignore[union-attr]
    assert engine.search("brown fox", k=1, mode="vector")[0].path.endswith("fox.txt")


def test_collection_sensitivity(home: Path, folder: Path) -> None:
    from core.errors import UserError

    engine = make_engine(home)
    engine.ingest([folder], collection="cases")
    assert engine.catalog.collection("cases").sensitivity == "internal"  # type: ignore[union-attr]
    engine.set_sensitivity("cases", "confidential")
    assert engine.catalog.collection("cases").sensitivity == "confidential"  # type: ignore[union-attr]
    with pytest.raises(UserError):
        engine.set_sensitivity("cases", "secret-ish")


def test_next_files_are_read_while_a_window_embeds(home: Path, tmp_path: Path) -> None:
    """Loading runs ahead on one thread (never the caller's: PyMuPDF is not thread-safe),
    at most one window's worth of chunks ahead of the one being embedded."""
    import threading
    import time

    docs = tmp_path / "many"
    docs.mkdir()
    for i in range(8):
        (docs / f"note{i}.txt").write_text(f"Note number {i} about item{i}.")  # one chunk each
    events: list[tuple[str, int]] = []
    read_threads: set[int] = set()

    def loader(path, settings):  # type: ignore[no-untyped-def]
        read_threads.add(threading.get_ident())
        events.append(("read", int(path.stem[4:])))
        return paragraph_loader(path, settings)

    class SlowEmbedder(FakeEmbedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            number = int(texts[0].split("item")[1].rstrip("."))
            events.append(("embed", number))
            time.sleep(0.15)  # a window embedding; the next read should happen meanwhile
            events.append(("embedded", number))
            return super().embed(texts)

    engine = Engine(home, embedder=SlowEmbedder(), loader=loader, tagger=no_tags)
    engine.settings.index.embed_window = 1  # one file per window, one chunk of read-ahead
    report = engine.ingest([docs])
    assert report.added == 8 and not report.failed
    assert len(read_threads) == 1 and threading.get_ident() not in read_threads
    embedded = [n for kind, n in events if kind == "embed"]
    assert embedded == list(range(8))  # windows keep the files' order
    for position, (kind, number) in enumerate(events):
        if kind == "embedded" and number < 7:
            assert ("read", number + 1) in events[:position]  # read while this one embedded
        if kind == "embed":
            # ahead by at most the budget (one chunk waiting) plus the read in progress
            assert max(n for k, n in events[:position] if k == "read") <= number + 2
