"""`limits.max_chars` on web pages: it counts the text a page gives to read, not its markup (pages written
for these tests)."""

from __future__ import annotations

import json
import re

import pytest

from service.errors import TextTooLong
from service.schemas import AnalyzeOptions, AnalyzeRequest

BODY = [
    "The city council approved a new ferry route linking the old port with the northern islands on Tuesday.",
    "The route will cost about four million pounds a year and should carry its first passengers in spring.",
    "Harbour master Jane Ellis said the first boats would run twice a day from the old quay.",
    "Residents of the islands have campaigned for a direct link to the mainland for more than a decade.",
]
# What sites put in a page besides the story: 130 KB of inline CSS, 250 KB of a framework's JSON state.
STYLE = ("<style>" + "".join(f".c{i} {{ color: #{i % 999:03d}; margin: 0 auto }}\n" for i in range(3500))
         + "</style>")
STATE = ('<script id="__NEXT_DATA__" type="application/json">'
         + json.dumps({"related": [{"title": f"Lottery winner {i} collects jackpot in Tampa, Florida."}
                                   for i in range(4000)]}) + "</script>")


def _page(paragraphs: list[str]) -> str:
    return (f"<html><head><title>Ferry route approved</title>{STYLE}</head><body><article>"
            "<h1>Council approves island ferry route</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
            + f"</article>{STATE}</body></html>")


def _visible(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]*>", " ", markup).split())


@pytest.fixture
def limited(analyzer, monkeypatch):
    """The analyzer with `limits` changed for one test."""
    def set_limits(**changes) -> None:
        limits = analyzer.config.limits.model_copy(update=changes)
        monkeypatch.setattr(analyzer, "config", analyzer.config.model_copy(update={"limits": limits}))
    return set_limits


def test_a_pages_css_and_json_do_not_count_against_the_limit(analyzer):
    """The raw page was cut at 100,000 characters before its HTML was stripped: the inline CSS filled the
    limit, and the summary was CSS (`truncated: true`)."""
    page = _page(BODY)
    assert len(page) > 3 * analyzer.config.limits.max_chars
    res = analyzer.analyze(AnalyzeRequest(text=page, options=AnalyzeOptions(sentences=True)))
    assert not res.truncated
    assert {s.text for s in res.summary.sentences} <= set(BODY) and res.summary.sentences
    for s in res.summary.sentences:
        assert page[s.start : s.end] == s.text
    assert not any("Lottery" in e.text or "Tampa" in e.text for e in res.entities), res.entities


def test_a_long_page_is_cut_in_its_readable_text_and_offsets_still_slice_the_page(analyzer, limited):
    paragraphs = [f"{s[:-1]}, officials said in update {i}." for i in range(40) for s in BODY]
    page = _page(paragraphs)
    limited(max_chars=3000)
    request = AnalyzeRequest(text=page, options=AnalyzeOptions(sentences=True, include=["summary"]))
    res = analyzer.analyze(request)
    assert res.truncated and res.sentences
    read = [_visible(page[s.start : s.end]) for s in res.sentences]
    assert read[0] == "Council approves island ferry route"
    assert set(read[1:-1]) <= set(paragraphs) and len(read) > 10  # the story, not CSS, up to the cut
    assert sum(len(t) + 1 for t in read) <= 3000
    assert analyzer.analyze_many([request])[0].sentences == res.sentences  # the batch cuts where one does


def test_the_limit_refuses_long_readable_text_not_long_markup(analyzer, limited):
    limited(max_chars=3000, long_text="refuse")
    assert not analyzer.analyze(AnalyzeRequest(text=_page(BODY))).truncated
    with pytest.raises(TextTooLong, match="once its HTML is stripped"):
        analyzer.prepare(AnalyzeRequest(text=_page(BODY * 20)))
