"""Settings of the on-device guard (detectors, redaction policy)."""

from __future__ import annotations

from pydantic import BaseModel


class GuardSettings(BaseModel):
    enabled: bool = True
