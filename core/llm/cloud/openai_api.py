"""OpenAI's chat completions through the `openai` SDK (streamed, usage in the last chunk)."""

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
)

# Reasoning models take max_completion_tokens and no temperature.
NO_TEMPERATURE = ("o1", "o3", "o4", "gpt-5")


class OpenAIClient(ProviderClient):
    label = "OpenAI"
    uses_completion_tokens = True  # max_completion_tokens (OpenAI) or max_tokens (others)

    def sdk(self, wire: Wire | None = None) -> Any:
        import openai

        hooks = {"request": [request_hook(wire)]} if wire else {}
        http = openai.DefaultHttpxClient(event_hooks=hooks, timeout=self.config.timeout_s)
        return openai.OpenAI(api_key=self.config.api_key or "none",
                             base_url=self.config.base_url or None,
                             timeout=self.config.timeout_s, max_retries=self.config.max_retries,
                             http_client=http)  # fmt: skip

    def arguments(self, messages: Sequence[ChatMessage], max_tokens: int,
                  temperature: float) -> dict[str, Any]:  # fmt: skip
        model = self.config.model
        args: dict[str, Any] = {
            "model": model, "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }  # fmt: skip
        args["max_completion_tokens" if self.uses_completion_tokens else "max_tokens"] = max_tokens
        if not model.startswith(NO_TEMPERATURE):
            args["temperature"] = temperature
        return args

    def _stream(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float,
                on_piece: PieceCallback, wire: Wire, cancel: CancelToken | None,
                timer: StreamTimer) -> StreamOutcome:  # fmt: skip
        client = self.sdk(wire)
        finish: FinishReason | None = None
        usage: tuple[int, int] | None = None
        with client:
            stream = client.chat.completions.create(**self.arguments(messages, max_tokens,
                                                                     temperature))  # fmt: skip
            try:
                for chunk in stream:
                    if chunk.usage:
                        usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    timer.piece(choice.delta.content or "", on_piece)
                    if choice.finish_reason:
                        finish = "length" if choice.finish_reason == "length" else "stop"
                    if cancelled(cancel):
                        return timer.outcome("cancelled", usage)
            finally:
                stream.close()
        if finish is None:
            raise self.broken(timer)
        return timer.outcome(finish, usage)

    def _list_models(self) -> list[str]:
        with self.sdk() as client:
            return sorted(m.id for m in client.models.list())


class CompatibleClient(OpenAIClient):
    """Any server that speaks OpenAI's API (Ollama, LM Studio, vLLM, llama.cpp's server)."""

    label = "the OpenAI-compatible server"
    uses_completion_tokens = False
