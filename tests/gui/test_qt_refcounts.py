"""PySide6 6.12.0 (abi3) on Python 3.11 returned None from void methods and True from
Signal.emit without taking a reference: a streamed answer of a few hundred tokens ended in
'Fatal Python error: none_dealloc'. pyproject pins a release without that bug; this test
fails (or aborts) on one that has it."""

from __future__ import annotations

import sys

import pytest

pytestmark = pytest.mark.gui


def test_void_calls_and_emits_keep_the_references_of_none_and_true(qapp) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QObject, Signal

    class Streamer(QObject):
        token = Signal(str)

    streamer = Streamer()
    seen: list[str] = []
    streamer.token.connect(seen.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(2_000):  # a long streamed answer: one emit per token
        streamer.setObjectName("streamer")
        streamer.token.emit(f" word{i}")
    assert len(seen) == 2_000
    # Other threads may move the counts a little; the bug loses one per call (4,000 here).
    assert none_before - sys.getrefcount(None) < 200
    assert true_before - sys.getrefcount(True) < 200
