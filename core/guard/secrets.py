"""Secrets: our patterns for current key formats, plus detect-secrets (no network checks).

The patterns run on every chunk at ingest (fast path). detect-secrets adds its keyword and
high-entropy plugins when a whole text is scanned before it leaves the machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class SecretFinding:
    type: str
    start: int
    end: int
    text: str


_Q = r"""['"`]?"""
_KEYWORD = (
    r"(?i)(?<![A-Za-z])[\w-]{0,24}?(?:pass(?:word|wd|phrase)?|pwd|pw|secret|token|api[_ -]?key"
    r"|access[_ -]?key|private[_ -]?key|auth\w{0,12}[_ -]?key|credential|salt|nonce)"
)
# A value: quoted or bare, at least 6 characters, mixing letters with digits or symbols.
_VALUE = (
    r"['\"`]?(?!\$\{|\{\{|<|%\(|null\b|none\b|true\b|false\b|\*{3})"
    r"(?=[^\s'\"`,;]*[A-Za-z])(?=[^\s'\"`,;]*[\d!@#$%^&*+/=_-])[^\s'\"`,;)]{6,}"
)
SECRET_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(rx)
    for name, rx in {
        "PRIVATE_KEY": r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,8000}?(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|$)",
        "ANTHROPIC": r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{20,}",
        "OPENAI": r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}",
        "GOOGLE_API_KEY": r"\bAIza[0-9A-Za-z_-]{35}\b",
        "GITHUB": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b",
        "GITLAB": r"\bgl(?:pat|dt|ptt|rt|soat|cbt|imt|agent|oas)-[A-Za-z0-9_-]{20,}",
        "AWS": r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        "AWS_SECRET": r"(?i)aws.{0,20}?(?:secret|private).{0,20}?[:=]\s*" + _Q + r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
        "SLACK": r"\bxox[abposr]-[A-Za-z0-9-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]{20,}",
        "STRIPE": r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,}",
        "HUGGINGFACE": r"\bhf_[A-Za-z0-9]{30,}\b",
        "NPM": r"\bnpm_[A-Za-z0-9]{36}\b",
        "PYPI": r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        "TWILIO": r"\bSK[0-9a-fA-F]{32}\b",
        "SENDGRID": r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
        "JWT": r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        "CONNECTION_STRING": r"\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@'\"]{1,64}:[^\s@/'\"]{3,128}@[^\s/'\"]+",
        "BEARER_TOKEN": r"(?i)\bBearer\s+[A-Za-z0-9_\-.=~+/]{20,}",
        "CREDENTIAL_ASSIGNMENT": _KEYWORD + r"[\w.-]*" + _Q + r"\s{0,3}(?:=>|:=|[:=])\s{0,3}" + _VALUE,
        "CREDENTIAL_OPTION": r"(?i)(?:--?pass(?:word|phrase)?|-p(?=\S)|identified by|\bpassword)\s+" + _VALUE,
    }.items()
}  # fmt: skip


def find_secrets_fast(text: str) -> list[SecretFinding]:
    found: list[SecretFinding] = []
    for name, rx in SECRET_PATTERNS.items():
        found.extend(SecretFinding(name, m.start(), m.end(), m.group()) for m in rx.finditer(text))
    return _without_overlaps(found)


def _without_overlaps(found: list[SecretFinding]) -> list[SecretFinding]:
    # Named formats come first in SECRET_PATTERNS, so on a tie the specific name wins.
    order = {name: i for i, name in enumerate(SECRET_PATTERNS)}
    kept: list[SecretFinding] = []
    for f in sorted(found, key=lambda f: (order.get(f.type, 99), f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


def find_secrets(text: str, use_detect_secrets: bool = True) -> list[SecretFinding]:
    """Patterns plus detect-secrets' plugins, line by line."""
    found = find_secrets_fast(text)
    if use_detect_secrets:
        found.extend(_detect_secrets_findings(text))
    return _without_overlaps(found)


def _detect_secrets_findings(text: str) -> list[SecretFinding]:
    process_lines, settings_factory = _detect_secrets()
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    found: list[SecretFinding] = []
    with settings_factory():
        # The file-scan path (not the ad-hoc one) applies detect-secrets' false-positive filters.
        numbered = list(enumerate((line.rstrip("\r\n") for line in lines), start=1))
        for secret in process_lines(numbered, filename="snippet.txt"):
            value = secret.secret_value or ""
            line = lines[secret.line_number - 1]
            at = line.find(value) if value else -1
            if at >= 0:
                begin = starts[secret.line_number - 1] + at
                kind = "DS:" + secret.type.upper().replace(" ", "_")
                found.append(SecretFinding(kind, begin, begin + len(value), value))
    return found


@lru_cache(maxsize=1)
def _detect_secrets() -> tuple[Any, Any]:
    from detect_secrets.core.scan import _process_line_based_plugins
    from detect_secrets.settings import default_settings

    # default_settings() enables the plugins; none of them verifies a secret over the network.
    return _process_line_based_plugins, default_settings
