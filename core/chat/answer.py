"""Answering a question: condense, retrieve, abstain or prompt, stream, cite, remember.

`ask` is what Engine.ask delegates to. It takes anything that offers `search` (the
Engine, or a fake retriever in tests) and optionally `embedder`, `home`, `documents`
and `chunks_of` (for whole-document tasks).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from core.chat.attribution import attribute_answer
from core.chat.citations import resolve_citations
from core.chat.condense import condense_question
from core.chat.documents import detect_document_task, run_document_task
from core.chat.prompt import BuiltPrompt, PriorTurn, build_prompt
from core.chat.result import ABSTAIN_MESSAGE, AnswerResult, Timings
from core.chat.routing import CloudRoute, route_answer
from core.chat.sources import Source
from core.chat.store import ConversationStore, Turn
from core.chat.turns import save_turn
from core.errors import Cancelled
from core.index.types import SearchHit, SearchMode
from core.jobs import CancelToken
from core.llm.backend import LLMBackend, TokenCallback
from core.llm.registry import LLMRegistry
from core.llm.settings import LLMSettings

NEAREST_SHOWN = 3  # passages listed with an abstention


class Retriever(Protocol):
    def search(
        self,
        query: str,
        *,
        collections: list[str] | None = None,
        k: int = 10,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]: ...


def llm_settings_of(settings: Any) -> LLMSettings:
    return settings.llm if hasattr(settings, "llm") else settings


def ask(
    engine: Retriever,
    llms: LLMRegistry,
    settings: Any,
    question: str,
    *,
    conversation_id: str | None = None,
    collections: list[str] | None = None,
    model: str | None = None,
    on_token: TokenCallback | None = None,
    cancel: CancelToken | None = None,
    store: ConversationStore | None = None,
    blocked_reason: str | None = None,
    route: CloudRoute | None = None,
) -> AnswerResult:
    """Answer `question` from the indexed documents; settings is Settings or LLMSettings.
    With `blocked_reason` the turn is recorded with that reason as its answer and no model or
    search runs (the guard refused the question)."""
    config = llm_settings_of(settings)
    store = store or ConversationStore.in_home(Path(getattr(engine, "home", llms.home)))
    conversation = (
        store.get(conversation_id) if conversation_id else store.create(title=question)
    )
    turns = store.turns(conversation.id)
    if blocked_reason is not None:
        result = AnswerResult(
            answer=blocked_reason, citations=[], sources=[], abstained=True, model=config.model,
            backend="none", conversation_id=conversation.id, turn=len(turns),
            search_query=question, relevance=None, finish_reason="blocked",
        )  # fmt: skip
        return finish_without_model(store, result, question, on_token)
    started = time.perf_counter()
    task = detect_document_task(engine, question)
    if task is not None:
        return run_document_task(
            engine, llms, config, task, store=store, conversation_id=conversation.id,
            turns=turns, model=model, on_token=on_token, cancel=cancel,
        )
    query = condense_question(question, [t.search_query for t in turns])
    hits = engine.search(query, collections=collections, k=config.sources_k)
    if blocks_flagged_chunks(settings):
        hits = [hit for hit in hits if "injection" not in hit.flags]
    relevance = best_relevance(engine, query, collections)
    timings = Timings(retrieval_ms=ms_since(started))
    if cancel is not None:
        cancel.raise_if_cancelled()
    weak = not hits or (relevance is not None and relevance < config.abstain_threshold)
    if weak and config.strictness == "documents":
        result = abstain(hits, conversation.id, len(turns), query, relevance, config, timings)
        return finish_without_model(store, result, question, on_token)
    return generate_answer(
        llms, config, question, query, [] if weak else hits, turns,
        conversation_id=conversation.id, model=model, relevance=relevance, timings=timings,
        started=started, on_token=on_token, cancel=cancel, store=store, route=route,
        embedder=getattr(engine, "embedder", None),
    )


def blocks_flagged_chunks(settings: Any) -> bool:
    """Guard setting injection_action = "block": passages flagged as injections are left out
    instead of shown to the model quoted and labelled."""
    guard = getattr(settings, "guard", None)
    return bool(guard and guard.enabled and guard.injection_action == "block")


def finish_without_model(
    store: ConversationStore, result: AnswerResult, question: str, on_token: TokenCallback | None
) -> AnswerResult:
    if on_token is not None:
        on_token(result.answer)
    save_turn(store, result, question, user_content="", raw_answer="", new_sources=[])
    return result


def generate_answer(
    llms: LLMRegistry,
    config: LLMSettings,
    question: str,
    query: str,
    hits: Sequence[SearchHit],
    turns: Sequence[Turn],
    *,
    conversation_id: str,
    model: str | None,
    relevance: float | None,
    timings: Timings,
    started: float,
    on_token: TokenCallback | None,
    cancel: CancelToken | None,
    store: ConversationStore,
    route: CloudRoute | None = None,
    embedder: Any = None,
) -> AnswerResult:
    """Prompt, stream, then cite each sentence from the grounding check's alignment (the
    embedder, when given, lets a paraphrase count as supported)."""
    def prompt(llm: LLMBackend, shown: Sequence[SearchHit], kept: Sequence[Turn]) -> BuiltPrompt:
        prompt_started = time.perf_counter()
        built = build_prompt(
            llm, question, shown, history=prior_turns(kept), next_n=next_source_number(turns),
            strictness=config.strictness, max_answer_tokens=config.max_answer_tokens,
        )
        timings.prompt_ms += ms_since(prompt_started)
        return built

    # The local model, or by cloud.mode (and the guard) a cloud one.
    routed = route_answer(
        route, llms, model, prompt, hits, turns, conversation_id=conversation_id,
        temperature=config.temperature, on_token=on_token, cancel=cancel,
    )
    llm, built, generation = routed.llm, routed.built, routed.generation
    by_rank = {h.chunk_id: i for i, h in enumerate(hits)}
    shown = sorted(built.turn_sources, key=lambda s: by_rank.get(s.chunk_id, len(by_rank)))
    resolved = resolve_citations(generation.text, built.visible)
    earlier = [s for n, s in built.visible.items() if s not in shown]
    attribution, verdicts = attribute_answer(resolved.text, [*shown, *earlier], embedder)
    timings.ttft_ms = generation.ttft_ms
    timings.generation_ms = generation.total_ms - generation.ttft_ms
    timings.prompt_tokens = generation.prompt_tokens
    timings.completion_tokens = generation.completion_tokens
    timings.cached_tokens = generation.cached_tokens
    timings.total_ms = ms_since(started)
    result = AnswerResult(
        answer=resolved.text, citations=attribution.citations, sources=shown, abstained=False,
        model=llm.name, backend=llm.backend, route=routed.info, conversation_id=conversation_id,
        turn=len(turns), search_query=query, relevance=relevance,
        finish_reason=generation.finish_reason, dangling_citations=resolved.dangling,
        timings=timings, unsupported=[v for v in verdicts if not v.supported],
        attribution=attribution,
    )
    save_turn(store, result, question, built.user_content, generation.text, built.new_sources)
    return result


def abstain(
    hits: Sequence[SearchHit],
    conversation_id: str,
    turn: int,
    query: str,
    relevance: float | None,
    config: LLMSettings,
    timings: Timings,
) -> AnswerResult:
    nearest = [Source.from_hit(i + 1, h) for i, h in enumerate(hits[:NEAREST_SHOWN])]
    text = ABSTAIN_MESSAGE
    if nearest:
        listed = "\n".join(
            f"- {s.file_name}" + (f", page {s.pages_label}" if s.pages_label else "")
            + f": {shorten(s.text)}"
            for s in nearest
        )
        text += f"\n\nThe nearest passages were:\n{listed}"
    timings.total_ms = timings.retrieval_ms
    return AnswerResult(
        answer=text, citations=[], sources=nearest, abstained=True, model=config.model,
        backend="none", conversation_id=conversation_id, turn=turn, search_query=query,
        relevance=relevance, timings=timings,
    )


def best_relevance(
    engine: Retriever, query: str, collections: list[str] | None
) -> float | None:
    """Cosine similarity between the query and its nearest passage.

    The hybrid score is a reciprocal-rank fusion: it ranks well but says nothing about
    how close the best passage is, so abstention asks the vector search, whose score is
    the cosine similarity (what benchmarks/llm_abstention.py calibrated).
    """
    nearest = engine.search(query, collections=collections, k=1, mode="vector")
    return nearest[0].score if nearest else None


def prior_turns(turns: Sequence[Turn]) -> list[PriorTurn]:
    return [
        PriorTurn(t.user_content, t.info.get("raw_answer", t.answer), t.new_sources)
        for t in turns
        if t.user_content  # abstentions and document tasks never reached this prompt
    ]


def next_source_number(turns: Sequence[Turn]) -> int:
    numbers = [s.n for t in turns for s in t.new_sources]
    return max(numbers, default=0) + 1


def shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


__all__ = ["AnswerResult", "Cancelled", "Retriever", "ask"]
