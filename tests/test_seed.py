"""What the seed article (Iraq and the US-led Coalition forge a security partnership) must yield
with the default config, as a user sees it in the response."""

from __future__ import annotations

import pytest

from service.schemas import AnalyzeRequest, AnalyzeResponse

CONFLICT = "medtop:16000000"
POLITICS = "medtop:11000000"


@pytest.fixture(scope="module")
def seed_response(analyzer, seed_text) -> AnalyzeResponse:
    return analyzer.analyze(AnalyzeRequest(text=seed_text))


def tag_codes(response: AnalyzeResponse) -> list[str]:
    return [t.code for t in response.tags]


def test_conflict_in_top_two(seed_response):
    assert CONFLICT in tag_codes(seed_response)[:2], seed_response.tags


def test_politics_in_top_three(seed_response):
    assert POLITICS in tag_codes(seed_response)[:3], seed_response.tags


def test_summary_is_three_sentences_that_slice_the_input(seed_response, seed_text):
    sentences = seed_response.summary.sentences
    # The shipped scorer's picks (models/summary-default): the lead (the spokesman's announcement of the
    # committees' meeting), the joint commission and its mission, then the joint statement (a quote, so not
    # first); a scorer trained otherwise may pick others.
    picks = [(s.index, s.start, s.end) for s in sentences]
    assert picks == [(1, 53, 355), (2, 356, 550), (8, 1441, 1851)]
    for s in sentences:
        assert seed_text[s.start : s.end] == s.text
    assert sentences[0].text.startswith("Shafaq News/ On Tuesday, the spokesman for the Iraqi")
    assert seed_response.summary.text == " ".join(s.text for s in sentences)


@pytest.mark.parametrize(("text", "kind"), [("Iraq", "GPE"), ("ISIS", "ORG"), ("Baghdad", "GPE")])
def test_entities(seed_response, text, kind):
    found = {(e.text, e.type) for e in seed_response.entities}
    assert (text, kind) in found, sorted(found)
