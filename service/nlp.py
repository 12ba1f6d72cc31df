"""spaCy, loaded once with only the components the engine reads (senter, POS, NER).

Two steps, so that the slow one can run beside the encoder: `segment` finds the sentences (the
tokenizer and a stand-alone `senter`, about a tenth of the pipeline's time), and `annotate` adds
POS and entities to those same Docs later. Together they give exactly what the full pipeline gives.

The pipeline's tokenizer is wrapped (`RunCuttingTokenizer`): spaCy's costs the square of a whitespace-free
run's length (a run of "!" or emoji, stripped one suffix at a time), and holds the GIL while it works.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path

from spacy.tokens import Doc
from thinc.api import use_ops

from service.config import SpacyConfig
from service.errors import ConfigError
from service.model_folder import check_components, shipped_components
from service.pos_table import FACTORY as POS_TABLE
from service.pos_table import PosTable

_PENDING = "newsdesk_pending_annotation"  # Doc.user_data key: segmented, not yet annotated
# Whitespace-free runs longer than this are tokenized in pieces of this many characters. spaCy's
# tokenizer strips a run's punctuation one character at a time, searching the rest again each time:
# 16,000 "!" took 21 s, 40,000 emoji 130 s. A run of 256 costs 4-13 ms, so at worst ~35 us a
# character (bench/README.md, "Pathological input: long runs without spaces"); URLs and hyphenated
# words are shorter (the longest run in the 2,225 BBC articles: 32 characters).
MAX_RUN = 256


class RunCuttingTokenizer:
    """spaCy's tokenizer, but a whitespace-free run longer than `max_run` characters is cut every
    `max_run` characters and each piece tokenized on its own, so that its cost grows with the run's
    length, not with its square. The Doc's text is the text given, character for character; a text
    without such a run goes to the tokenizer untouched. Anything else (rules, `memory_zone`,
    serialisation) is the wrapped tokenizer's."""

    __slots__ = ("max_run", "tokenizer", "_long_run")

    def __init__(self, tokenizer, max_run: int = MAX_RUN):
        object.__setattr__(self, "tokenizer", tokenizer)
        object.__setattr__(self, "max_run", max_run)
        # Only from a run's first character (the lookbehind), so finding them is linear too.
        object.__setattr__(self, "_long_run", re.compile(rf"(?<!\S)\S{{{max_run + 1},}}"))

    def __call__(self, text: str) -> Doc:
        n = self.max_run
        cuts = [i for m in self._long_run.finditer(text) for i in range(m.start() + n, m.end(), n)]
        if not cuts:
            return self.tokenizer(text)
        bounds = [0, *cuts, len(text)]
        # Each cut has no whitespace on either side, so the pieces join with nothing between them. Only
        # what a tokenizer sets is copied (the text, spaces, and NORM from its exceptions: "n't" -> "not"):
        # all of it would also copy each piece's first token's sent_start, a sentence start at every cut.
        docs = [self.tokenizer(text[a:b]) for a, b in pairwise(bounds)]
        return Doc.from_docs(docs, ensure_whitespace=False, attrs=["NORM"])

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)

    def __getattr__(self, name: str):  # only for names the wrapper itself does not have
        if name in RunCuttingTokenizer.__slots__:
            raise AttributeError(name)
        return getattr(self.tokenizer, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.tokenizer, name, value)

    def __reduce__(self):
        return RunCuttingTokenizer, (self.tokenizer, self.max_run)


class SpacyPipeline:
    def __init__(self, cfg: SpacyConfig):
        try:
            mod = importlib.import_module(cfg.package)
        except ImportError as e:
            raise ConfigError(f"spacy.package: cannot import {cfg.package!r}: {e}") from e
        names = shipped_components(Path(mod.__file__).parent)
        if names is None:  # no meta.json: only the loaded pipeline says what it ships
            names = set(mod.load().component_names)
        check_components(cfg, names)
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
        nlp.tokenizer = RunCuttingTokenizer(nlp.tokenizer)  # nlp(), nlp.pipe() and make_doc all call it
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
