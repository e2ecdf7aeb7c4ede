"""The dry run of a cloud question: the exact request body and the redactions, unsent.

Retrieval and the prompt are those of `ask` (same passages, same history, same vault), so
the body is byte for byte what `ask --cloud` sends next, unless the documents change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.chat.answer import best_relevance, blocks_flagged_chunks, next_source_number, prior_turns
from core.chat.condense import condense_question
from core.chat.prompt import build_prompt
from core.chat.routing import CloudRoute, cloud_hits, cloud_turns, confidential_reason
from core.chat.sources import Source
from core.errors import UserError

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d{1,4}>")


@dataclass
class CloudPreview:
    """Exactly what `ask --cloud` would send, sent nowhere."""

    provider: str
    model: str
    base_url: str  # as handed to the SDK; "" is the provider's own
    would_send: bool
    reason: str | None = None  # why nothing would be sent
    body: bytes = b""  # the exact request body
    redactions: dict[str, int] = field(default_factory=dict)  # counts per type, never values
    placeholder_spans: list[tuple[int, int]] = field(default_factory=list)  # in body's text
    sources: list[Source] = field(default_factory=list)  # passages in the request
    left_out: dict[str, int] = field(default_factory=dict)  # passages held back, per reason

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "base_url": self.base_url,
                "would_send": self.would_send, "reason": self.reason, "body": self.text,
                "bytes": len(self.body), "redactions": self.redactions,
                "placeholders": sorted({self.text[a:b] for a, b in self.placeholder_spans}),
                "sources": [{"n": s.n, "path": s.path, "page": s.page} for s in self.sources],
                "left_out": self.left_out}  # fmt: skip


def preview_request(engine: Any, service: Any, route: CloudRoute, question: str,
                    conversation_id: str | None, collections: list[str] | None) -> CloudPreview:  # fmt: skip
    from core.guard.policy import EgressBlocked

    cloud = service.settings
    config = engine.settings.llm
    turns = engine.chats.turns(conversation_id) if conversation_id else []
    query = condense_question(question, [t.search_query for t in turns])
    hits = engine.search(query, collections=collections, k=config.sources_k)
    if blocks_flagged_chunks(engine.settings):
        hits = [h for h in hits if "injection" not in h.flags]
    relevance = best_relevance(engine, query, collections)
    backend = service.backend(conversation_id, sorted({h.collection for h in hits}), max_retries=0)
    head = {"provider": backend.backend, "model": backend.name, "base_url": cloud.base_url}
    weak = not hits or (relevance is not None and relevance < config.abstain_threshold)
    if weak and config.strictness == "documents":
        return CloudPreview(**head, would_send=False, reason="Nothing relevant was found in "
                            "your documents: Enclave abstains and sends nothing.")  # fmt: skip
    refusal = confidential_reason(route, hits)
    if refusal:
        return CloudPreview(**head, would_send=False, reason=refusal)
    shown = cloud_hits([] if weak else hits)
    built = build_prompt(backend, question, shown, history=prior_turns(cloud_turns(route, turns)),
                         next_n=next_source_number(turns), strictness=config.strictness,
                         max_answer_tokens=config.max_answer_tokens)  # fmt: skip
    left_out = {"injection": len(hits) - len(shown)} if len(hits) > len(shown) else {}
    try:
        body, redactions = backend.capture(built.messages, max_tokens=built.answer_budget,
                                           temperature=config.temperature)  # fmt: skip
    except EgressBlocked as exc:
        return CloudPreview(**head, would_send=False, reason=str(exc), left_out=left_out)
    if not body:
        raise UserError("The request body could not be captured.")
    text = body.decode("utf-8", errors="replace")
    spans = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
    return CloudPreview(**head, would_send=True, body=body, redactions=redactions,
                        placeholder_spans=spans, sources=built.turn_sources, left_out=left_out)  # fmt: skip
