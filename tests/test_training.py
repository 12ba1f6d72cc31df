"""`newsdesk train` / `newsdesk evaluate` end to end on small fixtures, with the real encoder.

The fixtures' vectors are cached once per session (the cache is keyed by encoder and text), so only the
first training run encodes.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from safetensors.torch import load_file
from train_fixtures import articles, write_jsonl, write_recipe

from service import cli
from service.artifacts import ACTIVE, MAIN_METRIC, MANIFEST, ArtifactLabel, Manifest, load_manifest
from service.errors import ConfigError
from service.heads import SentenceHead
from training.artifact import promote, write_artifact, write_new
from training.config import load_train_config
from training.data import DataError, load_dataset


def train(capsys, recipe: Path, *extra: str) -> tuple[int, Path, str]:
    code = cli.main(["train", str(recipe), *extra])
    out, err = capsys.readouterr()
    return code, Path(out.strip()) if out.strip() else Path(), err


def evaluate(capsys, target: Path, data: Path, *extra: str) -> dict:
    assert cli.main(["evaluate", str(target), "--data", str(data), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_multi_class_trains_evaluates_and_writes_a_whole_artifact(tmp_path, capsys, vector_cache):
    recipe = write_recipe(tmp_path, "multi-class", cache=str(vector_cache))
    code, artifact, err = train(capsys, recipe)
    assert code == 0 and artifact.parent == tmp_path / "out" and artifact.name.startswith("tiny-")
    # no terminal here, so no bar: one line an epoch instead, for logs
    assert "head: epoch 1/8, loss " in err and "head: epoch 2/8" in err, err
    folder, manifest = load_manifest(artifact)
    assert sorted(p.name for p in folder.iterdir()) == sorted(manifest.files)
    assert {"confusion_matrix.png", "training.png", "README.md", "config.yaml", "weights.safetensors"} <= set(
        manifest.files
    )
    assert (folder / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [lb.code for lb in manifest.taxonomy] == ["sport", "business", "tech"]
    assert manifest.metrics["accuracy"] >= 0.8 and manifest.metrics["n"] == 9
    assert "| test |" in (folder / "README.md").read_text()
    assert load_file(str(folder / "weights.safetensors"))["dense.weight"].shape == (3, 4 * 384)
    resolved = yaml.safe_load((folder / "config.yaml").read_text())
    # Paths relative to the artifact, so a clone of a tree holding it (models/ in git) evaluates it too.
    assert not Path(resolved["data"]["train"]).is_absolute() and resolved["version"] == manifest.version
    assert (folder / resolved["data"]["train"]).resolve() == (tmp_path / "train.jsonl").resolve()
    # evaluate the artifact, and the config (its output folder's active artifact: none was promoted yet)
    metrics = evaluate(capsys, artifact, tmp_path / "test.jsonl")
    assert metrics["accuracy"] == manifest.metrics["accuracy"] and metrics["n"] == 9
    assert set(metrics) >= {"accuracy", "micro_f1", "macro_f1", "per_label", "n"}
    assert cli.main(["evaluate", str(recipe), "--data", str(tmp_path / "test.jsonl")]) == 2
    assert "no ACTIVE file" in capsys.readouterr().err
    (folder.parent / ACTIVE).write_text("\n")  # an ACTIVE that names nothing says so
    assert cli.main(["evaluate", str(folder.parent), "--data", str(tmp_path / "test.jsonl")]) == 2
    assert capsys.readouterr().err == (f"newsdesk: error: {folder.parent / ACTIVE} is empty: it should name "
                                       "the active artifact's folder\n")


def test_multi_label_tunes_thresholds_per_label(tmp_path, capsys, vector_cache):
    recipe = write_recipe(tmp_path, "multi-label", cache=str(vector_cache), epochs=15)
    code, artifact, _ = train(capsys, recipe)
    assert code == 0
    _, manifest = load_manifest(artifact)
    weights = load_file(str(artifact / "weights.safetensors"))
    assert (
        weights["thresholds"].shape == (3,) and manifest.model["thresholds"]["labels_with_own_threshold"] >= 1
    )
    assert "per_label_f1.png" in manifest.files
    metrics = evaluate(capsys, artifact, tmp_path / "test.jsonl")
    assert metrics["micro_f1"] == manifest.metrics["micro_f1"] >= 0.7
    assert sum(v["support"] for v in metrics["per_label"].values()) > metrics["n"]  # some rows carry two


def test_liblinear_solver_picks_c_on_dev(tmp_path, capsys, vector_cache):
    recipe = write_recipe(
        tmp_path,
        "multi-label",
        cache=str(vector_cache),
        training={"solver": "liblinear", "c_grid": [0.01, 1.0]},
    )
    code, artifact, err = train(capsys, recipe)
    assert code == 0
    # liblinear reports no loss: the log said "loss nan"
    head = [line for line in err.splitlines() if line.startswith("head: epoch")]
    assert len(head) == 2 and head[0].startswith("head: epoch 1/2, dev ") and "loss" not in err, err
    _, manifest = load_manifest(artifact)
    assert manifest.model["epochs_run"] == 2 and manifest.metrics["micro_f1"] >= 0.7
    # liblinear has no epochs: the card said "dev chose the epoch"
    assert f"dev chose C = {manifest.model['c']:g} (training.c_grid);" in (artifact / "README.md").read_text()
    assert evaluate(capsys, artifact, tmp_path / "test.jsonl")["micro_f1"] == manifest.metrics["micro_f1"]


def test_liblinear_solver_tells_two_topics_apart(tmp_path, capsys, vector_cache):
    """Two classes: the logistic regression's one row of weights becomes two logits, not two copies."""
    recipe = write_recipe(
        tmp_path, "multi-class", cache=str(vector_cache), training={"solver": "liblinear", "c_grid": [1.0]},
        taxonomy={"labels": [{"id": t, "name": t.title()} for t in ("sport", "business")]},
    )
    for name, seed in (("train", 1), ("dev", 2), ("test", 3)):
        rows = articles(6 if name == "train" else 3, seed=seed, topics=("sport", "business"))
        write_jsonl(tmp_path / f"{name}.jsonl", [{**r, "label": r["labels"][0]} for r in rows])
    code, artifact, _ = train(capsys, recipe)
    assert code == 0
    _, manifest = load_manifest(artifact)
    assert manifest.metrics["accuracy"] >= 0.8 and manifest.metrics["n"] == 6


def test_liblinear_refit_with_cross_validated_thresholds(tmp_path, capsys, vector_cache):
    recipe = write_recipe(
        tmp_path,
        "multi-label",
        cache=str(vector_cache),
        training={
            "solver": "liblinear",
            "c_grid": [0.01, 1.0],
            "refit": True,
            "thresholds": {"tuned_on": "cross-validation", "folds": 3, "min_support": 2},
        },
    )
    code, artifact, _ = train(capsys, recipe)
    assert code == 0
    _, manifest = load_manifest(artifact)
    tuning = manifest.model["thresholds"]
    # out-of-fold logits over train + dev (18 + 9 rows), C = 1.0 picked on dev before the refit
    assert tuning["tuned_on"] == "cross-validation" and tuning["rows"] == 27 and manifest.model["c"] == 1.0
    assert tuning["labels_with_own_threshold"] == 3 and manifest.model["refit_on_dev"]
    assert "dev" not in manifest.metrics and manifest.metrics["cross_validation"]["n"] == 27
    thresholds = load_file(str(artifact / "weights.safetensors"))["thresholds"]
    assert len(set(thresholds.tolist())) == 3  # one per label, not the shared one
    card = (artifact / "README.md").read_text()
    assert "| cross-validation |" in card and "| dev |" not in card and "train + dev" in card
    metrics = evaluate(capsys, artifact, tmp_path / "test.jsonl")
    assert metrics["micro_f1"] == manifest.metrics["micro_f1"] >= 0.7


def test_finetune_saves_its_encoder_and_evaluates_with_it(tmp_path, capsys, vector_cache):
    recipe = write_recipe(
        tmp_path,
        "multi-class",
        cache=str(vector_cache),
        epochs=1,
        model={"mode": "finetune"},
        training={"encoder_lr": 1e-5, "device": "cpu"},
    )
    code, artifact, _ = train(capsys, recipe)
    assert code == 0
    _, manifest = load_manifest(artifact)
    assert manifest.encoder_finetuned and "encoder" in manifest.files
    assert (artifact / "encoder" / "model.safetensors").is_file() and (
        artifact / "encoder" / "tokenizer.json"
    ).is_file()
    metrics = evaluate(capsys, artifact, tmp_path / "test.jsonl")
    assert metrics["n"] == 9 and abs(metrics["accuracy"] - manifest.metrics["accuracy"]) <= 1 / 9


# Recipes whose every random draw must come from their seed: a topic head with a hidden layer and dropout,
# the sentence scorer, and an encoder fine-tuned after a liblinear head (which draws nothing from torch).
REPRODUCED = {
    "topic-head": ("multi-class", {"model": {"hidden": 8, "dropout": 0.2}}),
    "sentence-scorer": ("extractive-summary", {"model": {"dropout": 0.2}}),
    "finetune": ("multi-class", {"epochs": 1, "model": {"mode": "finetune"},
                                 "training": {"solver": "liblinear", "c_grid": [1.0], "encoder_lr": 1e-5,
                                              "device": "cpu"}}),
}


@pytest.mark.parametrize("case", list(REPRODUCED))
def test_the_same_recipe_trains_the_same_weights(tmp_path, capsys, vector_cache, case):
    task, changes = REPRODUCED[case]
    weights = []
    for run in (0, 1):
        # Whatever ran before in the process (here: other seeds) must not matter, only the recipe's seed.
        torch.manual_seed(run)
        np.random.seed(run)
        random.seed(run)
        recipe = write_recipe(tmp_path, task, cache=str(vector_cache), version=f"run-{run}", **changes)
        code, artifact, err = train(capsys, recipe)
        assert code == 0, err
        weights.append({str(f.relative_to(artifact)): load_file(str(f))
                        for f in artifact.rglob("*.safetensors")})
    first, second = weights
    assert "weights.safetensors" in first and (case != "finetune" or "encoder/model.safetensors" in first)
    assert first.keys() == second.keys()
    for name, tensors in first.items():
        assert tensors.keys() == second[name].keys()
        different = [k for k, t in tensors.items() if not torch.equal(t, second[name][k])]
        assert not different, f"{name}: {different} differ between two runs of the same recipe"


@pytest.mark.parametrize("lexical", ["corpus", "article"])
def test_summariser_learns_the_reference_sentences(tmp_path, capsys, vector_cache, lexical):
    model = {"tfidf": None} if lexical == "article" else {}
    recipe = write_recipe(
        tmp_path, "extractive-summary", cache=str(vector_cache), epochs=80, summary={"sentences": 2},
        model=model, train_per_topic=24,  # 31 features: 18 articles let the scorer fit noise beside position
    )
    code, artifact, _ = train(capsys, recipe)
    assert code == 0
    _, manifest = load_manifest(artifact)
    assert manifest.task == "extractive-summary" and "rouge_by_length.png" in manifest.files
    # `tfidf: null`: the lexical features come from each article; nothing of the data's vocabulary is kept
    assert manifest.model["lexical"] == lexical and ("vocab.json" in manifest.files) == (lexical == "corpus")
    assert f"newsdesk train {recipe.resolve()}\n" in (artifact / "README.md").read_text()
    metrics = evaluate(capsys, artifact, tmp_path / "test.jsonl")
    # the references are the first two sentences, which the scorer can learn from position alone
    assert metrics["rouge2"] >= 90 and metrics["sentences"] == 2
    assert set(metrics) >= {"rouge1", "rouge2", "rougeL", "n"}


def test_summariser_restarts_keep_the_seed_dev_scores_best(tmp_path, capsys, vector_cache):
    def run(version: str, seed: int, restarts: int, combine: str = "best") -> tuple[dict, dict]:
        summary = {"sentences": 2, "restarts": restarts, "combine": combine}
        recipe = write_recipe(tmp_path, "extractive-summary", cache=str(vector_cache), epochs=4, seed=seed,
                              version=version, summary=summary)
        code, artifact, err = train(capsys, recipe)
        assert code == 0, err
        return load_manifest(artifact)[1].model, load_file(str(artifact / "weights.safetensors"))

    alone = {seed: run(f"seed-{seed}", seed, 1) for seed in (13, 14, 15)}
    model, weights = run("restarts", 13, 3)
    best = max(alone, key=lambda s: (alone[s][0]["best_dev"], -s))
    assert model["seed"] == best and model["best_dev"] == alone[best][0]["best_dev"]
    assert all(torch.equal(t, alone[best][1][k]) for k, t in weights.items())
    # `combine: mean` keeps all three, each as it trained alone, and scores by their mean
    model, weights = run("mean", 13, 3, "mean")
    assert model["head"]["members"] == 3 and "members" not in alone[13][0]["head"]
    for name, seed in (("net.", 13), ("more.0.", 14), ("more.1.", 15)):
        mine = {k.removeprefix(name): t for k, t in weights.items() if k.startswith(name)}
        theirs = {k.removeprefix("net."): t for k, t in alone[seed][1].items() if k.startswith("net.")}
        assert mine.keys() == theirs.keys() and all(torch.equal(t, theirs[k]) for k, t in mine.items())
    heads = [SentenceHead(**alone[seed][0]["head"]) for seed in (13, 14, 15)]
    for head, seed in zip(heads, (13, 14, 15), strict=True):
        head.load_state_dict(alone[seed][1])
    mean = SentenceHead(**model["head"])
    mean.load_state_dict(weights)
    x = torch.randn(5, model["head"]["n_features"])
    with torch.inference_mode():
        assert torch.allclose(mean(x), torch.stack([h(x) for h in heads]).mean(0), atol=1e-6)


def test_promote_refuses_a_worse_model(tmp_path, capsys, vector_cache):
    good = write_recipe(tmp_path, "multi-class", cache=str(vector_cache), version="good")
    assert train(capsys, good, "--promote")[0] == 0
    assert (tmp_path / "out" / ACTIVE).read_text().strip() == "tiny-good"
    # one epoch at a tiny learning rate, the title view only: barely trained
    weak = write_recipe(
        tmp_path,
        "multi-class",
        cache=str(vector_cache),
        version="weak",
        epochs=1,
        model={"views": ["title"], "tfidf": None},
        training={"lr": 1e-6},
    )
    code, artifact, err = train(capsys, weak, "--promote")
    assert code == cli.EXIT_NOT_PROMOTED and artifact.name == "tiny-weak" and "not promoted" in err
    assert (tmp_path / "out" / ACTIVE).read_text().strip() == "tiny-good"
    assert load_manifest(tmp_path / "out")[1].version == "good"


def _written(output: Path, version: str, task: str = "multi-class", codes: tuple[str, ...] = ("a", "b"),
             value: float = 0.5) -> str:
    """An artifact folder of `output` with what `promote` reads: its manifest."""
    manifest = Manifest(
        name="tiny", version=version, created="2025-01-01T00:00:00+00:00", task=task, base_encoder="x",
        taxonomy=[ArtifactLabel(code=c, name=c) for c in codes], data_fingerprint="0",
        metrics={MAIN_METRIC[task]: value}, main_metric=MAIN_METRIC[task], files=[MANIFEST],
    )
    return write_artifact(output, f"tiny-{version}", {MANIFEST: manifest.model_dump_json().encode()}).name


@pytest.mark.parametrize(
    "kind, fragment",
    [
        ({"task": "multi-label"}, "tiny-new has task multi-label, the active tiny-old multi-class;"),
        ({"codes": ("a", "c")}, "tiny-new tags with other labels than the active tiny-old ('b', 'c' in one"),
        ({"task": "extractive-summary", "codes": ()}, "has task extractive-summary,"),
    ],
)
def test_promote_refuses_another_kind_of_model_in_the_same_output(tmp_path, kind, fragment):
    # two recipes writing to one output folder took each other's ACTIVE (and so the labels a server
    # following it answers with) whenever their main metrics differed or the new one scored higher
    assert promote(tmp_path, _written(tmp_path, "old")).promoted
    promotion = promote(tmp_path, _written(tmp_path, "new", value=0.9, **kind))
    assert not promotion.promoted and fragment in promotion.message, promotion.message
    assert "give each recipe its own `output`" in promotion.message
    assert (tmp_path / ACTIVE).read_text().strip() == "tiny-old" and (tmp_path / "tiny-new").is_dir()
    assert promote(tmp_path, _written(tmp_path, "better", value=0.9)).promoted  # the same kind: better wins


def test_runs_without_a_version_never_collide(tmp_path, monkeypatch):
    """Two runs in one second got the same version; the second said "leave `version` out", as it had."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2025, 1, 2, 3, 4, 5, tzinfo=tz)

    monkeypatch.setattr("training.artifact.datetime", Frozen)
    seen: list[str] = []

    def render(version: str) -> dict[str, bytes]:
        seen.append(version)
        if len(seen) == 3:  # a run in parallel writes this version meanwhile: the next is taken
            (tmp_path / f"tiny-{version}").mkdir()
            (tmp_path / f"tiny-{version}" / "x").write_text("")
        return {"version.txt": version.encode()}

    paths = [write_new(tmp_path, "tiny", None, render).name for _ in range(3)]
    assert paths == ["tiny-20250102-030405", "tiny-20250102-030405-02", "tiny-20250102-030405-04"]
    assert paths == sorted(paths) and (tmp_path / paths[-1] / "version.txt").read_text() == paths[-1][5:]
    # a version the recipe sets is not changed
    with pytest.raises(ConfigError, match="-030405 exists already; set another `version` or leave it out"):
        write_new(tmp_path, "tiny", "20250102-030405", render)


def test_engine_serves_trained_tagger_and_summariser(tmp_path, capsys, vector_cache):
    from fastapi.testclient import TestClient

    from service.api import create_app

    tagger = write_recipe(tmp_path, "multi-class", cache=str(vector_cache), version="7")
    assert train(capsys, tagger, "--promote")[0] == 0
    summary = write_recipe(
        tmp_path, "extractive-summary", cache=str(vector_cache), version="3", epochs=5, output="summaries"
    )
    assert train(capsys, summary, "--promote")[0] == 0
    engine = tmp_path / "engine.yaml"
    engine.write_text(
        yaml.safe_dump(
            {
                "name": "x",
                "version": "0",
                "tagger": {"kind": "trained", "artifact": "out", "max_tags": 2, "min_score": 0.0},
                "summarizer": {"artifact": "summaries", "sentences": 1},
            }
        )
    )
    article = articles(1, seed=9, topics=("tech",))[0]
    with TestClient(create_app(engine)) as client:
        for _ in range(600):
            if client.get("/readyz").status_code == 200:
                break
            import time

            time.sleep(0.1)
        r = client.post("/v1/analyze", json={"text": article["body"], "title": article["title"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == {"name": "tiny+tiny", "version": "7+3"}
    assert body["tags"][0]["code"] == "tech" and body["tags"][0]["label"] == "Tech"
    assert {t["code"] for t in body["tags"]} <= {"sport", "business", "tech"}
    assert len(body["summary"]["sentences"]) == 1


def test_evaluate_checks_labels_against_the_artifact(tmp_path, capsys, vector_cache):
    recipe = write_recipe(tmp_path, "multi-class", cache=str(vector_cache))
    _, artifact, _ = train(capsys, recipe)
    rows = articles(1, seed=5)
    rows[0]["label"] = "weather"
    data = write_jsonl(tmp_path / "other.jsonl", rows)
    assert cli.main(["evaluate", str(artifact), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "'weather' is not in the artifact's taxonomy" in err and "row" in err
    manifest = json.loads((artifact / MANIFEST).read_text())
    assert manifest["name"] == "tiny"


def test_evaluate_leaves_out_the_rows_training_left_out(tmp_path, capsys, vector_cache):
    """With `other_labels: skip`, evaluate stopped at the first row of another label: the model card's
    figures could not be measured again."""
    recipe = write_recipe(tmp_path, "multi-label", cache=str(vector_cache), epochs=15,
                          taxonomy={"labels": [{"id": "sport"}, {"id": "tech"}]},
                          data={"other_labels": "skip"})
    code, artifact, err = train(capsys, recipe)
    assert code == 0, err
    _, manifest = load_manifest(artifact)
    assert evaluate(capsys, artifact, tmp_path / "test.jsonl") == {
        k: v for k, v in manifest.metrics.items() if k != "dev"
    }


def test_max_train_examples_draws_rows_at_random_and_checks_them(tmp_path, capsys, vector_cache):
    """A file sorted by label cut to its first rows would hold one label: the cut is a seeded sample, and
    what it leaves is checked like any split (a one-line error, not the solver's traceback)."""
    recipe = write_recipe(tmp_path, "multi-class", cache=str(vector_cache),
                          training={"solver": "liblinear", "c_grid": [1.0], "max_train_examples": 9})
    train_file = tmp_path / "train.jsonl"
    rows = [json.loads(line) for line in train_file.read_text().splitlines()]
    write_jsonl(train_file, sorted(rows, key=lambda r: r["label"]))
    code, artifact, _ = train(capsys, recipe)
    assert code == 0
    _, manifest = load_manifest(artifact)
    assert manifest.metrics["accuracy"] >= 0.6

    raw = yaml.safe_load(recipe.read_text())
    raw["training"]["max_train_examples"] = 1
    recipe.write_text(yaml.safe_dump(raw))
    code, _, err = train(capsys, recipe)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_evaluate_takes_part_of_an_ids_split_table_or_other_data(tmp_path, capsys, shared_data, project_root):
    # The shipped summariser was split by splits.json: evaluate reads the rows of --split that the data
    # holds, or all of a table the ids file does not cover (it demanded every listed id before).
    bbc = shared_data / "bbc-news-summary"
    ids = json.loads((bbc / "splits.json").read_text())
    rows = {r["id"]: r for r in map(json.loads, (bbc / "bbc_news_summary.jsonl").open(encoding="utf-8"))}
    part = write_jsonl(tmp_path / "part.jsonl", [rows[i] for i in ids["test"][:4] + ids["train"][:2]])
    model = project_root / "models" / "summary-default"
    metrics = evaluate(capsys, model, part)
    assert metrics["n"] == 4 and metrics["rouge2"] > 0
    own = [{**rows[i], "id": f"mine-{k}"} for k, i in enumerate(ids["train"][:3])]
    assert evaluate(capsys, model, write_jsonl(tmp_path / "own.jsonl", own))["n"] == 3
    assert cli.main(["evaluate", str(model), "--data", str(part), "--split", "dev"]) == cli.EXIT_USER_ERROR
    assert "no row to evaluate in the dev split" in capsys.readouterr().err


def test_evaluate_takes_the_split_a_ratio_carved(tmp_path, capsys, vector_cache):
    # --split was ignored when the recipe carves dev and test out of one table by ratios: evaluating it on
    # that table scored every row, train's included
    recipe = write_recipe(tmp_path, "multi-class", cache=str(vector_cache),
                          training={"solver": "liblinear", "c_grid": [1.0]})
    rows = [json.loads(line) for s in ("train", "dev", "test")
            for line in (tmp_path / f"{s}.jsonl").read_text().splitlines()]
    table = write_jsonl(tmp_path / "all.jsonl", rows)
    raw = yaml.safe_load(recipe.read_text())
    raw["data"] = {"path": table.name, "dev": {"ratio": 0.2}, "test": {"ratio": 0.25},
                   "fields": raw["data"]["fields"]}
    recipe.write_text(yaml.safe_dump(raw))
    code, artifact, err = train(capsys, recipe)
    assert code == 0, err
    _, manifest = load_manifest(artifact)
    test, dev = manifest.metrics["n"], manifest.metrics["dev"]["n"]
    card = (artifact / "README.md").read_text()  # how dev and test were made, not only their sizes
    assert f"- test: {test} rows drawn out of train at random (data.test: {{ratio: 0.25}}, seed 1;" in card
    assert f"- dev: {dev} rows drawn out of train at random (data.dev: {{ratio: 0.2}}, seed 1;" in card
    assert evaluate(capsys, artifact, table) == {k: v for k, v in manifest.metrics.items() if k != "dev"}
    assert evaluate(capsys, artifact, table, "--split", "dev")["n"] == dev
    assert evaluate(capsys, artifact, table, "--split", "train")["n"] == len(rows) - test - dev
    own = write_jsonl(tmp_path / "own.jsonl", [{**r, "id": f"mine-{k}"} for k, r in enumerate(rows[:5])])
    assert evaluate(capsys, artifact, own)["n"] == 5


@pytest.mark.parametrize("line_end", ["\r\n", "\r"])  # "\r" alone (old Mac exports) read as "no rows"
def test_a_csv_is_read_as_text(tmp_path, line_end):
    """A csv has no types: ids with leading zeros and labels that are codes stay the strings they are."""
    rows = articles(2, seed=1) + articles(1, seed=2) + articles(1, seed=3)
    codes = {"sport": "1", "business": "2", "tech": "3"}
    with (tmp_path / "all.csv").open("w", encoding="utf-8", newline="") as f:
        table = csv.writer(f, lineterminator=line_end)
        table.writerow(["id", "body", "topic"])
        table.writerows([f"{k:06d}", r["body"], codes[r["label"]]] for k, r in enumerate(rows))
    ids = [f"{k:06d}" for k in range(len(rows))]
    (tmp_path / "splits.json").write_text(json.dumps({"train": ids[:6], "dev": ids[6:9], "test": ids[9:]}))
    recipe = write_recipe(tmp_path, "multi-class", taxonomy={"labels": [{"id": c} for c in codes.values()]})
    raw = yaml.safe_load(recipe.read_text())
    raw["data"] = {"path": "all.csv", "ids": "splits.json", "fields": {"id": "id", "text": "body",
                                                                       "label": "topic"}}
    recipe.write_text(yaml.safe_dump(raw))
    splits = load_dataset(load_train_config(recipe)).splits
    assert [ex.id for ex in splits["train"]] == ids[:6]
    assert [ex.labels for ex in splits["test"]] == [[codes[r["label"]]] for r in rows[9:]]


def test_a_csv_cell_is_missing_only_when_empty(tmp_path):
    """pandas read "NA", "N/A", "null", "None" and "nan" as missing: a label "NA" (Namibia, not available)
    was no label, a title "None" none. Only an empty cell is missing."""
    words = ["NA", "N/A", "null", "None", "nan", ""]
    rows = articles(2, seed=1)
    with (tmp_path / "train.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["id", "title", "body", "label"]] + [
            [r["id"], words[k % len(words)], r["body"], r["label"]] for k, r in enumerate(rows)
        ])
    recipe = write_recipe(tmp_path, "multi-class", data={"train": "train.csv"})
    train = load_dataset(load_train_config(recipe)).splits["train"]
    assert [ex.title for ex in train] == [words[k % len(words)] or None for k in range(len(rows))]


def test_a_summary_may_be_a_list_of_lines(tmp_path):
    """As the highlights sources read one: a list of strings, joined a line each (it was read as none)."""
    recipe = write_recipe(tmp_path, "extractive-summary")
    rows = [json.loads(line) for line in (tmp_path / "dev.jsonl").read_text().splitlines()]
    rows[0]["summary"] = ["First line.", " ", "Second line."]
    write_jsonl(tmp_path / "dev.jsonl", rows)
    assert load_dataset(load_train_config(recipe)).splits["dev"][0].summary == "First line.\nSecond line."


def test_a_row_of_markup_alone_is_no_text(tmp_path):
    """`empty_text: skip` leaves out a row whose text the service's cleaning empties (`<p><br></p>`): it
    passed, and stopped the run once encoding had begun."""
    recipe = write_recipe(tmp_path, "multi-class", data={"empty_text": "skip"})
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    rows[2]["body"] = "<p><br></p>"
    write_jsonl(tmp_path / "train.jsonl", rows)
    ds = load_dataset(load_train_config(recipe))
    assert [ex.id for ex in ds.splits["train"]] == [r["id"] for k, r in enumerate(rows) if k != 2]
    assert "train.jsonl: 1 rows with no text left out (data.empty_text: skip)" in ds.notes


def test_a_compressed_table_is_read(tmp_path):
    """train.jsonl.gz, as exports come: "cannot tell the format from '.gz'; set data.format", and with
    data.format set "line 1: not UTF-8" (its compressed bytes) before."""
    recipe = write_recipe(tmp_path, "multi-class")
    plain = (tmp_path / "train.jsonl").read_bytes()
    (tmp_path / "train.jsonl.gz").write_bytes(gzip.compress(plain))
    raw = yaml.safe_load(recipe.read_text())
    raw["data"]["train"] = "train.jsonl.gz"
    recipe.write_text(yaml.safe_dump(raw))
    assert len(load_dataset(load_train_config(recipe)).splits["train"]) == len(plain.splitlines())
    (tmp_path / "train.jsonl.gz").write_bytes(plain)  # named .gz, not compressed: one line, not a traceback
    with pytest.raises(DataError, match=r"train.jsonl.gz: cannot decompress it: Not a gzipped file"):
        load_dataset(load_train_config(recipe))


def test_a_split_reads_a_list_of_tables_and_globs(tmp_path):
    """`train: [a, b]` and `test: parts/part*.jsonl` read every table, one after another, paths relative to
    the recipe; a glob that matches nothing is a one-line error naming it."""
    recipe = write_recipe(tmp_path, "multi-class")
    (tmp_path / "parts").mkdir()
    more = write_jsonl(tmp_path / "more.jsonl", articles(2, seed=4))
    parts = [write_jsonl(tmp_path / "parts" / f"part{i}.jsonl", articles(1, seed=10 + i)) for i in (2, 1)]
    raw = yaml.safe_load(recipe.read_text())
    raw["data"].update(train=["train.jsonl", more.name], test="parts/part*.jsonl")
    recipe.write_text(yaml.safe_dump(raw))
    cfg = load_train_config(recipe)
    assert cfg.data.train == [tmp_path / "train.jsonl", more]
    splits = load_dataset(cfg).splits
    train = [json.loads(line)["id"] for path in (tmp_path / "train.jsonl", more) for line in path.open()]
    assert [ex.id for ex in splits["train"]] == train
    test = [json.loads(line)["id"] for path in parts[::-1] for line in path.open()]  # part1, then part2
    assert [ex.id for ex in splits["test"]] == test
    raw["data"]["test"] = "parts/none*.jsonl"
    recipe.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match=r"parts/none\*.jsonl: no file matches it$"):
        load_dataset(load_train_config(recipe))
    # a file whose name holds glob characters is itself, not the files the glob matches ("part2.jsonl")
    (tmp_path / "parts" / "part[12].jsonl").write_text((tmp_path / "test.jsonl").read_text())
    raw["data"]["test"] = "parts/part[12].jsonl"
    recipe.write_text(yaml.safe_dump(raw))
    test = [json.loads(line)["id"] for line in (tmp_path / "test.jsonl").open()]
    assert [ex.id for ex in load_dataset(load_train_config(recipe)).splits["test"]] == test


def test_rows_of_other_labels_are_an_error_or_left_out(tmp_path):
    """A taxonomy that takes some of the data's labels: rows with none of them are an error naming the row
    and the label, or with `other_labels: skip` left out (and counted); a row's other labels are dropped."""
    recipe = write_recipe(tmp_path, "multi-label", taxonomy={"labels": [{"id": "sport"}, {"id": "tech"}]})
    with pytest.raises(DataError, match=r"train.jsonl row \d+: label 'business' is not in the taxonomy"):
        load_dataset(load_train_config(recipe))
    raw = yaml.safe_load(recipe.read_text())
    raw["data"]["other_labels"] = "skip"
    recipe.write_text(yaml.safe_dump(raw))
    ds = load_dataset(load_train_config(recipe))
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").open()]
    kept = [r for r in rows if set(r["labels"]) & {"sport", "tech"}]
    assert [ex.id for ex in ds.splits["train"]] == [r["id"] for r in kept]
    assert all(set(ex.labels) <= {"sport", "tech"} for split in ds.splits.values() for ex in split)
    note = f"train: {len(rows) - len(kept)} of {len(rows)} rows have none of the taxonomy's labels"
    assert note in " ".join(ds.notes)
