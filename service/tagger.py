"""Zero-shot topic tagging by similarity to label descriptions, calibrated to 0..1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.config import CalibrationConfig
from service.taxonomy import Label


@dataclass
class TagScore:
    label: Label
    score: float
    similarity: float
    evidence: list[int]


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class ZeroShotTagger:
    """Each label is the normalised mean of its descriptions' vectors.

    Calibration is monotone in similarity within a document, so it never changes
    the ranking; it turns cosine similarities into probabilities.
    """

    def __init__(self, labels: list[Label], prompt_vectors: np.ndarray, counts: list[int],
                 calibration: CalibrationConfig):
        self.labels = labels
        self.calibration = calibration
        protos = np.zeros((len(labels), prompt_vectors.shape[1]), np.float32)
        pos = 0
        for i, n in enumerate(counts):
            protos[i] = prompt_vectors[pos : pos + n].mean(0)
            pos += n
        self.prototypes = protos / np.maximum(np.linalg.norm(protos, axis=1, keepdims=True), 1e-12)

    @classmethod
    def build(cls, labels: list[Label], encode, calibration: CalibrationConfig) -> ZeroShotTagger:
        prompts = [p for lb in labels for p in lb.prompts()]
        return cls(labels, encode(prompts), [len(lb.prompts()) for lb in labels], calibration)

    def similarities(self, doc_vector: np.ndarray) -> np.ndarray:
        return self.prototypes @ doc_vector

    def calibrate(self, sims: np.ndarray) -> np.ndarray:
        c = self.calibration
        margin = sims - sims.max()
        return sigmoid(c.slope * sims + c.margin_slope * margin + c.intercept)

    def tag(self, doc_vector: np.ndarray, sentence_vectors: np.ndarray, candidates: list[int],
            *, max_tags: int, min_score: float, n_evidence: int) -> list[TagScore]:
        sims = self.similarities(doc_vector)
        probs = self.calibrate(sims)
        order = np.argsort(-probs, kind="stable")
        out = []
        for li in order[:max_tags]:
            if probs[li] < min_score:
                break
            evidence: list[int] = []
            if n_evidence and candidates:
                s = sentence_vectors[candidates] @ self.prototypes[li]
                evidence = sorted(candidates[j] for j in np.argsort(-s, kind="stable")[:n_evidence])
            out.append(TagScore(self.labels[li], float(probs[li]), float(sims[li]), evidence))
        return out
