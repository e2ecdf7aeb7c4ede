"""Policy: which detectors run, what is redacted or blocked before text leaves the machine.

Secrets are blocked by default; PII is replaced with vault placeholders; a collection
marked "confidential" never has its text sent to a cloud model, redacted or not. The
lead keeps collection records: callers pass each source's sensitivity in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.errors import GuardError
from core.guard.pii import PiiScanner
from core.guard.secrets import find_secrets
from core.guard.settings import GuardSettings
from core.guard.vault import Vault

Sensitivity = Literal["public", "internal", "confidential"]


class EgressBlocked(GuardError):
    """The policy refused to let this text go to a cloud model."""


@dataclass(frozen=True)
class Outbound:
    text: str
    redactions: dict[str, int]


class GuardPolicy:
    def __init__(self, settings: GuardSettings | None = None,
                 scanner: PiiScanner | None = None) -> None:  # fmt: skip
        self.settings = settings or GuardSettings()
        self.scanner = scanner or PiiScanner(self.settings)

    def allows_cloud(self, sensitivities: list[Sensitivity]) -> bool:
        return "confidential" not in sensitivities

    def prepare_outbound(self, text: str, vault: Vault,
                         sensitivities: list[Sensitivity] = ()) -> Outbound:  # type: ignore[assignment]  # fmt: skip
        """Pseudonymize `text` for a cloud model, or raise EgressBlocked."""
        if not self.allows_cloud(list(sensitivities)):
            raise EgressBlocked(
                "This question uses a confidential collection, which is never sent to a "
                "cloud model. Answer it with the local model, or change the collection's "
                "sensitivity."
            )
        spans: list[tuple[int, int, str]] = []
        if self.settings.detect_secrets and self.settings.secrets_action != "allow":
            secrets = find_secrets(text)
            if secrets and self.settings.secrets_action == "block":
                kinds = ", ".join(sorted({s.type for s in secrets}))
                raise EgressBlocked(f"The text contains secrets ({kinds}); it was not sent. "
                                    "Remove them, or set guard.secrets_action to 'redact'.")  # fmt: skip
            spans += [(s.start, s.end, "SECRET") for s in secrets]
        if self.settings.detect_pii and self.settings.pii_action != "allow":
            pii = self.scanner.scan(text)
            if pii and self.settings.pii_action == "block":
                raise EgressBlocked("The text contains personal data; it was not sent.")
            spans += [(f.start, f.end, f.type) for f in pii]
        redacted, counts = vault.pseudonymize(text, spans)
        return Outbound(redacted, counts)
