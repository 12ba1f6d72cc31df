"""Where an encoder's files are, and a hash of them, and which components a spaCy package ships: no torch,
transformers or spaCy, so that a process that only checks or records which model it will run (`newsdesk
score`'s main process, `newsdesk serve` before it starts) stays light."""

from __future__ import annotations

import hashlib
import importlib
import json
from pathlib import Path

from service.config import EncoderConfig, SpacyConfig
from service.errors import ConfigError


def resolve_encoder_path(cfg: EncoderConfig) -> Path:
    if cfg.path is not None:
        if not cfg.path.is_dir():
            raise ConfigError(f"encoder.path: no model folder at {cfg.path}")
        return cfg.path
    if cfg.package is None:
        raise ConfigError("encoder: set either `package` or `path`")
    try:
        mod = importlib.import_module(cfg.package)
    except ImportError as e:
        raise ConfigError(f"encoder.package: cannot import {cfg.package!r}: {e}") from e
    path = Path(mod.__file__).parent / "model"
    if not path.is_dir():
        raise ConfigError(f"encoder.package: {cfg.package!r} carries no model folder at {path}")
    return path


_FINGERPRINTED = ("config.json", "tokenizer.json", "vocab.txt", "model.safetensors", "pytorch_model.bin")
# Weights that save_pretrained(max_shard_size=...) splits, and their index: present only in a sharded
# folder, so adding them leaves the fingerprint of a single-file folder (every shipped encoder's, which
# trained artifacts record) as it was.
SHARDED = ("model.safetensors.index.json", "model-*-of-*.safetensors",
           "pytorch_model.bin.index.json", "pytorch_model-*-of-*.bin")


def folder_files(path: Path, names: tuple[str, ...]) -> list[Path]:
    """The files of `path` that `names` (file names or glob patterns) name, in that order; the files a
    pattern matches sorted by name."""
    out: list[Path] = []
    for name in names:
        found = sorted(path.glob(name)) if any(c in name for c in "*?[") else [path / name]
        out.extend(f for f in found if f.is_file())
    return out


def files_fingerprint(path: Path, names: tuple[str, ...], salt: str) -> str:
    """A short hash of `salt` and the names and bytes of the files of `path` that `names` name."""
    h = hashlib.sha256(salt.encode())
    for f in folder_files(path, names):
        h.update(f.name.encode())
        with f.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 22), b""):
                h.update(block)
    return h.hexdigest()[:16]


def encoder_fingerprint(path: Path, max_tokens: int) -> str:
    """A short hash of what an encoder's vectors depend on: its weights, tokenizer and window."""
    return files_fingerprint(path, _FINGERPRINTED + SHARDED, f"window={max_tokens}")


def shipped_components(package_dir: Path) -> set[str] | None:
    """The components the spaCy package in `package_dir` ships, from its meta.json, read without loading
    the package (or spaCy); None without one."""
    meta = package_dir / "meta.json"
    return set(json.loads(meta.read_text(encoding="utf-8"))["components"]) if meta.exists() else None


def check_components(cfg: SpacyConfig, shipped: set[str]) -> None:
    """Every component `cfg` names is one its package ships."""
    unknown = [c for c in cfg.components if c not in shipped]
    if unknown:
        raise ConfigError(f"spacy.components: {unknown} not in {cfg.package} ({sorted(shipped)})")
