"""Settings of the language models (local llama.cpp and cloud fallbacks)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

DEFAULT_MODEL = "smollm2-135m-instruct"

Strictness = Literal["documents", "documents+model"]


class LLMSettings(BaseModel):
    model: str = Field(
        default=DEFAULT_MODEL,
        description="Selected model: the bundled default or a name from `enclave models list`.",
    )
    context_size: int = Field(
        default=8192,
        ge=512,
        le=131072,
        description="Tokens of context llama.cpp allocates (capped at the trained context).",
    )
    threads: int = Field(
        default=0, ge=0, le=256,
        description="CPU threads for generating tokens; 0 picks half the logical CPUs.",
    )
    threads_batch: int = Field(
        default=0, ge=0, le=256,
        description="CPU threads for reading the prompt; 0: one per CPU other programs leave idle.",
    )
    gpu_layers: int = Field(
        default=0, ge=-1, description="Layers offloaded to a GPU build of llama.cpp; -1 offloads all."
    )
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    max_answer_tokens: int = Field(default=384, ge=16, le=8192)
    strictness: Strictness = Field(
        default="documents",
        description="documents: answer only from sources; documents+model: may add knowledge.",
    )
    # Best cosine similarity (all-MiniLM-L6-v2) between the question and its top passages
    # below which Enclave abstains. SciFact train (benchmarks/llm_abstention.py): the
    # strictest value that abstains on <= 5% of answerable questions (torch vectors: 3.2%
    # held out; re-fitted on the int8 ONNX vectors 2026-12-04: 0.41 again, 2.7% held out);
    # off-topic questions about real PDFs score 0.12-0.23, answerable ones 0.43-0.72.
    abstain_threshold: float = Field(default=0.41, ge=-1.0, le=1.0)
    sources_k: int = Field(default=6, ge=1, le=50, description="Passages retrieved per question.")
