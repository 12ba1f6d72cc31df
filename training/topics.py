"""Training a topic head (multi-class or multi-label) on frozen sentence vectors.

Features are built by the engine's own `TopicModel` (dense views, optional TF-IDF), so what is trained
here is what the tagger serves. Multi-label decision thresholds are tuned per label, on dev or on
out-of-fold logits over the training rows (liblinear).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from service.features import EncodedText, TfidfView, dense_rows
from service.heads import TopicHead
from service.parent_watch import exit_with_parent
from service.trained_tagger import TopicModel
from training.config import TrainConfig
from training.data import Example
from training.loop import Progress, train_while_improving
from training.metrics import label_metrics

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# By default a label's own threshold is tuned only when dev has at least this many of its examples; rarer
# labels take the threshold tuned for micro-F1 over all labels (`training.thresholds.min_support`).
MIN_DEV_SUPPORT = 3
EVAL_BATCH = 256


@dataclass
class SplitFeatures:
    dense: torch.Tensor
    sparse: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    gold: np.ndarray  # (articles, labels) 0/1

    def __len__(self) -> int:
        return len(self.gold)

    def batch(self, rows: Sequence[int], width: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        sparse = None if self.sparse is None else dense_rows(*self.sparse, rows, width)
        return self.dense[list(rows)], sparse


def gold_matrix(examples: Sequence[Example], codes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(codes)}
    gold = np.zeros((len(examples), len(codes)), np.float32)
    for r, ex in enumerate(examples):
        gold[r, [index[lb] for lb in ex.labels]] = 1.0
    return gold


def new_model(cfg: TrainConfig, train_docs: Sequence[EncodedText], n_labels: int, dim: int) -> TopicModel:
    m = cfg.model
    tfidf = None
    if m.tfidf is not None:
        tfidf = TfidfView.fit(
            (d.terms_text for d in train_docs),
            ngrams=m.tfidf.ngrams,
            min_df=m.tfidf.min_df,
            max_terms=m.tfidf.max_terms,
        )
    torch.manual_seed(cfg.seed)  # the initial weights too, or a rebuild gives another model
    head = TopicHead(
        dim * len(m.views), len(tfidf) if tfidf else 0, n_labels, hidden=m.hidden, dropout=m.dropout
    )
    return TopicModel(head, tfidf, list(m.views), m.lead, cfg.task == "multi-label")


def features(model: TopicModel, docs: Sequence[EncodedText], gold: np.ndarray) -> SplitFeatures:
    with torch.inference_mode():
        dense = torch.stack([model.dense(d) for d in docs]) if docs else torch.zeros((0, 0))
    sparse = model.tfidf.sparse_rows([d.terms_text for d in docs]) if model.tfidf else None
    return SplitFeatures(dense.clone(), sparse, gold)


def logits(model: TopicModel, data: SplitFeatures, device: str = "cpu") -> torch.Tensor:
    width = len(model.tfidf) if model.tfidf else 0
    out = []
    with torch.inference_mode():
        for a in range(0, len(data), EVAL_BATCH):
            dense, sparse = data.batch(range(a, min(a + EVAL_BATCH, len(data))), width)
            out.append(model.head(dense.to(device), None if sparse is None else sparse.to(device)).cpu())
    return torch.cat(out) if out else torch.zeros((0, model.head.shape["n_labels"]))


def decide(model: TopicModel, raw: torch.Tensor, at_least_one: bool) -> np.ndarray:
    """0/1 predictions: argmax for multi-class; for multi-label each label over its threshold, and the
    best label when none is and `at_least_one`."""
    probs = model.probabilities(raw).numpy()
    if not model.multi_label:
        return np.eye(probs.shape[1], dtype=np.float32)[probs.argmax(1)]
    pred = (probs >= 0.5).astype(np.float32)
    if at_least_one:
        empty = pred.sum(1) == 0
        pred[empty, probs[empty].argmax(1)] = 1.0
    return pred


def dev_metric(model: TopicModel, data: SplitFeatures, device: str = "cpu") -> float:
    pred = decide(model, logits(model, data, device), at_least_one=False)
    m = label_metrics(
        data.gold, pred, [str(i) for i in range(data.gold.shape[1])], multi_label=model.multi_label
    )
    return m["micro_f1"] if model.multi_label else m["accuracy"]


def fit_head(
    model: TopicModel, train: SplitFeatures, dev: SplitFeatures, cfg: TrainConfig
) -> Iterator[Progress]:
    hp = cfg.training
    head = model.head
    torch.manual_seed(cfg.seed)
    opt = torch.optim.AdamW(head.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
    loss_fn: nn.Module = nn.BCEWithLogitsLoss() if model.multi_label else nn.CrossEntropyLoss()
    target = torch.from_numpy(train.gold if model.multi_label else train.gold.argmax(1))
    width = len(model.tfidf) if model.tfidf else 0
    gen = torch.Generator().manual_seed(cfg.seed)

    def epoch() -> float:
        order = torch.randperm(len(train), generator=gen).tolist()
        total = 0.0
        for a in range(0, len(order), hp.batch_size):
            rows = order[a : a + hp.batch_size]
            loss = loss_fn(head(*train.batch(rows, width)), target[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        return total / len(order)

    yield from train_while_improving(
        head, epoch, lambda: dev_metric(model, dev), epochs=hp.epochs, patience=hp.patience
    )


def _design(model: TopicModel, splits: Sequence[SplitFeatures], w: float) -> tuple[csr_matrix, np.ndarray]:
    """[dense views × w; TF-IDF] of these splits' rows as one sparse matrix (what liblinear fits), and
    their gold labels."""
    from scipy import sparse

    blocks = []
    for data in splits:
        x = sparse.csr_matrix(data.dense.numpy() * w)
        if data.sparse is not None:
            x = sparse.hstack(
                [x, sparse.csr_matrix(data.sparse[::-1], shape=(len(data), len(model.tfidf)))]
            ).tocsr()
        blocks.append(x)
    return sparse.vstack(blocks).tocsr(), np.concatenate([s.gold for s in splits])


def _solve(
    x: csr_matrix, gold: np.ndarray, c: float, multi_label: bool, seed: int,
    sample_weight: np.ndarray | None = None, jobs: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """(coef, bias) of a linear head on x: one-vs-rest LinearSVC over `jobs` worker processes (-1: one per
    core; labels absent from these rows, or on every row, get a bias of -10: never predicted) or
    multinomial logistic regression."""
    from joblib import parallel_config
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    if not multi_label:
        est = LogisticRegression(C=c, max_iter=5000).fit(x, gold.argmax(1), sample_weight=sample_weight)
        if len(est.classes_) == 2:  # one row, the second class's logit against the first's: softmax([0, z])
            return np.vstack([np.zeros_like(est.coef_), est.coef_]), np.r_[0.0, est.intercept_]
        return est.coef_, est.intercept_
    present = (gold.sum(0) > 0) & (gold.sum(0) < len(gold))
    assert sample_weight is None, "one-vs-rest LinearSVC is fitted without row weights"
    # Labels are fitted side by side in worker processes (Reuters: 1.5× on 2 cores, bench.linear_jobs),
    # not threads: liblinear's random generator is process-wide, so threads would make a fit unrepeatable.
    with parallel_config(backend="loky", initializer=exit_with_parent, initargs=(os.getpid(),)):
        ovr = OneVsRestClassifier(LinearSVC(C=c, random_state=seed), n_jobs=jobs).fit(x, gold[:, present])
    coef, bias = np.zeros((gold.shape[1], x.shape[1])), np.full(gold.shape[1], -10.0)
    coef[present] = np.vstack([e.coef_ for e in ovr.estimators_])
    bias[present] = [e.intercept_[0] for e in ovr.estimators_]
    return coef, bias


def _set_linear(model: TopicModel, coef: np.ndarray, bias: np.ndarray, w: float) -> None:
    head = model.head
    dim = head.shape["dense_dim"]
    with torch.no_grad():
        linear = head.dense
        assert isinstance(linear, nn.Linear)  # the config allows liblinear for linear heads only
        linear.weight.copy_(torch.from_numpy(coef[:, :dim] * w))
        linear.bias.copy_(torch.from_numpy(bias))
        if head.sparse is not None:
            head.sparse.weight.copy_(torch.from_numpy(coef[:, dim:]))


def fit_linear(
    model: TopicModel, train: SplitFeatures, dev: SplitFeatures, cfg: TrainConfig
) -> Iterator[Progress]:
    """The linear head fitted exactly by liblinear, once per C of the grid; dev keeps the best."""
    hp = cfg.training
    x, _ = _design(model, [train], hp.dense_weight)
    grid = iter(hp.c_grid)

    def fit() -> None:  # liblinear reports no loss
        coef, bias = _solve(x, train.gold, next(grid), model.multi_label, cfg.seed)
        _set_linear(model, coef, bias, hp.dense_weight)

    yield from train_while_improving(
        model.head, fit, lambda: dev_metric(model, dev), epochs=len(hp.c_grid), patience=len(hp.c_grid)
    )


def refit_linear(model: TopicModel, splits: Sequence[SplitFeatures], c: float, cfg: TrainConfig) -> None:
    """The linear head fitted again, with the C dev picked, on all these splits together (train + dev)."""
    fit_linear_on(model, splits, c, dense_weight=cfg.training.dense_weight, seed=cfg.seed)


def fit_linear_on(
    model: TopicModel, splits: Sequence[SplitFeatures], c: float, *, dense_weight: float, seed: int,
    sample_weight: np.ndarray | None = None,
) -> None:
    """The linear head fitted exactly on these splits' rows together, each row weighing `sample_weight`
    (multi-class only) or the same."""
    x, gold = _design(model, splits, dense_weight)
    coef, bias = _solve(x, gold, c, model.multi_label, seed, sample_weight)
    _set_linear(model, coef, bias, dense_weight)


def cross_validated_logits(
    model: TopicModel, splits: Sequence[SplitFeatures], c: float, cfg: TrainConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold logits over these splits' rows together, each row scored by a linear head (C = `c`)
    fitted on the other folds, and the rows' gold labels. The head is not changed."""
    from sklearn.model_selection import KFold

    x, gold = _design(model, splits, cfg.training.dense_weight)
    out = np.zeros(gold.shape, np.float32)
    folds = KFold(cfg.training.thresholds.folds, shuffle=True, random_state=cfg.seed)
    # A bar on a terminal: these fits take as long as the C grid's (Reuters: about 2 minutes on 2 cores)
    for fit_rows, held_out in tqdm(folds.split(x), total=folds.get_n_splits(), desc="thresholds", unit="fold",
                                   disable=None, leave=False):
        coef, bias = _solve(x[fit_rows], gold[fit_rows], c, True, cfg.seed)
        out[held_out] = x[held_out] @ coef.T + bias
    return out, gold


def _best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """The logit threshold with the best F1 over these (scores, gold) pairs, and that F1."""
    order = np.argsort(-scores, kind="stable")
    s, g = scores[order], gold[order]
    tp = np.cumsum(g)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + g.sum())
    best = int(np.argmax(f1))
    nxt = s[best + 1] if best + 1 < len(s) else s[best] - 1.0
    return float((s[best] + nxt) / 2), float(f1[best])


def tune_thresholds(
    model: TopicModel, dev: SplitFeatures, min_support: int = MIN_DEV_SUPPORT
) -> tuple[dict, dict]:
    """Per-label logit thresholds on dev's logits; see `tune_thresholds_on`."""
    return tune_thresholds_on(model, logits(model, dev).numpy(), dev.gold, min_support)


def tune_thresholds_on(
    model: TopicModel, raw: np.ndarray, gold: np.ndarray, min_support: int = MIN_DEV_SUPPORT
) -> tuple[dict, dict]:
    """Per-label logit thresholds on held-out logits `raw` (a shared one for labels with fewer than
    `min_support` positive rows there), and whether predicting the best label for an article with none
    over its threshold helps their micro-F1. Both are set on the model. Returns what was chosen, and the
    metrics (no per-label ones) that `raw` gets with it: optimistic, as they chose it."""
    shared, _ = _best_threshold(raw.ravel(), gold.ravel())
    thresholds = np.full(raw.shape[1], shared, np.float32)
    own = 0
    for j in range(raw.shape[1]):
        if gold[:, j].sum() >= min_support:
            thresholds[j], _ = _best_threshold(raw[:, j], gold[:, j])
            own += 1
    model.head.thresholds.copy_(torch.from_numpy(thresholds))
    codes = [str(i) for i in range(gold.shape[1])]
    scores = {
        flag: label_metrics(gold, decide(model, torch.from_numpy(raw), flag), codes, multi_label=True)
        for flag in (False, True)
    }
    at_least_one = scores[True]["micro_f1"] > scores[False]["micro_f1"]
    model.at_least_one = at_least_one
    info = {
        "shared_threshold": round(shared, 4),
        "labels_with_own_threshold": own,
        "tuned_micro_f1": scores[at_least_one]["micro_f1"],
        "tuned_macro_f1": scores[at_least_one]["macro_f1"],
        "rows": len(gold),
        "at_least_one": at_least_one,
    }
    return info, {k: v for k, v in scores[at_least_one].items() if k != "per_label"}
