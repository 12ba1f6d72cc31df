"""spaCy, loaded once with only the components the engine reads (senter, POS, NER).

Two steps, so that the slow one can run beside the encoder: `segment` finds the sentences (the
tokenizer and a stand-alone `senter`, about a tenth of the pipeline's time), and `annotate` adds
POS and entities to those same Docs later. Together they give exactly what the full pipeline gives.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path

import spacy
from spacy.tokens import Doc
from thinc.api import use_ops

from service.config import SpacyConfig
from service.errors import ConfigError
from service.pos_table import FACTORY as POS_TABLE
from service.pos_table import PosTable

_PENDING = "newsdesk_pending_annotation"  # Doc.user_data key: segmented, not yet annotated


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
        # Without `attribute_ruler` among the components, POS comes from its table (service/pos_table.py).
        table_only = "tagger" in cfg.components and "attribute_ruler" in names - set(cfg.components)
        keep = set(cfg.components) | ({"attribute_ruler"} if table_only else set())
        # Matrix products through numpy (OpenBLAS) rather than thinc's blis, whose wheel falls back to its
        # generic kernels on CPUs it does not know (AMD Zen 5 here): tok2vec and NER 42 -> 29 ms a BBC
        # article, the same tags and entities on all 2,225 (bench/README.md, "Where the CPU went").
        with use_ops("numpy", use_blis=False):
            nlp = mod.load(exclude=[c for c in names if c not in keep])
        for c in keep:
            if c in nlp.disabled:
                nlp.enable_pipe(c)
        if table_only and (table := PosTable.of(nlp.get_pipe("attribute_ruler"), "parser" in keep)):
            nlp.add_pipe(POS_TABLE, after="attribute_ruler", config=asdict(table))
            nlp.remove_pipe("attribute_ruler")
        nlp.max_length = cfg.max_length
        self.nlp = nlp
        self.has_pos = "tagger" in cfg.components
        # `senter` can run first only when its model is its own (no listener on a shared tok2vec).
        listened = {c for _, p in nlp.pipeline for c in getattr(p, "listening_components", [])}
        early = {"senter"} - listened
        self._segmenters = [(n, p) for n, p in nlp.pipeline if n in early]
        self._annotators = [(n, p) for n, p in nlp.pipeline if n not in early]

    def __call__(self, text: str) -> Doc:
        return self.nlp(text)

    def pipe(self, texts: Iterable[str], batch_size: int = 16) -> Iterable[Doc]:
        return self.nlp.pipe(texts, batch_size=batch_size)

    def segment(self, text: str) -> Doc:
        """A Doc with sentence boundaries; `annotate` adds the rest. Without a stand-alone senter,
        the whole pipeline runs here and `annotate` has nothing left to do."""
        if not self._segmenters:
            return self.nlp(text)
        doc = self.nlp.make_doc(text)
        for _, proc in self._segmenters:
            doc = proc(doc)
        doc.user_data[_PENDING] = True
        return doc

    def annotate(self, docs: list[Doc]) -> None:
        """Run the remaining components (tok2vec, tagger, NER, ...) on segmented Docs, in place."""
        todo = [d for d in docs if d.user_data.get(_PENDING)]
        for _, proc in self._annotators:
            for _ in proc.pipe(todo) if hasattr(proc, "pipe") else map(proc, todo):
                pass  # each component sets its annotations on the Docs themselves
        for d in todo:
            del d.user_data[_PENDING]
