"""End-to-end `ask` latency with the default model: p50/p95 split into retrieval,
prompt building, prompt processing (TTFT) and generation.

Ingests three real PDFs into a temporary home, then asks each question once in a
fresh conversation (cold KV prefix apart from the system prompt).

    .venv/bin/python benchmarks/llm_ask.py > result.json
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from core.chat.answer import ask
from core.llm.registry import LLMRegistry

PDFS = Path(__file__).resolve().parents[2] / "shared/data/pdfs"
FILES = [
    "docling__redp5110_sampled.pdf",
    "docling__amt_handbook_sample.pdf",
    "pdfplumber__federal-register-2020-17221.pdf",
]
QUESTIONS = [
    "How many data breaches has the Identity Theft Resource Center reported since 2005?",
    "What is a column mask?",
    "Which CL commands work with function usage IDs?",
    "What does the VERIFY_GROUP_FOR_USER function do?",
    "How is RCAC activated?",
    "What is row and column access control?",
    "What does the handbook say about inspection of aircraft?",
    "What rule does the federal register notice announce?",
    "Who is Theresa and what duty does she have?",
    "What special registers are listed in Table 3-1?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def main() -> None:
    from core.engine import Engine

    with tempfile.TemporaryDirectory() as home:
        engine = Engine(home=home)
        started = time.perf_counter()
        engine.ingest([PDFS / name for name in FILES])
        ingest_s = time.perf_counter() - started
        llms = LLMRegistry(engine.home, engine.settings.llm)
        ask(engine, llms, engine.settings, "warm-up: what is DB2?")  # loads both models
        results = [ask(engine, llms, engine.settings, q) for q in QUESTIONS]
        engine.close()
    answered = [r for r in results if not r.abstained]
    split = {}
    for field in ("retrieval_ms", "prompt_ms", "ttft_ms", "generation_ms", "total_ms"):
        values = [
            getattr(r.timings, field) for r in (answered if field != "retrieval_ms" else results)
        ]
        split[field] = {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}
    print(
        json.dumps(
            {
                "benchmark": "llm_ask_end_to_end",
                "questions": len(results),
                "abstained": len(results) - len(answered),
                "ingest_s": round(ingest_s, 1),
                "timings": split,
                "prompt_tokens_median": statistics.median(
                    r.timings.prompt_tokens for r in answered
                ),
                "completion_tokens_median": statistics.median(
                    r.timings.completion_tokens for r in answered
                ),
                "explicit_citation_rate": round(
                    sum(any(not c.inferred for c in r.citations) for r in answered)
                    / max(len(answered), 1),
                    3,
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
