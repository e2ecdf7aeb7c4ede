"""The one door to a cloud model: pseudonymize -> policy -> egress log -> send -> restore.

A future cloud backend calls `guarded_cloud_request` with a `send` function that does the
HTTP call; nothing else may send conversation text off the machine.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.guard.egress import EgressLog
from core.guard.policy import GuardPolicy, Sensitivity
from core.guard.vault import Vault


@dataclass(frozen=True)
class CloudReply:
    text: str  # placeholders restored
    raw_text: str  # as the model returned it
    egress_id: int
    redactions: dict[str, int]


def guarded_cloud_request(
    prompt: str,
    *,
    provider: str,
    model: str,
    send: Callable[[bytes], bytes],
    vault: Vault,
    egress: EgressLog,
    policy: GuardPolicy | None = None,
    sensitivities: list[Sensitivity] | None = None,
    build_payload: Callable[[str], bytes] | None = None,
    read_reply: Callable[[bytes], str] | None = None,
) -> CloudReply:
    """Send `prompt` to a cloud model with the guard in front; raises EgressBlocked."""
    policy = policy or GuardPolicy()
    outbound = policy.prepare_outbound(prompt, vault, sensitivities or [])
    vault.save()  # the mapping must survive before any value could be needed back
    payload = (build_payload or _default_payload)(outbound.text)
    try:
        response = send(payload)
    except Exception:
        # The bytes may have left even if no answer came back: they are logged either way.
        egress.record(provider, model, payload, outbound.redactions, -1)
        raise
    egress_id = egress.record(provider, model, payload, outbound.redactions, len(response))
    raw = (read_reply or _default_reply)(response)
    return CloudReply(vault.restore(raw), raw, egress_id, outbound.redactions)


def _default_payload(text: str) -> bytes:
    return json.dumps({"messages": [{"role": "user", "content": text}]}).encode("utf-8")


def _default_reply(response: bytes) -> str:
    data: Any = json.loads(response.decode("utf-8"))
    if isinstance(data, dict):
        for key in ("text", "content", "output"):
            if isinstance(data.get(key), str):
                return str(data[key])
    return response.decode("utf-8")
