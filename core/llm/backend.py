"""The LLMBackend protocol: what the chat layer needs from any language model.

A backend renders chat messages with its own template, counts tokens in its own
tokenizer (so the prompt builder can pack sources into the real context budget), and
streams an answer that a CancelToken stops between two tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from core.jobs import CancelToken

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "cancelled"]
TokenCallback = Callable[[str], None]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class Generation:
    """One finished (or stopped) answer and what it cost."""

    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int  # prompt tokens whose KV state was reused from the previous call
    ttft_ms: float  # from the call until the first token (prompt processing)
    total_ms: float


@runtime_checkable
class LLMBackend(Protocol):
    name: str  # model name as the model manager lists it
    backend: str  # "llama.cpp", "fake", a cloud provider...
    context_window: int  # tokens the loaded context holds (prompt + answer)
    supports_streaming: bool

    def count_tokens(self, text: str) -> int:
        """Tokens of plain text in this model's tokenizer (no special tokens added)."""
        ...

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Tokens of the whole chat prompt, template and generation prompt included."""
        ...

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.2,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        """Stream the answer to on_token; stop within one token once cancel is set."""
        ...
