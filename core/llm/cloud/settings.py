"""Settings of the cloud fallback: routing mode, provider, model, base URL, prices.

API keys are not settings: they live in the OS keyring (core/llm/cloud/keys.py).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.llm.cloud.catalog import Provider

Mode = Literal["local", "fallback", "cloud"]
PRICES_DATE = "2025-10-01"


class Price(BaseModel):
    """US dollars per million tokens."""

    input: float = Field(ge=0.0)
    output: float = Field(ge=0.0)


def _p(i: float, o: float) -> Price:
    return Price(input=i, output=o)


# List prices (standard tier, no caching or batch discount) from the providers' pricing
# pages on PRICES_DATE. Editable in settings.toml under [cloud.prices.<provider>].
DEFAULT_PRICES: dict[str, dict[str, Price]] = {
    "openai": {"gpt-4o-mini": _p(0.15, 0.60), "gpt-4o": _p(2.50, 10.00),
               "gpt-4.1": _p(2.00, 8.00), "gpt-4.1-mini": _p(0.40, 1.60),
               "gpt-4.1-nano": _p(0.10, 0.40), "gpt-5": _p(1.25, 10.00),
               "gpt-5-mini": _p(0.25, 2.00), "gpt-5-nano": _p(0.05, 0.40),
               "o4-mini": _p(1.10, 4.40)},
    "anthropic": {"claude-3-5-haiku-latest": _p(0.80, 4.00), "claude-haiku-4-5": _p(1.00, 5.00),
                  "claude-sonnet-4-0": _p(3.00, 15.00), "claude-sonnet-4-5": _p(3.00, 15.00),
                  "claude-opus-4-1": _p(15.00, 75.00)},
    "gemini": {"gemini-2.0-flash": _p(0.10, 0.40), "gemini-2.0-flash-lite": _p(0.075, 0.30),
               "gemini-2.5-flash": _p(0.30, 2.50), "gemini-2.5-flash-lite": _p(0.10, 0.40),
               "gemini-2.5-pro": _p(1.25, 10.00)},
}  # fmt: skip


class CloudSettings(BaseModel):
    mode: Mode = Field(
        default="local",
        description="local: never use a cloud model. fallback: cloud when no local model is"
        " usable, it fails, or the sources do not fit its context. cloud: cloud first, local"
        " when it fails.",
    )
    provider: Provider = "openai"
    model: str = Field(default="", description="Empty: the provider's default model.")
    base_url: str = Field(
        default="",
        description="Handed unchanged to the SDK as its base_url (OpenAI and compatible servers:"
        " with /v1; Anthropic and Gemini: the host alone). Empty: the provider's own.",
    )
    context_window: int = Field(
        default=0, ge=0, description="Tokens of the model's context; 0: from the model list."
    )
    timeout_s: float = Field(default=60.0, gt=0, le=600)
    max_retries: int = Field(default=2, ge=0, le=5, description="Retries on 429 and 5xx.")
    prices_date: str = Field(default=PRICES_DATE, description="When the prices were taken.")
    prices: dict[str, dict[str, Price]] = Field(
        default_factory=lambda: {p: dict(m) for p, m in DEFAULT_PRICES.items()},
        description="US dollars per million tokens in and out, per provider and model.",
    )

    def price_of(self, provider: str, model: str) -> Price | None:
        return self.prices.get(provider, {}).get(model)
