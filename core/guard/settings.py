"""Settings of the on-device guard (detectors, redaction policy)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Action = Literal["redact", "block", "allow"]
# The injection classifier's ingest prefilter (measured trade in benchmarks/guard_injection.py
# families_report: attacks kept and passages read at each value).
INJECTION_PREFILTER = 0.2


class GuardSettings(BaseModel):
    enabled: bool = True
    detect_pii: bool = True
    detect_secrets: bool = True
    detect_injection: bool = True
    pii_entities: list[str] = Field(
        default_factory=lambda: [
            "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
            "IP_ADDRESS", "DATE_OF_BIRTH", "STREET_ADDRESS", "POSTCODE", "PERSON",
            "LOCATION", "ORGANIZATION", "CUSTOM",
        ],
        description="Entity types the PII scanner reports and the vault replaces.",
    )
    pii_min_score: float = Field(0.5, ge=0.0, le=1.0)
    detect_names: bool = Field(
        True,
        description="Find names, places, organisations and postal addresses with a spaCy"
        " model.",
    )
    ner_model_path: str | None = Field(
        None,
        description="Another local spaCy model directory for names, places and organisations;"
        " unset: the bundled one (resources/guard/ner_model).",
    )
    custom_terms: list[str] = Field(
        default_factory=list, description="Words always treated as sensitive (project names)."
    )
    injection_threshold: float = Field(0.5, ge=0.0, le=1.0)
    injection_prefilter: float = Field(
        INJECTION_PREFILTER, ge=0.0, le=1.0,
        description="At ingest, passages the fast linear scorers give less than this"
        " probability are cleared without the fine-tuned classifier (which costs ~45 s per"
        " 1,000 passages on two cores); 0 has the classifier read every passage.",
    )
    pii_action: Action = "redact"
    secrets_action: Action = "block"
    injection_action: Literal["warn", "block"] = Field(
        "warn",
        description="warn: a flagged question is answered with a warning, flagged passages are"
        " shown to the model quoted and labelled as data. block: a flagged question is not"
        " answered and flagged passages are left out.",
    )
