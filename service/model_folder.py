"""Where an encoder's files are, and a hash of them: no torch or transformers, so that a process that only
checks or records which model it will run (`newsdesk score`'s main process) stays light."""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

from service.config import EncoderConfig
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


def encoder_fingerprint(path: Path, max_tokens: int) -> str:
    """A short hash of what an encoder's vectors depend on: its weights, tokenizer and window."""
    h = hashlib.sha256(f"window={max_tokens}".encode())
    for name in _FINGERPRINTED:
        f = path / name
        if f.is_file():
            h.update(name.encode())
            with f.open("rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 22), b""):
                    h.update(block)
    return h.hexdigest()[:16]
