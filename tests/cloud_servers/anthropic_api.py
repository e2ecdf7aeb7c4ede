"""Anthropic's messages API, as much of it as the `anthropic` SDK needs.

POST /v1/messages (JSON, or the SSE events message_start, content_block_start,
content_block_delta, content_block_stop, message_delta with usage, message_stop) and
GET /v1/models. The SDK's base_url is the origin alone; the key comes as x-api-key
(or Authorization: Bearer).
"""

from __future__ import annotations

from typing import Any

from tests.cloud_servers.base import ApiHandler, Exchange, Recorded, RecordingServer, sse

ERRORS = {
    401: ("authentication_error", "invalid x-api-key"),
    429: ("rate_limit_error", "Number of requests has exceeded your rate limit."),
    500: ("api_error", "Internal server error."),
    404: ("not_found_error", "model: not found"),
}


class AnthropicServer(RecordingServer):
    api = "anthropic"
    default_model = "claude-3-5-haiku-latest"
    models = ("claude-3-5-haiku-latest", "claude-sonnet-4-0")

    def key_of(self, request: Recorded) -> str | None:
        # x-api-key, or a bearer token (newer SDKs send the key that way).
        auth = request.headers.get("authorization", "")
        return request.headers.get("x-api-key") or auth.removeprefix("Bearer ") or None

    def route(self, handler: ApiHandler, request: Recorded) -> None:
        path = request.path.split("?")[0]
        if request.method == "GET" and path == "/v1/models":
            if self.key_of(request) != self.api_key:
                return self.send_error_reply(handler, 401, "authentication")
            data = [{"type": "model", "id": m, "display_name": m, "created_at": "2025-01-01T00:00:00Z"}
                    for m in self.models]  # fmt: skip
            return handler.send_json(200, {"data": data, "has_more": False,
                                           "first_id": data[0]["id"], "last_id": data[-1]["id"]})  # fmt: skip
        if request.method == "POST" and path == "/v1/messages":
            return self.messages(handler, request)
        self.send_error_reply(handler, 404, "not_found")

    def send_error_reply(self, handler: ApiHandler, status: int, kind: str,
                         headers: dict[str, str] | None = None) -> None:  # fmt: skip
        type_, message = ERRORS[status]
        payload = {"type": "error", "error": {"type": type_, "message": message}}
        handler.send_json(status, payload, {"request-id": "req_test", **(headers or {})})

    def messages(self, handler: ApiHandler, request: Recorded) -> None:
        ex = self.exchange(handler, request)
        if ex is None:
            return
        body = request.json or {}
        model = body.get("model") or self.default_model
        if body.get("stream"):
            return self.stream_events(ex, self.events(ex, model))
        reply = {**self.message(ex, model), "content": [{"type": "text", "text": ex.answer}],
                 "stop_reason": "end_turn",
                 "usage": {"input_tokens": ex.usage.prompt_tokens,
                           "output_tokens": ex.usage.completion_tokens}}  # fmt: skip
        if ex.fault and ex.fault.kind == "drop":
            return handler.send_truncated_json(reply)
        handler.send_json(200, reply)

    def message(self, ex: Exchange, model: str) -> dict[str, Any]:
        return {"id": "msg_test", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": ex.usage.prompt_tokens, "output_tokens": 1}}  # fmt: skip

    def events(self, ex: Exchange, model: str) -> list[bytes]:
        block = {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "text", "text": ""},
        }
        events = [sse({"type": "message_start", "message": self.message(ex, model)}, "message_start"),
                  sse(block, "content_block_start"), sse({"type": "ping"}, "ping")]  # fmt: skip
        for piece in self.pieces(ex.answer):
            delta = {"type": "content_block_delta", "index": 0,
                     "delta": {"type": "text_delta", "text": piece}}  # fmt: skip
            events.append(sse(delta, "content_block_delta"))
        done = {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": ex.usage.completion_tokens}}  # fmt: skip
        events += [sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
                   sse(done, "message_delta"), sse({"type": "message_stop"}, "message_stop")]  # fmt: skip
        return events
