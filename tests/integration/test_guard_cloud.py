"""The cloud door against a real HTTP server on 127.0.0.1: only placeholders leave."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import keyring
import pytest

from core.guard.cloud import guarded_cloud_request
from core.guard.egress import EgressLog
from core.guard.policy import EgressBlocked, GuardPolicy
from core.guard.settings import GuardSettings
from core.guard.vault import Vault
from tests.fakes import MemoryKeyring

pytestmark = pytest.mark.integration

DOCUMENT = """Dear Dr. Jane Miller,
please wire the deposit from IBAN DE89 3704 0044 0532 0130 00 or charge card 4111 1111 1111 1111.
Questions: jane.miller@example.com or +49 30 1234 5678. Our staging API key is
sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3kLm6n. Regards, Mr. Tom Baker"""
VALUES = ["Jane Miller", "DE89 3704 0044 0532 0130 00", "4111 1111 1111 1111",
          "jane.miller@example.com", "+49 30 1234 5678", "sk-proj-Ab3dEf6h", "Tom Baker"]  # fmt: skip


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def echo_server() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", received
    server.shutdown()


def post(url: str) -> object:
    def send(payload: bytes) -> bytes:
        request = urllib.request.Request(url, data=payload, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())

    return send


def test_only_placeholders_leave_and_egress_matches(tmp_path: Path, echo_server: tuple[str, list[bytes]]) -> None:
    url, received = echo_server
    policy = GuardPolicy(GuardSettings(secrets_action="redact"))
    vault, egress = Vault.open(tmp_path, "conv1"), EgressLog(tmp_path)
    reply = guarded_cloud_request(DOCUMENT, provider="test", model="echo", send=post(url),  # type: ignore[arg-type]
                                  vault=vault, egress=egress, policy=policy,
                                  read_reply=lambda b: b.decode("utf-8"))  # fmt: skip
    sent = received[0]
    for value in VALUES:
        assert value.encode() not in sent
    for placeholder in (b"<PERSON_1>", b"<IBAN_1>", b"<CREDIT_CARD_1>", b"<EMAIL_1>", b"<PHONE_1>", b"<SECRET_1>"):
        assert placeholder in sent
    record = egress.show(reply.egress_id)
    assert record.payload == sent and record.response_size == len(sent)
    assert record.redactions["SECRET"] == 1 and record.redactions["PERSON"] == 2
    assert egress.verify().ok
    for value in VALUES:
        assert value in reply.text  # the echo came back restored
    # A streamed answer, split at awkward places and with a model's small changes.
    again = Vault.open(tmp_path, "conv1")
    stream, answer = again.stream(), "Pay <iban_1> now, ask < PERSON 1 > at <EMAIL_1>."
    out = "".join(stream.feed(answer[i : i + 3]) for i in range(0, len(answer), 3)) + stream.flush()
    assert out == "Pay DE89 3704 0044 0532 0130 00 now, ask Dr. Jane Miller at jane.miller@example.com."


def test_secrets_are_blocked_by_default(tmp_path: Path, echo_server: tuple[str, list[bytes]]) -> None:
    url, received = echo_server
    with pytest.raises(EgressBlocked, match="secrets"):
        guarded_cloud_request(DOCUMENT, provider="test", model="echo", send=post(url),  # type: ignore[arg-type]
                              vault=Vault.open(tmp_path, "c2"), egress=EgressLog(tmp_path))  # fmt: skip
    assert received == [] and EgressLog(tmp_path).list() == []


def test_confidential_collections_never_leave(tmp_path: Path, echo_server: tuple[str, list[bytes]]) -> None:
    url, received = echo_server
    with pytest.raises(EgressBlocked, match="confidential"):
        guarded_cloud_request("harmless text", provider="test", model="echo", send=post(url),  # type: ignore[arg-type]
                              vault=Vault.open(tmp_path, "c3"), egress=EgressLog(tmp_path),
                              sensitivities=["internal", "confidential"])  # fmt: skip
    assert received == []
