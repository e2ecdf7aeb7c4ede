"""Start the desktop app: the window first, the heavy parts behind it.

`run()` shows the window before torch, llama_cpp or presidio are imported: the Engine
opens only settings and the SQLite catalog; the embedding model, the index and the guard
load in the background (`Engine.warm_up`) while the status bar says so.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from logging.handlers import RotatingFileHandler
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from core.engine import Engine
from core.errors import EnclaveError

APP_NAME = "Enclave"
# Set to 1 by the start-up benchmark and the smoke test: quit once the window is shown,
# after printing how long that took.
EXIT_AFTER_SHOWN_ENV = "ENCLAVE_EXIT_AFTER_SHOWN"
LOG_BYTES = 2_000_000


def run(home: str | os.PathLike[str] | None = None, argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    app = _application(argv)
    try:
        engine = Engine(home)
    except EnclaveError as exc:
        return _show_fatal(str(exc))
    _log_to(engine.home / "logs" / "enclave.log")

    from desktop.main_window import MainWindow

    window = MainWindow(engine)
    window.show()
    if os.environ.get(EXIT_AFTER_SHOWN_ENV) == "1":
        QTimer.singleShot(0, lambda: _report_shown_and_quit(app, started))
    else:
        window.start_background_work()
    _quit_on_sigterm(app)
    try:
        return int(app.exec())
    finally:
        window.shutdown()
        engine.close()


def _application(argv: Sequence[str] | None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("enclave")

    from desktop.theme import apply_theme, icon

    apply_theme(app)
    app.setWindowIcon(icon("enclave"))
    return app


def _quit_on_sigterm(app: QApplication) -> None:
    """SIGTERM (a session logout, `kill`) closes the window as its close button would.

    Python runs signal handlers only between bytecodes; a timer makes sure the
    interpreter gets control while Qt's event loop waits.
    """
    signal.signal(signal.SIGTERM, lambda *_: app.closeAllWindows())
    signal.signal(signal.SIGINT, lambda *_: app.closeAllWindows())
    pulse = QTimer(app)
    pulse.timeout.connect(lambda: None)
    pulse.start(200)


def _report_shown_and_quit(app: QApplication, started: float) -> None:
    heavy = [name for name in ("torch", "llama_cpp", "presidio_analyzer") if name in sys.modules]
    rss_mb = _peak_rss_mb()
    print(
        f"shown_s={time.perf_counter() - started:.3f} rss_mb={rss_mb:.0f} "
        f"heavy_imported={','.join(heavy) or '-'}"
    )
    sys.stdout.flush()
    app.closeAllWindows()


def _peak_rss_mb() -> float:
    """This process's peak RSS. /proc's VmHWM starts afresh at exec; getrusage's ru_maxrss
    does not, so a window started by a big parent (the self-test) reported the parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # macOS reports bytes, Linux kilobytes; only Linux lacks /proc here

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def _log_to(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=2, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _show_fatal(message: str) -> int:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.critical(None, APP_NAME, message)
    return 1
