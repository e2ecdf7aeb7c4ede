"""Retrieval quality of the int8 embedder beside the torch one, on SciFact train, in one run.

nDCG@10 and Recall@100 for vector, keyword and hybrid search with each embedder, on the
same corpus through the normal pipeline. The full corpus (5,183 abstracts) takes ~20 min
on torch on two cores, so by default the corpus is a subset: every abstract relevant to
the first `--queries` train queries plus the first corpus abstracts as distractors, up to
`--docs` in all (`--docs 0`: the whole corpus). Ingest time per embedder is reported too.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import WORK, emit, scifact_corpus, scifact_qrels, scifact_queries
from benchmarks.retrieval_scifact import evaluate
from core.engine import Engine

MODELS = ("all-MiniLM-L6-v2", "all-MiniLM-L6-v2@onnx-int8")


def subset_documents(queries: int, docs: int) -> Path:
    """One Markdown file per chosen abstract (as retrieval_scifact writes them)."""
    all_queries, qrels = scifact_queries(), scifact_qrels()
    chosen = [q for q in all_queries if q in qrels][:queries]
    relevant = {d for q in chosen for d in qrels[q]}
    folder = WORK / f"scifact_subset_{queries}q_{docs}d"
    if (folder / ".complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    corpus = list(scifact_corpus())
    for doc in corpus:  # the relevant ones first, so a small --docs keeps them all
        if doc["_id"] in relevant:
            written += _write(folder, doc)
    for doc in corpus:
        if docs and written >= docs:
            break
        if doc["_id"] not in relevant:
            written += _write(folder, doc)
    (folder / ".complete").touch()
    return folder


def _write(folder: Path, doc: dict[str, str]) -> int:
    text = f"# {doc['title'].strip() or doc['_id']}\n\n{doc['text'].strip()}\n"
    (folder / f"{doc['_id']}.md").write_text(text, encoding="utf-8")
    return 1


def no_tags(texts: list[str], vectors: object) -> list[tuple[str, ...]]:
    return [() for _ in texts]  # the guard's scan is not what this measures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300, help="first N train queries")
    parser.add_argument("--docs", type=int, default=1500, help="corpus size (0: all)")
    args = parser.parse_args()
    if args.docs == 0:
        from benchmarks.common import write_scifact_documents

        folder = write_scifact_documents(WORK / "scifact_docs")
    else:
        folder = subset_documents(args.queries, args.docs)
    result: dict[str, object] = {
        "benchmark": "embed_quality_scifact",
        "split": "train",
        "documents": len(list(folder.glob("*.md"))),
        "queries": args.queries,
    }
    for model_id in MODELS:
        home = Path(tempfile.mkdtemp(prefix="enclave-quality-"))
        try:
            with Engine(home, tagger=no_tags) as engine:
                engine.update_settings({"index": {"embed_model": model_id}})
                engine.embedder.embed(["warm up"])
                started = time.perf_counter()
                report = engine.ingest([folder], "scifact")
                scores: dict[str, object] = {
                    "ingest_seconds": round(time.perf_counter() - started, 1),
                    "chunks": report.chunks,
                }
                for mode in ("vector", "keyword", "hybrid"):
                    scores[mode] = evaluate(engine, mode, args.queries)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        result[model_id] = scores
    torch, int8 = (result[m] for m in MODELS)
    result["hybrid_ndcg_loss"] = round(
        torch["hybrid"]["ndcg@10"] - int8["hybrid"]["ndcg@10"],
        4,  # type: ignore[index]
    )
    result["target_hybrid_loss"] = 0.005
    emit(result)


if __name__ == "__main__":
    main()
