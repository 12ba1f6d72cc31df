"""Fit the tagger's calibration (similarity score → probability) on BBC dev, and measure it.

One-vs-rest: every (article, label) pair of the 17 IPTC topics is an example, positive for the
label BBC's category maps to and negative for the other 16. Logistic regression on the features
of `CalibrationConfig`, the score s and its lead over the best other label, gives slope,
margin_slope and intercept; `CalibrationConfig` refuses values that could change the ranking.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.calibration

prints the fitted values, the expected calibration error (10 equal-width bins) on dev and test
for the fitted and the configured values, how many tags articles get at several `min_score`s, and
the seed article's calibrated scores. Copy the values into `tagger.calibration` of the config.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.bbc import BBC_TO_IPTC
from bench.tune_tagger import (
    CONFLICT,
    POLITICS,
    SEED,
    analyze_vectors,
    article_scores,
    load_cached,
    make_tagger,
    zero_shot_analyzer,
)
from service.config import CalibrationConfig, load_engine_config
from service.settings import DEFAULT_CONFIG
from service.tagger import ZeroShotTagger, lead
from training.metrics import expected_calibration_error as ece

THRESHOLDS = (0.02, 0.03, 0.04, 0.05, 0.1, 0.2, 0.3, 0.5)


def features(sims: np.ndarray) -> np.ndarray:
    """(articles × labels, 2): each label's score and its lead over the article's best other label."""
    return np.stack([sims.ravel(), lead(sims).ravel()], 1)


def targets(items: list[dict], codes: list[str]) -> np.ndarray:
    """(articles, labels) 0/1: the label BBC's category maps to."""
    y = np.zeros((len(items), len(codes)))
    y[np.arange(len(items)), [codes.index(BBC_TO_IPTC[x["category"]]) for x in items]] = 1
    return y


def fit(sims: np.ndarray, y: np.ndarray) -> CalibrationConfig:
    lr = LogisticRegression(C=1e6, max_iter=10_000).fit(features(sims), y.ravel())
    slope, margin_slope = (float(v) for v in lr.coef_[0])
    return CalibrationConfig(slope=slope, margin_slope=margin_slope, intercept=float(lr.intercept_[0]))


def report(name: str, tagger: ZeroShotTagger, sims: dict[str, np.ndarray], ys: dict[str, np.ndarray]) -> None:
    """ECE one-vs-rest over all 17 labels, and of the top label's score against its being right."""
    parts = []
    for split in sims:
        p = np.stack([tagger.calibrate(s) for s in sims[split]])
        top = p.argmax(1)
        rows = np.arange(len(p))
        parts.append(f"{split}: ECE {ece(p, ys[split]):.4f} (all labels), "
                     f"{ece(p[rows, top], ys[split][rows, top]):.4f} (top label)")
    print(f"{name:10} " + "; ".join(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    args = ap.parse_args()

    cfg = load_engine_config(args.config).tagger
    an = zero_shot_analyzer(args.config)
    tagger = make_tagger(an, cfg)
    codes = [lb.code for lb in tagger.labels]
    items = {split: load_cached(split) for split in ("dev", "test")}
    sims = {split: article_scores(tagger, it, cfg.headline_weight) for split, it in items.items()}
    ys = {split: targets(it, codes) for split, it in items.items()}

    fitted = fit(sims["dev"], ys["dev"])
    print(f"fitted on dev ({len(items['dev'])} articles x {len(codes)} labels): slope {fitted.slope:.3f}, "
          f"margin_slope {fitted.margin_slope:.3f}, intercept {fitted.intercept:.3f}")
    report("configured", tagger, sims, ys)
    tagger.calibration = fitted
    report("fitted", tagger, sims, ys)

    print(f"\ndev, fitted values, at most {cfg.max_tags} tags: min_score → mean tags, articles with none, "
          f"with 1-3, right label returned")
    p = np.stack([tagger.calibrate(s) for s in sims["dev"]])
    for t in THRESHOLDS:
        n = np.minimum((p >= t).sum(1), cfg.max_tags)
        hit = ((p >= t) & (p >= np.sort(p, 1)[:, [-cfg.max_tags]]) & (ys["dev"] == 1)).any(1)
        print(f"  {t:4}: {n.mean():.2f} tags, {(n == 0).mean():.3f} none, {((n >= 1) & (n <= 3)).mean():.3f} "
              f"1-3, {hit.mean():.3f} right")

    seed = tagger.calibrate(tagger.similarities(*analyze_vectors(an, SEED.read_text(encoding="utf-8")))[0])
    names = {lb.code: lb.name for lb in tagger.labels}
    order = np.argsort(-seed, kind="stable")[:4]
    print("\nseed article, fitted values: " + ", ".join(f"{names[codes[i]]} {seed[i]:.3f}" for i in order))
    print(f"  conflict {seed[codes.index(CONFLICT)]:.3f}, politics {seed[codes.index(POLITICS)]:.3f} "
          f"(min_score must not exceed this)")


if __name__ == "__main__":
    main()
