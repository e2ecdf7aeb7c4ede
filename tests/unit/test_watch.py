"""Watched folders with the real watchdog observer (inotify) and a fake embedder."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.engine import Engine
from core.ingest.watch import FolderWatcher
from tests.fakes import FakeEmbedder, paragraph_loader

pytestmark = pytest.mark.unit


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def engine_for(home: Path) -> Engine:
    return Engine(
        home, embedder=FakeEmbedder(), loader=paragraph_loader, tagger=lambda t, v, k: [() for _ in t]
    )


def names(engine: Engine) -> set[str]:
    return {Path(d.path).name for d in engine.documents() if d.status == "indexed"}


def test_changes_while_running_are_picked_up(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    engine = engine_for(home)
    engine.watch(folder)
    watcher = FolderWatcher(engine, quiet_seconds=0.2)
    watcher.start()
    try:
        (folder / "new.txt").write_text("Otters hold hands while sleeping.")
        assert wait_for(lambda: names(engine) == {"new.txt"})
        (folder / "new.txt").write_text("Otters keep a favourite stone in a skin pocket.")
        assert wait_for(lambda: [h.text for h in engine.search("stone", k=1, mode="keyword")] != [])
        (folder / "new.txt").unlink()
        assert wait_for(lambda: names(engine) == set())
    finally:
        watcher.stop()


def test_changes_made_while_closed_are_caught_up_at_start(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha text.")
    engine = engine_for(home)
    engine.watch(folder, "notes")
    engine.sync_watched()
    assert names(engine) == {"a.txt"}
    (folder / "a.txt").unlink()
    (folder / "b.txt").write_text("Beta text.")
    reports = engine_for(home).sync_watched()
    assert (reports[str(folder)].added, reports[str(folder)].removed) == (1, 1)
    assert names(engine) == {"b.txt"}


def test_a_stop_racing_the_start_leaves_no_observer_running(home: Path, tmp_path: Path) -> None:
    """The window's shutdown can call stop() while start() still runs on a worker thread:
    here stop() lands while start() reads the watched folders."""
    import threading

    folder = tmp_path / "watched"
    folder.mkdir()
    engine = engine_for(home)
    engine.watch(folder)
    before = threading.active_count()
    watcher = FolderWatcher(engine, quiet_seconds=0.2)

    class StoppedMidStart:
        def watches(self) -> list[tuple[str, str]]:
            stopper = threading.Thread(target=watcher.stop)
            stopper.start()
            stopper.join()
            return engine.watches()

        def ingest(self, paths, collection="default"):  # type: ignore[no-untyped-def]
            return engine.ingest(paths, collection)

    watcher.engine = StoppedMidStart()
    watcher.start()  # must not raise "cannot join thread before it is started"
    assert watcher._observer is None
    assert wait_for(lambda: threading.active_count() <= before, seconds=10)


def test_stop_before_start_means_start_does_nothing(home: Path) -> None:
    watcher = FolderWatcher(engine_for(home))
    watcher.stop()
    watcher.start()
    assert watcher._observer is None
