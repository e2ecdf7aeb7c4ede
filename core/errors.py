"""Typed errors. Core raises them; only the faces (CLI, GUI) decide how to show them."""

from __future__ import annotations


class EnclaveError(Exception):
    """Base of every error Enclave raises on purpose."""


class UserError(EnclaveError):
    """An error whose message is safe to show to a person and tells them what to do."""


class Cancelled(EnclaveError):
    """A job stopped because its CancelToken was set."""


class SettingsError(UserError):
    """Settings file unreadable or a value out of range."""


class IngestError(UserError):
    """A document could not be read. `reason` is a short machine-readable code."""

    def __init__(self, message: str, reason: str = "unreadable") -> None:
        super().__init__(message)
        self.reason = reason


class UnsupportedFormat(IngestError):
    def __init__(self, message: str) -> None:
        super().__init__(message, reason="unsupported")


class StoreError(UserError):
    """The index or catalog could not be read or written."""


class NotFound(UserError):
    """A named collection, document, model or conversation does not exist."""


class LLMError(UserError):
    """A language model could not be loaded or failed while answering."""


class GuardError(UserError):
    """The guard refused or failed to check something."""
