"""The default IPTC tagger: the zero-shot top level corrected by the shipped head, and the second level."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.head_weight import topic_articles
from bench.tune_tagger import SNIPPETS
from service.analyzer import Analyzer
from service.artifacts import RESOLVED_CONFIG, resolve_artifact
from service.config import CalibrationConfig
from service.errors import ConfigError
from service.features import EncodedText
from service.schemas import AnalyzeOptions, AnalyzeRequest, AnalyzeResponse
from service.settings import PROJECT_ROOT
from service.tagger import ZeroShotTagger
from service.taggers import ZeroShotArticleTagger
from service.taxonomy import load_label_map, load_taxonomy
from service.text import Sentence
from service.zero_shot_head import GROUP_WEIGHTS, ResidualHead, resplit
from training.residual import (
    FittedHead,
    Residual,
    ResidualModel,
    ResidualRecipe,
    Split,
    description_examples,
    fit_group,
    fit_group_temperature,
    fit_recipe,
    load_recipe,
    recipe_yaml,
    set_group_temperature,
    snippet,
    snippet_split,
)

CONFLICT, POLITICS = "medtop:16000000", "medtop:11000000"
TAGS = AnalyzeOptions(include=["tags"])  # the tags alone: no summary, no spaCy POS and NER


@pytest.fixture(scope="module")
def seed_response(analyzer: Analyzer, seed_text: str) -> AnalyzeResponse:
    return analyzer.analyze(AnalyzeRequest(text=seed_text))


@pytest.mark.parametrize("name", sorted(p.name for p in (PROJECT_ROOT / "models").iterdir()))
def test_every_shipped_model_is_small_and_names_its_recipe(name: str) -> None:
    """The only weights in git: small heads the project's own recipes produce, each card with the command
    that rebuilds it and makes it active (without `--promote` a server keeps the old one)."""
    folder = resolve_artifact(PROJECT_ROOT / "models" / name)
    assert sum(f.stat().st_size for f in folder.glob("*.safetensors")) <= 2 * 1024 * 1024
    card = (folder / "README.md").read_text()
    assert card.count(f"newsdesk train configs/train/{name}.yaml") == 1
    assert f"\nnewsdesk train configs/train/{name}.yaml --promote\n" in card


@pytest.mark.parametrize("name", ["iptc-default", "iptc-short", "iptc-broad", "iptc-broad-short"])
def test_a_shipped_head_keeps_its_recipe_relative_to_itself(name: str) -> None:
    """The recipe a head was trained with, as its folder keeps it: no path of the machine that trained it,
    and the same recipe as configs/train/ holds now (a recipe changed since is retrained)."""
    folder = resolve_artifact(PROJECT_ROOT / "models" / name)
    kept = (folder / RESOLVED_CONFIG).read_text()
    assert str(PROJECT_ROOT) not in kept and ": /" not in kept
    recipe = load_recipe(folder / RESOLVED_CONFIG)
    assert recipe == load_recipe(PROJECT_ROOT / "configs" / "train" / f"{name}.yaml")
    assert recipe_yaml(recipe, folder).decode() == kept


def test_the_default_uses_the_shipped_heads(analyzer: Analyzer) -> None:
    assert analyzer.model_info.name.split("+")[:2] == ["iptc-default", "iptc-short"]


def test_the_default_heads_group_is_bbcs_five_desks(analyzer: Analyzer) -> None:
    """The shipped head's group classifier covers the topics with 100+ train articles (BBC's five desks,
    not labour: Reuters has 40), all of them topics the head itself corrects."""
    tagger = analyzer.tagger
    assert isinstance(tagger, ZeroShotArticleTagger) and isinstance(tagger.head, ResidualHead)
    group = tagger.head.group
    assert group is not None and tagger.short_head is not None and tagger.short_head.group is None
    codes = [tagger.tagger.labels[i].code for i in group.rows]
    assert sorted(codes) == ["medtop:01000000", "medtop:04000000", "medtop:11000000", "medtop:13000000",
                             "medtop:15000000"]
    assert tagger.head.covered[group.rows].all()


def test_resplit_shares_out_the_groups_probability_and_leaves_the_rest() -> None:
    p = np.array([[0.1, 0.5, 0.3, 0.05], [0.3, 0.2, 0.1, 0.2], [0.5, 0.2, 0.3, 0.0]], np.float32)
    rows = np.array([2, 1])
    shares = np.array([[0.75, 0.25], [0.5, 0.5], [0.9, 0.1]], np.float32)  # in `rows` order
    out = resplit(p, rows, shares)
    assert np.allclose(out[:, [0, 3]], p[:, [0, 3]])
    assert np.allclose(out[:, rows].sum(1), p[:, rows].sum(1))
    assert np.allclose(out[0, [2, 1]], [0.6, 0.2]) and np.allclose(out[2, [2, 1]], [0.45, 0.05])
    assert np.allclose(out[1], p[1])  # the group's topics together under 0.5: not its article
    assert np.allclose(resplit(p[0], rows, shares[0]), out[0])  # one article: labels on the only axis
    # Each label's probability is its own, so the group's can sum past 1: shared out, it is at most 1.
    sure = resplit(np.array([0.2, 0.9, 0.7, 0.1], np.float32), rows, np.array([0.9, 0.1], np.float32))
    assert np.allclose(sure[[2, 1]], [0.9, 0.1]) and sure.max() <= 1.0


def _words_split(
    words_by_label: dict[int, tuple[str, int]], n_labels: int, rng: np.random.Generator
) -> Split:
    texts, gold = [], []
    for label, (word, n) in words_by_label.items():
        texts += [f"{word} {rng.choice(['said', 'today', 'report', 'news'])} item {i}" for i in range(n)]
        gold += [label] * n
    g = np.eye(n_labels, dtype=np.float32)[gold]
    dim = 4  # one 1-dimensional view per name in ResidualModel().views
    return Split(np.zeros_like(g), rng.normal(size=(len(gold), dim)).astype(np.float32), g, texts)


def test_the_group_learns_topics_with_enough_examples_and_decides_among_them() -> None:
    rng = np.random.default_rng(0)
    recipe = ResidualRecipe.model_validate({
        "name": "t", "task": "zero-shot-residual", "engine": "e.yaml", "output": "out",
        "sources": [{"recipe": "r.yaml", "map": "m.yaml"}, {"recipe": "s.yaml", "map": "m.yaml"}],
        "group": {"min_examples": 20, "c": 4.0},
    })
    # two sources; label 3 has too few examples to join; label 1 comes from the second source only
    first = _words_split({0: ("markets", 30), 2: ("election", 30), 3: ("strike", 5)}, 4, rng)
    second = _words_split({1: ("football", 25), 0: ("shares", 10)}, 4, rng)
    group = fit_group(recipe, [first, second])
    assert group is not None and sorted(group.rows.tolist()) == [0, 1, 2]
    assert fit_group(recipe, [first.take(first.gold[:, 0] > 0)]) is None  # one topic: nothing to decide
    assert fit_group(recipe.model_copy(update={"group": None}), [first, second]) is None

    # A head with no correction of its own: flat zero-shot logits, so the group alone decides among its
    # topics, and label 3 keeps exactly the probability the head gives it.
    head = FittedHead(Residual(4, np.ones(4, bool)), CalibrationConfig(slope=1.0, margin_slope=0.0,
                                                                        intercept=0.0), group)
    words = {0: ("markets", 1), 1: ("football", 1), 2: ("election", 1), 3: ("strike", 1)}
    probe = _words_split(words, 4, rng)
    p = head.probabilities(probe)
    assert p[:3].argmax(1).tolist() == [0, 1, 2]
    # the group's probability is 3 × 0.5, at most 1: shared out, no score passes 1
    assert np.allclose(p[:, 3], 0.5) and np.allclose(p[:, :3].sum(1), 1.0)
    assert p[0, 0] > 0.5 + 0.1  # the group's share, not the flat head's 0.5

    # Its softmax temperature is fitted on dev and divided into its weights: never a worse log-loss there
    # than the plain softmax.
    def log_loss(q: np.ndarray) -> float:
        return float(-np.log(np.where(probe.gold > 0, q, 1 - q)).mean())

    plain, logits = head.probabilities(probe), head.group_logits(probe)
    fitted = fit_group_temperature(head, probe)
    set_group_temperature(group, fitted)
    assert torch.allclose(head.group_logits(probe), logits / fitted, atol=1e-4)
    assert 0.05 <= fitted <= 4.5 and log_loss(head.probabilities(probe)) <= log_loss(plain)


def test_a_sources_weight_sets_its_say_in_the_head_and_the_group() -> None:
    """Two sources file the same kind of article under different topics (as Reuters files a Gulf war story
    under crude oil alone): the one weighing more decides, in the head's correction and in the group."""
    rng = np.random.default_rng(0)

    first = _words_split({0: ("ceasefire", 40)}, 2, rng)
    first.views[:, 0] += 3.0  # what these articles share, as the head sees them
    second = Split(first.logits, first.views, first.gold[:, ::-1].copy(), first.texts)  # the same, as topic 1
    probe = first.take(np.arange(5))

    def fitted(weights: tuple[float, float]) -> tuple[float, float]:
        """The head's and the group's probability of topic 0 over topic 1 on the shared articles."""
        recipe = ResidualRecipe.model_validate({
            "name": "t", "task": "zero-shot-residual", "engine": "e.yaml", "output": "out",
            "sources": [{"recipe": "r.yaml", "map": "m.yaml", "weight": weights[0]},
                        {"recipe": "s.yaml", "map": "m.yaml", "weight": weights[1]}],
            "training": {"epochs": 200, "check_every": 200, "balance": "sources", "lr": 0.05},
            "group": {"min_examples": 20},
        })
        model, _, _ = fit_recipe(recipe, [{"train": first, "dev": first}, {"train": second, "dev": second}],
                                 None)
        group = fit_group(recipe, [first, second])
        assert group is not None
        fitted = FittedHead(model, CalibrationConfig(slope=1.0, margin_slope=0.0, intercept=0.0), group)
        head = fitted.head_probabilities(probe).mean(0)
        shares = torch.softmax(fitted.group_logits(probe), -1).mean(0)  # two topics: the binary fit's one row
        return float(head[0] - head[1]), float(shares[0] - shares[1])

    equal, first_weighs, second_weighs = fitted((1.0, 1.0)), fitted((1.0, 0.1)), fitted((0.1, 1.0))
    assert np.allclose(equal, 0.0, atol=0.01)
    assert min(first_weighs) > 0.3 and max(second_weighs) < -0.3


def test_seed_top_level_is_conflict_then_politics(seed_response) -> None:
    top = [t for t in seed_response.tags if t.level == 1]
    assert [t.code for t in top[:2]] == [CONFLICT, POLITICS], seed_response.tags


def test_seed_child_under_conflict_is_post_war_reconstruction(seed_response) -> None:
    tags = seed_response.tags
    children = [t for t in tags if t.parent == CONFLICT]
    assert [(t.code, t.level) for t in children] == [("medtop:20000077", 2)], tags
    # score order (as every tag list is), where a child never scores above its parent, so it comes after it
    assert [t.score for t in tags] == sorted((t.score for t in tags), reverse=True), tags
    assert tags[0].code == CONFLICT and children[0].score <= tags[0].score


def test_no_children_under_an_unsure_parent(make_config, seed_text: str) -> None:
    """A child is only looked for under a parent at `parent_min_score` or above (conflict is 0.86)."""
    analyzer = Analyzer.from_config_file(make_config(tagger={"parent_min_score": 0.9}))
    tags = analyzer.analyze(AnalyzeRequest(text=seed_text)).tags
    assert tags[0].code == CONFLICT and all(t.level == 1 for t in tags), tags


def test_every_child_follows_its_parent_and_scores_no_higher(analyzer: Analyzer) -> None:
    seen = 0
    for items in SNIPPETS.values():
        for title, body in items:
            tags = analyzer.analyze(AnalyzeRequest(text=body, title=title)).tags
            for i, t in enumerate(tags):
                if t.level == 2:
                    seen += 1
                    parent = next(p for p in tags[:i] if p.code == t.parent)
                    assert t.score <= parent.score
    assert seen > 10  # the second level is used, not only allowed


def test_topics_without_training_data_stay_reachable(analyzer: Analyzer) -> None:
    """The head learned from BBC and Reuters (6 topics); every topic still wins most of its own
    hand-written articles, so it has not collapsed onto the topics its data covers."""
    weak = {}
    for code, items in SNIPPETS.items():
        requests = [AnalyzeRequest(text=body, title=title, options=TAGS) for title, body in items]
        won = sum(r.tags[0].code == code for r in analyzer.analyze_many(requests))
        if won < 2:
            weak[code] = won
    assert not weak, weak


def test_every_topic_is_shown_on_its_topic_articles(analyzer: Analyzer, read_by_heads) -> None:
    """The check set written after the default was tuned (bench/data/topic_articles, 12 a topic, most of them
    outside BBC's desks). The heads put a desk first on many of them (top-1 0.574), but every topic must still
    be shown as a tag (default options) on at least 10 of its 12, and be first on at least one. Measured:
    11 or 12 shown for every topic, 200 of 204 in all."""
    rows = topic_articles(cut=False)
    requests = [AnalyzeRequest(text=text, title=title, options=TAGS) for text, _, title in rows]
    responses = read_by_heads(analyzer, requests)
    shown, first = Counter(), Counter()
    for (_, code, _), r in zip(rows, responses, strict=True):
        shown[code] += any(t.code == code for t in r.tags)
        first[code] += r.tags[0].code == code
    codes = {code for _, code, _ in rows}
    assert len(codes) == 17
    assert not {code: shown[code] for code in codes if shown[code] < 10}
    assert not {code for code in codes if first[code] == 0}, first


def test_descriptions_as_examples_are_scored_without_themselves(analyzer: Analyzer) -> None:
    """The head learns every topic from the taxonomy's descriptions too; a description must not be
    scored against itself, or its own topic would win it for free."""
    tagger = analyzer.tagger
    assert isinstance(tagger, ZeroShotArticleTagger)
    top = tagger.tagger
    counts = [len(lb.prompts()) for lb in top.labels]
    without_first = ZeroShotTagger(top.labels, top.descriptions[1:], [counts[0] - 1, *counts[1:]],
                                   top.calibration, top_k=top.top_k, pooling=top.pooling, offsets=top.offsets)
    first = top.descriptions[:1]
    assert np.allclose(top.text_scores(first, np.array([0])), without_first.text_scores(first))
    assert top.text_scores(first)[0, 0] > top.text_scores(first, np.array([0]))[0, 0]

    examples = description_examples(tagger, ResidualModel())
    children = sum(len(kids.descriptions) for kids in tagger.children.values())
    assert examples.gold.shape == (sum(counts) + children, len(top.labels))
    assert (examples.gold.sum(1) == 1).all() and (examples.gold.sum(0) >= counts).all()
    alone = without_first.logits(without_first.text_scores(first))[0]
    assert np.allclose(examples.logits[0], alone, atol=1e-5)
    assert np.array_equal(examples.views[0], np.tile(first[0], 4))


def test_a_snippet_keeps_the_first_body_sentences_and_the_title_row() -> None:
    roles = ["headline", "body", "boilerplate", "body", "body"]
    sentences = [Sentence(i, 10 * i, 10 * i + 9, f"s{i}", i, role, 3) for i, role in enumerate(roles)]
    vectors = np.arange(6 * 2, dtype=np.float32).reshape(6, 2)  # five sentences, then the title's row
    doc = EncodedText(sentences, vectors, "the title")

    two = snippet(doc, 2, title=True)
    assert [x.text for x in two.sentences] == ["s0", "s1", "s2", "s3"]
    assert np.array_equal(two.vectors, vectors[[0, 1, 2, 3, 5]]) and two.title == "the title"
    plan = two.plan(lead=3)
    assert plan.body == [1, 3] and plan.title == 4  # the title's row, after the kept sentences

    one = snippet(doc, 1, title=False)
    assert [x.text for x in one.sentences] == ["s0", "s1"] and one.title is None
    assert np.array_equal(one.vectors, vectors[:2]) and one.plan(lead=3).title == 0  # the headline line
    assert snippet(doc, 9, title=True).vectors.shape == vectors.shape  # shorter than asked: all of it


def test_snippet_examples_repeat_every_article_in_each_form(analyzer: Analyzer) -> None:
    tagger = analyzer.tagger
    assert isinstance(tagger, ZeroShotArticleTagger)
    sentences = [Sentence(i, 10 * i, 10 * i + 9, f"s{i}", i, "body", 3) for i in range(3)]
    rng = np.random.default_rng(0)
    docs = [EncodedText(sentences, rng.normal(size=(4, 384)).astype(np.float32), "t") for _ in range(2)]
    gold = np.eye(len(tagger.tagger.labels), dtype=np.float32)[[0, 5]]
    split = snippet_split(docs, gold, [(1, True), (2, True), (1, False)], tagger.tagger, ResidualModel())
    assert split.logits.shape == (6, len(gold[0])) and np.array_equal(split.gold, np.tile(gold, (3, 1)))
    dim = 384  # views: mean, max, lead, title
    assert np.allclose(split.views[0, 3 * dim :], docs[0].vectors[-1])  # the title's row
    assert not split.views[4, 3 * dim :].any()  # untitled: no title view
    assert not np.allclose(split.views[0, :dim], split.views[2, :dim])  # one sentence, then two


def test_a_head_trained_against_other_descriptions_is_refused(make_config, project_root: Path) -> None:
    path = make_config(tagger={
        "head": str(project_root / "models" / "iptc-default"),
        "calibration": {"slope": 10.0, "margin_slope": 30.0, "intercept": -4.0},
    })
    with pytest.raises(ConfigError, match="retrain"):
        Analyzer.from_config_file(path)


@pytest.mark.parametrize("damage", ["vocab", "weights", "codes"])
def test_a_head_with_a_damaged_group_is_refused(make_config, project_root: Path, tmp_path: Path,
                                                damage: str) -> None:
    folder = tmp_path / "head"
    shutil.copytree(resolve_artifact(project_root / "models" / "iptc-default"), folder)
    if damage == "vocab":
        (folder / "vocab.json").write_text('{"ngrams": 2, "terms": [')
    elif damage == "weights":
        (folder / GROUP_WEIGHTS).write_bytes(b"not safetensors")
    else:
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["model"]["group"]["codes"] = manifest["model"]["group"]["codes"][:2]
        (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConfigError, match="tagger.head: .*group classifier"):
        Analyzer.from_config_file(make_config(tagger={"head": str(folder)}))


def test_the_head_needs_the_zero_shot_kind(make_config, project_root: Path) -> None:
    with pytest.raises(ConfigError, match="head"):
        Analyzer.from_config_file(make_config(tagger={"kind": "trained", "artifact": "x", "head": "y"}))


def test_short_items_are_corrected_by_the_short_head(
    analyzer: Analyzer, make_config, project_root: Path, seed_text: str
) -> None:
    """An item of at most `short_max_sentences` body sentences goes to `short_head`, longer ones to `head`."""
    title, body = SNIPPETS["medtop:02000000"][0]  # two body sentences
    short, long = AnalyzeRequest(text=body, title=title), AnalyzeRequest(text=seed_text)
    default = analyzer.analyze_many([short, long])
    long_head_only = Analyzer.from_config_file(make_config(tagger={"short_head": None}))
    by_long = long_head_only.analyze_many([short, long])
    short_calibration = analyzer.config.tagger.short_head_weight_calibration.model_dump()
    short_head_only = Analyzer.from_config_file(make_config(tagger={
        "head": str(project_root / "models" / "iptc-short"), "short_head": None,
        "head_weight_calibration": short_calibration,  # the short head's mixture has its own
    }))
    by_short = short_head_only.analyze(short)
    assert default[1].tags == by_long[1].tags
    assert default[0].tags == by_short.tags
    assert default[0].tags != by_long[0].tags  # the two heads do differ on it


def test_the_short_head_is_checked_like_the_head(make_config, project_root: Path) -> None:
    with pytest.raises(ConfigError, match="tagger.short_head: .* retrain"):
        Analyzer.from_config_file(make_config(tagger={
            "calibration": {"slope": 10.0, "margin_slope": 30.0, "intercept": -4.0}, "head": None,
        }))
    with pytest.raises(ConfigError, match="short_head"):
        Analyzer.from_config_file(make_config(tagger={"kind": "trained", "artifact": "x", "head": None,
                                                      "short_head": "y"}))


@pytest.mark.slow
@pytest.mark.parametrize(("engine", "heads"), [("analyzer", ("iptc-default", "iptc-short")),
                                               ("broad_analyzer", ("iptc-broad", "iptc-broad-short"))])
def test_the_shipped_heads_reproduce_their_model_cards(
    engine: str, heads: tuple[str, str], shared_data: Path, project_root: Path,
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, read_by_heads,
) -> None:
    """The default's heads (configs/default.yaml) and the broad ones (configs/broad.yaml)."""
    analyzer: Analyzer = request.getfixturevalue(engine)
    # The heads as trained: the configs mix them with the descriptions (`tagger.head_weight`).
    monkeypatch.setattr(analyzer.tagger, "head_weight", 1.0)
    manifest, short_manifest = (
        json.loads((resolve_artifact(project_root / "models" / name) / "manifest.json").read_text())
        for name in heads
    )
    bbc = shared_data / "bbc-news-summary"
    test_ids = set(json.loads((bbc / "splits.json").read_text())["test"])
    rows = [json.loads(line) for line in (bbc / "bbc_news_summary.jsonl").open()]
    rows = [r for r in rows if r["id"] in test_ids]
    label_map = load_label_map(project_root / "configs" / "mappings" / "bbc-iptc.yaml")
    taxonomy = load_taxonomy(label_map.taxonomy)
    mapping = {label: taxonomy.ancestor(codes[0]) for label, codes in label_map.labels.items()}
    requests = [AnalyzeRequest(text=r["article"], title=r["title"], options=TAGS) for r in rows]
    responses = read_by_heads(analyzer, requests)
    hits = sum(resp.tags[0].code == mapping[r["category"]] for r, resp in zip(rows, responses, strict=True))
    assert hits / len(rows) == pytest.approx(manifest["metrics"]["accuracy"], abs=0.01)
    # and as snippets, which the short head corrects: each article's first body sentence under its headline
    firsts = [next(s.text for s in p.sentences if s.role == "body") for p in analyzer.prepare_many(requests)]
    snippets = [AnalyzeRequest(text=first, title=r["title"], options=TAGS)
                for first, r in zip(firsts, rows, strict=True)]
    short = read_by_heads(analyzer, snippets)
    hits = sum(resp.tags[0].code == mapping[r["category"]] for r, resp in zip(rows, short, strict=True))
    assert hits / len(rows) == pytest.approx(short_manifest["metrics"]["snippet_accuracy"], abs=0.01)


def test_newsdesk_train_writes_a_whole_residual_artifact(
    tmp_path: Path, project_root: Path, vector_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end on a fixture source mapped onto three IPTC codes: the card's plots and versions, the
    command that rebuilds it (as `newsdesk train` ran it: `--out`, `--promote`), and which labels the head
    corrects (the other 14 keep their zero-shot scores)."""
    from service import cli
    from service.artifacts import load_manifest
    from tests.train_fixtures import write_recipe

    topics = write_recipe(tmp_path, "multi-class")
    codes = {"sport": "medtop:15000000", "business": "medtop:04000000", "tech": "medtop:13000000"}
    (tmp_path / "map.yaml").write_text(json.dumps({
        "source": "fixture topics", "taxonomy": str(project_root / "configs" / "taxonomies" / "iptc.yaml"),
        "labels": {label: [code] for label, code in codes.items()},
    }))
    recipe = tmp_path / "head.yaml"
    recipe.write_text(json.dumps({
        "name": "head", "task": "zero-shot-residual",
        "engine": str(project_root / "configs" / "default.yaml"),
        "sources": [{"recipe": topics.name, "map": "map.yaml"}],
        "training": {"epochs": 40, "check_every": 10}, "output": "heads", "cache": str(vector_cache),
    }))
    out = tmp_path / "promoted"
    assert cli.main(["train", str(recipe), "--out", str(out), "--promote"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert resolve_artifact(out) == folder
    _, manifest = load_manifest(folder)
    plots = ["calibration.png", "confusion_matrix.png", "training.png"]
    assert set(plots) <= set(manifest.files) and set(manifest.files) <= {p.name for p in folder.iterdir()}
    for p in plots:
        assert (folder / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", p
    assert {"torch", "transformers", "numpy"} <= set(manifest.versions)
    card = (folder / "README.md").read_text()
    assert all(f"![{p}]({p})" in card for p in plots)
    assert f"torch {manifest.versions['torch']}" in card
    assert f"\nnewsdesk train {recipe.resolve()} --out {out.resolve()} --promote\n" in card
    assert sorted(manifest.model["covered"]) == sorted(codes.values())
    uncorrected = card.split("labels without training data keep their zero-shot scores: ")[1].split(".\n")[0]
    assert sorted(uncorrected.split(", ")) == sorted(lb.code for lb in manifest.taxonomy
                                                      if lb.code not in codes.values())
