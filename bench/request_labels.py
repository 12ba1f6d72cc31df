"""A calibration for a request's own `labels` (`tagger.labels_calibration`), fitted on articles that are not
BBC's, and checked.

A caller's label is one short name ("sport"), which matches an article's sentences less closely than the
taxonomy's 25 crafted descriptions a topic, and a caller sends any number of labels, one alone too (it then
leads no other). So the taxonomy's calibration, fitted on BBC dev for the 17 topics, makes such scores too
low, and most of all for one label. This one is fitted by logistic regression on the similarity and the
lead (`service.tagger.lead`) of random label sets of 1-6 of the 17 IPTC top-level names, as a caller
would send them, over the 450 invented articles the summariser trains on (`configs/train/data/`, each with
its IPTC topic; a set holds the article's own topic half the time). The checks: the 204 topic articles
(other writers, `bench/data/topic_articles/`), and BBC dev and test with BBC's five category names as the
labels, sent together and each alone (other labels, other data; cached by `bench/cache_bbc.py`).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.request_labels   # ~2 min with the caches
"""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.bbc import BBC_TO_IPTC
from bench.tune_tagger import body_indices, load_cached
from bench.zero_shot_offsets import TOPIC_FILES, own_articles
from service.analyzer import Analyzer
from service.config import CalibrationConfig
from service.settings import PROJECT_ROOT
from service.tagger import ZeroShotTagger, lead, sigmoid
from service.taxonomy import load_taxonomy
from training.metrics import expected_calibration_error

FIT_FILES = sorted((PROJECT_ROOT / "configs" / "train" / "data").glob("highlights*.jsonl"))
BBC_NAMES = {"business": "business", "entertainment": "entertainment", "politics": "politics",
             "sport": "sport", "tech": "technology"}


def similarities(tagger: ZeroShotTagger, articles: list[dict]) -> np.ndarray:
    """(articles, labels): each label's mean similarity over the body sentences, as the engine pools."""
    return np.array([tagger.similarities(a["vectors"].mean(0), a["vectors"], body_indices(a))[0]
                     for a in articles])


def label_sets(sims: np.ndarray, gold: np.ndarray, seed: int, per_article: int = 8) -> tuple[np.ndarray, ...]:
    """Rows (similarity, lead) and 0/1 targets of random label sets of 1-6 labels per article."""
    rng = np.random.default_rng(seed)
    n = sims.shape[1]
    x, y = [], []
    for s, own in zip(sims, gold, strict=True):
        for _ in range(per_article):
            k = int(rng.integers(1, 7))
            others = rng.choice([j for j in range(n) if j != own], size=k, replace=False)
            chosen = [*others[: k - 1], own] if rng.random() < 0.5 else list(others)
            x += list(zip(s[chosen], lead(s[chosen]), strict=True))
            y += [int(j == own) for j in chosen]
    return np.array(x), np.array(y, float)


def probabilities(c: CalibrationConfig, sims: np.ndarray) -> np.ndarray:
    return sigmoid(c.slope * sims + c.margin_slope * lead(sims) + c.intercept)


def check(c: CalibrationConfig, sims: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """The labels sent together, and each alone: ECE over every (article, label), the top label's ECE, the
    mean probability of the true label and of the others."""
    together = probabilities(c, sims)
    alone = probabilities(c, sims[..., None])[..., 0]  # one label: no lead
    truth = np.eye(sims.shape[1])[gold]
    rows = np.arange(len(gold))
    top = together.argmax(1)
    return {
        "top-1": round(float((top == gold).mean()), 3),
        "ECE together": round(expected_calibration_error(together, truth), 4),
        "ECE top label": round(expected_calibration_error(together[rows, top], truth[rows, top]), 4),
        "true label p together": round(float(together[truth == 1].mean()), 3),
        "ECE alone": round(expected_calibration_error(alone, truth), 4),
        "true / other label p alone": (round(float(alone[truth == 1].mean()), 3),
                                       round(float(alone[truth == 0].mean()), 3)),
    }


def main() -> None:
    an = Analyzer.from_config_file(PROJECT_ROOT / "configs" / "default.yaml")
    top = [lb for lb in load_taxonomy(an.config.tagger.taxonomy).labels if lb.parent is None]
    codes = [lb.code for lb in top]
    iptc = an._tagger_for([lb.name for lb in top])  # the engine's tagger for a request's labels

    def own(files: list) -> tuple[np.ndarray, np.ndarray]:
        articles, topics = own_articles(an, files)
        return similarities(iptc, articles), np.array([codes.index(t) for t in topics])

    fit_sims, fit_gold = own(FIT_FILES)
    x, y = label_sets(fit_sims, fit_gold, seed=13)
    lr = LogisticRegression(C=100.0).fit(x, y)
    slope, margin = lr.coef_[0]
    fitted = CalibrationConfig(slope=round(float(slope), 3), margin_slope=round(float(max(margin, 0.0)), 3),
                               intercept=round(float(lr.intercept_[0]), 3))
    print(f"fitted on {len(fit_gold)} articles, {len(y)} (article, label) rows:")
    print(f"  labels_calibration: {{slope: {fitted.slope}, margin_slope: {fitted.margin_slope}, "
          f"intercept: {fitted.intercept}}}")

    bbc = an._tagger_for(list(BBC_NAMES.values()))
    checks = {"topic articles (204), the 17 IPTC names": own(TOPIC_FILES)}
    for split in ("dev", "test"):
        cached = load_cached(split)
        gold = np.array([list(BBC_NAMES).index(a["category"]) for a in cached])
        checks[f"BBC {split} ({len(cached)}), its 5 category names"] = (similarities(bbc, cached), gold)
    assert set(BBC_NAMES) == set(BBC_TO_IPTC)
    current = an.config.tagger.labels_calibration or an.config.tagger.calibration
    for name, (sims, gold) in checks.items():
        for which, c in (("configured", current), ("the taxonomy's", an.config.tagger.calibration),
                         ("fitted", fitted)):
            print(f"{name}, {which} calibration: {json.dumps(check(c, sims, gold))}", flush=True)


if __name__ == "__main__":
    main()
