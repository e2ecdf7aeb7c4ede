"""Vault: consistent placeholders, encrypted at rest with a keyring key, streaming restore."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from core.guard.vault import NoKeyring, StreamRestorer, Vault
from tests.fakes import MemoryKeyring

pytestmark = pytest.mark.unit


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


TEXT = "Mail ann@corp.com or ANN@corp.com; card 4111111111111111; ann@corp.com again, bob@x.org."


def spans(text: str) -> list[tuple[int, int, str]]:
    from core.guard.patterns import find_pii_fast

    return [(f.start, f.end, f.type) for f in find_pii_fast(text)]


def test_same_value_same_placeholder(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    vault = Vault.open(tmp_path, "c1")
    redacted, counts = vault.pseudonymize(TEXT, spans(TEXT))
    assert redacted == ("Mail <EMAIL_1> or <EMAIL_1>; card <CREDIT_CARD_1>; <EMAIL_1> again, "
                        "<EMAIL_2>.")  # fmt: skip
    assert counts == {"EMAIL_ADDRESS": 4, "CREDIT_CARD": 1}
    assert vault.restore(redacted).replace("ANN@", "ann@") == TEXT.replace("ANN@", "ann@")


def test_vault_is_encrypted_and_reopens(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    vault = Vault.open(tmp_path, "c2")
    vault.pseudonymize(TEXT, spans(TEXT))
    vault.save()
    stored = (tmp_path / "vault" / "c2.bin").read_bytes()
    assert b"ann@corp.com" not in stored and b"4111" not in stored
    assert not any(memory_keyring.store[k].encode() in p.read_bytes()
                   for k in memory_keyring.store for p in tmp_path.rglob("*") if p.is_file())  # fmt: skip
    again = Vault.open(tmp_path, "c2")
    assert again.restore("to <EMAIL_2>") == "to bob@x.org"
    assert again.placeholder_for("ann@corp.com", "EMAIL_ADDRESS") == "<EMAIL_1>"


def test_restore_tolerates_case_and_spacing(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    vault = Vault.open(tmp_path, "c3")
    vault.pseudonymize(TEXT, spans(TEXT))
    assert vault.restore("<email_2>, < EMAIL 1 >, <Credit_Card_1>, <EMAIL_9>") == (
        "bob@x.org, ann@corp.com, 4111111111111111, <EMAIL_9>")  # fmt: skip


def test_stream_restores_placeholders_split_across_chunks(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    vault = Vault.open(tmp_path, "c4")
    vault.pseudonymize(TEXT, spans(TEXT))
    answer = "Write to <EMAIL_2> and charge <CREDIT_CARD_1>. 3 < 4 > 2 ok"
    for size in (1, 2, 3, 7):
        stream = vault.stream()
        pieces = [stream.feed(answer[i : i + size]) for i in range(0, len(answer), size)]
        out = "".join(pieces) + stream.flush()
        assert out == "Write to bob@x.org and charge 4111111111111111. 3 < 4 > 2 ok"


def test_stream_never_holds_back_unrelated_text() -> None:
    stream = StreamRestorer(lambda s: s)
    assert stream.feed("a < b and then a long sentence without closing bracket") != ""


def test_no_keyring_is_a_clear_user_error(tmp_path: Path) -> None:
    from keyring.backends.fail import Keyring as FailKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        vault = Vault.open(tmp_path, "c5")
        vault.pseudonymize(TEXT, spans(TEXT))
        with pytest.raises(NoKeyring, match="keyring"):
            vault.save()
    finally:
        keyring.set_keyring(previous)


def test_overlapping_spans_are_replaced_as_one_and_a_secret_wins() -> None:
    from core.guard.vault import merge_overlaps

    text = "login jsmith pass dipPr112Gg! today"
    secret = (text.index("dipPr"), text.index(" today"), "SECRET")
    name = (text.index("jsmith"), text.index("dipPr") + 3, "PERSON")  # NER cut into the secret
    assert merge_overlaps([secret, name]) == [(name[0], secret[1], "SECRET")]
    vault = Vault("c1")
    redacted, counts = vault.pseudonymize(text, [secret, name])
    assert "Gg!" not in redacted and "dipPr" not in redacted and "jsmith" not in redacted
    assert counts == {"SECRET": 1}
    assert vault.restore(redacted) == text
    apart = [(0, 5, "PERSON"), (6, 12, "EMAIL_ADDRESS")]
    assert merge_overlaps(apart) == apart
