"""Memory of `newsdesk score` (local engine) over a long synthetic JSONL: does RSS stay flat?

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.score_memory [--rows 200000] [--seconds 600] [--config C]

Writes ROWS short synthetic articles (every row brings new names and numbers, the strings that make a
long-running spaCy grow), runs the real command on them in a subprocess, and samples the resident
memory of the command and of its workers every few seconds, with how many rows were done by then.
Stops after SECONDS (kill -9: the run is resumable) unless the input is finished first.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_EVERY_S = 5.0
NAMES = ["Harlow", "Mbeki", "Quispe", "Novak", "Okafor", "Lindqvist", "Tanaka", "Duarte", "Rahman", "Kowal"]
TOPICS = ["oil prices", "the central bank", "a cup final", "the election", "a new phone", "the film festival"]


def synthetic(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(rows):
            who = f"{rng.choice(NAMES)}{i % 9973}"  # unseen tokens all along the file
            text = (f"{who} of Firm{i} said on Monday that {rng.choice(TOPICS)} moved by "
                    f"{rng.randint(1, 999)} points. Analysts in City{i % 5000} expect "
                    f"{rng.randint(2, 40)} more weeks of change. {who} declined to comment further.")
            fh.write(f'{{"id": "syn-{i}", "text": "{text}"}}\n')


def rss_mb(pid: int) -> float:
    try:
        m = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    except OSError:
        return 0.0
    return int(m.group(1)) / 1024 if m else 0.0


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--config", type=Path, help="engine config for the command (default: its own)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsdesk-memory-") as scratch:  # ~300 MB at 200,000 rows
        run(args, Path(scratch))


def run(args: argparse.Namespace, tmp: Path) -> None:
    src = tmp / "synthetic.jsonl"
    synthetic(src, args.rows)
    print(f"{args.rows} synthetic rows, {src.stat().st_size / 1e6:.1f} MB; {args.workers} workers, "
          f"batch {args.batch_size}; sampling every {SAMPLE_EVERY_S:.0f} s for at most {args.seconds:.0f} s")
    log = (tmp / "stderr.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "score", str(src), "--out", str(tmp / "out.jsonl"),
         "--workers", str(args.workers), "--batch-size", str(args.batch_size),
         *(["--config", str(args.config)] if args.config else [])],
        stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    start = time.monotonic()
    samples = []
    print(f"{'s':>6} {'rows done':>10} {'main MB':>8} {'workers MB':>24}")
    while proc.poll() is None and time.monotonic() - start < args.seconds:
        time.sleep(SAMPLE_EVERY_S)
        done = re.findall(r"newsdesk score: (\d+) done", (tmp / "stderr.log").read_text())
        rows = int(done[-1]) if done else 0
        main_mb, worker_mb = rss_mb(proc.pid), [rss_mb(c) for c in children(proc.pid)]
        samples.append((time.monotonic() - start, rows, main_mb, worker_mb))
        workers = " ".join(f"{w:7.0f}" for w in worker_mb)
        print(f"{samples[-1][0]:6.0f} {rows:10d} {main_mb:8.0f} {workers:>24}", flush=True)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)  # resumable by design; the partial run is what was measured
    proc.wait()
    log.close()
    # Samples with every worker alive: the last ones, once the input is done, see them exiting.
    alive = max((len(x[3]) for x in samples), default=0)
    loaded = [s for s in samples if s[1] > 0 and len(s[3]) == alive and min(s[3]) > 0]
    if len(loaded) >= 2:
        first, last = loaded[0], loaded[-1]
        print(f"after the first results ({first[1]} rows) -> at the end ({last[1]} rows): main "
              f"{first[2]:.0f} -> {last[2]:.0f} MB, workers {sum(first[3]):.0f} -> {sum(last[3]):.0f} MB; "
              f"peak total {max(s[2] + sum(s[3]) for s in samples):.0f} MB")


if __name__ == "__main__":
    main()
