"""Typed text through the whole guard (the CLI's `guard scan` and the window's guard panel),
and what the guard is able to do on this machine (`guard status`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.guard.settings import GuardSettings

if TYPE_CHECKING:
    from core.guard.injection import InjectionDetector, InjectionResult
    from core.guard.patterns import PiiFinding
    from core.guard.pii import PiiScanner
    from core.guard.secrets import SecretFinding


@dataclass(frozen=True)
class GuardScan:
    """Findings in one text: character spans of PII and secrets, and the injection verdict."""

    pii: list[PiiFinding]
    secrets: list[SecretFinding]
    injection: InjectionResult | None
    names_detected: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "pii": [{"type": f.type, "start": f.start, "end": f.end, "text": f.text,
                     "score": round(f.score, 3)} for f in self.pii],
            "secrets": [{"type": s.type, "start": s.start, "end": s.end} for s in self.secrets],
            "injection": self.injection.as_dict() if self.injection else None,
            "names_detected": self.names_detected,
        }  # fmt: skip


class GuardScanner:
    """Presidio, detect-secrets and the injection detector, loaded once (for batches)."""

    def __init__(self, settings: GuardSettings) -> None:
        from core.guard import injection_detector
        from core.guard.pii import PiiScanner

        self.settings = settings
        self.pii: PiiScanner = PiiScanner(settings)
        self.injection: InjectionDetector = injection_detector(settings.injection_threshold)

    def scan(self, text: str) -> GuardScan:
        from core.guard.secrets import find_secrets

        on = self.settings.enabled
        pii = self.pii.scan(text) if on and self.settings.detect_pii else []
        secrets = find_secrets(text) if on and self.settings.detect_secrets else []
        injection = None
        if on and self.settings.detect_injection:
            injection = self.injection.score_prompts([text])[0]
        return GuardScan(pii, secrets, injection, self.pii.names_detected)


@dataclass(frozen=True)
class GuardStatus:
    enabled: bool
    detect_pii: bool
    pii_action: str
    names_detected: bool
    ner_model_path: str | None
    detect_secrets: bool
    secrets_action: str
    detect_injection: bool
    injection_threshold: float
    injection_prefilter: float
    injection_action: str
    classifier_thresholds: dict[str, float]  # the injection classifier's, per kind of text
    flags_stale: bool  # indexed chunks were flagged by another version of the guard

    def lines(self) -> list[str]:
        model = (f"spaCy model {self.ner_model_path}" if self.ner_model_path
                 else "Enclave's spaCy recognizer, trained from en_core_web_sm")  # fmt: skip
        names = (f"detected ({model})" if self.names_detected
                 else "NOT detected (guard.detect_names is off or the model folder is missing;"
                      " only names after Mr/Ms/Dr)")  # fmt: skip
        thresholds = ", ".join(f"{k} {v:+.2f}" for k, v in self.classifier_thresholds.items())
        return [
            f"guard: {'on' if self.enabled else 'OFF'}",
            f"PII: {'on' if self.detect_pii else 'off'} ({self.pii_action})",
            f"names, places, organisations, addresses: {names}",
            f"secrets: {'on' if self.detect_secrets else 'off'} ({self.secrets_action})",
            f"prompt injection: {'on' if self.detect_injection else 'off'} "
            f"(threshold {self.injection_threshold}, action {self.injection_action})",
            f"injection classifier: fine-tuned all-MiniLM-L6-v2, int8; every question, and at "
            f"ingest the passages the fast scorers give >= {self.injection_prefilter} "
            f"(logit thresholds: {thresholds})",
            "indexed chunks: " + ("flagged by an older guard; run: enclave guard rescan"
                                  if self.flags_stale else "flags up to date"),
        ]  # fmt: skip


def guard_status(settings: GuardSettings, flags_stale: bool) -> GuardStatus:
    from core.guard.classifier import calibrated_thresholds
    from core.guard.pii import names_detected

    return GuardStatus(
        enabled=settings.enabled, detect_pii=settings.detect_pii,
        pii_action=settings.pii_action, names_detected=names_detected(settings),
        ner_model_path=settings.ner_model_path, detect_secrets=settings.detect_secrets,
        secrets_action=settings.secrets_action, detect_injection=settings.detect_injection,
        injection_threshold=settings.injection_threshold,
        injection_prefilter=settings.injection_prefilter,
        injection_action=settings.injection_action,
        classifier_thresholds=calibrated_thresholds(), flags_stale=flags_stale,
    )  # fmt: skip
