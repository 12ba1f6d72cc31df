"""What `limits.max_tokens` bounds: text under `limits.max_chars` whose encoder cost is out of proportion to
its characters (one-letter lines: each a sentence with two special tokens; a run of "!": a token a
character), beside prose of the same length (the seed article repeated), same process, default config;
then the same texts with the token limit off (`--unlimited`: the before column, minutes).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.token_limit [--unlimited]
"""

from __future__ import annotations

import sys
import time

from service.analyzer import Analyzer
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.settings import PROJECT_ROOT

CHARS = 99_000
HEAD = "Officials met in the capital on Monday to discuss the budget.\n"


def _fill(unit: str) -> str:
    return HEAD + (unit * (CHARS // len(unit) + 1))[: CHARS - len(HEAD)]


def main() -> None:
    seed = (PROJECT_ROOT / "seeds" / "iraq-coalition-security-partnership.txt").read_text(encoding="utf-8")
    texts = {"prose (the seed, repeated)": _fill(seed + "\n"), "one-letter lines": _fill("a\n"),
             'a run of "!"': _fill("!")}
    analyzer = Analyzer.from_config_file(PROJECT_ROOT / "configs" / "default.yaml")
    limits = [analyzer.config.limits.max_tokens] + ([None] if "--unlimited" in sys.argv else [])
    options = AnalyzeOptions(include=["tags", "summary"])
    base = None
    for max_tokens in limits:
        analyzer.config = analyzer.config.model_copy(update={
            "limits": analyzer.config.limits.model_copy(update={"max_tokens": max_tokens})})
        for name, text in texts.items():
            t = time.perf_counter()
            r = analyzer.analyze(AnalyzeRequest(text=text, options=options))
            s = time.perf_counter() - t
            base = base or s
            kept = max((x.end for x in r.summary.sentences), default=0)
            print(f"max_tokens={max_tokens}: {name}: {len(text):,} chars, {s:.1f} s, {s / base:.1f}x prose, "
                  f"truncated={r.truncated}, last summary sentence ends at {kept:,}", flush=True)


if __name__ == "__main__":
    main()
