"""OpenAI's chat completions API, as much of it as the `openai` SDK needs.

POST /v1/chat/completions (JSON, or SSE chunks with `stream: true`; usage in a last,
choice-less chunk when stream_options.include_usage) and GET /v1/models. The SDK's
base_url is `<origin>/v1`. The same server stands in for any OpenAI-compatible one.
"""

from __future__ import annotations

import time
from typing import Any

from tests.cloud_servers.base import ApiHandler, Exchange, Recorded, RecordingServer, sse

ERRORS = {
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
    500: ("server_error", None, "The server had an error while processing your request."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
}


class OpenAIServer(RecordingServer):
    api = "openai"
    default_model = "gpt-4o-mini"
    models = ("gpt-4o-mini", "gpt-4o")

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def key_of(self, request: Recorded) -> str | None:
        auth = request.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    def route(self, handler: ApiHandler, request: Recorded) -> None:
        path = request.path.split("?")[0]
        if request.method == "GET" and path == "/v1/models":
            if self.key_of(request) != self.api_key:
                return self.send_error_reply(handler, 401, "authentication")
            data = [
                {"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.models
            ]
            return handler.send_json(200, {"object": "list", "data": data})
        if request.method == "POST" and path == "/v1/chat/completions":
            return self.chat(handler, request)
        handler.send_json(
            404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}
        )

    def send_error_reply(self, handler: ApiHandler, status: int, kind: str,
                         headers: dict[str, str] | None = None) -> None:  # fmt: skip
        type_, code, message = ERRORS[status]
        error = {"message": message, "type": type_, "param": None, "code": code}
        handler.send_json(status, {"error": error}, headers)

    def chat(self, handler: ApiHandler, request: Recorded) -> None:
        ex = self.exchange(handler, request)
        if ex is None:
            return
        body = request.json or {}
        model = body.get("model") or self.default_model
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return self.stream_events(ex, self.chunks(ex, model, include_usage))
        message = {"role": "assistant", "content": ex.answer, "refusal": None}
        reply = {**self.head(model, "chat.completion"), "usage": self.usage(ex),
                 "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                              "logprobs": None}]}  # fmt: skip
        if ex.fault and ex.fault.kind == "drop":
            return handler.send_truncated_json(reply)
        handler.send_json(200, reply)

    def head(self, model: str, obj: str) -> dict[str, Any]:
        return {"id": "chatcmpl-test", "object": obj, "created": int(time.time()), "model": model,
                "system_fingerprint": "fp_test"}  # fmt: skip

    def usage(self, ex: Exchange) -> dict[str, int]:
        u = ex.usage
        return {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
                "total_tokens": u.prompt_tokens + u.completion_tokens}  # fmt: skip

    def chunks(self, ex: Exchange, model: str, include_usage: bool) -> list[bytes]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
            return sse({**self.head(model, "chat.completion.chunk"), "choices": [choice]})

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in self.pieces(ex.answer)]
        events.append(chunk({}, "stop"))
        if include_usage:
            events.append(sse({**self.head(model, "chat.completion.chunk"), "choices": [],
                               "usage": self.usage(ex)}))  # fmt: skip
        events.append(sse("[DONE]"))
        return events
