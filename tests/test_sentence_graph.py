"""The lexical sentence graph behind the learned summariser's TextRank and BM25 features."""

import numpy as np
import pytest

from service.features import words_of
from service.sentence_graph import (
    GRAPH_FEATURES,
    bm25_similarities,
    cosine_similarities,
    graph_features,
    pagerank,
)

SENTENCES = [
    "The central bank raised interest rates to curb inflation.",
    "Inflation reached its highest level in a decade, the central bank said.",
    "Interest rates and inflation weigh on households and on the bank's forecasts.",
    "The football club signed a new goalkeeper on Friday.",
]


def test_the_hub_sentence_ranks_first_and_the_unrelated_one_last():
    f = graph_features([words_of(t) for t in SENTENCES])
    assert set(f) == set(GRAPH_FEATURES)
    assert all(len(v) == len(SENTENCES) for v in f.values())
    # The three monetary sentences share words; the football one shares none and is no node of the graph.
    assert f["textrank"][3] == 0.0
    assert f["bm25_as_document"][3] == 0.0 and f["bm25_as_query"][3] == 0.0
    assert min(f["textrank"][:3]) > 0.5
    assert f["textrank"].sum() == pytest.approx(4.0, rel=1e-6)  # the mean over all sentences is 1
    assert f["textrank_cosine"][3] == 0.0 and min(f["textrank_cosine"][:3]) > 0.5
    assert f["textrank_cosine"].sum() == pytest.approx(4.0, rel=1e-6)


def test_stop_words_and_numbers_are_not_content_words():
    texts = ["It was the 2004 one, and it is 12.", "Growth slowed sharply in 2004."]
    f = graph_features([words_of(t) for t in texts])
    assert f["content_words"].tolist() == [0.0, 3.0]
    assert f["textrank"].tolist() == [0.0, 0.0]  # no shared content word, no edge


def test_bm25_is_zero_on_the_diagonal_and_grows_with_shared_rare_words():
    counts = np.zeros((8, 7), np.float32)
    counts[[0, 1, 2], 0] = 1  # a common word
    counts[[0, 1], 1] = 1  # a rarer one, which sentences 0 and 1 share too
    counts[[3, 4, 5, 6, 7], [2, 3, 4, 5, 6]] = 1  # a word of their own each
    sims = bm25_similarities(counts)
    assert np.all(np.diag(sims) == 0)
    assert sims[0, 1] > sims[0, 2] > 0 == sims[0, 3]


def test_cosine_ignores_how_long_a_sentence_is_and_is_symmetric():
    counts = np.array([[1, 1, 0, 0], [2, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 3]], np.float32)
    sims = cosine_similarities(counts)
    assert np.all(np.diag(sims) == 0) and np.allclose(sims, sims.T)
    assert sims[0, 1] == pytest.approx(1.0)  # the same words, twice as often
    assert sims[0, 2] == pytest.approx(0.5) and sims[1, 2] == pytest.approx(0.5)
    assert not sims[3].any()


def test_pagerank_of_a_symmetric_star_puts_the_centre_first():
    star = np.zeros((4, 4))
    star[0, 1:] = star[1:, 0] = 1.0
    rank = pagerank(star)
    assert rank[0] > rank[1] == pytest.approx(rank[2]) == pytest.approx(rank[3])
    assert rank.sum() == pytest.approx(4.0)


def test_one_sentence_and_no_words_give_zeros_not_errors():
    for texts in (["Just one sentence here."], ["...", "!!"]):
        f = graph_features([words_of(t) for t in texts])
        assert all(np.all(np.isfinite(v)) for v in f.values())
        assert f["textrank"].tolist() == f["textrank_cosine"].tolist() == [0.0] * len(texts)
