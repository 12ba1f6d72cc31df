"""A head on top of the zero-shot tagger, trained on labelled data sets mapped onto its taxonomy.

`newsdesk train configs/train/iptc-default.yaml`: each source is an existing recipe (its data and splits)
with a mapping of its labels onto the taxonomy (configs/mappings/). Every article becomes the zero-shot
tagger's top-level logits plus its dense views; the head learns a linear correction for the labels the
sources cover (softmax over all labels, so covered labels learn to beat the zero-shot scores of uncovered
ones where the data says so), and labels no source covers keep their zero-shot logits. With
`descriptions`, the taxonomy's own descriptions (every level's, each counted for its top-level topic) are
examples too: every label is then covered and corrected, and the labels no data set covers learn from
their descriptions what the articles of other topics look like, so the head cannot push them aside for
free. A calibration of the corrected logits is fitted on dev; test is only measured. With `group`, a
multi-class model over TF-IDF and the same views, fitted on the train articles of the topics with enough of
them, then shares out the probability the head gives those topics together (`fit_group`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import torch
import yaml
from pydantic import BaseModel, ConfigDict, Field
from safetensors.numpy import save
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from service.artifacts import (
    MAIN_METRIC,
    MANIFEST,
    MODEL_CARD,
    RESIDUAL_TASK,
    RESOLVED_CONFIG,
    VOCAB,
    WEIGHTS,
    ArtifactLabel,
    Manifest,
)
from service.config import CalibrationConfig, load_engine_config, validate_yaml
from service.errors import ConfigError
from service.features import VIEWS, EncodedText, TfidfView, article_views
from service.heads import TopicHead, head_bytes
from service.tagger import ZeroShotTagger, calibrated_logits, lead, sigmoid
from service.taggers import ZeroShotArticleTagger
from service.taxonomy import Taxonomy, load_label_map, load_taxonomy
from service.trained_tagger import TopicModel
from service.zero_shot_head import GROUP_WEIGHTS, TopicGroup, resplit, zero_shot_fingerprint
from training import plots
from training.artifact import Promotion, check_free, check_writable, library_versions, promote, write_new
from training.card import model_card, rebuild_command
from training.config import DEFAULT_CACHE, TfidfConfig, absolute_against, load_train_config, relative_to
from training.data import DataError, load_dataset
from training.loop import Progress
from training.metrics import expected_calibration_error
from training.topics import SplitFeatures, fit_linear_on
from training.topics import logits as topic_logits
from training.vectors import VectorCache, encode_examples, engine_for

SPLITS = ("train", "dev", "test")
SNIPPET = "snippet"  # "<dev|test> snippet": that split's articles cut to one sentence and the title
SNIPPETS = "snippets"  # the train articles cut short as the recipe's `snippets` says, trained on


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    recipe: Path  # a training config whose data and splits are used (its task and model are not)
    map: Path  # its labels mapped onto the taxonomy's codes
    # a factor on its train articles' loss (under balance: sources, the source's share beside the others'): a
    # source whose labels cover one desk only (Reuters files economy alone) says nothing of the other topics
    # an article is also about
    weight: Annotated[float, Field(gt=0)] = 1.0


class ResidualModel(_Strict):
    views: list[Literal["mean", "max", "lead", "title"]] = list(VIEWS)
    lead: Annotated[int, Field(ge=1)] = 3
    # learn one factor on the zero-shot logits (how far to trust the descriptions beside the correction)
    learn_zero_shot_scale: bool = False


class ResidualTraining(_Strict):
    epochs: Annotated[int, Field(ge=1)] = 400
    lr: Annotated[float, Field(gt=0)] = 0.01
    weight_decay: Annotated[float, Field(ge=0)] = 0.0
    check_every: Annotated[int, Field(ge=1)] = 20  # epochs between dev checks; the best one is kept
    # articles: every article weighs the same (a large source dominates); sources: each source's mean
    # loss weighs its `weight` (and the descriptions' theirs)
    balance: Literal["articles", "sources"] = "articles"


class DescriptionExamples(_Strict):
    weight: Annotated[float, Field(gt=0)] = 1.0  # their loss beside one source's (balance: sources)
    held_out: Annotated[int, Field(ge=2)] = 5  # every n-th description is kept out and only measured


class SnippetExamples(_Strict):
    """Each training article cut to its first n body sentences, as short items (wire snippets, feed
    entries) look: the head otherwise learns whole articles only, and its views of one sentence differ."""

    sentences: list[Annotated[int, Field(ge=1)]] = Field(default=[1, 2], min_length=1)  # with the title
    untitled: list[Annotated[int, Field(ge=1)]] = [1]  # and without it
    weight: Annotated[float, Field(gt=0)] = 0.25  # all of a source's snippets, beside it (dev-picked)


class GroupConfig(_Strict):
    """A multi-class model among the topics the sources cover well, over dense views and TF-IDF: it shares
    out the probability the head gives those topics together (`service.zero_shot_head.TopicGroup`). Trained
    on the sources' train articles of those topics, each source by its `weight`; the head's own
    correction is a linear function of sentence vectors only, and TF-IDF is what separates neighbouring
    desks (politics from economy) best."""

    min_examples: Annotated[int, Field(ge=1)] = 100  # train articles (all sources) a topic needs to join
    tfidf: TfidfConfig = TfidfConfig()
    c: Annotated[float, Field(gt=0)] = 4.0  # inverse L2 strength of the logistic regression


class ResidualRecipe(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    task: Literal["zero-shot-residual"]
    seed: int = 13
    engine: Path  # the engine config whose zero-shot tagger (taxonomy, descriptions, calibration) it corrects
    sources: list[Source] = Field(min_length=1)
    model: ResidualModel = ResidualModel()
    training: ResidualTraining = ResidualTraining()
    descriptions: DescriptionExamples | None = None  # the taxonomy's descriptions as examples of every label
    snippets: SnippetExamples | None = None  # the sources' train articles cut short, as examples too
    group: GroupConfig | None = None
    # What the head is for, and so what dev picks its epoch and fits its calibration on: whole articles, or
    # the dev articles cut to a snippet (a head for short items, `tagger.short_head`; its main metric is then
    # `snippet_accuracy`).
    select_on: Literal["articles", "snippets"] = "articles"
    output: Path
    cache: Path = DEFAULT_CACHE


def _map_paths(cfg: ResidualRecipe, fn: Callable[[Path], Path]) -> ResidualRecipe:
    """The recipe with `fn` applied to every path in it."""
    return cfg.model_copy(update={
        "engine": fn(cfg.engine),
        "output": fn(cfg.output),
        "cache": fn(cfg.cache),
        "sources": [s.model_copy(update={"recipe": fn(s.recipe), "map": fn(s.map)}) for s in cfg.sources],
    })


def load_recipe(path: Path) -> ResidualRecipe:
    return _map_paths(validate_yaml(path, ResidualRecipe), absolute_against(path.resolve().parent))


def recipe_yaml(recipe: ResidualRecipe, folder: Path) -> bytes:
    """The resolved recipe as the artifact in `folder` keeps it: paths relative to that folder, so it reads
    the same files wherever the tree is cloned (`load_recipe` on it resolves them again)."""
    relative = _map_paths(recipe, relative_to(folder))
    return yaml.safe_dump(relative.model_dump(mode="json"), sort_keys=False).encode()


@dataclass
class Split:
    logits: np.ndarray  # (articles, labels) zero-shot calibrated logits
    views: np.ndarray  # (articles, features)
    gold: np.ndarray  # (articles, labels) 0/1: the mapped top-level labels
    texts: list[str]  # what a TF-IDF view reads of each (`EncodedText.terms_text`)

    @staticmethod
    def concat(parts: list[Split]) -> Split:
        arrays = (np.concatenate([getattr(p, f) for p in parts]) for f in ("logits", "views", "gold"))
        return Split(*arrays, [t for p in parts for t in p.texts])

    def take(self, rows: np.ndarray) -> Split:
        """The rows given by index or by a boolean mask."""
        texts = [self.texts[i] for i in np.arange(len(self.texts))[rows]]
        return Split(self.logits[rows], self.views[rows], self.gold[rows], texts)


def split_of(docs: list[EncodedText], gold: np.ndarray, top: ZeroShotTagger, model: ResidualModel) -> Split:
    return Split(*featurise(docs, top, model), gold, [d.terms_text for d in docs])


def featurise(
    docs: list[EncodedText], top: ZeroShotTagger, model: ResidualModel
) -> tuple[np.ndarray, np.ndarray]:
    logits, views = [], []
    for d in docs:
        body = [s.index for s in d.sentences if s.role == "body"]
        mean = d.vectors.mean(0)
        sims = top.similarities(mean / max(float(np.linalg.norm(mean)), 1e-12), d.vectors, body)[0]
        logits.append(top.logits(sims))
        views.append(article_views(torch.from_numpy(d.vectors), d.plan(model.lead), model.views).numpy())
    return np.stack(logits).astype(np.float32), np.stack(views).astype(np.float32)


def snippet(doc: EncodedText, sentences: int, title: bool) -> EncodedText:
    """The article up to its `sentences`-th body sentence, with its title (if it has one) or without."""
    seen, cut = 0, len(doc.sentences)
    for i, sent in enumerate(doc.sentences):
        seen += sent.role == "body"
        if seen == sentences:
            cut = i + 1
            break
    keep = title and doc.title is not None
    rows = [doc.vectors[:cut]] + ([doc.vectors[-1:]] if keep else [])
    return EncodedText(doc.sentences[:cut], np.concatenate(rows), doc.title if keep else None)


def snippet_split(docs: list[EncodedText], gold: np.ndarray, forms: list[tuple[int, bool]],
                  top: ZeroShotTagger, model: ResidualModel) -> Split:
    """Every article in each (sentences, title) form, one after the other."""
    parts = [split_of([snippet(d, n, t) for d in docs], gold, top, model) for n, t in forms]
    return Split.concat(parts)


def description_examples(tagger: ZeroShotArticleTagger, model: ResidualModel) -> Split:
    """Every description of the taxonomy as a one-sentence article of its top-level topic. A top-level
    description is scored without itself among its label's descriptions (as an unseen text would be), and
    each dense view of a one-sentence text headed by itself is that sentence's vector."""
    top = tagger.tagger
    counts = [len(lb.prompts()) for lb in top.labels]
    vectors, owner = [top.descriptions], [np.repeat(np.arange(len(counts)), counts)]
    texts = [p for lb in top.labels for p in lb.prompts()]
    index = {lb.code: i for i, lb in enumerate(top.labels)}
    for code, kids in tagger.children.items():
        vectors.append(kids.descriptions)
        owner.append(np.full(len(kids.descriptions), index[code]))
        texts += [p for lb in kids.labels for p in lb.prompts()]
    vecs = np.concatenate(vectors)
    leave_out = np.full(len(vecs), -1)
    leave_out[: len(top.descriptions)] = np.arange(len(top.descriptions))
    logits = top.logits(top.text_scores(vecs, leave_out))
    gold = np.eye(len(counts), dtype=np.float32)[np.concatenate(owner)]
    views = np.tile(vecs, (1, len(model.views))).astype(np.float32)
    return Split(logits.astype(np.float32), views, gold, texts)


def held_out_descriptions(described: Split, cfg: DescriptionExamples) -> tuple[Split, Split]:
    """The description examples trained on, and the ones kept out (every `held_out`-th) to be measured."""
    kept_out = np.arange(len(described.gold)) % cfg.held_out == 0
    return described.take(~kept_out), described.take(kept_out)


def load_source(source: Source, taxonomy: Taxonomy, top: ZeroShotTagger, recipe: ResidualRecipe,
                encoder_fingerprint: str) -> tuple[str, str, dict[str, Split]]:
    tc = load_train_config(source.recipe)
    label_map = load_label_map(source.map)
    if label_map.taxonomy != _taxonomy_path(recipe):
        raise ConfigError(f"{source.map}: maps onto {label_map.taxonomy}, not the engine's taxonomy")
    ds = load_dataset(tc)
    engine = engine_for(tc.model.encoder)
    if engine.encoder.fingerprint != encoder_fingerprint:
        raise ConfigError(f"{source.recipe}: its encoder is not the engine config's encoder")
    codes = [lb.code for lb in top.labels]
    cache = VectorCache(recipe.cache, engine)
    out = {}
    for split in SPLITS:
        rows = ds.splits[split]
        gold = np.zeros((len(rows), len(codes)), np.float32)
        for i, ex in enumerate(rows):
            for label in ex.labels:
                if label not in label_map.labels:
                    raise DataError(f"{ex.source}: label {label!r} is not in {source.map}")
                for code in label_map.labels[label]:
                    gold[i, codes.index(taxonomy.ancestor(code))] = 1
        docs = encode_examples(engine, rows, cache, f"{tc.name} {split}")
        out[split] = split_of(docs, gold, top, recipe.model)
        if split != "train":  # measured: the first body sentence and the title, as a wire snippet reads
            out[f"{split} {SNIPPET}"] = snippet_split(docs, gold, [(1, True)], top, recipe.model)
        elif recipe.snippets is not None:
            cut = recipe.snippets
            forms = [(n, True) for n in cut.sentences] + [(n, False) for n in cut.untitled]
            out[SNIPPETS] = snippet_split(docs, gold, forms, top, recipe.model)
    return tc.name, ds.fingerprint, out


def _taxonomy_path(recipe: ResidualRecipe) -> Path:
    taxonomy = load_engine_config(recipe.engine).tagger.taxonomy
    assert taxonomy is not None
    return taxonomy


def accuracy(scores: np.ndarray, gold: np.ndarray) -> float:
    """Top-1 accuracy: the best-scored label is one of the article's labels."""
    return float(gold[np.arange(len(gold)), scores.argmax(1)].mean()) if len(gold) else 0.0


class Residual(torch.nn.Module):
    def __init__(self, n_features: int, covered: np.ndarray, learn_scale: bool = False):
        super().__init__()
        self.linear = torch.nn.Linear(n_features, len(covered))
        torch.nn.init.zeros_(self.linear.weight)
        torch.nn.init.zeros_(self.linear.bias)
        self.register_buffer("covered", torch.from_numpy(covered.astype(np.float32)))
        # exp(log_scale) multiplies the zero-shot logits; starts at 1
        self.log_scale = torch.nn.Parameter(torch.zeros(1), requires_grad=learn_scale)

    @property
    def scale(self) -> np.ndarray:
        return torch.exp(self.log_scale).detach().numpy()

    def forward(self, logits: torch.Tensor, views: torch.Tensor) -> torch.Tensor:
        return logits * torch.exp(self.log_scale) + self.linear(views) * self.covered


def _scores(model: Residual, split: Split) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(split.logits), torch.from_numpy(split.views)).numpy()


def fit(
    parts: list[tuple[Split, float]], devs: list[Split], cfg: ResidualTraining, seed: int,
    learn_scale: bool = False,
) -> tuple[Residual, list[tuple[int, float]]]:
    """Full-batch Adam on the softmax loss over all labels (each article's labels share its target), each
    part (a source's train split, or the descriptions) weighted by `cfg.balance` and its weight; the
    epoch with the best dev accuracy, averaged over the sources so a large one does not decide alone, is
    kept."""
    torch.manual_seed(seed)
    covered = sum(p.gold.sum(0) for p, _ in parts) > 0
    model = Residual(parts[0][0].views.shape[1], covered, learn_scale)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    total = sum(len(p.gold) for p, _ in parts)
    data = [
        (torch.from_numpy(p.logits), torch.from_numpy(p.views),
         torch.from_numpy(p.gold / np.maximum(p.gold.sum(1, keepdims=True), 1)),
         weight / (len(p.gold) if cfg.balance == "sources" else total))
        for p, weight in parts
    ]
    best, best_state, history = -1.0, None, []
    for epoch in tqdm(range(1, cfg.epochs + 1), desc="training", unit="epoch", disable=None, leave=False):
        opt.zero_grad()
        loss = sum(-(torch.log_softmax(model(z, x), 1) * target).sum() * w for z, x, target, w in data)
        loss = loss + cfg.weight_decay * (model.linear.weight ** 2).sum()
        loss.backward()
        opt.step()
        if epoch % cfg.check_every == 0 or epoch == cfg.epochs:
            acc = float(np.mean([accuracy(_scores(model, d), d.gold) for d in devs]))
            history.append((epoch, acc))
            if acc > best:
                best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    return model.eval(), history


def fit_calibration(logits: np.ndarray, gold: np.ndarray) -> CalibrationConfig:
    """p = sigmoid(a·l + b·lead(l) + c) one-vs-rest over every (article, label) pair of dev."""
    x = np.stack([logits.ravel(), lead(logits).ravel()], 1)
    lr = LogisticRegression(C=1e6, max_iter=10_000).fit(x, gold.ravel())
    slope, margin = (float(v) for v in lr.coef_[0])
    return CalibrationConfig(slope=slope, margin_slope=margin, intercept=float(lr.intercept_[0]))


def dev_split(recipe: ResidualRecipe) -> str:
    """The split dev measures the head on: the dev articles, or the same cut to a snippet."""
    return "dev" if recipe.select_on == "articles" else f"dev {SNIPPET}"


def fit_recipe(
    recipe: ResidualRecipe, sources: list[dict[str, Split]], described: Split | None
) -> tuple[Residual, list[tuple[int, float]], Split | None]:
    """`fit` on these sources' train splits (dev picks the epoch) and, when the recipe has them, its
    description examples but the held-out ones; and those held-out descriptions (None without)."""
    weights = [source.weight for source in recipe.sources]
    parts = [(s["train"], w) for s, w in zip(sources, weights, strict=True)]
    if recipe.snippets is not None:
        parts += [(s[SNIPPETS], recipe.snippets.weight * w) for s, w in zip(sources, weights, strict=True)]
    held_out = None
    if described is not None and recipe.descriptions is not None:
        trained_on, held_out = held_out_descriptions(described, recipe.descriptions)
        parts.append((trained_on, recipe.descriptions.weight))
    model, history = fit(parts, [s[dev_split(recipe)] for s in sources], recipe.training, recipe.seed,
                         recipe.model.learn_zero_shot_scale)
    return model, history, held_out


def fit_group(recipe: ResidualRecipe, trains: list[Split]) -> TopicGroup | None:
    """The recipe's group classifier, fitted on the train articles of the topics with enough of them (None
    when fewer than two topics have)."""
    cfg = recipe.group
    if cfg is None:
        return None
    rows = np.flatnonzero(sum((s.gold > 0).sum(0) for s in trains) >= cfg.min_examples)
    if len(rows) < 2:
        return None
    taken = [(s.take(s.gold[:, rows].sum(1) > 0), source.weight)
             for s, source in zip(trains, recipe.sources, strict=True)]
    parts, weights = zip(*[(p, w) for p, w in taken if len(p.gold)], strict=True)
    t = cfg.tfidf
    tfidf = TfidfView.fit((x for p in parts for x in p.texts), ngrams=t.ngrams, min_df=t.min_df,
                          max_terms=t.max_terms)
    head = TopicHead(parts[0].views.shape[1], len(tfidf), len(rows))
    model = TopicModel(head, tfidf, list(recipe.model.views), recipe.model.lead, multi_label=False)
    # a multi-label row (a few Reuters articles) counts for its first topic of the group
    feats = [_group_features(model, p, np.eye(len(rows), dtype=np.float32)[p.gold[:, rows].argmax(1)])
             for p in parts]
    n = sum(len(p.gold) for p in parts)
    # each source's articles together weigh its `weight` (sources alike by default), whatever its size
    weight = np.concatenate([np.full(len(p.gold), w * n / (sum(weights) * len(p.gold)))
                             for p, w in zip(parts, weights, strict=True)])
    fit_linear_on(model, feats, cfg.c, dense_weight=1.0, seed=recipe.seed, sample_weight=weight)
    head.eval()
    return TopicGroup(rows, model)


def _group_features(model: TopicModel, split: Split, gold: np.ndarray) -> SplitFeatures:
    assert model.tfidf is not None
    return SplitFeatures(torch.from_numpy(split.views), model.tfidf.sparse_rows(split.texts), gold)


@dataclass
class FittedHead:
    """A trained head as the engine runs it: corrected logits, their calibration, the group's shares."""

    model: Residual
    calibration: CalibrationConfig
    group: TopicGroup | None
    group_temperature: float = 1.0  # already divided into the group's weights; kept for the card

    def probabilities(self, split: Split) -> np.ndarray:
        p = self.head_probabilities(split)
        if self.group is None:
            return p
        shares = torch.softmax(self.group_logits(split), -1).numpy()
        return resplit(p, self.group.rows, shares)

    def head_probabilities(self, split: Split) -> np.ndarray:
        return sigmoid(calibrated_logits(self.calibration, _scores(self.model, split)))

    def group_logits(self, split: Split) -> torch.Tensor:
        assert self.group is not None
        unknown = np.zeros((len(split.texts), len(self.group.rows)), np.float32)
        return topic_logits(self.group.model, _group_features(self.group.model, split, unknown))


def fit_group_temperature(head: FittedHead, dev: Split) -> float:
    """The temperature of the group's softmax under which dev's final probabilities are likeliest (binary
    log-loss over every article and label, as the head's calibration is fitted). The group's logistic
    regression is fitted on train and, regularised, shares out less sharply than dev bears out."""
    from scipy.optimize import minimize_scalar

    assert head.group is not None
    base, logits, rows = head.head_probabilities(dev), head.group_logits(dev), head.group.rows

    def log_loss(log_t: float) -> float:
        p = resplit(base, rows, torch.softmax(logits / float(np.exp(log_t)), -1).numpy())
        return float(-np.log(np.clip(np.where(dev.gold > 0, p, 1 - p), 1e-9, 1.0)).mean())

    return round(float(np.exp(minimize_scalar(log_loss, bounds=(-3.0, 1.5), method="bounded").x)), 4)


def set_group_temperature(group: TopicGroup, temperature: float) -> None:
    """Divide the group's logits by `temperature` for good: its linear head's weights are scaled, so the
    engine runs a plain softmax and needs no temperature of its own."""
    head = group.model.head
    assert isinstance(head.dense, torch.nn.Linear)  # `fit_group` builds a linear head
    with torch.no_grad():
        for param in head.parameters():
            param.div_(temperature)


def fit_head(
    recipe: ResidualRecipe, sources: list[dict[str, Split]], described: Split | None
) -> tuple[FittedHead, list[tuple[int, float]], Split | None]:
    """`fit_recipe`, then the calibration of its logits on dev, the recipe's group classifier and its
    temperature (on dev too)."""
    model, history, held_out = fit_recipe(recipe, sources, described)
    dev = Split.concat([s[dev_split(recipe)] for s in sources])
    fitted = FittedHead(model, fit_calibration(_scores(model, dev), dev.gold),
                        fit_group(recipe, [s["train"] for s in sources]))
    if fitted.group is not None:
        temperature = fit_group_temperature(fitted, dev)
        set_group_temperature(fitted.group, temperature)
        fitted.group_temperature = temperature
    return fitted, history, held_out


def _plots(
    history: list[tuple[int, float]],
    first: tuple[str, dict[str, Split]],
    probabilities: Callable[[Split], np.ndarray],
    names: list[str],
) -> dict[str, bytes]:
    """The card's plots: dev accuracy by epoch, and the first source's test articles as a confusion matrix
    over the top-level topics and as a calibration curve (all labels one-vs-rest, the card's ECE)."""
    source, splits = first
    test = splits["test"]
    p = probabilities(test)
    curve, best, best_epoch = [], -1.0, 0
    for epoch, acc in history:
        if acc > best:
            best, best_epoch = acc, epoch
        curve.append(Progress(epoch=epoch, loss=None, dev_score=acc, best_score=best, best_epoch=best_epoch))
    return {
        "training.png": plots.training_curve(curve, "accuracy (mean over the sources)"),
        "confusion_matrix.png": plots.confusion_matrix(test.gold, p, names,
                                                       f"confusion matrix ({source} test)"),
        "calibration.png": plots.reliability(p, test.gold, f"calibration ({source} test, every label)"),
    }


def train_residual(
    config_path: Path, out: Path | None = None, promote_it: bool = False
) -> tuple[Path, Promotion | None]:
    recipe = load_recipe(config_path)
    if out is not None:
        recipe = recipe.model_copy(update={"output": out.resolve()})
    check_free(recipe.output, f"{recipe.name}-{recipe.version}" if recipe.version else None, promote_it)
    check_writable(recipe.cache, "cache")
    engine_cfg = load_engine_config(recipe.engine)
    tagger_cfg = engine_cfg.tagger.without_heads()
    if tagger_cfg.kind != "zero-shot":
        raise ConfigError(f"{recipe.engine}: tagger.kind must be zero-shot for a {RESIDUAL_TASK} head")
    encoder = engine_for(engine_cfg.encoder).encoder
    engine_cfg = engine_cfg.model_copy(update={"tagger": tagger_cfg})
    article_tagger = ZeroShotArticleTagger.from_engine(engine_cfg, encoder)
    top = article_tagger.tagger
    assert tagger_cfg.taxonomy is not None
    taxonomy = load_taxonomy(tagger_cfg.taxonomy)
    loaded = [load_source(s, taxonomy, top, recipe, encoder.fingerprint) for s in recipe.sources]
    sources = {name: splits for name, _, splits in loaded}

    described = None if recipe.descriptions is None else description_examples(article_tagger, recipe.model)
    fitted, history, held_out = fit_head(recipe, list(sources.values()), described)
    model, calibration, group = fitted.model, fitted.calibration, fitted.group

    def ece(split: Split) -> tuple[float, float]:
        """Expected calibration error over all labels, and of the top label alone."""
        p = fitted.probabilities(split)
        best = (np.arange(len(p)), p.argmax(1))
        return (round(expected_calibration_error(p, split.gold), 4),
                round(expected_calibration_error(p[best], split.gold[best]), 4))

    per_source, extra = {}, {}
    for n, s in sources.items():
        row = {}
        for sp in ("dev", "test"):
            whole, cut = s[sp], s[f"{sp} {SNIPPET}"]
            row[sp] = {
                "accuracy": round(accuracy(fitted.probabilities(whole), whole.gold), 4),
                "zero_shot_accuracy": round(accuracy(whole.logits, whole.gold), 4),
                "snippet_accuracy": round(accuracy(fitted.probabilities(cut), cut.gold), 4),
                **dict(zip(("ece", "ece_top"), ece(whole), strict=True)),
                **dict(zip(("snippet_ece", "snippet_ece_top"), ece(cut), strict=True)),
                "n": len(whole.gold),
            }
            if group is not None:
                row[sp]["accuracy_without_group"] = round(accuracy(_scores(model, whole), whole.gold), 4)
        per_source[n] = row
        extra[f"{n}, mapped to the top level (ECE: all labels, and the top label alone)"] = row
    first = next(iter(per_source.values()))
    metrics = {**first["test"], "dev": first["dev"], "sources": per_source, "dev_history": history}
    if held_out is not None:
        # Reachability of every topic, the ones no data set covers too: held-out descriptions won by their
        # own topic (the worst topic's share beside the mean).
        won = fitted.probabilities(held_out)
        own = held_out.gold.argmax(1)
        per_topic = [accuracy(won[own == j], held_out.gold[own == j]) for j in np.unique(own)]
        metrics["descriptions"] = {
            "accuracy": round(accuracy(won, held_out.gold), 4),
            "zero_shot_accuracy": round(accuracy(held_out.logits, held_out.gold), 4),
            "worst_topic_accuracy": round(min(per_topic), 4),
            "n": len(won),
        }
        if group is not None:
            # the group reads articles; one-line descriptions of its own topics are what it reads worst
            outside = ~np.isin(own, group.rows)
            metrics["descriptions"].update({
                "accuracy_without_group": round(accuracy(_scores(model, held_out), held_out.gold), 4),
                "outside_group_accuracy": round(accuracy(won[outside], held_out.gold[outside]), 4),
                "group_topics_accuracy": round(accuracy(won[~outside], held_out.gold[~outside]), 4),
            })
        extra[f"held-out descriptions (every {recipe.descriptions.held_out}th, not trained on), top-1 "
              "among the top-level topics"] = {"held out": metrics["descriptions"]}

    covered = model.covered.numpy().astype(bool)
    codes = [lb.code for lb in top.labels]
    pngs = _plots(history, next(iter(sources.items())), fitted.probabilities, [lb.name for lb in top.labels])
    weights = save({
        "weight": np.ascontiguousarray(model.linear.weight.detach().numpy().T),
        "bias": model.linear.bias.detach().numpy(),
        "covered": covered.astype(np.uint8),
        "zero_shot_scale": model.scale.astype(np.float32),
    })
    manifest = Manifest(
        name=recipe.name, version="",  # set as it is written (render)
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        task=RESIDUAL_TASK, base_encoder=engine_cfg.encoder.package or str(engine_cfg.encoder.path),
        taxonomy=[ArtifactLabel(code=lb.code, name=lb.name) for lb in top.labels],
        data_fingerprint="+".join(fp for _, fp, _ in loaded),
        metrics=metrics,
        main_metric=MAIN_METRIC[RESIDUAL_TASK] if recipe.select_on == "articles" else "snippet_accuracy",
        model={
            "views": list(recipe.model.views), "lead": recipe.model.lead,
            "calibration": calibration.model_dump(),
            "covered": [c for c, k in zip(codes, covered, strict=True) if k],
            "zero_shot_fingerprint": zero_shot_fingerprint(top.labels, tagger_cfg, encoder.fingerprint),
            **({} if group is None else {"group": {
                "codes": [codes[i] for i in group.rows], "head": group.model.head.shape,
                "views": group.model.views, "lead": group.model.lead,
                "temperature": fitted.group_temperature,  # applied to its weights already
            }}),
        },
        files=sorted([WEIGHTS, RESOLVED_CONFIG, MANIFEST, MODEL_CARD, *pngs]
                     + ([] if group is None else [GROUP_WEIGHTS, VOCAB])),
        versions=library_versions(),
    )
    sizes = {f"{n} {sp}": len(s[sp].gold) for n, s in sources.items() for sp in SPLITS}
    rebuild = rebuild_command(config_path, out, promote_it)
    seen = sum(s["train"].gold.sum(0) for s in sources.values()) > 0
    with_data = [c for c, k in zip(codes, seen, strict=True) if k]
    notes = [f"labels covered by data: {', '.join(with_data)}",
             "snippet_accuracy: each article cut to its first body sentence under its headline (a wire "
             "snippet's length)"]
    if recipe.select_on == "snippets":
        notes.append("a head for short items (`tagger.short_head`): dev cut to snippets picked the epoch and "
                     "fitted the calibration; the accuracy columns of whole articles are only measured")
    if described is not None and held_out is not None:
        notes.append(f"every label also learned from its taxonomy descriptions ({len(described.gold)}, "
                     f"{len(held_out.gold)} held out), so every label is corrected; the worst topic wins "
                     f"{metrics['descriptions']['worst_topic_accuracy']} of its held-out descriptions")
    if group is not None:
        names = ", ".join(codes[i] for i in group.rows)
        notes.append(f"a group classifier (TF-IDF + dense views, multinomial logistic regression; softmax "
                     f"temperature {fitted.group_temperature}, fitted on dev) shares out the probability of "
                     f"{names} among them where that is at least 0.5; `accuracy_without_group` is the head "
                     "alone")
    files = {
        **({} if group is None else {GROUP_WEIGHTS: head_bytes(group.model.head),
                                     VOCAB: group.model.tfidf.to_json().encode()}),
        WEIGHTS: weights,
        **pngs,
    }

    def render(version: str) -> dict[str, bytes]:
        versioned = manifest.model_copy(update={"version": version})
        card = model_card(versioned, sizes, notes, sorted(pngs), extra, rebuild)
        return {**files, MODEL_CARD: card.encode(), MANIFEST: versioned.model_dump_json(indent=2).encode(),
                RESOLVED_CONFIG: recipe_yaml(recipe, recipe.output / version)}

    path = write_new(recipe.output, recipe.name, recipe.version, render)
    return path, promote(recipe.output, path.name) if promote_it else None
