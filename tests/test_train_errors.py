"""Bad training configs and data: one line naming the file, row or field, exit 2, nothing written.

Each case fails before any model loads."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import yaml
from train_fixtures import SENTENCES, write_jsonl, write_recipe

from service import cli
from service.artifacts import ACTIVE, MAIN_METRIC, RESOLVED_CONFIG, ArtifactLabel, Manifest
from service.config import load_engine_config
from service.errors import ConfigError
from service.features import EncodedText
from training.artifact import write_artifact
from training.config import load_train_config
from training.data import SPLITS
from training.residual import load_recipe
from training.vectors import VectorCache

Mutate = Callable[[Path, dict[str, Any]], None]


def _rows(folder: Path, name: str, change: Callable[[list[dict]], None]) -> None:
    path = folder / name
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    change(rows)
    write_jsonl(path, rows)


def _drop(rows: list[dict], field: str) -> None:
    del rows[2][field]


def _one_table(folder: Path, raw: dict[str, Any], listed_twice: str, again: str = "test") -> None:
    """The three split files as one table split by an ids file, `listed_twice` (a train id) also in
    `again`."""
    splits = {
        s: [json.loads(x) for x in (folder / f"{s}.jsonl").read_text().splitlines()] for s in SPLITS
    }
    write_jsonl(folder / "all.jsonl", [row for rows in splits.values() for row in rows])
    ids = {s: [row["id"] for row in rows] for s, rows in splits.items()}
    ids[again].append(listed_twice)
    (folder / "splits.json").write_text(json.dumps(ids))
    raw["data"] = {"path": "all.jsonl", "ids": "splits.json", "fields": raw["data"]["fields"]}


def _only(folder: Path, label: str, *splits: str) -> None:
    """Keep the rows of one label in each named split's file."""
    for split in splits:
        _rows(folder, f"{split}.jsonl", lambda rows: rows.__setitem__(
            slice(None), [x for x in rows if x["label"] == label]))


def _header_only_csv(folder: Path, raw: dict[str, Any]) -> None:
    (folder / "train.csv").write_text("id,title,body,label\n")
    raw["data"]["train"] = "train.csv"


def _append(folder: Path, name: str, line: str) -> None:
    """One more line, as written, at the end of a split's file (its 19th for train.jsonl)."""
    path = folder / name
    path.write_text(path.read_text() + line + "\n")


def _train_table(folder: Path, raw: dict[str, Any], name: str, write: Callable[[Path], Any]) -> None:
    """train read from `name`, which `write` makes."""
    write(folder / name)
    raw["data"]["train"] = name


def _empty_parquet(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({c: pa.array([], pa.string()) for c in ("id", "title", "body", "label")}), path)


def _empty_saved_dataset(path: Path) -> None:
    import datasets

    datasets.Dataset.from_dict({"id": [], "title": [], "body": [], "label": []}).save_to_disk(str(path))


def _ragged_csv(folder: Path, raw: dict[str, Any], row: int, change: Callable[[list[str]], None]) -> None:
    """train.jsonl as train.csv (a body that spans two lines first), data row `row`'s fields changed."""
    rows = [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]
    rows[0]["body"] = rows[0]["body"].replace(". ", ".\n", 1)
    records = [[r["id"], r["title"], r["body"], r["label"]] for r in rows]
    change(records[row - 1])
    with (folder / "train.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["id", "title", "body", "label"], *records])
    raw["data"]["train"] = "train.csv"


CASES: list[tuple[str, Mutate, tuple[str, ...]]] = [
    ("config typo", lambda f, r: r["training"].update(epochz=3), ("training.epochz", "Extra inputs")),
    ("wrong type", lambda f, r: r["training"].update(lr="fast"), ("training.lr", "'fast'")),
    ("unknown task", lambda f, r: r.update(task="regression"), ("task",)),
    (
        "missing data file",
        lambda f, r: r["data"].update(train="nope.jsonl"),
        ("nope.jsonl", "no such data file"),
    ),
    # `datasets` alone says "StopIteration" for the one and "corresponds to no data" for the other
    ("empty dataset", lambda f, r: (f / "train.jsonl").write_text(""), ("train.jsonl: no rows",)),
    ("a csv with only its header", _header_only_csv, ("train.csv: no rows",)),
    (
        "a csv row with more fields than its header",  # first: pandas made each field the one before's
        lambda f, r: _ragged_csv(f, r, 1, lambda fields: fields.append("extra")),
        ("train.csv line 2: 5 fields, the header has 4; quote a field that holds a comma",),
    ),
    (
        "a csv row with fewer fields than its header",  # pandas made its title null, silently
        lambda f, r: _ragged_csv(f, r, 2, lambda fields: fields.pop(1)),
        ("train.csv line 4: 3 fields, the header has 4",),
    ),
    (
        "a csv quote that never closes",  # the advice was about empty fields: the record was short
        lambda f, r: (_ragged_csv(f, r, 1, lambda fields: None),
                      _append(f, "train.csv", 'x,"Open,Body.,sport')),
        ("train.csv line 21: a quoted field opens here and never closes", "write a quote inside it as two"),
    ),
    ("an empty parquet", lambda f, r: _train_table(f, r, "train.parquet", _empty_parquet),
     ("train.parquet: no rows",)),  # pyarrow: "BatchSize must be greater than 0, got 0"
    ("an empty JSON array", lambda f, r: _train_table(f, r, "train.json", lambda p: p.write_text(" [\n ]\n")),
     ("train.json: no rows",)),  # `datasets`: 'Instruction "train" corresponds to no data!'
    # `datasets` raised IndexError: a dataset saved with no rows has no arrow file
    ("an empty datasets folder", lambda f, r: _train_table(f, r, "train_ds", _empty_saved_dataset),
     ("train_ds: no rows",)),
    (
        "a file format naming a folder",  # "cannot decompress it: [Errno 21] Is a directory"
        lambda f, r: (_train_table(f, r, "parts", Path.mkdir), r["data"].update(format="csv")),
        ("parts is a folder, not a file: format csv reads one file",),
    ),
    (
        "a glob that matches another split's file",  # the rows of dev were in train: "id repeats"
        lambda f, r: r["data"].update(train="*.jsonl"),
        ("dev.jsonl: read by data.train and data.dev (a glob matches it too?)",),
    ),
    (
        "a key twice in one JSON object",  # pyarrow: "Column(/title) was specified twice in row 18"
        lambda f, r: _append(f, "train.jsonl", '{"id": "x", "title": "a", "title": "b", "body": "c", '
                                               '"label": "sport"}'),
        ("train.jsonl line 19: key 'title' is given twice in one object",),
    ),
    (
        "a lone surrogate",  # pyarrow: "The surrogate pair in string is invalid. in row 18"
        lambda f, r: _append(f, "train.jsonl", json.dumps({"id": "x", "body": "\udc00", "label": "tech"})),
        ("train.jsonl line 19: 'body' holds a lone surrogate \\udc00 (half of a UTF-16 pair)",),
    ),
    (
        "an integer wider than 64 bits",  # read as a float: 2**64 the id '1.8446744073709552e+19'
        lambda f, r: _append(f, "train.jsonl", json.dumps({"id": 2**64, "body": "a", "label": "tech"})),
        ("train.jsonl line 19: the integer 18446744073709551616 does not fit in 64 bits; write it as a "
         "string",),
    ),
    (
        "a title longer than the service takes",  # a pydantic traceback once the encoder had loaded
        lambda f, r: _rows(f, "train.jsonl", lambda rows: rows[3].update(title="t" * 2001)),
        ("train.jsonl row 4: the title in 'title' is 2001 characters long; the service takes 2000 at most",),
    ),
    (
        "a text of paragraphs",  # read as no text
        lambda f, r: _rows(f, "dev.jsonl", lambda rows: rows[1].update(body=["One.", "Two."])),
        ("dev.jsonl row 2: 'body' must be a string, got list",),
    ),
    (
        "null ids",  # not all the id 'None', which then "repeats"
        lambda f, r: _rows(f, "train.jsonl", lambda rows: (rows[1].update(id=None), rows[3].update(id=None))),
        ("train.jsonl row 2: no id in 'id'",),
    ),
    (
        "a ratio out of range",  # not pydantic's words for each member of `Path | Ratio`
        lambda f, r: r["data"].update(dev={"ratio": 1.0}),
        ("data.dev: ", "a table's path, a list of them or {ratio: R} with 0 < R < 1, got {'ratio': 1.0}"),
    ),
    (
        "a ratio in a list",  # the value was said twice: "got [...], got [...]"
        lambda f, r: r["data"].update(test=["test.jsonl", {"ratio": 0.2}]),
        ("with 0 < R < 1, got ['test.jsonl', {'ratio': 0.2}]\n",),
    ),
    (
        "a taxonomy of one label",  # the adam solver trained a tagger that says "sport" to all
        lambda f, r: (r["taxonomy"].update(labels=[{"id": "sport"}]), _only(f, "sport", *SPLITS)),
        ("taxonomy.labels: a multi-class task needs at least 2 labels, got ['sport']",),
    ),
    (
        "one label in both train and test",
        lambda f, r: (r.update(taxonomy={"from_data": "in_train_and_test"}), _only(f, "sport", "test")),
        ("taxonomy.from_data: the labels in both train and test are ['sport']; a tagger needs at least 2",),
    ),
    (
        "row without text",
        lambda f, r: _rows(f, "train.jsonl", lambda rows: rows[2].update(body="  ")),
        ("train.jsonl row 3", "no text", "body"),
    ),
    (
        "row of markup alone",  # refused once encoding had begun, cache files left
        lambda f, r: _rows(f, "train.jsonl", lambda rows: rows[2].update(body="<p><br></p>")),
        ("train.jsonl row 3: no text in body (data.fields.text)",),
    ),
    (
        "row without label",
        lambda f, r: _rows(f, "dev.jsonl", lambda rows: rows[2].update(label=None)),
        ("dev.jsonl row 3", "'label'"),
    ),
    (
        "label not in taxonomy",
        lambda f, r: _rows(f, "test.jsonl", lambda rows: rows[0].update(label="weather")),
        ("test.jsonl row 1", "'weather' is not in the taxonomy"),
    ),
    (
        "split without a label",
        lambda f, r: _rows(
            f,
            "dev.jsonl",
            lambda rows: rows.__setitem__(slice(None), [x for x in rows if x["label"] != "tech"]),
        ),
        ("dev split", "'tech'"),
    ),
    (
        "missing field",
        lambda f, r: r["data"]["fields"].update(text=["content"]),
        ("'content'", "data.fields"),
    ),
    (
        "taxonomy and data both",
        lambda f, r: r["taxonomy"].update(from_data="in_train_and_test"),
        ("taxonomy", "either `labels` or `from_data`"),
    ),
    ("no dev split", lambda f, r: r["data"].pop("dev"), ("data", "`dev` is missing")),
    (
        "a file not in UTF-8",
        lambda f, r: (f / "dev.jsonl").write_bytes((f / "dev.jsonl").read_bytes().replace(b"e", b"\xe9", 1)),
        ("dev.jsonl line 1: not UTF-8 (byte 0xe9",),
    ),
    (
        "a line that is not JSON",
        lambda f, r: (f / "train.jsonl").write_text((f / "train.jsonl").read_text() + "{not json\n"),
        ("train.jsonl line 19: not valid JSON: Expecting property name enclosed in double quotes at "
         "column 2",),
    ),
    (
        "a line that is a list",
        lambda f, r: (f / "dev.jsonl").write_text("[1, 2]\n" + (f / "dev.jsonl").read_text()),
        ("dev.jsonl line 1: expected a JSON object, got list",),
    ),
    (
        "an id twice",
        lambda f, r: _rows(f, "test.jsonl", lambda rows: rows[4].update(id=rows[1]["id"])),
        ("test.jsonl row 5: id", "repeats", "test.jsonl row 2"),
    ),
    (
        "an id in two splits",
        lambda f, r: _rows(f, "test.jsonl", lambda rows: rows[0].update(id="business-1-0")),
        ("test.jsonl row 1: id 'business-1-0' repeats", "train.jsonl row"),
    ),
    (
        "an ids file listing an article twice",
        lambda f, r: _one_table(f, r, listed_twice="business-1-0"),
        ("splits.json: id 'business-1-0' is listed under train and test",),
    ),
    (
        "an ids file listing an article twice in one split",  # "listed under train and train"
        lambda f, r: _one_table(f, r, listed_twice="business-1-0", again="train"),
        ("splits.json: id 'business-1-0' is listed twice under train",),
    ),
    ("output is a file", lambda f, r: (r.update(output="taken"), (f / "taken").write_text("")),
     ("output:", "taken is a file, not a folder")),
    ("cache is a file", lambda f, r: (r.update(cache="taken"), (f / "taken").write_text("")),
     ("cache:", "taken is a file, not a folder")),
    (
        "liblinear with a hidden layer",
        lambda f, r: (r["training"].update(solver="liblinear"), r["model"].update(hidden=8)),
        ("solver: liblinear fits a linear topic head",),
    ),
    (
        "cross-validated thresholds on a multi-class task",
        lambda f, r: r["training"].update(solver="liblinear", thresholds={"tuned_on": "cross-validation"}),
        ("tuned_on: cross-validation needs a multi-label task",),
    ),
    (
        "refit with the adam solver",
        lambda f, r: r["training"].update(refit=True),
        ("training.refit needs training.solver: liblinear",),
    ),
    (
        "refit with thresholds tuned on dev",
        lambda f, r: (r.update(task="multi-label"), r["data"]["fields"].update(label="labels"),
                      r["training"].update(solver="liblinear", refit=True)),
        ("dev cannot tune the thresholds",),
    ),
]


@pytest.mark.parametrize("case, mutate, fragments", CASES, ids=[c[0] for c in CASES])
def test_bad_config_or_data_is_one_line_and_writes_nothing(tmp_path, capsys, case, mutate, fragments):
    recipe = write_recipe(tmp_path, "multi-class")
    raw = yaml.safe_load(recipe.read_text())
    mutate(tmp_path, raw)
    recipe.write_text(yaml.safe_dump(raw))
    assert cli.main(["train", str(recipe)]) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("newsdesk: error: "), err
    for fragment in fragments:
        assert fragment in err, err
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_a_real_subprocess_says_one_line(tmp_path):
    recipe = write_recipe(tmp_path, "multi-label")
    _rows(tmp_path, "train.jsonl", lambda rows: rows[4].update(labels=[]))
    proc = subprocess.run(
        [sys.executable, "-m", "service", "train", str(recipe)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2 and proc.stdout == "", proc
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and "train.jsonl row 5: no label" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    sub = tmp_path / "recipes"
    sub.mkdir()
    recipe = write_recipe(sub, "multi-class", output="../artifacts")
    monkeypatch.chdir(tmp_path.parent)  # not the config's folder
    cfg = load_train_config(recipe)
    assert cfg.data.train == sub / "train.jsonl" and cfg.output == tmp_path / "artifacts"
    assert cfg.cache == sub / "cache"


def test_the_shipped_recipes_validate():
    for recipe in sorted((Path(__file__).resolve().parent.parent / "configs" / "train").glob("*.yaml")):
        # A head on the zero-shot tagger has a recipe of its own kind (training/residual.py).
        residual = yaml.safe_load(recipe.read_text())["task"] == "zero-shot-residual"
        cfg = load_recipe(recipe) if residual else load_train_config(recipe)
        assert cfg.output.is_absolute() and cfg.name == recipe.stem


@pytest.mark.parametrize("target", ["models/iptc-short", "configs/train/iptc-default.yaml"])
def test_evaluate_says_where_a_residual_heads_figures_come_from(capsys, target):
    root = Path(__file__).resolve().parent.parent
    argv = ["evaluate", str(root / target), "--data", str(root / "nowhere.jsonl")]
    assert cli.main(argv) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    assert "a zero-shot-residual head is measured by `newsdesk train`" in err


@contextmanager
def _unwritable(folder: Path) -> Iterator[Path]:
    """`folder` made one this process cannot write in. Root ignores the mode bits (CI runs as root), so
    there the folder is made immutable (`chattr +i`); where neither works the test cannot be made."""
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    immutable = False
    try:
        if os.access(folder, os.W_OK):
            chattr = shutil.which("chattr")
            immutable = chattr is not None and subprocess.run([chattr, "+i", str(folder)]).returncode == 0
            if not immutable:
                pytest.skip("root writes in a folder of any mode, and chattr +i is not there or not allowed")
        yield folder
    finally:
        if immutable:
            subprocess.run([shutil.which("chattr") or "chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


@pytest.mark.parametrize("changes", [{"output": "ro"}, {"output": "ro/sub"}, {"cache": "ro/cache"}])
def test_a_folder_it_cannot_write_in_is_one_line_before_any_encoding(tmp_path, capsys, changes):
    recipe = write_recipe(tmp_path, "multi-class", **changes)
    with _unwritable(tmp_path / "ro"):
        assert cli.main(["train", str(recipe)]) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    key = next(iter(changes))
    assert err.startswith(f"newsdesk: error: {key}: cannot write in {tmp_path / 'ro'}"), err
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()  # nothing was encoded


def test_a_residual_recipe_checks_its_cache_up_front(tmp_path, capsys):
    recipe = tmp_path / "head.yaml"
    recipe.write_text(yaml.safe_dump({
        "name": "head", "task": "zero-shot-residual", "engine": "engine.yaml",
        "sources": [{"recipe": "topics.yaml", "map": "map.yaml"}], "output": "out", "cache": "ro/cache",
    }))
    with _unwritable(tmp_path / "ro"):
        assert cli.main(["train", str(recipe)]) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and err == f"newsdesk: error: cache: cannot write in {tmp_path / 'ro'}\n", err


def test_a_write_that_fails_anyway_is_one_line(tmp_path):
    """Checked up front, a folder can still turn read-only (or a disk fill) before the writes."""
    with _unwritable(tmp_path / "ro") as ro:
        with pytest.raises(ConfigError, match=f"^output: cannot write {ro / 'sub'}: "):
            write_artifact(ro / "sub", "tiny-1", {"a.txt": b"x"})
        engine = SimpleNamespace(encoder=SimpleNamespace(cache_key="k"), config=SimpleNamespace(
            spacy=SimpleNamespace(package="p")))
        with pytest.raises(ConfigError, match=f"^cache: cannot write {ro}/"):  # `evaluate` caches here
            VectorCache(ro, engine).put("ab" * 32, EncodedText([], np.zeros((0, 4), np.float32), None))  # type: ignore[arg-type]


def test_a_key_given_twice_names_it_and_its_lines(tmp_path, capsys):
    recipe = write_recipe(tmp_path, "multi-class")
    text = recipe.read_text()
    assert text.startswith("name: tiny\n")
    recipe.write_text(text.replace("  epochs: 8\n", "  epochs: 8\n  epochs: 2\n"))
    assert cli.main(["train", str(recipe)]) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    line = text.splitlines().index("  epochs: 8") + 1
    assert f"not valid YAML: key 'epochs' is given twice, on lines {line} and {line + 1}" in err, err
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()
    # the engine's configs share the reader
    engine = tmp_path / "engine.yaml"
    engine.write_text("name: a\nversion: '1'\ntagger: {taxonomy: t.yaml}\nname: b\n")
    with pytest.raises(ConfigError, match="key 'name' is given twice, on lines 1 and 4"):
        load_engine_config(engine)


def _artifact(folder: Path, task: str = "multi-class") -> Path:
    """What `newsdesk evaluate` reads before it encodes anything: a manifest and the resolved config."""
    recipe = write_recipe(folder, task)
    artifact = folder / "out" / "tiny-1"
    artifact.mkdir(parents=True)
    (artifact / RESOLVED_CONFIG).write_text(recipe.read_text())
    manifest = Manifest(
        name="tiny", version="1", created="2025-01-01T00:00:00+00:00", task=task, base_encoder="x",
        taxonomy=[ArtifactLabel(code=t, name=t) for t in SENTENCES], data_fingerprint="0",
        main_metric=MAIN_METRIC[task], files=[RESOLVED_CONFIG],
    )
    (artifact / "manifest.json").write_text(manifest.model_dump_json())
    return artifact


def _test_rows(folder: Path, data: Path, change: Callable[[list[dict]], None]) -> None:
    """The recipe's test rows, changed, written to `data`."""
    rows = [json.loads(x) for x in (folder / "test.jsonl").read_text().splitlines()]
    change(rows)
    write_jsonl(data, rows)


@pytest.mark.parametrize(
    "name, task, write, fragment",
    [
        # train refuses a repeated id; evaluate counted the article twice
        ("dup.jsonl", "multi-class",
         lambda f, p: _test_rows(f, p, lambda rows: rows[4].update(id=rows[1]["id"])),
         "dup.jsonl row 5: id 'business-3-1' repeats "),
        ("empty.jsonl", "multi-class", lambda f, p: p.write_text(""), "empty.jsonl: no rows"),
        ("header.csv", "multi-class", lambda f, p: p.write_text("id,title,body,label\n"),
         "header.csv: no rows"),
        # `datasets` raised IndexError
        ("empty_ds", "multi-class", lambda f, p: _empty_saved_dataset(p), "empty_ds: no rows"),
        # train refuses a row with no label; evaluate scored it
        ("none.jsonl", "multi-label", lambda f, p: _test_rows(f, p, lambda rows: rows[2].update(labels=[])),
         "none.jsonl row 3: no label in 'labels' (data.fields.label)"),
    ],
    ids=["an id twice", "an empty file", "a csv header alone", "an empty datasets folder", "no label"],
)
def test_evaluate_checks_the_data_as_train_does(tmp_path, capsys, name, task, write, fragment):
    artifact = _artifact(tmp_path, task)
    data = tmp_path / name
    write(tmp_path, data)
    assert cli.main(["evaluate", str(artifact), "--data", str(data)]) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and fragment in err, err


def test_promoting_over_a_broken_active_file_stops_before_any_work(tmp_path, capsys):
    """An ACTIVE naming a folder that is gone stopped the run only once it had trained and written the
    artifact, without printing its path."""
    recipe = write_recipe(tmp_path, "multi-class")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ACTIVE).write_text("tiny-gone\n")
    assert cli.main(["train", str(recipe), "--promote"]) == cli.EXIT_USER_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    assert f"{tmp_path / 'out' / ACTIVE} names 'tiny-gone', which is not an artifact folder" in err, err
    assert [p.name for p in (tmp_path / "out").iterdir()] == [ACTIVE] and not (tmp_path / "cache").exists()
