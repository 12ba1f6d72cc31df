"""Tags from a head trained by `newsdesk train`, loaded from its artifact folder.

The head reads dense views over the article's sentence vectors and, when it was trained with one, a sparse
TF-IDF row. A frozen-encoder artifact reads the engine's own vectors; a fine-tuned one carries its encoder
and re-encodes the article's sentences with it. Tags carry the artifact taxonomy's codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from service.artifacts import ENCODER_DIR, VOCAB, WEIGHTS, Manifest, load_manifest
from service.config import EncoderConfig
from service.encoder import SentenceEncoder
from service.errors import ConfigError
from service.features import EncodedText, TfidfView, article_views, dense_rows
from service.heads import TopicHead, load_head
from service.schemas import ModelInfo
from service.tagger import TagScore, shown
from service.taxonomy import Label

if TYPE_CHECKING:
    from service.analyzer import EncodedArticle, Prepared
    from service.config import EngineConfig


@dataclass
class TopicModel:
    """A topic head with the feature settings it was trained with."""

    head: TopicHead
    tfidf: TfidfView | None
    views: list[str]
    lead: int
    multi_label: bool
    at_least_one: bool = False  # multi-label: tag the best label when none reaches its threshold

    def dense(self, doc: EncodedText, vectors: torch.Tensor | None = None) -> torch.Tensor:
        v = torch.from_numpy(doc.vectors) if vectors is None else vectors
        return article_views(v, doc.plan(self.lead), self.views)

    def sparse(self, texts: Sequence[str]) -> torch.Tensor | None:
        if self.tfidf is None:
            return None
        indptr, indices, values = self.tfidf.sparse_rows(texts)
        return dense_rows(indptr, indices, values, range(len(texts)), len(self.tfidf))

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Multi-label: sigmoid(logit - threshold), so 0.5 is each label's tuned decision point."""
        if self.multi_label:
            return torch.sigmoid(logits - self.head.thresholds.to(logits.device))
        return torch.softmax(logits, dim=-1)

    @torch.inference_mode()
    def predict(self, docs: Sequence[EncodedText]) -> np.ndarray:
        """(articles, labels) probabilities."""
        dense = torch.stack([self.dense(d) for d in docs])
        return self.probabilities(self.head(dense, self.sparse([d.terms_text for d in docs]))).numpy()


def load_topic_model(folder: Path, manifest: Manifest) -> TopicModel:
    m = manifest.model
    return read_topic_model(m, folder / WEIGHTS, folder / VOCAB, manifest.task == "multi-label")


def read_topic_model(spec: dict[str, Any], weights: Path, vocab: Path, multi_label: bool) -> TopicModel:
    """A topic model from its manifest entry (`head` shape, `views`, `lead`), weights and TF-IDF vocabulary
    (read only when the head has a sparse part)."""
    head = load_head("topic", spec["head"], weights)
    tfidf = TfidfView.load(vocab) if spec["head"]["vocab_size"] else None
    assert isinstance(head, TopicHead)
    return TopicModel(
        head,
        tfidf,
        list(spec["views"]),
        int(spec["lead"]),
        multi_label,
        bool(spec.get("at_least_one", False)),
    )


class TrainedTagger:
    def __init__(self, manifest: Manifest, model: TopicModel, encoder: SentenceEncoder | None):
        self.manifest = manifest
        self.model = model
        self.encoder = encoder  # a fine-tuned encoder of its own, or None: the engine's vectors
        self.labels = [Label(code=lb.code, name=lb.name) for lb in manifest.taxonomy]

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(name=self.manifest.name, version=self.manifest.version)

    @classmethod
    def load(cls, path: Path, base: SentenceEncoder) -> TrainedTagger:
        folder, manifest = load_manifest(path, "tagger.artifact")
        encoder = None
        if manifest.encoder_finetuned:
            own = EncoderConfig(
                package=None,
                path=folder / ENCODER_DIR,
                max_tokens=base.cfg.max_tokens,
                batch_size=base.cfg.batch_size,
            )
            encoder = SentenceEncoder(own)
        elif manifest.model.get("encoder_fingerprint") != base.fingerprint:
            raise ConfigError(
                f"tagger.artifact: {folder} was trained on vectors of another encoder "
                f"({manifest.base_encoder}); configure that encoder or retrain"
            )
        return cls(manifest, load_topic_model(folder, manifest), encoder)

    @classmethod
    def from_engine(cls, config: EngineConfig, encoder: SentenceEncoder) -> TrainedTagger:
        assert config.tagger.artifact is not None  # the config's validator makes sure
        return cls.load(config.tagger.artifact, encoder)

    def encoded_text(self, p: Prepared, e: EncodedArticle) -> EncodedText:
        doc = EncodedText.of_article(p.sentences, e.sentence_vectors, p.title, e.title_vector)
        if self.encoder is not None:
            doc.vectors = self.encoder.encode(p.texts).vectors
        return doc

    @torch.inference_mode()
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
        doc = self.encoded_text(p, e)
        m = self.model
        dense = m.dense(doc)[None]
        logits = m.head(dense, m.sparse([doc.terms_text]))[0]
        probs = m.probabilities(logits).numpy()
        ranked = [int(i) for i in np.argsort(-probs, kind="stable")[:max_tags]]
        order = [i for i in ranked if shown(probs[i]) >= min_score] or (ranked[:1] if m.at_least_one else [])
        evidence = self._evidence(doc, order, n_evidence)
        return [
            TagScore(self.labels[i], float(probs[i]), evidence.get(i, [])) for i in order
        ]

    def _evidence(self, doc: EncodedText, labels: list[int], n: int) -> dict[int, list[int]]:
        """Per label, the body sentences that score it highest on their own (each sentence standing in
        for every sentence view, beside the article's title)."""
        body = doc.plan(self.model.lead).body
        if not (labels and n and body):
            return {}
        title_rows = doc.vectors[len(doc.sentences) :]
        singles = [
            EncodedText(
                [replace(doc.sentences[i], index=0, role="body")],
                np.concatenate([doc.vectors[[i]], title_rows]),
                doc.title,
            )
            for i in body
        ]
        dense = torch.stack([self.model.dense(d) for d in singles])
        logits = self.model.head(dense, self.model.sparse([s.sentences[0].text for s in singles]))
        out = {}
        for li in labels:
            best = torch.argsort(-logits[:, li], stable=True)[:n].tolist()
            out[li] = sorted(body[j] for j in best)
        return out
