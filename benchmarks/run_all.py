"""Run every benchmark, each in its own process (one JSON document each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Shared code, data builders, and the scripts that train what Enclave ships (each overwrites
# a model in resources/ when run): none of them measures anything.
NOT_BENCHMARKS = {"__init__", "common", "run_all", "guard_injection_data",
                  "guard_classifier_data", "guard_ner_data", "guard_train_injection",
                  "guard_finetune_injection", "guard_train_ner"}  # fmt: skip


def main() -> int:
    names = sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)
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
