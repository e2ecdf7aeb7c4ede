"""Watched folders: changes are picked up while the app runs (watchdog) and at start-up.

Any event under a watched folder schedules a re-sync of that folder after a quiet
period; a sync is an ordinary ingest of the folder, which costs one stat per unchanged
file and also removes files that disappeared. Coalescing events this way means a
burst (an unzip, a git checkout) costs one sync, and no event type can be mishandled.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from core.errors import EnclaveError
from core.ingest.report import IngestReport

log = logging.getLogger(__name__)
SyncListener = Callable[[str, str, IngestReport], None]  # collection, folder, report


class Syncable(Protocol):
    """What the watcher needs of the engine: the watched folders, and ingest."""

    def watches(self) -> list[tuple[str, str]]: ...

    def ingest(self, paths: Any, collection: str = ...) -> IngestReport: ...


class FolderWatcher:
    def __init__(
        self, engine: Syncable, quiet_seconds: float = 1.0, on_sync: SyncListener | None = None
    ) -> None:
        self.engine = engine
        self.quiet_seconds = quiet_seconds
        self.on_sync = on_sync
        self._observer: Any = None
        self._timers: dict[tuple[str, str], threading.Timer] = {}
        self._watches: dict[tuple[str, str], Any] = {}  # watchdog's handle per folder
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> None:
        """Start watching the engine's folders; safe against a stop() from another thread."""
        from watchdog.observers import Observer

        observer = Observer()
        observer.start()  # before it is published, so stop() never joins an unstarted thread
        with self._lock:
            if not self._stopped:
                self._observer = observer
        if self._observer is not observer:  # stop() ran meanwhile
            _halt(observer)
            return
        for collection, folder in self.engine.watches():
            self.add(collection, folder)

    def add(self, collection: str, folder: str) -> None:
        """Watch one more folder (also while running)."""
        if not Path(folder).is_dir():
            return
        handler = _Handler(functools.partial(self.schedule, collection, folder))
        with self._lock:
            if self._observer is not None:
                self._watches[(collection, folder)] = self._observer.schedule(
                    handler, folder, recursive=True
                )

    def remove(self, collection: str, folder: str) -> None:
        with self._lock:
            watch = self._watches.pop((collection, folder), None)
            timer = self._timers.pop((collection, folder), None)
            observer = self._observer
        if timer is not None:
            timer.cancel()
        if watch is not None and observer is not None:
            observer.unschedule(watch)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            observer, self._observer = self._observer, None
        if observer is not None:
            _halt(observer)

    def schedule(self, collection: str, folder: str) -> None:
        """(Re)start the quiet-period timer of one folder."""
        with self._lock:
            if self._stopped:
                return
            key = (collection, folder)
            if key in self._timers:
                self._timers[key].cancel()
            timer = threading.Timer(self.quiet_seconds, self._sync, args=key)
            timer.daemon = True
            self._timers[key] = timer
            timer.start()

    def _sync(self, collection: str, folder: str) -> None:
        with self._lock:
            self._timers.pop((collection, folder), None)
        try:
            report = self.engine.ingest([folder], collection)
        except EnclaveError as exc:  # a watcher thread must survive a bad sync
            log.warning("sync of %s failed: %s", folder, exc)
            return
        if self.on_sync is not None:
            self.on_sync(collection, folder, report)


def _halt(observer: Any) -> None:
    observer.stop()
    observer.join(timeout=5)


class _Handler:
    """A watchdog event handler that only reports that something changed."""

    def __init__(self, changed: Callable[[], None]) -> None:
        self.changed = changed

    def dispatch(self, event: Any) -> None:
        if event.event_type in ("created", "modified", "deleted", "moved", "closed"):
            name = Path(getattr(event, "dest_path", "") or event.src_path).name
            if not name.startswith((".", "~$")):
                self.changed()
