"""Helpers shared by the benchmarks: data paths, SciFact, timing, memory."""

from __future__ import annotations

import json
import os
import resource
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("ENCLAVE_SHARED_DATA", REPO.parent / "shared" / "data"))
WORK = REPO / ".bench"  # cached corpora and indexes, ignored by git
SCIFACT = DATA / "scifact"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def scifact_corpus() -> Iterator[dict[str, str]]:
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def scifact_queries() -> dict[str, str]:
    queries = {}
    with (SCIFACT / "queries_train.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            queries[row["_id"]] = row["text"]
    return queries


def scifact_qrels() -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for line in (SCIFACT / "qrels" / "train.tsv").read_text().splitlines():
        parts = line.split("\t") if "\t" in line else line.split()
        if len(parts) < 3 or not parts[2].isdigit():
            continue  # header
        qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def write_scifact_documents(folder: Path) -> Path:
    """One Markdown file per abstract (title as heading), as a person's folder would be."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / ".complete"
    if not marker.exists():
        for doc in scifact_corpus():
            text = f"# {doc['title'].strip() or doc['_id']}\n\n{doc['text'].strip()}\n"
            (folder / f"{doc['_id']}.md").write_text(text, encoding="utf-8")
        marker.touch()
    return folder


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def emit(result: dict[str, object]) -> None:
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
