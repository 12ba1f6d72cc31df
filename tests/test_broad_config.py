"""configs/broad.yaml: the default engine with the broad IPTC heads (configs/train/iptc-broad.yaml and
iptc-broad-short.yaml), for news beyond BBC's five desks. Their heads' model cards are reproduced in
test_iptc_default.py, beside the default's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench.head_weight import topic_articles
from service.analyzer import Analyzer
from service.config import load_engine_config
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.settings import DEFAULT_CONFIG

TAGS = AnalyzeOptions(include=["tags"])  # the tags alone: no summary, no spaCy POS and NER

CONFLICT, POLITICS = "medtop:16000000", "medtop:11000000"
# What broad.yaml may set otherwise than default.yaml: its name and the head block of `tagger`.
HEAD_KEYS = {"head", "short_head", "short_max_sentences", "head_weight", "head_weight_calibration",
             "short_head_weight_calibration"}


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


def test_broad_uses_the_broad_heads(broad_analyzer: Analyzer) -> None:
    assert broad_analyzer.model_info.name.split("+")[:2] == ["iptc-broad", "iptc-broad-short"]


def test_seed_is_conflict_then_politics(broad_analyzer: Analyzer, seed_text: str) -> None:
    top = [t.code for t in broad_analyzer.analyze(AnalyzeRequest(text=seed_text)).tags if t.level == 1]
    assert top[:2] == [CONFLICT, POLITICS]


def test_every_topic_wins_most_of_its_topic_articles(broad_analyzer: Analyzer, read_by_heads) -> None:
    """The check set written after the default's offsets (bench/data/topic_articles, 12 a topic): the default
    files most labour, lifestyle, crime and society stories under economy or politics; this head does not."""
    rows = topic_articles(cut=False)
    requests = [AnalyzeRequest(text=text, title=title, options=TAGS) for text, _, title in rows]
    responses = read_by_heads(broad_analyzer, requests)
    won = Counter(code for (_, code, _), r in zip(rows, responses, strict=True) if r.tags[0].code == code)
    weak = {code: won[code] for _, code, _ in rows if won[code] < 8}
    assert not weak, weak
