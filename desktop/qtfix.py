"""A guard against PySide6 6.12.0's reference-count bug on Python 3.10/3.11.

That wheel (abi3, cp310) hands back `None` from void methods (`setText`, `setValue`,
`processEvents`...) and `True` from `Signal.emit` without taking a reference. Every call
drops one reference too many; a fresh interpreter holds about 5,000 references to `None`
and 600 to `True`, so a streamed answer (one emit per token, in desktop/ops.py) or a few
minutes of clicking ends in "Fatal Python error: none_dealloc" / "bool_dealloc". On
Python 3.12+ these objects are immortal and nothing happens.

`install()` measures whether the running PySide6 leaks and, only then, does what Python
3.12 does: gives `None`, `True` and `False` a reference count so large that no number of
lost references brings it to zero (they are static objects: they are never freed anyway).
Call it once at start, before the event loop runs; it is idempotent.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

IMMORTAL_REFS = 1 << 40  # far more calls than a session makes; still far from overflow
_installed = False


class _Probe(QObject):
    fired = Signal()


def leaks() -> bool:
    """True when void calls or emits drop references to None or True they never took."""
    if sys.version_info >= (3, 12):
        return False
    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(16):
        probe.setObjectName("probe")
        probe.fired.emit()
    lost = (none_before - sys.getrefcount(None)) + (true_before - sys.getrefcount(True))
    return lost >= 16  # 32 calls; other threads may blur the count a little


def install() -> bool:
    """Make None, True and False effectively immortal when this PySide6 leaks them;
    returns whether the guard is active."""
    global _installed
    if _installed:
        return True
    if not leaks():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the object's first field; the GIL is held while we add to it.
        ctypes.c_ssize_t.from_address(id(singleton)).value += IMMORTAL_REFS
    _installed = True
    return True
