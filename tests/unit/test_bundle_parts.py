"""What the installer's bundle relies on: embedding models exported at build time are taken
only when made from the same weights by the same recipe; llama.cpp's CPU variants are found,
and a variant that does not exist is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import LLMError
from core.index import onnx_export
from core.llm import ggml_backends

pytestmark = pytest.mark.unit


def _weights(tmp_path: Path) -> Path:
    source = tmp_path / "weights" / "model"
    (source / "1_Pooling").mkdir(parents=True)
    (source / "model.safetensors").write_bytes(b"\0" * 64)
    (source / "1_Pooling" / "config.json").write_text("{}", encoding="utf-8")
    return source


def _ship(resources: Path, source: Path, variant: str, **manifest: str) -> Path:
    folder = resources / "embedding" / f"{source.name}-{variant}"
    folder.mkdir(parents=True)
    fields = {"recipe": onnx_export.RECIPE, "weights": onnx_export.weights_digest(source)}
    (folder / onnx_export.MANIFEST).write_text(json.dumps(fields | manifest), encoding="utf-8")
    return folder


def test_a_model_shipped_from_these_weights_is_used(tmp_path: Path, monkeypatch) -> None:
    source, resources = _weights(tmp_path), tmp_path / "resources"
    monkeypatch.setattr(onnx_export, "RESOURCES", resources)
    shipped = _ship(resources, source, "onnx-int8")
    assert onnx_export.shipped_model(source, "onnx-int8") == shipped
    assert onnx_export.exported_model(source, tmp_path / "cache", "onnx-int8") == shipped
    assert onnx_export.shipped_model(source, "onnx") is None  # only what was shipped


def test_a_shipped_model_of_other_weights_or_recipe_is_not(tmp_path: Path, monkeypatch) -> None:
    source, resources = _weights(tmp_path), tmp_path / "resources"
    monkeypatch.setattr(onnx_export, "RESOURCES", resources)
    _ship(resources, source, "onnx-int8", recipe="an older recipe")
    _ship(resources, source, "onnx", weights="0123456789abcdef")
    assert onnx_export.shipped_model(source, "onnx-int8") is None
    assert onnx_export.shipped_model(source, "onnx") is None


def test_weights_digest_survives_a_copy_but_not_a_change(tmp_path: Path) -> None:
    source = _weights(tmp_path)
    before = onnx_export.weights_digest(source)
    (source / "model.safetensors").touch()  # a copy changes mtimes, not sizes
    assert onnx_export.weights_digest(source) == before
    (source / "model.safetensors").write_bytes(b"\0" * 65)
    assert onnx_export.weights_digest(source) != before


def test_cpu_variants_are_listed_and_an_unknown_one_is_refused(tmp_path: Path) -> None:
    for name in ("libggml-cpu-x64.so", "libggml-cpu-haswell.so", "libggml-base.so"):
        (tmp_path / name).write_bytes(b"")
    variants = ggml_backends.cpu_variant_libraries(tmp_path)
    assert [p.name for p in variants] == ["libggml-cpu-haswell.so", "libggml-cpu-x64.so"]
    with pytest.raises(LLMError, match=r"no such llama.cpp CPU variant \(one of haswell, x64\)"):
        ggml_backends._load_one(None, "avx9000", variants)  # type: ignore[arg-type]
