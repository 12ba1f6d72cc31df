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

from training.config import load_train_config
from training.data import load_dataset
from training.topics import _design, _solve, features, gold_matrix, new_model
from training.vectors import VectorCache, encode_examples, engine_for


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", nargs="?", type=Path, default=Path("configs/train/reuters-topics.yaml"))
    ap.add_argument("--c", type=float, default=4.0)
    args = ap.parse_args()

    cfg = load_train_config(args.config)
    ds = load_dataset(cfg)
    engine = engine_for(cfg.model.encoder)
    docs = encode_examples(engine, ds.splits["train"], VectorCache(cfg.cache, engine), "train")
    codes = [lb.code for lb in ds.taxonomy]
    model = new_model(cfg, docs, len(codes), docs[0].vectors.shape[1])
    train = features(model, docs, gold_matrix(ds.splits["train"], codes))
    x, gold = _design(model, [train], cfg.training.dense_weight)

    fits, seconds = {}, {}
    for jobs in (1, -1):  # the baseline, one label at a time in this process; then what `newsdesk train` runs
        start = time.perf_counter()
        fits[jobs] = _solve(x, gold, args.c, True, cfg.seed, jobs=jobs)[0]
        seconds[jobs] = time.perf_counter() - start
    print(json.dumps({
        "recipe": str(args.config), "rows": x.shape[0], "columns": x.shape[1], "labels": gold.shape[1],
        "cores": os.cpu_count(), "one_at_a_time_s": round(seconds[1], 1),
        "side_by_side_s": round(seconds[-1], 1), "speed_up": round(seconds[1] / seconds[-1], 2),
        "max_weight_difference": float(abs(fits[1] - fits[-1]).max()),
    }, indent=1))


if __name__ == "__main__":
    main()
