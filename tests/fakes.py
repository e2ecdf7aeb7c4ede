"""Fakes that implement the engine's protocols, for fast unit tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from keyring.backend import KeyringBackend

_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Bag-of-words hashed into a small vector: similar words give similar vectors."""

    def __init__(self, dim: int = 64, model_id: str = "fake-embedder") -> None:
        self.model_id = model_id
        self.batch_size = 16
        self._dim = dim
        self.calls = 0
        self.embedded = 0

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def max_tokens(self) -> int:
        return 256

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.embedded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self._dim
                out[row, bucket] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) + t.count(".") for t in texts]


def paragraph_loader(path, settings):  # type: ignore[no-untyped-def]
    """A Loader for unit tests: paragraphs of a UTF-8 file; '# ' lines are headings.

    A file whose text starts with FAIL: raises the IngestError it names; BOOM: raises a
    plain exception, as a buggy parser would.
    """
    from core.errors import IngestError
    from core.ingest.document import Block, Document

    text = path.read_text(encoding="utf-8")
    if text.startswith("FAIL:"):
        raise IngestError(f"{path.name}: {text[5:].strip()}", text[5:].split()[0])
    if text.startswith("BOOM"):
        raise RuntimeError("parser exploded")
    blocks, heading = [], ()
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip()
        if paragraph.startswith("# "):
            heading = (paragraph[2:],)
            blocks.append(Block(paragraph[2:], heading_path=heading, is_heading=True))
        elif paragraph:
            blocks.append(Block(paragraph, heading_path=heading))
    return Document(path, heading[0] if heading else path.stem, blocks)


class MemoryKeyring(KeyringBackend):
    """The OS keyring stand-in: a dict (CI machines have no keyring daemon)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)
