"""Training the extractive sentence scorer on reference summaries.

A body sentence is a positive when the reference summary contains it (the reference is split against
the article's own sentences, since its sentences are glued together with no space). The dev score is
ROUGE-2 of the summaries the engine's own `summarize` picks with the learned scores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from service.config import SummarizerConfig
from service.features import EncodedText, TfidfView
from service.heads import SentenceHead
from service.sentence_scorer import SENTENCE_FEATURES, ranking_scores, sentence_features
from service.summarizer import summarize
from training.config import TrainConfig
from training.data import Example
from training.loop import Progress, train_while_improving
from training.metrics import Rouge
from training.references import reference_sentences

# The engine's default candidate rules (minimum words, redundancy) pick the summaries scored here.
ENGINE_DEFAULTS = SummarizerConfig()


@dataclass
class SummaryItem:
    doc: EncodedText
    reference: list[str]
    body: list[int]
    features: np.ndarray
    positive: np.ndarray  # per body sentence: 1.0 if the reference holds it
    weight: float = 1.0  # of its sentences in the loss


def items(
    docs: Sequence[EncodedText], examples: Sequence[Example], tfidf: TfidfView | None
) -> list[SummaryItem]:
    out = []
    for doc, ex in zip(docs, examples, strict=True):
        ref = reference_sentences([s.text for s in doc.sentences], ex.summary)
        held = set(ref)
        body, feats = sentence_features(doc, tfidf)
        positive = np.array([doc.sentences[i].text in held for i in body], np.float32)
        out.append(SummaryItem(doc, ref, body, feats, positive))
    return out


def fit_tfidf(docs: Sequence[EncodedText], cfg: TrainConfig) -> TfidfView | None:
    """The corpus vocabulary of the lexical features; None (`model.tfidf: null`): they weigh words within
    each article, and the artifact stores no vocabulary."""
    t = cfg.model.tfidf
    if t is None:
        return None
    return TfidfView.fit(
        (d.terms_text for d in docs), ngrams=t.ngrams, min_df=t.min_df, max_terms=t.max_terms
    )


def new_head(train: Sequence[SummaryItem], cfg: TrainConfig) -> SentenceHead:
    torch.manual_seed(cfg.seed)  # the initial weights too, or a rebuild gives another model
    head = SentenceHead(len(SENTENCE_FEATURES), hidden=cfg.model.hidden, dropout=cfg.model.dropout)
    x = np.concatenate([it.features for it in train])
    head.mean.copy_(torch.from_numpy(x.mean(0)))
    head.std.copy_(torch.from_numpy(np.maximum(x.std(0), 1e-6)))
    return head


LENGTH_EXPONENTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the grid `best_length_exponent` searches on dev


def probabilities(head: SentenceHead, it: SummaryItem) -> np.ndarray:
    """P(in summary) of each body sentence of `it`."""
    with torch.inference_mode():
        return torch.sigmoid(head(torch.from_numpy(it.features))).numpy()


def pick(
    head: SentenceHead,
    it: SummaryItem,
    n_sentences: int | None,
    cfg: SummarizerConfig,
    length_exponent: float = 0.0,
) -> list[str]:
    """The summary the engine would return with this head's scores."""
    return pick_by(probabilities(head, it), it, n_sentences, cfg, length_exponent)


def pick_by(
    p: np.ndarray, it: SummaryItem, n_sentences: int | None, cfg: SummarizerConfig, length_exponent: float
) -> list[str]:
    """The summary the engine would return with `p`, P(in summary) of each body sentence."""
    words = np.array([max(it.doc.sentences[i].words, 1) for i in it.body], np.float32)
    probs = dict(zip(it.body, ranking_scores(p, words, length_exponent).tolist(), strict=True))
    n = len(it.doc.sentences)
    picks = summarize(
        cfg,
        it.doc.sentences,
        it.doc.vectors[:n],
        np.zeros(it.doc.vectors.shape[1], np.float32),
        n_sentences=n_sentences,
        n_words=None,
        scorer=lambda cands: np.array([probs[i] for i in cands], np.float32),
    )
    return [it.doc.sentences[s.index].text for s in picks]


def rouge_at(
    head: SentenceHead,
    data: Sequence[SummaryItem],
    n_sentences: int | None,
    rouge: Rouge,
    length_exponent: float = 0.0,
    cfg: SummarizerConfig = ENGINE_DEFAULTS,
) -> dict[str, float]:
    """Mean ROUGE at `n_sentences` per summary, or at the reference's own length when None."""
    pairs = [
        (it.reference, pick(head, it, n_sentences or max(len(it.reference), 1), cfg, length_exponent))
        for it in data
    ]
    return rouge.mean(pairs)


def rouge2_by_exponent(
    head: SentenceHead,
    dev: Sequence[SummaryItem],
    n_sentences: int,
    rouge: Rouge,
    exponents: Sequence[float] = LENGTH_EXPONENTS,
) -> dict[float, float]:
    """Mean ROUGE-2 at `n_sentences` for each length exponent (a summary that several exponents pick
    alike is scored once)."""
    totals = dict.fromkeys(exponents, 0.0)
    for it in dev:
        p = probabilities(head, it)
        scored: dict[tuple[str, ...], float] = {}
        for a in exponents:
            summary = tuple(pick_by(p, it, n_sentences, ENGINE_DEFAULTS, a))
            if summary not in scored:
                scored[summary] = rouge.rouge2(it.reference, summary)
            totals[a] += scored[summary]
    return {a: round(t / max(len(dev), 1), 2) for a, t in totals.items()}


def best_length_exponent(scores: dict[float, float]) -> float:
    """The length exponent with the best dev ROUGE-2 of `rouge2_by_exponent`'s (ties: the smallest)."""
    return max(LENGTH_EXPONENTS, key=lambda a: (scores[a], -a))


def lead_rouge(data: Sequence[SummaryItem], n_sentences: int | None, rouge: Rouge) -> dict[str, float]:
    return rouge.mean(
        [
            (
                it.reference,
                [it.doc.sentences[i].text for i in it.body[: n_sentences or max(len(it.reference), 1)]],
            )
            for it in data
        ]
    )


def fit(
    head: SentenceHead,
    train: Sequence[SummaryItem],
    dev: Sequence[SummaryItem],
    cfg: TrainConfig,
    rouge: Rouge,
) -> Iterator[Progress]:
    hp = cfg.training
    torch.manual_seed(cfg.seed)
    opt = torch.optim.AdamW(head.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
    gen = torch.Generator().manual_seed(cfg.seed)

    def epoch() -> float:
        order = torch.randperm(len(train), generator=gen).tolist()
        total, count = 0.0, 0
        for a in range(0, len(order), hp.batch_size):
            batch = [train[i] for i in order[a : a + hp.batch_size]]
            x = torch.from_numpy(np.concatenate([it.features for it in batch]))
            y = torch.from_numpy(np.concatenate([it.positive for it in batch]))
            w = np.concatenate([np.full(len(it.positive), it.weight, np.float32) for it in batch])
            loss = nn.functional.binary_cross_entropy_with_logits(head(x), y, weight=torch.from_numpy(w))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            count += len(y)
        return total / max(count, 1)

    a = cfg.summary.select_exponent
    exponents = LENGTH_EXPONENTS if a is None else (a,)
    yield from train_while_improving(
        head,
        epoch,
        lambda: max(rouge2_by_exponent(head, dev, cfg.summary.sentences, rouge, exponents).values()),
        epochs=hp.epochs,
        patience=hp.patience,
    )
