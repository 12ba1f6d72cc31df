"""Tagger kinds: the config's `tagger.kind` names a class here, each built from the engine config."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from service.encoder import SentenceEncoder
from service.schemas import ModelInfo
from service.tagger import TagScore, ZeroShotTagger
from service.taxonomy import load_taxonomy
from service.trained_tagger import TrainedTagger

if TYPE_CHECKING:
    from service.analyzer import EncodedArticle, Prepared
    from service.config import EngineConfig


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
    """The zero-shot tagger over the article's body sentences."""

    model_info = None

    def __init__(self, tagger: ZeroShotTagger):
        self.tagger = tagger

    @classmethod
    def from_engine(cls, config: EngineConfig, encoder: SentenceEncoder) -> ZeroShotArticleTagger:
        assert config.tagger.taxonomy is not None  # the config's validator makes sure
        taxonomy = load_taxonomy(config.tagger.taxonomy)
        return cls(
            ZeroShotTagger.build(
                taxonomy.labels, lambda t: encoder.encode(t).vectors, config.tagger.calibration,
                top_k=config.tagger.top_k_descriptions, pooling=config.tagger.pooling,
            )
        )

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
        body = [s.index for s in p.sentences if s.role == "body"]
        return self.tagger.tag(
            doc_vector,
            e.sentence_vectors,
            body,
            max_tags=max_tags,
            min_score=min_score,
            n_evidence=n_evidence,
        )


TAGGER_KINDS: dict[str, type[ZeroShotArticleTagger] | type[TrainedTagger]] = {
    "zero-shot": ZeroShotArticleTagger,
    "trained": TrainedTagger,
}


def build_tagger(config: EngineConfig, encoder: SentenceEncoder) -> ArticleTagger:
    return TAGGER_KINDS[config.tagger.kind].from_engine(config, encoder)
