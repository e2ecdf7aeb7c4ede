"""CLI commands of the guard area: guard scan|redact|restore|status|rescan, egress
list|show|verify."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.engine import Engine
from core.errors import UserError


def register(commands: Any) -> None:
    """Add this area's subcommands to the `enclave` parser."""
    guard = commands.add_parser("guard", help="scan, redact and restore text on this machine")
    actions = guard.add_subparsers(dest="guard_action", metavar="ACTION", required=True)
    scan = actions.add_parser("scan", help="find PII, secrets and prompt injection in stdin")
    output = scan.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON result (default)")
    output.add_argument("--jsonl", action="store_true",
                        help="read one JSON string per line, print one result per line")  # fmt: skip
    scan.set_defaults(handler=run_scan)
    redact = actions.add_parser("redact", help="print stdin with PII and secrets replaced")
    redact.add_argument("--conversation", help="vault to use (default: a new one, id on stderr)")
    redact.set_defaults(handler=run_redact)
    restore = actions.add_parser("restore", help="put the original values back into stdin")
    restore.add_argument("--conversation", required=True)
    restore.set_defaults(handler=run_restore)
    status = actions.add_parser("status", help="which detectors are active")
    status.set_defaults(handler=run_status)
    rescan = actions.add_parser("rescan", help="flag every indexed chunk again with this guard")
    rescan.set_defaults(handler=run_rescan)

    egress = commands.add_parser("egress", help="the log of everything sent off this machine")
    e_actions = egress.add_subparsers(dest="egress_action", metavar="ACTION", required=True)
    listing = e_actions.add_parser("list", help="one line per request")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_egress_list)
    show = e_actions.add_parser("show", help="one request with the exact bytes sent")
    show.add_argument("id", type=int)
    show.set_defaults(handler=run_egress_show)
    verify = e_actions.add_parser("verify", help="check the hash chain for tampering")
    verify.set_defaults(handler=run_egress_verify)


def run_scan(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        if not args.jsonl:
            print(json.dumps(engine.guard_scan(sys.stdin.read()).to_json(), ensure_ascii=False))
            return 0
        for number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                text = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"line {number}: not a JSON string ({exc.msg})") from exc
            if not isinstance(text, str):
                kind = type(text).__name__
                raise UserError(f"line {number}: expected a JSON string, got {kind}")
            result = engine.guard_scan(text).to_json()
            print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def run_redact(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        redacted, conversation = engine.guard_redact(sys.stdin.read(), args.conversation)
    if not args.conversation:
        print(f"conversation: {conversation}", file=sys.stderr)
    sys.stdout.write(redacted)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        sys.stdout.write(engine.guard_restore(sys.stdin.read(), args.conversation))
    return 0


def run_status(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        print("\n".join(engine.guard_status().lines()))
    return 0


def run_rescan(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        total = engine.store.count()
        changed = engine.rescan_guard_flags()
    print(f"{total} chunks rescanned, {changed} with changed flags")
    return 0


def run_egress_list(args: argparse.Namespace) -> int:
    from core.cli.keys import cost_lines, egress_json

    with Engine(args.home) as engine:
        records = engine.egress_records()
        calls = engine.cloud_calls()
        sums = {by: engine.cloud_costs(by) for by in ("conversation", "month")}
    if args.json:
        print(json.dumps(egress_json(records, calls, sums)))
        return 0
    for r in records:
        red = ", ".join(f"{k}x{v}" for k, v in r.redactions.items()) or "nothing redacted"
        call = calls.get(r.id)
        back = f"{r.response_size} B back" if r.response_size >= 0 else "logged before sending"
        cost = "" if call is None else f", {call.status}, " + (
            "no price" if call.cost_usd is None else f"${call.cost_usd:.6f}")
        print(f"{r.id:>5}  {r.ts}  {r.provider}/{r.model}  {len(r.payload)} B sent, "
              f"{back}  ({red}){cost}")  # fmt: skip
    if not records:
        print("Nothing has been sent off this machine.")
    for line in cost_lines(sums):
        print(line)
    return 0


def run_egress_show(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        r = engine.egress_record(args.id)
    print(f"id: {r.id}\ntime: {r.ts}\nprovider: {r.provider}\nmodel: {r.model}\n"
          f"redactions: {json.dumps(r.redactions)}\nresponse size: {r.response_size}\n"
          f"hash: {r.hash}\nbytes sent ({len(r.payload)}):")  # fmt: skip
    sys.stdout.write(r.payload.decode("utf-8", errors="replace") + "\n")
    return 0


def run_egress_verify(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        result = engine.egress_verify()
    if result.ok:
        print(f"egress log intact: {result.rows} records, hash chain verified")
        return 0
    for problem in result.problems:
        print(f"TAMPERED: {problem}")
    return 1
