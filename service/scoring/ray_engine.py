"""The Ray engine: Ray Data reads the input, a pool of actors scores it, the driver commits it.

`read_datasource` runs `stripes` read tasks per input file, each keeping every stripes-th row (Ray
hands a map operator's actors one input per read task, so one task per file would leave all but one
actor idle on a single file); they use the same readers and row checks as the local engine (so the same
bad rows and the same ids); rows an earlier run committed are dropped there, against a compact
snapshot of the committed keys. `map_batches` hands batches to
`ScoreActor`s, each loading the Analyzer once. Results stream back to the driver, which writes them
through the same `OutputStore` as the local engine: one committer is what makes the output
exactly-once, and the records are small next to the model work that produced them.

An actor's results come back to the driver only when its task is done, as one block, and a task
scores the whole bundle of blocks it is handed; read tasks hand on a stripe of a file as one block (Ray
Data merges the blocks a read task yields up to `target_max_block_size`). So the stream is cut into
blocks of --batch-size rows before the actors (`repartition(target_num_rows_per_block=...)`, its
tasks asking for no CPU, like the read's): each actor task is one batch, results come back as each
batch is scored (progress lines go on meanwhile), and the committer commits them in chunks of at most
--chunk-size rows, as with the local engine.

An actor whose models fail to load does not die: it answers each batch with the failure, which the
driver raises as the local engine does, a ConfigError (one line, exit code 2) or WorkerFailed. An actor
that dies all the same (out of memory, a lost node) is not restarted: the run stops with WorkerFailed,
as the local engine's does when a worker dies, and a re-run resumes.

Without RAY_ADDRESS, `ray.init()` starts a local Ray; with it, Ray connects to that cluster (every
node needs newsdesk installed, and INPUT must be readable at the same path on every node).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from service.config import EngineConfig
from service.errors import ConfigError, InputError, NewsdeskError
from service.scoring.committer import Committer
from service.scoring.job import Counts, ScoreJob
from service.scoring.keyset import KeySet
from service.scoring.local import WorkerFailed
from service.scoring.progress import Progress
from service.scoring.rows import (
    Article,
    RowError,
    RowSpec,
    duplicate,
    duplicate_places,
    is_committed,
    to_article,
)
from service.scoring.sources import InputFile, read_rows
from service.scoring.store import OutputStore, Scored

try:
    import ray
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask
    from ray.data.exceptions import ExecutionTimeoutError
except ImportError as e:  # the optional extra is not installed
    raise InputError("--engine ray needs Ray: pip install 'newsdesk[ray]'") from e

# Columns of the blocks between reading, scoring and the driver. `kind`: article | error | skip on
# the way in; record | error | skip on the way out (`payload` is then the record JSON or the reason),
# or, from an actor whose models did not load, config_error | failed (`payload`: the message).
COLUMNS = ("kind", "id", "source", "at", "payload")
ROWS_PER_BLOCK = 256
RESUME = "what was committed is kept: run the same command again to resume"


def _block(rows: list[tuple[str, str | None, str, str, str | None]]) -> pa.Table:
    return pa.table({c: pa.array([r[i] for r in rows], pa.string()) for i, c in enumerate(COLUMNS)})


def _read_file(
    f: InputFile, spec: RowSpec, committed_ref: Any, duplicates_ref: Any, stripe: int, stripes: int
) -> Iterator[pa.Table]:
    committed = KeySet.from_digests(ray.get(committed_ref))
    duplicates = KeySet.from_digests(ray.get(duplicates_ref))
    rows: list[tuple[str, str | None, str, str, str | None]] = []
    for i, raw in enumerate(read_rows(f, spec.columns)):
        if i % stripes != stripe:
            continue
        out = to_article(raw, spec)
        if isinstance(out, Article) and out.at_key in duplicates:
            rows.append(("error", out.id, out.source, out.at, duplicate(out.id, out.source, out.at).error))
        elif is_committed(out, committed):
            rows.append(("skip", None, raw.source, raw.at, None))
        elif isinstance(out, RowError):
            rows.append(("error", out.id, out.source, out.at, out.error))
        else:
            rows.append(("article", out.id, out.source, out.at, out.text))
        if len(rows) >= ROWS_PER_BLOCK:
            yield _block(rows)
            rows = []
    yield _block(rows)


class RowsDatasource(Datasource):
    """The input files as a Ray Data source: `stripes` read tasks per file, stripe k reading rows k,
    k + stripes, ... (each task parses the whole file; parsing is cheap beside scoring)."""

    def __init__(self, files: list[InputFile], spec: RowSpec, committed_ref: Any, duplicates_ref: Any,
                 stripes: int) -> None:
        super().__init__()
        self.files, self.spec, self.stripes = files, spec, stripes
        self.committed_ref, self.duplicates_ref = committed_ref, duplicates_ref

    def estimate_inmemory_data_size(self) -> int | None:
        return sum(_size(f) for f in self.files)

    def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None,
                       data_context: Any = None) -> list[ReadTask]:
        return [
            ReadTask(lambda f=f, k=k: _read_file(f, self.spec, self.committed_ref, self.duplicates_ref, k,
                                                 self.stripes),
                     BlockMetadata(num_rows=None, size_bytes=_size(f) // self.stripes,
                                   input_files=[str(f.path)], exec_stats=None))
            for f in self.files
            for k in range(self.stripes)
        ]


def _size(f: InputFile) -> int:
    paths = [f.path] if f.path.is_file() else [p for p in f.path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in paths)


class ScoreActor:
    """Holds one Analyzer for its lifetime; scores the `article` rows of each batch it is given.

    Models that fail to load leave it alive, answering every batch with why (as the local engine's
    worker does): an actor that raised here would die, and the run end in Ray's error, not ours."""

    def __init__(self, config: EngineConfig, threads: int) -> None:
        self.failure: tuple[str, str] | None = None
        try:
            from service.scoring.scorer import load_analyzer

            self.analyzer = load_analyzer(config, threads)
        except ConfigError as e:
            self.failure = ("config_error", e.message)
        except Exception:
            self.failure = ("failed", traceback.format_exc())

    def __call__(self, batch: pa.Table) -> pa.Table:
        from service.scoring.scorer import score_batch

        if self.failure is not None:
            return _block([(self.failure[0], None, "", "", self.failure[1])])
        rows = batch.to_pylist()
        articles = [Article(r["id"], r["payload"], r["source"], r["at"])
                    for r in rows if r["kind"] == "article"]
        out = [tuple(r[c] for c in COLUMNS) for r in rows if r["kind"] != "article"]
        for o in score_batch(self.analyzer, articles) if articles else []:
            if isinstance(o, Scored):
                out.append(("record", o.id, o.source, o.at, o.json))
            else:
                out.append(("error", o.id, o.source, o.at, o.error))
        return _block(out)


def run_ray(job: ScoreJob, files: list[InputFile], store: OutputStore, progress: Progress,
            num_actors: int | None) -> Counts:
    started_here = not ray.is_initialized()
    if started_here:  # RAY_ADDRESS, if set, picks the cluster
        # Failures reach the user as our one line (below); Ray's warnings and the actors' output (the
        # traceback of every failure, again at each retry) would bury it. Ray's session folder keeps them.
        ray.init(include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False  # ours shows articles/s, ETA
        data_log = logging.getLogger("ray.data")  # to Ray's session folder, not to the terminal
        data_log.setLevel(logging.WARNING)
        for handler in data_log.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setLevel(logging.CRITICAL)
        committed_ref = ray.put(np.asarray(store.committed.digests()))
        # Stripes of a file are read side by side, so which of two rows with one id came first is decided
        # here, in one pass over the input, as the local engine decides it.
        duplicates = duplicate_places(files, job.spec, store.committed)
        duplicates_ref = ray.put(np.asarray(duplicates.digests()))
        stripes = 2 * (num_actors or 1)  # two inputs per actor: a slow stripe does not idle the others
        ds = ray.data.read_datasource(RowsDatasource(files, job.spec, committed_ref, duplicates_ref, stripes),
                                      override_num_blocks=len(files) * stripes, num_cpus=0)
        # Each repartition task slices blocks for one batch (costing next to nothing beside scoring them)
        # and asks for no CPU, as the read's do: Ray Data gives it one, and with every CPU held by an
        # actor (`--num-actors` = the CPUs) it would never run and the run would hang.
        ds = _with_remote_args(ds.repartition(target_num_rows_per_block=job.batch_size), num_cpus=0)
        ds = ds.map_batches(ScoreActor, fn_constructor_args=(job.config, 1), batch_size=job.batch_size,
                            batch_format="pyarrow", num_cpus=1,
                            compute=ray.data.ActorPoolStrategy(size=num_actors or 1))
        # Ray Data restarts its actors without end by default, and Ray's core worker then logs an error on
        # stderr as each one starts (its constructor arguments, Ray Data's map function among them, are in
        # the object store, where a restart might not find them): a dead actor ends the run instead.
        ds = _with_remote_args(ds, max_restarts=0)
        try:
            return _commit_stream(ds.iter_batches(batch_size=None, batch_format="pyarrow"),
                                  Committer(job, store, progress))
        except (ray.exceptions.RayError, ExecutionTimeoutError) as e:
            raise _unwrap(e) from e
    finally:
        if started_here:
            ray.shutdown()


def _with_remote_args(ds: Any, **remote_args: Any) -> Any:
    """`ds`, its last operator's Ray remote args updated with `remote_args`: Ray Data has no argument for
    a repartition's `num_cpus`, and takes `max_restarts` only as a `**ray_remote_args` it deprecates (with
    a warning on stderr)."""
    args = getattr(getattr(getattr(ds, "_logical_plan", None), "dag", None), "ray_remote_args", None)
    if not isinstance(args, dict):  # a Ray other than the one pyproject.toml pins
        raise RuntimeError(f"Ray Data {ray.__version__} keeps an operator's remote args elsewhere; "
                           "install the version pyproject.toml pins")
    args.update(remote_args)
    return ds


def _unwrap(e: BaseException) -> NewsdeskError:
    """Ray's error for a failed task or a dead actor (or Ray Data's for a run that stopped moving) as
    ours: the NewsdeskError (a ConfigError, say) that caused it, else WorkerFailed with the error's last
    line (Ray's own errors span many)."""
    seen: set[int] = set()
    cause: BaseException | None = e
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, NewsdeskError) and not isinstance(cause, ray.exceptions.RayError):
            return cause  # (RayTaskError(ConfigError) is both: its `cause` is the ConfigError)
        inner = getattr(cause, "cause", None)
        cause = inner if isinstance(inner, BaseException) else cause.__cause__
    lines = [line.strip() for line in str(e).splitlines() if line.strip()] or [type(e).__name__]
    if isinstance(e, ExecutionTimeoutError):  # what happened first, then what is still running
        return WorkerFailed(f"the Ray run stopped: {lines[0]}; {RESUME}")
    return WorkerFailed(f"a Ray scoring actor failed ({lines[-1]}); {RESUME}")


def _commit_stream(batches: Iterator[pa.Table], committer: Committer) -> Counts:
    for batch in batches:
        outcomes: list[Scored | RowError] = []
        for kind, id_, source, at, payload in zip(*(batch.column(c).to_pylist() for c in COLUMNS),
                                                  strict=True):
            if kind == "skip":
                committer.skip(1)
            elif kind == "config_error":
                raise ConfigError(payload)
            elif kind == "failed":
                raise WorkerFailed(f"a scoring actor failed ({payload.strip().splitlines()[-1]}); {RESUME}")
            elif kind == "record":
                outcomes.append(Scored(id_, source, at, payload))
            else:
                outcomes.append(RowError(id_, source, at, payload))
        committer.add(outcomes)
    return committer.close()
