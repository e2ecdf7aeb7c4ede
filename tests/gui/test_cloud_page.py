"""The settings dialog's cloud page against the OpenAI stand-in on 127.0.0.1: routing mode
and base URL saved to settings.toml, the key saved in the keyring (and nowhere on disk),
the connection test through the real openai SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from core.engine import Engine
from core.settings import Settings
from tests.fakes import FakeEmbedder, MemoryKeyring

pytestmark = pytest.mark.gui

KEY = "sk-test-0123456789abcdefCLOUDPAGE"


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_cloud_page_saves_mode_url_and_key_and_tests_the_connection(  # type: ignore[no-untyped-def]
    qtbot, home: Path, memory_keyring: MemoryKeyring, openai_server, shot
) -> None:
    from desktop.ops import Ops
    from desktop.settings_dialog import SettingsDialog

    openai_server.api_key = KEY  # only this key is accepted: it must come from the keyring
    engine = Engine(home, embedder=FakeEmbedder())
    ops = Ops(engine)
    dialog = SettingsDialog(ops)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_page("Cloud models")
    page = next(p for p in dialog.pages if p.title == "Cloud models")
    page.mode.setCurrentIndex(page.mode.findData("fallback"))
    page.provider.setCurrentIndex(page.provider.findData("openai"))
    page.base_url.setText(openai_server.base_url)
    page.key.setText(KEY)
    page.save_key.click()
    assert page.key.text() == ""  # the page lets go of the key at once
    qtbot.waitUntil(lambda: "keyring" in page.key_state.text(), timeout=10_000)
    dialog.apply()
    qtbot.waitUntil(lambda: Settings.load(home).cloud.mode == "fallback", timeout=10_000)
    assert Settings.load(home).cloud.base_url == openai_server.base_url
    page.test.click()
    qtbot.waitUntil(lambda: page.test_result.text().startswith(("Connected", "Not")),
                    timeout=30_000)  # fmt: skip
    assert page.test_result.text().startswith("Connected"), page.test_result.text()
    shot(dialog, "settings-cloud", settle_ms=200)
    assert memory_keyring.get_password("enclave", "api-key:openai") == KEY
    for path in home.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), f"the key leaked into {path}"
    ops.shutdown()
    engine.close()
