"""Fakes for the cloud path: a provider client without an SDK and a PII scanner without
Presidio. The guard around them (vault, policy, egress log) is the real one."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.guard.patterns import PiiFinding
from core.guard.settings import GuardSettings
from core.jobs import CancelToken
from core.llm.backend import ChatMessage
from core.llm.cloud.base import (
    PieceCallback,
    ProviderClient,
    StreamOutcome,
    StreamTimer,
    Wire,
)

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d{1,4}>")
NAME = re.compile(r"\b(?:Jane Miller|Tom Baker|Ada Lovelace)\b")
EMAIL = re.compile(r"\b[\w.]+@[\w.]+\.\w+\b")


class FakeScanner:
    """Names from a fixed list and e-mail addresses."""

    def __init__(self, settings: GuardSettings | None = None) -> None:
        self.settings = settings or GuardSettings()

    def scan(self, text: str) -> list[PiiFinding]:
        found = [PiiFinding("PERSON", m.start(), m.end(), m.group(), 1.0) for m in NAME.finditer(text)]
        found += [PiiFinding("EMAIL_ADDRESS", m.start(), m.end(), m.group(), 1.0)
                  for m in EMAIL.finditer(text)]  # fmt: skip
        return sorted(found, key=lambda f: f.start)


class StatusError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code} for key sk-test-secret-key-123456")
        self.status_code = status_code


class ReadTimeout(Exception):
    pass


@dataclass
class Sent:
    body: bytes
    egress_rows_at_send: int


class FakeProvider:
    """What the fake client does; one instance per test (set on the service)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.faults: list[str] = []
        self.answer: Callable[[Sequence[ChatMessage]], str] = echo_placeholders
        self.chunk = 5
        self.egress_rows: Callable[[], int] = lambda: -1
        self.retries_on_429 = 1

    def client_class(self, provider: str) -> type[ProviderClient]:
        fake = self

        class Client(FakeClient):
            owner = fake

        return Client


def echo_placeholders(messages: Sequence[ChatMessage]) -> str:
    found = PLACEHOLDER.findall(messages[-1].content)
    return "I saw " + (", ".join(dict.fromkeys(found)) or "no placeholders") + " [1]."


class FakeClient(ProviderClient):
    label = "FakeCloud"
    owner: FakeProvider

    def _stream(self, messages: Sequence[ChatMessage], max_tokens: int, temperature: float,
                on_piece: PieceCallback, wire: Wire, cancel: CancelToken | None,
                timer: StreamTimer) -> StreamOutcome:  # fmt: skip
        owner = self.owner
        body = json.dumps({"model": self.config.model,
                           "messages": [{"role": m.role, "content": m.content} for m in messages]}
                          ).encode()  # fmt: skip
        attempts = 0
        while True:
            attempts += 1
            wire(body)
            owner.sent.append(Sent(body, owner.egress_rows()))
            fault = owner.faults.pop(0) if owner.faults else None
            if fault == "429" and attempts <= owner.retries_on_429:
                continue
            break
        if fault in ("401", "404", "429", "500"):
            raise StatusError(int(fault))
        if fault == "hang":
            raise ReadTimeout("read timed out")
        answer = owner.answer(messages)
        pieces = [answer[i : i + owner.chunk] for i in range(0, len(answer), owner.chunk)]
        for i, piece in enumerate(pieces):
            if fault == "drop" and i >= 2:
                raise ConnectionResetError("peer closed connection")
            timer.piece(piece, on_piece)
        return timer.outcome("stop", (len(body) // 4, len(answer) // 4))

    def _list_models(self) -> list[str]:
        if self.owner.faults and self.owner.faults[0] == "401":
            raise StatusError(401)
        return ["fake-1", "fake-2"]


def install(engine: Any, provider: FakeProvider | None = None) -> FakeProvider:
    """Point the engine's cloud service at the fake provider and the fake scanner."""
    fake = provider or FakeProvider()
    service = engine._cloud()
    service.client_class = fake.client_class
    service.make_scanner = FakeScanner
    fake.egress_rows = lambda: len(engine.egress_records())
    return fake
