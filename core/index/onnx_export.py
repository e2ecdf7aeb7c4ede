"""Export a sentence-transformers BERT model to ONNX (fp32, or int8 with dynamic quantization).

Run once, at first use, from the local weights (never a hub), into a cache folder of the
data dir; reused after. A killed export leaves only a temporary folder, swept at the next
export: the finished model appears by one atomic rename.

Why not `sentence_transformers.backend.export_dynamic_quantized_onnx_model`: it needs
optimum's ONNX Runtime classes (optimum-onnx), whose only releases require
transformers < 4.58, while this project runs sentence-transformers 6 on transformers 5.
torch.onnx (the TorchScript exporter) and onnxruntime's quantize_dynamic do the same job
with what is installed: the graph is the model's, the weights 8-bit per output channel.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from core.errors import UserError
from core.jobs import ProgressCallback, ProgressMeter
from core.resources import RESOURCES

# Bumped when the exported graph or quantization changes: a new recipe exports anew.
RECIPE = "torchscript-opset17/quantize_dynamic-quint8-per-channel/v2"
VARIANTS = ("onnx", "onnx-int8")
MODEL_FILE = "model.onnx"
MANIFEST = "manifest.json"
# Files the runtime reads besides the graph, copied so a cache folder stands alone.
SIDE_FILES = ("config.json", "tokenizer.json", "sentence_bert_config.json", "1_Pooling/config.json")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
STALE_TEMP_SECONDS = 3600


def cache_key(source: Path, variant: str) -> str:
    """Changes with the weights (size and mtime of each file), the variant and the recipe."""
    return _files_digest(source, f"{RECIPE}|{variant}", with_mtimes=True)[:12]


def weights_digest(source: Path) -> str:
    """Names and sizes of the weights' files: unlike mtimes, these survive a copy into a
    bundle."""
    return _files_digest(source, "", with_mtimes=False)[:16]


def _files_digest(source: Path, seed: str, *, with_mtimes: bool) -> str:
    digest = hashlib.sha256(seed.encode())
    for path in sorted(source.rglob("*")):
        if path.is_file():
            stat = path.stat()
            stamp = f"|{stat.st_mtime_ns}" if with_mtimes else ""
            digest.update(f"{path.relative_to(source)}|{stat.st_size}{stamp}".encode())
    return digest.hexdigest()


def exported_model(
    source: str | os.PathLike[str],
    cache_root: str | os.PathLike[str],
    variant: str = "onnx-int8",
    progress: ProgressCallback | None = None,
) -> Path:
    """The folder holding `variant` of the model at `source`, exported now if needed."""
    if variant not in VARIANTS:
        raise UserError(f"Unknown ONNX variant {variant!r} (one of {', '.join(VARIANTS)}).")
    source, cache_root = Path(source), Path(cache_root)
    shipped = shipped_model(source, variant)
    if shipped is not None:
        return shipped
    dest = cache_root / f"{source.name}-{variant}-{cache_key(source, variant)}"
    if (dest / MANIFEST).exists():
        return dest
    cache_root.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temps(cache_root)
    temp = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_root))
    try:
        _export_into(source, temp, variant, progress)
        try:
            temp.rename(dest)  # atomic; fails when another process finished first
        except OSError:
            if not (dest / MANIFEST).exists():
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return dest


def shipped_model(source: Path, variant: str) -> Path | None:
    """The folder exported at build time into resources/embedding (the installer's bundle,
    which carries no torch to export with), if it was made from these weights' files by
    this recipe."""
    folder = RESOURCES / "embedding" / f"{source.name}-{variant}"
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("recipe") != RECIPE or manifest.get("weights") != weights_digest(source):
        return None
    return folder


def _sweep_stale_temps(cache_root: Path) -> None:
    """Leftovers of exports killed mid-way (a running export touches its folder)."""
    now = time.time()
    for leftover in cache_root.glob(".export-*"):
        if now - leftover.stat().st_mtime > STALE_TEMP_SECONDS:
            shutil.rmtree(leftover, ignore_errors=True)


def _export_into(
    source: Path, folder: Path, variant: str, progress: ProgressCallback | None
) -> None:
    steps = 3 if variant == "onnx-int8" else 2
    meter = ProgressMeter(progress, "Preparing the embedding model (once)", steps, unit="steps")
    meter.emit()
    fp32 = folder / "model-fp32.onnx"
    _export_fp32(source, fp32)
    meter.advance()
    if variant == "onnx-int8":
        quantize_int8(fp32, folder / MODEL_FILE)
        fp32.unlink()
        meter.advance()
    else:
        fp32.rename(folder / MODEL_FILE)
    for name in SIDE_FILES:
        if (source / name).exists():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, folder / name)
    manifest = {
        "source": str(source),
        "variant": variant,
        "recipe": RECIPE,
        "weights": weights_digest(source),
        **_versions(),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    meter.advance()


def _export_fp32(source: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()

    class LastHidden(torch.nn.Module):
        """Keyword arguments in, token vectors out (pooling runs in numpy)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    export_graph(LastHidden(), target, "last_hidden_state", {0: "batch", 1: "tokens"})


def export_graph(module: Any, target: Path, output: str, output_axes: dict[int, str]) -> None:
    """A torch module taking (input_ids, attention_mask, token_type_ids) as one ONNX graph
    with dynamic batch and token axes (TorchScript exporter, opset 17). The embedders'
    export and the injection classifier's (benchmarks/guard_finetune_injection.py)."""
    import torch

    sample = torch.ones((2, 8), dtype=torch.int64)
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    axes[output] = output_axes
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (sample, sample, torch.zeros_like(sample)),
            str(target),
            input_names=list(INPUTS),
            output_names=[output],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )


def quantize_int8(fp32: Path, target: Path) -> None:
    """uint8 weights per output channel: on AVX2 without VNNI, int8 weights against uint8
    activations can saturate; measured on MiniLM here, cosine to torch over 200 SciFact
    abstracts: mean 0.9942 (uint8) against 0.9926 (int8), same speed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" advice on every call
    try:
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QUInt8, per_channel=True)
    finally:
        root.setLevel(level)


def _versions() -> dict[str, str]:
    import onnxruntime
    import torch

    return {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__}
