"""`newsdesk train` and `newsdesk evaluate`: load, encode (cached), fit, evaluate, write the artifact."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from tqdm import tqdm

from service.artifacts import (
    ENCODER_DIR,
    MAIN_METRIC,
    MANIFEST,
    MODEL_CARD,
    RESIDUAL_TASK,
    RESOLVED_CONFIG,
    VOCAB,
    WEIGHTS,
    ArtifactLabel,
    Manifest,
    load_manifest,
)
from service.config import EncoderConfig, read_yaml
from service.errors import ConfigError
from service.heads import SentenceHead, head_bytes, load_head
from service.sentence_scorer import SENTENCE_FEATURES, lexical_view
from service.trained_tagger import TopicModel, load_topic_model
from training import plots
from training.artifact import Promotion, check_free, check_writable, library_versions, promote, write_new
from training.card import model_card, rebuild_command
from training.config import TrainConfig, load_train_config, relative_paths
from training.data import (
    DataError,
    Dataset,
    Example,
    check_row_labels,
    check_unique_ids,
    keep_labels,
    load_dataset,
    read_table,
    select_split,
    to_examples,
)
from training.finetune import TrainableEncoder, encoded_features, finetune, pick_device
from training.headlines import fingerprint, headline_items, load_headline_examples
from training.highlights import highlight_items, load_highlight_examples
from training.loop import Progress
from training.metrics import Rouge, label_metrics
from training.residual import load_recipe, train_residual
from training.summary import (
    best_length_exponent,
    fit,
    fit_tfidf,
    items,
    lead_rouge,
    new_head,
    rouge2_by_exponent,
    rouge_at,
)
from training.topics import (
    SplitFeatures,
    cross_validated_logits,
    decide,
    features,
    fit_head,
    fit_linear,
    gold_matrix,
    logits,
    new_model,
    refit_linear,
    tune_thresholds,
    tune_thresholds_on,
)
from training.vectors import VectorCache, encode_examples, engine_for

ROUGE_LENGTHS = (1, 2, 3, 4, 5, 6, 8)  # sentences, for the summariser's ROUGE-by-length plot


@dataclass
class Trained:
    weights: bytes
    model: dict
    metrics: dict
    plots: dict[str, bytes]
    vocab: str | None = None
    encoder: TrainableEncoder | None = None
    extra_tables: dict[str, dict[str, dict]] = field(default_factory=dict)


@dataclass
class TrainResult:
    path: Path
    promotion: Promotion | None


def _epochs(progress: Iterator[Progress], total: int, desc: str) -> list[Progress]:
    """The epochs, on a progress bar on a terminal, else one line each on stderr (a log of an hour's
    fine-tuning otherwise stays empty until the end)."""
    history = []
    t0 = time.perf_counter()
    with tqdm(total=total, desc=desc, unit="epoch", disable=None, leave=False) as bar:
        for p in progress:
            history.append(p)
            shown = {} if p.loss is None else {"loss": f"{p.loss:.4f}"}  # liblinear reports no loss
            shown |= {"dev": f"{p.dev_score:.4f}", "best": f"{p.best_score:.4f}"}
            bar.set_postfix(shown)
            bar.update(1)
            if bar.disable:
                print(
                    f"{desc}: epoch {p.epoch}/{total}, {', '.join(f'{k} {v}' for k, v in shown.items())} "
                    f"(epoch {p.best_epoch}), {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr, flush=True,
                )
    return history


# -- topics ---------------------------------------------------------------------------------------------
def _topic_metrics(model: TopicModel, data: SplitFeatures, codes: list[str]) -> tuple[dict, np.ndarray]:
    pred = decide(model, logits(model, data), model.at_least_one)
    return label_metrics(data.gold, pred, codes, multi_label=model.multi_label), pred


def train_topics(cfg: TrainConfig, ds: Dataset, docs: dict, encoder_path: Path, fingerprint: str) -> Trained:
    codes = [lb.code for lb in ds.taxonomy]
    dim = docs["train"][0].vectors.shape[1]
    model = new_model(cfg, docs["train"], len(codes), dim)
    feats = {s: features(model, docs[s], gold_matrix(ds.splits[s], codes)) for s in docs}
    fit, rounds = (
        (fit_linear, len(cfg.training.c_grid))
        if cfg.training.solver == "liblinear"
        else (fit_head, cfg.training.epochs)
    )
    history = _epochs(fit(model, feats["train"], feats["dev"], cfg), rounds, "head")
    hp = cfg.training
    c = hp.c_grid[history[-1].best_epoch - 1] if hp.solver == "liblinear" else None  # the C dev picked
    encoder = None
    if cfg.model.mode == "finetune":
        encoder = TrainableEncoder(encoder_path, cfg.model.encoder.max_tokens)
        device = pick_device(cfg.training.device)
        history += _epochs(
            finetune(model, encoder, docs["train"], feats["train"], docs["dev"], feats["dev"], cfg, device),
            cfg.training.epochs,
            f"fine-tune ({device})",
        )
        for s in ("dev", "test"):
            feats[s] = encoded_features(model, encoder, docs[s], feats[s], hp.pass_tokens)
    fitted_on = [feats["train"]] + ([feats["dev"]] if hp.refit else [])
    tuning: dict = {}
    metrics: dict = {}
    if model.multi_label and hp.thresholds.tuned_on == "cross-validation":
        assert c is not None  # the config allows cross-validation with liblinear only
        raw, gold = cross_validated_logits(model, fitted_on, c, cfg)
        tuning, metrics["cross_validation"] = tune_thresholds_on(model, raw, gold, hp.thresholds.min_support)
    elif model.multi_label:
        tuning, _ = tune_thresholds(model, feats["dev"], hp.thresholds.min_support)
    if hp.refit:
        assert c is not None  # the config allows refit with liblinear only
        refit_linear(model, fitted_on, c, cfg)
    test, pred = _topic_metrics(model, feats["test"], codes)
    if not hp.refit:  # a refitted head has seen dev
        dev, _ = _topic_metrics(model, feats["dev"], codes)
        metrics["dev"] = {k: v for k, v in dev.items() if k != "per_label"}
    main = MAIN_METRIC[cfg.task]
    pngs = {"training.png": plots.training_curve(history, main)}
    if model.multi_label:
        pngs["per_label_f1.png"] = plots.per_label_f1(test["per_label"])
    else:
        pngs["confusion_matrix.png"] = plots.confusion_matrix(feats["test"].gold, pred, codes)
    meta = {
        "head": model.head.shape,
        "views": model.views,
        "lead": model.lead,
        "at_least_one": model.at_least_one,
        "encoder_fingerprint": fingerprint,
        "thresholds": {**tuning, "tuned_on": hp.thresholds.tuned_on} if tuning else {},
        "c": c,
        "refit_on_dev": hp.refit,
        "epochs_run": len(history),
        "best_dev": max(p.best_score for p in history),
    }
    return Trained(
        weights=head_bytes(model.head),
        model=meta,
        metrics={**test, **metrics},
        plots=pngs,
        vocab=model.tfidf.to_json() if model.tfidf else None,
        encoder=encoder,
    )


# -- summaries ------------------------------------------------------------------------------------------
HEADLINES = "headlines"  # the articles of `headlines.sources` (Dataset.extra, and encoded beside the splits)
HIGHLIGHTS = "highlights"  # and of `highlights.sources`


def train_summary(cfg: TrainConfig, ds: Dataset, docs: dict, encoder_path: Path, fingerprint: str) -> Trained:
    tfidf = fit_tfidf(docs["train"], cfg)
    data = {s: items(docs[s], ds.splits[s], tfidf) for s in ds.splits}
    extra: list = []
    if cfg.headlines is not None:
        own = docs["train"] if cfg.headlines.train_split else []
        extra, left_out = headline_items([*docs.get(HEADLINES, []), *own], cfg.headlines, tfidf)
        ds.notes.append(
            f"headlines: {len(extra)} articles teach the scorer, weight {cfg.headlines.weight}; {left_out} "
            f"without a headline or under {cfg.headlines.min_sentences} body sentences left out"
        )
    if cfg.highlights is not None:
        taught, left_out = highlight_items(docs[HIGHLIGHTS], ds.extra[HIGHLIGHTS], cfg.highlights, tfidf)
        extra += taught
        ds.notes.append(
            f"highlights: {len(taught)} articles teach the scorer, weight {cfg.highlights.weight}; "
            f"{left_out} under {cfg.highlights.min_sentences} body sentences left out"
        )
    rouge = Rouge()
    runs = []
    for seed in range(cfg.seed, cfg.seed + cfg.summary.restarts):
        run_cfg = cfg.model_copy(update={"seed": seed})
        head = new_head(data["train"], run_cfg)
        history = _epochs(fit(head, data["train"] + extra, data["dev"], run_cfg, rouge), cfg.training.epochs,
                          f"scorer (seed {seed})")
        runs.append((max(p.best_score for p in history), seed, head, history))
    best_dev, seed, head, history = max(runs, key=lambda r: (r[0], -r[1]))  # ties: the first seed
    mean = cfg.summary.restarts > 1 and cfg.summary.combine == "mean"
    if mean:
        head = SentenceHead.ensemble([h for _, _, h, _ in runs])
    n = cfg.summary.sentences
    dev_by_exponent = rouge2_by_exponent(head, data["dev"], n, rouge)
    a = best_length_exponent(dev_by_exponent)
    if mean:
        best_dev = dev_by_exponent[a]
    if cfg.summary.restarts > 1:
        kept = f"their mean scores {best_dev:.2f}" if mean else f"kept seed {seed}"
        ds.notes.append(f"{cfg.summary.restarts} restarts, dev ROUGE-2 of each seed: "
                        + ", ".join(f"{s} {d:.2f}" for d, s, _, _ in runs) + f"; {kept}")
    test = {**rouge_at(head, data["test"], n, rouge, a), "n": len(data["test"])}
    dev = {**rouge_at(head, data["dev"], n, rouge, a), "n": len(data["dev"])}
    at_ref = rouge_at(head, data["test"], None, rouge, a)
    tables = {
        "Test, beside Lead-k": {
            f"learned, {n} sentences": test,
            f"lead-{n}": lead_rouge(data["test"], n, rouge),
            "learned, reference length": at_ref,
            "lead, reference length": lead_rouge(data["test"], None, rouge),
        }
    }
    learned = [rouge_at(head, data["test"], k, rouge, a)["rouge2"] for k in ROUGE_LENGTHS]
    lead = [lead_rouge(data["test"], k, rouge)["rouge2"] for k in ROUGE_LENGTHS]
    pngs = {
        "training.png": plots.training_curve(history, "rouge2"),
        "rouge_by_length.png": plots.rouge_by_length(ROUGE_LENGTHS, learned, lead, "rouge2"),
    }
    positives = float(np.mean(np.concatenate([it.positive for it in data["train"]])))
    meta = {
        "head": head.shape,
        "features": list(SENTENCE_FEATURES),
        "lexical": "corpus" if tfidf is not None else "article",
        "encoder_fingerprint": fingerprint,
        "sentences": n,
        "length_exponent": a,
        "train_positive_rate": round(positives, 4),
        "epochs_run": len(history),
        "best_dev": best_dev,
        "seed": seed,
    }
    return Trained(
        weights=head_bytes(head),
        model=meta,
        metrics={**test, "at_reference_length": at_ref, "dev": dev},
        plots=pngs,
        vocab=tfidf.to_json() if tfidf is not None else None,
        extra_tables=tables,
    )


TASKS = {"multi-class": train_topics, "multi-label": train_topics, "extractive-summary": train_summary}


# -- train ----------------------------------------------------------------------------------------------
def _is_residual_recipe(config_path: Path) -> bool:
    """A recipe for a head on the zero-shot tagger (training/residual.py), not a TrainConfig."""
    raw = read_yaml(Path(config_path))
    return isinstance(raw, dict) and raw.get("task") == RESIDUAL_TASK


def _files(cfg: TrainConfig, version: str, ds: Dataset, trained: Trained, rebuild: str) -> dict[str, bytes]:
    """The artifact's files, rendered in memory, as version `version`."""
    cfg = cfg.model_copy(update={"version": version})
    folder = f"{cfg.name}-{version}"
    files = {
        WEIGHTS: trained.weights,
        **trained.plots,
        # Paths relative to the artifact's folder: it evaluates from any clone of a tree that holds it.
        RESOLVED_CONFIG: yaml.safe_dump(
            relative_paths(cfg, cfg.output / folder).model_dump(mode="json"), sort_keys=False
        ).encode(),
    }
    if trained.vocab is not None:
        files[VOCAB] = trained.vocab.encode()
    names = sorted([*files, MANIFEST, MODEL_CARD] + ([ENCODER_DIR] if trained.encoder else []))
    manifest = Manifest(
        name=cfg.name,
        version=version,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        task=cfg.task,
        base_encoder=cfg.model.encoder.package or str(cfg.model.encoder.path),
        encoder_finetuned=trained.encoder is not None,
        taxonomy=ds.taxonomy,
        data_fingerprint=ds.fingerprint,
        metrics=trained.metrics,
        main_metric=MAIN_METRIC[cfg.task],
        model=trained.model,
        files=names,
        versions=library_versions(),
    )
    sizes = {s: len(rows) for s, rows in ds.splits.items()}
    files[MODEL_CARD] = model_card(
        manifest, sizes, ds.notes, sorted(trained.plots), trained.extra_tables, rebuild
    ).encode()
    files[MANIFEST] = manifest.model_dump_json(indent=2).encode()
    return files


def train(config_path: Path, out: Path | None = None, promote_it: bool = False) -> TrainResult:
    if _is_residual_recipe(config_path):
        return TrainResult(*train_residual(Path(config_path), out, promote_it))
    t0 = time.perf_counter()
    cfg = load_train_config(config_path)
    if out is not None:
        cfg = cfg.model_copy(update={"output": out.resolve()})
    # without a version, one is picked as it is written
    check_free(cfg.output, f"{cfg.name}-{cfg.version}" if cfg.version else None, promote_it)
    check_writable(cfg.cache, "cache")
    ds = load_dataset(cfg)  # every data problem surfaces here, before any encoding or writing
    if cfg.headlines and cfg.headlines.sources:
        ds.extra[HEADLINES] = load_headline_examples(cfg.headlines)
    if cfg.highlights:
        ds.extra[HIGHLIGHTS] = load_highlight_examples(cfg.highlights)
    engine = engine_for(cfg.model.encoder)
    cache = VectorCache(cfg.cache, engine)
    docs = {s: encode_examples(engine, rows, cache, s) for s, rows in ds.splits.items()}
    for key, rows in ds.extra.items():
        docs[key] = encode_examples(engine, rows, cache, key)
        ds.notes.append(f"{key}: {len(rows)} articles, fingerprint {fingerprint(rows)}")
    t_encoded = time.perf_counter()
    trained = TASKS[cfg.task](cfg, ds, docs, engine.encoder.path, engine.encoder.fingerprint)
    t_trained = time.perf_counter()
    trained.model["wall_seconds"] = {
        "load_and_encode": round(t_encoded - t0, 1),
        "fit_and_evaluate": round(t_trained - t_encoded, 1),
    }
    rebuild = rebuild_command(config_path, out, promote_it)
    encoder = trained.encoder
    path = write_new(
        cfg.output, cfg.name, cfg.version, lambda version: _files(cfg, version, ds, trained, rebuild),
        None if encoder is None else lambda tmp: encoder.save(tmp / ENCODER_DIR),
    )
    return TrainResult(path, promote(cfg.output, path.name) if promote_it else None)


# -- evaluate -------------------------------------------------------------------------------------------
def _eval_examples(cfg: TrainConfig, data: Path, split: str, taxonomy: list[ArtifactLabel]) -> list[Example]:
    notes: list[str] = []
    examples = to_examples(read_table(data, cfg.data.format), cfg, data, notes)
    if cfg.data.fields.id:  # as train does: a repeated article would count twice
        check_unique_ids(examples)
    examples = select_split(cfg, examples, split)
    if not examples:
        raise DataError(f"{data}: no row to evaluate in the {split} split")
    if cfg.task == "extractive-summary":
        return examples
    known = {lb.code for lb in taxonomy}
    if (cfg.taxonomy is not None and cfg.taxonomy.from_data) or cfg.data.other_labels == "skip":
        keep_labels({split: examples}, known)  # as training left its rows out
    for ex in examples:
        check_row_labels(ex, known, cfg, "the artifact's taxonomy")
    if not examples:
        raise DataError(f"{data}: no row to evaluate in the {split} split")
    return examples


def evaluate(target: Path, data: Path, split: str = "test") -> dict:
    """Metrics of an artifact (or of the active artifact of a training config's output folder) on `data`."""
    if target.is_file():
        recipe = load_recipe(target) if _is_residual_recipe(target) else load_train_config(target)
        target = recipe.output
    folder, manifest = load_manifest(target)
    if manifest.task == RESIDUAL_TASK:
        raise ConfigError(
            f"{folder}: a {RESIDUAL_TASK} head is measured by `newsdesk train` on its recipe's sources (its "
            "README.md); to measure it on other data, name it in an engine config's tagger and run "
            "`newsdesk score --config` over the data"
        )
    cfg = load_train_config(folder / RESOLVED_CONFIG)
    encoder_cfg = cfg.model.encoder
    if manifest.encoder_finetuned:
        encoder_cfg = EncoderConfig(
            package=None,
            path=folder / ENCODER_DIR,
            max_tokens=encoder_cfg.max_tokens,
            batch_size=encoder_cfg.batch_size,
        )
    examples = _eval_examples(cfg, data, split, manifest.taxonomy)
    engine = engine_for(encoder_cfg)
    if not manifest.encoder_finetuned and engine.encoder.fingerprint != manifest.model.get(
        "encoder_fingerprint"
    ):
        raise DataError(
            f"{folder}: trained on another encoder's vectors than {encoder_cfg.package or encoder_cfg.path}"
        )
    docs = encode_examples(engine, examples, VectorCache(cfg.cache, engine), split)
    if manifest.task == "extractive-summary":
        head = load_head("sentence", manifest.model["head"], folder / WEIGHTS)
        assert isinstance(head, SentenceHead)
        data_items = items(docs, examples, lexical_view(folder, manifest))
        rouge = Rouge()
        n = int(manifest.model["sentences"])
        a = float(manifest.model.get("length_exponent", 0.0))
        return {
            **rouge_at(head, data_items, n, rouge, a),
            "sentences": n,
            "n": len(data_items),
            "at_reference_length": rouge_at(head, data_items, None, rouge, a),
        }
    model = load_topic_model(folder, manifest)
    codes = [lb.code for lb in manifest.taxonomy]
    metrics, _ = _topic_metrics(model, features(model, docs, gold_matrix(examples, codes)), codes)
    return metrics
