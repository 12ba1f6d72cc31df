"""configs/broad.yaml: the default engine with the broad IPTC heads (configs/train/iptc-broad.yaml and
iptc-broad-short.yaml), for news beyond BBC's five desks."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench.bbc import BBC_TO_IPTC, load_split
from bench.head_weight import topic_articles
from service.analyzer import Analyzer
from service.artifacts import resolve_artifact
from service.config import load_engine_config
from service.schemas import AnalyzeRequest
from service.settings import DEFAULT_CONFIG

CONFLICT, POLITICS = "medtop:16000000", "medtop:11000000"
# What broad.yaml may set otherwise than default.yaml: its name and the head block of `tagger`.
HEAD_KEYS = {"head", "short_head", "short_max_sentences", "head_weight", "head_weight_calibration",
             "short_head_weight_calibration"}


@pytest.fixture(scope="module")
def broad(project_root: Path) -> Analyzer:
    return Analyzer.from_config_file(project_root / "configs" / "broad.yaml")


def test_broad_differs_from_the_default_only_in_its_head(project_root: Path) -> None:
    default = load_engine_config(DEFAULT_CONFIG).model_dump()
    broad = load_engine_config(project_root / "configs" / "broad.yaml").model_dump()
    assert broad.pop("name") == "newsdesk-broad" and default.pop("name") == "newsdesk-default"
    tagger, default_tagger = broad.pop("tagger"), default.pop("tagger")
    assert broad == default
    assert {k: v for k, v in tagger.items() if k not in HEAD_KEYS} == {
        k: v for k, v in default_tagger.items() if k not in HEAD_KEYS
    }
    assert tagger["head"] == project_root / "models" / "iptc-broad"
    assert tagger["short_head"] == project_root / "models" / "iptc-broad-short"


def test_broad_uses_the_broad_heads(broad: Analyzer) -> None:
    assert broad.model_info.name.split("+")[:2] == ["iptc-broad", "iptc-broad-short"]


def test_seed_is_conflict_then_politics(broad: Analyzer, seed_text: str) -> None:
    top = [t.code for t in broad.analyze(AnalyzeRequest(text=seed_text)).tags if t.level == 1]
    assert top[:2] == [CONFLICT, POLITICS]


def test_every_topic_wins_most_of_its_topic_articles(broad: Analyzer) -> None:
    """The check set written after the default's offsets (bench/data/topic_articles, 12 a topic): the default
    files most labour, lifestyle, crime and society stories under economy or politics; this head does not."""
    rows = topic_articles(cut=False)
    responses = broad.analyze_many([AnalyzeRequest(text=text, title=title) for text, _, title in rows])
    won = Counter(code for (_, code, _), r in zip(rows, responses, strict=True) if r.tags[0].code == code)
    weak = {code: won[code] for _, code, _ in rows if won[code] < 8}
    assert not weak, weak


@pytest.mark.slow
def test_the_broad_heads_reproduce_their_model_cards(
    broad: Analyzer, shared_data: Path, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(broad.tagger, "head_weight", 1.0)  # the heads as trained, not mixed
    manifest, short_manifest = (
        json.loads((resolve_artifact(project_root / "models" / name) / "manifest.json").read_text())
        for name in ("iptc-broad", "iptc-broad-short")
    )
    rows = load_split("test")
    requests = [AnalyzeRequest(text=r["article"], title=r["title"]) for r in rows]

    def accuracy(requests: list[AnalyzeRequest]) -> float:
        responses = broad.analyze_many(requests)
        return sum(x.tags[0].code == BBC_TO_IPTC[r["category"]] for r, x in zip(rows, responses, strict=True)
                   ) / len(rows)

    assert accuracy(requests) == pytest.approx(manifest["metrics"]["accuracy"], abs=0.01)
    # as snippets, which the short head corrects: each article's first body sentence under its headline
    firsts = [next(s.text for s in broad.prepare(q).sentences if s.role == "body") for q in requests]
    snippets = [AnalyzeRequest(text=f, title=q.title) for f, q in zip(firsts, requests, strict=True)]
    assert accuracy(snippets) == pytest.approx(short_manifest["metrics"]["snippet_accuracy"], abs=0.01)
