"""CLI commands for cloud providers: keys set|list|delete PROVIDER, and cloud test|models.

`keys set` reads the key from stdin (without echo on a terminal); no key is ever printed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

from core.engine import Engine
from core.errors import UserError

PROVIDER_HELP = "openai | anthropic | gemini | openai-compatible"


def register(commands: Any) -> None:
    """Add this area's subcommands to the `enclave` parser."""
    keys = commands.add_parser("keys", help="API keys of cloud providers (in the OS keyring)")
    actions = keys.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    setting = actions.add_parser("set", help="store a key read from stdin (no echo)")
    setting.add_argument("provider", help=PROVIDER_HELP)
    setting.set_defaults(handler=run_keys_set)
    listing = actions.add_parser("list", help="which providers have a key (never the key)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_keys_list)
    deleting = actions.add_parser("delete", help="remove a stored key")
    deleting.add_argument("provider", help=PROVIDER_HELP)
    deleting.set_defaults(handler=run_keys_delete)

    cloud = commands.add_parser("cloud", help="cloud models: test the connection, list models")
    c_actions = cloud.add_subparsers(dest="cloud_action", metavar="ACTION", required=True)
    testing = c_actions.add_parser("test", help="ask the provider for its models with the key")
    testing.add_argument("provider", nargs="?", help=f"{PROVIDER_HELP} (default: cloud.provider)")
    testing.add_argument("--json", action="store_true")
    testing.set_defaults(handler=run_cloud_test)
    models = c_actions.add_parser("models", help="known models, context windows and prices")
    models.add_argument("provider", nargs="?")
    models.add_argument("--json", action="store_true")
    models.set_defaults(handler=run_cloud_models)


def read_key(provider: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(f"API key for {provider} (not shown): ")
    return sys.stdin.readline()


def run_keys_set(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        providers = [p["provider"] for p in engine.cloud_providers()]
        if args.provider not in providers:
            raise UserError(f"Unknown provider {args.provider!r}: use one of {', '.join(providers)}.")
        engine.set_cloud_key(args.provider, read_key(args.provider))
    print(f"key for {args.provider} stored in the OS keyring")
    return 0


def run_keys_list(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        statuses = engine.cloud_keys()
    if args.json:
        print(json.dumps([s.to_json() for s in statuses]))
        return 0
    for s in statuses:
        where = {"keyring": "key in the OS keyring", "env": f"key from ${s.to_json()['env']}",
                 None: "no key"}[s.source]  # fmt: skip
        print(f"{s.provider:18} {where}")
    return 0


def run_keys_delete(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        removed = engine.delete_cloud_key(args.provider)
    print(f"key for {args.provider} removed" if removed else f"no stored key for {args.provider}")
    return 0


def run_cloud_test(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        report = engine.test_connection(args.provider)
    if args.json:
        print(json.dumps(report.to_json()))
    elif report.ok:
        print(f"{report.provider}: connected in {report.ms:.0f} ms, {len(report.models)} models"
              f" (key from {report.key_source or 'nowhere'})")  # fmt: skip
    else:
        print(f"{report.provider}: {report.error}", file=sys.stderr)
    return 0 if report.ok else 1


def run_cloud_models(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        models = engine.cloud_models(args.provider)
        date = engine.cloud_settings().prices_date
    if args.json:
        print(json.dumps([m.to_json() for m in models]))
        return 0
    for m in models:
        price = ("no price" if m.price_in is None else
                 f"${m.price_in:g} in / ${m.price_out:g} out per M tokens")  # fmt: skip
        print(f"{m.provider:18} {m.name:26} ctx {m.context_window:>9,}  {price}")
    print(f"(prices taken {date}; edit them under [cloud.prices] in settings.toml)")
    return 0


def run_dry_run(args: argparse.Namespace) -> int:
    """`ask --dry-run`: exactly what the cloud model would get; nothing is sent."""
    if args.jsonl or not args.question:
        raise UserError("--dry-run takes one question (not --jsonl).")
    if args.backend == "local":
        raise UserError("--dry-run shows a cloud request; it does not go with --local.")
    with Engine(args.home) as engine:
        preview = engine.cloud_preview(args.question, conversation_id=args.conversation,
                                       collections=args.collection)  # fmt: skip
    if args.json:
        print(json.dumps(preview.to_json(), indent=2, ensure_ascii=False))
        return 0
    target = f"{preview.provider}/{preview.model}" + (f" at {preview.base_url}" if preview.base_url else "")
    if not preview.would_send:
        print(f"nothing would be sent to {target}: {preview.reason}")
        return 0
    red = ", ".join(f"{k} x{v}" for k, v in sorted(preview.redactions.items())) or "nothing"
    print(f"would send {len(preview.body)} bytes to {target}; replaced: {red}", file=sys.stderr)
    for reason, n in preview.left_out.items():
        print(f"left out: {n} passages ({reason})", file=sys.stderr)
    sys.stdout.write(preview.text + "\n")
    return 0


def print_route(result: Any) -> None:
    """A line on stderr after a streamed answer: which model, what it cost, why it fell back."""
    route = result.route
    if route is None:
        return
    if route.route == "cloud":
        usage = route.usage or {}
        cost = "no price" if route.cost_usd is None else f"${route.cost_usd:.6f}"
        red = sum(route.redactions.values())
        print(f"cloud: {route.provider}/{result.model}, {usage.get('prompt_tokens', 0)} + "
              f"{usage.get('completion_tokens', 0)} tokens, {cost}, {red} values replaced, "
              f"egress #{route.egress_id}", file=sys.stderr)  # fmt: skip
    if route.fallback_reason:
        print(f"note: {route.fallback_reason}", file=sys.stderr)


def egress_json(records: list[Any], calls: dict[int, Any], sums: dict[str, list[Any]]) -> Any:
    rows = []
    for r in records:
        call = calls.get(r.id)
        rows.append({"id": r.id, "ts": r.ts, "provider": r.provider, "model": r.model,
                     "bytes": len(r.payload), "redactions": r.redactions,
                     "response_size": r.response_size,
                     "conversation_id": call.conversation_id if call else None,
                     "status": call.status if call else None,
                     "usage": call.usage.to_json() if call else None,
                     "cost_usd": call.cost_usd if call else None})  # fmt: skip
    return {"records": rows, "per_conversation": [s.to_json() for s in sums["conversation"]],
            "per_month": [s.to_json() for s in sums["month"]]}  # fmt: skip


def cost_lines(sums: dict[str, list[Any]]) -> list[str]:
    lines: list[str] = []
    for by, title in (("conversation", "cost per conversation"), ("month", "cost per month")):
        if sums[by]:
            lines.append(f"\n{title}:")
        for s in sums[by]:
            extra = f" (+{s.unpriced_calls} calls without a price)" if s.unpriced_calls else ""
            lines.append(f"  {s.key:14} {s.calls:>4} calls  {s.prompt_tokens:>8} in "
                         f"{s.completion_tokens:>7} out  ${s.cost_usd:.6f}{extra}")  # fmt: skip
    return lines
