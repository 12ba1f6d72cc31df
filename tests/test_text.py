"""Cleaning, offsets and sentence boundaries (no models needed except where marked)."""

from __future__ import annotations

import pytest

from service.roles import dateline_prefix, is_boilerplate, is_fragment, label_sentences, needs_context
from service.text import clean_text, sentence_spans


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


def test_a_span_ending_on_an_html_reference_takes_all_of_it():
    raw = "<p>Caf&eacute; owner Jos&#233; met &quot;Fran&ccedil;ois&quot; at Smith &amp; Co.</p><p>Next.</p>"
    c = clean_text(raw)
    for word, source in [("Café", "Caf&eacute;"), ("José", "Jos&#233;"),
                         ('"François"', "&quot;Fran&ccedil;ois&quot;"), ("Smith & Co.", "Smith &amp; Co.")]:
        i = c.text.index(word)
        a, b = c.span(i, i + len(word))
        assert raw[a:b] == source


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
        ("They named Spc. Kennedy Sanders and Cpl. William Rivers. Pfc. Daniel Ortiz lived.",
         ["They named Spc. Kennedy Sanders and Cpl. William Rivers.", "Pfc. Daniel Ortiz lived."]),
        ("Prof. Sarah Gilbert of Oxford Univ. led the team. It worked.",
         ["Prof. Sarah Gilbert of Oxford Univ. led the team.", "It worked."]),
        ("it rained. then it stopped.", ["it rained.", "then it stopped."]),  # text all in lower case
        ("iPhone sales rose. eBay fell.", ["iPhone sales rose.", "eBay fell."]),
        ("Inspectors found mice in the store room\nand old milk in the fridge.\nHe spoke.",  # a <br>
         ["Inspectors found mice in the store room\nand old milk in the fridge.", "He spoke."]),
        ("Storm hits\nthe coast.\nFlooding follows:\nroads shut.",
         ["Storm hits", "the coast.", "Flooding follows:", "roads shut."]),
        ("Analysts blamed P&G. Customers complained to B&Q. It fell.",
         ["Analysts blamed P&G.", "Customers complained to B&Q.", "It fell."]),
        ("We know:\n- The ferry hit the wall.\n  • Nobody died.\n2) The port shut.\n- ENDS -\n* * *",
         ["We know:", "The ferry hit the wall.", "Nobody died.", "The port shut.", "- ENDS -", "* * *"]),
    ],
)
def test_abbreviations_and_lines(text, expected):
    assert _split(text, _naive(text)) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Profit was £532m. Revenues were £4.3bn. Shares fell.",
         ["Profit was £532m.", "Revenues were £4.3bn.", "Shares fell."]),
        ('The course is 42km. From there he ran the 100m. "It was fast," he said.',
         ["The course is 42km.", "From there he ran the 100m.", '"It was fast," he said.']),
        ("It moved 3m. tonnes of grain.", ["It moved 3m. tonnes of grain."]),  # lower case goes on
    ],
)
def test_a_full_stop_after_a_figures_unit_ends_the_sentence(text, expected, analyzer):
    """The tokenizer keeps the full stop of "£611m." on the figure, so spaCy ran "Revenue rose 6% to £611m.
    The company cut its forecast." together: all 89 such ends in BBC News."""
    assert [text[a:b] for a, b in sentence_spans(text, [(0, len(text))])] == expected
    assert [s.text for s in analyzer.prepare(_req(text)).sentences] == expected


@pytest.mark.parametrize(("text", "cut", "expected"), [
    ("The minister resigned on Monday. [ Updated at 5pm] Her deputy takes over.", "[",
     ["The minister resigned on Monday.", "[ Updated at 5pm] Her deputy takes over."]),
    ("Le président a parlé. « C'est grave », a-t-il dit.", "«",
     ["Le président a parlé.", "« C'est grave », a-t-il dit."]),
    ('He left. " We will win," she said.', '"', ["He left.", '" We will win," she said.']),
    ('She said: "We will win. " Then she left.', '"', ['She said: "We will win. "', "Then she left."]),
    ('He said. "He [Ebbers] knew," he said.', "[", ["He said.", '"He [Ebbers] knew," he said.']),
])
def test_a_mark_left_alone_opens_the_next_sentence_or_closes_its_own(text, cut, expected):
    """A splitter can leave a quote or bracket alone between two sentences ("… Monday. [" "Updated …")."""
    end = text.index(". ") + 1
    mark = text.index(cut, end)
    proposals = [(0, end), (end, mark), (mark, mark + len(cut)), (mark + len(cut), len(text))]
    assert [text[a:b] for a, b in sentence_spans(text, proposals)] == expected


@pytest.mark.parametrize(("text", "cut", "expected"), [
    ("Le président a parlé. « C'est grave », a-t-il dit.", "C'est",
     ["Le président a parlé.", "« C'est grave », a-t-il dit."]),
    ('He left. "We will win," she said.', "We", ["He left.", '"We will win," she said.']),
    ('"Go." He left.', "He", ['"Go."', "He left."]),
])
def test_a_mark_opening_the_next_sentence_leaves_the_one_before(text, cut, expected):
    at = text.index(cut)
    assert [text[a:b] for a, b in sentence_spans(text, [(0, at), (at, len(text))])] == expected


def test_a_word_whose_full_stop_the_splitter_cut_off_keeps_it():
    """spaCy splits "No. 10 said" into "No" and ". 10 said" (Downing Street in UK copy)."""
    text = "It leaked. No. 10 said the PM had accepted it."
    a, b = text.index("No"), text.index(". 10")
    assert _split(text, [a, b]) == ["It leaked.", "No. 10 said the PM had accepted it."]


@pytest.mark.parametrize("text, expected", [
    ("No. 10 said so. Fig. 3 shows it.", ["No. 10 said so.", "Fig. 3 shows it."]),
    ("JONES: No. We did not.", ["JONES: No.", "We did not."]),  # an answer, not "No." before a number
])
def test_no_and_fig_are_abbreviations_only_before_a_number(text, expected):
    assert _split(text, _naive(text)) == expected


def test_a_bracket_stays_with_what_it_holds():
    """spaCy cut "Acme, Inc. (NASDAQ: ACME), a maker" after the colon; the summary opened "ACME), a maker"."""
    text = "Acme Robotics, Inc. (NASDAQ: ACME), a maker of robots, reported a record. (It said so.) Yes."
    cuts = [text.index("ACME)"), text.index("(It"), text.index("Yes")]
    assert _split(text, cuts) == ["Acme Robotics, Inc. (NASDAQ: ACME), a maker of robots, reported a record.",
                                  "(It said so.)", "Yes."]


def test_a_transcripts_speaker_label_stays_with_its_words():
    text = ("SMITH: Minister, thank you.\nJONES: Thank you.\nSMITH: Will you raise VAT?\nJONES: We have no "
            "plans.\nNEW DELHI: The government said.")
    cuts = [text.index(w) for w in ("Minister", "Thank", "Will", "We have", "The government")]
    assert _split(text, cuts) == ["SMITH: Minister, thank you.", "JONES: Thank you.",
                                  "SMITH: Will you raise VAT?", "JONES: We have no plans.", "NEW DELHI:",
                                  "The government said."]
    # One label alone is a dateline or a heading, not a speaker: the splitter's cut stands.
    assert _split("NEW DELHI: The government said.", [11]) == ["NEW DELHI:", "The government said."]


def test_an_embedded_posts_text_and_a_team_sheet_are_not_story():
    text = ("Man charged after stabbing\nA man has been charged after two people were stabbed in London.\n"
            "We have charged a man following the incident on Oxford Street.\n"
            "— Metropolitan Police (@metpoliceuk) March 3, 2026\nSubs not used: Neto, Tierney, Nwaneri.")
    spans = sentence_spans(text, [(0, len(text))])
    sentences = label_sentences(text, spans)
    roles = {s.text: s.role for s in sentences}
    assert roles["We have charged a man following the incident on Oxford Street."] == "boilerplate"
    assert roles["A man has been charged after two people were stabbed in London."] == "body"
    assert is_fragment(sentences[-1], alone=True)


def test_headline_byline_and_boilerplate_roles():
    text = "Big news headline\nBy Jane Smith\nThe body starts here with a fact.\nShare this article"
    spans = sentence_spans(text, [(0, len(text))])
    roles = [s.role for s in label_sentences(text, spans)]
    assert roles == ["headline", "boilerplate", "body", "boilerplate"]


@pytest.mark.parametrize("line", [
    "By Jane Smith, BBC News", "By JANE SMITH and John Doe, Reuters", "By Jane Smith | Political editor",
    "LONDON (Reuters) -", "WASHINGTON —", "NEW YORK, Nov 28 (Reuters) -", "Monday 28 November 2026",
    "Nov. 28, 2026 10:32 GMT", "2026-11-28",
    "Photo: Jane Doe", "(Image: Getty)", "Pictured: the minister at the summit", "Getty Images",
    "Crowds gather in the square (John Smith/Getty Images)", "Reuters/Jane Doe", "AP Photo/Evan Vucci",
    "Share this article", "Share on Facebook", "Read more: Why rates rose", "Related:", "Related articles",
    "Related: Fed holds rates", "Follow us on Twitter", "Follow BBC News on Instagram",
    "Sign up for our newsletter", "Click here to subscribe", "(Reporting by Jane Doe; Editing by John Smith)",
    "REUTER", "Reuters", "By .", "PUBLISHED: .", "10:51 EST, 24 March 2013 . | .",
    "4:10 PM on 12th January 2012 .",
    "Scroll down for video", "Sorry we are not currently accepting comments on this article.",
    "This website uses cookies to improve your experience.",
    "By using this site, you agree to our use of cookies.",
    "Photo courtesy of Northumbria Police.", "Credit: Northumbria Police.", "(AP Photo/Jane Doe)",
    "Get the day's top stories delivered to your inbox every morning.", "Join our free newsletter today.",
    "Want more local news?", "Listen to this article.", "Click to expand the image.",
    "Open image in gallery.",
    "Leave a comment below and tell us what you think.",
    "By Jane Smith in Brussels", "By Jane Smith, Europe Correspondent, in Brussels",
    "By Jane Smith on March 3, 2025", "By Anna van der Berg", "By Jane Smith and Tom Hale in Brussels",
    "Good morning and welcome to our live coverage of the war in Ukraine.", "That's all from us for today.",
    "Thanks for following.", "Have you been affected by the strikes?",
    "This is a breaking news story and will be updated.",
])
def test_page_furniture_is_boilerplate(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("sentence", [
    "By then it was late.", "By Christmas, the shops were full.", "By 2030 the city will need more homes.",
    "LONDON (Reuters) - The Bank of England raised rates.", "Related to the deal, the firm sold a unit.",
    "Follow-up talks are planned for next week.", "The photo shows the minister at the summit.",
    "Reuters reported the deal on Monday.", "Sales rose 5% in November 2026.", "Share prices fell on Monday.",
    "KEY MATCH STATS", "Reporting by the BBC found that rents rose.",
    "By using this method, engineers cut costs.",
    "Credit card debt rose 5% in May.", "Want more proof? Look at the data.",
    "Welcome to the club, said the manager.", "Thanks to the rain, the match was off.",
])
def test_article_text_is_not_boilerplate(sentence):
    assert not is_boilerplate(sentence)


def test_a_caption_or_credit_makes_its_whole_line_boilerplate():
    text = ("Storm hits coast\nSmoke rises over the port. Photograph: Jane Doe/Reuters\n"
            "Pictured: The harbour wall. It gave way on Sunday.\nThe storm closed the port for a day.")
    bounds = [0, *_naive(text), len(text)]
    spans = sentence_spans(text, list(zip(bounds, bounds[1:], strict=False)))
    roles = {s.text: s.role for s in label_sentences(text, spans)}
    assert roles == {
        "Storm hits coast": "headline",
        "Smoke rises over the port.": "boilerplate", "Photograph: Jane Doe/Reuters": "boilerplate",
        "Pictured: The harbour wall.": "boilerplate", "It gave way on Sunday.": "boilerplate",
        "The storm closed the port for a day.": "body",
    }


def test_a_line_repeating_the_title_is_a_headline():
    text = "The recession is over, economists say.\nGrowth returned in the spring."
    spans = sentence_spans(text, [(0, len(text))])
    assert [s.role for s in label_sentences(text, spans)] == ["body", "body"]
    for title in ("The recession is over, economists say.", "the recession is over,  economists say"):
        assert [s.role for s in label_sentences(text, spans, title)] == ["headline", "body"]


def test_a_title_written_with_other_quote_marks_or_in_two_sentences_is_a_headline():
    text = "Union leader: ‘We will strike.’ Pay must be fair.\nThe union voted on Monday to walk out."
    cut, line = text.index("Pay"), text.index("\n")
    spans = sentence_spans(text, [(0, cut), (cut, line), (line, len(text))])
    roles = [s.role for s in label_sentences(text, spans, "Union leader: 'We will strike.' Pay must be fair")]
    assert roles == ["headline", "headline", "body"]


@pytest.mark.parametrize("first", [
    "Is this the end of Ashford's high street?", "Shops to close with loss of 400 jobs!",
    "Council leader: 'We will fight to save our high street'",
])
def test_a_first_line_asking_exclaiming_or_quoting_is_a_headline(first):
    text = f"{first}\nThe council voted on Monday to close the market hall, with the loss of 400 jobs."
    spans = sentence_spans(text, [(0, len(first)), (len(first) + 1, len(text))])
    assert [s.role for s in label_sentences(text, spans)] == ["headline", "body"]


def test_a_question_opening_a_paragraph_is_not_a_headline():
    text = "Is the recession over? Economists say growth returned.\nRetail sales rose in May."
    cut, line = text.index("Economists"), text.index("\n")
    spans = sentence_spans(text, [(0, cut), (cut, line), (line, len(text))])
    assert [s.role for s in label_sentences(text, spans)] == ["body", "body", "body"]


@pytest.mark.parametrize(("sentence", "expected"), [
    ('"We will win."', True),  # only a quotation
    ('"We will win.', True),  # ends inside the quote (it goes on in the next sentence)
    ('"We will win," he said.', True),  # the speaker is only a pronoun
    ("‘We will win,’ she added.", True),
    ('We have the votes," he said.', True),  # carries on a quote opened earlier
    ("We have the votes,” said Jane Smith.", True),
    ('"We will win," said Jane Smith.', False),  # attributed by name
    ('"We will win," the prime minister said.', False),
    ('He said: "We will win.', True),  # the speaker is only a pronoun, before the quote
    ('She told the BBC: "It is over."', True),
    ('Jane Smith said: "We will win.', False),
    ('They said the "plan" was dead.', False),  # a word in quotes, not a quotation
    ('"Bohemian Rhapsody" topped the charts again.', False),
    ("The players' union met on Monday.", False),
])
def test_quotes_without_context(sentence, expected):
    assert needs_context(sentence) is expected


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


# Wire copy wrapped at 60 columns, paragraphs indented (written for this test).
WRAPPED = (
    "HARBOUR CITY APPROVES NEW FERRY ROUTE\n"
    "The city council of Harbour City approved a new ferry route\n"
    "linking the old port with the northern islands on Tuesday,\n"
    "officials said after a long debate.\n"
    "    The route will cost the council about four million dollars\n"
    "a year and should carry its first passengers in the spring,\n"
    "the harbour master told reporters.\n"
    "    Fares were not announced.\n"
    "    Results for the year:\n"
    "    Passengers 1.2 mln vs 1.1 mln\n"
    "    Revenue 8.4 mln vs 7.9 mln\n"
)


def test_hard_wrapped_lines_are_joined_into_sentences():
    clean = clean_text(WRAPPED)
    assert len(clean.text) == len(WRAPPED)
    sentences = label_sentences(clean.text, sentence_spans(clean.text, [(0, len(clean.text))]))
    texts = [s.text for s in sentences]
    assert texts[0] == "HARBOUR CITY APPROVES NEW FERRY ROUTE"  # a headline line keeps its break
    assert sentences[0].role == "headline"
    assert texts[1].startswith("The city council") and texts[1].endswith("after a long debate.")
    assert texts[2].startswith("The route will cost") and texts[2].endswith("told reporters.")
    assert texts[-2:] == ["Passengers 1.2 mln vs 1.1 mln", "Revenue 8.4 mln vs 7.9 mln"]  # a table too
    for s in sentences:  # offsets still slice the input; the original keeps its line breaks
        a, b = clean.span(s.start, s.end)
        assert clean.original(s.start, s.end) == WRAPPED[a:b]
        assert WRAPPED[a:b].replace("\n", " ") == s.text


@pytest.mark.parametrize(
    "text",
    [
        # A paragraph a line, short lines ending sentences.
        "Title of the piece\nFirst short paragraph here.\nSecond one here.\nThird one, also short.\nEnd.\n",
        # A list of items without full stops: short lines, no shared width.
        "Shopping list\neggs\nmilk and bread\nbutter\ncheese from the market\napples\n",
        # A digest of headlines: lines of a shared width, no closing stops, each opening in capitals.
        "Fed holds rates steady as inflation cools\nApple unveils new iPhone at September event\n"
        "Storm batters coast, thousands without power\nCouncil approves ferry route to the islands\n"
        "Markets rally after jobs report beats hopes\nMinister resigns over leaked budget papers\n",
        # Long paragraphs, one a line (the BBC layout).
        "Headline here\n\n" + ("A long paragraph sentence that goes on and on. " * 6 + "\n\n") * 3,
    ],
)
def test_text_that_is_not_wrapped_keeps_its_line_breaks(text):
    assert clean_text(text).text == text


def test_angle_brackets_around_tickers_and_names_are_text_not_html():
    raw = WRAPPED.replace("Harbour City approved", "Harbour City <HCY.L> approved").replace(
        "the harbour master", "<Harbour Board Ltd> and the harbour master")
    clean = clean_text(raw)
    assert not clean.was_html
    assert "<HCY.L>" in clean.text and "<Harbour Board Ltd>" in clean.text
    assert "\n" not in clean.text.split("\n    ")[0].split("\n", 1)[1]  # and the wrapping is undone
    assert clean_text("<P>First.</P> <p>Second.</p>").was_html  # HTML's own tags, any case


def test_a_header_written_as_fragments_is_boilerplate():
    """Some sites' text dumps write the header as fragments closed by " ." (written for this test)."""
    text = ("By . Jane Smith . PUBLISHED: . 10:51 EST, 24 March 2013 . | . "
            "UPDATED: . 12:03 EST, 24 March 2013 . "
            "A council approved a new ferry route on Tuesday. By then the debate had lasted a day.")
    spans = sentence_spans(text, [(a, b) for a, b in _fragments(text)])
    roles = {s.text: s.role for s in label_sentences(text, spans)}
    assert roles["By ."] == roles["Jane Smith ."] == "boilerplate"
    assert roles["A council approved a new ferry route on Tuesday."] == "body"
    assert roles["By then the debate had lasted a day."] == "body"


def _fragments(text: str) -> list[tuple[int, int]]:
    """Proposals cut after every " . " and ". " (what a sentence splitter does with such a header)."""
    cuts = [i + 2 for i in range(len(text) - 1) if text[i : i + 2] == ". "]
    bounds = [0, *cuts, len(text)]
    return list(zip(bounds, bounds[1:], strict=False))


def test_the_engine_summarises_wrapped_copy_in_whole_sentences(analyzer):
    from service.schemas import AnalyzeOptions, AnalyzeRequest

    res = analyzer.analyze(AnalyzeRequest(text=WRAPPED, options=AnalyzeOptions(summary_sentences=2)))
    picked = res.summary.sentences
    assert len(picked) == 2
    for s in picked:
        assert WRAPPED[s.start : s.end] == s.text  # offsets slice the input, line breaks and all
        assert s.text[0].isupper() and s.text.endswith(".")  # a whole sentence, not a line
    assert not any(s.text.startswith("HARBOUR CITY") for s in picked)  # the headline line is not one


@pytest.mark.parametrize(("sentence", "prefix"), [
    ("ANKARA (Reuters) - Turkey said.", "ANKARA (Reuters) - "),
    ("WASHINGTON, March 3 (AP) — The Senate voted.", "WASHINGTON, March 3 (AP) — "),
    ("PARIS — The president spoke.", "PARIS — "),
    ("US - China talks resumed.", ""),
    ("LONDON -- Shares fell.", "LONDON -- "),
    ("PITTSBURGH--(BUSINESS WIRE)--Acme Robotics said.", "PITTSBURGH--(BUSINESS WIRE)--"),
    ("SAN JOSE, Calif.--(BUSINESS WIRE)--Acme said.", "SAN JOSE, Calif.--(BUSINESS WIRE)--"),
    ("NEW YORK, Nov. 28, 2024 /PRNewswire/ -- Acme said.", "NEW YORK, Nov. 28, 2024 /PRNewswire/ -- "),
    ("TORONTO, Nov. 28, 2024 (GLOBE NEWSWIRE) -- Acme said.", "TORONTO, Nov. 28, 2024 (GLOBE NEWSWIRE) -- "),
    ("The company said so.", ""),
])
def test_a_dateline_opening_a_sentence(sentence, prefix):
    assert sentence[: dateline_prefix(sentence)] == prefix


# -- Input shaped to make a pattern backtrack. Each line below took from seconds to minutes (or, for the
# counts, hours) before its pattern was rewritten; now each must be answered at all within the test run, and
# as the short, ordinary lines beside it are.
@pytest.mark.parametrize(("line", "expected"), [
    ("24 March 2013 . | .", True),  # a header's fragment: the date, closed by dots and bars
    ("24 March 2013" + " . |" * 30_000, True),  # closed by 90,000 of them (quadratic: minutes)
    ("." * 100_000 + " x", False),  # a run of dots inside a line (from every dot to the end: minutes)
    ("12 views 3 comments", True),
    ("1.2k shares. 45 comments.", True),
    ("1 views.." * 30 + "1 viewsx", False),  # dots that either count could take: 3^n tries (10: 50 s)
    ("1  views 2k comments", True),
    ("LONDON --", True),
    ("LONDON" + "-" * 100_000 + "x", False),  # dashes the place or the closing dash could take (minutes)
    ("By Jane Smith, BBC News", True),
    ("By Jane Smith, Europe Correspondent, in Brussels", True),
    ("By Jane Smith, BBC News , Europe Correspondent", True),
    ("By Jane, " + "a" * 100_000 + "!", False),  # a long word split every way (120 letters: 20 s)
    ("By Jane, " + "a " * 50_000 + "!", False),
])
def test_page_furniture_on_pathological_lines(line, expected):
    assert is_boilerplate(line) is expected


@pytest.mark.parametrize(("text", "expected"), [
    # the word before a full stop, looked for from every letter of a run that has none (quadratic: minutes)
    ("a" * 100_000 + "! Next one.", ["a" * 100_000 + "!", "Next one."]),
    ("a" * 100_000 + ". Next one.", ["a" * 100_000 + ".", "Next one."]),
    ("Mr. " + "a" * 100_000 + "! Next one.", ["Mr. " + "a" * 100_000 + "!", "Next one."]),
    # an initialism at a word's end, tried from every letter of "a.a.a. … ab." (18 s)
    ("The " + "a." * 40_000 + "ab. Next one.", ["The " + "a." * 40_000 + "ab.", "Next one."]),
    ("The " + "a." * 40_000 + " troops went home.", ["The " + "a." * 40_000 + " troops went home."]),
    ("in the U.S. The next day", ["in the U.S.", "The next day"]),
    ("the U.S. military left.", ["the U.S. military left."]),
])
def test_sentence_ends_after_long_words(text, expected):
    cuts = [i + 2 for i in range(len(text) - 1) if text[i] in ".!?" and text[i + 1] == " "]
    assert _split(text, cuts) == expected
