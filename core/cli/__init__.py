"""The `enclave` command line: a thin face over core.Engine.

Each area registers its own subcommands (spine, chat, guard); every handler returns an
exit code. UserError is shown as one line; a traceback is never shown to a person.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from core.errors import Cancelled, UserError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from core.cli import chat, guard, keys, selftest, spine

    parser = argparse.ArgumentParser(
        prog="enclave",
        description="Offline knowledge assistant: index your files, ask questions about them.",
    )
    parser.add_argument("--home", help="data directory (default: $ENCLAVE_HOME or the OS one)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for area in (spine, chat, guard, keys, selftest):
        area.register(commands)
    gui = commands.add_parser("gui", help="open the desktop window (what `enclave` alone does)")
    gui.set_defaults(handler=open_gui)
    return parser


# ENCLAVE_LOG=debug (or info, warning): log to stderr, for a person reporting a problem.
LOG_ENV = "ENCLAVE_LOG"


def main(argv: Sequence[str] | None = None) -> int:
    level = os.environ.get(LOG_ENV)
    if level:
        logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return open_gui(args)
    try:
        return handler(args)
    except UserError as exc:
        print(f"enclave: {exc}", file=sys.stderr)
        return 1
    except (Cancelled, KeyboardInterrupt):
        print("enclave: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def open_gui(args: argparse.Namespace) -> int:
    try:
        from desktop.app import run  # type: ignore[import-not-found,unused-ignore]
    except ImportError as exc:
        if getattr(args, "command", None) == "gui":
            raise UserError(
                f"The desktop app is not installed ({exc}): pip install 'enclave[gui]'."
            ) from exc
        build_parser().print_help()
        return 0
    return int(run(home=args.home))


if __name__ == "__main__":
    raise SystemExit(main())
