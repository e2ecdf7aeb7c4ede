"""What every provider client shares: the request, the wire tap, the stream's outcome.

A provider client speaks one API through its official SDK. It takes messages that the
guard has already pseudonymized and calls `wire(body)` with the exact bytes of every
HTTP request body just before that request is sent (the SDK's own httpx event hook):
that is where the egress log is written, and a `wire` that raises stops the send.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import EnclaveError
from core.jobs import CancelToken
from core.llm.backend import ChatMessage, FinishReason
from core.llm.cloud.errors import (
    BadApiKey,
    CloudError,
    CloudServerError,
    CloudTimeout,
    CloudUnreachable,
    ModelNotFound,
    QuotaExceeded,
    StreamBroken,
    scrub,
)

Wire = Callable[[bytes], None]
PieceCallback = Callable[[str], None]


@dataclass(frozen=True)
class ClientConfig:
    provider: str
    model: str
    base_url: str  # "" for the SDK's default; else handed to the SDK unchanged
    api_key: str
    timeout_s: float = 60.0
    max_retries: int = 2


@dataclass
class StreamOutcome:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int | None
    completion_tokens: int | None
    ttft_ms: float
    total_ms: float


def system_and_turns(messages: Sequence[ChatMessage]) -> tuple[str, list[ChatMessage]]:
    """APIs that take the system prompt apart (Anthropic, Gemini) get it joined."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    return system, [m for m in messages if m.role != "system"]


class StreamTimer:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.ttft_ms = 0.0
        self.pieces: list[str] = []

    def piece(self, text: str, on_piece: PieceCallback) -> None:
        if not text:
            return
        if not self.pieces:
            self.ttft_ms = (time.perf_counter() - self.started) * 1000
        self.pieces.append(text)
        on_piece(text)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def outcome(self, finish: FinishReason, usage: tuple[int, int] | None) -> StreamOutcome:
        return StreamOutcome(self.text, finish, usage[0] if usage else None,
                             usage[1] if usage else None, self.ttft_ms,
                             (time.perf_counter() - self.started) * 1000)  # fmt: skip


def cancelled(cancel: CancelToken | None) -> bool:
    return cancel is not None and cancel.cancelled


class ProviderClient:
    """Base of the four clients; subclasses fill in `_stream` and `_list_models`."""

    label = "cloud"

    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, temperature: float,
               on_piece: PieceCallback, wire: Wire,
               cancel: CancelToken | None = None) -> StreamOutcome:  # fmt: skip
        """Stream the answer; raises a CloudError (never the SDK's own exception)."""
        timer = StreamTimer()
        try:
            return self._stream(messages, max_tokens, temperature, on_piece, wire, cancel, timer)
        except CloudError:
            raise
        except Exception as exc:
            ours = enclave_cause(exc)
            if ours is not None:  # the wire refused (an SDK wraps what its hooks raise)
                raise ours from None
            error = self.classify(exc)
            if timer.pieces and not isinstance(error, (BadApiKey, QuotaExceeded, ModelNotFound)):
                raise StreamBroken(
                    f"{self.label}'s answer broke off after {len(timer.text)} characters "
                    f"({error})", timer.text) from None  # fmt: skip
            raise error from None

    def list_models(self) -> list[str]:
        try:
            return self._list_models()
        except CloudError:
            raise
        except Exception as exc:
            raise self.classify(exc) from None

    def _stream(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float,
                on_piece: PieceCallback, wire: Wire, cancel: CancelToken | None,
                timer: StreamTimer) -> StreamOutcome:  # fmt: skip
        raise NotImplementedError

    def _list_models(self) -> list[str]:
        raise NotImplementedError

    def broken(self, timer: StreamTimer) -> StreamBroken:
        return StreamBroken(f"{self.label}'s answer stream ended before the answer was complete"
                            f" ({len(timer.text)} characters arrived).", timer.text)  # fmt: skip

    # -- errors ------------------------------------------------------------------
    def classify(self, exc: BaseException) -> CloudError:
        """One of our typed errors for an SDK or transport exception (status codes first);
        its message is ours, and scrubbed of the key all the same."""
        error = self._classify(exc)
        error.args = (scrub(str(error), self.config.api_key),)
        return error

    def _classify(self, exc: BaseException) -> CloudError:
        status = status_of(exc)
        where = self.config.base_url or f"{self.label}'s API"
        model = self.config.model
        if status in (401, 403):
            return BadApiKey(f"{self.label} refused the API key (HTTP {status}). Store a valid "
                             f"one with `enclave keys set {self.config.provider}`.")  # fmt: skip
        if status == 429:
            return QuotaExceeded(f"{self.label} says the rate limit or quota is used up (HTTP "
                                 "429), also after retrying. Wait, or check the plan's billing.")  # fmt: skip
        if status == 404:
            return ModelNotFound(f"{self.label} has no model {model!r} at {where} (HTTP 404). "
                                 "Pick one from the provider's model list (cloud.model).")  # fmt: skip
        if status is not None and status >= 500:
            return CloudServerError(f"{self.label} failed on its side (HTTP {status}), also "
                                    "after retrying.")  # fmt: skip
        if status is not None:
            return CloudError(f"{self.label} rejected the request (HTTP {status}, "
                              f"{type(exc).__name__}).")  # fmt: skip
        if is_timeout(exc):
            return CloudTimeout(f"{self.label} did not answer within {self.config.timeout_s:g} s "
                                f"at {where}.")  # fmt: skip
        return CloudUnreachable(f"Could not reach {self.label} at {where} "
                                f"({type(exc).__name__}). Check the network and cloud.base_url.")  # fmt: skip


def enclave_cause(exc: BaseException) -> EnclaveError | None:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        if isinstance(seen, EnclaveError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "code", "status"):
        value: Any = getattr(exc, attr, None)
        if isinstance(value, int) and 100 <= value < 600:
            return value
    response = getattr(exc, "response", None)
    value = getattr(response, "status_code", None)
    return value if isinstance(value, int) else None


def is_timeout(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if "Timeout" in type(seen).__name__ or isinstance(seen, TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def request_hook(wire: Wire) -> Callable[[Any], None]:
    """An httpx event hook: hands the body of each request with one to `wire`."""

    def hook(request: Any) -> None:
        body = request.read()
        if body:
            wire(bytes(body))

    return hook
