"""Bad training configs and data: one line naming the file, row or field, exit 2, nothing written.

Each case fails before any model loads."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from train_fixtures import write_jsonl, write_recipe

from service import cli
from training.config import load_train_config
from training.data import SPLITS
from training.residual import load_recipe

Mutate = Callable[[Path, dict[str, Any]], None]


def _rows(folder: Path, name: str, change: Callable[[list[dict]], None]) -> None:
    path = folder / name
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    change(rows)
    write_jsonl(path, rows)


def _drop(rows: list[dict], field: str) -> None:
    del rows[2][field]


def _one_table(folder: Path, raw: dict[str, Any], listed_twice: str) -> None:
    """The three split files as one table split by an ids file, `listed_twice` (a train id) also in test."""
    splits = {
        s: [json.loads(x) for x in (folder / f"{s}.jsonl").read_text().splitlines()] for s in SPLITS
    }
    write_jsonl(folder / "all.jsonl", [row for rows in splits.values() for row in rows])
    ids = {s: [row["id"] for row in rows] for s, rows in splits.items()}
    ids["test"].append(listed_twice)
    (folder / "splits.json").write_text(json.dumps(ids))
    raw["data"] = {"path": "all.jsonl", "ids": "splits.json", "fields": raw["data"]["fields"]}


CASES: list[tuple[str, Mutate, tuple[str, ...]]] = [
    ("config typo", lambda f, r: r["training"].update(epochz=3), ("training.epochz", "Extra inputs")),
    ("wrong type", lambda f, r: r["training"].update(lr="fast"), ("training.lr", "'fast'")),
    ("unknown task", lambda f, r: r.update(task="regression"), ("task",)),
    (
        "missing data file",
        lambda f, r: r["data"].update(train="nope.jsonl"),
        ("nope.jsonl", "no such data file"),
    ),
    ("empty dataset", lambda f, r: (f / "train.jsonl").write_text(""), ("train.jsonl",)),
    (
        "row without text",
        lambda f, r: _rows(f, "train.jsonl", lambda rows: rows[2].update(body="  ")),
        ("train.jsonl row 3", "no text", "body"),
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
        ("train.jsonl: cannot read it as json: JSON parse error",),
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
    ("output is a file", lambda f, r: (r.update(output="taken"), (f / "taken").write_text("")),
     ("output:", "taken is a file, not a folder")),
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
