"""Does the default IPTC tagger's head generalise beyond the data set it learned from? (issue 4)

The head of `configs/train/iptc-default.yaml` is fitted three times, exactly as `newsdesk train` does
(`training.residual`: train splits, dev picks the epoch and fits the calibration, the recipe's group
classifier learns from the same train splits) but on BBC only, on
Reuters only and on both (each with the recipe's description examples, when it has them), and each is
measured on both sources' test splits beside the zero-shot tagger alone (the same logits, no head):

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.generalisation

prints top-1 accuracy on the mapped top-level topics, ECE (10 bins; all 17 labels, and the top label
alone), and reachability: how many of `bench/tune_tagger.SNIPPETS` (three hand-written articles per
topic) are won by their own topic, and the seed article's best topic (conflict, by design). A head that
collapses onto the topics its data covers loses snippets of the others.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.tune_tagger import CONFLICT, SEED, SNIPPETS
from service.analyzer import Analyzer
from service.config import EngineConfig, load_engine_config
from service.settings import PROJECT_ROOT
from service.tagger import ZeroShotTagger, sigmoid
from service.taggers import ZeroShotArticleTagger
from service.taxonomy import load_taxonomy
from training.data import Example
from training.metrics import expected_calibration_error
from training.residual import (
    ResidualRecipe,
    Split,
    accuracy,
    description_examples,
    fit_head,
    load_recipe,
    load_source,
    split_of,
)
from training.vectors import VectorCache, encode_examples, engine_for

RECIPE = PROJECT_ROOT / "configs" / "train" / "iptc-default.yaml"


def zero_shot(cfg: EngineConfig) -> ZeroShotArticleTagger:
    """The tagger the head corrects (its top level): the engine config's, without its head."""
    cfg = cfg.model_copy(update={"tagger": cfg.tagger.without_heads()})
    return ZeroShotArticleTagger.from_engine(cfg, engine_for(cfg.encoder).encoder)


def snippets(recipe: ResidualRecipe, top: ZeroShotTagger, engine: Analyzer
             ) -> tuple[Split, list[tuple[str, str]]]:
    """The hand-written articles then the seed, through the engine's prepare/encode path; their topics and
    titles."""
    items = [(code, title, body) for code, v in SNIPPETS.items() for title, body in v]
    examples = [Example(f"snippet {i}", title, body) for i, (_, title, body) in enumerate(items)]
    examples.append(Example("seed", None, SEED.read_text(encoding="utf-8")))
    docs = encode_examples(engine, examples, VectorCache(recipe.cache, engine), "snippets")
    no_gold = np.zeros(0)
    return split_of(docs, no_gold, top, recipe.model), [(code, title) for code, title, _ in items]


Scorer = Callable[[Split], np.ndarray]  # articles' probabilities


def zero_shot_scores(s: Split) -> np.ndarray:
    return sigmoid(s.logits)  # the zero-shot logits are already calibrated


def head_scores(recipe: ResidualRecipe, sources: dict[str, dict[str, Split]], chosen: list[str],
                described: Split | None) -> tuple[Scorer, np.ndarray]:
    """A head fitted on the chosen sources (and the recipe's description examples) as `train_residual`
    fits it, and which labels it covers."""
    names = list(sources)  # in the recipe's order
    recipe = recipe.model_copy(update={"sources": [recipe.sources[names.index(n)] for n in chosen]})
    fitted, _, _ = fit_head(recipe, [sources[n] for n in chosen], described)
    return fitted.probabilities, fitted.model.covered.numpy().astype(bool)


def measure(probs: np.ndarray, gold: np.ndarray) -> str:
    best = (np.arange(len(probs)), probs.argmax(1))
    return (f"{accuracy(probs, gold):.3f} / {expected_calibration_error(probs, gold):.4f} / "
            f"{expected_calibration_error(probs[best], gold[best]):.4f}")


def main() -> None:
    recipe = load_recipe(RECIPE)
    engine_cfg = load_engine_config(recipe.engine)
    assert engine_cfg.tagger.taxonomy is not None
    tagger, engine = zero_shot(engine_cfg), engine_for(engine_cfg.encoder)
    top = tagger.tagger
    described = description_examples(tagger, recipe.model) if recipe.descriptions is not None else None
    taxonomy = load_taxonomy(engine_cfg.tagger.taxonomy)
    sources = {name: splits for name, _, splits in
               (load_source(s, taxonomy, top, recipe, engine.encoder.fingerprint) for s in recipe.sources)}
    snips, topics = snippets(recipe, top, engine)
    codes = [lb.code for lb in top.labels]
    names = {lb.code: lb.name for lb in top.labels}

    heads: dict[str, tuple[Scorer, np.ndarray | None]] = {"none (zero-shot)": (zero_shot_scores, None)}
    for label, chosen in {**{n: [n] for n in sources}, "both": list(sources)}.items():
        heads[label] = head_scores(recipe, sources, chosen, described)

    print("test cells: top-1 accuracy / ECE all labels / ECE top label\n")
    cols = ["head trained on", "covers", *(f"{n} test ({len(s['test'].gold)})" for n, s in sources.items()),
            "snippets won", "seed's top"]
    print("| " + " | ".join(cols) + " |\n" + "| --- " * len(cols) + "|")
    lost = {}
    for label, (score, covered) in heads.items():
        cells = [measure(score(s["test"]), s["test"].gold) for s in sources.values()]
        won = [codes[i] for i in score(snips).argmax(1)]
        lost[label] = [f"{names[c]} {t!r} -> {names[w]}" for (c, t), w in zip(topics, won[:-1], strict=True)
                       if c != w]
        covers = "-" if covered is None else ", ".join(names[c] for c, k in zip(codes, covered, strict=True)
                                                       if k)
        seed = names[won[-1]] + ("" if won[-1] == CONFLICT else " (not conflict)")
        print(f"| {label} | {covers} | " + " | ".join(cells)
              + f" | {len(topics) - len(lost[label])}/{len(topics)} | {seed} |")
    print("\nsnippets lost (own topic -> winner):")
    for label, misses in lost.items():
        print(f"  {label}: {'; '.join(misses) or 'none'}")


if __name__ == "__main__":
    main()
