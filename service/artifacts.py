"""A trained model on disk: a folder whose files are a contract between `training/` and the engine.

    <artifact>/manifest.json        name, version, created, task, base encoder, taxonomy, metrics, model shape
    <artifact>/weights.safetensors  the head (and thresholds, feature scaling); never pickle
    <artifact>/vocab.json           the sparse TF-IDF view's terms, when the head has one
    <artifact>/encoder/             a fine-tuned encoder (save_pretrained), when the encoder was trained
    <artifact>/config.yaml          the resolved training config
    <artifact>/README.md            the model card with the evaluation table
    <artifact>/*.png                plots

Artifacts of one recipe live side by side in an output folder (`<name>-<version>/`); the file `ACTIVE`
there names the promoted one, so an engine config may point at the output folder and follow promotions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.config import format_validation_error
from service.errors import ConfigError

MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
VOCAB = "vocab.json"
ENCODER_DIR = "encoder"
RESOLVED_CONFIG = "config.yaml"
MODEL_CARD = "README.md"
ACTIVE = "ACTIVE"  # in an output folder: the folder name of the promoted artifact
FORMAT_VERSION = 1

Task = Literal["multi-class", "multi-label", "extractive-summary", "zero-shot-residual"]
RESIDUAL_TASK = "zero-shot-residual"
MAIN_METRIC: dict[str, str] = {
    "multi-class": "accuracy",
    "multi-label": "micro_f1",
    "extractive-summary": "rouge2",
    "zero-shot-residual": "accuracy",
}


class ArtifactLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name: str
    description: str = ""
    iptc: str | None = None  # the IPTC Media Topic this label maps to, if any


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: int = FORMAT_VERSION
    name: str
    version: str
    created: str
    task: Task
    base_encoder: str
    encoder_finetuned: bool = False
    taxonomy: list[ArtifactLabel] = []
    data_fingerprint: str
    metrics: dict[str, Any] = {}
    main_metric: str
    # What the loader needs to rebuild the model: head sizes, feature settings.
    model: dict[str, Any] = Field(default_factory=dict)
    files: list[str]
    versions: dict[str, str] = {}

    @property
    def main_value(self) -> float:
        return float(self.metrics[self.main_metric])


def resolve_artifact(path: str | Path, field: str | None = None) -> Path:
    """The artifact folder at `path`, or the one an output folder's `ACTIVE` file names. Errors start with
    `field`, when given: the engine config's field that named the path."""
    path = Path(path)
    if (path / MANIFEST).is_file():
        return path
    named = "" if field is None else f"{field}: "
    active = path / ACTIVE
    if active.is_file():
        name = active.read_text(encoding="utf-8").strip()
        if not name:
            raise ConfigError(f"{named}{active} is empty: it should name the active artifact's folder")
        target = path / name
        if (target / MANIFEST).is_file():
            return target
        raise ConfigError(f"{named}{active} names {target.name!r}, which is not an artifact folder")
    if not path.exists():
        raise ConfigError(f"{named}no artifact at {path}")
    raise ConfigError(f"{named}{path} is not an artifact: it has no {MANIFEST} and no {ACTIVE} file")


# The artifacts an engine config's fields name: the tasks each may have, and what the field wants.
FIELD_TASKS: dict[str, tuple[tuple[str, ...], str]] = {
    "tagger.artifact": (("multi-class", "multi-label"), "a tagger"),
    "tagger.head": ((RESIDUAL_TASK,), f"a {RESIDUAL_TASK} head"),
    "tagger.short_head": ((RESIDUAL_TASK,), f"a {RESIDUAL_TASK} head"),
    "summarizer.artifact": (("extractive-summary",), "a summariser"),
}


def load_manifest(path: str | Path, field: str | None = None) -> tuple[Path, Manifest]:
    """The artifact folder and its manifest; every file the manifest lists must be there. For an engine
    config's `field` (a key of FIELD_TASKS), the artifact must be of a task that field takes."""
    folder = resolve_artifact(path, field)
    source = folder / MANIFEST
    try:
        manifest = Manifest.model_validate(json.loads(source.read_text(encoding="utf-8")))
    except json.JSONDecodeError as e:
        raise ConfigError(f"{source}: not valid JSON: {e.msg} at line {e.lineno}") from e
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, str(source))) from e
    if manifest.format_version > FORMAT_VERSION:
        raise ConfigError(
            f"{source}: format_version {manifest.format_version} is newer than this "
            f"newsdesk reads ({FORMAT_VERSION}); upgrade newsdesk"
        )
    missing = [f for f in manifest.files if not (folder / f).exists()]
    if missing:
        raise ConfigError(f"artifact {folder} is incomplete: missing {', '.join(missing)}")
    if field is not None:
        tasks, wanted = FIELD_TASKS[field]
        if manifest.task not in tasks:
            raise ConfigError(f"{field}: {folder} is not {wanted} (its manifest's task is {manifest.task})")
    return folder, manifest
