"""Story highlights: short summaries written for an article, as news sites put 3-4 above it.

BBC's reference summaries hold four sentences in ten and reward long, central sentences anywhere in the
article; a reader of highlights wants the few facts that matter, which a news story puts in its lead and a
feature further down. A recipe can learn that from articles with highlights: for each highlight, the body
sentence that says most of it (ROUGE-1 + ROUGE-2 F1, stemmed) is a positive, the way extractive
summarisers are taught from abstractive highlights.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from service.features import EncodedText, TfidfView
from service.sentence_scorer import sentence_features
from training.config import HighlightExamples
from training.data import DataError, Example, source_examples
from training.summary import SummaryItem


def load_highlight_examples(cfg: HighlightExamples) -> list[Example]:
    """Every row with some text and highlights, from each source table."""
    out = [ex for src in cfg.sources for ex in source_examples(src, "highlights.sources")]
    if not out:
        raise DataError("highlights: the source tables hold no row with text")
    return out


def best_sentences(highlights: Sequence[str], sentences: Sequence[str]) -> np.ndarray:
    """1.0 for each sentence that is, for some highlight, the one saying most of it; 0.0 for the rest."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    positive = np.zeros(len(sentences), np.float32)
    for h in highlights:
        overlap = [sum(s.fmeasure for s in scorer.score(h, text).values()) for text in sentences]
        if max(overlap, default=0.0) > 0:
            positive[int(np.argmax(overlap))] = 1.0
    return positive


def highlight_items(
    docs: Sequence[EncodedText], examples: Sequence[Example], cfg: HighlightExamples, tfidf: TfidfView | None
) -> tuple[list[SummaryItem], int]:
    """Training items from articles with at least `min_sentences` body sentences, each sentence weighing
    `cfg.weight`; and how many articles were left out."""
    out = []
    for doc, ex in zip(docs, examples, strict=True):
        body, feats = sentence_features(doc, tfidf)
        if len(body) < cfg.min_sentences:
            continue
        highlights = ex.summary.splitlines()
        positive = best_sentences(highlights, [doc.sentences[i].text for i in body])
        if positive.any():
            out.append(SummaryItem(doc, highlights, body, feats, positive, weight=cfg.weight))
    return out, len(docs) - len(out)
