"""Export the embedding models the bundle ships (int8 for the index, fp32 for the guard's
scorers) into a folder, named as core.index.onnx_export.shipped_model looks them up.

Run by build_linux.sh with the build's own Python, which has torch; the bundle has not.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from core.index.embedder import resolve_model_path
from core.index.onnx_export import exported_model
from core.settings import DEFAULT_EMBED_MODEL

VARIANTS = ("onnx-int8", "onnx")  # the index's default; the injection scorer's


def main(target: Path) -> None:
    source = Path(resolve_model_path(DEFAULT_EMBED_MODEL.partition("@")[0]))
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as cache:
        for variant in VARIANTS:
            folder = exported_model(source, cache, variant)
            dest = target / f"{source.name}-{variant}"
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(folder, dest)
            print(f"exported {variant}: {dest} ({_megabytes(dest):.0f} MB)")


def _megabytes(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


if __name__ == "__main__":
    main(Path(sys.argv[1]))
