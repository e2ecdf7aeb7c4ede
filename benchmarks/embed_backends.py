"""Embedding backends side by side on the ingest benchmark's chunk texts, in one run.

For each backend: chunks/s on the same texts in the same length-sorted batches, cosine
to sentence-transformers on torch (min and mean), and the cold start to the first
embedded chunk (import + model load + first batch, in a fresh interpreter, with the
exported model already in the cache). Backends that cannot run here are listed with why.

    .venv/bin/python -m benchmarks.embed_backends [--limit 300] [--no-st] > result.json

Measured 2026-12-04 (--limit 100 --no-st: 621 chunks; a 2-core AMD EPYC with AVX-512 VNNI,
idle; no Tesseract, so no OCR text): chunks/s torch 20.1, fp32 ONNX 16.3, int8 ONNX 24.4
(1.21x torch; cosine to torch min 0.976, mean 0.993). Cold start to the first embedded
chunk: torch 5.6 s, fp32 ONNX 0.41 s, int8 ONNX 0.28 s (20x sooner). On the AVX2-only
machine of 2026-12-03 int8 and torch ran at the same speed. sentence-transformers' own
ONNX/OpenVINO backends need optimum, which does not install beside transformers 5 here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from benchmarks.common import DATA, REPO, WORK, emit, write_scifact_documents

TORCH = "all-MiniLM-L6-v2"
OURS = ("all-MiniLM-L6-v2@onnx", "all-MiniLM-L6-v2@onnx-int8")
COLD_START = """
import time; started = time.perf_counter()
from core.index.embedder import load_embedder
embedder = load_embedder({model_id!r}, {batch})
embedder.embed(["The first chunk of the first file."])
print(time.perf_counter() - started)
"""


def chunk_texts(limit: int) -> list[str]:
    """What the pipeline embeds for the shared PDFs and the first `limit` SciFact abstracts."""
    from core.index.embedder import load_embedder
    from core.ingest.loaders import load_document
    from core.ingest.pipeline import embedding_text
    from core.ingest.splitter import split_document
    from core.settings import IndexSettings, IngestSettings

    counter = load_embedder(OURS[1]).count_tokens
    index, ingest = IndexSettings(), IngestSettings(ocr=False)
    abstracts = sorted(write_scifact_documents(WORK / "scifact_docs").glob("*.md"))[:limit]
    texts = []
    for path in [*sorted((DATA / "pdfs").glob("*.pdf")), *abstracts]:
        try:
            document = load_document(path, ingest)
        except Exception:  # the scanned PDFs without OCR: nothing to embed
            continue
        for chunk in split_document(document, counter, index.chunk_tokens, index.chunk_overlap):
            texts.append(embedding_text(document.title, chunk.heading_path, chunk.text))
    return texts


def timed_embed(embed, texts: list[str], batch: int) -> tuple[np.ndarray, float]:  # type: ignore[no-untyped-def]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    embed(texts[:batch])  # warm up
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    started = time.perf_counter()
    for start in range(0, len(order), batch):
        rows = order[start : start + batch]
        vectors[rows] = embed([texts[i] for i in rows])
    return vectors, time.perf_counter() - started


def sentence_transformers_backends() -> dict[str, object]:
    """sentence-transformers' own ONNX and OpenVINO backends: int8 models made by its
    export helpers, when the optimum packages they need install here."""
    from core.index.embedder import resolve_model_path

    found: dict[str, object] = {}
    path = resolve_model_path(TORCH)
    for backend in ("onnx", "openvino"):
        try:
            found[f"st-{backend}-int8"] = _st_quantized(path, backend)
        except Exception as exc:  # ImportError for optimum, or an export failure
            found[f"st-{backend}-int8"] = f"unavailable: {type(exc).__name__}: {str(exc)[:200]}"
    return found


def _st_quantized(path: str, backend: str):  # type: ignore[no-untyped-def]
    import shutil

    from sentence_transformers import (
        SentenceTransformer,
        export_dynamic_quantized_onnx_model,
        export_static_quantized_openvino_model,
    )

    folder = WORK / f"st-{backend}-minilm"
    if not folder.exists():
        shutil.copytree(path, folder)
    model = SentenceTransformer(str(folder), backend=backend, local_files_only=True)
    if backend == "onnx":
        export_dynamic_quantized_onnx_model(model, "avx2", str(folder))
        name = "onnx/model_qint8_avx2.onnx"
    else:
        export_static_quantized_openvino_model(model, None, str(folder))
        name = "openvino/openvino_model_qint8_quantized.xml"
    return SentenceTransformer(
        str(folder), backend=backend, model_kwargs={"file_name": name}, local_files_only=True
    )


def cold_start(model_id: str, batch: int) -> float:
    code = COLD_START.format(model_id=model_id, batch=batch)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from core.index.embedder import SentenceTransformerEmbedder, load_embedder

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=300, help="SciFact abstracts (with the PDFs)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--no-st", action="store_true", help="skip sentence-transformers' backends")
    args = parser.parse_args()
    texts = chunk_texts(args.limit)
    embedders: dict[str, object] = {TORCH: SentenceTransformerEmbedder(TORCH, args.batch)}
    embedders |= {model_id: load_embedder(model_id, args.batch) for model_id in OURS}
    if not args.no_st:
        embedders |= sentence_transformers_backends()
    results: dict[str, object] = {}
    reference = None
    for name, embedder in embedders.items():
        if isinstance(embedder, str):
            results[name] = embedder
            continue
        embed = getattr(embedder, "embed", None) or (
            lambda t, m=embedder: m.encode(t, batch_size=args.batch, normalize_embeddings=True)  # type: ignore[attr-defined]
        )
        vectors, seconds = timed_embed(embed, texts, args.batch)
        reference = vectors if reference is None else reference
        cosines = np.sum(vectors * reference, axis=1)
        results[name] = {
            "chunks_per_s": round(len(texts) / seconds, 1),
            "cosine_to_torch_min": round(float(cosines.min()), 4),
            "cosine_to_torch_mean": round(float(cosines.mean()), 5),
        }
    torch_rate = results[TORCH]["chunks_per_s"]  # type: ignore[index]
    for value in results.values():
        if isinstance(value, dict):
            value["speedup_vs_torch"] = round(value["chunks_per_s"] / torch_rate, 2)
    cold = {model_id: round(cold_start(model_id, args.batch), 2) for model_id in (TORCH, *OURS)}
    emit(
        {
            "benchmark": "embed_backends",
            "chunks": len(texts),
            "batch": args.batch,
            "threads": json.loads(_threads()),
            "backends": results,
            "cold_start_s": cold,
        }
    )


def _threads() -> str:
    from core.index.onnx_runtime import cpu_count, intra_op_threads

    return json.dumps({"cpus": cpu_count(), "onnx_intra_op": intra_op_threads()})


if __name__ == "__main__":
    main()
