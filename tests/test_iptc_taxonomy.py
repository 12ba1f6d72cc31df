"""The two-level IPTC taxonomy (configs/taxonomies/iptc.yaml) and the hand-reviewed maps of the BBC and
Reuters labels onto it (configs/mappings/)."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from service.errors import ConfigError
from service.taxonomy import Taxonomy, load_label_map, load_taxonomy

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
IPTC = CONFIGS / "taxonomies" / "iptc.yaml"
IPTC_TOP = CONFIGS / "taxonomies" / "iptc-top.yaml"
BBC_MAP = CONFIGS / "mappings" / "bbc-iptc.yaml"
REUTERS_MAP = CONFIGS / "mappings" / "reuters-iptc.yaml"
OWN_MAP = CONFIGS / "mappings" / "own-iptc.yaml"


@pytest.fixture(scope="module")
def iptc() -> Taxonomy:
    return load_taxonomy(IPTC)


@pytest.mark.parametrize("path", [BBC_MAP, REUTERS_MAP, OWN_MAP], ids=["bbc", "reuters", "own"])
def test_mapping_loads_and_every_code_is_in_iptc(path: Path, iptc: Taxonomy):
    label_map = load_label_map(path)
    assert label_map.taxonomy == IPTC.resolve()
    assert label_map.labels
    for label, codes in label_map.labels.items():
        assert codes and set(codes) <= set(iptc.codes), label


def test_bbc_mapping_covers_its_five_categories():
    assert set(load_label_map(BBC_MAP).labels) == {"business", "entertainment", "politics", "sport", "tech"}


def test_own_mapping_takes_the_top_level_topics_bbc_does_not_cover(iptc: Taxonomy):
    """The own articles' recipe learns the 12 top-level topics outside BBC's desks, each as itself."""
    own = load_label_map(OWN_MAP).labels
    bbc = {iptc.ancestor(codes[0]) for codes in load_label_map(BBC_MAP).labels.values()}
    assert set(own) == {lb.code for lb in iptc.top_level()} - bbc
    assert all(codes == [label] for label, codes in own.items())


def test_every_aptemod90_topic_is_mapped(shared_data: Path):
    def topics(split: str) -> set[str]:
        with open(shared_data / "reuters21578" / f"modapte_{split}.jsonl", encoding="utf-8") as f:
            return {t for line in f for t in json.loads(line)["topics"]}

    aptemod90 = topics("train") & topics("test")
    assert len(aptemod90) == 90
    assert set(load_label_map(REUTERS_MAP).labels) == aptemod90


def test_hierarchy(iptc: Taxonomy):
    top = iptc.top_level()
    assert len(top) == 17 and all(lb.level == 1 and lb.code.endswith("000000") for lb in top)
    # The top level is iptc-top.yaml's, descriptions and all.
    assert top == load_taxonomy(IPTC_TOP).labels
    second = [lb for lb in iptc.labels if lb.level == 2]
    shown = [lb for lb in second if not lb.hidden]
    assert 40 <= len(shown) <= 70 and len(second) + len(top) == len(iptc.labels)
    # Hidden: what nearly every sport story is about, scored so that no weaker sibling stands in for it.
    assert {lb.name for lb in second if lb.hidden} == {"sport event", "competition discipline"}
    top_codes = {lb.code for lb in top}
    for lb in second:
        assert lb.parent in top_codes and iptc.ancestor(lb.code) == lb.parent
        assert lb in iptc.children(lb.parent)
    assert all(iptc.ancestor(lb.code) == lb.code for lb in top)
    assert sum(len(iptc.children(lb.code)) for lb in top) == len(second)


def test_same_number_of_descriptions_within_each_level(iptc: Taxonomy):
    counts = defaultdict(set)
    for lb in iptc.labels:
        counts[lb.level].add(len(lb.descriptions))
    assert counts == {1: {25}, 2: {12}}
    descriptions = [d for lb in iptc.labels for d in lb.descriptions]
    assert len(set(descriptions)) == len(descriptions)


def _empty(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def test_codes_and_names_are_iptcs(iptc: Taxonomy, shared_data: Path):
    rows = json.loads((shared_data / "iptc-mediatopics" / "iptc_mapping.json").read_text(encoding="utf-8"))
    for lb in iptc.labels:
        row = rows.get(lb.code)
        assert row is not None, f"{lb.code} is not an IPTC Media Topic"
        assert row["Name (en-GB)"] == lb.name, lb.code
        assert _empty(row["RetiredDate"]), f"{lb.code} is retired"
        assert row["Level1/NewsCode"] == iptc.ancestor(lb.code), lb.code
        if lb.level == 1:
            assert _empty(row["Level2/NewsCode"]), lb.code
        else:
            assert row["Level2/NewsCode"] == lb.code and _empty(row["Level3/NewsCode"]), lb.code


TINY_TAXONOMY = {
    "name": "t",
    "labels": [
        {"code": "top", "name": "Top"},
        {"code": "sub", "name": "Sub", "level": 2, "parent": "top"},
    ],
}


@pytest.mark.parametrize(
    "codes, needle",
    [
        (["nope"], "'nope' is not a code"),
        ([], "at least 1 item"),
        (["sub", "sub"], "listed twice"),
        (["sub", "top"], "listed with its parent top"),
    ],
    ids=["unknown-code", "empty", "twice", "with-parent"],
)
def test_broken_mapping_names_file_and_label(tmp_path: Path, codes: list[str], needle: str):
    (tmp_path / "tax.yaml").write_text(yaml.safe_dump(TINY_TAXONOMY))
    path = tmp_path / "map.yaml"
    path.write_text(yaml.safe_dump(
        {"source": "s", "taxonomy": "tax.yaml", "labels": {"fine": ["sub"], "broken": codes}}))
    with pytest.raises(ConfigError) as e:
        load_label_map(path)
    msg = str(e.value)
    assert needle in msg and f"{path}: labels.broken:" in msg and "\n" not in msg


def test_mapping_resolves_its_taxonomy_against_its_own_folder(tmp_path: Path):
    (tmp_path / "taxonomies").mkdir()
    (tmp_path / "taxonomies" / "tax.yaml").write_text(yaml.safe_dump(TINY_TAXONOMY))
    (tmp_path / "mappings").mkdir()
    path = tmp_path / "mappings" / "map.yaml"
    path.write_text(yaml.safe_dump({"source": "s", "taxonomy": "../taxonomies/tax.yaml",
                                    "labels": {"a": ["sub"], "b": ["top"]}}))
    label_map = load_label_map(path)
    assert label_map.taxonomy == (tmp_path / "taxonomies" / "tax.yaml").resolve()
    assert label_map.labels == {"a": ["sub"], "b": ["top"]}
    path.write_text(yaml.safe_dump({"source": "s", "taxonomy": "tax.yaml", "labels": {"a": ["sub"]}}))
    with pytest.raises(ConfigError, match="not found"):
        load_label_map(path)


@pytest.mark.parametrize(
    "labels, needle",
    [
        ([{"code": "a", "name": "A", "parent": "b"}, {"code": "b", "name": "B"}],
         "a level-1 label has no parent"),
        ([{"code": "a", "name": "A", "level": 2}], "a level-2 label needs a parent"),
        ([{"code": "a", "name": "A"}, {"code": "b", "name": "B", "level": 2, "parent": "a"},
          {"code": "c", "name": "C", "level": 2, "parent": "b"}],
         "label c: its parent b is level 2, expected level 1"),
        ([{"code": "a", "name": "A", "hidden": True}], "label a: a top-level label cannot be hidden"),
    ],
    ids=["level-1-with-parent", "level-2-without-parent", "parent-on-same-level", "hidden-top-level"],
)
def test_hierarchy_errors(tmp_path: Path, labels: list[dict], needle: str):
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "labels": labels}))
    with pytest.raises(ConfigError, match=needle) as e:
        load_taxonomy(path)
    assert str(path) in str(e.value)


def test_children_and_ancestor_of_unknown_code(iptc: Taxonomy):
    with pytest.raises(KeyError):
        iptc.children("medtop:99999999")
    with pytest.raises(KeyError):
        iptc.ancestor("medtop:99999999")
