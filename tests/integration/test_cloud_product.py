"""The cloud fallback through the product (Engine and CLI) against the API stand-ins on
127.0.0.1 and llama.cpp's own OpenAI-compatible server, with the official SDKs, the
real guard (Presidio, vault, egress log), the real embedder and the local SmolLM2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from core.engine import Engine
from tests.cloud_servers import ECHO_PLACEHOLDERS, RecordingServer
from tests.cloud_servers.llama_server import LlamaServer
from tests.fakes import MemoryKeyring

pytestmark = pytest.mark.integration

PROVIDERS = ("openai", "anthropic", "gemini", "openai-compatible")
DOCUMENT = """# Harbour Street lease

The tenant of the Harbour Street warehouse is Jane Miller. She may end the lease with a
notice period of three months, written to landlord@harbour-estates.example or by phone at
+1 212 555 0147. The deposit is paid from IBAN DE89 3704 0044 0532 0130 00.
"""
QUESTION = "What notice period applies to the Harbour Street warehouse lease?"
SENSITIVE = ["landlord@harbour-estates.example", "+1 212 555 0147", "DE89 3704 0044 0532 0130 00"]


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def shared_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One home for the module (ingest and model loads once); each test sets [cloud] anew
    and asks in new conversations."""
    root = tmp_path_factory.mktemp("cloud-product")
    docs = root / "docs"
    docs.mkdir()
    (docs / "lease.md").write_text(DOCUMENT, encoding="utf-8")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    engine = Engine(root / "home")  # the embedder the CLI's own Engine loads too
    engine.ingest([docs])
    keyring.set_keyring(previous)
    yield engine
    engine.close()


def server_for(cloud_servers: dict[str, RecordingServer], provider: str) -> RecordingServer:
    return cloud_servers["openai" if provider == "openai-compatible" else provider]


def configure(engine: Engine, provider: str, server: RecordingServer | None,
              mode: str = "cloud", **cloud: object) -> Engine:  # fmt: skip
    settings: dict[str, object] = {"mode": mode, "provider": provider, "timeout_s": 3.0,
                                   "max_retries": 1, "model": "", "base_url": "",
                                   "context_window": 0}  # fmt: skip
    if server is not None:
        settings |= {"model": server.default_model, "base_url": server.base_url}
        engine.set_cloud_key(provider, server.api_key)
    settings |= cloud
    engine.update_settings({"cloud": settings, "llm": {"max_answer_tokens": 16}})
    engine.set_sensitivity("default", "internal")
    return engine


@pytest.mark.parametrize("provider", PROVIDERS)
def test_answer_streams_through_each_sdk_with_placeholders_restored(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer], provider: str,
) -> None:
    server = server_for(cloud_servers, provider)
    server.answer = ECHO_PLACEHOLDERS
    engine = configure(shared_engine, provider, server)
    pieces: list[str] = []
    result = engine.ask(QUESTION, on_token=pieces.append)
    data = result.to_json()
    assert data["backend"] == "cloud" and data["provider"] == provider, data["fallback_reason"]
    received = server.received()
    for value in SENSITIVE:
        assert value.encode() not in received
    assert data["redactions"] and data["egress_id"] == engine.egress_records()[-1].id
    # the server echoed placeholders; the answer (streamed and stored) has the values back
    assert all(value in result.answer for value in SENSITIVE[:2]), result.answer
    assert "".join(pieces) == result.answer or result.answer in "".join(pieces)
    assert data["usage"]["prompt_tokens"] > 0 and data["usage"]["completion_tokens"] > 0
    record = engine.egress_records()[-1]
    assert record.payload == server.requests[-1].body  # the exact bytes, logged


def ask_and_stream(engine: Engine, **options: object) -> tuple[object, str]:
    pieces: list[str] = []
    result = engine.ask(QUESTION, on_token=pieces.append, **options)  # type: ignore[arg-type]
    return result, "".join(pieces)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_bad_key_falls_back_to_the_local_model_and_says_why(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer], provider: str,
) -> None:
    server = cloud_servers[provider]
    engine = configure(shared_engine, provider, server)
    engine.set_cloud_key(provider, "sk-wrong-key-0123456789abcdef")
    result = engine.ask(QUESTION)
    data = result.to_json()  # type: ignore[attr-defined]
    assert data["backend"] == "local" and data["engine"] == "llama.cpp"
    assert data["cloud_error"] == "bad_key" and "refused the API key" in data["fallback_reason"]
    assert "0123456789abcdef" not in json.dumps(data)
    # the request had left (and was logged) before the 401 came back
    assert engine.egress_records()[-1].payload == server.requests[-1].body


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_429_then_success_is_retried_within_the_bound(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer], provider: str,
) -> None:
    server = cloud_servers[provider]
    engine = configure(shared_engine, provider, server)
    server.fail("429", times=1, retry_after_s=0.05)
    server.answer = "Three months [1]."
    before = len(engine.egress_records())
    result, _ = ask_and_stream(engine)
    assert result.route.route == "cloud" and result.answer.startswith("Three months")  # type: ignore[attr-defined]
    assert len(server.requests) == 2 and len(engine.egress_records()) == before + 1  # logged once
    server.fail("429", times=3)  # more than cloud.max_retries = 1: quota, then local
    result, _ = ask_and_stream(engine)
    assert result.route.cloud_error == "quota" and result.route.route == "local"  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_500_and_hang_fall_back_to_local(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer], provider: str,
) -> None:
    import time

    server = cloud_servers[provider]
    engine = configure(shared_engine, provider, server, max_retries=0,
                         timeout_s=1.0)  # fmt: skip
    server.fail("500")
    result, _ = ask_and_stream(engine)
    assert (result.route.route, result.route.cloud_error) == ("local", "server_error")  # type: ignore[attr-defined]
    server.fail("hang", hang_s=10.0)
    started = time.monotonic()
    result, _ = ask_and_stream(engine)
    assert (result.route.route, result.route.cloud_error) == ("local", "timeout")  # type: ignore[attr-defined]
    assert time.monotonic() - started < 8.0
    server.released.set()


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_stream_dropped_midway_is_not_stored_as_an_answer(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer], provider: str,
) -> None:
    server = cloud_servers[provider]
    engine = configure(shared_engine, provider, server)
    server.answer = "The notice period is three months, in writing to the landlord [1]."
    server.fail("drop", chunks_before_drop=5)
    result, streamed = ask_and_stream(engine)
    route = result.route  # type: ignore[attr-defined]
    assert route.route == "local" and route.cloud_error == "stream_broken"
    assert "broke off" in streamed and streamed.startswith("The n")  # the partial was shown
    stored = engine.turns(result.conversation_id)[-1]  # type: ignore[attr-defined]
    assert stored.answer == result.answer and "in writing to the landlord" not in stored.answer
    assert stored.info["backend"] == "local" and stored.info["cloud"]["cloud_error"] == "stream_broken"
    assert engine.cloud_calls()[engine.egress_records()[-1].id].status == "broken"


def test_openai_compatible_path_streams_from_llama_cpp_server(
    shared_engine: Engine, llama_server: LlamaServer,
) -> None:
    engine = configure(shared_engine, "openai-compatible", None,
                         model=llama_server.model, base_url=llama_server.base_url,
                         timeout_s=60.0, context_window=2048)  # fmt: skip
    engine.set_cloud_key("openai-compatible", llama_server.api_key)
    pieces: list[str] = []
    result = engine.ask(QUESTION, on_token=pieces.append)
    assert result.route is not None and result.route.route == "cloud", result.route
    assert len(pieces) >= 2 and result.answer.strip()
    assert result.route.provider == "openai-compatible" and result.model == "smollm2"
    assert result.route.usage and result.route.usage["prompt_tokens"] > 0
    assert result.route.cost_usd is None  # no price for a team's own server
    assert b"landlord@harbour-estates.example" not in engine.egress_records()[-1].payload


def test_dry_run_is_exactly_what_is_sent_next(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer],
) -> None:
    server = cloud_servers["anthropic"]
    engine = configure(shared_engine, "anthropic", server, mode="local")
    before = len(engine.egress_records())
    preview = engine.cloud_preview(QUESTION)
    assert preview.would_send and not server.requests and len(engine.egress_records()) == before
    assert preview.redactions.get("EMAIL_ADDRESS") and b"landlord@harbour" not in preview.body
    assert all(preview.text[a:b].startswith("<") for a, b in preview.placeholder_spans)
    result = engine.ask(QUESTION, backend="cloud")
    assert result.route is not None and result.route.route == "cloud"
    assert server.requests[-1].body == preview.body == engine.egress_records()[-1].payload


def test_confidential_collection_never_goes_to_the_cloud(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer],
) -> None:
    server = cloud_servers["openai"]
    engine = configure(shared_engine, "openai", server)
    engine.set_sensitivity("default", "confidential")
    before = len(engine.egress_records())
    result = engine.ask(QUESTION)
    assert result.route is not None and result.route.route == "local"
    assert "confidential" in (result.route.fallback_reason or "")
    assert not server.requests and len(engine.egress_records()) == before
    preview = engine.cloud_preview(QUESTION)
    assert not preview.would_send and "confidential" in (preview.reason or "")


def test_key_never_touches_the_disk(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring,
) -> None:
    from core.cli import main

    key = "sk-enclave-DiskProbe-7f3a9c1e5b2d4f60"
    engine = configure(shared_engine, "openai", cloud_servers["openai"])
    home = engine.home
    conversations = []
    for provider in PROVIDERS:
        server = server_for(cloud_servers, provider)
        monkeypatch.setattr(server, "api_key", key)
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO(key + "\n"))
        assert main(["--home", str(home), "keys", "set", provider]) == 0
        engine.update_settings({"cloud": {"provider": provider, "model": server.default_model,
                                          "base_url": server.base_url}})  # fmt: skip
        result = engine.ask(QUESTION)
        assert result.route is not None and result.route.route == "cloud", result.route
        conversations.append(result.conversation_id)
        engine.update_settings({"cloud": {"base_url": "http://127.0.0.1:9/v1"}})  # unreachable
        engine.ask(QUESTION, conversation_id=result.conversation_id)  # an error path too
    exports = tmp_path / "exports"
    exports.mkdir()
    for cid in conversations:
        (exports / f"{cid}.md").write_text(engine.export_conversation(cid), encoding="utf-8")
    assert sum(key in v for v in memory_keyring.store.values()) == len(PROVIDERS)
    files = [p for root in (home, exports) for p in root.rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:
        assert key.encode() not in path.read_bytes(), path
        assert key[8:24].encode() not in path.read_bytes(), path


def test_cli_ask_cloud_json_dry_run_and_egress_costs(
    shared_engine: Engine, cloud_servers: dict[str, RecordingServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from core.cli import main

    server = cloud_servers["gemini"]
    engine = configure(shared_engine, "gemini", server, mode="local")
    home = str(engine.home)
    assert main(["--home", home, "ask", "--cloud", "--dry-run", "--json", QUESTION]) == 0
    preview = json.loads(capsys.readouterr().out)
    assert preview["would_send"] and preview["redactions"] and not server.requests, preview["reason"]
    assert "landlord@harbour-estates.example" not in preview["body"]
    assert main(["--home", home, "ask", "--cloud", "--json", QUESTION]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["backend"], answer["provider"], answer["model"]) == ("cloud", "gemini", server.default_model)
    assert answer["egress_id"] and answer["usage"]["completion_tokens"] > 0
    assert answer["cost"] > 0 and server.requests[-1].body.decode() == preview["body"]
    assert main(["--home", home, "ask", "--local", "--json", QUESTION]) == 0
    local = json.loads(capsys.readouterr().out)
    assert local["backend"] == "local" and local["egress_id"] is None and len(server.requests) == 1
    assert main(["--home", home, "egress", "list"]) == 0
    listing = capsys.readouterr().out
    assert "cost per conversation:" in listing and "cost per month:" in listing
    assert answer["conversation_id"] in listing
    assert main(["--home", home, "egress", "list", "--json"]) == 0
    sums = json.loads(capsys.readouterr().out)
    mine = [s for s in sums["per_conversation"] if s["key"] == answer["conversation_id"]]
    assert mine and mine[0]["cost_usd"] == pytest.approx(answer["cost"], abs=1e-6)
    assert main(["--home", home, "cloud", "test", "gemini"]) == 0
    assert "connected" in capsys.readouterr().out
