"""Seed article: p50/p99 of a full analysis beside the encoder pass alone, in the same process.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.speed_seed [--runs 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

from service.analyzer import Analyzer
from service.schemas import AnalyzeRequest
from service.settings import DEFAULT_CONFIG, PROJECT_ROOT

SEED = PROJECT_ROOT / "seeds" / "iraq-coalition-security-partnership.txt"


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    an = Analyzer.from_config_file(DEFAULT_CONFIG)
    req = AnalyzeRequest(text=SEED.read_text(encoding="utf-8"))
    texts = an.prepare(req).texts
    for _ in range(3):  # warm-up
        an.analyze(req)
    full, enc, stage = [], [], {"prepare": [], "encode": [], "read_out": []}
    for _ in range(args.runs):  # interleave so drift hits both alike
        t = time.perf_counter()
        r = an.analyze(req)
        full.append((time.perf_counter() - t) * 1000)
        for k in stage:
            stage[k].append(r.timings_ms[k])
        t = time.perf_counter()
        an.encoder.encode(texts, with_tokens=True)
        enc.append((time.perf_counter() - t) * 1000)
    p50f, p50e = statistics.median(full), statistics.median(enc)
    print(f"seed article: {len(texts)} sentences, {args.runs} runs")
    print(f"full analysis  p50 {p50f:7.1f} ms   p99 {percentile(full, 0.99):7.1f} ms")
    print(f"encoder alone  p50 {p50e:7.1f} ms   p99 {percentile(enc, 0.99):7.1f} ms")
    print("stages p50: " + ", ".join(f"{k} {statistics.median(v):.1f} ms" for k, v in stage.items()))
    print(f"ratio full / encoder (p50): {p50f / p50e:.2f}")


if __name__ == "__main__":
    main()
