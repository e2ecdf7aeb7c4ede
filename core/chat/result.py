"""What an answer returns to the faces: text, citations, sources and timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.chat.attribution import Attribution
from core.chat.citations import Citation
from core.chat.routing import RouteInfo
from core.chat.sources import Source
from core.guard.grounding import SentenceSupport
from core.guard.injection import InjectionResult

ABSTAIN_MESSAGE = "I could not find this in your documents."


@dataclass
class Timings:
    retrieval_ms: float = 0.0  # search + relevance scoring
    prompt_ms: float = 0.0  # building and tokenizing the prompt
    ttft_ms: float = 0.0  # generation call until the first token (prompt processing)
    generation_ms: float = 0.0  # first token until the last
    total_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # prompt tokens reused from the KV cache

    def to_json(self) -> dict[str, Any]:
        return {
            key: round(value, 1) if isinstance(value, float) else value
            for key, value in self.__dict__.items()
        }


@dataclass
class AnswerResult:
    answer: str
    citations: list[Citation]
    sources: list[Source]  # every passage this turn showed the model (or, abstaining, the nearest)
    abstained: bool
    model: str
    backend: str
    conversation_id: str
    turn: int
    search_query: str
    relevance: float | None  # cosine of the nearest passage; None when nothing is indexed
    finish_reason: str = "stop"
    dangling_citations: int = 0
    task: str = "answer"  # answer | summary | compare
    timings: Timings = field(default_factory=Timings)
    # Sentences of the answer that no shown passage supports (the guard's grounding check).
    unsupported: list[SentenceSupport] = field(default_factory=list)
    # The guard's injection check of the question itself (None when the check is off).
    question_injection: InjectionResult | None = None
    # Which model answered (local or cloud), what left the machine, what it cost.
    route: RouteInfo | None = None
    # Per-sentence citations from the grounding alignment (None: not graded, e.g. abstained).
    attribution: Attribution | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "abstained": self.abstained,
            "model": self.model,
            "backend": self.route.route if self.route else self.backend,  # local|cloud|none
            "engine": self.backend,  # llama.cpp, fake, or the cloud provider
            "timings": self.timings.to_json(),
            "conversation_id": self.conversation_id,
            "turn": self.turn,
            "sources": [s.to_json() for s in self.sources],
            "search_query": self.search_query,
            "relevance": None if self.relevance is None else round(self.relevance, 4),
            "finish_reason": self.finish_reason,
            **(self.route or RouteInfo(route="none")).to_json(),
            "dangling_citations": self.dangling_citations,
            "task": self.task,
            "unsupported": [
                {"text": u.text, "start": u.start, "end": u.end, "missing": list(u.missing)}
                for u in self.unsupported
            ],
            "question_injection": (
                self.question_injection.as_dict() if self.question_injection else None
            ),
            "attribution": self.attribution.to_json() if self.attribution else None,
        }
