"""Summaries against short highlights, beside Lead-3: the articles of `bench/data/highlights`.

No public news set with highlight summaries is at hand, so the team wrote one (`bench/data/highlights/
README.md`): long articles in several publishers' styles, each with 3-4 highlights written the way a
sub-editor writes them. It is a check, not a benchmark: small, and written by the team that builds the
summariser. The engine reads each article with its title (as a caller sends it); Lead-3 is the first three
body sentences of the same segmentation.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.summary_highlights [ARTIFACT ...] [--config C] [--parts GLOB]

ARTIFACT: summariser artifacts (or output folders with an ACTIVE file) to compare, each in the engine of
`--config` (`configs/default.yaml`); without any, that config's own summariser; `none`: no artifact
(centrality + position). Each at 3 sentences, and at most Lead-3's word count for the same article
(`summary_words`, which takes length out of the comparison). ROUGE F1 × 100, rouge-score with stemming,
sentences joined by newlines (Lsum splits on them). Beside each scorer at 3 sentences: the 95 % bootstrap
interval of its per-article difference from Lead-3 (ROUGE-1 and ROUGE-2), since the set is small.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

from service.analyzer import Analyzer
from service.config import load_engine_config
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.settings import DEFAULT_CONFIG, PROJECT_ROOT

DATA = PROJECT_ROOT / "bench" / "data" / "highlights"
METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
Pairs = list[tuple[list[str], list[str]]]


def load_articles(folder: Path = DATA, parts: str = "*.jsonl") -> list[dict]:
    rows = []
    for path in sorted(folder.glob(parts)):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def rouge(scorer: rouge_scorer.RougeScorer, ref: list[str], hyp: list[str]) -> np.ndarray:
    s = scorer.score("\n".join(ref), "\n".join(hyp))
    return np.array([s[m].fmeasure for m in METRICS]) * 100


def summaries(an: Analyzer, rows: list[dict], words: list[int] | None = None) -> Pairs:
    """(the engine's summary, Lead-3) of each article; at most `words[i]` words each when given."""
    out = []
    for i, r in enumerate(rows):
        opts = (
            AnalyzeOptions(summary_words=words[i], include=["summary"]) if words
            else AnalyzeOptions(summary_sentences=3, include=["summary"])
        )
        p = an.prepare_many([AnalyzeRequest(text=r["text"], title=r["title"], options=opts)])[0]
        res = an.read_out(p, an.encode([p])[0])
        body = [s.text for s in p.sentences if s.role == "body"]
        out.append(([s.text for s in res.summary.sentences], body[:3]))
    return out


def engines(config: str, artifacts: list[str]) -> list[tuple[str, Analyzer]]:
    cfg = load_engine_config(config)
    if not artifacts:
        return [(str(cfg.summarizer.artifact), Analyzer(cfg))]
    out = []
    for a in artifacts:
        artifact = None if a == "none" else Path(a).resolve()
        summarizer = cfg.summarizer.model_copy(update={"artifact": artifact})
        out.append((a, Analyzer(cfg.model_copy(update={"summarizer": summarizer}))))
    return out


def row(label: str, scores: np.ndarray, words: float) -> str:
    return f"| {label} | {' / '.join(f'{x:.2f}' for x in scores)} | {words:.1f} |"


def difference_interval(diffs: np.ndarray, draws: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """95 % bootstrap interval of the mean of per-article differences."""
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), (draws, len(diffs)))].mean(1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("artifacts", nargs="*")
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    ap.add_argument("--parts", default="*.jsonl", help="which files of bench/data/highlights (a glob)")
    args = ap.parse_args()
    rows = load_articles(parts=args.parts)
    if not rows:
        raise SystemExit(f"bench/data/highlights: no articles in {args.parts!r}")
    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
    refs = [r["highlights"] for r in rows]

    def per_article(pairs: Pairs, which: int) -> np.ndarray:
        return np.array([rouge(scorer, ref, p[which]) for ref, p in zip(refs, pairs, strict=True)])

    def mean_rouge(pairs: Pairs, which: int) -> np.ndarray:
        return per_article(pairs, which).mean(0)

    print(f"{len(rows)} articles, highlights {np.mean([len(' '.join(h).split()) for h in refs]):.1f} words")
    print("| summary | ROUGE-1 / 2 / L / Lsum | words |\n| --- | --- | --- |")
    for k, (name, an) in enumerate(engines(args.config, args.artifacts)):
        three = summaries(an, rows)
        lead_words = [len(" ".join(lead).split()) for _, lead in three]
        lead = per_article(three, 1)
        if k == 0:
            print(row("Lead-3", lead.mean(0), float(np.mean(lead_words))))
        for label, pairs in (("3 sentences", three), ("Lead-3's words", summaries(an, rows, lead_words))):
            words = float(np.mean([len(" ".join(s).split()) for s, _ in pairs]))
            print(row(f"{name}, {label}", mean_rouge(pairs, 0), words), flush=True)
        diffs = per_article(three, 0) - lead
        for m in (0, 1):
            lo, hi = difference_interval(diffs[:, m])
            print(f"  {name} - Lead-3 at 3 sentences, {METRICS[m]}: {diffs[:, m].mean():+.2f} "
                  f"(95 % interval {lo:+.2f} .. {hi:+.2f})")


if __name__ == "__main__":
    main()
