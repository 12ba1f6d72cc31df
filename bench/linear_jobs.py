"""One-vs-rest LinearSVC fitted one label at a time against `newsdesk train`'s fit (labels side by side in
worker processes), on a multi-label recipe's own training features, in one process.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.linear_jobs [configs/train/reuters-topics.yaml] [--c 4]

The recipe's vectors must be cached (a warm `newsdesk train` run). Prints a JSON with both wall times,
their ratio and the largest difference between the two fits' weights (0: the same model).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from training.config import load_train_config
from training.data import load_dataset
from training.topics import _design, _solve, features, gold_matrix, new_model
from training.vectors import VectorCache, encode_examples, engine_for


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?", type=Path, default=Path("configs/train/reuters-topics.yaml"))
    ap.add_argument("--c", type=float, default=4.0)
    args = ap.parse_args()

    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    cfg = load_train_config(args.config)
    ds = load_dataset(cfg)
    engine = engine_for(cfg.model.encoder)
    docs = encode_examples(engine, ds.splits["train"], VectorCache(cfg.cache, engine), "train")
    codes = [lb.code for lb in ds.taxonomy]
    model = new_model(cfg, docs, len(codes), docs[0].vectors.shape[1])
    train = features(model, docs, gold_matrix(ds.splits["train"], codes))
    x, gold = _design(model, [train], cfg.training.dense_weight)
    present = (gold.sum(0) > 0) & (gold.sum(0) < len(gold))

    start = time.perf_counter()  # the baseline: one label at a time in this process
    ovr = OneVsRestClassifier(LinearSVC(C=args.c, random_state=cfg.seed)).fit(x, gold[:, present])
    serial_s = time.perf_counter() - start
    serial = np.vstack([e.coef_ for e in ovr.estimators_])
    start = time.perf_counter()  # what `newsdesk train` runs
    shipped = _solve(x, gold, args.c, True, cfg.seed)[0][present]
    shipped_s = time.perf_counter() - start
    print(json.dumps({
        "recipe": str(args.config), "rows": x.shape[0], "columns": x.shape[1], "labels": int(present.sum()),
        "cores": os.cpu_count(), "one_at_a_time_s": round(serial_s, 1), "side_by_side_s": round(shipped_s, 1),
        "speed_up": round(serial_s / shipped_s, 2),
        "max_weight_difference": float(abs(serial - shipped).max()),
    }, indent=1))

if __name__ == "__main__":
    main()
