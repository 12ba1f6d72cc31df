"""The second level of the default IPTC tagger: how often the child shown under a right parent is right,
and the child calibration (`tagger.child_calibration`) fitted on dev.

BBC entertainment and tech map to second-level codes (arts and entertainment; technology and engineering),
and every Reuters topic maps to one under economy or labour (configs/mappings/). For each article whose
mapped parent has a mapped child, the parent's children are scored zero-shot as the engine does; the
calibration p = sigmoid(slope·s + margin_slope·lead(s) + intercept) is fitted one-vs-rest on the dev
splits and measured on test.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.second_level
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from service.config import CalibrationConfig, load_engine_config
from service.settings import DEFAULT_CONFIG, PROJECT_ROOT
from service.tagger import calibrated_logits, lead, sigmoid
from service.taggers import ZeroShotArticleTagger
from service.taxonomy import load_label_map, load_taxonomy
from training.config import load_train_config
from training.data import load_dataset
from training.metrics import expected_calibration_error
from training.vectors import VectorCache, encode_examples, engine_for

SOURCES = {"bbc": ("bbc-topics", "bbc-iptc"), "reuters": ("reuters-topics", "reuters-iptc")}
THRESHOLDS = (0.3, 0.5, 0.7)


def child_rows(
    name: str, split: str, tagger: ZeroShotArticleTagger
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per article with a mapped child: its parent's children's scores, and which of them are right."""
    recipe, mapping = SOURCES[name]
    tc = load_train_config(PROJECT_ROOT / "configs" / "train" / f"{recipe}.yaml")
    label_map = load_label_map(PROJECT_ROOT / "configs" / "mappings" / f"{mapping}.yaml")
    taxonomy = load_taxonomy(label_map.taxonomy)
    rows = load_dataset(tc).splits[split]
    engine = engine_for(tc.model.encoder)
    docs = encode_examples(engine, rows, VectorCache(tc.cache, engine), f"{name} {split}")
    sims, gold = [], []
    for ex, doc in zip(rows, docs, strict=True):
        codes = {c for label in ex.labels for c in label_map.labels[label]}
        parents = [taxonomy.by_code[c].parent for c in codes if taxonomy.by_code[c].parent]
        if not parents:
            continue
        kids = tagger.children[parents[0]]
        body = [s.index for s in doc.sentences if s.role == "body"]
        mean = doc.vectors.mean(0)
        sims.append(kids.similarities(mean / np.linalg.norm(mean), doc.vectors, body)[0])
        gold.append(np.array([lb.code in codes for lb in kids.labels], np.float32))
    return sims, gold


def main() -> None:
    config = load_engine_config(DEFAULT_CONFIG)
    tagger = ZeroShotArticleTagger.from_engine(config, engine_for(config.encoder).encoder)
    data = {(n, s): child_rows(n, s, tagger) for n in SOURCES for s in ("dev", "test")}
    x = np.concatenate([np.stack([np.concatenate(sims), np.concatenate([lead(v) for v in sims])], 1)
                        for (_, split), (sims, _) in data.items() if split == "dev"])
    y = np.concatenate([np.concatenate(gold) for (_, split), (_, gold) in data.items() if split == "dev"])
    lr = LogisticRegression(C=1e6, max_iter=10_000).fit(x, y)
    fitted = CalibrationConfig(slope=float(lr.coef_[0][0]), margin_slope=float(lr.coef_[0][1]),
                               intercept=float(lr.intercept_[0]))
    print(f"fitted on dev: slope {fitted.slope:.3f}, margin_slope {fitted.margin_slope:.3f}, "
          f"intercept {fitted.intercept:.3f}; configured: {config.tagger.child_calibration}")
    for name in SOURCES:
        sims, gold = data[(name, "test")]
        right = np.mean([g[s.argmax()] for s, g in zip(sims, gold, strict=True)])
        p = [sigmoid(calibrated_logits(config.tagger.child_calibration, s)) for s in sims]
        best = [(q.max(), g[q.argmax()]) for q, g in zip(p, gold, strict=True)]
        shown = [f"q >= {t}: shown {np.mean([b >= t for b, _ in best]):.2f}, right "
                 f"{np.mean([ok for b, ok in best if b >= t]):.3f}" for t in THRESHOLDS]
        ece = expected_calibration_error(np.concatenate(p), np.concatenate(gold))
        print(f"{name} test, {len(sims)} articles: best child right given the parent {right:.3f}; "
              f"ECE {ece:.4f}; " + "; ".join(shown))


if __name__ == "__main__":
    main()
