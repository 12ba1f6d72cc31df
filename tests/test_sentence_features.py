"""What the sentence scorer reads of each sentence: how much of it is quotation, how many figures it gives."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.features import EncodedText
from service.sentence_scorer import SENTENCE_FEATURES, _quote_share, sentence_features
from service.text import Sentence


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("The council approved the budget on Tuesday.", 0.0),
        ('"We will win," he said.', len('"We will win,"') / len('"We will win," he said.')),
        ("\u201cWe will win,\u201d he said.", 14 / 23),
        ('He said: "The vote is lost', len('"The vote is lost') / len('He said: "The vote is lost')),
        ('"All of it is quoted."', 1.0),
    ],
)
def test_quote_share(text, share):
    assert _quote_share(text) == pytest.approx(share)


_QUOTED = re.compile(r'"[^"]*"|\u201c[^\u201d]*\u201d')


def _quote_share_by_regex(text: str) -> float:
    """The reading `_quote_share` keeps (the shipped scorer was trained on it), by the obvious regex,
    which is quadratic on runs of opening marks."""
    inside = sum(len(m) for m in _QUOTED.findall(text))
    rest = _QUOTED.sub("", text)
    for mark in ('"', "\u201c"):
        if mark in rest:
            inside += len(rest) - rest.index(mark)
            break
    return min(inside / max(len(text), 1), 1.0)


@given(st.text(alphabet='ab "\u201c\u201d', max_size=24))
def test_quote_share_reads_as_the_regex_does(text):
    assert _quote_share(text) == _quote_share_by_regex(text)


def test_a_run_of_opening_marks_is_read_in_one_pass():
    # 99,000 took 19 s by the regex; the answer is the same, and the suite would stall if it were not linear
    assert _quote_share("\u201c" * 200_000) == 1.0
    text = "He said \u201c" * 50_000
    assert _quote_share(text) == pytest.approx((len(text) - len("He said ")) / len(text))


def test_quotes_and_figures_are_columns_of_each_body_sentence():
    texts = [
        "The company cut 1,200 jobs and closed 3 plants, saving 2.5 billion euros.",
        '"This is a sad day for the town," said the mayor, Anna Berg.',
        "Unions said they would meet on Friday to discuss the response.",
    ]
    sentences = [Sentence(i, 0, len(t), t, paragraph=i, words=len(t.split())) for i, t in enumerate(texts)]
    doc = EncodedText(sentences, np.eye(3, 8, dtype=np.float32), None)
    body, feats = sentence_features(doc, None)
    assert body == [0, 1, 2]
    quotes = feats[:, SENTENCE_FEATURES.index("quote_share")]
    figures = feats[:, SENTENCE_FEATURES.index("log_numbers")]
    assert quotes[1] > 0.5 and quotes[0] == quotes[2] == 0.0
    assert figures.tolist() == pytest.approx(np.log1p([3, 0, 0]).tolist())
