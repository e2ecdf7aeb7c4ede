"""Integration fixtures: the cloud API stand-ins and llama.cpp's own server."""

from tests.cloud_servers.fixtures import (  # noqa: F401  (pytest finds fixtures by name)
    anthropic_server,
    cloud_servers,
    cloud_servers_session,
    gemini_server,
    llama_server,
    openai_server,
)
