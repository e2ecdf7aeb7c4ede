"""The API stand-ins against the real SDKs: known faithful before the product meets them."""

from __future__ import annotations

import json

import pytest

from tests.cloud_servers import ECHO_PLACEHOLDERS, RecordingServer
from tests.cloud_servers.llama_server import LlamaServer
from tests.cloud_servers.sdk import SdkAnswer, ask, list_models

pytestmark = pytest.mark.integration
PROVIDERS = ["openai", "anthropic", "gemini"]
ANSWER = "The notice period is three months [1]."


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_sdk_gets_answer_and_usage(cloud_servers: dict[str, RecordingServer], provider: str,
                                   stream: bool) -> None:  # fmt: skip
    server = cloud_servers[provider]
    server.answer = ANSWER
    got = ask(provider, server, "What is the notice period?", stream=stream)
    assert got.text == ANSWER
    assert got.usage is not None and got.usage[0] > 0 and got.usage[1] == len(ANSWER.split())
    if stream:
        assert len(got.pieces) > 3  # really streamed, in small deltas
    [request] = server.requests
    assert request.method == "POST" and "What is the notice period?" in request.texts()
    assert ("stream" in request.path) == (stream and provider == "gemini")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_raw_bytes_are_the_whole_request(
    cloud_servers: dict[str, RecordingServer], provider: str
) -> None:
    server = cloud_servers[provider]
    ask(provider, server, "Mail <EMAIL_1> about caf\u00e9 \u2603 please")
    [request] = server.requests
    head, _, body = request.raw.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /") and body == request.body
    assert server.api_key.encode() in head  # the key is a header the recorder keeps
    assert json.loads(body) == request.json
    assert "Mail <EMAIL_1> about caf\u00e9 \u2603 please" in request.texts()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_echo_mode_repeats_the_placeholders(
    cloud_servers: dict[str, RecordingServer], provider: str
) -> None:
    server = cloud_servers[provider]
    server.answer = ECHO_PLACEHOLDERS
    got = ask(provider, server, "Write to <PERSON_1> at <EMAIL_1>, cc <PERSON_2> and <PERSON_1>.",
              stream=True)  # fmt: skip
    assert got.text == "I saw <PERSON_1>, <EMAIL_1>, <PERSON_2>."
    assert any("<" in p and ">" not in p for p in got.pieces)  # a placeholder split in two


@pytest.mark.parametrize("provider", PROVIDERS)
def test_models_list(cloud_servers: dict[str, RecordingServer], provider: str) -> None:
    server = cloud_servers[provider]
    assert list_models(provider, server) == list(server.models)


def sdk_errors(provider: str) -> dict[str, tuple[type[BaseException], ...]]:
    """The exception each SDK raises for a bad key, a server error and a timeout."""
    if provider == "openai":
        import openai

        return {"401": (openai.AuthenticationError,), "500": (openai.InternalServerError,),
                "hang": (openai.APITimeoutError,)}  # fmt: skip
    if provider == "anthropic":
        import anthropic

        return {"401": (anthropic.AuthenticationError,), "500": (anthropic.InternalServerError,),
                "hang": (anthropic.APITimeoutError,)}  # fmt: skip
    import httpx2  # google-genai's HTTP client
    from google.genai import errors

    return {"401": (errors.ClientError,), "500": (errors.ServerError,),
            "hang": (httpx2.TimeoutException,)}  # fmt: skip


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_key_is_401(cloud_servers: dict[str, RecordingServer], provider: str) -> None:
    server = cloud_servers[provider]
    with pytest.raises(sdk_errors(provider)["401"]) as info:
        ask(provider, server, "hi", api_key="wrong-key")
    assert "401" in str(info.value) or getattr(info.value, "status_code", None) == 401
    server.fail("401")  # a queued 401 refuses even the right key
    with pytest.raises(sdk_errors(provider)["401"]):
        ask(provider, server, "hi")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_429_then_success_with_the_sdks_retry(
    cloud_servers: dict[str, RecordingServer], provider: str
) -> None:
    server = cloud_servers[provider]
    server.fail("429", times=2, retry_after_s=0.05)
    server.answer = ANSWER
    assert ask(provider, server, "hi", retries=2, stream=True).text == ANSWER
    assert len(server.requests) == 3


@pytest.mark.parametrize("provider", PROVIDERS)
def test_500_without_retries(cloud_servers: dict[str, RecordingServer], provider: str) -> None:
    server = cloud_servers[provider]
    server.fail("500")
    with pytest.raises(sdk_errors(provider)["500"]):
        ask(provider, server, "hi")
    assert ask(provider, server, "hi").text  # the next request is served again


@pytest.mark.parametrize("provider", PROVIDERS)
def test_hang_past_the_client_timeout(
    cloud_servers: dict[str, RecordingServer], provider: str
) -> None:
    import time

    server = cloud_servers[provider]
    server.fail("hang", hang_s=5.0)
    start = time.monotonic()
    with pytest.raises(sdk_errors(provider)["hang"]):
        ask(provider, server, "hi", timeout=0.5)
    assert time.monotonic() - start < 3.0
    server.released.set()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_dropped_midway(cloud_servers: dict[str, RecordingServer], provider: str) -> None:
    server = cloud_servers[provider]
    server.answer = ANSWER
    server.fail("drop", chunks_before_drop=4)
    partial = SdkAnswer("", None)
    with pytest.raises(Exception) as info:
        ask(provider, server, "hi", stream=True, into=partial)
    assert 0 < len("".join(partial.pieces)) < len(ANSWER), info.value


def test_llama_cpp_server_streams_through_the_openai_sdk(llama_server: LlamaServer) -> None:
    import openai

    client = openai.OpenAI(base_url=llama_server.base_url, api_key=llama_server.api_key,
                           max_retries=0, timeout=60)  # fmt: skip
    assert [m.id for m in client.models.list()] == [llama_server.model]
    chunks = client.chat.completions.create(
        model=llama_server.model, stream=True, max_tokens=16, temperature=0,
        messages=[{"role": "user", "content": "Name a colour."}],
    )  # fmt: skip
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert len(pieces) >= 2 and "".join(pieces).strip()
