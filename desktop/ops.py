"""The one place where engine work runs off the UI thread.

After Anki's CollectionOp/QueryOp: a widget builds an op from an engine call, says what to
do with the result and with a failure, and runs it. Index writes (ingest, remove, settings,
collections) run one at a time on a single writer thread; reads and answers run on a small
pool. Results, progress, streamed tokens and errors come back to the main thread as Qt
signals. A write says which areas it touched; panels refresh from the one `changed`
signal instead of wiring each other.

Widgets never start threads; everything here is a QRunnable on a QThreadPool.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import Cancelled, EnclaveError
from core.jobs import CancelToken, Progress

log = logging.getLogger(__name__)

# What a write can touch; panels listen for the areas they show.
AREAS = frozenset(
    {"collections", "documents", "conversations", "models", "settings", "watches", "egress"}
)
QUERY_THREADS = 2


class _Bridge(QObject):
    """Lives on the main thread; signals emitted from a worker arrive there queued."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)
    token = Signal(str)
    finished = Signal()


class _Runner(QRunnable):
    def __init__(self, call: Callable[[], Any], bridge: _Bridge) -> None:
        super().__init__()
        self._call = call
        self._bridge = bridge
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._call()
        except BaseException as exc:  # every failure reaches the main thread
            if not isinstance(exc, EnclaveError | Cancelled):
                log.error("op failed:\n%s", traceback.format_exc())
            self._bridge.failed.emit(exc)
        else:
            self._bridge.succeeded.emit(result)
        finally:
            self._bridge.finished.emit()


class Op:
    """An engine call with its callbacks: `ops.query(fn, *args).success(cb).run()`.

    Long calls that accept `progress=`/`cancel=`/`on_token=` get them wired with
    `.progress(cb)`, `.cancellable()` and `.tokens(cb)`; `run()` returns the op, whose
    `cancel()` asks the job to stop at its next check.
    """

    def __init__(
        self,
        ops: Ops,
        call: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        writes: frozenset[str],
    ) -> None:
        self._ops = ops
        self._call = call
        self._args = args
        self._kwargs = kwargs
        self.writes = writes
        self._on_success: Callable[[Any], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._on_done: Callable[[], None] | None = None
        self._bridge = _Bridge()
        self.token: CancelToken | None = None
        self.running = False

    def success(self, callback: Callable[[Any], None]) -> Op:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op:
        """Handle the error yourself; without this the window shows it as a message."""
        self._on_failure = callback
        return self

    def finally_(self, callback: Callable[[], None]) -> Op:
        """Called after success or failure (re-enable a button, hide a spinner)."""
        self._on_done = callback
        return self

    def progress(self, callback: Callable[[Progress], None]) -> Op:
        self._kwargs["progress"] = self._bridge.progressed.emit
        self._bridge.progressed.connect(callback)
        return self

    def tokens(self, callback: Callable[[str], None]) -> Op:
        self._kwargs["on_token"] = self._bridge.token.emit
        self._bridge.token.connect(callback)
        return self

    def cancellable(self) -> Op:
        self.token = CancelToken()
        self._kwargs["cancel"] = self.token
        return self

    def cancel(self) -> None:
        if self.token is not None:
            self.token.cancel()

    def run(self) -> Op:
        self._bridge.succeeded.connect(self._succeeded)
        self._bridge.failed.connect(self._failed)
        self._bridge.finished.connect(self._finished)
        self.running = True
        self._ops._started(self)
        pool = self._ops.writer if self.writes else self._ops.readers
        pool.start(_Runner(lambda: self._call(*self._args, **self._kwargs), self._bridge))
        return self

    def _succeeded(self, result: object) -> None:
        if self._ops.closed:  # the window is gone: nobody to tell
            return
        if self._on_success is not None:
            self._on_success(result)
        if self.writes:
            self._ops.changed.emit(self.writes)

    def _failed(self, exc: BaseException) -> None:
        if self._ops.closed:
            return
        if self._on_failure is not None:
            self._on_failure(exc)
        elif not isinstance(exc, Cancelled):
            self._ops.error.emit(exc)
        if self.writes:  # a failed write may have done part of its work
            self._ops.changed.emit(self.writes)

    def _finished(self) -> None:
        self.running = False
        if self._ops.closed:
            return
        if self._on_done is not None:
            self._on_done()
        self._ops._ended(self)


class Ops(QObject):
    """Runs engine calls in the background for the window; one per window."""

    changed = Signal(object)  # frozenset of AREAS a finished write touched
    error = Signal(object)  # an exception no op handled itself
    busy = Signal(int)  # ops still running

    def __init__(self, engine: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.writer = QThreadPool(self)
        self.writer.setMaxThreadCount(1)
        self.readers = QThreadPool(self)
        self.readers.setMaxThreadCount(QUERY_THREADS)
        self._running: list[Op] = []
        self.closed = False  # set by shutdown(): late results are dropped, not delivered

    def query(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Op:
        """A read: search, lists, answers. Runs beside other reads and the writer."""
        return Op(self, call, args, kwargs, writes=frozenset())

    def write(
        self, call: Callable[..., Any], *args: Any, touches: Iterable[str] = (), **kwargs: Any
    ) -> Op:
        """A change to the index or settings; writes run one at a time, in order."""
        areas = frozenset(touches) or frozenset({"documents", "collections", "settings"})
        unknown = areas - AREAS
        if unknown:
            raise ValueError(f"unknown areas {sorted(unknown)}")
        return Op(self, call, args, kwargs, writes=areas)

    @property
    def running(self) -> list[Op]:
        return list(self._running)

    def _started(self, op: Op) -> None:
        self._running.append(op)
        self.busy.emit(len(self._running))

    def _ended(self, op: Op) -> None:
        if op in self._running:
            self._running.remove(op)
        self.busy.emit(len(self._running))

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel what can be cancelled and wait for the threads; True when all stopped.

        An ingest cancelled here stops between files; its catalog says what is left, so
        the next start resumes it.
        """
        self.closed = True
        for op in self._running:
            op.cancel()
        stopped = self.writer.waitForDone(timeout_ms)
        return self.readers.waitForDone(timeout_ms) and stopped


def error_message(exc: BaseException) -> str:
    """What a person reads: our errors say what to do; anything else is named, not dumped."""
    if isinstance(exc, EnclaveError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "Enclave ran out of memory. Close other programs or choose a smaller model."
    if isinstance(exc, OSError):
        return f"A file could not be read or written: {exc}"
    return f"Something went wrong ({type(exc).__name__}: {exc}). The log has the details."
