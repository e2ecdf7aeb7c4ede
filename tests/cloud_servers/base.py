"""A recording HTTP server on 127.0.0.1 that the cloud APIs' test stand-ins share.

Every request is kept byte for byte as it came off the socket (request line, headers,
body), so a test can search everything that left the product. Replies are set per
server (`answer`: a string, ECHO_PLACEHOLDERS, or a function of the request) and faults
are queued per request (`fail("429", times=1)`): the next request takes the next fault.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO
from urllib.parse import parse_qs, urlsplit

# The vault's placeholders (core.guard.vault): <PERSON_1>, <EMAIL_2>, <CREDIT_CARD_1>.
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d{1,4}>")
FAULTS = ("401", "429", "500", "hang", "drop")


class EchoPlaceholders:
    """Reply mode: the answer repeats every placeholder the request carried, in order."""

    def __repr__(self) -> str:
        return "ECHO_PLACEHOLDERS"


ECHO_PLACEHOLDERS = EchoPlaceholders()


@dataclass
class Recorded:
    """One request as received: `raw` is the exact bytes read from the socket.

    Header names are lower-cased (HTTP/2-style), so lookups need not care how a client
    spelled them."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def texts(self) -> list[str]:
        """Every string inside the JSON body (message contents, system prompts...)."""
        return list(_strings(self.json)) if self.body else []

    def placeholders(self) -> list[str]:
        seen: dict[str, None] = {}
        for text in self.texts():
            seen.update(dict.fromkeys(PLACEHOLDER.findall(text)))
        return list(seen)


Answer = str | EchoPlaceholders | Callable[[Recorded], str]


@dataclass
class Fault:
    kind: str  # one of FAULTS
    retry_after_s: float = 0.05  # for 429
    hang_s: float = 30.0  # for hang: how long before answering anyway
    chunks_before_drop: int = 2  # for drop


@dataclass
class Usage:
    prompt_tokens: int
    completion_tokens: int


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


class _TeeReader:
    """Wraps the connection's read file and keeps a copy of every byte read."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.log = bytearray()

    def readline(self, limit: int = -1) -> bytes:
        data = self.inner.readline(limit)
        self.log += data
        return data

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.log += data
        return data

    def take(self) -> bytes:
        data = bytes(self.log)
        self.log.clear()
        return data

    def close(self) -> None:
        self.inner.close()


@dataclass
class Exchange:
    """What a protocol handler gets: the request and the way to answer it."""

    request: Recorded
    handler: ApiHandler
    fault: Fault | None
    answer: str
    usage: Usage = field(default_factory=lambda: Usage(0, 0))


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    server: RecordingServer

    def setup(self) -> None:
        super().setup()
        self.tee = _TeeReader(self.rfile)  # type: ignore[arg-type]
        self.rfile = self.tee  # type: ignore[assignment]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)  # case-insensitive here
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = Recorded(self.command, self.path, headers, body, self.tee.take())
        self.server.keep(record)
        self.server.route(self, record)

    # -- writing replies -----------------------------------------------------------
    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def send_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def send_truncated_json(self, payload: Any) -> None:
        """A JSON reply cut off halfway: Content-Length promises more than arrives."""
        data = json.dumps(payload).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.drop()

    def drop(self) -> None:
        """Close the socket mid-answer, without the chunked body's last chunk."""
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class RecordingServer(ThreadingHTTPServer):
    """Base of the three API stand-ins: recording, replies, faults, auth."""

    daemon_threads = True
    api: str = "base"
    default_model: str = "test-model"
    models: tuple[str, ...] = ()

    def __init__(self, api_key: str = "test-key", answer: Answer = "Hello from the test server.",
                 chunk_chars: int = 7) -> None:  # fmt: skip
        super().__init__(("127.0.0.1", 0), ApiHandler)
        self.api_key = api_key
        self.answer: Answer = answer
        self.chunk_chars = chunk_chars
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.released = threading.Event()  # ends every hang at once
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """What the provider's SDK takes as its base_url."""
        return self.origin

    def start(self) -> RecordingServer:
        self._thread = threading.Thread(target=self.serve_forever, name=f"{self.api}-server",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()

    def reset(self, answer: Answer = "Hello from the test server.") -> None:
        """Back to a clean state between tests (the server itself is session-wide)."""
        with self._lock:
            self.requests.clear()
            self.faults.clear()
        self.answer = answer
        self.released.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that gave up waiting
            super().handle_error(request, client_address)

    # -- recording and faults ------------------------------------------------------
    def keep(self, record: Recorded) -> None:
        with self._lock:
            self.requests.append(record)

    def fail(self, kind: str, times: int = 1, **options: Any) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULTS}")
        with self._lock:
            self.faults.extend(Fault(kind, **options) for _ in range(times))

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def received(self) -> bytes:
        """Every byte of every request, one blob, for leak checks."""
        with self._lock:
            return b"\n".join(r.raw for r in self.requests)

    def answer_for(self, request: Recorded) -> str:
        answer = self.answer
        if isinstance(answer, EchoPlaceholders):
            found = request.placeholders()
            return "I saw " + (", ".join(found) if found else "no placeholders") + "."
        return answer(request) if callable(answer) else answer

    # -- routing (the API subclasses fill these in) ----------------------------------
    def route(self, handler: ApiHandler, request: Recorded) -> None:
        raise NotImplementedError

    def key_of(self, request: Recorded) -> str | None:
        raise NotImplementedError

    def exchange(self, handler: ApiHandler, request: Recorded) -> Exchange | None:
        """Auth and the queued fault; returns None when a reply was already sent."""
        fault = self.next_fault()
        if self.key_of(request) != self.api_key or (fault and fault.kind == "401"):
            self.send_error_reply(handler, 401, "authentication")
            return None
        if fault and fault.kind in ("429", "500"):
            status = int(fault.kind)
            kind = "rate_limit" if status == 429 else "server"
            retry = {"retry-after": f"{fault.retry_after_s:g}",
                     "retry-after-ms": str(int(fault.retry_after_s * 1000))}  # fmt: skip
            self.send_error_reply(handler, status, kind, retry if status == 429 else None)
            return None
        if fault and fault.kind == "hang":
            self.released.wait(fault.hang_s)
        answer = self.answer_for(request)
        usage = Usage(sum(len(t.split()) for t in request.texts()), len(answer.split()))
        return Exchange(request, handler, fault, answer, usage)

    def send_error_reply(self, handler: ApiHandler, status: int, kind: str,
                         headers: dict[str, str] | None = None) -> None:  # fmt: skip
        raise NotImplementedError

    def pieces(self, text: str) -> list[str]:
        """The answer cut into small stream deltas (placeholders get split across them)."""
        n = max(1, self.chunk_chars)
        return [text[i : i + n] for i in range(0, len(text), n)] or [""]

    def stream_events(self, ex: Exchange, events: list[bytes]) -> None:
        """Send SSE events; a queued "drop" fault cuts the stream after a few of them."""
        handler = ex.handler
        handler.start_stream()
        drop_after = ex.fault.chunks_before_drop if ex.fault and ex.fault.kind == "drop" else None
        for i, event in enumerate(events):
            if drop_after is not None and i >= drop_after:
                handler.drop()
                return
            handler.send_chunk(event)
            time.sleep(0)  # let the client read as it comes
        handler.end_stream()


def sse(data: Any, event: str | None = None) -> bytes:
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()
