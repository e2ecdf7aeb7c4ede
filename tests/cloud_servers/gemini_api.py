"""Google's Gemini API (v1beta), as much of it as the `google-genai` SDK needs.

POST /v1beta/models/{model}:generateContent (JSON) and
:streamGenerateContent?alt=sse (SSE, one GenerateContentResponse per event, usage and
finishReason in the last); GET /v1beta/models and /v1beta/models/{model}; the same
under /v1. The SDK's
base_url is the origin alone (HttpOptions(base_url=...)); the key comes as x-goog-api-key.
"""

from __future__ import annotations

import re
from typing import Any

from tests.cloud_servers.base import ApiHandler, Exchange, Recorded, RecordingServer, sse

ERRORS = {
    401: "UNAUTHENTICATED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    404: "NOT_FOUND",
}
# v1beta as the issue names it; newer SDKs default to v1 (HttpOptions.api_version picks).
VERSION = r"^/(?:v1|v1beta|v1alpha)"
CALL = re.compile(VERSION + r"/models/([^/:]+):(generateContent|streamGenerateContent)$")
MODEL = re.compile(VERSION + r"/models/([^/:]+)$")
LIST = re.compile(VERSION + r"/models$")


class GeminiServer(RecordingServer):
    api = "gemini"
    default_model = "gemini-2.0-flash"
    models = ("gemini-2.0-flash", "gemini-2.5-pro")

    def key_of(self, request: Recorded) -> str | None:
        return request.headers.get("x-goog-api-key") or (request.query.get("key") or [None])[0]

    def route(self, handler: ApiHandler, request: Recorded) -> None:
        path = request.path.split("?")[0]
        call = CALL.match(path)
        if request.method == "POST" and call:
            return self.generate(handler, request, call.group(1), call.group(2))
        if request.method == "GET" and (LIST.match(path) or MODEL.match(path)):
            if self.key_of(request) != self.api_key:
                return self.send_error_reply(handler, 401, "authentication")
            one = MODEL.match(path)
            if one:
                return handler.send_json(200, self.model_info(one.group(1)))
            return handler.send_json(200, {"models": [self.model_info(m) for m in self.models]})
        self.send_error_reply(handler, 404, "not_found")

    def model_info(self, name: str) -> dict[str, Any]:
        return {"name": f"models/{name}", "displayName": name, "inputTokenLimit": 1048576,
                "outputTokenLimit": 8192,
                "supportedGenerationMethods": ["generateContent", "countTokens"]}  # fmt: skip

    def send_error_reply(self, handler: ApiHandler, status: int, kind: str,
                         headers: dict[str, str] | None = None) -> None:  # fmt: skip
        message = {401: "API key not valid. Please pass a valid API key."}.get(status, kind)
        payload = {"error": {"code": status, "message": message, "status": ERRORS[status]}}
        handler.send_json(status, payload, headers)

    def generate(self, handler: ApiHandler, request: Recorded, model: str, method: str) -> None:
        ex = self.exchange(handler, request)
        if ex is None:
            return
        if method == "streamGenerateContent":
            pieces = self.pieces(ex.answer)
            events = [sse(self.response(ex, model, p, last=i == len(pieces) - 1))
                      for i, p in enumerate(pieces)]  # fmt: skip
            return self.stream_events(ex, events)
        reply = self.response(ex, model, ex.answer, last=True)
        if ex.fault and ex.fault.kind == "drop":
            return handler.send_truncated_json(reply)
        handler.send_json(200, reply)

    def response(self, ex: Exchange, model: str, text: str, last: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": [{"text": text}], "role": "model"},
                                     "index": 0}  # fmt: skip
        usage = {"promptTokenCount": ex.usage.prompt_tokens}
        if last:
            candidate["finishReason"] = "STOP"
            usage |= {"candidatesTokenCount": ex.usage.completion_tokens,
                      "totalTokenCount": ex.usage.prompt_tokens + ex.usage.completion_tokens}  # fmt: skip
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": model,
                "responseId": "resp-test"}  # fmt: skip
