"""Zero-shot topic tagging by similarity to label descriptions, calibrated to 0..1."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from service.config import CalibrationConfig, TaggerConfig
from service.errors import ConfigError
from service.taxonomy import Label

Pooling = Literal["sentences", "document"]
_DEFAULT_TOP_K: int = TaggerConfig.model_fields["top_k_descriptions"].default
_DEFAULT_POOLING: Pooling = TaggerConfig.model_fields["pooling"].default


@dataclass
class TagScore:
    label: Label
    score: float
    evidence: list[int]


SCORE_DECIMALS = 4  # as a response shows a score; `min_score` is compared with what is shown


def shown(score: float) -> float:
    return round(float(score), SCORE_DECIMALS)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def logit(p: np.ndarray) -> np.ndarray:
    """The inverse of `sigmoid`, finite at 0 and 1."""
    return np.log(np.clip(p, 1e-7, 1.0)) - np.log(np.clip(1.0 - p, 1e-7, 1.0))


def calibrated_logits(c: CalibrationConfig, scores: np.ndarray) -> np.ndarray:
    """slope * s + margin_slope * lead(s) + intercept along the last axis (see `CalibrationConfig`)."""
    return c.slope * scores + c.margin_slope * lead(scores) + c.intercept


def lead(sims: np.ndarray) -> np.ndarray:
    """Each label's score minus the best other label's score (along the last axis).

    Positive only for the top label (by how far it leads), zero for ties at the top, and for
    every other label the (negative) gap to the top.
    """
    if sims.shape[-1] < 2:
        return np.zeros_like(sims)
    part = np.partition(sims, -2, axis=-1)
    best, second = part[..., -1:], part[..., -2:-1]
    return sims - np.where(sims >= best, second, best)


class ZeroShotTagger:
    """Scores labels by how closely an article's text matches each label's descriptions.

    A text's score for a label is the mean cosine similarity of the label's `top_k` descriptions
    closest to it: a label is described by several sentences, one per sub-area, and a text only
    needs to match the sub-areas it is about. With pooling "sentences" an article's score is the
    mean of its body sentences' scores (each sentence picks its own closest descriptions); with
    "document", or when there is no body sentence, it is the score of the document vector.

    Calibration is monotone in the score within a document, so it never changes the ranking;
    it turns scores into probabilities. `offsets` (one per label) are added to every text's scores: a
    prior for labels whose descriptions match news more or less readily than others'.
    """

    def __init__(self, labels: list[Label], description_vectors: np.ndarray, counts: list[int],
                 calibration: CalibrationConfig, *, top_k: int = _DEFAULT_TOP_K,
                 pooling: Pooling = _DEFAULT_POOLING, offsets: np.ndarray | None = None):
        if len(counts) != len(labels) or sum(counts) != len(description_vectors) or min(counts) < 1:
            raise ValueError(f"{len(labels)} labels need one or more descriptions each: got counts {counts} "
                             f"for {len(description_vectors)} description vectors")
        self.labels = labels
        self.calibration = calibration
        self.top_k = top_k
        self.pooling = pooling
        self.descriptions = np.asarray(description_vectors, np.float32)
        self.offsets = np.asarray(np.zeros(len(labels)) if offsets is None else offsets, np.float32)
        if self.offsets.shape != (len(labels),):
            raise ValueError(f"{len(labels)} labels need as many offsets: got shape {self.offsets.shape}")
        ends = np.cumsum(counts)
        self._spans = list(zip((ends - counts).tolist(), ends.tolist(), strict=True))

    @classmethod
    def build(cls, labels: list[Label], encode: Callable[[list[str]], np.ndarray],
              calibration: CalibrationConfig, *, top_k: int = _DEFAULT_TOP_K,
              pooling: Pooling = _DEFAULT_POOLING, offsets: np.ndarray | None = None) -> ZeroShotTagger:
        prompts = [lb.prompts() for lb in labels]
        return cls(labels, encode([p for ps in prompts for p in ps]), [len(ps) for ps in prompts],
                   calibration, top_k=top_k, pooling=pooling, offsets=offsets)

    def text_scores(self, vectors: np.ndarray, leave_out: np.ndarray | None = None) -> np.ndarray:
        """(texts, labels): each text's mean similarity to the label's top_k closest descriptions.

        `leave_out` gives, per text, the row of one description it is not compared with (-1: none): a
        description scored against its own label's other descriptions, as an unseen text would be.
        """
        sims = np.asarray(vectors, np.float32) @ self.descriptions.T
        if leave_out is not None:
            rows = np.flatnonzero(leave_out >= 0)
            sims[rows, leave_out[rows]] = -np.inf
        out = np.empty((len(sims), len(self.labels)), np.float32)
        for j, (a, b) in enumerate(self._spans):
            k = min(self.top_k, b - a)
            best = np.partition(sims[:, a:b], b - a - k, axis=1)[:, b - a - k :]
            if leave_out is None:
                out[:, j] = best.mean(1)
            else:  # a label with no more than top_k descriptions averages the ones left
                kept = np.isfinite(best)
                out[:, j] = np.where(kept, best, 0).sum(1) / np.maximum(kept.sum(1), 1)
        return out + self.offsets

    def similarities(self, doc_vector: np.ndarray, sentence_vectors: np.ndarray,
                     candidates: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The article's score per label, and the candidate sentences' scores (candidates × labels)."""
        per_sentence = self.text_scores(sentence_vectors[candidates])
        if self.pooling == "sentences" and candidates:
            return per_sentence.mean(0), per_sentence
        return self.text_scores(doc_vector[None])[0], per_sentence

    def logits(self, sims: np.ndarray) -> np.ndarray:
        return calibrated_logits(self.calibration, sims)

    def calibrate(self, sims: np.ndarray) -> np.ndarray:
        return sigmoid(self.logits(sims))

    def tag(self, doc_vector: np.ndarray, sentence_vectors: np.ndarray, candidates: list[int],
            *, max_tags: int, min_score: float, n_evidence: int,
            probabilities: Callable[[np.ndarray], np.ndarray] | None = None) -> list[TagScore]:
        """The labels by probability, at most `max_tags`, none under `min_score`. `probabilities` turns
        the similarity scores into probabilities in place of the calibration (a trained head does)."""
        sims, per_sentence = self.similarities(doc_vector, sentence_vectors, candidates)
        probs = (probabilities or self.calibrate)(sims)
        order = np.argsort(-probs, kind="stable")
        out = []
        for li in order[:max_tags]:
            if shown(probs[li]) < min_score:
                break
            evidence: list[int] = []
            if n_evidence and candidates:
                best = np.argsort(-per_sentence[:, li], kind="stable")[:n_evidence]
                evidence = sorted(candidates[j] for j in best)
            out.append(TagScore(self.labels[li], float(probs[li]), evidence))
        return out


def offset_vector(labels: list[Label], offsets: dict[str, float]) -> np.ndarray:
    """`tagger.offsets` in the labels' order; a code that is not one of these labels is a config error."""
    codes = [lb.code for lb in labels]
    if unknown := sorted(set(offsets) - set(codes)):
        raise ConfigError(f"tagger.offsets: {', '.join(unknown)} is not a top-level label of the taxonomy")
    return np.array([offsets.get(c, 0.0) for c in codes], np.float32)
