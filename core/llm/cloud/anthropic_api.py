"""Anthropic's messages API through the `anthropic` SDK (streamed events)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.jobs import CancelToken
from core.llm.backend import ChatMessage, FinishReason
from core.llm.cloud.base import (
    PieceCallback,
    ProviderClient,
    StreamOutcome,
    StreamTimer,
    Wire,
    cancelled,
    request_hook,
    system_and_turns,
)


class AnthropicClient(ProviderClient):
    """The SDK (2.x) takes no temperature any more: Anthropic's models pick their own."""

    label = "Anthropic"

    def sdk(self, wire: Wire | None = None) -> Any:
        import anthropic

        hooks = {"request": [request_hook(wire)]} if wire else {}
        http = anthropic.DefaultHttpxClient(event_hooks=hooks, timeout=self.config.timeout_s)
        return anthropic.Anthropic(api_key=self.config.api_key,
                                   base_url=self.config.base_url or None,
                                   timeout=self.config.timeout_s,
                                   max_retries=self.config.max_retries, http_client=http)  # fmt: skip

    def _stream(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float,
                on_piece: PieceCallback, wire: Wire, cancel: CancelToken | None,
                timer: StreamTimer) -> StreamOutcome:  # fmt: skip
        system, turns = system_and_turns(messages)
        args: dict[str, Any] = {
            "model": self.config.model, "max_tokens": max_tokens,
            "messages": [{"role": m.role, "content": m.content} for m in turns],
        }  # fmt: skip
        if system:
            args["system"] = system
        finish: FinishReason | None = None
        prompt_tokens, completion_tokens = 0, 0
        with self.sdk(wire) as client, client.messages.stream(**args) as events:
            for event in events:
                if event.type == "message_start":
                    prompt_tokens = event.message.usage.input_tokens or 0
                elif event.type == "text":
                    timer.piece(event.text, on_piece)
                elif event.type == "message_delta":
                    completion_tokens = event.usage.output_tokens or 0
                    stop = event.delta.stop_reason
                    finish = "length" if stop == "max_tokens" else "stop"
                elif event.type == "message_stop" and finish is None:
                    finish = "stop"
                if cancelled(cancel):
                    return timer.outcome("cancelled", (prompt_tokens, completion_tokens))
        if finish is None:
            raise self.broken(timer)
        return timer.outcome(finish, (prompt_tokens, completion_tokens))

    def _list_models(self) -> list[str]:
        with self.sdk() as client:
            return sorted(m.id for m in client.models.list())
