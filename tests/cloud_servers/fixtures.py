"""pytest fixtures for the API stand-ins (a plugin: tests/conftest.py registers it).

The servers live for the whole session; each test gets them reset (no requests, no
queued faults, the default answer), so tests stay independent and cheap.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cloud_servers import SERVERS, RecordingServer
from tests.cloud_servers.llama_server import LlamaServer, start_llama_server


@pytest.fixture(scope="session")
def cloud_servers_session() -> Iterator[dict[str, RecordingServer]]:
    servers = {name: cls().start() for name, cls in SERVERS.items()}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def cloud_servers(
    cloud_servers_session: dict[str, RecordingServer],
) -> Iterator[dict[str, RecordingServer]]:
    """The three servers, keyed by provider name, clean for this test."""
    for server in cloud_servers_session.values():
        server.reset()
    yield cloud_servers_session
    for server in cloud_servers_session.values():
        server.released.set()  # a test that queued a hang never leaves a thread waiting


@pytest.fixture
def openai_server(cloud_servers: dict[str, RecordingServer]) -> RecordingServer:
    return cloud_servers["openai"]


@pytest.fixture
def anthropic_server(cloud_servers: dict[str, RecordingServer]) -> RecordingServer:
    return cloud_servers["anthropic"]


@pytest.fixture
def gemini_server(cloud_servers: dict[str, RecordingServer]) -> RecordingServer:
    return cloud_servers["gemini"]


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama.cpp's OpenAI-compatible server with the bundled SmolLM2, for the session."""
    pytest.importorskip("llama_cpp.server.app", reason="needs the extra llama-cpp-python[server]")
    from core.llm.models import bundled_model_path

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    server = start_llama_server(bundled_model_path(), log)
    yield server
    server.stop()
