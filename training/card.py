"""The model card: README.md of an artifact, with the evaluation table and how to use it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from service.artifacts import Manifest
from service.settings import PROJECT_ROOT

_SHOWN = (
    "accuracy", "accuracy_without_group", "zero_shot_accuracy", "outside_group_accuracy",
    "group_topics_accuracy", "snippet_accuracy", "ece", "ece_top", "snippet_ece", "snippet_ece_top",
    "micro_f1", "macro_f1",
    "rouge1", "rouge2", "rougeL", "n",
)


def _table(rows: dict[str, dict]) -> list[str]:
    cols = [c for c in _SHOWN if any(c in r for r in rows.values())]
    out = ["| split | " + " | ".join(cols) + " |", "| --- |" + " --- |" * len(cols)]
    for name, r in rows.items():
        out.append(f"| {name} | " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    return out


def model_card(
    m: Manifest,
    split_sizes: dict[str, int],
    notes: Sequence[str],
    plots: Sequence[str],
    extra_tables: dict[str, dict[str, dict]],
    rebuild: str,
) -> str:
    rows = {"test": m.metrics, "dev": m.metrics.get("dev", {})}
    tuned_on = "dev"
    if "cross_validation" in m.metrics:  # thresholds tuned on out-of-fold logits (their figures, optimistic)
        rows["cross-validation"] = m.metrics["cross_validation"]
        tuned_on = "out-of-fold logits over the training rows"
    if m.model.get("refit_on_dev"):  # the head was fitted on dev too: no held-out dev figures
        del rows["dev"]
    c = m.model.get("c")  # liblinear: dev picked C from the grid; epochs are fine-tuning's or adam's
    chose = ([f"C = {c:g} (training.c_grid)"] if c is not None else []) + (
        ["the epoch"] if c is None or m.encoder_finetuned else []
    )
    lines = [
        f"# {m.name} {m.version}",
        "",
        f"A newsdesk **{m.task}** model, created {m.created} by `newsdesk train`. Base encoder: "
        f"`{m.base_encoder}` ({'fine-tuned, saved in `encoder/`' if m.encoder_finetuned else 'frozen'}).",
        "",
        "## Evaluation",
        "",
        f"Main metric: `{m.main_metric}`. Test figures come from the test split only; dev chose "
        + " and ".join(chose)
        + (f"; the decision thresholds were tuned on {tuned_on}." if m.task == "multi-label" else ".")
        + (" The head was then fitted again on train + dev." if m.model.get("refit_on_dev") else ""),
        "",
        *_table(rows),
    ]
    for title, table in extra_tables.items():
        lines += ["", f"### {title}", "", *_table(table)]
    per_label = m.metrics.get("per_label")
    if per_label:
        lines += [
            "",
            "### Per label (test)",
            "",
            "| label | precision | recall | F1 | support |",
            "| --- | --- | --- | --- | --- |",
        ]
        for code, v in sorted(per_label.items(), key=lambda kv: -kv[1]["support"]):
            lines.append(f"| {code} | {v['precision']} | {v['recall']} | {v['f1']} | {v['support']} |")
    lines += [
        "",
        "## Data",
        "",
        f"Fingerprint `{m.data_fingerprint}`; rows per split: "
        + ", ".join(f"{k} {v}" for k, v in split_sizes.items())
        + ".",
    ]
    lines += [f"- {n}" for n in notes]
    if m.taxonomy:
        lines += [
            "",
            f"## Taxonomy ({len(m.taxonomy)} labels)",
            "",
            ", ".join(f"`{lb.code}`" + (f" (IPTC {lb.iptc})" if lb.iptc else "") for lb in m.taxonomy),
        ]
    kind = "summarizer" if m.task == "extractive-summary" else "tagger"
    head = "  head: path/to/this/folder"
    short_head = "  short_head: path/to/this/folder  # items of at most short_max_sentences body sentences"
    usage = {
        "extractive-summary": ["summarizer:", "  artifact: path/to/this/folder"],
        "zero-shot-residual": ["tagger:", "  kind: zero-shot", "  taxonomy: <the taxonomy it was trained on>",
                               short_head if m.main_metric == "snippet_accuracy" else head],
    }.get(m.task, ["tagger:", "  kind: trained", "  artifact: path/to/this/folder"])
    lines += [
        "",
        "## Use",
        "",
        "In an engine config (relative paths resolve against that config's folder):",
        "",
        "```yaml",
        *usage,
        "```",
        "",
        "`POST /v1/analyze` then reports this artifact's name and version in `model`.",
    ]
    if kind == "tagger":
        lines += [{
            "multi-label": "Scores put each label's tuned decision point at 0.5.",
            "zero-shot-residual": "Scores are calibrated probabilities (one-vs-rest, fitted on dev); "
            + _uncorrected(m),
        }.get(m.task, "Scores are the softmax over the labels.")]
    lines += [
        "",
        "## Rebuild",
        "",
        "From the project root (the recipe names the data by path; the seed fixes initialisation and order):",
        "",
        "```",
        rebuild,
        "```",
    ]
    lines += ["", "## Versions", "", ", ".join(f"{k} {v}" for k, v in m.versions.items())]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _uncorrected(m: Manifest) -> str:
    """A zero-shot head corrects the labels its training covered; the others keep their zero-shot scores."""
    left = [lb.code for lb in m.taxonomy if lb.code not in set(m.model.get("covered", []))]
    if not left:
        return "the head corrects every label."
    return f"labels without training data keep their zero-shot scores: {', '.join(left)}."


def rebuild_command(config_path: Path, out: Path | None, promote_it: bool) -> str:
    """The `newsdesk train` command line that made an artifact, with paths inside the project relative."""

    def shown(p: Path) -> str:
        p = p.resolve()
        return str(p.relative_to(PROJECT_ROOT) if p.is_relative_to(PROJECT_ROOT) else p)

    return " ".join(
        ["newsdesk train", shown(config_path)]
        + (["--out", shown(out)] if out is not None else [])
        + (["--promote"] if promote_it else [])
    )
