"""Sentence vectors of training articles, prepared by the engine itself and cached on disk.

Each article goes through `Analyzer.prepare` (cleaning, sentences, roles) and the engine's encoder, so a
head trains on exactly what it will see when serving. An article's sentences and vectors are stored under
a key made of the encoder's fingerprint (weights, tokenizer, window), the sentence splitter and the text:
a second run, or another recipe on the same articles, encodes nothing again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import spacy
from safetensors import SafetensorError
from safetensors.numpy import load_file, save_file
from tqdm import tqdm

from service.analyzer import Analyzer
from service.config import EncoderConfig, EngineConfig, TaggerConfig
from service.errors import ConfigError, InputError, first_line
from service.features import EncodedText
from service.roles import label_roles
from service.schemas import AnalyzeRequest
from service.settings import DEFAULT_CONFIG
from service.text import Sentence
from training.data import DataError, Example

# Bump when preparation changes in a way the fingerprints below cannot see (2: hard-wrapped lines joined;
# 3: tickers in angle brackets no longer make wire copy HTML; 4: a list of headlines is not wrapped text;
# 5: a full stop after a figure's unit, "£611m.", ends its sentence).
PREPARATION_VERSION = "5"
CHUNK = 128  # articles per encoder call: their sentences are sorted by length together


@functools.lru_cache(maxsize=2)
def engine_for(encoder: EncoderConfig) -> Analyzer:
    """An engine with the training config's encoder; the default spaCy pipeline splits sentences.
    Kept for the process: evaluating right after training, or many runs in tests, load it once."""
    from service.config import load_engine_config

    default = load_engine_config(DEFAULT_CONFIG)
    tagger = TaggerConfig(taxonomy=default.tagger.taxonomy)  # the zero-shot tagger is built, not used
    return Analyzer(
        EngineConfig(name="training", version="0", encoder=encoder, spacy=default.spacy, tagger=tagger)
    )


class VectorCache:
    def __init__(self, root: Path, engine: Analyzer):
        prep = (
            f"{engine.encoder.cache_key}|{engine.config.spacy.package}|{spacy.__version__}|"
            f"{PREPARATION_VERSION}"
        )
        self.dir = root / hashlib.sha256(prep.encode()).hexdigest()[:16]

    @staticmethod
    def key(ex: Example) -> str:
        return hashlib.sha256(f"{ex.title or ''}\x00{ex.text}".encode("utf-8", "surrogatepass")).hexdigest()

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.safetensors"

    def get(self, key: str) -> EncodedText | None:
        path = self._path(key)
        if not path.is_file():
            return None
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata()
        rows = json.loads(meta["sentences"])
        sentences = [
            Sentence(i, a, b, t, para, words=words) for i, (a, b, t, para, _, words) in enumerate(rows)
        ]
        # Roles follow the current rules (roles.py), not those of the run that cached the article.
        label_roles(sentences, meta["title"] or None)
        return EncodedText(sentences, load_file(str(path))["vectors"], meta["title"] or None)

    def put(self, key: str, doc: EncodedText) -> None:
        path = self._path(key)
        rows = [[s.start, s.end, s.text, s.paragraph, s.role, s.words] for s in doc.sentences]
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_file(
                {"vectors": np.ascontiguousarray(doc.vectors)},
                str(tmp),
                metadata={"sentences": json.dumps(rows), "title": doc.title or ""},
            )
            os.replace(tmp, path)  # a killed run leaves whole entries or none
        except (OSError, SafetensorError) as e:  # `train` checks the cache up front, `evaluate` only here
            why = getattr(e, "strerror", None) or first_line(e)
            raise ConfigError(f"cache: cannot write {path}: {why}") from e


def encode_examples(
    engine: Analyzer, examples: Sequence[Example], cache: VectorCache, desc: str
) -> list[EncodedText]:
    """Every example's sentences and vectors, from the cache or freshly encoded (then cached)."""
    keys = [VectorCache.key(ex) for ex in examples]
    out: list[EncodedText | None] = [cache.get(k) for k in keys]
    todo = [i for i, doc in enumerate(out) if doc is None]
    with tqdm(total=len(todo), desc=f"encoding {desc}", unit="article", disable=None, leave=False) as bar:
        for a in range(0, len(todo), CHUNK):
            chunk = todo[a : a + CHUNK]
            prepared = []
            for i in chunk:
                ex = examples[i]
                try:
                    prepared.append(engine.prepare(AnalyzeRequest(text=ex.text, title=ex.title)))
                except InputError as e:
                    raise DataError(f"{ex.source}: {e.message}") from e
            texts = [t for p in prepared for t in p.texts]
            vectors = engine.encoder.encode(texts).vectors
            start = 0
            for i, p in zip(chunk, prepared, strict=True):
                n = len(p.texts)
                doc = EncodedText(p.sentences, vectors[start : start + n], p.title)
                start += n
                cache.put(keys[i], doc)
                out[i] = doc
            bar.update(len(chunk))
    return out  # type: ignore[return-value]
