"""`tagger.offsets`: a per-topic prior added to the zero-shot similarity scores."""

from __future__ import annotations

import numpy as np
import pytest

from service.config import CalibrationConfig, TaggerConfig, load_engine_config
from service.errors import ConfigError
from service.settings import DEFAULT_CONFIG
from service.tagger import ZeroShotTagger, offset_vector
from service.taxonomy import Label, load_taxonomy
from service.zero_shot_head import zero_shot_fingerprint

LABELS = [Label(code=c, name=c) for c in ("a", "b", "c")]


def _tagger(offsets: np.ndarray | None = None) -> ZeroShotTagger:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(6, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return ZeroShotTagger(LABELS, vectors, [2, 2, 2], CalibrationConfig(), top_k=1, offsets=offsets)


def test_offsets_add_to_every_texts_scores_and_can_change_the_top_label():
    texts = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    texts /= np.linalg.norm(texts, axis=1, keepdims=True)
    plain = _tagger().text_scores(texts)  # cosines, within [-1, 1]
    off = np.array([0.0, 2.0, -2.0], np.float32)
    shifted = _tagger(off).text_scores(texts)
    assert np.allclose(shifted, plain + off)
    assert (shifted.argmax(1) == 1).all() and not (plain.argmax(1) == 1).all()
    # a description scored without itself gets its label's offset too (the heads learn from those scores)
    assert np.allclose(_tagger(off).text_scores(texts, np.array([0, -1, 3, -1, 5])),
                       _tagger().text_scores(texts, np.array([0, -1, 3, -1, 5])) + off)


def test_offsets_must_be_one_per_label():
    with pytest.raises(ValueError, match="3 labels need as many offsets"):
        _tagger(np.zeros(2, np.float32))


def test_offset_vector_follows_the_labels_order_and_refuses_unknown_codes():
    assert offset_vector(LABELS, {"c": 0.02, "a": -0.01}).tolist() == pytest.approx([-0.01, 0.0, 0.02])
    with pytest.raises(ConfigError, match="tagger.offsets: medtop:99000000 is not a top-level label"):
        offset_vector(LABELS, {"medtop:99000000": 0.1})


def test_offsets_are_part_of_what_a_head_is_tied_to():
    cfg = load_engine_config(DEFAULT_CONFIG).tagger
    top = load_taxonomy(cfg.taxonomy).top_level()
    without = cfg.model_copy(update={"offsets": {}})
    nudged = {**cfg.offsets, top[0].code: cfg.offsets.get(top[0].code, 0.0) + 0.01}
    moved = cfg.model_copy(update={"offsets": nudged})
    prints = {zero_shot_fingerprint(top, c, "enc") for c in (cfg, without, moved)}
    assert len(prints) == 3


def test_shipped_offsets_name_top_level_topics_and_stay_small():
    cfg = load_engine_config(DEFAULT_CONFIG).tagger
    off = offset_vector(load_taxonomy(cfg.taxonomy).top_level(), cfg.offsets)
    assert len(cfg.offsets) == 17 and np.abs(off).max() < 0.1 and abs(off.mean()) < 1e-3


def test_offsets_out_of_range_are_refused():
    with pytest.raises(ValueError, match="offsets"):
        TaggerConfig(taxonomy="x.yaml", offsets={"a": 0.5})
