"""The Engine's cloud methods (a mixin): routing, the dry-run preview, keys, models,
connection tests and costs. The logic lives in core/chat/routing.py and core/llm/cloud/.

Importing this module is light: the SDKs, Presidio and the vault load at first use.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from core.errors import UserError

if TYPE_CHECKING:
    from core.chat.preview import CloudPreview
    from core.chat.routing import Choice, CloudRoute
    from core.chat.store import ConversationStore
    from core.index.types import SearchHit, SearchMode
    from core.ingest.catalog import Catalog
    from core.llm.cloud.keys import KeyStatus
    from core.llm.cloud.ledger import CallRecord, CostSum
    from core.llm.cloud.service import CloudService, ConnectionReport, ModelInfo
    from core.llm.cloud.settings import CloudSettings
    from core.settings import Settings

class EngineParts(Protocol):
    """What the mixin uses of the Engine."""

    home: Path
    settings: Settings
    catalog: Catalog
    _open_lock: threading.Lock

    @property
    def chats(self) -> ConversationStore: ...

    def search(self, query: str, *, collections: list[str] | None = None, k: int = 10,
               mode: SearchMode = "hybrid", paths: list[str] | None = None,
               ) -> list[SearchHit]: ...  # fmt: skip

    def _cloud(self) -> CloudService: ...

    def cloud_route(self, backend: str = "auto") -> CloudRoute | None: ...


class CloudFacade:
    """Mixed into Engine: every cloud feature the window and the CLI reach."""

    def _cloud(self: EngineParts) -> CloudService:
        from core.llm.cloud.service import CloudService

        with self._open_lock:
            service: CloudService | None = getattr(self, "_cloud_service", None)
            if service is None:
                service = CloudService(self.home, lambda: self.settings.cloud,
                                       lambda: self.settings.guard)  # fmt: skip
                setattr(self, "_cloud_service", service)  # noqa: B010  (the Engine's slot)
            return service

    def cloud_settings(self: EngineParts) -> CloudSettings:
        """Mode, provider, model, base URL, prices; change them with
        update_settings({"cloud": {...}})."""
        return self.settings.cloud

    def cloud_route(self: EngineParts, backend: str = "auto") -> CloudRoute | None:
        """How Engine.ask may reach the cloud for one question; None: local only."""
        from core.chat.routing import CHOICES, CloudRoute

        if backend not in CHOICES:
            raise UserError(f"backend must be one of {', '.join(CHOICES)}, not {backend!r}.")
        mode = self.settings.cloud.mode
        if backend == "local" or (backend == "auto" and mode == "local"):
            return None
        sensitivity = {c.name: c.sensitivity for c in self.catalog.collections()}
        secret = frozenset(n for n, s in sensitivity.items() if s == "confidential")
        paths = frozenset(d.path for name in secret for d in self.catalog.documents(name))
        service = self._cloud()
        return CloudRoute(
            choice=cast("Choice", backend), mode=mode,
            open_cloud=lambda conversation, collections: service.backend(
                conversation, [sensitivity.get(c, "internal") for c in collections]),  # type: ignore[misc]
            confidential_collections=secret, confidential_paths=paths,
        )  # fmt: skip

    def cloud_preview(self: EngineParts, question: str, *, conversation_id: str | None = None,
                      collections: list[str] | None = None) -> CloudPreview:  # fmt: skip
        """What asking this question of the cloud model would send (body and redactions),
        without sending anything or saving any state."""
        from core.chat.preview import preview_request

        route = self.cloud_route("cloud")
        assert route is not None  # "cloud" always has a route
        return preview_request(self, self._cloud(), route, question, conversation_id, collections)

    # -- keys ---------------------------------------------------------------------------
    def cloud_keys(self: EngineParts) -> list[KeyStatus]:
        """Which providers have a key and where from (keyring | env); never the key."""
        return self._cloud().key_status()

    def set_cloud_key(self: EngineParts, provider: str, key: str) -> None:
        self._cloud().set_key(provider, key)

    def delete_cloud_key(self: EngineParts, provider: str) -> bool:
        return self._cloud().delete_key(provider)

    # -- models, connection, costs -----------------------------------------------------------
    def cloud_providers(self: EngineParts) -> list[dict[str, str]]:
        from core.llm.cloud.catalog import ENV_KEYS, LABELS, PROVIDERS, default_model

        return [{"provider": p, "label": LABELS[p], "default_model": default_model(p),
                 "env": ENV_KEYS[p]} for p in PROVIDERS]  # fmt: skip

    def cloud_models(self: EngineParts, provider: str | None = None) -> list[ModelInfo]:
        """Listed models with context window and price ($ per million tokens in/out)."""
        return self._cloud().models(provider)

    def test_connection(self: EngineParts, provider: str | None = None) -> ConnectionReport:
        """Ask the provider for its model list with the stored key (no conversation text)."""
        return self._cloud().test_connection(provider)

    def cloud_costs(self: EngineParts, by: str = "conversation") -> list[CostSum]:
        """Calls, tokens and dollars per "conversation" or per "month"."""
        return self._cloud().cost_sums(by)

    def cloud_calls(self: EngineParts) -> dict[int, CallRecord]:
        """Usage, cost and outcome of each cloud request, by egress log id."""
        return self._cloud().calls()
