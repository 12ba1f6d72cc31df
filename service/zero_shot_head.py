"""A head trained on top of the zero-shot tagger: `newsdesk train configs/train/iptc-default.yaml`.

For the labels its training data covered, a label's logit is the zero-shot calibrated logit plus a linear
correction read from the article's dense views; every other label keeps its zero-shot logit, so topics
without training data stay reachable through their descriptions. A head may also have learned one factor
for every zero-shot logit (1 where it did not). Probabilities come from a calibration of those logits
fitted on dev. A head may carry a group classifier too (`TopicGroup`): among the topics its data covers
well, a multi-class model over dense views and TF-IDF shares out the probability the head gives those
topics together; how much that is, against every other topic, the head alone decides. The head is tied to
the descriptions and settings it was trained against (`zero_shot_fingerprint`): changing them without
retraining is refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load_file

from service.artifacts import VOCAB, WEIGHTS, Manifest, load_manifest
from service.config import CalibrationConfig, TaggerConfig
from service.errors import ConfigError
from service.features import EncodedText, article_views
from service.schemas import ModelInfo
from service.tagger import calibrated_logits, sigmoid
from service.taxonomy import Label
from service.trained_tagger import TopicModel, read_topic_model

GROUP_WEIGHTS = "group.safetensors"  # beside the head's weights; its TF-IDF vocabulary is VOCAB


def resplit(p: np.ndarray, rows: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """`p` (labels on the last axis) with the probability of the labels `rows` together shared out among
    them as `shares` (each row of it sums to 1) says; every other label keeps its own. Only where that
    probability is at least 0.5: the group learned from articles of its own topics, and an article more
    likely about another topic (the seed: conflict first, then politics, with a little economy) is
    outside what it knows. The labels' probabilities are each their own (multi-label), so their sum can pass
    1: the group's probability is that sum, at most 1 (uncapped, a score reached 1.09)."""
    out = np.array(p, dtype=np.float32, copy=True)
    mass = np.minimum(p[..., rows].sum(-1, keepdims=True), 1.0)
    out[..., rows] = np.where(mass >= 0.5, mass * shares, p[..., rows])
    return out


@dataclass
class TopicGroup:
    """A multi-class model among some of the head's labels (`rows`, the ones its data covers well). It reads
    the same dense views as the head (same names, same lead) and its own TF-IDF row."""

    rows: np.ndarray  # label indices, in the model's output order
    model: TopicModel

    def shares(self, views: torch.Tensor, terms_text: str) -> np.ndarray:
        """Its softmax over its topics, from the article's dense views (the head's) and its text."""
        with torch.inference_mode():
            m = self.model
            return m.probabilities(m.head(views[None], m.sparse([terms_text])))[0].numpy()


@dataclass
class Correction:
    """What a head reads off one article: offsets to its zero-shot logits, and its group's shares."""

    offsets: np.ndarray
    shares: np.ndarray | None


def zero_shot_fingerprint(labels: list[Label], cfg: TaggerConfig, encoder_fingerprint: str) -> str:
    """What the zero-shot logits a head corrects depend on: the labels' descriptions, how they are scored
    (offsets too) and calibrated, and the encoder."""
    what = {
        "labels": [[lb.code, lb.prompts()] for lb in labels],
        "top_k": cfg.top_k_descriptions,
        "pooling": cfg.pooling,
        "calibration": cfg.calibration.model_dump(),
        "encoder": encoder_fingerprint,
    }
    if cfg.offsets:  # heads trained before offsets existed keep their fingerprint
        what["offsets"] = dict(sorted(cfg.offsets.items()))
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class ResidualHead:
    manifest: Manifest
    weight: np.ndarray  # (features, labels)
    bias: np.ndarray  # (labels,)
    covered: np.ndarray  # (labels,) bool: labels the training data had examples of
    scale: float  # multiplies every zero-shot logit
    views: list[str]
    lead: int
    calibration: CalibrationConfig
    group: TopicGroup | None = None

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(name=self.manifest.name, version=self.manifest.version)

    @classmethod
    def load(cls, path: Path, codes: list[str], fingerprint: str, field: str = "tagger.head") -> ResidualHead:
        folder, manifest = load_manifest(path, field)
        m = manifest.model
        if [lb.code for lb in manifest.taxonomy] != codes:
            raise ConfigError(f"{field}: {folder} was trained for other labels than the taxonomy's top "
                              "level")
        if m.get("zero_shot_fingerprint") != fingerprint:
            raise ConfigError(
                f"{field}: {folder} was trained against other descriptions, zero-shot settings or "
                "encoder than this config's; retrain it (see its README.md)"
            )
        try:
            w = load_file(str(folder / WEIGHTS))
            weight, bias, covered = w["weight"], w["bias"], w["covered"].astype(bool)
            scale = float(w["zero_shot_scale"][0]) if "zero_shot_scale" in w else 1.0  # older heads: none
        except (OSError, SafetensorError, KeyError) as e:
            raise ConfigError(f"{field}: {folder / WEIGHTS} is not a residual head's weights: {e}") from e
        if weight.shape[1] != len(codes) or bias.shape != (len(codes),) or covered.shape != (len(codes),):
            raise ConfigError(f"{field}: {folder / WEIGHTS} does not fit {len(codes)} labels")
        group = None
        if "group" in m:
            g = m["group"]
            try:
                model = read_topic_model(g, folder / GROUP_WEIGHTS, folder / VOCAB, multi_label=False)
                group = TopicGroup(np.array([codes.index(c) for c in g["codes"]]), model)
            except (OSError, SafetensorError, ValueError, KeyError, TypeError, ConfigError) as e:
                raise ConfigError(f"{field}: {folder}: its group classifier does not load: {e}") from e
            if len(group.rows) != model.head.shape["n_labels"]:
                n = len(group.rows)
                raise ConfigError(f"{field}: {folder}: its group classifier does not fit its {n} topics")
            if (model.views, model.lead) != (list(m["views"]), int(m["lead"])):
                raise ConfigError(f"{field}: {folder}: its group classifier reads other views than the head")
        return cls(manifest, weight, bias, covered, scale, list(m["views"]), int(m["lead"]),
                   CalibrationConfig.model_validate(m["calibration"]), group)

    def correction(self, doc: EncodedText) -> Correction:
        """The offsets to each label's zero-shot logit (zero for labels without training data), and the
        group's shares."""
        x = article_views(torch.from_numpy(doc.vectors), doc.plan(self.lead), self.views)
        offsets = np.where(self.covered, x.numpy() @ self.weight + self.bias, 0.0).astype(np.float32)
        return Correction(offsets, None if self.group is None else self.group.shares(x, doc.terms_text))

    def probabilities(self, zero_shot_logits: np.ndarray, correction: Correction) -> np.ndarray:
        p = sigmoid(calibrated_logits(self.calibration, self.scale * zero_shot_logits + correction.offsets))
        if self.group is None or correction.shares is None:
            return p
        return resplit(p, self.group.rows, correction.shares)
