"""FakeLLM: a deterministic LLMBackend for tests and for the GUI without a model.

Tokens are whitespace-separated words. It keeps the token list of its previous call,
like llama.cpp keeps its KV cache, so tests can measure how much of a follow-up prompt
a real backend would reuse.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence

from core.jobs import CancelToken
from core.llm.backend import ChatMessage, FinishReason, Generation, TokenCallback

Responder = Callable[[Sequence[ChatMessage]], str]

_SOURCE = re.compile(r'<source n="(\d+)"[^>]*>\n(.*?)\n</source>', re.S)


def cite_first_source(messages: Sequence[ChatMessage]) -> str:
    """Answer with the opening words of the newest source and cite it."""
    for message in reversed(messages):
        found = _SOURCE.findall(message.content)
        if message.role == "user" and found:
            n, text = found[0]
            words = text.replace(">", " ").split()[:12]
            return f"{' '.join(words)} [{n}]."
    return "I could not find this in your documents."


def common_prefix(a: Sequence[str], b: Sequence[str]) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


class FakeLLM:
    backend = "fake"
    supports_streaming = True

    def __init__(
        self,
        name: str = "fake",
        context_window: int = 2048,
        responder: Responder = cite_first_source,
        token_delay_s: float = 0.0,
    ) -> None:
        self.name = name
        self.context_window = context_window
        self.responder = responder
        self.token_delay_s = token_delay_s
        self.calls: list[list[ChatMessage]] = []
        self._cached: list[str] = []
        self._lock = threading.Lock()

    def render(self, messages: Sequence[ChatMessage]) -> str:
        turns = [f"<|{m.role}|> {m.content} <|end|>" for m in messages]
        return " ".join([*turns, "<|assistant|>"])

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self.render(messages).split())

    def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int,
        temperature: float = 0.2,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        with self._lock:
            return self._generate(list(messages), max_tokens, on_token, cancel)

    def _generate(
        self,
        messages: list[ChatMessage],
        max_tokens: int,
        on_token: TokenCallback | None,
        cancel: CancelToken | None,
    ) -> Generation:
        started = time.perf_counter()
        self.calls.append(messages)
        prompt = self.render(messages).split()
        if len(prompt) + max_tokens > self.context_window:
            raise ValueError(f"prompt of {len(prompt)} tokens exceeds the fake's context")
        cached = common_prefix(self._cached, prompt)
        words = self.responder(messages).split()
        emitted: list[str] = []
        finish: FinishReason = "stop"
        ttft = 0.0
        for word in words:
            if cancel is not None and cancel.cancelled:
                finish = "cancelled"
                break
            if len(emitted) >= max_tokens:
                finish = "length"
                break
            piece = word if not emitted else " " + word
            emitted.append(piece)
            if len(emitted) == 1:
                ttft = (time.perf_counter() - started) * 1000
            if on_token is not None:
                on_token(piece)
            time.sleep(self.token_delay_s)
        self._cached = prompt + [w.strip() for w in emitted]
        return Generation(
            text="".join(emitted),
            finish_reason=finish,
            prompt_tokens=len(prompt),
            completion_tokens=len(emitted),
            cached_tokens=cached,
            ttft_ms=ttft,
            total_ms=(time.perf_counter() - started) * 1000,
        )
