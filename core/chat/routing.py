"""Which model answers: the local one, the cloud one, or one after the other.

`cloud.mode` (or the per-question `backend`) decides the order:
  local     the local model only (the default)
  fallback  the local model; the cloud one when no local model is usable, the local one
            fails, or the sources do not fit its context
  cloud     the cloud model; the local one when the cloud call fails
A question whose sources (or earlier turns) come from a confidential collection never
goes to the cloud; passages flagged as injections are left out of a cloud prompt. Every
cloud request goes through GuardedCloudBackend (vault, egress log, restore).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from core.chat.prompt import BuiltPrompt
from core.chat.store import Turn
from core.errors import LLMError, NotFound, UserError
from core.index.types import SearchHit
from core.jobs import CancelToken
from core.llm.backend import Generation, LLMBackend, TokenCallback
from core.llm.registry import LLMRegistry

Choice = Literal["auto", "local", "cloud"]
CHOICES = ("auto", "local", "cloud")
BROKE_OFF_NOTICE = "\n\n[The cloud answer broke off; the local model answers instead.]\n\n"
CONFIDENTIAL = ("This question uses a confidential collection, which is never sent to a "
                "cloud model.")  # fmt: skip
# prompt(llm, hits, turns) -> the prompt for that model
PromptFor = Callable[[LLMBackend, Sequence[SearchHit], Sequence[Turn]], BuiltPrompt]


@dataclass
class CloudRoute:
    """What the Engine hands the answer path so it can reach the cloud."""

    choice: Choice
    mode: str  # cloud.mode
    # (conversation id, collections of the passages) -> GuardedCloudBackend
    open_cloud: Callable[[str, list[str]], Any]
    confidential_collections: frozenset[str] = frozenset()
    confidential_paths: frozenset[str] = frozenset()

    @property
    def allowed(self) -> bool:
        return self.choice == "cloud" or (self.choice == "auto" and self.mode != "local")

    @property
    def cloud_first(self) -> bool:
        return self.choice == "cloud" or (self.choice == "auto" and self.mode == "cloud")


@dataclass
class RouteInfo:
    """How the answer was made; goes into the answer's metadata."""

    route: str = "local"  # local | cloud
    provider: str | None = None
    model: str | None = None
    egress_id: int | None = None
    redactions: dict[str, int] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    cost_usd: float | None = None
    fallback_reason: str | None = None  # why the cloud was not used, or why it was
    cloud_error: str | None = None  # reason code of a failed cloud call

    def to_json(self) -> dict[str, Any]:
        """The keys an answer's JSON gains (its "backend" is `route`)."""
        return {"provider": self.provider, "egress_id": self.egress_id,
                "redactions": self.redactions, "usage": self.usage,
                "cost": None if self.cost_usd is None else round(self.cost_usd, 6),
                "fallback_reason": self.fallback_reason, "cloud_error": self.cloud_error}  # fmt: skip


@dataclass
class Routed:
    llm: LLMBackend
    built: BuiltPrompt
    generation: Generation
    info: RouteInfo


def route_answer(
    route: CloudRoute | None,
    llms: LLMRegistry,
    model: str | None,
    prompt: PromptFor,
    hits: Sequence[SearchHit],
    turns: Sequence[Turn],
    *,
    conversation_id: str,
    temperature: float,
    on_token: TokenCallback | None,
    cancel: CancelToken | None,
) -> Routed:
    def local(reason: str | None = None, code: str | None = None) -> Routed:
        llm = llms.get(model)
        return generate(llm, prompt(llm, hits, turns), temperature, on_token, cancel,
                        RouteInfo(fallback_reason=reason, cloud_error=code))  # fmt: skip

    def cloud(reason: str | None = None) -> Routed:
        assert route is not None
        return ask_cloud(route, prompt, hits, turns, conversation_id, temperature, on_token,
                         cancel, reason)  # fmt: skip

    if route is None or not route.allowed:
        return local()
    refusal = confidential_reason(route, hits)
    if route.cloud_first:
        if refusal:
            return local_or_explain(local, refusal)
        try:
            return cloud()
        except CloudFailed as failed:
            return local_after(local, failed, on_token)
    try:
        return local_first(llms, model, prompt, hits, turns, refusal, local, cloud, temperature,
                           on_token, cancel)  # fmt: skip
    except CloudFailed as failed:  # the local model could not answer and the cloud failed
        raise LLMError(f"{failed.local_reason} The cloud call failed too: {failed.error}") from failed


def local_first(llms: LLMRegistry, model: str | None, prompt: PromptFor,
                hits: Sequence[SearchHit], turns: Sequence[Turn], refusal: str | None,
                local: Callable[..., Routed], cloud: Callable[..., Routed], temperature: float,
                on_token: TokenCallback | None, cancel: CancelToken | None) -> Routed:  # fmt: skip
    """cloud.mode = fallback: the cloud only when the local model cannot answer well."""
    try:
        llm = llms.get(model)
        built = prompt(llm, hits, turns)
    except (LLMError, NotFound) as exc:
        if refusal:
            raise LLMError(f"{exc} The cloud model was not asked either: {refusal}") from exc
        return with_reason(cloud, f"No local model is usable: {exc}")
    if built.skipped_sources and not refusal:
        reason = (f"{built.skipped_sources} of the sources do not fit the local model's "
                  f"context of {llm.context_window} tokens.")  # fmt: skip
        try:
            return cloud(reason)
        except CloudFailed as failed:
            info = RouteInfo(fallback_reason=f"{reason} The cloud call failed: {failed.error}",
                             cloud_error=failed.code)  # fmt: skip
            return generate(llm, built, temperature, on_token, cancel, info)
    try:
        return generate(llm, built, temperature, on_token, cancel, RouteInfo())
    except LLMError as exc:
        if refusal:
            raise
        return with_reason(cloud, f"The local model failed: {exc}")


def with_reason(cloud: Callable[..., Routed], reason: str) -> Routed:
    try:
        return cloud(reason)
    except CloudFailed as failed:
        failed.local_reason = reason
        raise


class CloudFailed(Exception):
    def __init__(self, error: UserError, code: str, partial: str = "") -> None:
        super().__init__(str(error))
        self.error, self.code, self.partial = error, code, partial
        self.local_reason = ""


def ask_cloud(route: CloudRoute, prompt: PromptFor, hits: Sequence[SearchHit],
              turns: Sequence[Turn], conversation_id: str, temperature: float,
              on_token: TokenCallback | None, cancel: CancelToken | None,
              reason: str | None) -> Routed:  # fmt: skip
    """The cloud answer; raises CloudFailed (with the typed error) when it cannot be had."""
    from core.guard.policy import EgressBlocked
    from core.llm.cloud.errors import CloudError, StreamBroken

    try:
        backend = route.open_cloud(conversation_id, sorted({h.collection for h in hits}))
        built = prompt(backend, cloud_hits(hits), cloud_turns(route, turns))
        generation = backend.generate(built.messages, max_tokens=built.answer_budget,
                                      temperature=temperature, on_token=on_token, cancel=cancel)  # fmt: skip
    except StreamBroken as exc:
        raise CloudFailed(exc, exc.reason, exc.partial) from exc
    except CloudError as exc:
        raise CloudFailed(exc, exc.reason) from exc
    except EgressBlocked as exc:
        raise CloudFailed(exc, "blocked") from exc
    except UserError as exc:  # no keyring, unknown provider...
        raise CloudFailed(exc, "unavailable") from exc
    call = backend.last_call
    info = RouteInfo(route="cloud", provider=backend.backend, model=backend.name,
                     egress_id=call.egress_id, redactions=dict(call.redactions),
                     usage=call.usage.to_json() if call.usage else None,
                     cost_usd=call.cost_usd, fallback_reason=reason)  # fmt: skip
    return Routed(backend, built, generation, info)


def local_after(local: Callable[..., Routed], failed: CloudFailed,
                on_token: TokenCallback | None) -> Routed:  # fmt: skip
    """The cloud failed: the local model answers, and says why in the metadata."""
    if failed.partial and on_token is not None:
        on_token(BROKE_OFF_NOTICE)
    reason = f"The cloud call failed: {failed.error}"
    try:
        return local(reason, failed.code)
    except (LLMError, NotFound) as exc:
        if not failed.partial:
            raise LLMError(f"{reason} The local model could not answer either: {exc}") from exc
        raise LLMError(f"{reason} The local model could not answer either: {exc} The partial "
                       "cloud answer was not kept.") from exc  # fmt: skip


def local_or_explain(local: Callable[..., Routed], refusal: str) -> Routed:
    try:
        return local(refusal, "confidential")
    except (LLMError, NotFound) as exc:
        raise LLMError(f"{refusal} The local model could not answer: {exc}") from exc


def generate(llm: LLMBackend, built: BuiltPrompt, temperature: float,
             on_token: TokenCallback | None, cancel: CancelToken | None,
             info: RouteInfo) -> Routed:  # fmt: skip
    generation = llm.generate(built.messages, max_tokens=built.answer_budget,
                              temperature=temperature, on_token=on_token, cancel=cancel)  # fmt: skip
    return Routed(llm, built, generation, info)


# -- what may go to the cloud ---------------------------------------------------------
def is_confidential(route: CloudRoute, collection: str | None, path: str) -> bool:
    return collection in route.confidential_collections or path in route.confidential_paths


def confidential_reason(route: CloudRoute, hits: Sequence[SearchHit]) -> str | None:
    if any(is_confidential(route, h.collection, h.path) for h in hits):
        return CONFIDENTIAL
    return None


def cloud_hits(hits: Sequence[SearchHit]) -> list[SearchHit]:
    """Passages flagged as injections are left out of what a cloud model reads."""
    return [h for h in hits if "injection" not in h.flags]


def cloud_turns(route: CloudRoute, turns: Sequence[Turn]) -> list[Turn]:
    """Earlier turns up to the first one that showed a confidential or flagged passage:
    its answer (and every later one) may repeat that passage."""
    kept: list[Turn] = []
    for turn in turns:
        shown = turn.new_sources
        if any(is_confidential(route, None, s.path) or "injection" in s.flags for s in shown):
            break
        kept.append(turn)
    return kept
