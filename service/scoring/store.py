"""Where a scoring run writes, and the protocol that makes every row land exactly once.

Beside OUTPUT live `OUTPUT.manifest.json` (which model and config wrote it), `OUTPUT.errors.jsonl`
(bad rows) and, while a run is unfinished, `OUTPUT.parts/`: committed chunks. A chunk is written to a
temporary file, fsynced and renamed into place, so after a crash (kill -9 included) every part is
whole or absent. A re-run reads the keys of what was committed (parts, OUTPUT, errors), skips those
rows, and at the end assembles OUTPUT and the errors file from what is there, again through a
temporary file and a rename, dropping any key already written: a crash during assembly is finished
by the next run. Records are keyed by id, bad rows by their place in the input.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from service.errors import InputError, first_line
from service.scoring.keyset import KeySet
from service.scoring.records import record_schema
from service.scoring.rows import RowError, RowSpec, at_key, duplicate, id_key

OUTPUT_FORMATS = (".jsonl", ".parquet")
MANIFEST_VERSION = 1
PART_COLUMNS = ("kind", "key", "json")
RECORD, ERROR = "record", "error"


@dataclass(frozen=True)
class Scored:
    """An article's record as the line that goes into OUTPUT, and where the article came from."""

    id: str
    source: str
    at: str
    json: str


def fingerprint(model: dict[str, str], config_json: str, encoder: str, spec: RowSpec) -> dict[str, Any]:
    """What must match for two runs to write into the same OUTPUT. `model` is what the records will
    carry, with the versions of the artifacts behind the config's paths (service.scoring.run.pin_models):
    the config alone does not say which version an output folder's ACTIVE file picks. `encoder` hashes
    the encoder's files, which an upgraded encoder package changes under the same config. The fields read
    decide what a row is: bad rows of a run with the wrong --text-field must not pass for done, nor ids
    from another --id-field score every article twice."""
    return {"model": model, "config_sha256": hashlib.sha256(config_json.encode()).hexdigest(),
            "encoder": encoder, "fields": {"text": list(spec.text_fields), "id": spec.id_field}}


def _fields(fields: dict[str, Any] | None) -> str:
    if not isinstance(fields, dict):
        return "not recorded"
    return f"text {', '.join(map(repr, fields.get('text') or []))}, id {fields.get('id')!r}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_durably(tmp: Path, final: Path) -> None:
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


class OutputStore:
    def __init__(self, out: Path, fp: dict[str, Any]) -> None:
        if out.suffix.lower() not in OUTPUT_FORMATS:
            raise InputError(f"--out {out}: unknown output format {out.suffix or '(no suffix)'!r}; "
                             f"expected {' or '.join(OUTPUT_FORMATS)}")
        self.out = out
        self.fingerprint = fp
        self.parquet = out.suffix.lower() == ".parquet"
        self.parts_dir = out.with_name(out.name + ".parts")
        self.errors_path = out.with_name(out.name + ".errors.jsonl")
        self.manifest_path = out.with_name(out.name + ".manifest.json")
        self.committed = KeySet()  # keys written by earlier runs
        self._seen_ids = KeySet()  # ids written by this run: a second row with one is a duplicate
        self._pending: list[tuple[str, str, str]] = []
        self._next_part = 0

    def owns(self, path: Path) -> bool:
        """Whether `path` is one of the files this store writes (OUTPUT, its errors, manifest or parts,
        or their temporary files): never input, even when OUTPUT is written inside the input folder."""
        path = path.resolve()
        mine = [p.resolve() for p in (self.out, self.errors_path, self.manifest_path)]
        return (path in mine or path in [p.with_name(p.name + ".tmp") for p in mine]
                or path.is_relative_to(self.parts_dir.resolve()))

    # -- opening ------------------------------------------------------------------------------------
    def open(self, *, overwrite: bool) -> None:
        """Check the output can be written and matches this model, then load what is committed."""
        parent = self.out.parent
        if not parent.is_dir():
            raise InputError(f"cannot write {self.out}: the folder {parent} does not exist")
        if self.out.is_dir():
            raise InputError(f"cannot write {self.out}: it is a folder")
        if overwrite:
            self._remove_all()
        else:
            self._check_manifest()
        try:
            self.parts_dir.mkdir(exist_ok=True)
            self._write_manifest({"complete": False})
            probe = self.parts_dir / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise InputError(f"cannot write {self.out}: {e.strerror or e}") from e
        for stale in self.parts_dir.glob("*.tmp"):  # a chunk that was being written when a run died
            stale.unlink()
        parts = self._parts()
        self._next_part = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        try:
            for key in self._committed_keys():
                self.committed.add(key)
        except (ValueError, KeyError, TypeError, OSError) as e:  # a file beside OUTPUT edited or damaged
            raise InputError(f"cannot resume {self.out}: {first_line(e)} in what an earlier run wrote; "
                             "pass --overwrite to start over") from e

    def _check_manifest(self) -> None:
        if not self.manifest_path.exists():
            if self.out.exists():
                raise InputError(f"{self.out} exists and was not written by `newsdesk score` (no "
                                 f"{self.manifest_path.name}); pass --overwrite to replace it")
            return
        try:
            old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read {self.manifest_path}: {e}; pass --overwrite to start over") from e
        if not isinstance(old, dict):
            raise InputError(f"cannot read {self.manifest_path}: not a JSON object; pass --overwrite to "
                             "start over")
        was = {k: old.get(k) for k in self.fingerprint}
        if was != self.fingerprint and not old.get("complete") and self._nothing_written():
            return  # a run that failed before it scored a row (a broken config, say): nothing to mix with
        if was != self.fingerprint:
            m_old, m_new = old.get("model") or {}, self.fingerprint["model"]
            if m_old != m_new:
                what = (f"model {m_old.get('name')} {m_old.get('version')}, this run uses "
                        f"{m_new['name']} {m_new['version']}")
            elif was["encoder"] != self.fingerprint["encoder"]:
                what = (f"model {m_new['name']} {m_new['version']} on another encoder (its files differ: "
                        f"{was['encoder']} then, {self.fingerprint['encoder']} now)")
            elif was["fields"] != self.fingerprint["fields"]:
                what = (f"other fields read ({_fields(was['fields'])}; this run: "
                        f"{_fields(self.fingerprint['fields'])})")
            else:
                what = f"model {m_new['name']} {m_new['version']} with another engine config"
            raise InputError(f"{self.out} was scored with {what}; refusing to mix them: pass --overwrite "
                             f"to score everything again, or write to another --out")

    def _nothing_written(self) -> bool:
        return not (self.out.exists() or self.errors_path.exists() or self._parts())

    def _remove_all(self) -> None:
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        for p in (self.out, self.errors_path, self.manifest_path):
            p.unlink(missing_ok=True)

    def _write_manifest(self, extra: dict[str, Any]) -> None:
        body = {"format_version": MANIFEST_VERSION, **self.fingerprint, "output": self.out.name, **extra}
        tmp = self.manifest_path.with_name(self.manifest_path.name + ".tmp")
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        _replace_durably(tmp, self.manifest_path)

    def _parts(self) -> list[Path]:
        return sorted(self.parts_dir.glob("part-*.parquet"))

    def _committed_keys(self) -> Iterator[str]:
        yield from self._output_keys()
        yield from self._error_keys()
        for part in self._parts():
            yield from pq.read_table(part, columns=["key"]).column("key").to_pylist()

    def _output_keys(self) -> Iterator[str]:
        if not self.out.exists():
            return
        if self.parquet:
            for batch in pq.ParquetFile(self.out).iter_batches(columns=["id"]):
                yield from map(id_key, batch.column("id").to_pylist())
        else:
            with self.out.open(encoding="utf-8") as fh:
                yield from (id_key(json.loads(line)["id"]) for line in fh if line.strip())

    def _error_keys(self) -> Iterator[str]:
        if self.errors_path.exists():
            with self.errors_path.open(encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        e = json.loads(line)
                        yield at_key(e["source"], e["at"])

    # -- writing ------------------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, outcome: Scored | RowError) -> str:
        """Queue one outcome for the next commit; returns what it became: "record" or "error"."""
        if isinstance(outcome, Scored):
            o = outcome
            if self._seen_ids.add(id_key(o.id)):
                self._pending.append((RECORD, id_key(o.id), o.json))
                return RECORD
            outcome = duplicate(o.id, o.source, o.at)
        self._pending.append((ERROR, outcome.key, json.dumps(outcome.to_json(), ensure_ascii=False)))
        return ERROR

    def commit(self) -> None:
        """Make everything added so far durable as one part (write, fsync, rename)."""
        if not self._pending:
            return
        table = pa.table(dict(zip(PART_COLUMNS, map(list, zip(*self._pending, strict=True)), strict=True)))
        final = self.parts_dir / f"part-{self._next_part:06d}.parquet"
        tmp = final.with_suffix(".tmp")
        pq.write_table(table, tmp)
        _replace_durably(tmp, final)
        self._next_part += 1
        self._pending.clear()

    # -- finishing ----------------------------------------------------------------------------------
    def finish(self, counts: dict[str, int]) -> None:
        """Commit, then fold the parts into OUTPUT and the errors file, each replaced atomically."""
        self.commit()
        parts = self._parts()
        if parts or not self.out.exists():
            self._assemble_output(parts)
        if any(self._part_rows(p, ERROR) for p in parts):
            self._assemble_errors(parts)
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        self._write_manifest({"complete": True, "last_run": counts})

    def _part_rows(self, part: Path, kind: str) -> list[tuple[str, str]]:
        t = pq.read_table(part)
        return [(k, j) for kk, k, j in zip(*(t.column(c).to_pylist() for c in PART_COLUMNS), strict=True)
                if kk == kind]

    def _assemble_output(self, parts: list[Path]) -> None:
        written = KeySet(self._output_keys())  # a crash mid-assembly may have put some parts in already
        if not self.parquet:
            self._rewrite_jsonl(self.out, parts, RECORD, written)
            return
        tmp = self.out.with_name(self.out.name + ".tmp")
        schema = record_schema()
        with pq.ParquetWriter(tmp, schema) as w:
            if self.out.exists():
                for batch in pq.ParquetFile(self.out).iter_batches():
                    w.write_batch(batch)
            for part in parts:
                rows = [json.loads(j) for k, j in self._part_rows(part, RECORD) if written.add(k)]
                if rows:
                    w.write_table(pa.Table.from_pylist(rows, schema=schema))
        _replace_durably(tmp, self.out)

    def _assemble_errors(self, parts: list[Path]) -> None:
        self._rewrite_jsonl(self.errors_path, parts, ERROR, KeySet(self._error_keys()))

    def _rewrite_jsonl(self, path: Path, parts: list[Path], kind: str, written: KeySet) -> None:
        """`path`'s lines, then the parts' lines of `kind` not written yet; replaced atomically."""
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            if path.exists():
                with path.open("rb") as old:
                    shutil.copyfileobj(old, fh)
            for part in parts:
                for k, j in self._part_rows(part, kind):
                    if written.add(k):
                        fh.write(j.encode("utf-8") + b"\n")
        _replace_durably(tmp, path)
