"""Run every benchmark, each in its own process (one JSON document each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    helpers = {"__init__", "common", "run_all", "guard_injection_data", "guard_train_injection"}
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in helpers)
    failed = []
    for name in names:
        print(f"# {name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"], cwd=HERE.parent)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
