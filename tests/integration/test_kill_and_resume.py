"""Kill a real ingest subprocess mid-way; the next run resumes and loses nothing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.engine import Engine

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FILES = 200
# Commit every 32 chunks so the kill lands between commits on a slow machine too.
ENV = {**os.environ, "ENCLAVE_INDEX__EMBED_WINDOW": "32"}


def write_corpus(folder: Path, shared_data: Path) -> None:
    folder.mkdir()
    with (shared_data / "scifact" / "corpus.jsonl").open() as corpus:
        for _, line in zip(range(FILES), corpus, strict=False):
            doc = json.loads(line)
            (folder / f"{doc['_id']}.md").write_text(f"# {doc['title']}\n\n{doc['text']}\n")


def indexed_count(home: Path) -> int:
    try:
        with sqlite3.connect(home / "catalog.sqlite3", timeout=5) as db:
            return int(
                db.execute("SELECT COUNT(*) FROM documents WHERE status='indexed'").fetchone()[0]
            )
    except sqlite3.OperationalError:
        return 0


def test_killed_ingest_resumes_without_losing_or_duplicating(
    tmp_path: Path, shared_data: Path
) -> None:
    docs, home = tmp_path / "docs", tmp_path / "home"
    write_corpus(docs, shared_data)
    command = [sys.executable, "-m", "core.cli", "--home", str(home), "ingest", "--json", str(docs)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    deadline = time.monotonic() + 600
    while indexed_count(home) == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = indexed_count(home)
    assert 0 < before < FILES, "the kill should land after the first commit and before the end"

    with Engine(home) as engine:  # reopening drops any half-written window
        committed = sum(d.chunks for d in engine.documents() if d.status == "indexed")
        assert engine.store.count() == committed

    resumed = subprocess.run(command, capture_output=True, text=True, timeout=900, env=ENV)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout)
    assert report["unchanged"] == before  # nothing already indexed was redone or lost
    assert report["added"] + report["updated"] == FILES - before
    with Engine(home) as engine:
        documents = engine.documents()
        assert len(documents) == FILES and {d.status for d in documents} == {"indexed"}
        assert engine.store.count() == sum(d.chunks for d in documents)
        ids = engine.store._table.to_arrow().column("chunk_id").to_pylist()
        assert len(ids) == len(set(ids))
