"""The cloud fallback through the product (Engine and CLI) against the API stand-ins on
127.0.0.1 and llama.cpp's own OpenAI-compatible server, with the official SDKs, the
real guard (Presidio, vault, egress log), the real embedder and the local SmolLM2."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from core.engine import Engine
from tests.cloud_servers import ECHO_PLACEHOLDERS, RecordingServer
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
def embedder() -> object:
    from core.index.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


def server_for(cloud_servers: dict[str, RecordingServer], provider: str) -> RecordingServer:
    return cloud_servers["openai" if provider == "openai-compatible" else provider]


def make_engine(home: Path, tmp_path: Path, embedder: object, provider: str,
                server: RecordingServer | None, mode: str = "cloud", **cloud: object) -> Engine:  # fmt: skip
    docs = tmp_path / "docs"
    docs.mkdir(exist_ok=True)
    (docs / "lease.md").write_text(DOCUMENT, encoding="utf-8")
    engine = Engine(home, embedder=embedder)  # type: ignore[arg-type]
    engine.ingest([docs])
    settings: dict[str, object] = {"mode": mode, "provider": provider, "timeout_s": 3.0,
                                   "max_retries": 1}  # fmt: skip
    if server is not None:
        settings |= {"model": server.default_model, "base_url": server.base_url}
        engine.set_cloud_key(provider, server.api_key)
    settings |= cloud
    engine.update_settings({"cloud": settings, "llm": {"max_answer_tokens": 24}})
    return engine


@pytest.mark.parametrize("provider", PROVIDERS)
def test_answer_streams_through_each_sdk_with_placeholders_restored(
    home: Path, tmp_path: Path, embedder: object, cloud_servers: dict[str, RecordingServer],
    provider: str,
) -> None:
    server = server_for(cloud_servers, provider)
    server.answer = ECHO_PLACEHOLDERS
    engine = make_engine(home, tmp_path, embedder, provider, server)
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
