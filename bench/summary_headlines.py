"""Headlines as a stand-in for short highlights: how well does a summariser's 3-sentence summary cover the
article's own headline, with the headline hidden from it, beside Lead-3?

No news set with short highlight summaries is at hand (the BBC references hold 4 sentences in 10). A
headline is the shortest human-written highlight an article has, and newsrooms write it from the same
facts a highlight holds; a summariser that loses to Lead-3 here is likely to lose to it on highlights.
Both test splits are read, never trained on: BBC test (418; `splits.json`) and Reuters ModApte test
(articles with a headline line and at least `--min-sentences` body sentences).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.summary_headlines [ARTIFACT ...] [--lead-length]

ARTIFACT: summariser artifacts (or output folders with an ACTIVE file) to compare; the shipped
`models/summary-default` by default. Sentence vectors come from the training recipes' vector cache (the
first run encodes what is missing). ROUGE F1 × 100, rouge-score with stemming. `--lead-length` adds a row
per summariser whose summaries hold at most as many words as Lead-3's for the same article
(`summary_words`), which takes length out of the comparison.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from service.features import EncodedText
from service.sentence_scorer import LearnedSentenceScorer
from service.settings import PROJECT_ROOT
from service.summarizer import summarize
from service.text import Sentence
from training.config import load_train_config
from training.data import load_dataset
from training.headlines import hide_headline
from training.metrics import Rouge
from training.summary import ENGINE_DEFAULTS
from training.vectors import VectorCache, encode_examples, engine_for

RECIPES = {"BBC test": "summary-default", "Reuters test": "reuters-topics"}
SENTENCES = 3


def articles(recipe: str, min_sentences: int) -> list[tuple[str, EncodedText]]:
    cfg = load_train_config(PROJECT_ROOT / "configs" / "train" / f"{recipe}.yaml")
    rows = load_dataset(cfg).splits["test"]
    engine = engine_for(cfg.model.encoder)
    docs = encode_examples(engine, rows, VectorCache(cfg.cache, engine), f"{recipe} test")
    hidden = [h for h in map(hide_headline, docs) if h is not None]
    return [(t, d) for t, d in hidden if sum(s.role == "body" for s in d.sentences) >= min_sentences]


def lead(doc: EncodedText) -> list[Sentence]:
    return [x for x in doc.sentences if x.role == "body"][:SENTENCES]


def picks(doc: EncodedText, s: LearnedSentenceScorer | None, lead_length: bool = False) -> list[str]:
    if s is None:
        return [x.text for x in lead(doc)]
    chosen = summarize(
        ENGINE_DEFAULTS,
        doc.sentences,
        doc.vectors,
        np.zeros(doc.vectors.shape[1], np.float32),
        n_sentences=None if lead_length else SENTENCES,
        n_words=sum(x.words for x in lead(doc)) if lead_length else None,
        scorer=s.scorer_for(doc),
    )
    return [doc.sentences[p.index].text for p in chosen]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("artifacts", nargs="*", type=Path, default=[PROJECT_ROOT / "models" / "summary-default"])
    ap.add_argument("--min-sentences", type=int, default=4)
    ap.add_argument("--lead-length", action="store_true", help="also at most Lead-3's words per article")
    args = ap.parse_args()
    rouge = Rouge()
    scorers: dict[str, LearnedSentenceScorer | None] = {"Lead-3": None}
    recipe = load_train_config(PROJECT_ROOT / "configs" / "train" / "summary-default.yaml")
    base = engine_for(recipe.model.encoder)
    for path in args.artifacts:
        s = LearnedSentenceScorer.load(path, base.encoder)  # checks the encoder and the features too
        scorers[f"{s.manifest.name} {s.manifest.version}"] = s
    print(f"| against the headline (hidden), {SENTENCES} sentences | " + " | ".join(RECIPES) + " |")
    print("| --- |" + " --- |" * len(RECIPES))
    data = {name: articles(recipe, args.min_sentences) for name, recipe in RECIPES.items()}
    rows = [(label, s, False) for label, s in scorers.items()]
    if args.lead_length:
        rows += [(f"{label}, at most Lead-3's words", s, True) for label, s in scorers.items() if s]
    for label, s, lead_length in rows:
        cells = []
        for docs in data.values():
            m = rouge.mean([([headline], picks(doc, s, lead_length)) for headline, doc in docs])
            cells.append(f"{m['rouge1']:.2f} / {m['rouge2']:.2f} / {m['rougeL']:.2f}")
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)
    print("cells: ROUGE-1 / 2 / L F1; articles: " + ", ".join(f"{k} {len(v)}" for k, v in data.items()))


if __name__ == "__main__":
    main()
