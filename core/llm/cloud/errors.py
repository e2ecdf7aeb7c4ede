"""Typed cloud errors: what went wrong, in words a person can act on, never the key.

Messages are our own sentences; the SDK's text (which may echo part of a key or the
request) is never passed on, only the HTTP status and the provider's error type.
"""

from __future__ import annotations

from core.errors import LLMError


class CloudError(LLMError):
    """A cloud request failed. `reason` is a short code for metadata and tests."""

    reason = "error"


class NoApiKey(CloudError):
    reason = "no_key"


class BadApiKey(CloudError):
    reason = "bad_key"


class QuotaExceeded(CloudError):
    reason = "quota"


class ModelNotFound(CloudError):
    reason = "model_not_found"


class CloudUnreachable(CloudError):
    reason = "network"


class CloudTimeout(CloudUnreachable):
    reason = "timeout"


class CloudServerError(CloudError):
    reason = "server_error"


class StreamBroken(CloudError):
    """The answer stopped midway; `partial` holds what had arrived (placeholders restored)."""

    reason = "stream_broken"

    def __init__(self, message: str, partial: str = "") -> None:
        super().__init__(message)
        self.partial = partial


def scrub(text: str, secret: str | None) -> str:
    """`text` without `secret` (and without any 8-character piece of it)."""
    if not secret:
        return text
    text = text.replace(secret, "***")
    for i in range(0, max(0, len(secret) - 7)):
        piece = secret[i : i + 8]
        if piece in text:
            text = text.replace(piece, "***")
    return text
