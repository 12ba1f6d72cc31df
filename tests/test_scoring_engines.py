"""`newsdesk score` with real models: formats out, bad rows, kill -9 and resume, and the Ray engine
giving the same records as the local one. Articles are cut from the seed, so nothing needs ../shared."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.process
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
import pytest
from test_scoring import NEW_VERSION, models_with_a_new_scorer

from service.scoring.records import record_schema
from training.artifact import promote

KILL_WAIT_S = 240.0


@pytest.fixture(scope="module")
def paragraphs(seed_text: str) -> list[str]:
    return [p for p in seed_text.splitlines() if len(p.split()) > 8]


def seed_rows(paragraphs: list[str], n: int) -> list[dict]:
    """n distinct short articles: a title and two neighbouring paragraphs of the seed."""
    k = len(paragraphs)
    return [{"id": f"seed-{i:03d}", "title": f"Coalition update {i}",
             "body": f"{paragraphs[i % k]}\n{paragraphs[(i + 1 + i // k) % k]}"} for i in range(n)]


def newsdesk(*argv: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service", "score", *argv], capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=600, **kw)


def test_csv_in_parquet_out_with_bad_rows_then_a_rerun_skips_everything(
        tmp_path: Path, paragraphs: list[str]) -> None:
    rows = seed_rows(paragraphs, 6)
    src = tmp_path / "in.csv"
    lines = ["id,title,body"] + [f'{r["id"]},{r["title"]},"{r["body"].replace(chr(34), chr(34) * 2)}"'
                                 for r in rows]
    lines += ["bad-1,,", "bad-2,too,many,fields"]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "scores.parquet"

    done = newsdesk(str(src), "--out", str(out), "--text-field", "title,body", "--workers", "1",
                    "--batch-size", "4")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "6 scored, 2 errors, 0 skipped (already done)"
    table = pq.read_table(out)
    assert table.schema.equals(record_schema())
    assert sorted(table.column("id").to_pylist()) == [r["id"] for r in rows]
    first = table.to_pylist()[0]
    assert first["model"]["name"].endswith("+summary-default")  # the tagger's model, then the scorer's
    assert first["tags"] and first["summary"]["text"]
    assert any(e["type"] == "GPE" for e in first["entities"]) and first["keywords"]
    errors = [json.loads(x) for x in (tmp_path / "scores.parquet.errors.jsonl").read_text().splitlines()]
    assert sorted((e["at"], e["id"]) for e in errors) == [("line 14", "bad-1"), ("line 15", None)]

    again = newsdesk(str(src), "--out", str(out), "--text-field", "title,body", "--workers", "1")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "0 scored, 0 errors, 8 skipped (already done)"
    assert pq.read_table(out).num_rows == 6


def test_output_inside_the_input_folder_is_not_read_back(tmp_path: Path, paragraphs: list[str]) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in seed_rows(paragraphs, 2)))
    out = archive / "scores.jsonl"
    for expected in ("2 scored, 0 errors, 0 skipped (already done)",
                     "0 scored, 0 errors, 2 skipped (already done)"):
        done = newsdesk(str(archive), "--out", str(out), "--text-field", "title,body", "--workers", "1")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == expected
    assert len(out.read_text().splitlines()) == 2 and not out.with_name("scores.jsonl.errors.jsonl").exists()


def test_promoting_another_artifact_version_is_refused_unless_overwrite(
        tmp_path: Path, paragraphs: list[str], make_config) -> None:
    """The config names the scorer's output folder; promoting a new version there changes the model
    without changing the config, and must not be resumed into an output the old version began."""
    config, folder = models_with_a_new_scorer(tmp_path, make_config)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in seed_rows(paragraphs, 3)), encoding="utf-8")
    out = tmp_path / "scores.jsonl"
    argv = [str(src), "--out", str(out), "--config", str(config), "--text-field", "title,body",
            "--workers", "1"]
    manifest = tmp_path / "scores.jsonl.manifest.json"

    def models() -> set[tuple[str, str]]:
        """The model of every record, and the one OUTPUT's manifest names."""
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(records) == 3
        return {(m["name"], m["version"]) for m in [json.loads(manifest.read_text())["model"]]
                + [r["model"] for r in records]}

    first = newsdesk(*argv)
    assert first.returncode == 0, first.stderr
    [(name, version)] = models()  # the manifest says what the records say
    assert name == "iptc-default+iptc-short+summary-default" and not version.endswith(NEW_VERSION)
    scored = out.read_bytes()

    assert promote(tmp_path / "models" / "summary-default", folder).promoted
    refused = newsdesk(*argv)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and refused.stderr.startswith("newsdesk: error: "), refused.stderr
    now = "+".join([*version.split("+")[:2], NEW_VERSION])
    assert (f"was scored with model {name} {version}, this run uses {name} {now}; refusing to mix them: "
            "pass --overwrite") in refused.stderr
    assert out.read_bytes() == scored

    again = newsdesk(*argv, "--overwrite")
    assert again.returncode == 0, again.stderr
    assert models() == {(name, now)}


def children_of(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


def test_kill_9_mid_run_then_rerun_writes_every_id_exactly_once(tmp_path: Path,
                                                                paragraphs: list[str]) -> None:
    rows = seed_rows(paragraphs, 40)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "scores.jsonl"
    argv = [str(src), "--out", str(out), "--text-field", "title,body", "--workers", "1",
            "--batch-size", "2", "--chunk-size", "2"]
    proc = subprocess.Popen([sys.executable, "-m", "service", "score", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    parts = tmp_path / "scores.jsonl.parts"
    deadline = time.monotonic() + KILL_WAIT_S
    while len(list(parts.glob("part-*.parquet"))) < 2:  # some chunks committed, most rows still to do
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no chunk committed in time"
        time.sleep(0.05)
    workers = children_of(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # OUTPUT appears only once the run is complete
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{w}").exists() and "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]
              for w in workers):
        assert time.monotonic() < deadline, "the worker outlived a killed `newsdesk score`"
        time.sleep(0.2)

    done = newsdesk(*argv)
    assert done.returncode == 0, done.stderr
    scored, errors, skipped = (int(x.split()[0]) for x in done.stdout.strip().splitlines()[-1].split(", "))
    assert errors == 0 and skipped >= 4 and scored + skipped == 40
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in records) == [r["id"] for r in rows]  # every id, exactly once
    assert all(r["summary"]["text"] for r in records)
    assert not parts.exists()


def test_ray_engine_gives_the_same_records_as_the_local_engine(
        tmp_path: Path, paragraphs: list[str], make_config) -> None:
    ray = pytest.importorskip("ray", reason="the Ray extra is not installed: pip install 'newsdesk[ray]'")
    from service.config import load_engine_config
    from service.scoring.job import ScoreJob
    from service.scoring.run import score

    rows = seed_rows(paragraphs, 50)
    # the same id again: the first row wins on Ray too, though another stripe may read the second first
    rows[2:2] = [{**rows[1], "body": rows[7]["body"]}]  # line 3 repeats line 2's id
    rows[5:5] = [{**rows[5], "id": "\ud800"}]  # line 6: an id no UTF-8 file can hold (it crashed the run)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = load_engine_config(make_config())
    local = ScoreJob(src, tmp_path / "local.jsonl", config, ("title", "body"), batch_size=8)
    on_ray = ScoreJob(src, tmp_path / "ray.jsonl", config, ("title", "body"), batch_size=8)

    assert score(local, engine="local", parallelism=1).scored == 50
    ray.init(num_cpus=2, object_store_memory=80 * 1024 * 1024, include_dashboard=False)
    try:
        counts = score(on_ray, engine="ray", parallelism=1)
    finally:
        ray.shutdown()
    assert counts.line() == "50 scored, 2 errors, 0 skipped (already done)"

    def records(p: Path) -> dict[str, dict]:
        return {r["id"]: r for r in map(json.loads, p.read_text(encoding="utf-8").splitlines())}

    assert records(tmp_path / "ray.jsonl") == records(tmp_path / "local.jsonl")
    assert len(records(tmp_path / "ray.jsonl")) == 50
    for out in ("local", "ray"):
        errors = map(json.loads, (tmp_path / f"{out}.jsonl.errors.jsonl").read_text().splitlines())
        assert sorted((e["at"], e["id"]) for e in errors) == [("line 3", rows[1]["id"]),
                                                               ("line 6", None)], out


# -- how many workers the local engine starts -------------------------------------------------------
SAFE_WORKER_STARTS = 4  # a guard: more model-loading processes than this would swamp a small machine


@pytest.fixture
def worker_starts(monkeypatch) -> SimpleNamespace:
    """`names`: the scoring workers started in this process, in order. Once `refuse_after` (default:
    SAFE_WORKER_STARTS) have started, the next start fails with OSError instead of starting a process."""
    real_start = multiprocessing.process.BaseProcess.start
    starts = SimpleNamespace(names=[], refuse_after=SAFE_WORKER_STARTS)

    def start(self) -> None:
        if self.name.startswith("newsdesk-score"):
            if len(starts.names) >= starts.refuse_after:
                raise OSError(f"test guard: refusing to start worker {len(starts.names) + 1}")
            starts.names.append(self.name)
        real_start(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    return starts


def _local_job(tmp_path: Path, paragraphs: list[str], make_config, n: int, batch_size: int):
    from service.config import load_engine_config
    from service.scoring.job import ScoreJob

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in seed_rows(paragraphs, n)), encoding="utf-8")
    return ScoreJob(src, tmp_path / "out.jsonl", load_engine_config(make_config()), ("title", "body"),
                    batch_size=batch_size)


@pytest.mark.parametrize(("batch_size", "workers", "why"), [
    (32, 1, "1 worker (the input fills only 1 batch of --batch-size 32)"),
    (1, 2, "2 workers (this machine has 2 CPUs)"),
])
def test_workers_are_capped_at_the_cpu_count_and_at_the_batches_the_input_fills(
        tmp_path: Path, paragraphs: list[str], make_config, monkeypatch, worker_starts,
        batch_size: int, workers: int, why: str) -> None:
    """`--workers 64` on 6 rows started 64 model-loading processes (the machine ran out of memory)."""
    import io

    from service.scoring import local
    from service.scoring.progress import Progress
    from service.scoring.run import score

    monkeypatch.setattr(local, "cpu_count", lambda: 2)
    job = _local_job(tmp_path, paragraphs, make_config, 6, batch_size)
    log = io.StringIO()
    counts = score(job, engine="local", parallelism=64, progress=Progress(log, log_every_s=3600))
    assert counts.line() == "6 scored, 0 errors, 0 skipped (already done)"
    assert len(worker_starts.names) == workers
    assert log.getvalue().splitlines() == [f"newsdesk score: --workers 64: starting {why}"]


def test_a_worker_that_cannot_start_is_one_error_and_the_started_ones_are_stopped(
        tmp_path: Path, paragraphs: list[str], make_config, monkeypatch, worker_starts) -> None:
    """The run's `finally` joined every worker, started or not: 'can only join a started process'."""
    from service.scoring import local
    from service.scoring.run import score

    monkeypatch.setattr(local, "cpu_count", lambda: 2)
    worker_starts.refuse_after = 1
    job = _local_job(tmp_path, paragraphs, make_config, 6, 1)
    live_before = {p.pid for p in multiprocessing.active_children()}
    with pytest.raises(local.WorkerFailed, match="could not start scoring worker newsdesk-score-1: test"):
        score(job, engine="local", parallelism=2)
    assert worker_starts.names == ["newsdesk-score-0"]
    deadline = time.monotonic() + 30
    while [p for p in multiprocessing.active_children() if p.pid not in live_before]:
        assert time.monotonic() < deadline, "the started worker was left running"
        time.sleep(0.2)


# -- the Ray engine: failures and chunks ------------------------------------------------------------
def test_ray_errors_are_unwrapped_into_ours() -> None:
    ray = pytest.importorskip("ray", reason="the Ray extra is not installed: pip install 'newsdesk[ray]'")
    from service.errors import ConfigError
    from service.scoring.local import WorkerFailed
    from service.scoring.ray_engine import _unwrap

    task_error = ray.exceptions.RayTaskError("ScoreActor.__init__", "Traceback ...", ConfigError("bad model"))
    for raised in (task_error, task_error.as_instanceof_cause(), ray.exceptions.ActorDiedError(task_error)):
        try:
            raise raised
        except ray.exceptions.RayError as e:
            unwrapped = _unwrap(e)
        if isinstance(raised, ray.exceptions.ActorDiedError):  # Ray keeps only the message here
            assert type(unwrapped) is WorkerFailed and "a Ray scoring actor failed" in unwrapped.message
        else:
            assert type(unwrapped) is ConfigError and unwrapped.message == "bad model"
    died = _unwrap(ray.exceptions.ActorDiedError())
    assert type(died) is WorkerFailed
    assert died.message.startswith("a Ray scoring actor failed (The actor died unexpectedly before finishing")
    from ray.data.exceptions import ExecutionTimeoutError

    stuck = _unwrap(ExecutionTimeoutError("Dataset execution made no progress for 1800s.\nOperators: ..."))
    assert stuck.message.startswith("the Ray run stopped: Dataset execution made no progress for 1800s.; ")


def test_ray_engine_with_a_model_that_fails_to_load_is_one_line_and_exit_2(tmp_path: Path,
                                                                          paragraphs: list[str],
                                                                          make_config) -> None:
    """The actor's ConfigError came out as ~255 lines of Ray's ActorDiedError tracebacks, exit 1; later
    after an error line of Ray's core worker (Ray Data's actors are restarted by default, and theirs have
    arguments in the object store). Now the one line is all of stderr."""
    pytest.importorskip("ray", reason="the Ray extra is not installed: pip install 'newsdesk[ray]'")
    from service.artifacts import WEIGHTS, load_manifest
    from service.config import load_engine_config

    shipped = load_engine_config(make_config()).summarizer.artifact
    folder, _ = load_manifest(shipped)
    broken = Path(shutil.copytree(folder, tmp_path / "summary-broken"))
    (broken / WEIGHTS).write_bytes(b"\xff" * 2000)  # not safetensors: fails when the actor loads it
    config = make_config(summarizer={"artifact": str(broken)})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in seed_rows(paragraphs, 3)), encoding="utf-8")

    done = newsdesk(str(src), "--out", str(tmp_path / "out.jsonl"), "--config", str(config),
                    "--text-field", "title,body", "--engine", "ray", "--num-actors", "1")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"newsdesk: error: {broken / WEIGHTS}: cannot read the weights "
                                        "(Error while deserializing header: header too large); restore the "
                                        "file or retrain"], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_ray_engine_commits_each_batch_as_it_is_scored_in_chunks_of_at_most_chunk_size(
        tmp_path: Path, paragraphs: list[str], make_config, monkeypatch) -> None:
    """Ray gave results back a read block (a whole stripe of the file) at a time, so nothing was
    committed until then, whatever --chunk-size said; a kill -9 before that lost everything. Also runs
    with every CPU held by the actor, where the steps before it must ask for none."""
    ray = pytest.importorskip("ray", reason="the Ray extra is not installed: pip install 'newsdesk[ray]'")
    from service.config import load_engine_config
    from service.scoring import ray_engine
    from service.scoring.job import ScoreJob
    from service.scoring.run import score
    from service.scoring.store import OutputStore

    arrived: list[int] = []  # rows in each block that reaches the driver, in order
    committed: list[int] = []  # rows in each committed part
    commit_stream = ray_engine._commit_stream

    def counting_stream(batches, committer):
        def counted():
            for batch in batches:
                arrived.append(batch.num_rows)
                yield batch
        return commit_stream(counted(), committer)

    store_commit = OutputStore.commit

    def counting_commit(self) -> None:
        if self.pending:
            committed.append(self.pending)
        store_commit(self)

    monkeypatch.setattr(ray_engine, "_commit_stream", counting_stream)
    monkeypatch.setattr(OutputStore, "commit", counting_commit)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in seed_rows(paragraphs, 20)), encoding="utf-8")
    job = ScoreJob(src, tmp_path / "out.jsonl", load_engine_config(make_config()), ("title", "body"),
                   batch_size=2, chunk_size=3)
    # One CPU, held by the one actor: the steps before it must ask for none, or they never run (Ray
    # Data then fails the run once nothing has moved for this long, instead of after 30 minutes).
    monkeypatch.setattr(ray.data.DataContext.get_current(), "execution_no_progress_timeout_s", KILL_WAIT_S)
    ray.init(num_cpus=1, object_store_memory=80 * 1024 * 1024, include_dashboard=False)
    try:
        counts = score(job, engine="ray", parallelism=1)
    finally:
        ray.shutdown()
    assert counts.line() == "20 scored, 0 errors, 0 skipped (already done)"
    assert sum(arrived) == 20 and max(arrived) <= 2, arrived  # a batch at a time, as it is scored
    assert committed == [3, 3, 3, 3, 3, 3, 2], committed
    assert len((tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 20
