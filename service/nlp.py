"""spaCy, loaded once with only the components the engine reads (senter, POS, NER)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.tokens import Doc

from service.config import SpacyConfig
from service.errors import ConfigError


class SpacyPipeline:
    def __init__(self, cfg: SpacyConfig):
        try:
            mod = importlib.import_module(cfg.package)
        except ImportError as e:
            raise ConfigError(f"spacy.package: cannot import {cfg.package!r}: {e}") from e
        names = set(spacy.util.load_meta(Path(mod.__file__).parent / "meta.json")["components"]) \
            if (Path(mod.__file__).parent / "meta.json").exists() else set(mod.load().component_names)
        unknown = [c for c in cfg.components if c not in names]
        if unknown:
            raise ConfigError(f"spacy.components: {unknown} not in {cfg.package} ({sorted(names)})")
        nlp = mod.load(exclude=[c for c in names if c not in cfg.components])
        for c in cfg.components:
            if c in nlp.disabled:
                nlp.enable_pipe(c)
        nlp.max_length = cfg.max_length
        self.nlp = nlp
        self.has_pos = "tagger" in cfg.components

    def __call__(self, text: str) -> Doc:
        return self.nlp(text)

    def pipe(self, texts: Iterable[str], batch_size: int = 16) -> Iterable[Doc]:
        return self.nlp.pipe(texts, batch_size=batch_size)
