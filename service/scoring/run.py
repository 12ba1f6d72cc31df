"""`newsdesk score`: check the input and the output, run an engine, assemble the output.

Everything that can be checked without loading a model is checked first (the input exists and has
the named fields, OUTPUT's format, that it can be written, that it was not scored by another model),
so a mistake costs one line and exit code 2, not a model load. That includes which model versions
will score: an engine config may name an artifact's output folder, whose ACTIVE file picks the version,
so the versions are read from the manifests behind the config's paths, recorded in OUTPUT's manifest,
and the workers get the config pinned to those version folders.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from pathlib import Path

from service.artifacts import load_manifest
from service.config import EngineConfig
from service.errors import InputError
from service.model_folder import encoder_fingerprint, resolve_encoder_path
from service.schemas import ModelInfo
from service.scoring.job import Counts, ScoreJob
from service.scoring.progress import Progress
from service.scoring.rows import RowSpec
from service.scoring.sources import InputFile, columns_of, count_rows, discover
from service.scoring.store import OutputStore, fingerprint

# engine name -> "module:function"; imported only when chosen (Ray is an optional extra)
ENGINES = {"local": "service.scoring.local:run_local", "ray": "service.scoring.ray_engine:run_ray"}


def _pin(path: Path | None, field: str) -> tuple[ModelInfo | None, Path | None]:
    """The name and version of the artifact the config's `field` names (which must be of the kind that
    field takes), and the version folder `path` resolves to now."""
    if path is None:
        return None, None
    folder, manifest = load_manifest(path, field)
    return ModelInfo(name=manifest.name, version=manifest.version), folder


def pin_models(config: EngineConfig) -> tuple[ModelInfo, EngineConfig]:
    """What `Analyzer(config).model_info` will report, worked out without loading a model, and `config`
    with each artifact path pinned to the version folder it resolves to now, so that a version promoted
    while the run starts is not loaded by the workers behind the manifest's back."""
    t, s = config.tagger, config.summarizer
    field = "artifact" if t.kind == "trained" else "head"  # the tagger's artifact, by kind
    tagger, tagger_folder = _pin(getattr(t, field), f"tagger.{field}")
    short, short_folder = _pin(t.short_head, "tagger.short_head")
    scorer, scorer_folder = _pin(s.artifact, "summarizer.artifact")
    heads = [m for m in (tagger, short) if m is not None]
    parts = [ModelInfo.joined(heads) if heads else ModelInfo(name=config.name, version=config.version)]
    if scorer is not None:
        parts.append(scorer)
    if s.kind == "seq2seq":  # no versions: the folder's files are hashed, so transformers is imported
        from service.abstractive import seq2seq_model_info

        parts.append(seq2seq_model_info(s))
    pinned = config.model_copy(update={"tagger": t.model_copy(update={field: tagger_folder,
                                                                       "short_head": short_folder}),
                                       "summarizer": s.model_copy(update={"artifact": scorer_folder})})
    return ModelInfo.joined(parts), pinned


def check_fields(files: list[InputFile], spec: RowSpec) -> None:
    """Files with a schema must have every text field; JSONL rows are checked one by one."""
    for f in files:
        cols = columns_of(f)
        if cols is None:
            continue
        if not cols:  # csv reads a 0-byte file (or a blank first line) as a header of no columns
            what = "is empty" if f.path.stat().st_size == 0 else "starts with a blank line"
            raise InputError(f"{f.path} {what}: the first line of a CSV file names its columns")
        missing = [c for c in spec.text_fields if c not in cols]
        if missing:
            raise InputError(f"{f.path} has no column {', '.join(map(repr, missing))} (columns: "
                             f"{', '.join(cols)}); name the text with --text-field")


def input_files(job: ScoreJob, store: OutputStore) -> list[InputFile]:
    """INPUT's files less OUTPUT's own, which may sit in the input folder. A file under one of OUTPUT's
    names that newsdesk did not write (no manifest beside it) is input: refused, not skipped, since
    --overwrite would delete it unread."""
    files = discover(job.input)
    ours = [f for f in files if store.owns(f.path)]
    if ours and not store.manifest_path.exists():
        where = "" if job.input.is_file() else f", a file of {job.input}"
        raise InputError(f"--out {job.out} would write over INPUT {ours[0].path}{where}; "
                         "write to another --out")
    files = [f for f in files if f not in ours]
    if not files:
        raise InputError(f"--out {job.out} would write over INPUT {job.input}; write to another --out"
                         if job.input.is_file() else f"{job.input}: no input files besides OUTPUT's own")
    return files


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
    model, pinned = pin_models(job.config)
    enc = job.config.encoder
    store = OutputStore(job.out, fingerprint(model.model_dump(), job.config.model_dump_json(),
                                             encoder_fingerprint(resolve_encoder_path(enc), enc.max_tokens),
                                             job.spec))
    files = input_files(job, store)
    check_fields(files, job.spec)
    store.open(overwrite=job.overwrite)
    job = dataclasses.replace(job, config=pinned)
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
