"""The cloud model as an LLMBackend, with the guard in front of every request.

generate(): each message is pseudonymized with the conversation's vault (the policy
raises EgressBlocked for confidential collections and, by default, secrets); values the
vault already knows are swept from the rest of the text too; the vault is saved; the
provider's SDK builds the request and, in its httpx hook, the exact body is written to
the egress log before it is sent, after a last check that no known value is in it. The
answer streams back with placeholders restored, also when one is split across pieces.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.errors import EnclaveError
from core.guard.egress import EgressLog
from core.guard.policy import EgressBlocked, GuardPolicy, Sensitivity
from core.guard.vault import Vault
from core.jobs import CancelToken
from core.llm.backend import ChatMessage, Generation, TokenCallback
from core.llm.cloud.base import ProviderClient, StreamOutcome
from core.llm.cloud.errors import CloudError, StreamBroken
from core.llm.cloud.ledger import CloudLedger, Usage, cost_of
from core.llm.cloud.settings import Price

CHARS_PER_TOKEN = 3  # conservative: real tokenizers average about 4 characters of English
MESSAGE_OVERHEAD = 4
PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n)")
MIN_SWEPT_VALUE = 3  # shorter known values are not swept from free text (too many false hits)


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


class Captured(EnclaveError):
    """Stops a dry run in the SDK's hook: the body is kept, the request never sent."""


@dataclass
class CloudCall:
    """What one guarded request did: for the answer's metadata."""

    provider: str
    model: str
    redactions: dict[str, int] = field(default_factory=dict)
    egress_id: int | None = None
    attempts: int = 0  # bodies handed to the wire (retries send the same bytes again)
    usage: Usage | None = None
    cost_usd: float | None = None
    raw_text: str = ""  # the answer as the model sent it (placeholders)
    status: str = "pending"


@dataclass
class CloudGuard:
    """Everything the guard needs for one conversation's cloud requests."""

    policy: GuardPolicy
    vault: Vault
    egress: EgressLog
    ledger: CloudLedger | None = None
    sensitivities: list[Sensitivity] = field(default_factory=list)
    price: Price | None = None


def pseudonymize_messages(messages: Sequence[ChatMessage], guard: CloudGuard
                          ) -> tuple[list[ChatMessage], dict[str, int]]:  # fmt: skip
    """Messages as they may leave; raises EgressBlocked. Counts are per type, never values.

    Each paragraph is scanned on its own: the detectors read a value in its own sentence
    more reliably than inside a long prompt (a phone number after a postcode, a token on
    the line after another), and a passage sent again hits the scanner's cache."""
    out: list[ChatMessage] = []
    counts: dict[str, int] = {}
    for message in messages:
        parts = PARAGRAPH_BREAK.split(message.content)
        for i in range(0, len(parts), 2):  # odd items are the breaks themselves
            if not parts[i].strip():
                continue
            prepared = guard.policy.prepare_outbound(parts[i], guard.vault, guard.sensitivities)
            parts[i] = prepared.text
            for kind, n in prepared.redactions.items():
                counts[kind] = counts.get(kind, 0) + n
        out.append(ChatMessage(message.role, "".join(parts)))
    swept = [ChatMessage(m.role, sweep_known_values(m.content, guard.vault, counts)) for m in out]
    return swept, counts


def value_pattern(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)


def sweep_known_values(text: str, vault: Vault, counts: dict[str, int]) -> str:
    """Replace values the vault holds wherever they still stand (the detector found them
    in one place and missed them in another)."""
    for placeholder, value in sorted(vault.placeholders.items(), key=lambda kv: -len(kv[1])):
        if len(value.strip()) < MIN_SWEPT_VALUE:
            continue
        text, n = value_pattern(value).subn(placeholder, text)
        if n:
            kind = placeholder.strip("<>").rsplit("_", 1)[0]
            counts[kind] = counts.get(kind, 0) + n
    return text


def request_texts(body: bytes) -> str:
    """The free text of a JSON request body (every string but roles and model names)."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")
    out: list[str] = []

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, str) and key not in ("role", "model"):
            out.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for item in value:
                walk(item, key)

    walk(data)
    return "\n".join(out)


def leaked_values(body: bytes, vault: Vault) -> int:
    """How many values the vault replaced still stand in the request's text."""
    text = request_texts(body)
    return sum(
        value_pattern(value).search(text) is not None
        for value in vault.placeholders.values()
        if len(value.strip()) >= MIN_SWEPT_VALUE
    )


class GuardedCloudBackend:
    """An LLMBackend for one provider and model, used for one conversation."""

    supports_streaming = True

    def __init__(self, client: ProviderClient, guard: CloudGuard, context_window: int) -> None:
        self.client = client
        self.guard = guard
        self.backend = client.config.provider
        self.name = client.config.model
        self.context_window = context_window
        self.last_call: CloudCall | None = None
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def prompt_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(estimate_tokens(m.content) + MESSAGE_OVERHEAD for m in messages) + 2

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
            call = CloudCall(self.backend, self.name)
            self.last_call = call
            outbound, call.redactions = pseudonymize_messages(messages, self.guard)
            self.guard.vault.save()  # the mapping must exist before any placeholder leaves
            restorer = self.guard.vault.stream()
            emit = on_token or (lambda _piece: None)
            try:
                outcome = self.client.stream(
                    outbound, max_tokens=max_tokens, temperature=temperature,
                    on_piece=lambda piece: emit(restorer.feed(piece)),
                    wire=lambda body: self._wire(call, body), cancel=cancel,
                )  # fmt: skip
            except StreamBroken as exc:
                emit(restorer.flush())
                self._settle(call, None, "broken", str(exc), exc.partial, outbound)
                raise StreamBroken(str(exc), self.guard.vault.restore(exc.partial)) from None
            except (CloudError, EgressBlocked) as exc:
                self._settle(call, None, "failed", str(exc), "", outbound)
                raise
            emit(restorer.flush())
            status = "cancelled" if outcome.finish_reason == "cancelled" else "ok"
            self._settle(call, outcome, status, "", outcome.text, outbound)
            return self._generation(outcome, call)

    def capture(self, messages: Sequence[ChatMessage], *, max_tokens: int,
                temperature: float = 0.2) -> tuple[bytes, dict[str, int]]:  # fmt: skip
        """The exact body generate() would send and the redactions, sending nothing (the
        hook stops the request before a connection opens) and saving no vault."""
        with self._lock:
            outbound, redactions = pseudonymize_messages(messages, self.guard)
            bodies: list[bytes] = []

            def wire(body: bytes) -> None:
                if leaked_values(body, self.guard.vault):
                    raise EgressBlocked("The request would still hold a value the guard had "
                                        "replaced; it would not be sent.")  # fmt: skip
                bodies.append(body)
                raise Captured("dry run")

            with contextlib.suppress(Captured):
                self.client.stream(outbound, max_tokens=max_tokens, temperature=temperature,
                                   on_piece=lambda _piece: None, wire=wire)  # fmt: skip
            return (bodies[0] if bodies else b""), redactions

    def _wire(self, call: CloudCall, body: bytes) -> None:
        """Called by the SDK's hook with the exact bytes, before they leave."""
        call.attempts += 1
        if call.egress_id is not None and call.attempts > 1:
            last = self.guard.egress.show(call.egress_id).payload
            if last == body:
                return  # a retry of the same bytes: logged once
        if leaked_values(body, self.guard.vault):
            raise EgressBlocked("The request still held a value the guard had replaced; it "
                                "was not sent.")  # fmt: skip
        call.egress_id = self.guard.egress.record(self.backend, self.name, body,
                                                  call.redactions, -1)  # fmt: skip

    def _settle(self, call: CloudCall, outcome: StreamOutcome | None, status: str, reason: str,
                raw: str, outbound: Sequence[ChatMessage]) -> None:  # fmt: skip
        call.status, call.raw_text = status, raw
        if call.egress_id is None:
            return  # nothing left the machine
        if outcome is not None and outcome.prompt_tokens is not None:
            call.usage = Usage(outcome.prompt_tokens, outcome.completion_tokens or 0)
        else:
            call.usage = Usage(self.prompt_tokens(outbound), estimate_tokens(raw), estimated=True)
        call.cost_usd = cost_of(call.usage, self.guard.price)
        if self.guard.ledger is not None:
            self.guard.ledger.record(
                egress_id=call.egress_id, conversation_id=self.guard.vault.conversation,
                provider=self.backend, model=self.name, usage=call.usage,
                cost_usd=call.cost_usd, status=status, reason=reason,
            )  # fmt: skip

    def _generation(self, outcome: StreamOutcome, call: CloudCall) -> Generation:
        usage = call.usage or Usage(0, 0, True)
        return Generation(
            text=self.guard.vault.restore(outcome.text), finish_reason=outcome.finish_reason,
            prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
            cached_tokens=0, ttft_ms=outcome.ttft_ms, total_ms=outcome.total_ms,
        )  # fmt: skip
