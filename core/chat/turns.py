"""Recording a finished answer as a conversation turn (shared by chat answers and
document tasks)."""

from __future__ import annotations

from collections.abc import Sequence

from core.chat.result import AnswerResult
from core.chat.sources import Source
from core.chat.store import ConversationStore, Turn


def save_turn(
    store: ConversationStore,
    result: AnswerResult,
    question: str,
    user_content: str,
    raw_answer: str,
    new_sources: Sequence[Source],
) -> None:
    if result.finish_reason == "cancelled" and not result.answer:
        return
    # Turns outside the chat prompt (document tasks) store the sources they cite.
    known = {s.n for s in new_sources}
    extra = [c.source for c in result.citations if c.n not in known]
    store.add_turn(
        result.conversation_id,
        Turn(
            ordinal=result.turn,
            question=question,
            search_query=result.search_query,
            user_content=user_content,
            answer=result.answer,
            abstained=result.abstained,
            model=result.model,
            cited=tuple(c.n for c in result.citations),
            inferred=any(c.inferred for c in result.citations),
            new_sources=tuple(new_sources) if user_content else tuple(extra),
            visible_sources=tuple(s.n for s in result.sources),
            info={
                "raw_answer": raw_answer,
                "timings": result.timings.to_json(),
                "finish_reason": result.finish_reason,
                "task": result.task,
                "dangling": result.dangling_citations,
                "backend": result.route.route if result.route else result.backend,
                "cloud": result.route.to_json() if result.route else None,
            },
        ),
    )
