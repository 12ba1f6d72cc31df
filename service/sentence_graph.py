"""How central each sentence is in its article's word-overlap graph: Okapi BM25 between sentences, and
TextRank (PageRank over those similarities), as in Mihalcea & Tarau (2004) with Barrios et al.'s BM25
weighting (2016).

Everything is computed within one article (each sentence a document, spaCy's English stop words left
out), so nothing is learned from a corpus and the figures mean the same on any publisher's news.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from spacy.lang.en.stop_words import STOP_WORDS

GRAPH_FEATURES = (
    "textrank",
    "textrank_cosine",
    "bm25_as_document",
    "bm25_as_query",
    "frequency_sum",
    "frequency_mean",
    "content_words",
)
K1, B = 1.5, 0.75  # BM25's usual saturation and length normalisation
DAMPING = 0.85
ITERATIONS = 100
MIN_EDGE = 1e-3  # similarities below this are no edge (Barrios et al.)


def _term_counts(sentences: Sequence[Sequence[str]]) -> np.ndarray:
    """Sentences × content words: how often each word occurs in each sentence."""
    words = [[w for w in ws if w not in STOP_WORDS and not w.isdigit()] for ws in sentences]
    index = {w: i for i, w in enumerate(dict.fromkeys(w for ws in words for w in ws))}
    counts = np.zeros((len(words), max(len(index), 1)), np.float32)
    for row, ws in enumerate(words):
        for w, c in Counter(ws).items():
            counts[row, index[w]] = c
    return counts


def bm25_similarities(counts: np.ndarray) -> np.ndarray:
    """[i, j]: BM25 score of sentence j for sentence i's words as the query; 0 on the diagonal. Words in
    more than half the sentences get a small positive IDF (a quarter of the mean), as in gensim's BM25."""
    n = len(counts)
    lengths = counts.sum(1)
    df = (counts > 0).sum(0)
    idf = np.log(n - df + 0.5) - np.log(df + 0.5)
    idf = np.where(idf < 0, 0.25 * idf.mean(), idf)
    relative_length = lengths[:, None] / max(float(lengths.mean()), 1e-9)
    saturation = counts * (K1 + 1) / (counts + K1 * (1 - B + B * relative_length))
    sims = counts @ (saturation * idf).T
    np.fill_diagonal(sims, 0.0)
    return np.where(sims >= MIN_EDGE, sims, 0.0)


def pagerank(weights: np.ndarray) -> np.ndarray:
    """Weighted PageRank of a symmetric graph, scaled so that the mean node scores 1 (isolated nodes 0)."""
    n = len(weights)
    degree = weights.sum(1)
    linked = degree > 0
    out = np.zeros(n)
    m = int(linked.sum())
    if m == 0:
        return out
    step = weights[np.ix_(linked, linked)] / degree[linked][:, None]
    rank = np.full(m, 1.0 / m)
    for _ in range(ITERATIONS):
        rank = (1 - DAMPING) / m + DAMPING * (step.T @ rank)
    out[linked] = rank * n
    return out


def cosine_similarities(counts: np.ndarray) -> np.ndarray:
    """[i, j]: cosine of the two sentences' content-word counts; 0 on the diagonal."""
    unit = counts / np.maximum(np.linalg.norm(counts, axis=1, keepdims=True), 1e-9)
    sims = unit @ unit.T
    np.fill_diagonal(sims, 0.0)
    return sims


def graph_features(sentences: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    """Per sentence (given as its `features.words_of` list), the GRAPH_FEATURES: TextRank over BM25, and
    over the cosine of content-word counts (as LexRank's continuous graph; BBC dev ROUGE-2 +0.9); its BM25
    similarity to all others as a document and as a query (each over the article's total, times the
    number of sentences); the summed and mean in-article frequency of its content words (over the
    commonest word's, Luhn's signal); how many content words."""
    n = len(sentences)
    counts = _term_counts(sentences)
    sims = bm25_similarities(counts)
    total = max(float(sims.sum()), 1e-9)
    frequency = counts.sum(0) / max(float(counts.sum(0).max()), 1.0)
    words = counts.sum(1)
    frequency_sum = counts @ frequency
    return {
        "textrank": pagerank((sims + sims.T) / 2),
        "textrank_cosine": pagerank(cosine_similarities(counts)),
        "bm25_as_document": sims.sum(0) / total * n,
        "bm25_as_query": sims.sum(1) / total * n,
        "frequency_sum": frequency_sum,
        "frequency_mean": frequency_sum / np.maximum(words, 1.0),
        "content_words": words,
    }
