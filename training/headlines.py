"""Headlines as short highlights: distant supervision for the extractive scorer.

Reference summaries that hold four sentences in ten (BBC's) teach a scorer to favour long, central
sentences; news whose summaries are short highlights rewards what the lead says instead, which an
article's own headline says too. So, beside the reference summaries, a recipe can learn from articles of
any publisher that have a headline: the body sentences that cover most of the headline's words are the
positives, and every feature is computed with the headline hidden (what the scorer sees when a caller
sends no title), so it cannot simply copy the title similarity.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

import numpy as np

from service.features import EncodedText, TfidfView
from service.sentence_scorer import sentence_features
from training.config import HeadlineExamples
from training.data import DataError, Example, source_examples
from training.summary import SummaryItem


def load_headline_examples(cfg: HeadlineExamples) -> list[Example]:
    """Every row with some text, from each source table; the headline is the `title` field or, without
    one, the headline line the text cleaner finds at the top of the text."""
    out = [ex for src in cfg.sources for ex in source_examples(src, "headlines.sources")]
    if cfg.sources and not out:
        raise DataError("headlines: the source tables hold no row with text")
    return out


def fingerprint(examples: Sequence[Example]) -> str:
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([ex.id, ex.title, ex.text] + ([ex.summary] if ex.summary else [])).encode())
    return h.hexdigest()[:16]


def hide_headline(doc: EncodedText) -> tuple[str, EncodedText] | None:
    """The article's headline, and the article as the scorer sees it without one; None if it has none."""
    n = len(doc.sentences)
    if doc.title:
        return doc.title, EncodedText(doc.sentences, doc.vectors[:n], None)
    lines = [s for s in doc.sentences if s.role == "headline"]
    if not lines:
        return None
    hidden = [dataclasses.replace(s, role="boilerplate") if s.role == "headline" else s
              for s in doc.sentences]
    return lines[0].text, EncodedText(hidden, doc.vectors[:n], None)


def headline_items(
    docs: Sequence[EncodedText], cfg: HeadlineExamples, tfidf: TfidfView | None
) -> tuple[list[SummaryItem], int]:
    """Training items from articles with a headline and at least `min_sentences` body sentences (the
    positives: the body sentences with the best ROUGE-1 recall of the headline, stemmed), each weighing
    `cfg.weight`; and how many articles were left out."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    out = []
    for doc in docs:
        found = hide_headline(doc)
        if found is None:
            continue
        headline, seen = found
        body, feats = sentence_features(seen, tfidf)
        if len(body) < cfg.min_sentences:
            continue
        recall = np.array([scorer.score(headline, seen.sentences[i].text)["rouge1"].recall for i in body])
        if recall.max() <= 0:
            continue
        positive = (recall >= recall.max()).astype(np.float32)
        out.append(SummaryItem(seen, [headline], body, feats, positive, weight=cfg.weight))
    return out, len(docs) - len(out)
