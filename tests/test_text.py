"""Cleaning, offsets and sentence boundaries (no models needed except where marked)."""

from __future__ import annotations

import pytest

from service.text import clean_text, label_sentences, sentence_spans


def test_plain_text_keeps_offsets():
    raw = "Héllo  “world”.\nSecond line here."
    c = clean_text(raw)
    assert c.text == raw
    assert c.span(0, len(c.text)) == (0, len(raw))


def test_invisible_and_crlf_are_mapped_back():
    raw = "Zero\u200bwidth here.\r\n\r\nNext para\u00a0now."
    c = clean_text(raw)
    assert "\u200b" not in c.text and "\r" not in c.text
    i = c.text.index("Next")
    a, b = c.span(i, i + len("Next para now."))
    assert raw[a:b] == "Next para\u00a0now."


def test_html_is_stripped_with_offsets():
    raw = "<html><head><script>var x = 1;</script></head><body><p>First &amp; best.</p><p>Second.</p></body>"
    c = clean_text(raw)
    assert c.was_html
    assert "var x" not in c.text
    assert "First & best." in c.text
    i = c.text.index("Second.")
    a, b = c.span(i, i + 7)
    assert raw[a:b] == "Second."


def _split(text: str, cuts: list[int]) -> list[str]:
    """Feed the refiner a naive splitter's proposals (split after every '. ')."""
    bounds = [0, *cuts, len(text)]
    spans = sentence_spans(text, list(zip(bounds, bounds[1:], strict=False)))
    return [text[a:b] for a, b in spans]


def _naive(text: str) -> list[int]:
    return [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == ". "]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Maj. Gen. Yahya Rasool said so. Then he left.",
         ["Maj. Gen. Yahya Rasool said so.", "Then he left."]),
        ("The U.S. military left. The U.S. Army stayed.",
         ["The U.S. military left.", "The U.S. Army stayed."]),
        ("He flew to the U.S. The next day he spoke.",
         ["He flew to the U.S.", "The next day he spoke."]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("John F. Kennedy spoke. It rained.", ["John F. Kennedy spoke.", "It rained."]),
        ("Line one without stop\nLine two. Line three.",
         ["Line one without stop", "Line two.", "Line three."]),
    ],
)
def test_abbreviations_and_lines(text, expected):
    assert _split(text, _naive(text)) == expected


def test_headline_byline_and_boilerplate_roles():
    text = "Big news headline\nBy Jane Smith\nThe body starts here with a fact.\nShare this article"
    spans = sentence_spans(text, [(0, len(text))])
    roles = [s.role for s in label_sentences(text, spans)]
    assert roles == ["headline", "boilerplate", "body", "boilerplate"]


def test_quotes_and_unicode_offsets_with_spacy(analyzer):
    text = "«Ça va», dit-il. “We won’t stop,” she said. Die Straße ist lang. 東京は大きい。"
    p = analyzer.prepare(_req(text))
    for s in p.sentences:
        a, b = p.clean.span(s.start, s.end)
        assert text[a:b] == s.text
    assert any("we won’t stop" in s.text.lower() for s in p.sentences)


def _req(text: str):
    from service.schemas import AnalyzeRequest

    return AnalyzeRequest(text=text)


def test_original_slices_plain_text_exactly_and_html_cleanly():
    raw = "Soft\u00adhyphen and 👨\u200d👩\u200d👧 family\x1b[0m here."
    clean = clean_text(raw)
    assert "\u200d" not in clean.text and "\x1b" not in clean.text
    a, b = clean.span(0, len(clean.text))
    assert clean.original(0, len(clean.text)) == raw[a:b] == raw
    html = clean_text("<p>Fish &amp; chips</p><p>Second paragraph here.</p>")
    at = html.text.index("Fish")
    assert html.original(at, at + len("Fish & chips")) == "Fish & chips"
