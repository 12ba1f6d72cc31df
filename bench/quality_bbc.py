"""Quality of the embedded default on the BBC test split (never used for training).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.quality_bbc [--split test] [--config C]

Tags: top-1 accuracy of the full IPTC ranking against the category mapped to IPTC.
Summaries: ROUGE-1/2/L/Lsum (rouge-score, stemming) at 3 sentences beside Lead-3.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import numpy as np
from rouge_score import rouge_scorer
from tqdm import tqdm

from bench.bbc import BBC_TO_IPTC, load_split
from service.analyzer import Analyzer
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.settings import DEFAULT_CONFIG
from training.references import reference_sentences

METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")


def rouge(scorer: rouge_scorer.RougeScorer, ref: list[str], hyp: list[str]) -> np.ndarray:
    s = scorer.score("\n".join(ref), "\n".join(hyp))
    return np.array([s[m].fmeasure for m in METRICS]) * 100


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="test")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    an = Analyzer.from_config_file(args.config)
    rows = load_split(args.split)[: args.limit or None]
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    opts = AnalyzeOptions(max_tags=50, min_score=0.0, summary_sentences=3, include=["tags", "summary"])
    correct, confusion = 0, Counter()
    ours, lead = np.zeros(4), np.zeros(4)
    for i in tqdm(range(0, len(rows), 16), desc=f"bbc {args.split}"):
        chunk = rows[i : i + 16]
        reqs = [AnalyzeRequest(text=r["article"], title=r["title"], options=opts) for r in chunk]
        prepared = an.prepare_many(reqs)
        for r, p, e in zip(chunk, prepared, an.encode(prepared), strict=True):
            res = an.read_out(p, e)
            gold = BBC_TO_IPTC[r["category"]]
            top = res.tags[0].code
            correct += top == gold
            if top != gold:
                confusion[(r["category"], res.tags[0].label)] += 1
            body = [s.text for s in p.sentences if s.role == "body"]
            ref = reference_sentences([s.text for s in p.sentences], r["summary"])
            ours += rouge(scorer, ref, [s.text for s in res.summary.sentences])
            lead += rouge(scorer, ref, body[:3])
    n = len(rows)
    out = {
        "split": args.split, "n": n, "model": an.model_info.model_dump(),
        "tags_top1_accuracy": round(correct / n, 4),
        "summary_3_sentences": dict(zip(METRICS, (ours / n).round(2).tolist(), strict=True)),
        "lead_3": dict(zip(METRICS, (lead / n).round(2).tolist(), strict=True)),
        "top_confusions": [f"{a} -> {b}: {c}" for (a, b), c in confusion.most_common(8)],
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
