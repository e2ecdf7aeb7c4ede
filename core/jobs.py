"""Long work reports Progress through a callback and checks a CancelToken between units."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    label: str
    done: int
    total: int | None
    rate: float = 0.0  # units per second since the job started
    eta: float | None = None  # seconds left, when the total is known
    unit: str = "items"


ProgressCallback = Callable[[Progress], None]


def ignore_progress(_: Progress) -> None:
    return None


class CancelToken:
    """Set from any thread; the job sees it at its next check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled")


class ProgressMeter:
    """Turns a running count into Progress events with a rate and an ETA."""

    def __init__(
        self,
        callback: ProgressCallback | None,
        label: str,
        total: int | None = None,
        unit: str = "items",
    ) -> None:
        self.callback = callback or ignore_progress
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self._started = time.perf_counter()

    def advance(self, count: int = 1, label: str | None = None) -> None:
        self.done += count
        if label is not None:
            self.label = label
        self.emit()

    def emit(self) -> None:
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        rate = self.done / elapsed
        eta = None
        if self.total is not None and rate > 0:
            eta = max(self.total - self.done, 0) / rate
        self.callback(Progress(self.label, self.done, self.total, rate, eta, self.unit))
