"""Training on a few hundred real rows of ../shared (slow: encodes them): the recipes' data paths work and
the models learn. Row subsets are written to tmp; nothing of the data is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from train_fixtures import write_jsonl

from service import cli
from service.artifacts import load_manifest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


# The BBC rows both BBC recipes train on: one subset, one vector cache, so the second encodes nothing again
BBC_SIZES = {"train": 150, "dev": 40, "test": 60}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("vectors")


def _recipe(tmp_path: Path, name: str, changes: dict, cache: Path) -> Path:
    raw = yaml.safe_load((ROOT / "configs" / "train" / f"{name}.yaml").read_text())
    raw["data"] = {**raw["data"], **changes}
    raw.update(output=str(tmp_path / "out"), cache=str(cache), version="slow")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _bbc_subset(shared: Path, tmp_path: Path, sizes: dict[str, int]) -> tuple[Path, Path]:
    root = shared / "bbc-news-summary"
    splits = json.loads((root / "splits.json").read_text())
    rows = {r["id"]: r for r in map(json.loads, (root / "bbc_news_summary.jsonl").open(encoding="utf-8"))}
    ids = {
        s: [i for i in splits[s] if i in rows][:: max(1, len(splits[s]) // n)][:n] for s, n in sizes.items()
    }
    data = write_jsonl(tmp_path / "bbc.jsonl", [rows[i] for s in sizes for i in ids[s]])
    ids_file = tmp_path / "ids.json"
    ids_file.write_text(json.dumps(ids))
    return data, ids_file


def _train(capsys, recipe: Path) -> Path:
    assert cli.main(["train", str(recipe)]) == 0, capsys.readouterr().err
    return Path(capsys.readouterr().out.strip())


def test_bbc_topics_on_real_rows(shared_data, tmp_path, capsys, cache):
    data, ids = _bbc_subset(shared_data, tmp_path, BBC_SIZES)
    artifact = _train(capsys, _recipe(tmp_path, "bbc-topics", {"path": str(data), "ids": str(ids)}, cache))
    _, manifest = load_manifest(artifact)
    assert manifest.metrics["n"] == 60 and manifest.metrics["accuracy"] >= 0.85
    assert {lb.iptc for lb in manifest.taxonomy} >= {"medtop:15000000", "medtop:04000000"}


def test_bbc_summary_on_real_rows(shared_data, tmp_path, capsys, cache):
    data, ids = _bbc_subset(shared_data, tmp_path, BBC_SIZES)
    artifact = _train(capsys, _recipe(tmp_path, "bbc-summary", {"path": str(data), "ids": str(ids)}, cache))
    _, manifest = load_manifest(artifact)
    lead3 = float((artifact / "README.md").read_text().split("| lead-3 | ")[1].split(" | ")[1])
    assert manifest.metrics["rouge2"] > lead3  # BBC's references are far from the lead


def test_reuters_topics_on_real_rows(shared_data, tmp_path, capsys, cache):
    reuters = shared_data / "reuters21578"
    for split, n in (("train", 400), ("test", 150)):
        rows = [json.loads(line) for line in (reuters / f"modapte_{split}.jsonl").open(encoding="utf-8")][:n]
        write_jsonl(tmp_path / f"{split}.jsonl", rows)
    recipe = _recipe(
        tmp_path,
        "reuters-topics",
        {"train": str(tmp_path / "train.jsonl"), "test": str(tmp_path / "test.jsonl")},
        cache,
    )
    artifact = _train(capsys, recipe)
    _, manifest = load_manifest(artifact)
    assert "earn" in {lb.code for lb in manifest.taxonomy} and manifest.metrics["micro_f1"] >= 0.6
    notes = (artifact / "README.md").read_text()
    assert "labels that occur in both train and test" in notes


def test_shipped_summariser_reproduces_its_model_card(shared_data, capsys):
    """models/summary-default (committed, configs/default.yaml's scorer) scores on the BBC test split what
    its card says: the artifact, its relative paths and the engine's picking rules still agree."""
    folder, manifest = load_manifest(ROOT / "models" / "summary-default")
    card = (folder / "README.md").read_text()
    rouge2 = float(card.split("| test | ")[1].split(" | ")[1])  # columns: rouge1, rouge2, rougeL, n
    data = shared_data / "bbc-news-summary" / "bbc_news_summary.jsonl"
    assert cli.main(["evaluate", str(folder), "--data", str(data), "--split", "test"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert metrics["n"] == 418 and metrics["sentences"] == manifest.model["sentences"] == 3
    assert abs(metrics["rouge2"] - rouge2) <= 0.5, (metrics, rouge2)
