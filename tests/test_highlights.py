"""Story highlights for the summariser (training/highlights.py, `highlights:` in a recipe)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from train_fixtures import RATE_STORY as BODY
from train_fixtures import articles, summariser_card, write_jsonl, write_recipe

from service.errors import ConfigError
from service.features import EncodedText
from service.text import Sentence
from training.config import HighlightExamples, load_train_config
from training.data import DataError
from training.highlights import best_sentences, highlight_items, load_highlight_examples

HIGHLIGHTS = [
    "Central bank lifts rates by half a point to fight inflation",
    "Lenders to pass the higher rates on to mortgage borrowers",
]


def _doc() -> EncodedText:
    sentences = [Sentence(i, 0, len(t), t, paragraph=i, words=len(t.split())) for i, t in enumerate(BODY)]
    vectors = np.random.default_rng(0).normal(size=(len(BODY), 8)).astype(np.float32)
    return EncodedText(sentences, vectors)


def _cfg(**changes) -> HighlightExamples:
    fields = {"text": ["text"], "summary": "highlights"}
    return HighlightExamples(sources=[{"path": "x.jsonl", "fields": fields}], **changes)


def test_each_highlight_marks_the_sentence_that_says_most_of_it():
    assert best_sentences(HIGHLIGHTS, BODY).tolist() == [0, 1, 0, 1, 0, 0]
    assert best_sentences(["Zebras yawn quietly"], BODY).sum() == 0


def test_items_keep_the_title_and_weigh_what_the_recipe_says():
    from training.data import Example

    ex = Example(id="1", title=None, text=" ".join(BODY), summary="\n".join(HIGHLIGHTS))
    (item,), left_out = highlight_items([_doc()], [ex], _cfg(weight=2.0, min_sentences=6), None)
    assert left_out == 0 and item.weight == 2.0 and item.reference == HIGHLIGHTS
    assert [BODY[i] for i, p in zip(item.body, item.positive, strict=True) if p] == [BODY[1], BODY[3]]
    assert highlight_items([_doc()], [ex], _cfg(min_sentences=7), None) == ([], 1)


def test_highlights_are_read_as_a_list_or_as_lines(tmp_path):
    rows = [{"id": "a", "text": "One. Two.", "highlights": ["First point", " Second point "]},
            {"id": "b", "text": "Three.", "highlights": "Third point\nFourth point"},
            {"id": "c", "text": "", "highlights": ["no text: left out"]}]
    path = write_jsonl(tmp_path / "h.jsonl", rows)
    cfg = HighlightExamples(sources=[{"path": path, "fields": {"text": "text", "summary": "highlights"}}])
    got = load_highlight_examples(cfg)
    assert [(e.id, e.summary) for e in got] == [("a", "First point\nSecond point"),
                                                ("b", "Third point\nFourth point")]


def test_a_row_without_highlights_is_an_error_naming_it(tmp_path):
    path = write_jsonl(tmp_path / "h.jsonl", [{"id": "a", "text": "One.", "highlights": ["x"]},
                                              {"id": "b", "text": "Two.", "highlights": []}])
    cfg = HighlightExamples(sources=[{"path": path, "fields": {"text": "text", "summary": "highlights"}}])
    with pytest.raises(DataError, match=r"h\.jsonl row 2: no summary in 'highlights' \(highlights\.sources"):
        load_highlight_examples(cfg)


@pytest.mark.parametrize(
    ("task", "highlights"),
    [("multi-class", {"sources": [{"path": "h.jsonl", "fields": {"text": "body", "summary": "s"}}]}),
     ("extractive-summary", {"sources": [{"path": "h.jsonl", "fields": {"text": "body"}}]}),
     ("extractive-summary", {"weight": 0.5})],
    ids=["a topic task", "no highlights field", "no source"],
)
def test_highlights_config_errors_name_the_problem(tmp_path, vector_cache, task, highlights):
    recipe = write_recipe(tmp_path, task, cache=str(vector_cache), highlights=highlights)
    with pytest.raises(ConfigError, match="highlights"):
        load_train_config(recipe)


def test_a_recipe_learns_from_highlights_too(tmp_path, capsys, vector_cache):
    rows = articles(4, seed=7)
    for r in rows:  # the first sentence, said again in other words
        r["highlights"] = [" ".join(r["body"].split(".")[0].split()[:6])]
    write_jsonl(tmp_path / "highlights.jsonl", rows)
    source = {"path": "highlights.jsonl", "fields": {"id": "id", "title": "title", "text": "body",
                                                     "summary": "highlights"}}
    recipe = write_recipe(tmp_path, "extractive-summary", cache=str(vector_cache),
                          highlights={"sources": [source], "weight": 2.0, "min_sentences": 3})
    card = summariser_card(recipe, capsys)
    assert "- highlights: 12 articles, fingerprint " in card, card
    taught = re.search(r"- highlights: (\d+) articles teach the scorer, weight 2.0; (\d+) under 3", card)
    assert taught and int(taught[1]) >= 8 and int(taught[1]) + int(taught[2]) == 12, card

