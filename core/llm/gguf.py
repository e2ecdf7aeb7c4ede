"""Read what the model manager shows from a GGUF file's header, without loading it.

GGUF layout (v2/v3): magic "GGUF", version u32, tensor count u64, metadata count u64,
then key/value pairs, then tensor infos. Large arrays (the vocabulary) are skipped.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from core.errors import UserError

MAGIC = b"GGUF"
_SCALARS = {
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i",
    6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d",
}  # fmt: skip
_STRING, _ARRAY = 8, 9
_MAX_STRING = 64 << 20  # guards against reading garbage as a huge length

# llama.cpp's llama_ftype: what general.file_type says about the quantization.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
    37: "TQ2_0",
}  # fmt: skip


class InvalidModelFile(UserError):
    """The file is not a GGUF model llama.cpp could load."""


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    version: int
    name: str
    architecture: str
    parameters: int  # summed tensor elements
    quantization: str
    context_length: int | None
    size_bytes: int
    metadata: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def parameters_label(self) -> str:
        if self.parameters >= 1e9:
            return f"{self.parameters / 1e9:.1f}B"
        return f"{self.parameters / 1e6:.0f}M"


def read_gguf(path: str | Path) -> GGUFInfo:
    path = Path(path)
    try:
        with path.open("rb") as stream:
            return _read(stream, path)
    except (OSError, struct.error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidModelFile(
            f"{path.name} is not a readable GGUF model file ({exc}). "
            "Pick a .gguf file made for llama.cpp."
        ) from exc


def _read(stream: BinaryIO, path: Path) -> GGUFInfo:
    if stream.read(4) != MAGIC:
        raise InvalidModelFile(
            f"{path.name} is not a GGUF model file. Enclave runs llama.cpp models in "
            "GGUF format (.gguf); convert or download the model in that format."
        )
    (version,) = _unpack(stream, "<I")
    if version not in (2, 3):
        raise InvalidModelFile(f"{path.name} uses GGUF version {version}; 2 or 3 expected.")
    tensor_count, kv_count = _unpack(stream, "<QQ")
    metadata = {}
    for _ in range(kv_count):
        key = _string(stream)
        (value_type,) = _unpack(stream, "<I")
        metadata[key] = _value(stream, value_type)
    parameters = sum(_tensor_elements(stream) for _ in range(tensor_count))
    architecture = str(metadata.get("general.architecture", "unknown"))
    file_type = metadata.get("general.file_type")
    return GGUFInfo(
        path=path,
        version=version,
        name=str(metadata.get("general.name") or path.stem),
        architecture=architecture,
        parameters=parameters,
        quantization=FILE_TYPES.get(file_type, f"type {file_type}") if file_type is not None
        else "unknown",
        context_length=metadata.get(f"{architecture}.context_length"),
        size_bytes=path.stat().st_size,
        metadata=metadata,
    )


def _unpack(stream: BinaryIO, fmt: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    data = stream.read(size)
    if len(data) != size:
        raise ValueError("file ends inside the header")
    return struct.unpack(fmt, data)


def _string(stream: BinaryIO) -> str:
    (length,) = _unpack(stream, "<Q")
    if length > _MAX_STRING:
        raise ValueError(f"string of {length} bytes")
    return stream.read(length).decode("utf-8")


def _value(stream: BinaryIO, value_type: int) -> Any:
    if value_type in _SCALARS:
        return _unpack(stream, _SCALARS[value_type])[0]
    if value_type == _STRING:
        return _string(stream)
    if value_type == _ARRAY:
        item_type, count = _unpack(stream, "<IQ")
        items = [_value(stream, item_type) for _ in range(count)]
        # Vocabularies are long; only short arrays are worth keeping.
        return items if count <= 64 else f"<array of {count}>"
    raise ValueError(f"unknown metadata type {value_type}")


def _tensor_elements(stream: BinaryIO) -> int:
    _string(stream)
    (n_dims,) = _unpack(stream, "<I")
    dims = _unpack(stream, f"<{n_dims}Q")
    _unpack(stream, "<IQ")  # tensor type, data offset
    return math.prod(dims)
