"""Dev selection of the sentence scorer: every length exponent is scored as `rouge_at` would score it."""

from __future__ import annotations

import numpy as np
import torch

from service.features import EncodedText
from service.heads import SentenceHead
from service.sentence_scorer import SENTENCE_FEATURES, sentence_features
from service.text import Sentence
from training.metrics import Rouge
from training.summary import (
    ENGINE_DEFAULTS,
    LENGTH_EXPONENTS,
    SummaryItem,
    pick,
    rouge2_by_exponent,
    rouge_at,
)

WORDS = "rates bank inflation talks currency lenders committee figures analysts capital borrowers".split()


def _item(seed: int) -> SummaryItem:
    rng = np.random.default_rng(seed)
    texts = [
        " ".join(rng.choice(WORDS, size=int(rng.integers(4, 30)))).capitalize() + "."
        for _ in range(int(rng.integers(6, 12)))
    ]
    sentences = [
        Sentence(i, 0, len(t), t, paragraph=i, role="body", words=len(t.split())) for i, t in enumerate(texts)
    ]
    doc = EncodedText(sentences, rng.normal(size=(len(texts) + 1, 8)).astype(np.float32), "Bank raises rates")
    body, features = sentence_features(doc, None)
    reference = [texts[i] for i in sorted(rng.choice(len(texts), size=3, replace=False))]
    positive = np.array([texts[i] in reference for i in body], np.float32)
    return SummaryItem(doc, reference, body, features, positive)


def test_rouge2_by_exponent_equals_rouge_at_for_every_exponent():
    torch.manual_seed(0)
    head = SentenceHead(len(SENTENCE_FEATURES)).eval()
    dev, rouge = [_item(seed) for seed in range(12)], Rouge()
    # the exponents must pick different summaries somewhere, or the comparison shows nothing
    picks = [{tuple(pick(head, it, 2, ENGINE_DEFAULTS, a)) for a in LENGTH_EXPONENTS} for it in dev]
    assert any(len(p) > 1 for p in picks)
    by_exponent = rouge2_by_exponent(head, dev, 2, rouge)
    assert by_exponent == {a: rouge_at(head, dev, 2, rouge, a)["rouge2"] for a in LENGTH_EXPONENTS}
    assert len(set(by_exponent.values())) > 1
    assert rouge2_by_exponent(head, dev, 2, rouge, (0.5,)) == {0.5: by_exponent[0.5]}  # `select_exponent`
