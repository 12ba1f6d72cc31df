"""Serving figures over loopback (127.0.0.1 only; every loop bounded in time and count).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.serve_load [--config C] [--seconds 30] [--seed-runs 40]

1. start: a real `newsdesk serve` process; seconds to /readyz 200 and its RSS with the models loaded;
2. seed, concurrency 1: HTTP p50/p99 beside the encoder pass alone (this process's own encoder, the
   same config), interleaved request by request; the ratio of the p50s;
3. BBC test articles: concurrency 1, then concurrency 8 for `--seconds`; then the encoder-only ceiling:
   the encoder alone over the same articles in batches of `server.max_batch` (the physical limit of this
   design); articles/s of each and the ratios;
4. overload: a second server with a queue of 4, concurrency 64 for `--overload-seconds`: status counts
   (only 200 and 503 allowed), accepted p50/p99, RSS at the start and the end.

The client runs on the same two cores as the server, and its CPU time is part of every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import yaml

from bench.bbc import load_split
from bench.speed_seed import percentile
from service.analyzer import Analyzer
from service.config import portable_yaml
from service.schemas import AnalyzeRequest
from service.settings import DEFAULT_CONFIG, PROJECT_ROOT

SEED = PROJECT_ROOT / "seeds" / "iraq-coalition-security-partnership.txt"
OUT = Path(__file__).resolve().parent / "out"
MAX_REQUESTS = 20_000  # a hard cap on any one phase, whatever the clock says


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Server:
    def __init__(self, config: Path, port: int):
        self.url = f"http://127.0.0.1:{port}"
        self.log = Path(tempfile.mkstemp(prefix="newsdesk-bench-", suffix=".log")[1])
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--port", str(port), "--config", str(config),
                 "--log-level", "warning"],
                cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "HF_HUB_OFFLINE": "1"})

    def wait_ready(self, timeout_s: float = 300) -> float:
        while time.monotonic() - self.started < timeout_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return time.monotonic() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server not ready")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=120)
        self.log.unlink(missing_ok=True)
        return code


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def summary(latencies_ms: list[float]) -> dict[str, float]:
    if not latencies_ms:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    return {"p50_ms": round(statistics.median(latencies_ms), 1),
            "p99_ms": round(percentile(latencies_ms, 0.99), 1)}


async def load(url: str, bodies: list[bytes], concurrency: int, seconds: float,
               pause_after_503_s: float = 0.0) -> dict:
    """`concurrency` closed-loop clients cycling through `bodies` for `seconds`."""
    statuses: Counter[int | str] = Counter()  # HTTP status, or the client's exception for no response
    ok_ms: list[float] = []
    sent = 0
    stop_at = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def worker(k: int) -> None:
            nonlocal sent
            i = k
            while time.monotonic() < stop_at and sent < MAX_REQUESTS:
                sent += 1
                t = time.perf_counter()
                try:
                    r = await client.post("/v1/analyze", content=bodies[i % len(bodies)],
                                          headers={"content-type": "application/json"})
                    status: int | str = r.status_code
                except httpx.TransportError as e:
                    status = type(e).__name__
                statuses[status] += 1
                if status == 200:
                    ok_ms.append((time.perf_counter() - t) * 1000)
                elif status == 503 and pause_after_503_s:
                    await asyncio.sleep(pause_after_503_s)
                i += concurrency

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        wall = time.perf_counter() - t0
    return {"concurrency": concurrency, "seconds": round(wall, 1), "statuses": dict(statuses),
            "ok_per_s": round(len(ok_ms) / wall, 2), **summary(ok_ms)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--c1-seconds", type=float, default=20)
    ap.add_argument("--overload-seconds", type=float, default=20)
    ap.add_argument("--seed-runs", type=int, default=40)
    ap.add_argument("--articles", type=int, default=64)
    ap.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="served and used for the baselines")
    args = ap.parse_args()
    config = args.config.resolve()
    result: dict = {"config": str(config)}

    # 1. start-up, while this process is still idle
    server = Server(config, free_port())
    result["ready_s"] = round(server.wait_ready(), 2)
    result["rss_ready_mb"] = round(rss_mb(server.proc.pid), 1)
    print(f"ready in {result['ready_s']} s, RSS {result['rss_ready_mb']} MB", flush=True)

    an = Analyzer.from_config_file(config)
    max_batch = an.config.server.max_batch
    http = httpx.Client(base_url=server.url, timeout=120)

    # 2. seed, concurrency 1, beside the encoder pass alone
    seed = SEED.read_text(encoding="utf-8")
    seed_body = json.dumps({"text": seed}).encode()
    seed_texts = an.prepare(AnalyzeRequest(text=seed)).texts
    for _ in range(3):
        http.post("/v1/analyze", content=seed_body, headers={"content-type": "application/json"})
        an.encoder.encode(seed_texts, with_tokens=True)
    full, enc = [], []
    for _ in range(args.seed_runs):
        t = time.perf_counter()
        r = http.post("/v1/analyze", content=seed_body, headers={"content-type": "application/json"})
        full.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
        t = time.perf_counter()
        an.encoder.encode(seed_texts, with_tokens=True)
        enc.append((time.perf_counter() - t) * 1000)
    result["seed_c1"] = {"http": summary(full), "encoder_pass": summary(enc),
                         "ratio_p50": round(statistics.median(full) / statistics.median(enc), 2)}
    print(f"seed c=1: {result['seed_c1']}", flush=True)

    # 3. BBC articles: c=1, c=8, encoder-only ceiling
    rows = load_split("test")[: args.articles]
    bodies = [json.dumps({"text": r["article"], "title": r["title"]}).encode() for r in rows]
    result["bbc_c1"] = asyncio.run(load(server.url, bodies, 1, args.c1_seconds))
    print(f"bbc c=1: {result['bbc_c1']}", flush=True)
    result["bbc_c8"] = asyncio.run(load(server.url, bodies, 8, args.seconds))
    print(f"bbc c=8: {result['bbc_c8']}", flush=True)
    texts = [an.prepare(AnalyzeRequest(text=r["article"], title=r["title"])).texts for r in rows]
    done, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min(args.seconds, 15) and done < MAX_REQUESTS:
        batch = [texts[(done + k) % len(texts)] for k in range(max_batch)]
        an.encoder.encode([t for article in batch for t in article], with_tokens=True)
        done += max_batch
    ceiling = done / (time.perf_counter() - t0)
    result["encoder_ceiling_per_s"] = round(ceiling, 2)
    result["c8_over_c1"] = round(result["bbc_c8"]["ok_per_s"] / result["bbc_c1"]["ok_per_s"], 2)
    result["c8_over_ceiling"] = round(result["bbc_c8"]["ok_per_s"] / ceiling, 2)
    print(f"encoder-only ceiling {ceiling:.2f} articles/s; c8/c1 {result['c8_over_c1']}, "
          f"c8/ceiling {result['c8_over_ceiling']}", flush=True)
    result["rss_after_load_mb"] = round(rss_mb(server.proc.pid), 1)
    http.close()
    result["exit_code_on_sigterm"] = server.stop()

    # 4. overload: a small queue, 64 clients
    raw = portable_yaml(config)
    raw["server"]["max_queue"] = 4
    small = Path(tempfile.mkstemp(suffix=".yaml")[1])
    small.write_text(yaml.safe_dump(raw), encoding="utf-8")
    server = Server(small, free_port())
    server.wait_ready()
    asyncio.run(load(server.url, bodies, 8, 3))  # warm-up
    rss0 = rss_mb(server.proc.pid)
    over = asyncio.run(load(server.url, bodies, 64, args.overload_seconds, pause_after_503_s=0.01))
    rss1 = rss_mb(server.proc.pid)
    over |= {"rss_start_mb": round(rss0, 1), "rss_end_mb": round(rss1, 1),
             "rss_growth": round(rss1 / rss0 - 1, 4),
             "only_200_and_503": set(over["statuses"]) <= {200, 503}}
    result["overload_c64_queue4"] = over
    print(f"overload: {over}", flush=True)
    server.stop()
    small.unlink()

    OUT.mkdir(exist_ok=True)
    (OUT / "serve_load.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
