"""CLI commands for getting models: `enclave models catalog` and `enclave models download`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.engine import Engine
from core.jobs import CancelToken, Progress


def register_actions(actions: Any) -> None:
    """Add catalog and download to the `enclave models` subcommands."""
    catalog = actions.add_parser("catalog", help="recommended models and how they fit here")
    catalog.add_argument("--json", action="store_true")
    catalog.set_defaults(handler=run_catalog)
    download = actions.add_parser("download", help="download a catalog model or a .gguf URL")
    download.add_argument("source", metavar="NAME|URL")
    download.add_argument("--sha256", help="expected SHA-256 of the file (64 hex digits)")
    download.add_argument("--json", action="store_true", help="print the result as JSON")
    download.set_defaults(handler=run_download)


def run_catalog(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        verdicts = engine.model_catalog()
    if args.json:
        print(json.dumps([v.to_json() for v in verdicts], indent=2))
        return 0
    for v in verdicts:
        e = v.entry
        size = f"{e.size_bytes / 1e9:.2f} GB" if e.size_bytes else "size at download"
        fit = "fits" if v.fits_ram and v.fits_disk else (
            "too big for RAM" if not v.fits_ram else "not enough disk"
        )
        mark = "installed" if v.installed else fit
        print(
            f"{e.name:34} {e.params_b:5.2f}B {size:>16}  ctx {e.context:<6} {e.licence:11} "
            f"{v.speed:6} ~{v.tokens_per_s:.0f} tok/s  {mark}"
        )
    print("speed is an estimate from file size and cores; `enclave models download NAME`",
          file=sys.stderr)
    return 0


def run_download(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        if args.json:
            result = engine.download_model(args.source, sha256=args.sha256)
            print(json.dumps(result.to_json()))
            return 0
        result = _download_with_bar(engine, args.source, args.sha256)
    checked = (
        f"SHA-256 checked ({result.verified_against})" if result.verified_against
        else "no SHA-256 was known, so it is unverified"
    )
    print(f"downloaded {result.name} ({result.size_bytes / 1e6:,.0f} MB, {checked}); "
          f"select it with: enclave models use {result.name}")
    return 0


def _download_with_bar(engine: Engine, source: str, sha256: str | None) -> Any:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as ProgressBar

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn()]  # fmt: skip
    cancel = CancelToken()
    with ProgressBar(*columns, transient=True) as bar:
        task = bar.add_task(source, total=None)

        def update(progress: Progress) -> None:
            bar.update(task, description=progress.label, completed=progress.done,
                       total=progress.total)  # fmt: skip

        try:
            return engine.download_model(source, sha256=sha256, progress=update, cancel=cancel)
        except KeyboardInterrupt:
            cancel.cancel()
            print("stopped; run the same command again to resume", file=sys.stderr)
            raise
