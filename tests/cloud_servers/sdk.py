"""Ask each stand-in through its provider's official SDK, as the product's backends do.

Used to show the servers are faithful (tests/integration/test_cloud_servers.py) before
the product is tested against them. `ask` returns the answer text, the usage the SDK
parsed (prompt, completion tokens) and, for streams, the pieces as they came.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.cloud_servers.base import RecordingServer


@dataclass
class SdkAnswer:
    text: str
    usage: tuple[int, int] | None
    pieces: list[str] = field(default_factory=list)


def ask(provider: str, server: RecordingServer, prompt: str, *, stream: bool = False,
        api_key: str | None = None, timeout: float = 10.0, retries: int = 0,
        into: SdkAnswer | None = None) -> SdkAnswer:  # fmt: skip
    """`into` collects the stream's pieces as they come (kept when the stream breaks)."""
    out = into or SdkAnswer("", None)
    CALLS[provider](server, prompt, stream, api_key or server.api_key, timeout, retries, out)
    return out


def _openai(server: RecordingServer, prompt: str, stream: bool, key: str, timeout: float,
            retries: int, out: SdkAnswer) -> None:  # fmt: skip
    import openai

    client = openai.OpenAI(base_url=server.base_url, api_key=key, timeout=timeout,
                           max_retries=retries)  # fmt: skip
    messages: Any = [{"role": "system", "content": "Answer briefly."},
                     {"role": "user", "content": prompt}]  # fmt: skip
    if not stream:
        r = client.chat.completions.create(model=server.default_model, messages=messages)
        out.usage = (r.usage.prompt_tokens, r.usage.completion_tokens) if r.usage else None
        out.text = r.choices[0].message.content or ""
        return
    chunks = client.chat.completions.create(model=server.default_model, messages=messages,
                                            stream=True, stream_options={"include_usage": True})  # fmt: skip
    for chunk in chunks:
        if chunk.choices and chunk.choices[0].delta.content:
            out.pieces.append(chunk.choices[0].delta.content)
        if chunk.usage:
            out.usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
    out.text = "".join(out.pieces)


def _anthropic(server: RecordingServer, prompt: str, stream: bool, key: str, timeout: float,
               retries: int, out: SdkAnswer) -> None:  # fmt: skip
    import anthropic

    client = anthropic.Anthropic(base_url=server.base_url, api_key=key, timeout=timeout,
                                 max_retries=retries)  # fmt: skip
    args: Any = {"model": server.default_model, "max_tokens": 256, "system": "Answer briefly.",
                 "messages": [{"role": "user", "content": prompt}]}  # fmt: skip
    if not stream:
        m = client.messages.create(**args)
        out.text = "".join(b.text for b in m.content if b.type == "text")
        out.usage = (m.usage.input_tokens, m.usage.output_tokens)
        return
    with client.messages.stream(**args) as events:
        for piece in events.text_stream:
            out.pieces.append(piece)
        final = events.get_final_message()
    out.text, out.usage = "".join(out.pieces), (final.usage.input_tokens, final.usage.output_tokens)


def _gemini(server: RecordingServer, prompt: str, stream: bool, key: str, timeout: float,
            retries: int, out: SdkAnswer) -> None:  # fmt: skip
    from google import genai
    from google.genai import types

    retry = types.HttpRetryOptions(attempts=retries + 1, initial_delay=0.05, max_delay=0.2)
    options = types.HttpOptions(base_url=server.base_url, timeout=int(timeout * 1000),
                                retry_options=retry)  # fmt: skip
    client = genai.Client(api_key=key, http_options=options)
    config = types.GenerateContentConfig(system_instruction="Answer briefly.")
    if not stream:
        r = client.models.generate_content(
            model=server.default_model, contents=prompt, config=config
        )
        out.text, out.usage = r.text or "", _gemini_usage(r)
        return
    for chunk in client.models.generate_content_stream(model=server.default_model, contents=prompt,
                                                       config=config):  # fmt: skip
        out.pieces.append(chunk.text or "")
        out.usage = _gemini_usage(chunk) or out.usage
    out.text = "".join(out.pieces)


def _gemini_usage(response: Any) -> tuple[int, int] | None:
    meta = response.usage_metadata
    if meta is None or meta.candidates_token_count is None:
        return None
    return (meta.prompt_token_count or 0, meta.candidates_token_count)


def list_models(provider: str, server: RecordingServer) -> list[str]:
    if provider == "openai":
        import openai

        client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        return [m.id for m in client.models.list()]
    if provider == "anthropic":
        import anthropic

        client = anthropic.Anthropic(
            base_url=server.base_url, api_key=server.api_key, max_retries=0
        )
        return [m.id for m in client.models.list()]
    from google import genai
    from google.genai import types

    gclient = genai.Client(
        api_key=server.api_key, http_options=types.HttpOptions(base_url=server.base_url)
    )
    return [str(m.name).removeprefix("models/") for m in gclient.models.list()]


CALLS: dict[str, Callable[..., None]] = {
    "openai": _openai,
    "anthropic": _anthropic,
    "gemini": _gemini,
}
