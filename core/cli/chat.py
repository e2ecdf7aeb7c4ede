"""CLI commands of the chat area: ask, models, chats."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from core.cli import models_download
from core.engine import Engine
from core.errors import UserError


def register(commands: Any) -> None:
    """Add this area's subcommands to the `enclave` parser."""
    ask = commands.add_parser("ask", help="answer a question from your documents")
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--collection", action="append", help="search only this collection")
    ask.add_argument("--conversation", help="continue this conversation id")
    ask.add_argument("--model", help="model name (see `enclave models list`)")
    route = ask.add_mutually_exclusive_group()
    route.add_argument("--cloud", action="store_const", const="cloud", dest="backend",
                       help="this question goes to the cloud model (through the guard)")
    route.add_argument("--local", action="store_const", const="local", dest="backend",
                       help="this question stays with the local model")
    ask.add_argument("--dry-run", action="store_true",
                     help="print exactly what --cloud would send, and send nothing")
    ask.set_defaults(backend="auto")
    output = ask.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON result")
    output.add_argument(
        "--jsonl",
        action="store_true",
        help="read questions from stdin, one per line; print JSON lines",
    )
    ask.set_defaults(handler=run_ask)

    models = commands.add_parser("models", help="list, import, remove or select models")
    actions = models.add_subparsers(dest="models_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="models and their GGUF details")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_models_list)
    importing = actions.add_parser("import", help="copy (or --link) a .gguf file in")
    importing.add_argument("path")
    importing.add_argument("--link", action="store_true", help="symlink instead of copying")
    importing.set_defaults(handler=run_models_import)
    removing = actions.add_parser("remove", help="delete an imported model")
    removing.add_argument("name")
    removing.set_defaults(handler=run_models_remove)
    using = actions.add_parser("use", help="select the model that answers")
    using.add_argument("name")
    using.set_defaults(handler=run_models_use)
    models_download.register_actions(actions)

    chats = commands.add_parser("chats", help="list, rename, delete or export conversations")
    chat_actions = chats.add_subparsers(dest="chats_action", metavar="ACTION", required=True)
    chat_actions.add_parser("list").set_defaults(handler=run_chats_list)
    rename = chat_actions.add_parser("rename")
    rename.add_argument("id")
    rename.add_argument("title")
    rename.set_defaults(handler=run_chats_rename)
    delete = chat_actions.add_parser("delete")
    delete.add_argument("id")
    delete.set_defaults(handler=run_chats_delete)
    export = chat_actions.add_parser("export", help="Markdown with citations")
    export.add_argument("id")
    export.add_argument("-o", "--output", help="file to write (default: stdout)")
    export.set_defaults(handler=run_chats_export)


def run_ask(args: argparse.Namespace) -> int:
    if not args.jsonl and not args.question:
        raise UserError("Give a question, or --jsonl to read questions from stdin.")
    from core.cli import keys as cloud_cli

    if args.dry_run:
        return cloud_cli.run_dry_run(args)
    engine = Engine(home=args.home)

    def answer(question: str, stream: bool) -> Any:
        on_token = print_piece if stream else None
        return engine.ask(question, conversation_id=args.conversation,
                          collections=args.collection, model=args.model, on_token=on_token,
                          backend=args.backend)  # fmt: skip

    if args.jsonl:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(answer(line.strip(), False).to_json()), flush=True)
        return 0
    result = answer(args.question, stream=not args.json)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print_citations(result)
        cloud_cli.print_route(result)
    return 0


def print_piece(piece: str) -> None:
    sys.stdout.write(piece)
    sys.stdout.flush()


def print_citations(result: Any) -> None:
    print()
    if result.citations:
        print()
    for citation in result.citations:
        source = citation.source
        where = source.path + (f", page {source.pages_label}" if source.page else "")
        note = " (inferred)" if citation.inferred else ""
        print(f"[{citation.n}] {where}{note}")
    for sentence in result.unsupported:
        print(f"  ! not supported by the sources: {sentence.text}")
    if result.question_injection and result.question_injection.flagged:
        reasons = ", ".join(result.question_injection.reasons)
        print(f"  ! the question reads like a prompt injection ({reasons})")
    print(f"\nconversation {result.conversation_id}", file=sys.stderr)


def run_models_list(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        selected = engine.selected_model()
        entries = engine.models()
    if args.json:
        print(json.dumps([e.to_json(selected) for e in entries], indent=2))
        return 0
    for entry in entries:
        mark = "*" if entry.name == selected else " "
        info = entry.info
        context = info.context_length or "?"
        print(
            f"{mark} {entry.name:32} {info.parameters_label:>6} {info.quantization:8} "
            f"ctx {context:<7} {info.size_bytes / 2**20:,.0f} MB  {entry.path}"
        )
    return 0


def run_models_import(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        entry = engine.import_model(args.path, link=args.link)
    print(
        f"imported {entry.name} ({entry.info.parameters_label}, {entry.info.quantization}); "
        f"select it with: enclave models use {entry.name}"
    )
    return 0


def run_models_remove(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        engine.remove_model(args.name)
    print(f"removed {args.name}")
    return 0


def run_models_use(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        engine.use_model(args.name)
    print(f"answers now come from {args.name}")
    return 0


def run_chats_list(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        for conversation in engine.conversations():
            print(f"{conversation.id}  {conversation.turns:3} turns  {conversation.title}")
    return 0


def run_chats_rename(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        engine.rename_conversation(args.id, args.title)
    return 0


def run_chats_delete(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        engine.delete_conversation(args.id)
    return 0


def run_chats_export(args: argparse.Namespace) -> int:
    with Engine(args.home) as engine:
        markdown = engine.export_conversation(args.id)
    if args.output:
        Path(args.output).write_text(markdown, encoding="utf-8")
    else:
        sys.stdout.write(markdown)
    return 0
