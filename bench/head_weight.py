"""How much of a topic's probability the heads should give (`tagger.head_weight`), the rest coming from the
descriptions' own: the heads learned from two publishers (BBC, Reuters) and pull other publishers' news
towards their topics.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.head_weight [--weights 1 0.8 0.7 0.6 0.5]

For each weight: the recalibration of the mixture, which is less sure than either part (Platt scaling of
its logit, one-vs-rest over the 17 labels: `tagger.head_weight_calibration` fitted on BBC dev,
`short_head_weight_calibration` on BBC dev cut to headline + first paragraph); then top-1 accuracy on the
17 mapped IPTC top-level topics of BBC dev (209) and test (418), whole and cut, with ECE (10 bins; all 17
labels / the top label); every fifth Reuters ModApte test article with topics mapped to one top-level code
(a sample, for time); `bench/data/other_publishers/` (68 articles written for this check, 4 a topic in
wire, tabloid, broadsheet and local styles, none from BBC or Reuters: whole, and cut to headline + first
sentence); `bench/data/topic_articles/` (204 short articles, 12 a topic, written after the weight was
chosen: whole, and cut to headline + first paragraph); and `bench.tune_tagger.SNIPPETS` (51, won by their
own topic). Each text is encoded once; only the read-out changes with the weight.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from bench.bbc import BBC_TO_IPTC, SHARED, load_split
from bench.snippets_bbc import first_paragraph
from bench.tune_tagger import SNIPPETS
from service.analyzer import Analyzer
from service.config import PlattConfig, load_engine_config
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.settings import DEFAULT_CONFIG
from service.tagger import logit
from service.taxonomy import load_label_map, load_taxonomy
from training.metrics import expected_calibration_error

HERE = Path(__file__).resolve().parent
OTHERS = HERE / "data" / "other_publishers"
TOPICS = {
    "arts": "medtop:01000000", "crime": "medtop:02000000", "disaster": "medtop:03000000",
    "economy": "medtop:04000000", "education": "medtop:05000000", "environment": "medtop:06000000",
    "health": "medtop:07000000", "human_interest": "medtop:08000000", "labour": "medtop:09000000",
    "lifestyle": "medtop:10000000", "politics": "medtop:11000000", "religion": "medtop:12000000",
    "science": "medtop:13000000", "society": "medtop:14000000", "sport": "medtop:15000000",
    "conflict": "medtop:16000000", "weather": "medtop:17000000",
}
OPTIONS = AnalyzeOptions(include=["tags"], max_tags=50, min_score=0.0)


def other_publishers() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(text, code) of the hand-written articles, whole and cut to headline + first sentence."""
    whole, cut = [], []
    for name, code in TOPICS.items():
        for article in (OTHERS / f"{name}.txt").read_text(encoding="utf-8").split("==="):
            lines = article.strip().splitlines()
            whole.append((lines[0] + "\n\n" + " ".join(lines[1:]), code))
            cut.append((lines[0] + "\n\n" + lines[1], code))
    return whole, cut


def topic_articles(cut: bool) -> list[tuple[str, str, str]]:
    """(text, code, title) of `bench/data/topic_articles` (204 short articles, 12 a topic), whole or cut to
    the first paragraph."""
    rows = [json.loads(line) for path in sorted((HERE / "data" / "topic_articles").glob("part*.jsonl"))
            for line in path.open(encoding="utf-8") if line.strip()]
    return [(r["text"].split("\n\n")[0] if cut else r["text"], r["iptc"], r["title"]) for r in rows]


def reuters_sample(codes: list[str]) -> list[tuple[str, str]]:
    """Every fifth ModApte test article whose topics map onto exactly one top-level code."""
    label_map = load_label_map(HERE.parent / "configs" / "mappings" / "reuters-iptc.yaml")
    by_code = load_taxonomy(label_map.taxonomy).by_code

    def top_level(code: str) -> str:
        while by_code[code].parent is not None:
            code = by_code[code].parent
        return code

    out = []
    path = SHARED / "reuters21578" / "modapte_test.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    for row in rows[::5]:
        tops = {top_level(c) for t in row["topics"] for c in label_map.labels.get(t, [])} & set(codes)
        text = f"{row['title']}\n\n{row['body']}".strip()
        if len(tops) == 1 and text:
            out.append((text, tops.pop()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--weights", type=float, nargs="+", default=[1.0, 0.8, 0.7, 0.6, 0.5])
    args = ap.parse_args()
    an = Analyzer(load_engine_config(args.config))
    codes = [lb.code for lb in an.tagger.tagger.labels]
    whole, cut = other_publishers()
    bbc = {split: load_split(split) for split in ("dev", "test")}
    sets = {
        "BBC dev": [(r["article"], BBC_TO_IPTC[r["category"]]) for r in bbc["dev"]],
        "BBC dev, cut": [(first_paragraph(r["article"]), BBC_TO_IPTC[r["category"]], r["title"])
                         for r in bbc["dev"]],
        "BBC test": [(r["article"], BBC_TO_IPTC[r["category"]]) for r in bbc["test"]],
        "BBC test, cut": [(first_paragraph(r["article"]), BBC_TO_IPTC[r["category"]], r["title"])
                          for r in bbc["test"]],
        "Reuters test (1 in 5)": reuters_sample(codes),
        "other publishers, whole": whole,
        "other publishers, headline + first sentence": cut,
        "topic articles, whole": topic_articles(cut=False),
        "topic articles, headline + first paragraph": topic_articles(cut=True),
        "SNIPPETS": [(text, code) for code, items in SNIPPETS.items() for _, text in items],
    }
    encoded = {}
    for name, items in sets.items():
        preps = [an.prepare(AnalyzeRequest(text=item[0], title=item[2] if len(item) > 2 else None,
                                           options=OPTIONS)) for item in items]
        encoded[name] = list(zip(preps, an.encode(preps), strict=True))
    for weight in args.weights:
        an.tagger.head_weight = weight
        fields = (("head_weight_calibration", "BBC dev"), ("short_head_weight_calibration", "BBC dev, cut"))
        for field, dev in fields:
            setattr(an.tagger, field, PlattConfig())
            if weight < 1.0:
                p, gold = scores(an, codes, sets[dev], encoded[dev])
                fit = LogisticRegression(C=1e6).fit(logit(p).reshape(-1, 1), gold.ravel())
                setattr(an.tagger, field, PlattConfig(slope=float(fit.coef_[0, 0]),
                                                      intercept=float(fit.intercept_[0])))
        cells = []
        for name, items in sets.items():
            p, gold = scores(an, codes, items, encoded[name])
            top = p.argmax(1)
            cell = f"{name} {(gold[np.arange(len(p)), top] == 1).mean():.3f}"
            if name.startswith("BBC"):
                rows = np.arange(len(p))
                cell += (f" (ECE {expected_calibration_error(p.ravel(), gold.ravel()):.4f} / "
                         f"{expected_calibration_error(p[rows, top], gold[rows, top]):.4f})")
            cells.append(cell)
        c, short = an.tagger.head_weight_calibration, an.tagger.short_head_weight_calibration
        print(f"head_weight {weight} (calibration slope {c.slope:.3f}, intercept {c.intercept:.3f}; "
              f"short head {short.slope:.3f}, {short.intercept:.3f}): " + "; ".join(cells), flush=True)


def scores(an: Analyzer, codes: list[str], items: list, encoded: list) -> tuple[np.ndarray, np.ndarray]:
    """Each text's top-level probabilities, and its gold topic as one-hot rows."""
    p = np.zeros((len(items), len(codes)), np.float32)
    for row, (prep, enc) in enumerate(encoded):
        for tag in an.read_out(prep, enc).tags:
            if tag.code in codes:
                p[row, codes.index(tag.code)] = tag.score
    return p, np.array([[c == item[1] for c in codes] for item in items], np.float32)


if __name__ == "__main__":
    main()
