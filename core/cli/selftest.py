"""`enclave selftest`: the product path end to end, offline, each step timed."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from core.selftest import StepResult, run_selftest


def register(commands: Any) -> None:
    """Add `selftest` to the `enclave` parser."""
    parser = commands.add_parser(
        "selftest",
        help="check this installation offline: index, search, answer, guard, window",
    )
    parser.add_argument("--keep", metavar="DIR", help="run in DIR and keep it (default: a temporary home)")
    parser.add_argument("--no-window", action="store_true", help="skip opening the window")
    parser.add_argument("--json", action="store_true", help="one JSON object per step")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    as_json = bool(args.json)

    def report(step: StepResult) -> None:
        if as_json:
            print(json.dumps(step.to_json()), flush=True)
        else:
            mark = "ok  " if step.ok else "FAIL"
            print(f"{mark} {step.name:<8} {step.seconds:6.1f} s  {step.detail}", flush=True)

    home = Path(args.keep) if args.keep else None
    results = run_selftest(report, home=home, window=not args.no_window)
    failed = [r.name for r in results if not r.ok]
    total = time.perf_counter() - started
    if not as_json:
        verdict = f"FAILED: {', '.join(failed)}" if failed else "all steps passed"
        print(f"selftest {verdict} in {total:.1f} s")
    return 1 if failed else 0
