"""Labelled articles from a training config: read through `datasets`, checked row by row, split.

Every problem is a `DataError` naming the file, the row (1-based) and the field, raised before anything
is encoded or written.
"""

from __future__ import annotations

import bz2
import csv
import glob
import gzip
import hashlib
import itertools
import json
import lzma
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.artifacts import ArtifactLabel
from service.errors import NewsdeskError, first_line, json_parse_failure, json_syntax_error
from service.schemas import AnalyzeRequest
from service.text import clean_text
from training.config import ArticleSource, DataConfig, Fields, Ratio, Tables, TrainConfig

SPLITS = ("train", "dev", "test")
_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
# A compressed text table (train.jsonl.gz), which `datasets` reads as it is: its format is the suffix before.
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
# The service's longest title (AnalyzeRequest): a longer one would fail once encoding has begun.
MAX_TITLE = next(m.max_length for m in AnalyzeRequest.model_fields["title"].metadata
                 if hasattr(m, "max_length"))
# pyarrow's limit on a JSON integer (int64): a wider one is read as a float, silently rounded.
_INT64 = range(-(2**63), 2**63)
_SURROGATE = re.compile("[\ud800-\udfff]")


class DataError(NewsdeskError):
    """The training data cannot be used as given."""

    code = "invalid_data"


@dataclass
class Example:
    id: str
    title: str | None
    text: str
    labels: list[str] = field(default_factory=list)
    summary: str = ""
    source: str = ""  # "file row N", for messages


@dataclass
class Dataset:
    splits: dict[str, list[Example]]
    taxonomy: list[ArtifactLabel]
    fingerprint: str
    notes: list[str]  # what was left out or carved, for the model card
    extra: dict[str, list[Example]] = field(default_factory=dict)  # tables beside the splits (headlines, ...)


def check_utf8(path: Path) -> int:
    """A text table must be UTF-8: `datasets` reads JSON bytes unchecked and fails only later, deep in
    pyarrow, without saying where. Returns how many lines ("\n") are not blank."""
    filled = 0
    try:
        with _open(path, "rb") as f:
            for n, line in enumerate(f, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise DataError(
                        f"{path} line {n}: not UTF-8 (byte 0x{line[e.start]:02x} at column {e.start + 1}); "
                        "save it as UTF-8"
                    ) from None
                filled += bool(line.strip())
    except (OSError, EOFError, lzma.LZMAError) as e:  # a file its suffix says is compressed and is not
        raise DataError(f"{path}: cannot decompress it: {first_line(e)}") from e
    return filled


def _open(path: Path, mode: str, **kwargs: Any) -> Any:
    """`path` opened as its suffix says: through gzip, bz2 or lzma when compressed."""
    opener = _COMPRESSED.get(path.suffix.lower())
    return opener(path, mode, **kwargs) if opener else path.open(mode, **kwargs)


def _csv_records(path: Path, strict: bool = False) -> Iterator[tuple[int, list[str]]]:
    """The records of a csv with the line each starts on (a quoted field can span lines), blank lines
    skipped as pandas skips them. Lines end in "\n", "\r\n" or "\r", as pandas reads them."""
    limit = csv.field_size_limit(2**31 - 1)  # an article's text can pass the default 128 KiB
    try:
        with _open(path, "rt", encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=strict)
            start = 1
            for record in reader:
                if len(record) > 1 or "".join(record).strip():
                    yield start, record
                start = reader.line_num + 1
    except csv.Error as e:
        raise DataError(f"{path} line {reader.line_num}: cannot read it as csv: {e}") from e
    finally:
        csv.field_size_limit(limit)


def check_csv_fields(path: Path) -> int:
    """Every record of a csv has as many fields as its header: pandas silently makes a row with more a
    shifted one (its first field the index, each value under the next column's name) and fills a row with
    fewer with nulls. Returns how many records it has, its header's included."""
    width = None
    records = _csv_records(path)
    count = 0
    for line, record in records:
        count += 1
        if width is None:
            width = len(record)
        elif len(record) < width and next(records, None) is None and _ends_in_a_quote(path):
            raise DataError(f"{path} line {line}: a quoted field opens here and never closes, so the rest of "
                            'the file is that field; close it, and write a quote inside it as two ("")')
        elif len(record) != width:
            fix = ('quote a field that holds a comma ("a, b")' if len(record) > width
                   else "write an empty field as nothing between its commas")
            raise DataError(f"{path} line {line}: {len(record)} fields, the header has {width}; {fix}")
    return count


def _ends_in_a_quote(path: Path) -> bool:
    """Whether the csv ends inside a quoted field: the strict reader refuses that, where the lenient one
    (and pandas) make the rest of the file one field of the last record."""
    try:
        for _ in _csv_records(path, strict=True):
            pass
    except DataError as e:
        return "unexpected end of data" in str(e.__cause__)
    return False


class _NotForArrow(ValueError):
    """JSON that Python reads and pyarrow refuses or changes."""


def _arrow_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as pyarrow reads it (`json.loads`' object_pairs_hook), or `_NotForArrow`: pyarrow
    refuses a key given twice and a lone UTF-16 surrogate ("\\udc00", half of a pair)."""
    row: dict[str, Any] = {}
    for key, value in pairs:
        if key in row:
            raise _NotForArrow(f"key {key!r} is given twice in one object")
        for text in [key, *_strings(value)]:
            if lone := _SURROGATE.search(text):
                raise _NotForArrow(f"{key!r} holds a lone surrogate \\u{ord(lone[0]):04x} (half of a UTF-16 "
                                   "pair); write the character whole")
        row[key] = value
    return row


def _strings(value: Any) -> Iterator[str]:
    """The strings of a JSON value, but those of its objects (each checked by `_arrow_object` itself)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _arrow_int(text: str) -> int:
    """A JSON integer, or `_NotForArrow` when it is wider than pyarrow's 64 bits (read as a rounded float)."""
    n = int(text)
    if n not in _INT64:
        raise _NotForArrow(f"the integer {text} does not fit in 64 bits; write it as a string")
    return n


def check_json_lines(path: Path, fmt: str) -> None:
    """Every line of JSON Lines is one JSON object pyarrow reads as Python does: its error for a bad one
    counts rows from 0, or gives no place at all. A .json file that opens with "[" is one JSON array,
    which `datasets` reads whole (an empty one is "no rows")."""
    lines_only = fmt == "jsonl" or _format_suffix(path) == ".jsonl"
    with _open(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if n == 1 and not lines_only and line.lstrip().startswith("["):
                if _first_char(line.lstrip()[1:], f) == "]":
                    raise DataError(f"{path}: no rows")
                return
            if not line.strip():
                continue
            try:
                row = json.loads(line, object_pairs_hook=_arrow_object, parse_int=_arrow_int)
            except json.JSONDecodeError as e:
                where = json_syntax_error(e.msg, f"column {e.colno}")
                raise DataError(f"{path} line {n}: not valid JSON: {where}") from None
            except _NotForArrow as e:
                raise DataError(f"{path} line {n}: {e}") from None
            except (ValueError, RecursionError) as e:
                raise DataError(f"{path} line {n}: not valid JSON: {json_parse_failure(e)}") from None
            if not isinstance(row, dict):
                raise DataError(f"{path} line {n}: expected a JSON object, got {type(row).__name__}")


def _first_char(rest: str, f: Any) -> str:
    """The first character that is not blank in `rest` and then the lines left in `f` ("" at the end)."""
    for chunk in itertools.chain([rest], f):
        if chunk.strip():
            return chunk.strip()[0]
    return ""


def _format_suffix(path: Path) -> str:
    """The suffix that names a table's format: `.jsonl` for train.jsonl and train.jsonl.gz."""
    suffixes = [s.lower() for s in path.suffixes]
    return suffixes[-2] if len(suffixes) > 1 and suffixes[-1] in _COMPRESSED else path.suffix.lower()


def _root_cause(e: BaseException) -> BaseException:
    while e.__cause__ is not None:
        e = e.__cause__
    return e


def _csv_as_text(path: Path) -> dict[str, Any]:
    """`datasets` csv options reading every cell as the text it holds. Its features make every column
    strings (its header's names as pandas reads them: a byte-order mark dropped, an unnamed index column
    "Unnamed: 0", a repeat "x.1"), or pandas makes an id "000123" the number 123 (not the ids file's
    "000123") and a label column of codes 1, 2, 3 numbers, not labels; and only an empty cell is missing,
    not the words pandas takes for one ("NA", "null", "None", "nan")."""
    import datasets
    import pandas as pd

    names = pd.read_csv(path, nrows=0).columns
    return {"features": datasets.Features({n: datasets.Value("string") for n in names}),
            "keep_default_na": False, "na_values": [""]}


def read_table(path: Path, fmt: str) -> list[dict[str, Any]]:
    """Rows of a jsonl/csv/parquet file or a `datasets` save_to_disk folder."""
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)  # a file it cannot read is our one-line error
    if not path.exists():
        raise DataError(f"{path}: no such data file")
    if fmt == "dataset" or (fmt == "auto" and path.is_dir()):
        ds = _saved_dataset(path)
    elif path.is_dir():
        raise DataError(f"{path} is a folder, not a file: format {fmt} reads one file (a `datasets` "
                        "save_to_disk folder is format dataset, or auto)")
    else:
        builder = _FORMATS.get(_format_suffix(path)) if fmt == "auto" else {"jsonl": "json"}.get(fmt, fmt)
        if builder is None:
            raise DataError(
                f"{path}: cannot tell the format from the suffix {_format_suffix(path)!r}; set data.format"
            )
        _check_file(path, builder, fmt)
        try:
            options = _csv_as_text(path) if builder == "csv" else {}  # a csv has no types
            # `datasets` reads its data files as globs: `train [2024].jsonl` matches `train 2.jsonl`
            files = glob.escape(str(path))
            ds = datasets.load_dataset(builder, data_files=files, split="train", **options)
        except Exception as e:  # the builders raise many kinds; each means the file cannot be read
            # "An error occurred while generating the dataset" wraps what went wrong
            raise DataError(f"{path}: cannot read it as {builder}: {first_line(_root_cause(e))}") from e
    rows = ds.to_list()
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def _saved_dataset(path: Path) -> Any:
    """The one split a `datasets` save_to_disk folder holds."""
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as e:
        raise DataError(f"{path}: not a datasets save_to_disk folder: {e}") from e
    except IndexError as e:  # a dataset saved with no rows has no arrow file, which `datasets` indexes
        raise DataError(f"{path}: no rows") from e
    if isinstance(ds, datasets.DatasetDict):
        raise DataError(f"{path}: holds several splits ({', '.join(ds)}); point at one of them")
    return ds


def _check_file(path: Path, builder: str, fmt: str) -> None:
    """The file's own checks, before `datasets` reads it; and that it has rows: `datasets` says
    "StopIteration" for an empty jsonl, "corresponds to no data" for a lone csv header or an empty JSON
    array, and pyarrow "BatchSize must be greater than 0" for an empty parquet."""
    if builder == "json":
        filled = check_utf8(path) > 0
        if filled:
            check_json_lines(path, fmt)
    elif builder == "csv":
        check_utf8(path)
        filled = check_csv_fields(path) > 1
    else:
        filled = _parquet_rows(path) != 0
    if not filled:
        raise DataError(f"{path}: no rows")


def _parquet_rows(path: Path) -> int | None:
    """The rows a parquet file's footer counts; None when it has none to read (`datasets` says why)."""
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(path).num_rows
    except (OSError, ValueError):
        return None


def string_of(row: dict[str, Any], column: str, where: str) -> str:
    """`row[column]` stripped: "" when it is missing or null, else it must be a string (a list of
    paragraphs is not read as none)."""
    value = row.get(column)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise DataError(f"{where}: {column!r} must be a string, got {type(value).__name__}")
    return value.strip()


def summary_of(row: dict[str, Any], column: str, where: str) -> str:
    """`row[column]` as a summary: a string, or a list of strings (highlights) joined a line each."""
    value = row.get(column)
    lines = value if isinstance(value, list) else [value]
    if not all(x is None or isinstance(x, str) for x in lines):
        raise DataError(f"{where}: {column!r} must be a string or a list of strings, got {value!r}")
    return "\n".join(x.strip() for x in lines if x and x.strip())


def check_columns(
    rows: list[dict[str, Any]], fields: list[str], path: Path, key: str = "data.fields"
) -> None:
    have = set(rows[0])
    missing = [f for f in fields if f not in have]
    if missing:
        raise DataError(
            f"{path}: no field {', '.join(map(repr, missing))} ({key}); the rows have "
            f"{', '.join(sorted(have))}"
        )


def example_of(row: dict[str, Any], f: Fields, n: int, path: Path) -> Example | None:
    """Row `n` as an example (id, title, text joined as paragraphs), or None when it has no text: none,
    or none left by the service's cleaning (markup alone, `<p><br></p>`), which would refuse it once
    encoding has begun."""
    where = f"{path} row {n}"
    text = "\n\n".join(t for t in (string_of(row, c, where) for c in f.text) if t)
    if not clean_text(text).text.strip():
        return None
    title = (string_of(row, f.title, where) or None) if f.title else None
    if title is not None and len(title) > MAX_TITLE:
        raise DataError(f"{where}: the title in {f.title!r} is {len(title)} characters long; the service "
                        f"takes {MAX_TITLE} at most (fields.title)")
    if f.id and row.get(f.id) is None:  # else str() makes every null the id 'None'
        raise DataError(f"{where}: no id in {f.id!r} (fields.id); give every row one, or set "
                        "fields.id: null to number the rows")
    return Example(id=str(row[f.id]) if f.id else str(n), title=title, text=text, source=f"{path} row {n}")


def source_examples(src: ArticleSource, key: str) -> list[Example]:
    """The rows with some text of a table beside the recipe's data (`key` names it in messages); with
    `fields.summary`, each row's summary too."""
    rows = read_table(src.path, src.format)
    f = src.fields
    check_columns(rows, [c for c in (f.id, f.title, *f.text, f.summary) if c], src.path, f"{key}.fields")
    out = []
    for n, row in enumerate(rows, start=1):
        ex = example_of(row, f, n, src.path)
        if ex is None:
            continue
        if f.summary:
            ex.summary = summary_of(row, f.summary, ex.source)
            if not ex.summary:
                raise DataError(f"{src.path} row {n}: no summary in {f.summary!r} ({key}.fields.summary)")
        out.append(ex)
    return out


def to_examples(rows: list[dict[str, Any]], cfg: TrainConfig, path: Path, notes: list[str]) -> list[Example]:
    f = cfg.data.fields
    target = f.summary if cfg.task == "extractive-summary" else f.label
    assert target is not None
    check_columns(rows, [c for c in (f.id, f.title, *f.text, target) if c], path)
    out = []
    empty = 0
    for n, row in enumerate(rows, start=1):
        where = f"{path} row {n}"
        ex = example_of(row, f, n, path)
        if ex is None:
            if cfg.data.empty_text == "skip":
                empty += 1
                continue
            raise DataError(f"{where}: no text in {', '.join(f.text)} (data.fields.text)")
        value = row.get(target)
        if cfg.task == "extractive-summary":
            ex.summary = summary_of(row, target, where)
            if not ex.summary:
                raise DataError(f"{where}: no summary in {target!r} (data.fields.summary)")
        else:
            labels = [value] if isinstance(value, str) else value if isinstance(value, list) else None
            if labels is None or not all(isinstance(x, str) for x in labels):
                raise DataError(f"{where}: {target!r} must be a label or a list of labels, got {value!r}")
            ex.labels = list(dict.fromkeys(x.strip() for x in labels if x.strip()))
            if cfg.task == "multi-class" and len(ex.labels) != 1:
                raise DataError(
                    f"{where}: a multi-class row needs exactly one label in {target!r}, got {ex.labels}"
                )
        out.append(ex)
    if empty:
        notes.append(f"{path.name}: {empty} rows with no text left out (data.empty_text: skip)")
    return out


def table_paths(tables: Tables) -> list[Path]:
    """The files a split names: each path as it is, or the files a glob in its name matches, sorted (a
    path that exists is itself, `train [2024].jsonl` too)."""
    out = []
    for path in tables if isinstance(tables, list) else [tables]:
        if path.exists() or not any(c in path.name for c in "*?["):
            out.append(path)
            continue
        matched = sorted(path.parent.glob(path.name))
        if not matched:
            raise DataError(f"{path}: no file matches it")
        out += matched
    return out


def check_apart(files: dict[str, list[Path]]) -> None:
    """No table is read twice: a glob that also matches another split's file (`train: data/*.jsonl`
    beside `dev: data/dev.jsonl`) would put its rows in both splits."""
    first: dict[Path, str] = {}
    for split, paths in files.items():
        for path in paths:
            seen = first.get(path.resolve())
            if seen is not None:
                both = f"data.{seen} and data.{split}" if seen != split else f"data.{split} twice"
                raise DataError(f"{path}: read by {both} (a glob matches it too?); name each table once")
            first[path.resolve()] = split


def tables_examples(paths: list[Path], cfg: TrainConfig, notes: list[str]) -> list[Example]:
    """The examples of a split's tables, one table after another."""
    return [ex for path in paths for ex in to_examples(read_table(path, cfg.data.format), cfg, path, notes)]


def _carve(train: list[Example], ratio: float, rng: random.Random) -> list[Example]:
    """Move `ratio` of train out, never taking the last train example of a label."""
    order = list(range(len(train)))
    rng.shuffle(order)
    want = round(len(train) * ratio)
    left = Counter(lb for ex in train for lb in ex.labels)
    taken: set[int] = set()
    for i in order:
        if len(taken) >= want:
            break
        if all(left[lb] > 1 for lb in train[i].labels):
            taken.add(i)
            left.subtract(train[i].labels)
    carved = [ex for i, ex in enumerate(train) if i in taken]
    train[:] = [ex for i, ex in enumerate(train) if i not in taken]
    return carved


def check_unique_ids(examples: list[Example]) -> None:
    """A repeated id would put one article in two splits (test figures on seen data) or count it twice."""
    first: dict[str, Example] = {}
    for ex in examples:
        if ex.id in first:
            raise DataError(
                f"{ex.source}: id {ex.id!r} repeats {first[ex.id].source} (data.fields.id); "
                "drop the duplicate rows"
            )
        first[ex.id] = ex


def _read_ids(ids_file: Path) -> dict[str, list[str]]:
    """The ids file's ids, by split."""
    try:
        ids = json.loads(ids_file.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise DataError(f"{ids_file}: no such ids file (data.ids)") from e
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"{ids_file}: cannot read it as JSON: {e}") from e
    out = {}
    for split in SPLITS:
        listed = ids.get(split) if isinstance(ids, dict) else None
        if not isinstance(listed, list):
            raise DataError(f"{ids_file}: expected a list of ids under {split!r}")
        out[split] = [str(i) for i in listed]
    return out


def _by_ids(examples: list[Example], ids_file: Path) -> dict[str, list[Example]]:
    by_id = {ex.id: ex for ex in examples}
    out = {}
    for split, listed in _read_ids(ids_file).items():
        unknown = [i for i in listed if i not in by_id]
        if unknown:
            raise DataError(
                f"{ids_file}: {split} id {unknown[0]!r} is not in the data ({len(unknown)} such ids)"
            )
        out[split] = [by_id[i] for i in listed]
    listed_in: dict[str, str] = {}
    for split, rows in out.items():
        for ex in rows:
            if ex.id in listed_in:
                where = "twice under" if listed_in[ex.id] == split else f"under {listed_in[ex.id]} and"
                raise DataError(f"{ids_file}: id {ex.id!r} is listed {where} {split}")
            listed_in[ex.id] = split
    return out


def _carved_split(cfg: TrainConfig, examples: list[Example], split: str) -> list[Example]:
    """`select_split` for a recipe that carves dev or test out of train by a ratio: its tables split again
    with its seed, and the rows of `examples` that are the same article (id and text) as one of `split`."""
    try:
        splits = _load_splits(cfg, [])
    except DataError as e:
        raise DataError(f"{e.message} (evaluate splits the recipe's data again to tell its {split} rows, "
                        "carved by a ratio)") from e
    drawn = {s: {(ex.id, ex.text) for ex in rows} for s, rows in splits.items()}
    if not {(ex.id, ex.text) for ex in examples} & set().union(*drawn.values()):
        return examples
    return [ex for ex in examples if (ex.id, ex.text) in drawn[split]]


def select_split(cfg: TrainConfig, examples: list[Example], split: str) -> list[Example]:
    """For evaluation: when the config splits one table by an ids file, or carves dev or test out of train
    by a ratio, the rows of `split` that `examples` hold (a part of the table will do); all of them when
    the recipe's splits hold none of them (other data than the recipe's)."""
    if cfg.data.ids is None:
        if any(isinstance(getattr(cfg.data, s), Ratio) for s in ("dev", "test")):
            return _carved_split(cfg, examples, split)
        return examples
    ids = _read_ids(cfg.data.ids)
    if not {ex.id for ex in examples} & {i for listed in ids.values() for i in listed}:
        return examples
    wanted = set(ids[split])
    return [ex for ex in examples if ex.id in wanted]


def _load_splits(cfg: TrainConfig, notes: list[str]) -> dict[str, list[Example]]:
    d: DataConfig = cfg.data
    rng = random.Random(cfg.seed)
    if d.path is not None:
        examples = to_examples(read_table(d.path, d.format), cfg, d.path, notes)
        if d.fields.id:
            check_unique_ids(examples)
        if d.ids is not None:
            return _by_ids(examples, d.ids)
        splits: dict[str, list[Example]] = {"train": examples}
    else:
        assert d.train is not None
        files = {s: table_paths(getattr(d, s)) for s in SPLITS if not isinstance(getattr(d, s), Ratio)}
        check_apart(files)
        splits = {s: tables_examples(paths, cfg, notes) for s, paths in files.items()}
        if d.fields.id:
            check_unique_ids([ex for rows in splits.values() for ex in rows])
    for split in ("test", "dev"):
        src = getattr(d, split)
        if isinstance(src, Ratio):
            splits[split] = _carve(splits["train"], src.ratio, rng)
            notes.append(f"{split}: {len(splits[split])} rows drawn out of train at random (data.{split}: "
                         f"{{ratio: {src.ratio:g}}}, seed {cfg.seed}; never a label's last train row)")
    return splits


def _taxonomy(cfg: TrainConfig, splits: dict[str, list[Example]], notes: list[str]) -> list[ArtifactLabel]:
    tax = cfg.taxonomy
    assert tax is not None
    if tax.labels is not None:
        return [
            ArtifactLabel(code=lb.id, name=lb.name or lb.id, description=lb.description, iptc=lb.iptc)
            for lb in tax.labels
        ]
    seen = [set(lb for ex in splits[s] for lb in ex.labels) for s in ("train", "test")]
    codes = sorted(seen[0] & seen[1])
    if len(codes) < 2:  # as with taxonomy.labels (config.py): a tagger needs two labels to tell apart
        raise DataError(f"taxonomy.from_data: the labels in both train and test are {codes}; a tagger "
                        "needs at least 2")
    for split, (kept, before) in keep_labels(splits, set(codes)).items():
        notes.append(
            f"{split}: {kept} of {before} rows carry one of the {len(codes)} labels that occur "
            "in both train and test; the rest are left out"
        )
    return [ArtifactLabel(code=c, name=c) for c in codes]


def keep_labels(splits: dict[str, list[Example]], codes: set[str]) -> dict[str, tuple[int, int]]:
    """Each row's labels outside `codes` dropped, and the rows left with none left out: per split, the
    rows kept and the rows before."""
    counts = {}
    for split, rows in splits.items():
        before = len(rows)
        for ex in rows:
            ex.labels = [lb for lb in ex.labels if lb in codes]
        rows[:] = [ex for ex in rows if ex.labels]
        counts[split] = (len(rows), before)
    return counts


def check_row_labels(ex: Example, known: set[str], cfg: TrainConfig, taxonomy: str) -> None:
    """The row has a label, and only labels of `known` (`taxonomy` names them in the message)."""
    if not ex.labels:
        raise DataError(f"{ex.source}: no label in {cfg.data.fields.label!r} (data.fields.label)")
    bad = [lb for lb in ex.labels if lb not in known]
    if bad:
        raise DataError(f"{ex.source}: label {bad[0]!r} is not in {taxonomy}")


def _check_labels(cfg: TrainConfig, splits: dict[str, list[Example]], codes: list[str]) -> None:
    known = set(codes)
    for rows in splits.values():
        for ex in rows:
            check_row_labels(ex, known, cfg, "the taxonomy (taxonomy.labels)")
    carved = {s for s in ("dev", "test") if isinstance(getattr(cfg.data, s), Ratio)}
    for split, rows in splits.items():
        if split in carved:
            continue  # a ratio of train cannot hold a label seen once; thresholds fall back for those
        counts = Counter(lb for ex in rows for lb in ex.labels)
        absent = [c for c in codes if not counts[c]]
        if absent:
            raise DataError(
                f"{split} split has no example of label {absent[0]!r}"
                f"{f' (and {len(absent) - 1} more)' if len(absent) > 1 else ''}; every label "
                "needs examples in every split"
            )


def fingerprint(splits: dict[str, list[Example]]) -> str:
    h = hashlib.sha256()
    for split in SPLITS:
        for ex in splits.get(split, []):
            h.update(json.dumps([split, ex.id, ex.title, ex.text, ex.labels, ex.summary]).encode())
    return h.hexdigest()[:16]


def load_dataset(cfg: TrainConfig) -> Dataset:
    notes: list[str] = []
    splits = _load_splits(cfg, notes)
    for split in SPLITS:
        if not splits.get(split):
            raise DataError(f"the {split} split is empty; check data.{split} / data.ids / the ratios")
    most = cfg.training.max_train_examples
    if most and most < len(splits["train"]):
        # a seeded sample, not the first rows: a file sorted by label would leave one label
        keep = sorted(random.Random(cfg.seed).sample(range(len(splits["train"])), most))
        splits["train"] = [splits["train"][i] for i in keep]
        notes.append(f"train cut to {len(keep)} rows drawn at random (training.max_train_examples)")
    taxonomy: list[ArtifactLabel] = []
    if cfg.task != "extractive-summary":
        taxonomy = _taxonomy(cfg, splits, notes)
        if cfg.data.other_labels == "skip":
            for split, (kept, before) in keep_labels(splits, {lb.code for lb in taxonomy}).items():
                if kept < before:
                    notes.append(f"{split}: {before - kept} of {before} rows have none of the taxonomy's "
                                 "labels and are left out (data.other_labels: skip)")
        _check_labels(cfg, splits, [lb.code for lb in taxonomy])
        for split in SPLITS:
            if not splits[split]:
                raise DataError(f"the {split} split has no row left with a label of the taxonomy")
    return Dataset(splits, taxonomy, fingerprint(splits), notes)
