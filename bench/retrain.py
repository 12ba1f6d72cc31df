"""A training recipe against its baseline, on the same splits, in one process.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.retrain configs/train/bbc-topics.yaml [--cold] [--out DIR]

Taggers: TF-IDF + LinearSVC (one-vs-rest for multi-label; scikit-learn, default C) on title + text, then
`newsdesk train` on the recipe. Summaries: Lead-k, read from the trained artifact's card. Prints a JSON
with both, the ratio of their main metric, and the training wall time; `--cold` trains with an empty
vector cache (a fresh temporary folder), so the time includes encoding every article.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from service.artifacts import MAIN_METRIC, load_manifest
from training.config import load_train_config
from training.data import load_dataset
from training.metrics import label_metrics
from training.run import train


def tfidf_svm(cfg_path: Path) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.svm import LinearSVC

    cfg = load_train_config(cfg_path)
    ds = load_dataset(cfg)
    codes = [lb.code for lb in ds.taxonomy]
    index = {c: i for i, c in enumerate(codes)}

    def xy(split: str) -> tuple[list[str], np.ndarray]:
        rows = ds.splits[split]
        y = np.zeros((len(rows), len(codes)), np.int64)
        for r, ex in enumerate(rows):
            y[r, [index[lb] for lb in ex.labels]] = 1
        return [f"{ex.title or ''}\n{ex.text}" for ex in rows], y

    t0 = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True)
    train_text, y_train = xy("train")
    test_text, y_test = xy("test")
    x_train, x_test = vec.fit_transform(train_text), vec.transform(test_text)
    multi = cfg.task == "multi-label"
    if multi:
        keep = y_train.sum(0) > 0  # LinearSVC needs both classes in train
        clf = OneVsRestClassifier(LinearSVC()).fit(x_train, y_train[:, keep])
        pred = np.zeros_like(y_test)
        pred[:, keep] = clf.predict(x_test)
    else:
        clf = LinearSVC().fit(x_train, y_train.argmax(1))
        pred = np.eye(len(codes), dtype=np.int64)[clf.predict(x_test)]
    m = label_metrics(y_test, pred, codes, multi_label=multi)
    return {k: v for k, v in m.items() if k != "per_label"} | {"seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("config", type=Path)
    ap.add_argument("--cold", action="store_true", help="train with an empty vector cache")
    ap.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    args = ap.parse_args()
    cfg = load_train_config(args.config)
    report: dict = {"recipe": str(args.config), "task": cfg.task, "mode": cfg.model.mode}
    if cfg.task != "extractive-summary":
        report["tfidf_linearsvc"] = tfidf_svm(args.config)
    with tempfile.TemporaryDirectory(prefix="newsdesk-cold-cache-") as cold:
        recipe = args.config
        if args.cold:  # the same recipe with its cache pointed at an empty folder
            raw = json.loads(cfg.model_dump_json())
            raw["cache"] = cold
            recipe = Path(cold) / "recipe.yaml"
            import yaml

            recipe.write_text(yaml.safe_dump(raw))
        t0 = time.perf_counter()
        result = train(recipe, out=args.out.resolve())
        wall = time.perf_counter() - t0
    _, manifest = load_manifest(result.path)
    ours = {k: v for k, v in manifest.metrics.items() if k != "per_label"}
    report.update(
        artifact=str(result.path),
        newsdesk=ours,
        train_wall_seconds=round(wall, 1),
        cold_cache=args.cold,
        phases=manifest.model.get("wall_seconds"),
    )
    main_metric = MAIN_METRIC[cfg.task]
    if "tfidf_linearsvc" in report:
        report["ratio_vs_baseline"] = round(ours[main_metric] / report["tfidf_linearsvc"][main_metric], 4)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
