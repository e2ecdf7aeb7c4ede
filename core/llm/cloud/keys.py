"""API keys in the OS keyring (service "enclave", one entry per provider), or from the
provider's usual environment variable, which is read but never stored.

A key never goes into settings, logs, the egress log, exports or exception messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from core.errors import UserError
from core.llm.cloud.catalog import ENV_KEYS, PROVIDERS, check_provider

SERVICE = "enclave"
KeySource = Literal["keyring", "env"]
NO_KEYRING_HELP = (
    "No OS keyring is available to hold API keys ({detail}). Install or unlock one (GNOME "
    "Keyring or KWallet through Secret Service, macOS Keychain, Windows Credential Manager); "
    "on a headless Linux box start one with `gnome-keyring-daemon --unlock` in a D-Bus "
    "session. Or leave the key out of the keyring and set {env} in the environment."
)


class NoKeyringBackend(UserError):
    pass


@dataclass(frozen=True)
class KeyStatus:
    provider: str
    source: KeySource | None  # where the key would come from; None: no key

    def to_json(self) -> dict[str, str | None]:
        return {"provider": self.provider, "source": self.source, "env": ENV_KEYS[self.provider]}


def _username(provider: str) -> str:
    return f"api-key:{check_provider(provider)}"


def _keyring_call(provider: str, action: str, *args: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    try:
        if action == "get":
            return keyring.get_password(SERVICE, _username(provider))
        if action == "set":
            keyring.set_password(SERVICE, _username(provider), args[0])
        elif action == "delete":
            keyring.delete_password(SERVICE, _username(provider))
    except PasswordDeleteError:
        return None
    except NoKeyringError as exc:
        raise NoKeyringBackend(NO_KEYRING_HELP.format(
            detail=type(exc).__name__, env=ENV_KEYS[provider])) from None  # fmt: skip
    except KeyringError as exc:
        raise NoKeyringBackend(NO_KEYRING_HELP.format(
            detail=f"it refused access: {type(exc).__name__}", env=ENV_KEYS[provider])) from None  # fmt: skip
    return None


def set_key(provider: str, key: str) -> None:
    key = key.strip()
    if not key:
        raise UserError("The API key is empty; nothing was stored.")
    if any(c.isspace() for c in key):
        raise UserError("An API key holds no spaces or line breaks; nothing was stored.")
    _keyring_call(provider, "set", key)


def delete_key(provider: str) -> bool:
    """Remove the stored key; False when there was none."""
    if _keyring_call(provider, "get") is None:
        return False
    _keyring_call(provider, "delete")
    return True


def get_key(provider: str) -> tuple[str | None, KeySource | None]:
    """The keyring's key, else the environment's; a broken keyring falls back to the
    environment (and raises only when there is no key there either)."""
    try:
        stored = _keyring_call(provider, "get")
    except NoKeyringBackend:
        env = os.environ.get(ENV_KEYS[check_provider(provider)], "").strip()
        if env:
            return env, "env"
        raise
    if stored:
        return stored, "keyring"
    env = os.environ.get(ENV_KEYS[provider], "").strip()
    return (env, "env") if env else (None, None)


def key_status() -> list[KeyStatus]:
    return [KeyStatus(p, get_key(p)[1]) for p in PROVIDERS]
