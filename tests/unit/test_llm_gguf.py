"""GGUF header reader and model manager on small synthetic files."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from core.errors import NotFound, UserError
from core.llm.gguf import InvalidModelFile, read_gguf
from core.llm.models import ModelManager

pytestmark = pytest.mark.unit


def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, name: str = "Tiny Test", vocab: int = 100) -> Path:
    kvs = [
        (gguf_string("general.architecture"), 8, gguf_string("llama")),
        (gguf_string("general.name"), 8, gguf_string(name)),
        (gguf_string("general.file_type"), 4, struct.pack("<I", 15)),
        (gguf_string("llama.context_length"), 4, struct.pack("<I", 2048)),
        (gguf_string("tokenizer.ggml.tokens"), 9,
         struct.pack("<IQ", 8, vocab) + b"".join(gguf_string(f"t{i}") for i in range(vocab))),
    ]
    tensors = [("tok_embd", (64, vocab)), ("out", (64, 64))]
    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, kind, value in kvs:
        body += key + struct.pack("<I", kind) + value
    for tensor, dims in tensors:
        body += gguf_string(tensor) + struct.pack(f"<I{len(dims)}Q", len(dims), *dims)
        body += struct.pack("<IQ", 0, 0)
    path.write_bytes(body)
    return path


def test_header_gives_name_parameters_quantization_and_context(tmp_path: Path) -> None:
    info = read_gguf(write_gguf(tmp_path / "tiny.gguf"))
    assert (info.name, info.architecture, info.quantization) == ("Tiny Test", "llama", "Q4_K_M")
    assert info.parameters == 64 * 100 + 64 * 64
    assert info.context_length == 2048
    assert info.metadata["tokenizer.ggml.tokens"] == "<array of 100>"


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 zip", b"GGUF\x03\x00\x00\x00\x05"])
def test_non_gguf_files_are_rejected_with_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(InvalidModelFile, match="GGUF"):
        read_gguf(path)


def test_import_copy_and_link_then_remove(tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "my-model.gguf")
    manager = ModelManager(tmp_path / "home")
    copied = manager.import_file(source)
    assert copied.name == "my-model" and not copied.linked
    assert (tmp_path / "home/models/my-model.gguf").read_bytes() == source.read_bytes()
    with pytest.raises(UserError, match="exists already"):
        manager.import_file(source)
    linked_source = write_gguf(tmp_path / "other.gguf", name="Other")
    assert manager.import_file(linked_source, link=True).linked
    names = [e.name for e in manager.list()]
    assert names[1:] == ["my-model", "other"]  # the bundled model comes first
    manager.remove("my-model")
    with pytest.raises(NotFound, match="Known models"):
        manager.path_of("my-model")
    with pytest.raises(UserError, match="cannot be removed"):
        manager.remove("smollm2-135m-instruct")
