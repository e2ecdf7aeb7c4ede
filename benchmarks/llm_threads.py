"""Time to first token and tokens/s of the bundled model for llama.cpp thread settings,
on one ~1,300-token answer prompt (system prompt + six numbered SciFact passages + a
question), in one interleaved run: every round runs each setting once, in turn, with a
cleared KV cache, so drift of a shared machine falls on all settings alike.

"today" is what Enclave shipped before: n_threads = n_threads_batch = half the CPUs.

    .venv/bin/python -m benchmarks.llm_threads [--rounds 3] > result.json

Measured 2026-12-04 on the 2-core dev machine while it was idle (load average < 2), 1,292
prompt tokens, 3 rounds, medians: today (1/1 threads) TTFT 10.3 s, 50.1 tok/s; shipped
(prompt threads from what others leave free: 2 here, generate on 1) 5.9 s = 0.572x today,
44.5 tok/s; prompt on 2 threads 5.8 s (0.564x); both on 2 threads 5.4 s (0.521x), 74.9
tok/s. Generation stays on half the CPUs although two threads are faster on an idle
machine: on 2026-12-02, with other sessions keeping the cores saturated (load ~9), two
generating threads gave 0.8 tok/s against 8.9 on one, because llama.cpp's threads wait at
barriers for cores they cannot get; a slower answer on an idle machine is the cheaper risk.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from benchmarks.common import scifact_corpus
from core.chat.prompt import SOURCES_HEADER, SYSTEM_PROMPTS
from core.llm.backend import ChatMessage
from core.llm.llama import LlamaBackend, available_cpus
from core.llm.models import bundled_model_path
from core.llm.settings import LLMSettings

PROMPT_TOKENS = 1300
QUESTION = "What do these studies report about white matter development in newborns?"


def prompt(backend: LlamaBackend) -> list[ChatMessage]:
    """Whole SciFact passages while they fit, then the next one cut to land on ~1,300."""
    passages: list[str] = []
    for doc in scifact_corpus():
        words = f"[{len(passages) + 1}] {doc['title']}\n{doc['text']}".split(" ")
        for keep in range(len(words), 0, -8):
            messages = _messages([*passages, " ".join(words[:keep])])
            if backend.prompt_tokens(messages) <= PROMPT_TOKENS:
                break
        passages.append(" ".join(words[:keep]))
        if backend.prompt_tokens(messages) >= PROMPT_TOKENS - 16:
            return messages
    raise RuntimeError("SciFact corpus too short")


def _messages(passages: list[str]) -> list[ChatMessage]:
    user = f"{SOURCES_HEADER}\n\n" + "\n\n".join(passages) + f"\n\nQuestion: {QUESTION}"
    return [ChatMessage("system", SYSTEM_PROMPTS["documents"]), ChatMessage("user", user)]


def settings_to_try() -> dict[str, tuple[int, int]]:
    cpus = available_cpus()
    half = max(1, cpus // 2)
    tried = {"today": (half, half), f"batch={cpus}": (half, cpus), f"both={cpus}": (cpus, cpus)}
    tried["shipped"] = (0, 0)  # the defaults: prompt threads from what other programs leave
    return dict(sorted(tried.items(), key=lambda kv: kv[0] != "today"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)  # ~4 min/round when saturated
    parser.add_argument("--tokens", type=int, default=32, help="tokens generated per run")
    args = parser.parse_args()
    path = bundled_model_path()
    backends = {
        label: LlamaBackend(label, path, LLMSettings(threads=t, threads_batch=b))
        for label, (t, b) in settings_to_try().items()
    }
    messages = prompt(next(iter(backends.values())))
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in backends}
    for backend in backends.values():  # warm-up: page the weights in, start the thread pool
        backend.generate(messages[:1], max_tokens=2, temperature=0.0)
    for _ in range(args.rounds):
        for label, backend in backends.items():
            backend.llama.reset()  # nothing reused from the previous run
            gen = backend.generate(messages, max_tokens=args.tokens, temperature=0.0)
            assert gen.cached_tokens == 0, gen.cached_tokens
            decode_s = (gen.total_ms - gen.ttft_ms) / 1000
            tps = (gen.completion_tokens - 1) / decode_s if decode_s > 0 else 0.0
            runs[label].append((gen.ttft_ms, tps))
            print(f"{label}: ttft {gen.ttft_ms:.0f} ms, {tps:.1f} tok/s", file=sys.stderr, flush=True)
    today = statistics.median(t for t, _ in runs["today"])
    report = {
        "benchmark": "llm_threads",
        "model": path.name,
        "cpus": available_cpus(),
        "prompt_tokens": backends["today"].prompt_tokens(messages),
        "rounds": args.rounds,
        "settings": {
            label: {
                "n_threads": backends[label].llama.context_params.n_threads,
                "n_threads_batch": backends[label].llama.context_params.n_threads_batch,
                "ttft_ms_median": round(statistics.median(t for t, _ in rows), 1),
                "ttft_ms_all": [round(t, 1) for t, _ in rows],
                "ttft_vs_today": round(statistics.median(t for t, _ in rows) / today, 3),
                "tokens_per_s_median": round(statistics.median(s for _, s in rows), 1),
            }
            for label, rows in runs.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
