"""Egress log: append-only, hash-chained; verify catches edits and deletions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from core.errors import NotFound
from core.guard.egress import EgressLog

pytestmark = pytest.mark.unit


def filled(home: Path) -> EgressLog:
    log = EgressLog(home)
    for i in range(4):
        log.record("openai", "gpt-x", f"payload {i} <EMAIL_1>".encode(), {"EMAIL_ADDRESS": i}, 10 * i)
    return log


def test_records_round_trip_and_verify(tmp_path: Path) -> None:
    log = filled(tmp_path)
    assert (tmp_path / "egress.sqlite3").exists()
    assert [r.id for r in log.list()] == [1, 2, 3, 4]
    third = log.show(3)
    assert third.payload == b"payload 2 <EMAIL_1>" and third.redactions == {"EMAIL_ADDRESS": 2}
    assert third.prev_hash == log.show(2).hash
    assert log.verify().ok
    with pytest.raises(NotFound):
        log.show(99)


def test_update_and_delete_are_refused(tmp_path: Path) -> None:
    filled(tmp_path)
    db = sqlite3.connect(tmp_path / "egress.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE egress SET payload = x'00' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM egress WHERE id = 2")


def tamper(home: Path, sql: str) -> None:
    db = sqlite3.connect(home / "egress.sqlite3")
    db.executescript("DROP TRIGGER egress_no_update; DROP TRIGGER egress_no_delete;" + sql)
    db.commit()


def test_verify_detects_an_edited_row(tmp_path: Path) -> None:
    log = filled(tmp_path)
    tamper(tmp_path, "UPDATE egress SET payload = CAST('payload 1 bob@x.org' AS BLOB) WHERE id = 2;")
    result = log.verify()
    assert not result.ok and any("row 2" in p and "edited" in p for p in result.problems)


def test_verify_detects_edited_redaction_counts(tmp_path: Path) -> None:
    log = filled(tmp_path)
    tamper(tmp_path, "UPDATE egress SET redactions = '{}' WHERE id = 3;")
    assert not log.verify().ok


@pytest.mark.parametrize("row", [2, 4])
def test_verify_detects_a_deleted_row(tmp_path: Path, row: int) -> None:
    log = filled(tmp_path)
    tamper(tmp_path, f"DELETE FROM egress WHERE id = {row};")
    result = log.verify()
    assert not result.ok and any("missing" in p for p in result.problems)
