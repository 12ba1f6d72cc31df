"""Evaluation metrics: label metrics from 0/1 matrices, ROUGE from sentence lists."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denom = 2 * tp + fp + fn
    return np.divide(2 * tp, denom, out=np.zeros_like(tp, dtype=np.float64), where=denom > 0)


def label_metrics(gold: np.ndarray, pred: np.ndarray, codes: Sequence[str], *, multi_label: bool) -> dict:
    """accuracy (exact match for multi-label), micro/macro F1, per-label precision/recall/F1/support."""
    gold = gold.astype(bool)
    pred = pred.astype(bool)
    tp = (gold & pred).sum(0).astype(np.float64)
    fp = (~gold & pred).sum(0).astype(np.float64)
    fn = (gold & ~pred).sum(0).astype(np.float64)
    f1 = _f1(tp, fp, fn)
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    micro = float(_f1(tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True))[0])
    per_label = {
        c: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(gold[:, i].sum()),
        }
        for i, c in enumerate(codes)
    }
    accuracy = float((gold == pred).all(1).mean()) if len(gold) else 0.0
    return {
        "accuracy": round(accuracy, 4),
        "micro_f1": round(micro, 4),
        "macro_f1": round(float(f1.mean()), 4),
        "per_label": per_label,
        "n": int(len(gold)),
    }


class Rouge:
    """ROUGE-1/2/L F-measure ×100 (rouge-score, Porter stemming), sentences joined by newlines."""

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self.scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
        self.rouge2_scorer = rouge_scorer.RougeScorer(["rouge2"], use_stemmer=True)  # no ROUGE-L cost

    def score(self, reference: Sequence[str], summary: Sequence[str]) -> np.ndarray:
        s = self.scorer.score("\n".join(reference), "\n".join(summary))
        return np.array([s[t].fmeasure for t in ROUGE_TYPES]) * 100

    def rouge2(self, reference: Sequence[str], summary: Sequence[str]) -> float:
        """ROUGE-2 F-measure ×100 alone (what dev selection reads)."""
        s = self.rouge2_scorer.score("\n".join(reference), "\n".join(summary))
        return float(s["rouge2"].fmeasure * 100)

    def mean(self, pairs: Sequence[tuple[Sequence[str], Sequence[str]]]) -> dict[str, float]:
        total = np.mean([self.score(r, h) for r, h in pairs], axis=0) if pairs else np.zeros(len(ROUGE_TYPES))
        return {t: round(float(v), 2) for t, v in zip(ROUGE_TYPES, total, strict=True)}


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """|mean p - mean y| per equal-width bin of p, weighted by the bin's share of the pairs."""
    p, y = np.asarray(p).ravel(), np.asarray(y).ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[which == b].mean() - y[which == b].mean()) * (which == b).sum()
                     for b in range(bins) if (which == b).any()) / len(p))
