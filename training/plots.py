"""PNG plots for the model card, rendered in memory (the artifact is written all at once)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: render to bytes
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402

from training.loop import Progress  # noqa: E402


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def confusion_matrix(
    gold: np.ndarray, pred: np.ndarray, names: Sequence[str], title: str = "confusion matrix (test)"
) -> bytes:
    """Multi-class: rows are the true class, columns the predicted one (test split)."""
    n = len(names)
    counts = np.zeros((n, n), np.int64)
    np.add.at(counts, (gold.argmax(1), pred.argmax(1)), 1)
    fig, ax = plt.subplots(figsize=(1.0 + 0.7 * n, 0.8 + 0.6 * n))
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(n), names, rotation=45, ha="right")
    ax.set_yticks(range(n), names)
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(counts[i, j]),
                ha="center",
                va="center",
                color="white" if counts[i, j] > counts.max() / 2 else "black",
            )
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _png(fig)


def per_label_f1(per_label: dict[str, dict]) -> bytes:
    """Multi-label: F1 per label on test, labels ordered by support."""
    items = sorted(per_label.items(), key=lambda kv: -kv[1]["support"])
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.16 * len(items)))
    y = np.arange(len(items))
    ax.barh(y, [v["f1"] for _, v in items], color="tab:blue")
    ax.set_yticks(y, [f"{k} ({v['support']})" for k, v in items], fontsize=6)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 on test (support in brackets)")
    ax.set_title("per-label F1")
    return _png(fig)


def reliability(p: np.ndarray, y: np.ndarray, title: str, bins: int = 10) -> bytes:
    """Calibration: the share of true labels against the mean score, per equal-width bin of the score
    (the bins of the card's expected calibration error), with how many pairs each bin holds."""
    p, y = np.asarray(p).ravel(), np.asarray(y).ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    used = [b for b in range(bins) if (which == b).any()]
    mean_p = [p[which == b].mean() for b in used]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="tab:gray", linestyle="--", label="perfect calibration")
    ax.plot(mean_p, [y[which == b].mean() for b in used], marker="o", label="observed")
    for b, x in zip(used, mean_p, strict=True):
        ax.annotate(str(int((which == b).sum())), (x, 0.02), ha="center", fontsize=7, color="tab:gray")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean score in the bin (pairs per bin along the bottom)")
    ax.set_ylabel("share of true labels")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    ax.set_title(title)
    return _png(fig)


def rouge_by_length(
    lengths: Sequence[int], model: Sequence[float], lead: Sequence[float], metric: str
) -> bytes:
    """Summariser: ROUGE against summary length in sentences, beside Lead-k."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(lengths, model, marker="o", label="learned scorer")
    ax.plot(lengths, lead, marker="s", label="lead-k")
    ax.set_xlabel("summary length (sentences)")
    ax.set_ylabel(f"{metric} F1 × 100 (test)")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"{metric} by summary length")
    return _png(fig)


def training_curve(history: Sequence[Progress], metric: str) -> bytes:
    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [p.epoch for p in history]
    ax.plot(epochs, [p.dev_score for p in history], marker="o", color="tab:blue", label=f"dev {metric}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"dev {metric}")
    if any(p.loss is not None for p in history):  # liblinear reports none
        loss_ax = ax.twinx()
        losses = [np.nan if p.loss is None else p.loss for p in history]
        loss_ax.plot(epochs, losses, color="tab:gray", linestyle="--", label="train loss")
        loss_ax.set_ylabel("train loss")
    ax.set_title("training")
    ax.grid(alpha=0.3)
    return _png(fig)
