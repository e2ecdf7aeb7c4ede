"""Prompt threads follow how busy other programs keep the CPUs; generation stays at half."""

from __future__ import annotations

import multiprocessing
import threading
import time

import psutil
import pytest

from core.llm import llama
from core.llm.settings import LLMSettings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("others", "expected"), [(0.0, 4), (0.4, 4), (1.2, 3), (2.6, 2), (9.0, 2)])
def test_prompt_threads_take_the_cpus_others_leave_free(
    monkeypatch: pytest.MonkeyPatch, others: float, expected: int
) -> None:
    monkeypatch.setattr(llama, "available_cpus", lambda: 4)
    monkeypatch.setattr(llama, "busy_cpus_of_other_processes", lambda: others)
    assert llama.default_threads() == 2
    assert llama.batch_threads(LLMSettings()) == expected


def test_explicit_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llama, "busy_cpus_of_other_processes", lambda: 50.0)
    assert llama.batch_threads(LLMSettings(threads_batch=3)) == 3
    assert llama.batch_threads(LLMSettings(threads=3)) == 3  # busy: as many as generate


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_another_process_counts_and_our_own_work_does_not() -> None:
    baseline = llama.busy_cpus_of_other_processes(0.3)
    assert baseline is not None
    spinner = multiprocessing.get_context("spawn").Process(target=_spin, args=(3.0,))
    spinner.start()
    try:
        time.sleep(1.0)  # the child is up and spinning
        child = psutil.Process(spinner.pid)
        before, started = sum(child.cpu_times()[:2]), time.perf_counter()
        with_spinner = llama.busy_cpus_of_other_processes(0.3)
        spun = (sum(child.cpu_times()[:2]) - before) / (time.perf_counter() - started)
    finally:
        spinner.join()
    ours = threading.Thread(target=_spin, args=(1.0,))
    ours.start()
    with_our_thread = llama.busy_cpus_of_other_processes(0.3)
    ours.join()
    assert with_spinner is not None and with_our_thread is not None
    # On a shared machine the spinner gets what the others leave it: what it did counts.
    assert spun > 0.3
    assert with_spinner >= spun - 0.25
    assert with_our_thread <= baseline + 0.4  # the load average would have counted it
