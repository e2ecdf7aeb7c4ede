"""The model catalog: its facts are well-formed and name their source, and the verdict for a
machine follows its RAM, disk and cores."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from core.cli import main
from core.errors import NotFound
from core.llm.catalog import Machine, find_entry, judge, load_catalog
from core.llm.download import DownloadError, name_from_url

pytestmark = pytest.mark.unit
GB = 1_000_000_000


def test_every_entry_is_a_hub_gguf_with_its_source_and_no_invented_hash() -> None:
    entries = load_catalog()
    assert len(entries) >= 6
    assert len({e.name for e in entries}) == len(entries)
    for e in entries:
        assert e.url.startswith("https://huggingface.co/") and e.url.endswith(".gguf"), e.name
        assert "/resolve/" in e.url, e.name
        assert "huggingface.co/" in e.source, e.name
        assert e.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", e.sha256), e.name
        assert e.licence and e.template and e.context >= 4096 and 0.1 < e.params_b < 10
        assert e.size_bytes is None or e.size_bytes > e.params_b * 1e9 * 0.4, e.name
    families = {e.template for e in entries}
    assert {"chatml", "llama3", "mistral", "phi3", "gemma"} <= families


def test_find_entry_names_the_known_ones() -> None:
    assert find_entry("Qwen2.5-0.5B-Instruct-Q4_K_M").params_b == 0.49
    with pytest.raises(NotFound, match=r"Known: .*llama-3\.2-1b-instruct-q4_k_m"):
        find_entry("gpt-5")


def test_a_7b_model_on_a_small_two_core_machine_is_slow_and_too_big() -> None:
    entry = find_entry("mistral-7b-instruct-v0.3-q4_k_m")
    small = Machine(cpus=2, ram_bytes=4 * GB, free_disk_bytes=3 * GB)
    verdict = judge(entry, small)
    assert not verdict.fits_ram and not verdict.fits_disk and verdict.speed == "slow"
    big = Machine(cpus=16, ram_bytes=64 * GB, free_disk_bytes=500 * GB)
    assert judge(entry, big).fits_ram and judge(entry, big).fits_disk
    assert judge(find_entry("llama-3.2-3b-instruct-q4_k_m"), big).speed == "usable"
    tiny = judge(find_entry("qwen2.5-0.5b-instruct-q4_k_m"), big)
    assert tiny.speed == "fast" and tiny.tokens_per_s > judge(entry, big).tokens_per_s


def test_an_entry_without_a_listed_size_is_judged_from_its_parameters() -> None:
    entry = replace(find_entry("llama-3.2-3b-instruct-q4_k_m"), size_bytes=None)
    verdict = judge(entry, Machine(cpus=2, ram_bytes=8 * GB, free_disk_bytes=1 * GB))
    assert not verdict.fits_disk and verdict.tokens_per_s > 0


def test_name_from_url_takes_the_file_stem() -> None:
    assert name_from_url("https://x.org/a/Phi-3.5%20mini.Q4_K_M.gguf?download=1") == (
        "Phi-3.5 mini.Q4_K_M"
    )
    with pytest.raises(DownloadError, match=r"does not name a \.gguf file"):
        name_from_url("https://x.org/a/model.bin")


def test_models_catalog_cli_prints_a_verdict_per_entry(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--home", str(home), "models", "catalog", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == [e.name for e in load_catalog()]
    assert {"fits_ram", "fits_disk", "speed", "expected_tokens_per_s", "source"} <= set(rows[0])
    assert main(["--home", str(home), "models", "catalog"]) == 0
    text = capsys.readouterr().out
    assert "mistral-7b-instruct-v0.3-q4_k_m" in text and "tok/s" in text
