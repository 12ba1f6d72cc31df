"""A training config: one YAML file resolved into one typed, frozen object.

An unknown key or a wrong type is an error naming the file and the dotted field. Relative paths (data
files, the ids file, the output folder, the cache, a local encoder) resolve against the folder of the
config file, as the engine's config does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from service.artifacts import Task
from service.config import EncoderConfig, validate_yaml
from service.features import VIEWS
from service.settings import PROJECT_ROOT

DEFAULT_CACHE = PROJECT_ROOT / ".cache" / "vectors"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fields(_Strict):
    """Which columns hold what. Several text fields are joined as paragraphs (title + body)."""

    id: str | None = "id"
    title: str | None = None  # the headline, kept apart from the text as the API's `title` is
    text: list[str]
    label: str | None = None  # a string or a list of strings per row (tagger tasks)
    summary: str | None = None  # the reference summary (extractive-summary task)

    @field_validator("text", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @field_validator("text")
    @classmethod
    def _some(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one text field")
        return v


class Ratio(_Strict):
    """A split carved out of train: this share of its rows, drawn with the config's seed."""

    ratio: Annotated[float, Field(gt=0.0, lt=1.0)]


# A split's tables: one path, or a list of them read one after another; a path may be a glob (`part*.jsonl`).
Tables = Path | Annotated[list[Path], Field(min_length=1)]


class DataConfig(_Strict):
    """Where the rows come from and how they split. Either `path` (one table) split by an `ids` file
    ({"train": [...], "dev": [...], "test": [...]}) or by ratios; or `train` tables with `dev` and
    `test` each tables or a ratio of train."""

    format: Literal["auto", "jsonl", "csv", "parquet", "dataset"] = "auto"
    path: Path | None = None
    ids: Path | None = None
    train: Tables | None = None
    dev: Tables | Ratio | None = None
    test: Tables | Ratio | None = None
    fields: Fields
    empty_text: Literal["error", "skip"] = "error"  # a row with no text: an error, or left out and counted
    # a row whose labels are none of the taxonomy's: an error, or left out and counted (a taxonomy that
    # takes some of a data set's labels, e.g. the topics another source does not cover)
    other_labels: Literal["error", "skip"] = "error"

    @field_validator("dev", "test", mode="wrap")
    @classmethod
    def _table_or_ratio(cls, v: object, handler: ValidatorFunctionWrapHandler) -> object:
        # pydantic reports a bad value against each member of `Path | Ratio`, in its internals' names
        try:
            return handler(v)
        except ValidationError:
            got = f", got {v!r}" if isinstance(v, dict) else ""  # the error's formatting adds any other value
            raise ValueError(
                f"expected a table's path, a list of them or {{ratio: R}} with 0 < R < 1{got}"
            ) from None

    @model_validator(mode="after")
    def _one_layout(self) -> DataConfig:
        if (self.path is None) == (self.train is None):
            raise ValueError(
                "give either `path` (one table for every split) or `train` (plus `dev` and `test`)"
            )
        if self.ids is not None:
            if self.path is None:
                raise ValueError("`ids` splits the table at `path`; set `path`")
            if self.dev is not None or self.test is not None:
                raise ValueError("with `ids`, dev and test come from the ids file; drop `dev` and `test`")
            return self
        for split in ("dev", "test"):
            value = getattr(self, split)
            if value is None:
                raise ValueError(f"`{split}` is missing: a table, or {{ratio: 0.1}} to carve it out of train")
            if self.path is not None and not isinstance(value, Ratio):
                raise ValueError(f"with `path`, `{split}` must be a ratio such as {{ratio: 0.1}}")
        return self


class LabelSpec(_Strict):
    id: str = Field(min_length=1)
    name: str | None = None  # defaults to the id
    description: str = ""
    iptc: str | None = None  # an IPTC Media Topic code this label maps to


class TaxonomyConfig(_Strict):
    """The labels: listed, or taken from the data. `from_data: in_train_and_test` keeps the labels that
    occur in both train and test and leaves out rows with none of them (Reuters ApteMod-90)."""

    labels: list[LabelSpec] | None = None
    from_data: Literal["in_train_and_test"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> TaxonomyConfig:
        if (self.labels is None) == (self.from_data is None):
            raise ValueError("give either `labels` or `from_data`")
        if self.labels is not None:
            ids = [lb.id for lb in self.labels]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup or not ids:
                raise ValueError(f"duplicate label ids {dup}" if dup else "`labels` is empty")
        return self


class TfidfConfig(_Strict):
    ngrams: Annotated[int, Field(ge=1, le=3)] = 2
    min_df: Annotated[int, Field(ge=1)] = 2
    max_terms: Annotated[int, Field(ge=1)] = 50_000


class ModelConfig(_Strict):
    """`frozen`: a head on fixed sentence vectors; `finetune`: the encoder learns too."""

    mode: Literal["frozen", "finetune"] = "frozen"
    encoder: EncoderConfig = EncoderConfig()
    views: list[Literal[VIEWS]] = list(VIEWS)  # type: ignore[valid-type]
    lead: Annotated[int, Field(ge=1, le=20)] = 3
    # A vocabulary fitted on the training text: the topic heads' sparse view, the summariser's lexical
    # features. null: no sparse view; the summariser then weighs words within each article instead.
    tfidf: TfidfConfig | None = TfidfConfig()
    hidden: Annotated[int, Field(ge=0)] = 0  # 0: a linear head
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1


class ThresholdConfig(_Strict):
    """Multi-label decision thresholds, one per label, each at the logit with the best F1 on held-out
    logits: dev's, or (`cross-validation`, liblinear only) out-of-fold logits over every row the head is
    fitted on, `folds` fits with dev's C, so that rare labels have more than dev's few examples."""

    tuned_on: Literal["dev", "cross-validation"] = "dev"
    folds: Annotated[int, Field(ge=2, le=20)] = 5
    # A label's own threshold needs this many positive held-out rows; rarer labels share one threshold.
    min_support: Annotated[int, Field(ge=1)] = 3


class HyperParams(_Strict):
    # "adam": mini-batches, early stopping on dev. "liblinear": a linear head fitted exactly by scikit-learn
    # (LinearSVC one-vs-rest for multi-label, logistic regression for multi-class), one fit per `c_grid`
    # value, the best on dev kept; the dense views enter scaled by `dense_weight`. Topic heads only.
    solver: Literal["adam", "liblinear"] = "adam"
    c_grid: list[Annotated[float, Field(gt=0.0)]] = Field(default=[0.25, 0.5, 1.0, 2.0], min_length=1)
    dense_weight: Annotated[float, Field(ge=0.0)] = 1.0
    # liblinear: once dev has picked C, fit the head again on train + dev with it (dev then is no longer
    # held out: the card reports the cross-validated figures instead of dev's).
    refit: bool = False
    thresholds: ThresholdConfig = ThresholdConfig()
    epochs: Annotated[int, Field(ge=1)] = 40
    batch_size: Annotated[int, Field(ge=1)] = 32
    lr: Annotated[float, Field(gt=0.0)] = 1e-3
    encoder_lr: Annotated[float, Field(gt=0.0)] = 3e-5  # finetune only
    # finetune only: tokens through the encoder per backward pass. A batch's articles are split into passes
    # under it (an article never is) and their gradients summed, and each pass's sentences into forwards of
    # as many padded tokens, so memory is bounded whatever the batch and the sentences' lengths.
    pass_tokens: Annotated[int, Field(ge=1)] = 4096
    weight_decay: Annotated[float, Field(ge=0.0)] = 1e-4
    patience: Annotated[int, Field(ge=1)] = 5  # epochs without a better dev score before stopping
    device: Literal["auto", "cpu", "cuda"] = "auto"
    max_train_examples: Annotated[int, Field(ge=1)] | None = None  # a subset, e.g. to time an epoch


class ArticleSource(_Strict):
    """A table of articles beside the recipe's data: with headlines (a `title` field, or a headline line at
    the top of the text), or with highlights (`fields.summary`)."""

    path: Path
    format: Literal["auto", "jsonl", "csv", "parquet", "dataset"] = "auto"
    fields: Fields


class HeadlineExamples(_Strict):
    """Articles whose headline stands in for a short highlight (training/headlines.py): the summariser
    also learns which body sentences cover the headline, with the headline hidden."""

    sources: list[ArticleSource] = []
    train_split: bool = False  # the recipe's own train articles too, those with a title
    weight: Annotated[float, Field(gt=0.0, le=10.0)] = 0.3  # of each of their sentences in the loss
    min_sentences: Annotated[int, Field(ge=1)] = 6  # shorter articles are left out


class HighlightExamples(_Strict):
    """Articles with a few short highlights written for them, as news sites put 3-4 "story highlights" above
    an article (training/highlights.py): for each highlight, the body sentence that says most of it is a
    positive too. `fields.summary` names the highlights: a list of strings, or one string, a line each."""

    sources: list[ArticleSource] = Field(min_length=1)
    weight: Annotated[float, Field(gt=0.0, le=10.0)] = 1.0  # of each of their sentences in the loss
    min_sentences: Annotated[int, Field(ge=1)] = 6  # shorter articles are left out

    @field_validator("sources")
    @classmethod
    def _name_the_highlights(cls, v: list[ArticleSource]) -> list[ArticleSource]:
        for src in v:
            if src.fields.summary is None:
                raise ValueError(f"{src.path}: name the highlights' field in fields.summary")
        return v


class SummaryConfig(_Strict):
    sentences: Annotated[int, Field(ge=1, le=50)] = 3  # the summary length the dev metric uses
    # The length exponent at which dev judges each epoch; unset: each epoch at its best exponent of the grid,
    # as the artifact then ships the best one (picked on dev after training either way).
    select_exponent: Annotated[float, Field(ge=0.0, le=4.0)] | None = None
    # Train this many scorers, seeds `seed`, `seed` + 1, ..., and keep the one dev scores best (`best`) or
    # all of them, scoring by their mean (`mean`): the scorer's dev score moves by about a point of ROUGE-2
    # from seed to seed, and the best of a few on dev is partly the luck of dev.
    restarts: Annotated[int, Field(ge=1, le=20)] = 1
    combine: Literal["best", "mean"] = "best"


class TrainConfig(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # none: a timestamp
    task: Task
    seed: int = 13
    data: DataConfig
    taxonomy: TaxonomyConfig | None = None
    model: ModelConfig = ModelConfig()
    training: HyperParams = HyperParams()
    summary: SummaryConfig = SummaryConfig()
    headlines: HeadlineExamples | None = None  # extractive-summary only
    highlights: HighlightExamples | None = None  # extractive-summary only
    output: Path
    cache: Path = DEFAULT_CACHE

    @model_validator(mode="after")
    def _task_needs(self) -> TrainConfig:
        summary = self.task == "extractive-summary"
        need = "summary" if summary else "label"
        if getattr(self.data.fields, need) is None:
            raise ValueError(f"a {self.task} task needs `data.fields.{need}`")
        if not summary and self.taxonomy is None:
            raise ValueError(f"a {self.task} task needs a `taxonomy`")
        labels = self.taxonomy.labels if self.taxonomy and not summary else None
        if labels is not None and len(labels) < 2:  # the solvers need two classes; one is nothing to tell
            raise ValueError(f"taxonomy.labels: a {self.task} task needs at least 2 labels, got "
                             f"{[lb.id for lb in labels]}")
        for key in ("headlines", "highlights"):
            if getattr(self, key) is not None and not summary:
                raise ValueError(f"`{key}` teach the summariser; a topic task has no use for them")
        if self.headlines is not None and not (self.headlines.sources or self.headlines.train_split):
            raise ValueError("`headlines` needs `sources`, `train_split: true` or both")
        if summary and self.model.mode == "finetune":
            raise ValueError("the summariser trains on frozen sentence vectors; set model.mode: frozen")
        if self.training.solver == "liblinear" and (summary or self.model.hidden):
            raise ValueError("training.solver: liblinear fits a linear topic head; use adam here")
        hp = self.training
        frozen_liblinear = hp.solver == "liblinear" and self.model.mode == "frozen"
        if hp.thresholds.tuned_on == "cross-validation" and not (
            frozen_liblinear and self.task == "multi-label"
        ):
            raise ValueError(
                "training.thresholds.tuned_on: cross-validation needs a multi-label task, "
                "training.solver: liblinear and model.mode: frozen"
            )
        if hp.refit and not frozen_liblinear:
            raise ValueError("training.refit needs training.solver: liblinear and model.mode: frozen")
        if hp.refit and self.task == "multi-label" and hp.thresholds.tuned_on == "dev":
            raise ValueError(
                "training.refit fits on dev too, so dev cannot tune the thresholds: set "
                "training.thresholds.tuned_on: cross-validation"
            )
        return self


Extra = TypeVar("Extra", HeadlineExamples, HighlightExamples, None)


def _map_paths(cfg: TrainConfig, fn: Callable[[Path], Path]) -> TrainConfig:
    """The config with `fn` applied to every path in it."""
    d = cfg.data

    def f(p: Tables | None) -> Tables | None:
        return None if p is None else [fn(q) for q in p] if isinstance(p, list) else fn(p)

    data = d.model_copy(
        update={k: f(getattr(d, k)) for k in ("path", "ids", "train")}
        | {k: f(getattr(d, k)) for k in ("dev", "test") if not isinstance(getattr(d, k), Ratio)}
    )
    encoder = cfg.model.encoder.model_copy(update={"path": f(cfg.model.encoder.path)})

    def sources(extra: Extra) -> Extra:
        return extra and extra.model_copy(
            update={"sources": [src.model_copy(update={"path": fn(src.path)}) for src in extra.sources]}
        )

    return cfg.model_copy(
        update={
            "data": data,
            "headlines": sources(cfg.headlines),
            "highlights": sources(cfg.highlights),
            "model": cfg.model.model_copy(update={"encoder": encoder}),
            "output": fn(cfg.output),
            "cache": fn(cfg.cache),
        }
    )


def absolute_against(base: Path) -> Callable[[Path], Path]:
    """A recipe's path rule: a relative path is taken against `base` (the recipe file's folder)."""
    return lambda p: p if p.is_absolute() else (base / p).resolve()


def relative_to(base: Path) -> Callable[[Path], Path]:
    """The other way: an (absolute) path made relative to `base`, for a recipe written into `base`."""
    return lambda p: Path(os.path.relpath(p, base))


def resolve_paths(cfg: TrainConfig, base: Path) -> TrainConfig:
    """Every relative path in the config made absolute against `base` (the config file's folder)."""
    return _map_paths(cfg, absolute_against(base))


def relative_paths(cfg: TrainConfig, base: Path) -> TrainConfig:
    """Every (absolute) path in the config made relative to `base`: written into `base`, the config reads
    the same files wherever the tree is cloned or moved together (an artifact kept in git)."""
    return _map_paths(cfg, relative_to(base))


def load_train_config(path: str | Path) -> TrainConfig:
    path = Path(path)
    return resolve_paths(validate_yaml(path, TrainConfig), path.resolve().parent)
