"""House rules that a test can hold: core never loads Qt, and importing it stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit
HEAVY = (
    "PySide6",
    "torch",
    "sentence_transformers",
    "lancedb",
    "llama_cpp",
    "presidio_analyzer",
    "spacy",
    "fitz",
    "pymupdf",
)


def loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def test_importing_the_engine_and_cli_loads_no_heavy_dependency() -> None:
    loaded = loaded_after("import core, core.engine, core.cli, core.guard; core.cli.build_parser()")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_core_never_imports_qt_even_when_used() -> None:
    statement = (
        "import tempfile\n"
        "from core.engine import Engine\n"
        "from tests.fakes import FakeEmbedder\n"
        "Engine(tempfile.mkdtemp(), embedder=FakeEmbedder()).search('anything', mode='keyword')"
    )
    assert "PySide6" not in loaded_after(statement)
