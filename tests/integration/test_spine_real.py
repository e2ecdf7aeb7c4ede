"""The spine end to end with the real parts: bundled MiniLM, real PDFs, LanceDB, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.cli import main
from core.engine import Engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]
REDBOOK = "docling__redp5110_sampled.pdf"


@pytest.fixture(scope="module")
def pdf_engine(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Engine:
    docs = tmp_path_factory.mktemp("pdfs")
    for name in (REDBOOK, "pdfplumber__nics-background-checks-2015-11.pdf"):
        shutil.copy(shared_data / "pdfs" / name, docs / name)
    engine = Engine(tmp_path_factory.mktemp("home"))
    report = engine.ingest([docs])
    assert report.failed == [] and report.added == 2
    return engine


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ("policies limit a manager to accessing data only for the employees they manage", 7),
        ("ALICE calls an SQL procedure proc1 owned by JOE with adopted authority", 11),
    ],
)
@pytest.mark.parametrize("mode", ["hybrid", "vector", "keyword"])
def test_search_finds_the_right_page_of_a_real_pdf(
    pdf_engine: Engine, query: str, page: int, mode: str
) -> None:
    hits = pdf_engine.search(query, k=3, mode=mode)  # type: ignore[arg-type]
    best = hits[0]
    assert best.path.endswith(REDBOOK)
    assert best.page is not None and best.page <= page <= (best.page_end or best.page)


def test_every_chunk_fits_the_embedding_model(pdf_engine: Engine) -> None:
    embedder = pdf_engine.embedder
    chunks = pdf_engine.chunks_of(
        str(next(Path(d.path) for d in pdf_engine.documents() if d.path.endswith(REDBOOK)))
    )
    assert len(chunks) > 20
    assert (
        max(embedder.count_tokens([c.text for c in chunks]))
        <= pdf_engine.settings.index.chunk_tokens + 8
    )
    pages = [c.page for c in chunks]
    assert pages == sorted(pages) and pages[0] in (1, 2) and pages[-1] == 18  # p. 1 is a cover


def test_cli_json_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("# Ferrets\n\nFerrets sleep up to eighteen hours a day.\n")
    (docs / "empty.txt").write_text("")
    home = ["--home", str(tmp_path / "home")]

    assert main([*home, "ingest", "--json", str(docs)]) == 2  # one file failed
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "added",
        "updated",
        "unchanged",
        "removed",
        "failed",
        "chunks",
        "seconds",
    }
    assert report["added"] == 1 and report["failed"][0]["path"].endswith("empty.txt")

    assert main([*home, "search", "--json", "-k", "1", "how long do ferrets sleep"]) == 0
    [hit] = json.loads(capsys.readouterr().out)
    assert set(hit) == {"path", "title", "page", "chunk_id", "score", "text"}
    assert hit["title"] == "Ferrets" and hit["page"] is None and "eighteen" in hit["text"]

    assert main([*home, "docs", "--json"]) == 0
    statuses = {Path(d["path"]).name: d["status"] for d in json.loads(capsys.readouterr().out)}
    assert statuses == {"notes.md": "indexed", "empty.txt": "failed"}

    assert main([*home, "rm", str(docs / "notes.md")]) == 0
    capsys.readouterr()
    assert main([*home, "search", "--json", "ferrets"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_cli_jsonl_batch_search(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Volcanoes\n\nMagma rises through the crust.\n")
    (docs / "b.md").write_text("# Tides\n\nThe moon pulls the oceans.\n")
    home = ["--home", str(tmp_path / "home")]
    assert main([*home, "ingest", "--json", str(docs)]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("magma\n\nmoon and oceans\n"))
    assert main([*home, "search", "--jsonl", "-k", "1"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["magma", "moon and oceans"]
    assert lines[0]["results"][0]["title"] == "Volcanoes"
    assert lines[1]["results"][0]["title"] == "Tides"


def test_cli_reports_user_errors_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--home", str(tmp_path), "search", "--collection", "nope", "anything"]) == 1
    err = capsys.readouterr().err
    assert "no collection named 'nope'" in err and "Traceback" not in err
