"""'Get a model' in the settings: the catalog with verdicts, and a download from a real HTTP
server on 127.0.0.1 (serving the bundled SmolLM2 GGUF) that then appears among the local
models; a wrong hash never does."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine import Engine
from core.llm import catalog
from core.llm.models import bundled_model_path
from tests.fakes import FakeEmbedder

pytestmark = pytest.mark.gui


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    folder = tmp_path / "served"
    folder.mkdir()
    data = bundled_model_path().read_bytes()
    (folder / "tiny.gguf").write_bytes(data)
    handler = functools.partial(Quiet, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/tiny.gguf", hashlib.sha256(data).hexdigest()
    httpd.shutdown()
    httpd.server_close()


def one_entry_catalog(monkeypatch: pytest.MonkeyPatch, url: str, sha256: str) -> None:
    entry = dataclasses.replace(catalog.load_catalog()[0], name="tiny-smollm2", url=url,
                                title="Tiny SmolLM2", sha256=sha256)  # fmt: skip
    monkeypatch.setattr(catalog, "load_catalog", lambda *a, **k: [entry])


@pytest.mark.parametrize("right_hash", [True, False])
def test_a_catalog_model_downloads_and_becomes_a_local_model(  # type: ignore[no-untyped-def]
    qtbot, home: Path, served: tuple[str, str], monkeypatch: pytest.MonkeyPatch, shot,
    right_hash: bool,
) -> None:
    from desktop.model_catalog import ModelCatalogDialog
    from desktop.ops import Ops

    url, sha256 = served
    one_entry_catalog(monkeypatch, url, sha256 if right_hash else "0" * 64)
    engine = Engine(home, embedder=FakeEmbedder())
    ops = Ops(engine)
    dialog = ModelCatalogDialog(ops)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.topLevelItemCount() == 1, timeout=10_000)
    assert dialog.table.topLevelItem(0).text(0) == "Tiny SmolLM2"
    dialog.table.setCurrentItem(dialog.table.topLevelItem(0))
    dialog.download_selected()
    qtbot.waitUntil(lambda: dialog._op is None, timeout=60_000)
    names = [m.name for m in engine.models()]
    if right_hash:
        assert "tiny-smollm2" in names, dialog.status.text()
        assert "ready" in dialog.status.text()
        qtbot.waitUntil(lambda: "installed" in dialog.table.topLevelItem(0).text(0), timeout=10_000)
        shot(dialog, "settings-get-a-model", settle_ms=100)
    else:
        assert "tiny-smollm2" not in names
        assert "SHA-256" in dialog.status.text() or "hash" in dialog.status.text().lower()
    ops.shutdown()
    engine.close()
