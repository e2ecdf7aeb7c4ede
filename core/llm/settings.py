"""Settings of the language models (local llama.cpp and cloud fallbacks)."""

from __future__ import annotations

from pydantic import BaseModel


class LLMSettings(BaseModel):
    model: str = "smollm2-135m-instruct"
