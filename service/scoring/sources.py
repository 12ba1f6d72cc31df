"""Input for batch scoring: find the files, then stream their rows.

INPUT is a .jsonl/.csv/.parquet file, a folder of them, or a `datasets` `save_to_disk` folder. Every
reader streams from bounded buffers (JSONL line by line, CSV record by record, Parquet in Arrow
batches, the Arrow files of a saved dataset memory-mapped), so memory does not grow with the input. A
row that cannot be parsed (malformed JSON line, bad UTF-8, a CSV record with a stray quote or the wrong
number of fields) is yielded with `problem` set, a CSV value too large to read with `over_bytes`: the
caller records it and goes on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import InputError, first_line, json_parse_failure, json_syntax_error

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}
SAVED_DATASET_FILES = ("state.json", "dataset_info.json")
ARROW_BATCH_ROWS = 256
CSV_MAX_FIELD = 64 << 20  # Python's csv refuses fields over 128 KB by default; the row checks judge size


@dataclass(frozen=True)
class InputFile:
    path: Path
    name: str  # relative to INPUT: what errors and resume keys name
    format: str  # jsonl | csv | parquet | arrow


@dataclass(frozen=True)
class RawRow:
    source: str  # InputFile.name
    at: str  # a stable position: "line 12" (JSONL), "line 3" or "lines 3-5" (CSV), "row 7" (Parquet, Arrow)
    fields: dict[str, Any] | None  # with a problem: those that could be read (the id, for the errors file)
    problem: str | None = None
    over_bytes: int | None = None  # a value too large to read (CSV): more than this many bytes


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
    """Rows in a file (for the ETA): metadata for Parquet/Arrow, newlines for JSONL, and for CSV the records
    its reader yields, since a value may hold newlines (a second parse, on the counting thread)."""
    if f.format == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(f.path).metadata.num_rows
    if f.format == "arrow":
        return _load_saved(f).num_rows
    if f.format == "csv":
        return sum(1 for _ in _read_csv(f, []))
    n = 0
    last = b"\n"
    with f.path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


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
            try:  # without its line break, so that a line cut short says its end, not "column 1" of the next
                obj = json.loads(line.rstrip("\r\n"), parse_constant=_not_json)
            except json.JSONDecodeError as e:
                where = json_syntax_error(e.msg, f"column {e.colno}")
                yield RawRow(f.name, at, None, f"malformed JSON: {where}")
                continue
            except (ValueError, RecursionError) as e:  # a number over 4,300 digits; nesting past the stack
                yield RawRow(f.name, at, None, f"malformed JSON: {json_parse_failure(e)}")
                continue
            if not isinstance(obj, dict):
                yield RawRow(f.name, at, None, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield RawRow(f.name, at, {c: obj[c] for c in columns if c in obj})


def _not_json(name: str) -> Any:
    """Python's json reads NaN, Infinity and -Infinity; JSON has no such values."""
    raise ValueError(f"{name} is not a JSON value (write null, or the number as a string)")


def _read_csv(f: InputFile, columns: list[str]) -> Iterator[RawRow]:
    """Python's csv reader in strict mode: a stray or unclosed quote is an error for the lines it spans,
    and reading goes on after them. Lenient readers (Arrow's among them) fold the next record, or the rest
    of the file, into the value, and those rows vanish without an error."""
    csv.field_size_limit(CSV_MAX_FIELD)
    # surrogateescape: a byte that is not UTF-8 fails its own row (below), not the whole file
    with f.path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.reader(fh, strict=True)
        try:
            header = next(reader, [])
        except csv.Error as e:
            raise InputError(f"{f.path}: the CSV header is malformed: {e}") from e
        index: dict[str, int] = {}
        for i, name in enumerate(header):
            index.setdefault(name, i)
        keep = [c for c in columns if c in index]
        while True:
            first = reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                at = _lines(first, reader.line_num)
                if "field larger than field limit" in str(e):  # not malformed: the row checks say too large
                    yield RawRow(f.name, at, None, over_bytes=CSV_MAX_FIELD)
                else:
                    yield RawRow(f.name, at, None, f"malformed CSV: {_csv_problem(e)}")
                continue
            if not record:
                continue  # a blank line is not a row
            if len(record) != len(header):
                yield RawRow(f.name, _lines(first, reader.line_num), None,
                             f"malformed CSV: expected {len(header)} fields, found {len(record)}")
                continue
            fields: dict[str, Any] = {}
            problem = None
            for c in keep:
                value = record[index[c]]
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError as e:  # an undecodable byte, escaped as U+DC80..U+DCFF
                    byte = ord(value[e.start]) - 0xDC00
                    problem = problem or f"field {c!r} is not valid UTF-8 (byte 0x{byte:02x})"
                    continue
                fields[c] = value
            # lines, not a count of good records: a record after a malformed one is still found by its place
            yield RawRow(f.name, _lines(first, reader.line_num), fields, problem)


def _lines(first: int, last: int) -> str:
    return f"line {first}" if last <= first else f"lines {first}-{last}"


def _csv_problem(e: csv.Error) -> str:
    if "unexpected end of data" in str(e):
        return 'a quote (") opened here is never closed, so it holds every line after it'
    if "expected after" in str(e):  # a quoted value's quote followed by more of the value
        return f'{e}: a quote inside a quoted value must be doubled ("")'
    return str(e)


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
