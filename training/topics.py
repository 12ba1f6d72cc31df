"""Training a topic head (multi-class or multi-label) on frozen sentence vectors.

Features are built by the engine's own `TopicModel` (dense views, optional TF-IDF), so what is trained
here is what the tagger serves. Multi-label decision thresholds are tuned on dev, per label.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from service.features import EncodedText, TfidfView, dense_rows
from service.heads import TopicHead
from service.trained_tagger import TopicModel
from training.config import TrainConfig
from training.data import Example
from training.loop import Progress, train_while_improving
from training.metrics import label_metrics

# A label's own threshold is tuned only when dev has at least this many of its examples; rarer labels
# take the threshold tuned for micro-F1 over all labels.
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


def fit_linear(
    model: TopicModel, train: SplitFeatures, dev: SplitFeatures, cfg: TrainConfig
) -> Iterator[Progress]:
    """The linear head fitted exactly by liblinear, once per C of the grid; dev keeps the best."""
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    hp = cfg.training
    head = model.head
    w = hp.dense_weight
    x = sparse.csr_matrix(train.dense.numpy() * w)
    if train.sparse is not None:
        x = sparse.hstack(
            [x, sparse.csr_matrix(train.sparse[::-1], shape=(len(train), len(model.tfidf)))]
        ).tocsr()
    grid = iter(hp.c_grid)
    dim = train.dense.shape[1]

    def fit() -> float:
        c = next(grid)
        if model.multi_label:
            present = (train.gold.sum(0) > 0) & (train.gold.sum(0) < len(train))
            est = OneVsRestClassifier(LinearSVC(C=c, random_state=cfg.seed)).fit(x, train.gold[:, present])
            coef, bias = np.zeros((train.gold.shape[1], x.shape[1])), np.full(train.gold.shape[1], -10.0)
            coef[present] = np.vstack([e.coef_ for e in est.estimators_])
            bias[present] = [e.intercept_[0] for e in est.estimators_]
        else:
            est = LogisticRegression(C=c, max_iter=5000).fit(x, train.gold.argmax(1))
            coef, bias = est.coef_, est.intercept_
        with torch.no_grad():
            linear = head.dense
            assert isinstance(linear, nn.Linear)  # the config allows liblinear for linear heads only
            linear.weight.copy_(torch.from_numpy(coef[:, :dim] * w))
            linear.bias.copy_(torch.from_numpy(bias))
            if head.sparse is not None:
                head.sparse.weight.copy_(torch.from_numpy(coef[:, dim:]))
        return float("nan")  # liblinear reports no loss per fit

    yield from train_while_improving(
        head, fit, lambda: dev_metric(model, dev), epochs=len(hp.c_grid), patience=len(hp.c_grid)
    )


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


def tune_thresholds(model: TopicModel, dev: SplitFeatures) -> tuple[np.ndarray, bool, dict]:
    """Per-label logit thresholds on dev (a shared one for labels rare in dev), and whether predicting
    the best label for an article with none over its threshold helps dev micro-F1."""
    raw = logits(model, dev).numpy()
    gold = dev.gold
    shared, _ = _best_threshold(raw.ravel(), gold.ravel())
    thresholds = np.full(raw.shape[1], shared, np.float32)
    own = 0
    for j in range(raw.shape[1]):
        if gold[:, j].sum() >= MIN_DEV_SUPPORT:
            thresholds[j], _ = _best_threshold(raw[:, j], gold[:, j])
            own += 1
    model.head.thresholds.copy_(torch.from_numpy(thresholds))
    codes = [str(i) for i in range(gold.shape[1])]
    scores = {
        flag: label_metrics(gold, decide(model, torch.from_numpy(raw), flag), codes, multi_label=True)[
            "micro_f1"
        ]
        for flag in (False, True)
    }
    at_least_one = scores[True] > scores[False]
    info = {
        "shared_threshold": round(shared, 4),
        "labels_with_own_threshold": own,
        "dev_micro_f1": scores[at_least_one],
        "at_least_one": at_least_one,
    }
    return thresholds, at_least_one, info
