"""llama.cpp's CPU code when it is built for any x86-64 machine (the installer's build).

Built with GGML_BACKEND_DL and GGML_CPU_ALL_VARIANTS, llama.cpp keeps its CPU backend in one
shared library per instruction-set level (libggml-cpu-x64.so, -sse42, -haswell, -skylakex,
...) and loads none of them until the program asks; ggml then picks the best one this CPU
can run. llama-cpp-python does not ask (abetlen/llama-cpp-python#2069), so we call ggml
ourselves before the first model loads. A development build links its CPU backend in and has
no such files: then nothing is done.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path

from core.errors import LLMError

# Load only this variant (e.g. "x64", the baseline every x86-64 CPU runs): how the installer
# proves the bundle works on an old CPU.
VARIANT_ENV = "ENCLAVE_LLAMA_CPU_VARIANT"
_SUFFIX = ".dll" if sys.platform == "win32" else ".so"  # ggml's backend names, macOS too
_lock = threading.Lock()
_loaded: str | None = None


def cpu_variant_libraries(lib_dir: Path) -> list[Path]:
    return sorted(lib_dir.glob(f"*ggml-cpu-*{_SUFFIX}"))


def load_cpu_backend() -> str | None:
    """The CPU variant now loaded ("haswell", ...), or None for a build with none to load."""
    global _loaded
    with _lock:
        if _loaded is None:
            _loaded = _load()
        return _loaded or None


def loaded_cpu_variant() -> str | None:
    """The variant loaded so far, without loading one."""
    return _loaded or None


def _load() -> str:
    import llama_cpp  # loads libggml first: the CDLL below gets the same handle

    lib_dir = Path(llama_cpp.__file__).resolve().parent / "lib"
    variants = cpu_variant_libraries(lib_dir)
    if not variants:
        return ""
    # The very file libllama linked (its soname, libggml.so.0): pip installs the soname and
    # the plain name as two copies, and a second copy would hold a second backend registry.
    libraries = _mapped_libraries(f"libggml{_SUFFIX}") or sorted(lib_dir.glob(f"*ggml{_SUFFIX}*"))
    if not libraries:
        raise LLMError(f"llama.cpp's libggml is missing from {lib_dir}")
    ggml = ctypes.CDLL(str(libraries[0]))
    forced = os.environ.get(VARIANT_ENV)
    if forced:
        _load_one(ggml, forced, variants)
    else:
        ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
        ggml.ggml_backend_load_all_from_path(str(lib_dir).encode())
    loaded = _mapped_variant()
    if loaded is None and not sys.platform.startswith("linux"):
        return "unknown"  # no /proc/self/maps to read it from
    if loaded is None:
        raise LLMError(
            "llama.cpp found no CPU backend this processor can run among "
            + ", ".join(p.name for p in variants)
        )
    return loaded


def _load_one(ggml: ctypes.CDLL, name: str, variants: list[Path]) -> None:
    wanted = [p for p in variants if _variant_name(p) == name]
    if not wanted:
        known = ", ".join(_variant_name(p) for p in variants)
        raise LLMError(f"{VARIANT_ENV}={name}: no such llama.cpp CPU variant (one of {known})")
    ggml.ggml_backend_load.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load.restype = ctypes.c_void_p
    if not ggml.ggml_backend_load(str(wanted[0]).encode()):
        raise LLMError(f"llama.cpp's {name} CPU variant does not run on this processor")


def _mapped_variant() -> str | None:
    """Which variant ggml chose: the one mapped into this process."""
    for path in _mapped_libraries("libggml-cpu-"):
        return _variant_name(path)
    return None


def _variant_name(library: Path) -> str:
    """libggml-cpu-haswell.so -> haswell"""
    return library.stem.removeprefix("lib").removeprefix("ggml-cpu-")


def _mapped_libraries(prefix: str) -> list[Path]:
    """Shared libraries named `prefix`... loaded into this process (Linux: /proc/self/maps)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = {Path(line[line.index("/"):]) for line in maps.splitlines() if "/" in line}
    return sorted(p for p in found if p.name.startswith(prefix))
