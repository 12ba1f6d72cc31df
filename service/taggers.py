"""Tagger kinds: the config's `tagger.kind` names a class here, each built from the engine config."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Protocol

import numpy as np

from service.config import PlattConfig
from service.encoder import SentenceEncoder
from service.features import EncodedText
from service.language import identifier, too_short
from service.schemas import ModelInfo
from service.settings import usable_cache_root
from service.tagger import TagScore, ZeroShotTagger, logit, offset_vector, shown, sigmoid
from service.taxonomy import Label, load_taxonomy
from service.trained_tagger import TrainedTagger
from service.vector_cache import encode_cached
from service.zero_shot_head import Correction, ResidualHead, zero_shot_fingerprint

if TYPE_CHECKING:
    from service.analyzer import EncodedArticle, Prepared
    from service.config import CalibrationConfig, EngineConfig


class ArticleTagger(Protocol):
    model_info: ModelInfo | None  # an artifact's name and version; None: the engine config's

    def tag_article(
        self,
        p: Prepared,
        e: EncodedArticle,
        doc_vector: np.ndarray,
        *,
        max_tags: int,
        min_score: float,
        n_evidence: int,
    ) -> list[TagScore]: ...


class ZeroShotArticleTagger:
    """The zero-shot tagger over the article's body sentences, top level first.

    With a hierarchical taxonomy, each shown top-level tag is followed by its best children: a child's
    score is its parent's score times its calibrated score among its siblings (a probability of the
    child given the parent), so a child is never shown without its parent nor above it.
    """

    model_info: ModelInfo | None = None

    def __init__(self, tagger: ZeroShotTagger, children: dict[str, ZeroShotTagger] | None = None, *,
                 max_children: int = 0, parent_min_score: float = 1.0, child_min_score: float = 1.0,
                 head: ResidualHead | None = None, short_head: ResidualHead | None = None,
                 short_max_sentences: int = 2, languages: list[str] | None = None, head_weight: float = 1.0,
                 head_weight_calibration: PlattConfig | None = None,
                 short_head_weight_calibration: PlattConfig | None = None):
        self.tagger = tagger
        self.head_weight = head_weight
        self.head_weight_calibration = head_weight_calibration or PlattConfig()
        self.short_head_weight_calibration = short_head_weight_calibration or PlattConfig()
        self.languages = languages
        self.head = head
        self.short_head = short_head
        self.short_max_sentences = short_max_sentences
        heads = [h.model_info for h in (head, short_head) if h is not None]
        self.model_info = ModelInfo.joined(heads) if heads else None
        self.children = children or {}
        self.max_children = max_children
        self.parent_min_score = parent_min_score
        self.child_min_score = child_min_score

    @classmethod
    def from_engine(cls, config: EngineConfig, encoder: SentenceEncoder) -> ZeroShotArticleTagger:
        cfg = config.tagger
        assert cfg.taxonomy is not None  # the config's validator makes sure
        taxonomy = load_taxonomy(cfg.taxonomy)
        prompts = {lb.code: lb.prompts() for lb in taxonomy.labels}
        # One encoder call (or one cache read) for every description of every level.
        texts = [p for ps in prompts.values() for p in ps]
        vectors = encode_cached(encoder, texts, usable_cache_root())
        ends = np.cumsum([len(ps) for ps in prompts.values()])
        rows = {code: np.arange(e - len(ps), e) for (code, ps), e in zip(prompts.items(), ends, strict=True)}

        def group(labels: list[Label], calibration: CalibrationConfig,
                  offsets: np.ndarray | None = None) -> ZeroShotTagger:
            idx = np.concatenate([rows[lb.code] for lb in labels])
            return ZeroShotTagger(labels, vectors[idx], [len(prompts[lb.code]) for lb in labels], calibration,
                                  top_k=cfg.top_k_descriptions, pooling=cfg.pooling, offsets=offsets)

        top = taxonomy.top_level()
        codes, fingerprint = [lb.code for lb in top], zero_shot_fingerprint(top, cfg, encoder.fingerprint)
        head, short_head = (
            None if path is None else ResidualHead.load(path, codes, fingerprint, f"tagger.{field}")
            for field, path in (("head", cfg.head), ("short_head", cfg.short_head))
        )
        children = {
            lb.code: group(kids, cfg.child_calibration) for lb in top if (kids := taxonomy.children(lb.code))
        }
        if cfg.languages is not None:
            identifier()  # loaded with the models, not by the first request
        top_tagger = group(top, cfg.calibration, offset_vector(top, cfg.offsets))
        return cls(top_tagger, children, max_children=cfg.max_children,
                   parent_min_score=cfg.parent_min_score, child_min_score=cfg.child_min_score, head=head,
                   short_head=short_head, short_max_sentences=cfg.short_max_sentences,
                   languages=cfg.languages, head_weight=cfg.head_weight,
                   head_weight_calibration=cfg.head_weight_calibration,
                   short_head_weight_calibration=cfg.short_head_weight_calibration)

    def tag_article(
        self,
        p: Prepared,
        e: EncodedArticle,
        doc_vector: np.ndarray,
        *,
        max_tags: int,
        min_score: float,
        n_evidence: int,
    ) -> list[TagScore]:
        if self.languages is not None and p.language.other_than(self.languages) is not None:
            return []  # any topic would be a guess (service/language.py)
        body = [s.index for s in p.sentences if s.role == "body"]
        out = []
        vecs = e.sentence_vectors
        probabilities = None
        short = self.short_head is not None and len(body) <= self.short_max_sentences
        head = self.short_head if short else self.head
        if head is not None and not too_short(p.doc):
            doc = EncodedText.of_article(p.sentences, vecs, p.title, e.title_vector)
            calibration = self.short_head_weight_calibration if short else self.head_weight_calibration
            probabilities = functools.partial(self._with_head, head, head.correction(doc), calibration)
        if e.title_vector is not None and too_short(p.doc):
            # A headline over a line or two ("Full report to follow."): the headline says what it is about.
            body, vecs = [*body, len(vecs)], np.concatenate([vecs, e.title_vector[None]])
        for tag in self.tagger.tag(doc_vector, vecs, body, max_tags=max_tags, min_score=min_score,
                                   n_evidence=n_evidence, probabilities=probabilities):
            out.append(tag)
            kids = self.children.get(tag.label.code)
            if kids is None or not self.max_children or tag.score < self.parent_min_score:
                continue
            for kid in kids.tag(doc_vector, vecs, body, max_tags=self.max_children,
                                min_score=self.child_min_score, n_evidence=n_evidence):
                if kid.label.hidden:
                    continue
                kid.score *= tag.score
                if shown(kid.score) >= min_score:
                    out.append(kid)
        for t in out:  # evidence names the article's sentences, not its headline
            t.evidence = [i for i in t.evidence if i < len(e.sentence_vectors)]
        # Score order, children counting towards max_tags; a child never scores above its parent, and the
        # sort is stable, so each still comes after its parent.
        return sorted(out, key=lambda t: -t.score)[:max_tags]

    def _with_head(self, head: ResidualHead, correction: Correction, calibration: PlattConfig,
                   sims: np.ndarray) -> np.ndarray:
        """Top-level probabilities: the zero-shot logits with the head's correction, `head_weight` of it and
        the descriptions' own probabilities for the rest, the mixture recalibrated (less sure than either)."""
        corrected = head.probabilities(self.tagger.logits(sims), correction)
        if self.head_weight == 1.0:
            return corrected
        mixed = self.head_weight * corrected + (1.0 - self.head_weight) * self.tagger.calibrate(sims)
        return sigmoid(calibration.slope * logit(mixed) + calibration.intercept)


TAGGER_KINDS: dict[str, type[ZeroShotArticleTagger] | type[TrainedTagger]] = {
    "zero-shot": ZeroShotArticleTagger,
    "trained": TrainedTagger,
}


def build_tagger(config: EngineConfig, encoder: SentenceEncoder) -> ArticleTagger:
    return TAGGER_KINDS[config.tagger.kind].from_engine(config, encoder)
