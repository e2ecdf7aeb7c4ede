"""The one data directory: ENCLAVE_HOME, --home, or the platform's user data dir."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "ENCLAVE_HOME"


def resolve_home(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        home = Path(explicit)
    elif os.environ.get(HOME_ENV):
        home = Path(os.environ[HOME_ENV])
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("Enclave", appauthor=False))
    home = home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home
