"""`newsdesk score`: check the input and the output, run an engine, assemble the output.

Everything that can be checked without loading a model is checked first (the input exists and has
the named fields, OUTPUT's format, that it can be written, that it was not scored by another model),
so a mistake costs one line and exit code 2, not a model load.
"""

from __future__ import annotations

import importlib
import threading

from service.errors import InputError
from service.scoring.job import Counts, ScoreJob
from service.scoring.progress import Progress
from service.scoring.rows import RowSpec
from service.scoring.sources import InputFile, columns_of, count_rows, discover
from service.scoring.store import OutputStore, fingerprint

# engine name -> "module:function"; imported only when chosen (Ray is an optional extra)
ENGINES = {"local": "service.scoring.local:run_local", "ray": "service.scoring.ray_engine:run_ray"}


def check_fields(files: list[InputFile], spec: RowSpec) -> None:
    """Files with a schema must have every text field; JSONL rows are checked one by one."""
    for f in files:
        cols = columns_of(f)
        if cols is None:
            continue
        missing = [c for c in spec.text_fields if c not in cols]
        if missing:
            raise InputError(f"{f.path} has no column {', '.join(map(repr, missing))} (columns: "
                             f"{', '.join(cols)}); name the text with --text-field")


def _count_in_background(files: list[InputFile], progress: Progress) -> None:
    def count() -> None:
        try:
            progress.set_total(sum(count_rows(f) for f in files))
        except (OSError, InputError):
            pass  # no total, so no ETA; the readers report the problem itself

    threading.Thread(target=count, daemon=True, name="newsdesk-count").start()


def score(job: ScoreJob, *, engine: str = "local", parallelism: int | None = None,
          progress: Progress | None = None) -> Counts:
    """Score every row of `job.input` into `job.out` that an earlier run has not committed.

    `parallelism`: worker processes (local) or actors (ray); each engine has its own default."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    files = discover(job.input)
    check_fields(files, job.spec)
    model = {"name": job.config.name, "version": job.config.version}
    store = OutputStore(job.out, fingerprint(model, job.config.model_dump_json()))
    store.open(overwrite=job.overwrite)
    module, func = ENGINES[engine].split(":")
    run = getattr(importlib.import_module(module), func)
    progress = progress or Progress(enabled=False)
    _count_in_background(files, progress)
    try:
        counts: Counts = run(job, files, store, progress, parallelism)
    finally:
        progress.close()
    store.finish(counts.as_dict())
    return counts
