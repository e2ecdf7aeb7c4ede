"""Secrets detection: recall on CredSweeper's sample findings, false positives on negatives.

Gold is CredSweeper's own output (data/output.json), matched by file and line. Files whose
name ends in _fp or _n hold no real secret: every finding there is a false positive.
Usage: python benchmarks/guard_secrets.py [--fast]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[2] / "shared/data/guard/secrets/credsweeper"


def is_negative(name: str) -> bool:
    stem = name.split(".")[0]
    return stem.endswith(("_fp", "_n"))


def gold_lines(root: Path) -> set[tuple[str, int]]:
    findings = json.loads((root / "data/output.json").read_text(encoding="utf-8"))
    return {
        (Path(line["path"]).name, line["line_num"])
        for f in findings
        for line in f["line_data_list"]
        if not is_negative(Path(line["path"]).name)
    }


def found_lines(path: Path, fast: bool) -> set[int]:
    from core.guard.secrets import find_secrets, find_secrets_fast

    text = path.read_text(encoding="utf-8", errors="replace")
    found = find_secrets_fast(text) if fast else find_secrets(text)
    lines: set[int] = set()
    for f in found:
        first = text.count("\n", 0, f.start) + 1
        lines.update(range(first, first + text.count("\n", f.start, max(f.start, f.end - 1)) + 1))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast", action="store_true", help="patterns only, no detect-secrets")
    args = parser.parse_args()
    gold = gold_lines(ROOT)
    ours: set[tuple[str, int]] = set()
    negatives: Counter[str] = Counter()
    files = sorted(p for p in (ROOT / "samples").rglob("*") if p.is_file())
    start = time.perf_counter()
    for path in files:
        lines = found_lines(path, args.fast)
        ours |= {(path.name, n) for n in lines}
        if is_negative(path.name):
            negatives[path.name] += len(lines)
    seconds = time.perf_counter() - start
    hit = gold & ours
    report = {
        "detector": "patterns" if args.fast else "patterns+detect-secrets",
        "files": len(files), "gold_lines": len(gold), "recall": round(len(hit) / len(gold), 4),
        "negative_files": sum(is_negative(p.name) for p in files),
        "false_positive_lines_in_negative_files": sum(negatives.values()),
        "negative_files_with_a_finding": sum(1 for v in negatives.values() if v),
        "extra_lines_in_positive_files": len(
            {x for x in ours - gold if not is_negative(x[0])}),
        "seconds": round(seconds, 2),
    }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
