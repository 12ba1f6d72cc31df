"""The local engine: reading, model work and writing overlap on one machine.

A reader thread streams the input, drops rows an earlier run committed and duplicate ids, and puts
batches of articles on a bounded queue. Worker processes (one Analyzer each, loaded once) take a
batch at a time and score it in one pass of the engine's three verbs. The calling thread takes
outcomes as they come, commits chunks and reports progress. Processes rather than threads because
spaCy and the Python parts of read-out hold the GIL; two single-threaded workers on two cores beat
one worker whose torch uses both. All queues are bounded: memory does not grow with the input.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from service.config import EngineConfig
from service.errors import ConfigError, NewsdeskError
from service.parent_watch import exit_with_parent
from service.scoring.committer import Committer
from service.scoring.job import Counts, ScoreJob
from service.scoring.keyset import KeySet
from service.scoring.progress import Progress
from service.scoring.rows import Article, FirstWins, RowError, RowSpec, to_article
from service.scoring.sources import InputFile, read_rows
from service.scoring.store import OutputStore

QUEUED_BATCHES_PER_WORKER = 2
MAX_DEFAULT_WORKERS = 4  # each worker holds its own models (~0.7 GB)


class WorkerFailed(NewsdeskError):
    """A worker process died or could not start; what was committed stays, a re-run resumes."""

    code = "worker_failed"


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def classify(files: list[InputFile], spec: RowSpec, committed: KeySet) -> Iterator[Article | RowError | None]:
    """Every input row as an article to score, a bad row, or None: already committed (skip).

    A second row with an id seen earlier in this input is a bad row: the first one wins."""
    first_wins = FirstWins(committed)
    for f in files:
        for raw in read_rows(f, spec.columns):
            yield first_wins(to_article(raw, spec))


# -- worker processes -------------------------------------------------------------------------------
def _worker_main(config: EngineConfig, threads: int, work_q: Any, result_q: Any, parent_pid: int) -> None:
    exit_with_parent(parent_pid)  # a worker must not outlive `newsdesk score`
    try:
        from service.scoring.scorer import load_analyzer, score_batch

        analyzer = load_analyzer(config, threads)
    except ConfigError as e:
        result_q.put(("config_error", e.message))
        return
    except Exception:
        result_q.put(("failed", traceback.format_exc()))
        return
    while (batch := work_q.get()) is not None:
        result_q.put(("done", score_batch(analyzer, batch)))


# -- the run ----------------------------------------------------------------------------------------
def worker_cap(requested: int | None) -> int:
    """Workers to run at most: `--workers` (default: the CPU count, at most 4), never more than the CPU
    count (two workers on one core only share it, and each holds its own models). The run starts them
    one per batch the input fills, so a small input starts fewer."""
    return min(requested or MAX_DEFAULT_WORKERS, cpu_count())


def run_local(job: ScoreJob, files: list[InputFile], store: OutputStore, progress: Progress,
              workers: int | None) -> Counts:
    cap = worker_cap(workers)
    ctx = mp.get_context("spawn")  # fork would copy the reader thread's locks into the workers
    work_q = ctx.Queue(maxsize=cap * QUEUED_BATCHES_PER_WORKER)
    result_q = ctx.Queue()
    threads = max(1, cpu_count() // cap)
    procs: list[Any] = []  # the started workers only: one more per batch sent, up to `cap`
    events: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=10_000)
    stop = threading.Event()

    def note_workers(final: bool) -> None:
        """One line when fewer workers run than --workers asked for: once all `cap` are started, or
        when the input is read and it filled fewer batches."""
        if workers is None or workers <= len(procs) or (not final and len(procs) < cap):
            return
        n = len(procs)
        why = (f"this machine has {cpu_count()} CPUs" if n == cap else
               f"the input fills only {n} batch{'es' if n > 1 else ''} of --batch-size {job.batch_size}")
        progress.note(f"newsdesk score: --workers {workers}: starting {n} "
                      f"worker{'s' if n > 1 else ''} ({why})")

    def dispatch(batch: list[Article]) -> None:
        if len(procs) < cap:  # models load only if there is work, and only in as many workers as batches
            p = ctx.Process(target=_worker_main, args=(job.config, threads, work_q, result_q, os.getpid()),
                            daemon=True, name=f"newsdesk-score-{len(procs)}")
            try:
                p.start()
            except OSError as e:
                raise WorkerFailed(f"could not start scoring worker {p.name}: {e}; "
                                   "what was committed is kept: run the same command again to resume") from e
            procs.append(p)
            if len(procs) == cap:
                note_workers(final=False)
        work_q.put(batch)

    def read() -> None:
        batch: list[Article] = []
        sent = skipped = 0
        try:
            for out in classify(files, job.spec, store.committed):
                if stop.is_set():
                    return
                if out is None:
                    skipped += 1
                    if skipped >= 1000:
                        events.put(("skip", skipped))
                        skipped = 0
                elif isinstance(out, RowError):
                    events.put(("error", out))
                else:
                    batch.append(out)
                    if len(batch) >= job.batch_size:
                        dispatch(batch)
                        sent, batch = sent + 1, []
            if batch:
                dispatch(batch)
                sent += 1
            if 0 < len(procs) < cap:
                note_workers(final=True)
            events.put(("skip", skipped))
            events.put(("end", sent))
        except BaseException as e:  # handed to the main thread, which stops the run with it
            events.put(("fatal", e))
        finally:
            for _ in list(procs):
                work_q.put(None)

    def forward() -> None:
        while not stop.is_set():
            try:
                events.put(result_q.get(timeout=0.5))
            except queue.Empty:
                dead = [p for p in list(procs) if p.exitcode not in (None, 0)]
                if dead:
                    events.put(("failed", f"worker {dead[0].name} exited with code {dead[0].exitcode}"))
                    return

    committer = Committer(job, store, progress)
    threading.Thread(target=read, daemon=True, name="newsdesk-read").start()
    threading.Thread(target=forward, daemon=True, name="newsdesk-results").start()
    batches_sent: int | None = None
    batches_done = 0
    try:
        while batches_sent is None or batches_done < batches_sent:
            kind, payload = events.get()
            if kind == "done":
                batches_done += 1
                committer.add(payload)
            elif kind == "error":
                committer.add([payload])
            elif kind == "skip":
                committer.skip(payload)
            elif kind == "end":
                batches_sent = payload
            elif kind == "fatal":
                raise payload
            elif kind == "config_error":
                raise ConfigError(payload)
            else:
                raise WorkerFailed(f"a scoring worker failed ({payload.strip().splitlines()[-1]}); "
                                   "what was committed is kept: run the same command again to resume")
        return committer.close()
    finally:
        stop.set()
        for p in list(procs):  # started ones only: a Process never started cannot be joined
            p.join(timeout=10 if batches_sent is not None else 0)
            if p.is_alive():
                p.terminate()
