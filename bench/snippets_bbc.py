"""Tags on short snippets: BBC test articles cut down to their headline and/or first paragraph.

Issue 4 measures the default on short wire snippets from other publishers; no such set is at hand. This
cuts each BBC test article (never trained on) to what a wire snippet or a feed item holds and reports the
top-1 accuracy on the mapped IPTC top-level topics, for each config given (the default and, e.g., a copy
without `tagger.head` for the zero-shot tagger alone). The default's head learned from BBC train, so on
another publisher's snippets expect less.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.snippets_bbc [--config C ...]
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable

from bench.bbc import BBC_TO_IPTC, load_split
from service.analyzer import Analyzer
from service.schemas import AnalyzeOptions, AnalyzeRequest, AnalyzeResponse
from service.settings import DEFAULT_CONFIG

OPTIONS = AnalyzeOptions(max_tags=1, min_score=0.0, include=["tags"])


def first_paragraph(article: str) -> str:
    return next(p.strip() for p in article.split("\n") if p.strip())


FORMS: dict[str, Callable[[dict], AnalyzeRequest]] = {
    "headline only": lambda r: AnalyzeRequest(text=r["title"], options=OPTIONS),
    "headline + first paragraph": lambda r: AnalyzeRequest(
        text=first_paragraph(r["article"]), title=r["title"], options=OPTIONS
    ),
    "first paragraph only": lambda r: AnalyzeRequest(text=first_paragraph(r["article"]), options=OPTIONS),
    "whole article": lambda r: AnalyzeRequest(text=r["article"], title=r["title"], options=OPTIONS),
}


def accuracy(an: Analyzer, rows: list[dict], form: Callable[[dict], AnalyzeRequest]) -> tuple[float, Counter]:
    right, wrong = 0, Counter()
    for r, res in zip(rows, an.analyze_many([form(r) for r in rows]), strict=True):
        top = res.tags[0] if isinstance(res, AnalyzeResponse) and res.tags else None  # None: an input error
        if top is not None and top.code == BBC_TO_IPTC[r["category"]]:
            right += 1
        else:
            wrong[(r["category"], top.label if top else "none")] += 1
    return right / len(rows), wrong


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", action="append",
                    help="engine config (repeat to compare; default: the default)")
    ap.add_argument("--split", default="test")
    args = ap.parse_args()
    rows = load_split(args.split)
    for config in args.config or [str(DEFAULT_CONFIG)]:
        an = Analyzer.from_config_file(config)
        print(f"{config} ({an.model_info.name} {an.model_info.version}), BBC {args.split} ({len(rows)}):")
        for name, form in FORMS.items():
            acc, wrong = accuracy(an, rows, form)
            common = ", ".join(f"{a} -> {b} {n}" for (a, b), n in wrong.most_common(3))
            print(f"  {name:28} top-1 {acc:.3f}   most common errors: {common}", flush=True)


if __name__ == "__main__":
    main()
