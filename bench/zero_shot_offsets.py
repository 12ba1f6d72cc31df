"""Fit the zero-shot tagger's per-topic offsets (`tagger.offsets`) on texts that are not BBC's; check them.

Some topics' descriptions match news more readily than others' (crime's trials and fines turn up in
business, arts and politics stories), so the plain argmax over similarity scores leans towards them. One
offset per top-level topic, and one shared scale, of a softmax over the 17 scores are fitted by maximum
likelihood on three sources that weigh the same:

- the taxonomy's second-level descriptions, each an example of its parent topic;
- the top-level descriptions, each scored without itself among its topic's others;
- the project's own 750 invented news articles written for the summariser (`bench/data/highlights/`,
  `configs/train/data/highlights*.jsonl`), each filed under one top-level topic (its `iptc`).

BBC is only the check (top-1 on its three splits, cached by `bench/cache_bbc.py`), beside the hand-written
articles of `bench/data/other_publishers`, 204 short invented articles written after the offsets were
fitted (`bench/data/topic_articles/`, 12 a topic in twelve styles, their topic in `iptc`), Reuters business
wires tagged economy first, and the seed.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.zero_shot_offsets   # ~5 min; prints the offsets to configure

The offsets change the zero-shot logits the trained heads correct, so the heads are retrained after them.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import torch

from bench.bbc import BBC_TO_IPTC
from bench.cache_bbc import encode_articles
from bench.head_weight import other_publishers
from bench.tune_tagger import (
    CONFLICT,
    ECONOMY,
    OUT,
    POLITICS,
    SEED,
    analyze_vectors,
    article_scores,
    load_cached,
    reuters_rows,
    zero_shot_analyzer,
)
from service.analyzer import Analyzer
from service.config import load_engine_config
from service.settings import DEFAULT_CONFIG
from service.tagger import ZeroShotTagger
from service.taggers import ZeroShotArticleTagger

HERE = Path(__file__).resolve().parent
OWN_FILES = sorted(HERE.glob("data/highlights/part*.jsonl")) + sorted(
    (HERE.parent / "configs" / "train" / "data").glob("highlights*.jsonl")
)
TOPIC_FILES = sorted(HERE.glob("data/topic_articles/part*.jsonl"))


def own_articles(an: Analyzer, files: list[Path]) -> tuple[list[dict], list[str]]:
    """The invented articles of these files encoded as `bench/cache_bbc.py` encodes BBC's (each once:
    bench/out/ keeps them by id), and their topic codes (`iptc`)."""
    rows = [json.loads(line) for path in files for line in path.open(encoding="utf-8") if line.strip()]
    cached = OUT / "own_articles.pkl"
    known: dict[str, dict] = {}
    if cached.exists():
        with cached.open("rb") as f:
            known = pickle.load(f)
    new = [r for r in rows if r["id"] not in known]
    encoded = encode_articles(an, [(r["text"], r["title"]) for r in new], "own articles")
    known |= {r["id"]: e for r, e in zip(new, encoded, strict=True)}
    if new:
        OUT.mkdir(exist_ok=True)
        with cached.open("wb") as f:
            pickle.dump(known, f)
    return [known[r["id"]] for r in rows], [r["iptc"] for r in rows]


def fit(sources: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Offsets (in similarity units) of softmax(scale · (s + offset)) fitted on (scores, gold index) sources,
    each weighing the same in all."""
    x = torch.tensor(np.concatenate([s for s, _ in sources]), dtype=torch.float64)
    y = torch.tensor(np.concatenate([g for _, g in sources]))
    w = torch.tensor(np.concatenate([np.full(len(g), 1.0 / len(g)) for _, g in sources]))
    scale = torch.tensor(50.0, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(x.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([scale, bias], max_iter=500, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (torch.nn.functional.cross_entropy(scale * x + bias, y, reduction="none") * w).sum() / w.sum()
        loss.backward()
        return loss

    opt.step(closure)
    off = (bias / scale).detach().numpy()
    return off - off.mean()  # only differences between topics matter; centred, they read as priors


def main() -> None:
    cfg = load_engine_config(DEFAULT_CONFIG).tagger
    an = zero_shot_analyzer(DEFAULT_CONFIG)
    engine_tagger = an.tagger
    assert isinstance(engine_tagger, ZeroShotArticleTagger)  # the config's kind; its vectors are reused
    top = engine_tagger.tagger
    labels = top.labels
    codes = [lb.code for lb in labels]
    # scores without any offsets: what is fitted, and what every offset vector below is added to
    tagger = ZeroShotTagger(labels, top.descriptions, [len(lb.prompts()) for lb in labels], top.calibration,
                            top_k=top.top_k, pooling=top.pooling)

    children = engine_tagger.children  # each second-level description is an example of its parent
    seconds = (tagger.text_scores(np.concatenate([kids.descriptions for kids in children.values()])),
               np.concatenate([[codes.index(parent)] * len(kids.descriptions)
                               for parent, kids in children.items()]))
    tops = (tagger.text_scores(tagger.descriptions, leave_out=np.arange(len(tagger.descriptions))),
            np.repeat(np.arange(len(labels)), [len(lb.prompts()) for lb in labels]))

    def scored(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
        items, topics = own_articles(an, files)
        return article_scores(tagger, items, cfg.headline_weight), np.array([codes.index(c) for c in topics])

    owns, unseen = scored(OWN_FILES), scored(TOPIC_FILES)
    fitted = fit([seconds, tops, owns])

    bbc = {}
    for split in ("train", "dev", "test"):
        items = load_cached(split)
        bbc[split] = (article_scores(tagger, items, cfg.headline_weight),
                      np.array([codes.index(BBC_TO_IPTC[x["category"]]) for x in items]))
    whole, cut = other_publishers()
    others = {
        name: (np.stack([tagger.similarities(*analyze_vectors(an, text))[0] for text, _ in rows]),
               np.array([codes.index(c) for _, c in rows]))
        for name, rows in (("whole", whole), ("cut", cut))
    }
    wires = np.stack(  # the 200 wires `bench.tune_tagger --reuters 40` reads
        [tagger.similarities(*analyze_vectors(an, text, title))[0] for title, text in reuters_rows(40)]
    )
    seed = tagger.similarities(*analyze_vectors(an, SEED.read_text(encoding="utf-8")))[0]

    def top1(scores: tuple[np.ndarray, np.ndarray], off: np.ndarray) -> float:
        return float(((scores[0] + off).argmax(1) == scores[1]).mean())

    print("top-1 | BBC train / dev / test | other publishers whole / cut | topic articles | Reuters wires"
          " economy first | seed ranks (conflict, politics) | own articles (fitted on)")
    configured = np.array([cfg.offsets.get(c, 0.0) for c in codes])
    for name, off in (("none", np.zeros(len(codes))), ("configured", configured), ("fitted", fitted)):
        ranked = [codes[i] for i in np.argsort(-(seed + off), kind="stable")]
        print(f"{name:10} | " + " / ".join(f"{top1(bbc[s], off):.3f}" for s in ("train", "dev", "test"))
              + f" | {top1(others['whole'], off):.3f} / {top1(others['cut'], off):.3f}"
              + f" | {top1(unseen, off):.3f}"
              + f" | {int(((wires + off).argmax(1) == codes.index(ECONOMY)).sum())}/{len(wires)}"
              + f" | {ranked.index(CONFLICT) + 1}, {ranked.index(POLITICS) + 1} | {top1(owns, off):.3f}")
    print("tagger.offsets (fitted):")
    for lb, o in zip(labels, fitted, strict=True):
        print(f"    {lb.code}: {o:.4f}   # {lb.name}")


if __name__ == "__main__":
    main()
