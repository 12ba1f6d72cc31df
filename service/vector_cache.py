"""Vectors of fixed texts (a taxonomy's label descriptions) kept on disk between starts.

Encoding hundreds of descriptions is most of a cold start's work; the vectors depend only on the encoder
(its fingerprint: weights, tokenizer, window) and the texts, so a restart reads them back instead.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file

from service.encoder import SentenceEncoder


def cache_path(root: Path, encoder: SentenceEncoder, texts: list[str]) -> Path:
    h = hashlib.sha256(encoder.cache_key.encode())
    for t in texts:
        h.update(b"\x00" + t.encode("utf-8", "surrogatepass"))
    return root / "descriptions" / f"{h.hexdigest()[:24]}.safetensors"


def encode_cached(encoder: SentenceEncoder, texts: list[str], root: Path | None) -> np.ndarray:
    """The texts' vectors, read from `root` when an earlier run stored them; None: no cache."""
    if root is None:
        return encoder.encode(texts).vectors
    path = cache_path(root, encoder, texts)
    try:
        vectors = load_file(str(path))["vectors"]
        if vectors.shape == (len(texts), encoder.dim):
            return vectors
    except (OSError, SafetensorError, KeyError):
        pass  # absent or unreadable: encode and store again
    vectors = encoder.encode(texts).vectors
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        save_file({"vectors": np.ascontiguousarray(vectors)}, str(tmp))
        os.replace(tmp, path)  # whole files only, even when two servers start at once
    except OSError:
        pass  # a read-only home: serve without the cache
    return vectors
