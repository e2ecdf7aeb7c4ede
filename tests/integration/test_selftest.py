"""`enclave selftest` with the real parts: every step passes on a good install, and a
broken one is reported step by step with the reason, the other steps still run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def steps_of(out: str) -> dict[str, dict[str, object]]:
    return {row["step"]: row for row in map(json.loads, out.splitlines())}


def test_selftest_passes_every_step_with_the_window(capsys, tmp_path: Path) -> None:
    assert main(["selftest", "--json", "--keep", str(tmp_path / "home")]) == 0
    steps = steps_of(capsys.readouterr().out)
    assert list(steps) == ["ingest", "search", "answer", "guard", "window", "offline"]
    assert all(step["ok"] for step in steps.values()), steps
    assert "cites page 2" in str(steps["answer"]["detail"])
    assert "shown_s=" in str(steps["window"]["detail"])
    assert (tmp_path / "home").is_dir()  # --keep keeps the home


def test_a_missing_sample_fails_its_steps_and_the_rest_still_run(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("core.selftest.SAMPLE_DOCUMENT", tmp_path / "gone.pdf")
    assert main(["selftest", "--no-window"]) == 1
    out = capsys.readouterr().out
    assert "FAIL ingest" in out and "the sample document is missing" in out
    assert "FAIL search" in out
    assert "ok   guard" in out  # the guard does not need the sample
    assert "selftest FAILED: ingest, search, answer" in out
