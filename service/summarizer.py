"""Extractive summaries: centrality and position (or a learned scorer), with redundancy control.

Only body sentences are candidates (roles.py labels headlines and boilerplate: bylines, captions, share
lines); a quote that does not say who speaks never opens a summary.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from service.config import SummarizerConfig
from service.roles import is_fragment, needs_context
from service.text import Sentence


@dataclass
class Picked:
    index: int
    score: float


def sentence_scores(cfg: SummarizerConfig, sentences: list[Sentence], candidates: list[int],
                    vectors: np.ndarray, doc_vector: np.ndarray) -> np.ndarray:
    """Score each candidate: similarity to the document plus a prior for early sentences."""
    cand_vecs = vectors[candidates]
    centrality = cand_vecs @ doc_vector
    # Position among body sentences, not raw index, so a headline or byline does not count.
    rank = np.arange(len(candidates), dtype=np.float32)
    position = 1.0 / (1.0 + rank) ** cfg.position_decay
    return cfg.centrality_weight * centrality + cfg.position_weight * position


def summarize(cfg: SummarizerConfig, sentences: list[Sentence], vectors: np.ndarray,
              doc_vector: np.ndarray, *, n_sentences: int | None, n_words: int | None,
              scorer: Callable[[list[int]], np.ndarray] | None = None) -> list[Picked]:
    """Pick sentences greedily by score, skipping near-duplicates, under a sentence or word budget.

    `scorer` (a learned one) scores the candidates; by default centrality plus position does.
    Returns the picks in article order. With `n_words`, the summary never exceeds it.
    """
    body = [s for s in sentences if s.role == "body"][: cfg.max_candidates]
    # Never a subheading, a list item or a table row (`is_fragment`), unless the body is nothing else.
    per_line = Counter(s.paragraph for s in sentences)
    whole = [s for s in body if not is_fragment(s, per_line[s.paragraph] == 1)] or body
    candidates = [s.index for s in whole if s.words >= cfg.min_words]
    if not candidates:  # very short text: any body sentence will do
        candidates = [s.index for s in whole]
    if not candidates:
        return []
    if scorer is None:
        scores = sentence_scores(cfg, sentences, candidates, vectors, doc_vector)
    else:
        scores = scorer(candidates)
    order = [candidates[j] for j in np.argsort(-scores, kind="stable")]
    picked = _greedy(cfg, sentences, vectors, order, n_sentences, n_words)
    # A quote without its speaker (or an interview's answer) cannot open the summary: the next best takes
    # its place (with a word budget that fits nothing else, the summary is empty). An article of nothing
    # but such quotes keeps its picks: no sentence of it could give the context.
    if not all(needs_context(sentences[i].text) for i in candidates):
        dropped: set[int] = set()
        while picked and needs_context(sentences[min(picked)].text):
            dropped.add(min(picked))
            picked = _greedy(cfg, sentences, vectors, [i for i in order if i not in dropped], n_sentences,
                             n_words)
    top = float(scores.max())
    by_index = dict(zip(candidates, scores.tolist(), strict=True))
    return [Picked(i, by_index[i] / top if top > 0 else 0.0) for i in sorted(picked)]


def _greedy(cfg: SummarizerConfig, sentences: list[Sentence], vectors: np.ndarray, order: list[int],
            n_sentences: int | None, n_words: int | None) -> list[int]:
    """Sentences in `order` (best first), skipping near-duplicates of those already picked and those
    that would overrun the word budget, until `n_sentences` (or, with `n_words`, all that fit)."""
    picked: list[int] = []
    words = 0
    limit = n_sentences if n_words is None else len(order)
    for idx in order:
        if len(picked) >= limit:
            break
        if picked and float((vectors[picked] @ vectors[idx]).max()) >= cfg.redundancy:
            continue
        if n_words is not None:
            if words + sentences[idx].words > n_words:
                continue
            words += sentences[idx].words
        picked.append(idx)
    return picked
