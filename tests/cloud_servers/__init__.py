"""Stand-ins for the cloud APIs on 127.0.0.1, faithful enough for the official SDKs.

Each server records every request's exact bytes, replies with a set answer (or echoes the
vault placeholders it saw), and takes queued faults: 401, 429 then success, 500, a hang
past the client's timeout, a stream dropped midway. `fixtures` holds the pytest fixtures.
"""

from tests.cloud_servers.anthropic_api import AnthropicServer
from tests.cloud_servers.base import ECHO_PLACEHOLDERS, Fault, Recorded, RecordingServer
from tests.cloud_servers.gemini_api import GeminiServer
from tests.cloud_servers.openai_api import OpenAIServer

SERVERS: dict[str, type[RecordingServer]] = {
    "openai": OpenAIServer,
    "anthropic": AnthropicServer,
    "gemini": GeminiServer,
}

__all__ = ["ECHO_PLACEHOLDERS", "SERVERS", "AnthropicServer", "Fault", "GeminiServer",
           "OpenAIServer", "Recorded", "RecordingServer"]  # fmt: skip
