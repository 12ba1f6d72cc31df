"""Input for batch scoring: find the files, then stream their rows.

INPUT is a .jsonl/.csv/.parquet file, a folder of them, or a `datasets` `save_to_disk` folder. Every
reader streams from bounded buffers (JSONL line by line, CSV and Parquet in Arrow batches, the Arrow
files of a saved dataset memory-mapped), so memory does not grow with the input. A row that cannot be
parsed (malformed JSON line, bad UTF-8, CSV line with the wrong number of fields) is yielded with
`problem` set: the caller records it and goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import InputError, first_line

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SAVED_DATASET_FILES = ("state.json", "dataset_info.json")
ARROW_BATCH_ROWS = 256
CSV_BLOCK_BYTES = 16 << 20  # a CSV row must fit in one block; 16 MB holds any article


@dataclass(frozen=True)
class InputFile:
    path: Path
    name: str  # relative to INPUT: what errors and resume keys name
    format: str  # jsonl | csv | parquet | arrow


@dataclass(frozen=True)
class RawRow:
    source: str  # InputFile.name
    at: str  # a stable position: "line 12" (JSONL), "row 7" (CSV, Parquet, Arrow), "record 9" (malformed CSV)
    fields: dict[str, Any] | None
    problem: str | None = None


def is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and all((path / f).is_file() for f in SAVED_DATASET_FILES)


def discover(root: Path) -> list[InputFile]:
    """The files to read, in a stable order; an `InputError` when there is nothing readable."""
    if not root.exists():
        raise InputError(f"{root}: no such file or directory")
    if is_saved_dataset(root):
        return [InputFile(root, root.name, "arrow")]
    if (root / "dataset_dict.json").is_file():
        splits = sorted(p.name for p in root.iterdir() if is_saved_dataset(p))
        raise InputError(f"{root} is a saved DatasetDict with splits {', '.join(splits) or '(none)'}; "
                         f"point INPUT at one split folder, e.g. {root / (splits[0] if splits else 'train')}")
    if root.is_file():
        fmt = SUFFIXES.get(root.suffix.lower())
        if fmt is None:
            raise InputError(f"{root}: unknown input format {root.suffix or '(no suffix)'!r}; expected "
                             f"{', '.join(SUFFIXES)}, a folder of them, or a datasets save_to_disk folder")
        return [InputFile(root, root.name, fmt)]
    if not root.is_dir():
        raise InputError(f"{root} is neither a file nor a folder")
    files: list[InputFile] = []
    try:
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if is_saved_dataset(p):
                files.append(InputFile(p, str(rel), "arrow"))
            elif p.is_file() and p.suffix.lower() in SUFFIXES:
                files.append(InputFile(p, str(rel), SUFFIXES[p.suffix.lower()]))
    except OSError as e:
        raise InputError(f"cannot list {root}: {e.strerror or e}") from e
    if not files:
        raise InputError(f"{root}: no {', '.join(SUFFIXES)} files or saved datasets in this folder")
    return files


def columns_of(f: InputFile) -> list[str] | None:
    """The column names of a file with a schema (None for JSONL, whose rows each have their own)."""
    try:
        if f.format == "csv":
            with f.path.open("rb") as fh:
                header = fh.readline().decode("utf-8-sig")
            return next(csv.reader([header]), [])
        if f.format == "parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(f.path).schema_arrow.names
        if f.format == "arrow":
            return list(_load_saved(f).column_names)
    except UnicodeDecodeError as e:
        raise InputError(f"{f.path}: the CSV header is not UTF-8 ({e.reason})") from e
    except OSError as e:
        raise InputError(f"cannot read {f.path}: {e.strerror or e}") from e
    except Exception as e:  # pyarrow/datasets raise their own types for a corrupt file
        raise InputError(f"cannot read {f.path} as {f.format}: {first_line(e)}") from e
    return None


def count_rows(f: InputFile) -> int:
    """Rows in a file, cheaply (for the ETA): metadata for Parquet/Arrow, newlines for text files."""
    if f.format == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(f.path).metadata.num_rows
    if f.format == "arrow":
        return _load_saved(f).num_rows
    n = 0
    last = b"\n"
    with f.path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    n += last != b"\n"
    return max(n - (f.format == "csv"), 0)  # a CSV value may hold newlines: an estimate


def read_rows(f: InputFile, columns: list[str]) -> Iterator[RawRow]:
    """Stream the rows of one file with only `columns` (the text and id fields) kept."""
    readers = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet, "arrow": _read_arrow}
    try:
        yield from readers[f.format](f, columns)
    except OSError as e:
        raise InputError(f"cannot read {f.path}: {e.strerror or e}") from e
    except Exception as e:
        if type(e).__module__.startswith(("pyarrow", "datasets")):  # a corrupt file: not row-level
            raise InputError(f"cannot read {f.path} as {f.format}: {first_line(e)}") from e
        raise


def _read_jsonl(f: InputFile, columns: list[str]) -> Iterator[RawRow]:
    with f.path.open("rb") as fh:
        for n, raw in enumerate(fh, 1):
            at = f"line {n}"
            if not raw.strip():
                continue  # blank lines (a trailing newline, spacing) are not rows
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as e:
                yield RawRow(f.name, at, None, f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at column "
                                               f"{e.start + 1})")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield RawRow(f.name, at, None, f"malformed JSON: {e.msg} at column {e.colno}")
                continue
            if not isinstance(obj, dict):
                yield RawRow(f.name, at, None, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield RawRow(f.name, at, {c: obj[c] for c in columns if c in obj})


def _read_csv(f: InputFile, columns: list[str]) -> Iterator[RawRow]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = columns_of(f) or []
    keep = [c for c in columns if c in names]
    malformed: list[RawRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        # pyarrow numbers CSV records (the header is record 1), not physical lines
        where = f"record {row.number}" if row.number is not None else f"text {row.text[:40]!r}"
        malformed.append(RawRow(f.name, where, None, f"malformed CSV: expected {row.expected_columns} "
                                                     f"fields, found {row.actual_columns}"))
        return "skip"

    reader = pacsv.open_csv(
        f.path,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=CSV_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        # Everything as text (an id "007" stays "007"); UTF-8 is checked per value below, so one bad
        # value is one bad row rather than a failed file.
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                             include_columns=keep, check_utf8=False,
                                             strings_can_be_null=False),
    )
    n = 0
    last: RawRow | None = None  # held back: an unclosed quote folds the rest of the file into it
    for batch in reader:
        yield from malformed
        malformed.clear()
        cols = {c: batch.column(c).cast(pa.binary()).to_pylist() for c in keep}
        for i in range(batch.num_rows):
            n += 1
            fields: dict[str, Any] = {}
            problem = None
            for c in keep:
                try:
                    fields[c] = cols[c][i].decode("utf-8")
                except UnicodeDecodeError as e:
                    problem = f"field {c!r} is not valid UTF-8 (byte 0x{cols[c][i][e.start]:02x})"
                    break
            if last is not None:
                yield last
            last = RawRow(f.name, f"row {n}", None if problem else fields, problem)
    if last is not None:
        spans_lines = last.fields is not None and any("\n" in str(v) for v in last.fields.values())
        if spans_lines and _ends_inside_quotes(f.path):
            last = RawRow(f.name, last.at, None, 'malformed CSV: a quote (") opened in this row is never '
                                                 "closed, so it holds every line after it")
        yield last
    yield from malformed


def _ends_inside_quotes(path: Path) -> bool:
    """Whether the file ends inside a quoted value (Arrow, like most readers, takes it to the end)."""
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        try:
            for _ in csv.reader(fh, strict=True):
                pass
        except csv.Error as e:
            return "unexpected end of data" in str(e)
    return False


def _read_parquet(f: InputFile, columns: list[str]) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(f.path)
    keep = [c for c in columns if c in pf.schema_arrow.names]
    n = 0
    for batch in pf.iter_batches(batch_size=ARROW_BATCH_ROWS, columns=keep):
        for row in batch.to_pylist():
            n += 1
            yield RawRow(f.name, f"row {n}", row)


def _load_saved(f: InputFile) -> Any:
    import datasets

    datasets.disable_progress_bars()
    return datasets.load_from_disk(str(f.path))  # memory-mapped: nothing is read until iterated


def _read_arrow(f: InputFile, columns: list[str]) -> Iterator[RawRow]:
    ds = _load_saved(f)
    keep = [c for c in columns if c in ds.column_names]
    n = 0
    for table in ds.select_columns(keep).with_format("arrow").iter(batch_size=ARROW_BATCH_ROWS):
        for row in table.to_pylist():
            n += 1
            yield RawRow(f.name, f"row {n}", row)
