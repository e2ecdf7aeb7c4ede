"""Google's Gemini API through the `google-genai` SDK (streamGenerateContent over SSE)."""

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


class GeminiClient(ProviderClient):
    label = "Gemini"

    def sdk(self, wire: Wire | None = None) -> Any:
        from google import genai
        from google.genai import types

        retry = types.HttpRetryOptions(attempts=self.config.max_retries + 1, initial_delay=0.5,
                                       max_delay=8.0)  # fmt: skip
        client_args = {"event_hooks": {"request": [request_hook(wire)]}} if wire else None
        options = types.HttpOptions(base_url=self.config.base_url or None,
                                    timeout=int(self.config.timeout_s * 1000),
                                    retry_options=retry, client_args=client_args)  # fmt: skip
        return genai.Client(api_key=self.config.api_key, http_options=options)

    def _stream(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float,
                on_piece: PieceCallback, wire: Wire, cancel: CancelToken | None,
                timer: StreamTimer) -> StreamOutcome:  # fmt: skip
        from google.genai import types

        system, turns = system_and_turns(messages)
        contents = [types.Content(role="model" if m.role == "assistant" else "user",
                                  parts=[types.Part(text=m.content)]) for m in turns]  # fmt: skip
        config = types.GenerateContentConfig(system_instruction=system or None,
                                             max_output_tokens=max_tokens,
                                             temperature=temperature)  # fmt: skip
        finish: FinishReason | None = None
        usage: tuple[int, int] | None = None
        client = self.sdk(wire)
        try:
            stream = client.models.generate_content_stream(model=self.config.model,
                                                           contents=contents, config=config)  # fmt: skip
            for chunk in stream:
                meta = chunk.usage_metadata
                if meta is not None and meta.candidates_token_count is not None:
                    usage = (meta.prompt_token_count or 0, meta.candidates_token_count)
                for candidate in chunk.candidates or []:
                    for part in (candidate.content.parts if candidate.content else None) or []:
                        timer.piece(part.text or "", on_piece)
                    if candidate.finish_reason:
                        finish = "length" if "MAX_TOKENS" in str(candidate.finish_reason) else "stop"
                if cancelled(cancel):
                    return timer.outcome("cancelled", usage)
        finally:
            client.close()
        if finish is None:
            raise self.broken(timer)
        return timer.outcome(finish, usage)

    def _list_models(self) -> list[str]:
        client = self.sdk()
        try:
            return sorted(str(m.name).removeprefix("models/") for m in client.models.list())
        finally:
            client.close()
