"""Small labelled news sets written on the fly for the training tests: a few short articles per topic,
built from topic-specific sentences so that a head can learn them in a few epochs."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml

SENTENCES = {
    "sport": [
        "The striker scored twice in the second half as the home side won the league match.",
        "The coach praised his players after the team reached the cup final.",
        "The tennis champion lost her opening set but came back to win the tournament.",
        "Fans filled the stadium to watch the derby between the two rival clubs.",
        "The sprinter broke the national record at the athletics championships.",
    ],
    "business": [
        "Shares in the bank fell sharply after it reported lower quarterly profits.",
        "The company said revenue rose as demand for its products grew in Asia.",
        "Investors sold stocks as the central bank raised interest rates again.",
        "The retailer announced it would cut jobs to reduce costs this year.",
        "Oil prices climbed on the markets after the producers agreed to cut output.",
    ],
    "tech": [
        "The firm unveiled a new smartphone with a faster chip and a better camera.",
        "Researchers released software that lets computers recognise speech more accurately.",
        "The social network said hackers had stolen passwords from millions of accounts.",
        "Broadband providers are racing to offer faster internet connections at home.",
        "The games console sold out in its first week as players queued online.",
    ],
}
# One short news story, a sentence a line, for the summariser's distant supervision (headlines, highlights).
RATE_STORY = [
    "Officials met on Monday in the capital for a second day of talks.",
    "The central bank raised interest rates by half a point to curb inflation.",
    "Analysts had expected a smaller move after weak retail figures.",
    "Mortgage lenders said they would pass the rise on to borrowers.",
    "The currency gained against the dollar after the announcement.",
    "The next meeting of the rate-setting committee is in six weeks.",
]
TITLES = {"sport": "Team wins again", "business": "Markets react to results", "tech": "New gadget launched"}


def articles(per_topic: int, seed: int, topics: tuple[str, ...] = tuple(SENTENCES)) -> list[dict[str, Any]]:
    """Rows {id, title, body, label, labels, summary}: 3 or 4 sentences of one topic (a second topic's
    sentence in every third article, which then carries both labels); the summary is the first two
    sentences glued with no space, as the BBC set glues them."""
    rng = random.Random(seed)
    rows = []
    for t in topics:
        for i in range(per_topic):
            sents = rng.sample(SENTENCES[t], rng.choice((3, 4)))
            labels = [t]
            if i % 3 == 2:
                other = rng.choice([o for o in topics if o != t])
                sents.append(rng.choice(SENTENCES[other]))
                labels.append(other)
            rows.append(
                {
                    "id": f"{t}-{seed}-{i}",
                    "title": TITLES[t],
                    "body": " ".join(sents),
                    "label": t,
                    "labels": labels,
                    "summary": "".join(sents[:2]),
                }
            )
    rng.shuffle(rows)
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_recipe(
    folder: Path, task: str, *, epochs: int = 8, train_per_topic: int = 6, **changes: Any
) -> Path:
    """A training config over three jsonl files in `folder` (written here), caching under `folder`."""
    train = write_jsonl(folder / "train.jsonl", articles(train_per_topic, seed=1))
    write_jsonl(folder / "dev.jsonl", articles(3, seed=2))
    write_jsonl(folder / "test.jsonl", articles(3, seed=3))
    label = {"multi-class": "label", "multi-label": "labels"}.get(task)
    fields: dict[str, Any] = {"id": "id", "title": "title", "text": ["body"]}
    fields.update({"label": label} if label else {"summary": "summary"})
    raw: dict[str, Any] = {
        "name": "tiny",
        "task": task,
        "seed": 1,
        "data": {"train": train.name, "dev": "dev.jsonl", "test": "test.jsonl", "fields": fields},
        "model": {"tfidf": {"ngrams": 1, "min_df": 1, "max_terms": 500}, "hidden": 0, "dropout": 0.0},
        "training": {"epochs": epochs, "batch_size": 8, "lr": 0.01, "patience": epochs},
        "output": "out",
        "cache": "cache",
    }
    if label:
        raw["taxonomy"] = {"labels": [{"id": t, "name": t.title()} for t in SENTENCES]}
    else:
        raw["model"].update(hidden=8)
    for key, value in changes.items():
        old = raw.get(key)
        raw[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
    path = folder / f"{task}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def summariser_card(recipe: Path, capsys: Any) -> str:
    """`newsdesk train recipe`, which must succeed and write a summariser; its model card."""
    from service import cli
    from service.artifacts import load_manifest

    assert cli.main(["train", str(recipe)]) == 0
    artifact = Path(capsys.readouterr().out.strip())
    _, manifest = load_manifest(artifact)
    assert manifest.task == "extractive-summary"
    return (artifact / "README.md").read_text()
