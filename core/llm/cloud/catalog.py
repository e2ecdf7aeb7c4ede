"""What each provider offers: its models with their context windows, its key variable.

The lists hold the models people pick most; any other model name works too (its context
window is then `cloud.context_window`, or a conservative default).
"""

from __future__ import annotations

from typing import Literal

Provider = Literal["openai", "anthropic", "gemini", "openai-compatible"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic", "gemini", "openai-compatible")
LABELS = {"openai": "OpenAI", "anthropic": "Anthropic", "gemini": "Google Gemini",
          "openai-compatible": "OpenAI-compatible server"}  # fmt: skip
ENV_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY",
            "gemini": "GEMINI_API_KEY", "openai-compatible": "OPENAI_COMPATIBLE_API_KEY"}  # fmt: skip
UNKNOWN_CONTEXT = 8192  # an unlisted model (a team's own server): assume little

# Context windows (prompt + answer tokens) from the providers' model pages.
MODELS: dict[str, dict[str, int]] = {
    "openai": {
        "gpt-4o-mini": 128_000,
        "gpt-4o": 128_000,
        "gpt-4.1": 1_047_576,
        "gpt-4.1-mini": 1_047_576,
        "gpt-4.1-nano": 1_047_576,
        "gpt-5": 400_000,
        "gpt-5-mini": 400_000,
        "gpt-5-nano": 400_000,
        "o4-mini": 200_000,
    },
    "anthropic": {
        "claude-3-5-haiku-latest": 200_000,
        "claude-haiku-4-5": 200_000,
        "claude-sonnet-4-0": 200_000,
        "claude-sonnet-4-5": 200_000,
        "claude-opus-4-1": 200_000,
    },
    "gemini": {
        "gemini-2.0-flash": 1_048_576,
        "gemini-2.0-flash-lite": 1_048_576,
        "gemini-2.5-flash": 1_048_576,
        "gemini-2.5-flash-lite": 1_048_576,
        "gemini-2.5-pro": 1_048_576,
    },
    "openai-compatible": {},
}
DEFAULT_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-3-5-haiku-latest",
                  "gemini": "gemini-2.0-flash", "openai-compatible": ""}  # fmt: skip


def check_provider(name: str) -> Provider:
    from core.errors import UserError

    if name not in PROVIDERS:
        raise UserError(f"Unknown cloud provider {name!r}: use one of {', '.join(PROVIDERS)}.")
    return name


def default_model(provider: str) -> str:
    return DEFAULT_MODELS.get(provider, "")


def context_window_of(provider: str, model: str, configured: int = 0) -> int:
    """The configured window wins; else the listed one; else UNKNOWN_CONTEXT."""
    if configured:
        return configured
    return MODELS.get(provider, {}).get(model, UNKNOWN_CONTEXT)
