"""Pseudonymization vault: consistent placeholders per conversation, encrypted at rest.

The same value gets the same placeholder within a conversation (<PERSON_1>, <EMAIL_2>).
The mapping is stored under <home>/vault/<conversation>.bin, encrypted with Fernet; the
key lives only in the OS keyring (never in a file).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import GuardError, UserError

KEYRING_SERVICE = "enclave"
KEYRING_USER = "vault-key"
SHORT_TYPES = {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "IBAN_CODE": "IBAN",
               "IP_ADDRESS": "IP", "US_SSN": "SSN"}  # fmt: skip
# Tolerates what models do to placeholders: case, spaces, a space or hyphen for "_".
PLACEHOLDER_RE = re.compile(r"<\s*([A-Za-z][A-Za-z_]*?)[\s_-]*(\d{1,4})\s*>")
Span = tuple[int, int, str]  # start, end, type


class NoKeyring(UserError):
    pass


def vault_key() -> bytes:
    """The vault key from the OS keyring, created on first use."""
    import keyring
    from cryptography.fernet import Fernet
    from keyring.errors import KeyringError, NoKeyringError

    try:
        key = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if key is None:
            key = Fernet.generate_key().decode("ascii")
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key)
    except NoKeyringError as exc:
        raise NoKeyring(
            "No OS keyring is available to hold the vault key. Install or unlock one "
            "(GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager)."
        ) from exc
    except KeyringError as exc:
        raise NoKeyring(f"The OS keyring refused access to the vault key: {exc}") from exc
    return key.encode("ascii")


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def merge_overlaps(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one span covering them all: a name found inside a password
    must not leave the password's tail in the clear. Its kind is SECRET if a secret is among
    them, else the longest span's."""
    groups: list[list[Span]] = []
    for span in sorted(spans):
        if groups and span[0] < max(end for _, end, _ in groups[-1]):
            groups[-1].append(span)
        else:
            groups.append([span])
    return [(min(s for s, _, _ in group), max(e for _, e, _ in group), _dominant_kind(group))
            for group in groups]  # fmt: skip


def _dominant_kind(group: list[Span]) -> str:
    kinds = [kind for _, _, kind in group]
    if "SECRET" in kinds:
        return "SECRET"
    return max(group, key=lambda span: span[1] - span[0])[2]


@dataclass
class Vault:
    conversation: str
    path: Path | None = None
    placeholders: dict[str, str] = field(default_factory=dict)  # placeholder -> value
    counters: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, home: Path, conversation: str | None = None) -> Vault:
        conversation = conversation or uuid.uuid4().hex[:12]
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", conversation):
            raise GuardError(f"Invalid conversation id {conversation!r}.")
        path = home / "vault" / f"{conversation}.bin"
        vault = cls(conversation, path)
        if path.exists():
            vault._load()
        return vault

    def placeholder_for(self, value: str, kind: str) -> str:
        kind = SHORT_TYPES.get(kind, kind).upper()
        wanted = _norm(value)
        for ph, known in self.placeholders.items():
            if _norm(known) == wanted and ph.startswith(f"<{kind}_"):
                return ph
        self.counters[kind] = self.counters.get(kind, 0) + 1
        ph = f"<{kind}_{self.counters[kind]}>"
        self.placeholders[ph] = value
        return ph

    def pseudonymize(self, text: str, spans: list[Span]) -> tuple[str, dict[str, int]]:
        """Replace each span; returns the new text and counts per type (never values)."""
        out, counts, last = [], dict[str, int](), 0
        for start, end, kind in merge_overlaps(spans):
            out += [text[last:start], self.placeholder_for(text[start:end], kind)]
            counts[kind] = counts.get(kind, 0) + 1
            last = end
        out.append(text[last:])
        return "".join(out), counts

    def value_of(self, kind: str, number: str) -> str | None:
        return self.placeholders.get(f"<{kind.upper().replace(' ', '_')}_{int(number)}>")

    def restore(self, text: str) -> str:
        def swap(m: re.Match[str]) -> str:
            value = self.value_of(m.group(1), m.group(2))
            return m.group() if value is None else value

        return PLACEHOLDER_RE.sub(swap, text)

    def stream(self) -> StreamRestorer:
        return StreamRestorer(self.restore)

    def save(self) -> None:
        from cryptography.fernet import Fernet

        assert self.path is not None
        data = json.dumps({"placeholders": self.placeholders, "counters": self.counters})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_bytes(Fernet(vault_key()).encrypt(data.encode("utf-8")))
        tmp.replace(self.path)

    def _load(self) -> None:
        from cryptography.fernet import Fernet, InvalidToken

        assert self.path is not None
        try:
            data = json.loads(Fernet(vault_key()).decrypt(self.path.read_bytes()))
        except InvalidToken as exc:
            raise GuardError(f"Vault {self.path.name} cannot be decrypted with the keyring's key.") from exc
        self.placeholders, self.counters = data["placeholders"], data["counters"]


class StreamRestorer:
    """Restores placeholders in streamed text, also when one is split across pieces."""

    MAX_PLACEHOLDER = 40

    def __init__(self, restore: Callable[[str], str]) -> None:
        self._restore = restore
        self._pending = ""

    def feed(self, text: str) -> str:
        self._pending += text
        cut = self._pending.rfind("<")
        if cut == -1 or ">" in self._pending[cut:] or len(self._pending) - cut > self.MAX_PLACEHOLDER:
            cut = len(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._restore(ready)

    def flush(self) -> str:
        ready, self._pending = self._pending, ""
        return self._restore(ready)
