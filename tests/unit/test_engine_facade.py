"""The façade's collection, conversation, model and settings operations (both faces use
them), against a real catalog and LanceDB store with a fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.engine import Engine
from core.errors import NotFound, SettingsError, UserError
from core.settings import Settings
from tests.fakes import FakeEmbedder, paragraph_loader

pytestmark = pytest.mark.unit


def fake_engine(home: Path) -> Engine:
    return Engine(
        home, embedder=FakeEmbedder(), loader=paragraph_loader, tagger=lambda t, v, k: [() for _ in t]
    )


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lease.txt").write_text("The tenant gives three months notice before leaving.")
    (folder / "memo.txt").write_text("Quarterly revenue grew by four percent in the north.")
    return folder


def test_collections_are_created_renamed_and_deleted_with_their_documents(
    home: Path, docs: Path
) -> None:
    engine = fake_engine(home)
    record = engine.create_collection("cases", "confidential")
    assert record.sensitivity == "confidential"
    with pytest.raises(UserError, match="exists already"):
        engine.create_collection("cases")
    engine.ingest([docs], "cases")
    engine.rename_collection("cases", "matters")
    assert [c.name for c in engine.collections()] == ["matters"]
    assert {d.collection for d in engine.documents()} == {"matters"}
    hits = engine.search("notice", collections=["matters"], mode="keyword")
    assert hits and hits[0].collection == "matters"
    # Re-ingesting a renamed collection finds its files unchanged: ids moved with it.
    assert engine.ingest([docs], "matters").unchanged == 2
    assert engine.delete_collection("matters") == 2
    assert engine.collections() == [] and engine.documents() == []
    assert engine.store.count() == 0
    with pytest.raises(NotFound):
        engine.delete_collection("matters")


def test_reindex_reads_unchanged_files_again(home: Path, docs: Path) -> None:
    engine = fake_engine(home)
    engine.ingest([docs])
    reports = engine.reindex([docs / "lease.txt"])
    assert reports["default"].unchanged == 0
    assert engine.ingest([docs]).unchanged == 2
    with pytest.raises(NotFound):
        engine.reindex([docs / "absent.txt"])


def test_settings_update_is_validated_saved_and_applied(home: Path) -> None:
    engine = fake_engine(home)
    engine.update_settings({"guard": {"injection_action": "block"}, "llm": {"sources_k": 4}})
    assert engine.settings.guard.injection_action == "block"
    assert Settings.load(home).llm.sources_k == 4
    with pytest.raises(SettingsError):
        engine.update_settings({"llm": {"sources_k": 0}})
    with pytest.raises(SettingsError, match="section"):
        engine.update_settings({"nonsense": {"a": 1}})
    assert Settings.load(home).llm.sources_k == 4  # a refused change leaves the file alone


def test_settings_file_keeps_only_what_was_set(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ENCLAVE_LLM__THREADS", "3")
    engine = fake_engine(home)
    engine.update_settings({"llm": {"temperature": 0.5}})
    saved = (home / "settings.toml").read_text()
    assert "temperature" in saved and "threads" not in saved
    assert engine.settings.llm.threads == 3


def test_conversations_through_the_engine(home: Path) -> None:
    engine = fake_engine(home)
    chat = engine.new_conversation("Lease questions")
    engine.rename_conversation(chat.id, "Lease")
    assert [(c.id, c.title) for c in engine.conversations()] == [(chat.id, "Lease")]
    assert engine.turns(chat.id) == []
    assert engine.export_conversation(chat.id).startswith("# Lease")
    engine.delete_conversation(chat.id)
    assert engine.conversations() == []


def test_selecting_an_unknown_model_names_the_known_ones(home: Path) -> None:
    engine = fake_engine(home)
    with pytest.raises(NotFound, match="Known models"):
        engine.use_model("no-such-model")
    assert engine.selected_model() == engine.models()[0].name


def test_a_cancelled_ingest_is_pending_until_it_resumes_or_is_forgotten(
    home: Path, docs: Path
) -> None:
    from core.errors import Cancelled
    from core.jobs import CancelToken

    engine = fake_engine(home)
    engine.settings.index.embed_window = 1  # commit after every document
    token = CancelToken()
    with pytest.raises(Cancelled):
        engine.ingest([docs], "cases", progress=lambda _p: token.cancel(), cancel=token)
    pending = engine.pending_ingests()
    assert pending == [("cases", [str(docs.resolve())])]
    # The next start (a new Engine on the same home) sees it and resumes it.
    engine.close()
    engine = fake_engine(home)
    engine.settings.index.embed_window = 1
    assert engine.pending_ingests() == pending
    collection, paths = pending[0]
    engine.ingest(paths, collection)
    assert engine.pending_ingests() == []
    assert len(engine.documents("cases")) == 2
    # Cancelled on purpose: the person's choice is kept.
    token = CancelToken()
    with pytest.raises(Cancelled):
        engine.reindex([docs], progress=lambda _p: token.cancel(), cancel=token)
    assert engine.pending_ingests()
    for collection, paths in engine.pending_ingests():
        engine.forget_pending_ingest(collection, paths)
    assert engine.pending_ingests() == []
