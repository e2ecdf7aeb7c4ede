"""Cloud-first chat: the first request of a conversation is shown before it leaves (exact
body, placeholders marked, no sensitive value in it) and nothing is sent until the person
says so; "Send (this conversation)" stops asking; Cancel keeps the question and sends
nothing. Against the OpenAI stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from core.engine import Engine
from tests.fakes import FakeEmbedder, MemoryKeyring

pytestmark = pytest.mark.gui

EMAIL = "landlord@harbour-estates.example"
DOCUMENT = f"The Harbour Street lease ends with three months notice, sent to {EMAIL}."


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def chat(qtbot, home: Path, tmp_path: Path, memory_keyring, openai_server):  # type: ignore[no-untyped-def]
    from desktop.chat_panel import ChatPanel
    from desktop.ops import Ops

    (tmp_path / "lease.md").write_text(DOCUMENT, encoding="utf-8")
    engine = Engine(home, embedder=FakeEmbedder())
    engine.ingest([tmp_path / "lease.md"])
    engine.update_settings({"cloud": {"mode": "cloud", "provider": "openai",
                                      "base_url": openai_server.base_url}})  # fmt: skip
    engine.settings.guard.detect_injection = False  # the question check is tested elsewhere
    engine.settings.llm.abstain_threshold = -1.0  # fake vectors: every passage is relevant
    engine.set_cloud_key("openai", "test-key")
    ops = Ops(engine)
    panel = ChatPanel(ops)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    yield panel
    ops.shutdown()
    engine.close()


def wait_preview(qtbot, chat):  # type: ignore[no-untyped-def]
    # The first preview loads the guard's detectors (Presidio): up to a minute on a busy box.
    qtbot.waitUntil(lambda: chat.preview_dialog is not None or chat.busy, timeout=120_000)
    assert chat.preview_dialog is not None, chat.list_status.text()
    assert not chat.busy, "asked without showing the request first"
    return chat.preview_dialog


def test_first_cloud_request_waits_for_the_person(qtbot, chat, openai_server, shot) -> None:  # type: ignore[no-untyped-def]
    chat.send("When does the Harbour Street lease end?")
    dialog = wait_preview(qtbot, chat)
    body = dialog.body.toPlainText()
    assert EMAIL not in body
    assert "<EMAIL_" in body and dialog.marked >= 1
    assert openai_server.requests == []  # nothing left yet
    shot(dialog, "cloud-preview", settle_ms=100)
    dialog.send_once.click()
    qtbot.waitUntil(lambda: not chat.busy and len(openai_server.requests) == 1, timeout=30_000)
    chat.send("And who gets the notice?")  # "Send once": the next request is shown again
    dialog = wait_preview(qtbot, chat)
    dialog.send_always.click()
    qtbot.waitUntil(lambda: not chat.busy and len(openai_server.requests) == 2, timeout=30_000)
    chat.send("Thanks, anything else?")  # approved for this conversation: no dialog
    qtbot.waitUntil(lambda: not chat.busy and len(openai_server.requests) == 3, timeout=30_000)
    assert chat.preview_dialog is None
    assert all(EMAIL.encode() not in r.body for r in openai_server.requests)


def test_cancel_sends_nothing_and_keeps_the_question(qtbot, chat, openai_server) -> None:  # type: ignore[no-untyped-def]
    chat.send("When does the Harbour Street lease end?")
    dialog = wait_preview(qtbot, chat)
    dialog.reject()
    qtbot.waitUntil(lambda: chat.preview_dialog is None, timeout=5_000)
    assert chat.question_box.toPlainText() == "When does the Harbour Street lease end?"
    assert openai_server.requests == []
