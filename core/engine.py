"""Engine: the one façade the CLI and the GUI use (collections, ingest, search, ...)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.chat.cloud import CloudFacade
from core.errors import Cancelled, NotFound, UserError
from core.index.types import SearchHit, SearchMode
from core.ingest.catalog import INDEXED, Catalog, CollectionRecord, DocumentRecord
from core.ingest.report import IngestReport
from core.jobs import CancelToken, ProgressCallback
from core.paths import resolve_home
from core.settings import Settings

PENDING_INGESTS_KEY = "pending_ingests"  # catalog meta: ingests to resume at the next start
GUARD_TAGS_KEY = "guard_tags"  # catalog meta: the guard fingerprint all chunks were flagged by
RESCAN_BATCH = 1024
BLOCKED_QUESTION = (
    "This question was not answered: the guard read it as a prompt injection ({reasons}), "
    'and the setting guard.injection_action is "block".'
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from core.chat.result import AnswerResult
    from core.chat.store import Conversation, ConversationStore, Turn
    from core.guard.egress import EgressLog, EgressRecord, VerifyResult
    from core.guard.injection import InjectionResult
    from core.guard.scan import GuardScan, GuardScanner, GuardStatus
    from core.index.embedder import Embedder
    from core.index.search import SearchTimings
    from core.index.store import ChunkStore
    from core.ingest.pipeline import ChunkTagger, Ingestor, Loader
    from core.ingest.watch import FolderWatcher, SyncListener
    from core.llm.backend import TokenCallback
    from core.llm.catalog import Verdict
    from core.llm.download import DownloadResult
    from core.llm.models import ModelEntry, ModelManager
    from core.llm.registry import LLMRegistry

DEFAULT_COLLECTION = "default"
SENSITIVITIES = ("public", "internal", "confidential")


class Engine(CloudFacade):
    """Owns the data directory. Thread-safe: many readers, one writer at a time."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        *,
        embedder: Embedder | None = None,
        loader: Loader | None = None,
        tagger: ChunkTagger | None = None,
    ) -> None:
        self.home = resolve_home(home)
        self.settings = Settings.load(self.home)
        self.catalog = Catalog(self.home / "catalog.sqlite3")
        self.index_dir = self.home / "index"
        self._embedder = embedder
        self._loader = loader
        self._tagger = tagger
        self._store: ChunkStore | None = None
        self._llms: LLMRegistry | None = None
        self._chats: ConversationStore | None = None
        self._scanner: GuardScanner | None = None
        self._watcher: FolderWatcher | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.last_search_timings: SearchTimings | None = None
        # (model id, query) -> vector of the last query: an ask searches twice (hybrid, then
        # the nearest passage's cosine for abstention) and embeds the question once.
        self._last_query: tuple[tuple[str, str], np.ndarray] | None = None

    def close(self) -> None:
        self.stop_watching()
        self.catalog.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- components, loaded at first use -------------------------------------------
    @property
    def embedder(self) -> Embedder:
        with self._open_lock:
            if self._embedder is None:
                from core.index.embedder import load_embedder

                index = self.settings.index
                self._embedder = load_embedder(index.embed_model, index.embed_batch)
            return self._embedder

    @property
    def store(self) -> ChunkStore:
        embedder = self.embedder
        with self._open_lock:
            if self._store is None:
                from core.index.store import ChunkStore

                self._store = ChunkStore(
                    self.index_dir,
                    embedder.model_id,
                    embedder.dim,
                    self.settings.index.ann_threshold,
                )
                self._recover(self._store)
            return self._store

    @property
    def llms(self) -> LLMRegistry:
        """The local language models, loaded once each, at first use."""
        with self._open_lock:
            if self._llms is None:
                from core.llm.registry import LLMRegistry

                self._llms = LLMRegistry(self.home, self.settings.llm)
            return self._llms

    @property
    def chats(self) -> ConversationStore:
        with self._open_lock:
            if self._chats is None:
                from core.chat.store import ConversationStore

                self._chats = ConversationStore.in_home(self.home)
            return self._chats

    def _models(self) -> ModelManager:
        from core.llm.models import ModelManager

        return ModelManager(self.home)

    def warm_up(self, progress: ProgressCallback | None = None) -> None:
        """Load the embedding model, open the index and load the guard's detectors, so the
        first search or question does not wait for them (the window calls this at start)."""
        from core.jobs import ProgressMeter

        meter = ProgressMeter(progress, "Loading the embedding model", 3, unit="steps")
        meter.emit()
        prepare = getattr(self.embedder, "prepare", None)
        if prepare is not None:  # an ONNX model is exported at its first use: say so
            prepare(progress)
        _ = self.store
        meter.advance(label="Loading the guard")
        if self.settings.guard.enabled and self.settings.guard.detect_injection:
            from core.guard import injection_detector

            injection_detector(self.settings.guard.injection_threshold).prepare()
        meter.advance(label="Ready")
        meter.advance()

    def _recover(self, store: ChunkStore) -> None:
        """Drop what a killed ingest half-wrote; committed versions stay untouched."""
        leftovers = self.catalog.interrupted()
        if leftovers:
            store.delete_versions(leftovers)
            self.catalog.clear_interrupted(leftovers)

    def _ingestor(self) -> Ingestor:
        from core.ingest.pipeline import Ingestor, default_loader

        return Ingestor(
            self.catalog,
            self.store,
            self.embedder,
            self.settings,
            loader=self._loader or default_loader,
            tagger=self._tagger or self._guard_tags,
        )

    def _guard_tags(
        self, texts: list[str], vectors: np.ndarray, kinds: list[str]
    ) -> list[tuple[str, ...]]:
        """The guard's flags per chunk (injection, PII and secret types), stored at ingest."""
        from core.guard import scan_chunks
        from core.settings import DEFAULT_EMBED_MODEL

        # The injection scorer was trained on MiniLM vectors; other models' vectors won't do.
        reusable = vectors if self.embedder.model_id == DEFAULT_EMBED_MODEL else None
        flags = scan_chunks(texts, reusable, self.settings.guard, kinds)
        return [f.as_tags() for f in flags]

    def _tags_fingerprint(self) -> str:
        from core.guard import tags_fingerprint

        return tags_fingerprint(self.settings.guard)

    def guard_flags_stale(self) -> bool:
        """True when stored chunks were flagged by another version of the guard (its weights,
        rules or settings): run rescan_guard_flags to bring them up to date."""
        # The catalog answers without opening the store, which would load the embedding model.
        if not self.catalog.has_chunks():
            return False
        return self.catalog.meta(GUARD_TAGS_KEY) != self._tags_fingerprint()

    def rescan_guard_flags(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> int:
        """Flag every stored chunk again with the current guard, reusing its stored text and
        vector (no re-parse, no re-embed). Returns how many chunks' flags changed."""
        from core.index.store import FTS_COLUMN
        from core.jobs import ProgressMeter

        tagger = self._tagger or self._guard_tags
        with self._write_lock:
            fingerprint = self._tags_fingerprint()
            meter = ProgressMeter(progress, "rescanning", self.store.count(), unit="chunks")
            changed: dict[str, str] = {}
            columns = ["chunk_id", "path", FTS_COLUMN, "vector", "flags"]
            for batch in self.store.iter_rows(columns, RESCAN_BATCH):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                changed |= _changed_flags(batch, tagger)
                meter.advance(batch.num_rows)
            self.store.set_flags(changed)
            self.catalog.set_meta(GUARD_TAGS_KEY, fingerprint)
        return len(changed)

    # -- collections -----------------------------------------------------------------
    def collections(self) -> list[CollectionRecord]:
        return self.catalog.collections()

    def set_sensitivity(self, collection: str, sensitivity: str) -> None:
        """public | internal | confidential (a confidential collection never goes to a cloud model)."""
        if sensitivity not in SENSITIVITIES:
            raise UserError(f"Sensitivity must be one of {', '.join(SENSITIVITIES)}.")
        self._existing_collection(collection)
        self.catalog.set_sensitivity(collection, sensitivity)

    def create_collection(self, name: str, sensitivity: str = "internal") -> CollectionRecord:
        name = name.strip()
        if self.catalog.collection(name) is not None:
            raise UserError(f"A collection named {name!r} exists already.")
        with self._write_lock:
            self._collection(name)
        self.set_sensitivity(name, sensitivity)
        return self._existing_collection(name)

    def rename_collection(self, old: str, new: str) -> CollectionRecord:
        """Rename a collection; its documents, chunks and watched folders move with it."""
        new = new.strip()
        self._existing_collection(old)
        if not new:
            raise UserError("A collection needs a name.")
        if self.catalog.collection(new) is not None:
            raise UserError(f"A collection named {new!r} exists already.")
        with self._write_lock:
            self.store.rename_collection(old, new)
            self.catalog.rename_collection(old, new)
        return self._existing_collection(new)

    def delete_collection(self, name: str) -> int:
        """Forget a collection and every document in it; returns the documents removed."""
        self._existing_collection(name)
        doc_ids = [r.doc_id for r in self.catalog.documents(name)]
        with self._write_lock:
            if doc_ids:
                self._ingestor().remove_documents(doc_ids)
                self.store.refresh_indexes()
            self.catalog.delete_collection(name)
        return len(doc_ids)

    def _existing_collection(self, name: str) -> CollectionRecord:
        record = self.catalog.collection(name)
        if record is None:
            raise NotFound(f"There is no collection named {name!r}.")
        return record

    def _collection(self, name: str, progress: ProgressCallback | None = None) -> CollectionRecord:
        if not name.strip():
            raise UserError("A collection needs a name.")
        record = self.catalog.ensure_collection(name, self.embedder.model_id)
        if record.embed_model != self.embedder.model_id:  # once, after a model change
            self.reembed(name, progress)
        return record

    # -- ingest ------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | os.PathLike[str]],
        collection: str = DEFAULT_COLLECTION,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> IngestReport:
        files = [Path(p) for p in paths]
        with self._write_lock:
            self._collection(collection, progress)
            job = self._remember_ingest(collection, files)
            empty_before = self.store.count() == 0
            try:
                report = self._ingestor().run(files, collection, progress, cancel)
            except Cancelled:
                raise  # stays pending: resumed at the next start unless forgotten
            except BaseException as exc:
                if not isinstance(exc, KeyboardInterrupt):
                    self._forget_ingest(job)
                raise
            self._forget_ingest(job)
            if empty_before:  # every chunk now carries the current guard's flags
                self.catalog.set_meta(GUARD_TAGS_KEY, self._tags_fingerprint())
            return report

    def pending_ingests(self) -> list[tuple[str, list[str]]]:
        """(collection, paths) of ingests that were cancelled or killed before they ended:
        the window resumes them at start. Files already indexed are skipped when resumed."""
        return [(job["collection"], job["paths"]) for job in self._pending_jobs()]

    def forget_pending_ingest(self, collection: str, paths: Iterable[str | os.PathLike[str]]) -> None:
        """A person cancelled this ingest on purpose: do not resume it."""
        with self._write_lock:
            self._forget_ingest({"collection": collection, "paths": _path_strings(paths)})

    def _pending_jobs(self) -> list[dict[str, Any]]:
        raw = self.catalog.meta(PENDING_INGESTS_KEY)
        return list(json.loads(raw)) if raw else []

    def _remember_ingest(self, collection: str, files: list[Path]) -> dict[str, Any]:
        job = {"collection": collection, "paths": _path_strings(files)}
        jobs = self._pending_jobs()
        if job not in jobs:
            self.catalog.set_meta(PENDING_INGESTS_KEY, json.dumps([*jobs, job]))
        return job

    def _forget_ingest(self, job: dict[str, Any]) -> None:
        jobs = [j for j in self._pending_jobs() if j != job]
        self.catalog.set_meta(PENDING_INGESTS_KEY, json.dumps(jobs))

    def remove(self, paths: Iterable[str | os.PathLike[str]]) -> int:
        """Forget documents (a folder removes everything under it). Returns the count."""
        doc_ids: list[str] = []
        for raw in paths:
            path = str(Path(raw).expanduser().resolve())
            records = self.catalog.documents(under=path)
            if not records:
                raise NotFound(f"{raw} is not in the index.")
            doc_ids += [r.doc_id for r in records]
        with self._write_lock:
            self._ingestor().remove_documents(doc_ids)
            self.store.refresh_indexes()
        return len(doc_ids)

    def documents(self, collection: str | None = None) -> list[DocumentRecord]:
        return self.catalog.documents(collection)

    def reindex(
        self,
        paths: Iterable[str | os.PathLike[str]],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, IngestReport]:
        """Read documents again even if unchanged (after an OCR install or a loader fix).
        Returns a report per collection."""
        by_collection: dict[str, list[str]] = {}
        for raw in paths:
            path = str(Path(raw).expanduser().resolve())
            records = self.catalog.documents(under=path)
            if not records:
                raise NotFound(f"{raw} is not in the index.")
            for record in records:
                by_collection.setdefault(record.collection, []).append(record.path)
        with self._write_lock:
            for files in by_collection.values():
                self.catalog.forget_file_state(files)
        return {
            collection: self.ingest(files, collection, progress, cancel)
            for collection, files in by_collection.items()
        }

    # -- watched folders ---------------------------------------------------------------
    def watch(self, folder: str | os.PathLike[str], collection: str = DEFAULT_COLLECTION) -> Path:
        path = Path(folder).expanduser().resolve()
        if not path.is_dir():
            raise NotFound(f"{folder} is not a folder.")
        with self._write_lock:
            self._collection(collection)
        self.catalog.add_watch(collection, str(path))
        if self._watcher is not None:
            self._watcher.add(collection, str(path))
        return path

    def unwatch(self, folder: str | os.PathLike[str], collection: str = DEFAULT_COLLECTION) -> None:
        path = str(Path(folder).expanduser().resolve())
        self.catalog.remove_watch(collection, path)
        if self._watcher is not None:
            self._watcher.remove(collection, path)

    def start_watching(self, on_sync: SyncListener | None = None) -> None:
        """Pick up changes in watched folders while the app runs; `on_sync(collection, folder,
        report)` is called from the watcher's thread after each sync."""
        from core.ingest.watch import FolderWatcher

        if self._watcher is None:
            watcher = self._watcher = FolderWatcher(self, on_sync=on_sync)
            watcher.start()  # a stop_watching() from another thread may already have run

    def stop_watching(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def watches(self) -> list[tuple[str, str]]:
        """(collection, folder) pairs."""
        return self.catalog.watches()

    def sync_watched(
        self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> dict[str, IngestReport]:
        """Catch up with changes made while Enclave was not running (call at start-up)."""
        reports = {}
        for collection, folder in self.watches():
            if Path(folder).is_dir():
                reports[folder] = self.ingest([folder], collection, progress, cancel)
        return reports

    # -- search ------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        collections: list[str] | None = None,
        k: int = 10,
        mode: SearchMode = "hybrid",
        paths: list[str] | None = None,
    ) -> list[SearchHit]:
        from core.index.search import SearchTimings, build_filter, search_store

        if mode not in ("hybrid", "vector", "keyword"):
            raise UserError(f"Unknown search mode {mode!r}: use hybrid, vector or keyword.")
        if not query.strip():
            raise UserError("The search query is empty.")
        for name in collections or []:
            if self.catalog.collection(name) is None:
                raise NotFound(f"There is no collection named {name!r}.")
        started = time.perf_counter()
        vector = self._query_vector(query) if mode != "keyword" else None
        embedded = time.perf_counter()
        hits = search_store(
            self.store,
            query,
            vector,
            k=max(1, k),
            mode=mode,
            where=build_filter(collections, paths),
            rrf_k=self.settings.index.rrf_k,
        )
        done = time.perf_counter()
        self.last_search_timings = SearchTimings(
            (embedded - started) * 1e3, (done - embedded) * 1e3
        )
        return hits

    def _query_vector(self, query: str) -> np.ndarray:
        embedder = self.embedder
        key = (embedder.model_id, query)
        last = self._last_query
        if last is not None and last[0] == key:
            return last[1]
        vector = embedder.embed([query])[0]
        self._last_query = (key, vector)
        return vector

    def chunks_of(self, path: str) -> list[SearchHit]:
        """Every chunk of one document, in reading order."""
        from core.index.search import to_hit

        records = [r for r in self.catalog.documents_by_path(path) if r.status == INDEXED]
        if not records:
            raise NotFound(f"{path} is not indexed.")
        table = self.store.rows_of(records[0].doc_id, records[0].version)
        return [to_hit(row, 0.0) for row in table.to_pylist()]

    # -- answers ---------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        conversation_id: str | None = None,
        collections: list[str] | None = None,
        model: str | None = None,
        on_token: TokenCallback | None = None,
        cancel: CancelToken | None = None,
        backend: str = "auto",
    ) -> AnswerResult:
        """Answer from the indexed documents, with citations, a grounding check and an
        injection check of the question (retrieved chunks carry their flags from ingest).
        With the guard's injection_action = "block", a flagged question gets no answer.
        backend: "auto" (cloud.mode decides), "local", or "cloud" (this question goes to the
        cloud model through the guard; the local one answers when that fails)."""
        from core.chat.answer import ask
        from core.guard.grounding import check_grounding

        check = self.check_question(question)
        blocked = None
        if check and check.flagged and self.settings.guard.injection_action == "block":
            blocked = BLOCKED_QUESTION.format(reasons=", ".join(check.reasons))
        result = ask(
            self, self.llms, self.settings, question, conversation_id=conversation_id,
            collections=collections, model=model, on_token=on_token, cancel=cancel,
            blocked_reason=blocked, route=None if blocked else self.cloud_route(backend),
        )  # fmt: skip
        result.question_injection = check
        if not result.abstained and result.sources and result.attribution is None:
            passages = {source.n: source.text for source in result.sources}
            verdicts = check_grounding(result.answer, passages, self.embedder)
            result.unsupported = [v for v in verdicts if not v.supported]
        return result

    def check_question(self, question: str) -> InjectionResult | None:
        """The guard's injection check of a typed question; None when the check is off."""
        from core.guard import injection_detector

        guard = self.settings.guard
        if not (guard.enabled and guard.detect_injection):
            return None
        return injection_detector(guard.injection_threshold).score_prompts([question])[0]

    # -- conversations ---------------------------------------------------------------------
    def conversations(self) -> list[Conversation]:
        return self.chats.list_conversations()

    def new_conversation(self, title: str = "New chat") -> Conversation:
        return self.chats.create(title)

    def turns(self, conversation_id: str) -> list[Turn]:
        return self.chats.turns(conversation_id)

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        self.chats.rename(conversation_id, title)

    def delete_conversation(self, conversation_id: str) -> None:
        self.chats.delete(conversation_id)

    def export_conversation(self, conversation_id: str) -> str:
        """The conversation as Markdown, with the passages each answer cites."""
        from core.chat.export import export_markdown

        return export_markdown(self.chats, conversation_id)

    # -- local models -----------------------------------------------------------------------
    def models(self) -> list[ModelEntry]:
        return self._models().list()

    def selected_model(self) -> str:
        return self.settings.llm.model

    def import_model(self, path: str | os.PathLike[str], *, link: bool = False) -> ModelEntry:
        return self._models().import_file(Path(path), link=link)

    def remove_model(self, name: str) -> None:
        from core.llm.settings import DEFAULT_MODEL

        self._models().remove(name)
        if self._llms is not None:
            self._llms.unload(name)
        if self.settings.llm.model == name:
            self.update_settings({"llm": {"model": DEFAULT_MODEL}})

    def use_model(self, name: str) -> ModelEntry:
        entry = self._models().get(name)  # NotFound with the known names
        self.update_settings({"llm": {"model": name}})
        return entry

    def model_catalog(self) -> list[Verdict]:
        """The recommended models, each with a verdict for this machine: fits in RAM, fits on
        disk, expected speed class, already installed."""
        from core.llm.catalog import judge, load_catalog, this_machine

        models = self._models()
        installed = {entry.name for entry in models.list()}
        machine = this_machine(models.dir)
        return [judge(entry, machine, entry.name in installed) for entry in load_catalog()]

    def download_model(
        self,
        name_or_url: str,
        *,
        sha256: str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> DownloadResult:
        """Download a catalog model (by name) or any .gguf URL into the models folder.
        Resumes a stopped download; the file appears in models() only once its SHA-256 and
        GGUF header check out. Cancelling keeps the part for the next call to resume."""
        from core.llm.catalog import find_entry
        from core.llm.download import download, name_from_url

        if "://" in name_or_url:
            url, name, known = name_or_url, name_from_url(name_or_url), None
        else:
            entry = find_entry(name_or_url)
            url, name, known = entry.url, entry.name, entry.sha256
        return download(
            url, self._models().dir, name, sha256=sha256, catalog_sha256=known,
            progress=progress, cancel=cancel,
        )  # fmt: skip

    def discard_download(self, name: str) -> bool:
        """Delete the part file of a stopped download; True when there was one."""
        from core.llm.download import discard_partial

        return discard_partial(self._models().dir, name)

    # -- guard ----------------------------------------------------------------------------
    def guard_scan(self, text: str) -> GuardScan:
        """PII, secrets and prompt injection in a typed or pasted text."""
        from core.guard.scan import GuardScanner

        with self._open_lock:
            if self._scanner is None or self._scanner.settings != self.settings.guard:
                self._scanner = GuardScanner(self.settings.guard)
            scanner = self._scanner
        return scanner.scan(text)

    def guard_redact(self, text: str, conversation_id: str | None = None) -> tuple[str, str]:
        """`text` with PII and secrets replaced by placeholders kept in the conversation's
        vault; returns (redacted text, conversation id of the vault)."""
        from core.guard.policy import GuardPolicy
        from core.guard.vault import Vault

        settings = self.settings.guard.model_copy(update={"secrets_action": "redact"})
        vault = Vault.open(self.home, conversation_id)
        outbound = GuardPolicy(settings).prepare_outbound(text, vault)
        vault.save()
        return outbound.text, vault.conversation

    def guard_restore(self, text: str, conversation_id: str) -> str:
        from core.guard.vault import Vault

        vault = Vault.open(self.home, conversation_id)
        if not vault.placeholders:
            raise NotFound(f"No vault for conversation {conversation_id!r}.")
        return vault.restore(text)

    def guard_status(self) -> GuardStatus:
        from core.guard.scan import guard_status

        return guard_status(self.settings.guard, self.guard_flags_stale())

    # -- egress log -------------------------------------------------------------------------
    def _egress(self) -> EgressLog:
        from core.guard.egress import EgressLog

        return EgressLog(self.home)

    def egress_records(self, limit: int | None = None) -> list[EgressRecord]:
        """Everything that ever left the machine, newest last."""
        return self._egress().list(limit)

    def egress_record(self, record_id: int) -> EgressRecord:
        return self._egress().show(record_id)

    def egress_verify(self) -> VerifyResult:
        return self._egress().verify()

    # -- settings ---------------------------------------------------------------------------
    def update_settings(self, changes: dict[str, dict[str, object]]) -> Settings:
        """Validate and save changes such as {"guard": {"injection_action": "block"}}; they
        apply in place (models and detectors reload at their next use)."""
        updated = Settings.update_file(self.home, changes)
        with self._open_lock:
            self._apply_settings(updated)
        return updated

    def _apply_settings(self, updated: Settings) -> None:
        old = self.settings
        self.settings = updated
        if self._llms is not None and old.llm != updated.llm:
            self._llms = None  # reloads with the new context size, threads, model
        if old.index.embed_model != updated.index.embed_model and self._embedder is not None:
            self._embedder, self._store = None, None

    # -- model changes -------------------------------------------------------------------
    def reembed(self, collection: str, progress: ProgressCallback | None = None) -> int:
        """Move a collection to the current embedding model; returns chunks re-embedded."""
        from core.ingest.reembed import reembed_collection

        record = self.catalog.collection(collection)
        if record is None:
            raise NotFound(f"There is no collection named {collection!r}.")
        count = reembed_collection(
            record, catalog=self.catalog, index_dir=self.index_dir, store=self.store,
            embedder=self.embedder, progress=progress,
        )  # fmt: skip
        self.catalog.set_collection_model(collection, self.embedder.model_id)
        return count


def _path_strings(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    return [str(Path(p).expanduser().resolve()) for p in paths]


def _changed_flags(rows: pa.RecordBatch, tagger: ChunkTagger) -> dict[str, str]:
    """chunk_id -> new flags, for the rows whose stored flags the tagger now disagrees with."""
    import numpy as np

    from core.index.store import FTS_COLUMN
    from core.ingest.loaders import text_kind

    texts = rows[FTS_COLUMN].to_pylist()
    flat = rows["vector"].flatten().to_numpy(zero_copy_only=False)
    kinds = [text_kind(path) for path in rows["path"].to_pylist()]
    tags = tagger(texts, np.asarray(flat, np.float32).reshape(len(texts), -1), kinds)
    stored = zip(rows["chunk_id"].to_pylist(), rows["flags"].to_pylist(), tags, strict=True)
    return {cid: ",".join(new) for cid, old, new in stored if (old or "") != ",".join(new)}
