"""A head trained on top of the zero-shot tagger: `newsdesk train configs/train/iptc-default.yaml`.

For the labels its training data covered, a label's logit is the zero-shot calibrated logit plus a linear
correction read from the article's dense views; every other label keeps its zero-shot logit, so topics
without training data stay reachable through their descriptions. A head may also have learned one factor
for every zero-shot logit (1 where it did not). Probabilities come from a calibration of those logits
fitted on dev. The head is tied to the descriptions and settings it was trained against
(`zero_shot_fingerprint`): changing them without retraining is refused.
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

from service.artifacts import WEIGHTS, Manifest, load_manifest
from service.config import CalibrationConfig, TaggerConfig
from service.errors import ConfigError
from service.features import EncodedText, article_views
from service.schemas import ModelInfo
from service.tagger import calibrated_logits, sigmoid
from service.taxonomy import Label

RESIDUAL_TASK = "zero-shot-residual"


def zero_shot_fingerprint(labels: list[Label], cfg: TaggerConfig, encoder_fingerprint: str) -> str:
    """What the zero-shot logits a head corrects depend on: the labels' descriptions, how they are scored
    and calibrated, and the encoder."""
    what = {
        "labels": [[lb.code, lb.prompts()] for lb in labels],
        "top_k": cfg.top_k_descriptions,
        "pooling": cfg.pooling,
        "calibration": cfg.calibration.model_dump(),
        "encoder": encoder_fingerprint,
    }
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

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(name=self.manifest.name, version=self.manifest.version)

    @classmethod
    def load(cls, path: Path, codes: list[str], fingerprint: str, field: str = "tagger.head") -> ResidualHead:
        folder, manifest = load_manifest(path)
        if manifest.task != RESIDUAL_TASK:
            raise ConfigError(f"{field}: {folder} is a {manifest.task} model, not a {RESIDUAL_TASK} head")
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
        return cls(manifest, weight, bias, covered, scale, list(m["views"]), int(m["lead"]),
                   CalibrationConfig.model_validate(m["calibration"]))

    def offsets(self, doc: EncodedText) -> np.ndarray:
        """The correction to each label's zero-shot logit (zero for labels without training data)."""
        x = article_views(torch.from_numpy(doc.vectors), doc.plan(self.lead), self.views).numpy()
        return np.where(self.covered, x @ self.weight + self.bias, 0.0).astype(np.float32)

    def probabilities(self, zero_shot_logits: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        return sigmoid(calibrated_logits(self.calibration, self.scale * zero_shot_logits + offsets))
