"""Headlines as short highlights for the summariser (training/headlines.py, `headlines:` in a recipe)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from train_fixtures import RATE_STORY as BODY
from train_fixtures import articles, summariser_card, write_jsonl, write_recipe

from service.errors import ConfigError
from service.features import EncodedText
from service.text import Sentence
from training.config import HeadlineExamples, load_train_config
from training.headlines import headline_items

HEADLINE = "Central bank raises interest rates to fight inflation"


def _doc(with_headline_line: bool) -> EncodedText:
    texts = ([HEADLINE] if with_headline_line else []) + BODY
    sentences = [
        Sentence(i, 0, len(t), t, paragraph=i, role="headline" if with_headline_line and i == 0 else "body",
                 words=len(t.split()))
        for i, t in enumerate(texts)
    ]
    vectors = np.random.default_rng(0).normal(size=(len(texts) + (0 if with_headline_line else 1), 8))
    title = None if with_headline_line else HEADLINE
    return EncodedText(sentences, vectors.astype(np.float32), title)


@pytest.mark.parametrize("with_headline_line", [False, True], ids=["title", "headline line"])
def test_the_sentence_that_covers_the_headline_is_the_positive_and_the_headline_is_hidden(with_headline_line):
    cfg = HeadlineExamples(sources=[{"path": "x.jsonl", "fields": {"text": ["body"]}}], weight=0.5,
                           min_sentences=6)
    (item,), left_out = headline_items([_doc(with_headline_line)], cfg, None)
    assert left_out == 0 and item.weight == 0.5
    positives = [item.doc.sentences[i].text for i, p in zip(item.body, item.positive, strict=True) if p]
    assert positives == [BODY[1]]
    assert item.doc.title is None and len(item.body) == len(BODY)  # no title vector, no headline candidate
    assert not any(s.role == "headline" for s in item.doc.sentences)


def test_short_articles_and_articles_without_a_headline_are_left_out():
    cfg = HeadlineExamples(sources=[{"path": "x.jsonl", "fields": {"text": ["body"]}}], min_sentences=7)
    assert headline_items([_doc(False)], cfg, None) == ([], 1)
    untitled = _doc(False)
    untitled = EncodedText(untitled.sentences, untitled.vectors[: len(BODY)], None)
    cfg = HeadlineExamples(sources=[{"path": "x.jsonl", "fields": {"text": ["body"]}}], min_sentences=1)
    assert headline_items([untitled], cfg, None) == ([], 1)


def test_a_recipe_learns_from_headlines_too(tmp_path, capsys, vector_cache):
    write_jsonl(tmp_path / "headlines.jsonl", articles(4, seed=7))
    fields = {"id": "id", "title": "title", "text": "body"}
    source = {"path": "headlines.jsonl", "fields": fields}
    headlines = {"sources": [source], "train_split": True, "weight": 0.3, "min_sentences": 3}
    recipe = write_recipe(tmp_path, "extractive-summary", cache=str(vector_cache), headlines=headlines)
    card = summariser_card(recipe, capsys)
    assert "- headlines: 12 articles, fingerprint " in card, card
    taught = re.search(r"- headlines: (\d+) articles teach the scorer, weight 0.3; (\d+) without", card)
    # the 12 of the source and the recipe's 18 train articles; none of dev or test
    assert taught and int(taught[1]) >= 20 and int(taught[1]) + int(taught[2]) == 12 + 18, card


@pytest.mark.parametrize(
    ("task", "headlines"),
    [("multi-class", {"sources": [{"path": "h.jsonl", "fields": {"text": "body"}}]}),
     ("extractive-summary", {"weight": 0.5})],
    ids=["a topic task", "no articles named"],
)
def test_headlines_config_errors_name_the_problem(tmp_path, vector_cache, task, headlines):
    recipe = write_recipe(tmp_path, task, cache=str(vector_cache), headlines=headlines)
    with pytest.raises(ConfigError, match="headlines"):
        load_train_config(recipe)
