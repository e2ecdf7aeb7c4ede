"""One settings model, saved as TOML in the data directory.

Environment variables override the file: ENCLAVE_INDEX__CHUNK_TOKENS=200 and so on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from core.errors import SettingsError
from core.guard.settings import GuardSettings
from core.llm.cloud.settings import CloudSettings
from core.llm.settings import LLMSettings

SETTINGS_FILE = "settings.toml"
# MiniLM with 8-bit weights on ONNX Runtime: ~2x the chunks/s of torch, same retrieval
# (benchmarks/embed_backends.py, embed_quality_scifact.py). "all-MiniLM-L6-v2" alone runs
# it on torch through sentence-transformers.
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2@onnx-int8"


class IngestSettings(BaseModel):
    max_file_mb: float = Field(200.0, gt=0, description="Larger files are refused.")
    max_pages: int = Field(5000, gt=0)
    ocr: bool = True
    ocr_language: str = "eng"
    workers: int = Field(1, ge=1, le=8, description="Parser threads alongside the embedder.")


class IndexSettings(BaseModel):
    embed_model: str = Field(
        DEFAULT_EMBED_MODEL,
        description="all-MiniLM-L6-v2 (bundled) or a local sentence-transformers directory; "
        "@onnx-int8 or @onnx after it runs it on ONNX Runtime (exported once), none on torch.",
    )
    chunk_tokens: int = Field(200, ge=32, le=2048)
    chunk_overlap: int = Field(32, ge=0, le=512)
    embed_batch: int = Field(32, ge=1, le=1024)
    # Chunks embedded and committed together: larger embeds faster, smaller commits sooner.
    embed_window: int = Field(256, ge=1, le=8192)
    rrf_k: int = Field(60, ge=1)
    # From this many chunks on, vector search uses an ANN index instead of a flat scan.
    ann_threshold: int = Field(50_000, ge=1000)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENCLAVE_", env_nested_delimiter="__")

    ingest: IngestSettings = IngestSettings()
    index: IndexSettings = IndexSettings()
    llm: LLMSettings = LLMSettings()
    guard: GuardSettings = GuardSettings()
    cloud: CloudSettings = CloudSettings()  # ENCLAVE_CLOUD__MODE=cloud and so on

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the saved file (passed in as init values).
        return (env_settings, init_settings)

    @classmethod
    def load(cls, home: Path) -> Settings:
        return cls._validated(_read_file(home / SETTINGS_FILE), home / SETTINGS_FILE)

    @classmethod
    def update_file(cls, home: Path, changes: dict[str, dict[str, Any]]) -> Settings:
        """Merge changes such as {"guard": {"injection_action": "block"}} into the saved
        file, validated first. Only what was set goes to the file: values that come from
        the environment stay out of it."""
        path = home / SETTINGS_FILE
        data = _read_file(path)
        for section, values in changes.items():
            if section not in cls.model_fields:
                raise SettingsError(f"There is no settings section {section!r}.")
            data.setdefault(section, {}).update(values)
        settings = cls._validated(data, path)
        _write_toml(path, data)
        return settings

    @classmethod
    def _validated(cls, data: dict[str, Any], path: Path) -> Settings:
        try:
            return cls(**data)
        except ValidationError as exc:
            raise SettingsError(f"Invalid settings in {path}: {exc}") from exc

    def save(self, home: Path) -> None:
        _write_toml(home / SETTINGS_FILE, self.model_dump(mode="json", exclude_none=True))


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"Cannot read {path}: {exc}") from exc


def _write_toml(path: Path, data: dict[str, Any]) -> None:
    import tomli_w

    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), "utf-8")
    tmp.replace(path)
