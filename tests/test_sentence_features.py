"""What the sentence scorer reads of each sentence: how much of it is quotation, how many figures it gives."""

from __future__ import annotations

import numpy as np
import pytest

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
