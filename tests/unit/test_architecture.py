"""House rules that a test can hold: core never loads Qt, and importing it stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
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


# What the command line may import: the façade and the types it hands out, and the self-test
# (core's own run of the product path, which builds its Engine in a temporary home).
CLI_ALLOWED = ("core.engine", "core.errors", "core.jobs", "core.settings", "core.cli",
               "core.selftest")  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_cli_reaches_the_engine_only_through_the_facade() -> None:
    for path in sorted((ROOT / "core" / "cli").glob("*.py")):
        inner = {m for m in imported_modules(path) if m == "core" or m.startswith("core.")}
        outside = {m for m in inner if not m.startswith(CLI_ALLOWED)}
        assert not outside, f"{path.name} imports {sorted(outside)} past core.Engine"


def core_import_graph() -> dict[str, set[str]]:
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / "core").rglob("*.py")
    }
    return {
        name: {m for m in imported_modules(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_core_modules_import_each_other_without_circles() -> None:
    graph = core_import_graph()
    circles = sorted(
        tuple(sorted((a, b))) for a, deps in graph.items() for b in deps if a in graph.get(b, ())
    )
    # Packages re-export their parts; a package importing its own module is not a circle.
    circles = [(a, b) for a, b in circles if not (b.startswith(a + ".") or a.startswith(b + "."))]
    assert not circles, sorted(set(circles))
