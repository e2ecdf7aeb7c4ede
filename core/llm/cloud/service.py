"""The cloud side of the Engine: clients, keys, the guarded backend, connection tests, costs.

The Engine keeps one CloudService and delegates to it; everything here is reachable
through Engine methods (the window and the CLI never import this module).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.llm.cloud import keys
from core.llm.cloud.base import ClientConfig, ProviderClient
from core.llm.cloud.catalog import (
    LABELS,
    MODELS,
    PROVIDERS,
    check_provider,
    context_window_of,
    default_model,
)
from core.llm.cloud.errors import CloudError, NoApiKey
from core.llm.cloud.settings import CloudSettings

if TYPE_CHECKING:
    from core.guard.policy import Sensitivity
    from core.guard.settings import GuardSettings
    from core.llm.cloud.guarded import GuardedCloudBackend
    from core.llm.cloud.ledger import CostSum

KEYLESS = ("openai-compatible",)  # a team's own server may take no key
_scanners: dict[str, CachedScanner] = {}
_scanners_lock = threading.Lock()


class CachedScanner:
    """A PII scanner that remembers its last findings per text: a conversation sends the
    same history and passages again with every turn, and Presidio takes ~30 ms a sentence."""

    SIZE = 4096

    def __init__(self, settings: GuardSettings) -> None:
        from core.guard.pii import PiiScanner

        self.settings = settings
        self.inner = PiiScanner(settings)
        self._seen: OrderedDict[str, list[Any]] = OrderedDict()
        self._lock = threading.Lock()

    def scan(self, text: str) -> list[Any]:
        with self._lock:
            if text in self._seen:
                self._seen.move_to_end(text)
                return list(self._seen[text])
        found = self.inner.scan(text)
        with self._lock:
            self._seen[text] = list(found)
            while len(self._seen) > self.SIZE:
                self._seen.popitem(last=False)
        return found


def shared_scanner(settings: GuardSettings) -> CachedScanner:
    """One PII scanner per guard settings for the process (Presidio takes seconds to build)."""
    key = settings.model_dump_json()
    with _scanners_lock:
        if key not in _scanners:
            _scanners[key] = CachedScanner(settings.model_copy(deep=True))
        return _scanners[key]


def client_class(provider: str) -> type[ProviderClient]:
    check_provider(provider)
    if provider == "anthropic":
        from core.llm.cloud.anthropic_api import AnthropicClient

        return AnthropicClient
    if provider == "gemini":
        from core.llm.cloud.gemini_api import GeminiClient

        return GeminiClient
    from core.llm.cloud.openai_api import CompatibleClient, OpenAIClient

    return OpenAIClient if provider == "openai" else CompatibleClient


@dataclass(frozen=True)
class ConnectionReport:
    provider: str
    ok: bool
    models: list[str] = field(default_factory=list)
    error: str = ""  # a sentence to show (never the key)
    reason: str = ""  # bad_key | quota | model_not_found | network | timeout | no_key ...
    key_source: str | None = None
    ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "ok": self.ok, "models": self.models,
                "error": self.error, "reason": self.reason, "key_source": self.key_source,
                "ms": round(self.ms, 1)}  # fmt: skip


@dataclass(frozen=True)
class ModelInfo:
    provider: str
    name: str
    context_window: int
    price_in: float | None  # $ per million tokens
    price_out: float | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class CloudService:
    def __init__(self, home: Path, settings: Callable[[], CloudSettings],
                 guard_settings: Callable[[], GuardSettings]) -> None:  # fmt: skip
        self.home = Path(home)
        self._settings = settings
        self._guard_settings = guard_settings
        # Overridable by tests: the provider client class and the PII scanner.
        self.client_class: Callable[[str], type[ProviderClient]] = client_class
        self.make_scanner: Callable[[GuardSettings], Any] = shared_scanner

    @property
    def settings(self) -> CloudSettings:
        return self._settings()

    # -- clients -------------------------------------------------------------------
    def client(self, provider: str | None = None, *, max_retries: int | None = None,
               model: str | None = None) -> ProviderClient:  # fmt: skip
        s = self.settings
        provider = check_provider(provider or s.provider)
        key, _source = keys.get_key(provider)
        if not key and provider not in KEYLESS:
            raise NoApiKey(f"No API key for {LABELS[provider]}: store one with `enclave keys set "
                           f"{provider}` or set {keys.ENV_KEYS[provider]}.")  # fmt: skip
        same = provider == s.provider
        config = ClientConfig(
            provider=provider, model=model or (s.model if same else "") or default_model(provider),
            base_url=s.base_url if same else "", api_key=key or "",
            timeout_s=s.timeout_s, max_retries=s.max_retries if max_retries is None else max_retries,
        )  # fmt: skip
        if not config.model:
            raise CloudError(f"No model is set for {LABELS[provider]}: set cloud.model.")
        return self.client_class(provider)(config)

    def backend(self, conversation_id: str | None,
                sensitivities: list[Sensitivity] | None = None,
                *, max_retries: int | None = None) -> GuardedCloudBackend:  # fmt: skip
        """The guarded cloud model for one conversation (its vault; None: a vault in memory
        only, for a dry run)."""
        from core.guard.egress import EgressLog
        from core.guard.vault import Vault
        from core.llm.cloud.guarded import CloudGuard, GuardedCloudBackend
        from core.llm.cloud.ledger import CloudLedger

        client = self.client(max_retries=max_retries)
        c = client.config
        vault = Vault.open(self.home, conversation_id) if conversation_id else Vault("dry-run")
        guard = CloudGuard(policy=self.policy(), vault=vault,
                           egress=EgressLog(self.home), ledger=CloudLedger(self.home),
                           sensitivities=list(sensitivities or []),
                           price=self.settings.price_of(c.provider, c.model))  # fmt: skip
        window = context_window_of(c.provider, c.model, self.settings.context_window)
        return GuardedCloudBackend(client, guard, window)

    def policy(self) -> Any:
        from core.guard.policy import GuardPolicy

        guard = self._guard_settings()
        return GuardPolicy(guard, self.make_scanner(guard))

    # -- keys ------------------------------------------------------------------------
    def set_key(self, provider: str, key: str) -> None:
        keys.set_key(provider, key)

    def delete_key(self, provider: str) -> bool:
        return keys.delete_key(provider)

    def key_status(self) -> list[keys.KeyStatus]:
        return keys.key_status()

    # -- models, connection, costs ---------------------------------------------------------
    def models(self, provider: str | None = None) -> list[ModelInfo]:
        wanted = [check_provider(provider)] if provider else list(PROVIDERS)
        s = self.settings
        out = []
        for p in wanted:
            names = list(MODELS[p])
            if p == s.provider and s.model and s.model not in names:
                names.append(s.model)
            for name in names:
                price = s.price_of(p, name)
                window = context_window_of(p, name, s.context_window if p == s.provider and
                                           name == s.model else 0)  # fmt: skip
                out.append(ModelInfo(p, name, window, price.input if price else None,
                                     price.output if price else None))  # fmt: skip
        return out

    def test_connection(self, provider: str | None = None) -> ConnectionReport:
        """List the provider's models with the stored key: no conversation text is sent."""
        provider = check_provider(provider or self.settings.provider)
        started = time.perf_counter()
        try:
            source = keys.get_key(provider)[1]
            names = self.client(provider, max_retries=0).list_models()
        except CloudError as exc:
            return ConnectionReport(provider, False, error=str(exc), reason=exc.reason,
                                    ms=(time.perf_counter() - started) * 1000)  # fmt: skip
        return ConnectionReport(provider, True, names, key_source=source,
                                ms=(time.perf_counter() - started) * 1000)  # fmt: skip

    def cost_sums(self, by: str) -> list[CostSum]:
        from core.llm.cloud.ledger import CloudLedger

        return CloudLedger(self.home).sums(by)

    def calls(self) -> dict[int, Any]:
        from core.llm.cloud.ledger import CloudLedger

        return CloudLedger(self.home).by_egress()
