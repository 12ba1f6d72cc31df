"""Batch scoring throughput on BBC News: the local engine beside a naive loop, and Ray beside local.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.score_throughput [--limit N] [--naive 200] [--ray]
        [--config C] [--runtime torch-bf16] [--encoder-batch 16]

The naive loop is one `Analyzer.analyze` per article in this process (torch on every core); the
local engine is `newsdesk score`'s (worker processes, batches across articles); with --ray, the Ray
engine runs on a local Ray with as many CPUs and actors as the local engine has workers, on the same
input. All in one process, so the ratios compare runs on the same machine at the same time.
Articles are read by path from ../shared; outputs go to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.bbc import BBC
from service.config import EncoderConfig, EngineConfig, load_engine_config
from service.scoring.job import ScoreJob
from service.scoring.local import cpu_count
from service.scoring.progress import Progress
from service.scoring.run import score
from service.settings import DEFAULT_CONFIG

BBC_JSONL = BBC / "bbc_news_summary.jsonl"


def naive(rows: list[dict], config: EngineConfig) -> float:
    from service.analyzer import Analyzer
    from service.schemas import AnalyzeRequest

    an = Analyzer(config)
    an.analyze(AnalyzeRequest(text=rows[0]["article"]))  # warm-up
    t = time.perf_counter()
    for r in rows:
        an.analyze(AnalyzeRequest(text=r["article"], id=r["id"]))
    return len(rows) / (time.perf_counter() - t)


def timed_score(job: ScoreJob, engine: str, parallelism: int) -> tuple[float, int, float]:
    """Wall time (with worker start and model loading, as a user sees it), articles, steady rate."""
    progress = Progress(enabled=False)
    t = time.perf_counter()
    counts = score(job, engine=engine, parallelism=parallelism, progress=progress)
    return time.perf_counter() - t, counts.scored, progress.rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=0, help="score the first N articles (default: all 2,225)")
    ap.add_argument("--naive", type=int, default=200, help="articles for the naive loop")
    ap.add_argument("--workers", type=int, default=cpu_count())
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--ray", action="store_true", help="also run the Ray engine on the same input")
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="engine config")
    ap.add_argument("--runtime", help="encoder.runtime instead of the config's (e.g. torch-bf16)")
    ap.add_argument("--encoder-batch", type=int, help="encoder.batch_size instead of the config's")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as scratch:
        run(args, Path(scratch))


def run(args: argparse.Namespace, tmp: Path) -> None:
    rows = [json.loads(line) for line in BBC_JSONL.open(encoding="utf-8")][: args.limit or None]
    src = tmp / "bbc.jsonl"
    src.write_text("".join(json.dumps({"id": r["id"], "article": r["article"]}) + "\n" for r in rows))
    config = load_engine_config(args.config)
    encoder = {k: v for k, v in (("runtime", args.runtime), ("batch_size", args.encoder_batch)) if v}
    config = config.model_copy(  # validated: a typo in --runtime is an error, not a silent default
        update={"encoder": EncoderConfig.model_validate(config.encoder.model_dump() | encoder)})

    def job(name: str) -> ScoreJob:
        return ScoreJob(src, tmp / name, config, ("article",), batch_size=args.batch_size)

    print(f"{len(rows)} BBC articles, {cpu_count()} cores, {args.workers} workers, batch {args.batch_size}; "
          f"encoder {config.encoder.runtime}, batches of {config.encoder.batch_size} sentences")
    naive_rate = naive(rows[: args.naive], config)
    print(f"naive loop (Analyzer.analyze per article, {args.naive} articles): {naive_rate:.2f} articles/s")
    local_s, n, local_rate = timed_score(job("local.jsonl"), "local", args.workers)
    print(f"local engine: {n} articles in {local_s:.1f} s (with model loading) = "
          f"{n / local_s:.2f} articles/s; after loading {local_rate:.2f} articles/s = "
          f"{local_rate / naive_rate:.2f}x the naive loop")
    if args.ray:
        import ray

        ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="WARNING")
        try:
            ray_s, n, ray_rate = timed_score(job("ray.jsonl"), "ray", args.workers)
        finally:
            ray.shutdown()
        print(f"ray engine ({args.workers} actors, local Ray): {n} articles in {ray_s:.1f} s (with model "
              f"loading); after loading {ray_rate:.2f} articles/s; time ray / local = {ray_s / local_s:.2f}")


if __name__ == "__main__":
    main()
