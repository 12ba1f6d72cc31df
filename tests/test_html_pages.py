"""Whole web pages, as newsrooms and aggregators send them: the article is read, the page around it is not
(pages written for these tests)."""

from __future__ import annotations

import pytest

from service.roles import is_boilerplate, label_sentences
from service.text import clean_text, sentence_spans

BODY = [
    "The city council approved a new ferry route linking the old port with the northern islands on Tuesday.",
    "The route will cost about four million pounds a year and should carry its first passengers in spring.",
    "Harbour master Jane Ellis said the first boats would run twice a day from the old quay.",
    "Residents of the islands have campaigned for a direct link to the mainland for more than a decade.",
]

PAGE = f"""<!doctype html>
<html><head><title>Ferry route approved</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Ferry JSON-LD headline"}}</script>
<style>.x {{ color: red }}</style></head>
<body>
<div id="cookie-banner"><p>Accept our cookie policy to keep reading this local website today.</p>
<button>Accept all</button></div>
<header role="banner"><a href="/">Harbour Herald</a>
<nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<div class="story">
<h1>Council approves island ferry route</h1>
<p class="byline">Jane Smith and John Doe</p>
<p class="timestamp"><time>Wed 11 Jun 2026 16.45 BST</time></p>
<figure><img src="/a.jpg">
<figcaption>The old quay at dawn, where the new boats will berth</figcaption></figure>
<p>{BODY[0]}</p>
<div>{BODY[1]}</div>
<aside class="pullquote"><p>A pull quote that repeats what the harbour master said about the boats</p></aside>
<p>{BODY[2]}</p>
<p>{BODY[3]}</p>
<h3>More stories</h3>
<ul><li><a href="/1">Lifeboat crew rescues three sailors off the headland</a></li>
<li><a href="/2">Fish market to close for repairs over the winter months</a></li></ul>
</div>
<section id="comments">
<p>Waste of money, the council should fix the roads before buying new boats.</p></section>
<footer><p>Registered office: Harbour Herald Ltd, 1 Quay Street, Portside.</p></footer>
</body></html>"""


def test_a_lowercase_doctype_is_markup_not_text():
    clean = clean_text("<!doctype html>\n<html><body><p>First line.</p><p>Second line.</p></body></html>")
    assert "doctype" not in clean.text
    assert clean.text.split() == ["First", "line.", "Second", "line."]


def test_the_page_around_the_article_is_dropped_and_its_body_kept():
    clean = clean_text(PAGE)
    for sentence in BODY:  # the body, a paragraph in a bare <div> too, with offsets into the page
        at = clean.text.index(sentence)
        a, b = clean.span(at, at + len(sentence))
        assert PAGE[a:b] == sentence
    assert "Council approves island ferry route" in clean.text
    for chrome in ["cookie", "Accept all", "Harbour Herald", "News", "Jane Smith", "old quay at dawn",
                   "pull quote", "Lifeboat", "Fish market", "Waste of money", "Registered office", "JSON-LD"]:
        assert chrome not in clean.text, chrome


def test_outside_a_long_article_element_is_the_page_not_the_article():
    body = "".join(f"<p>{s}</p>" for s in BODY * 2)
    page = (f"<body><div class='top'>Breaking: markets fall sharply as traders sell shares</div>"
            f"<article><h1>Ferry route approved</h1>{body}</article>"
            f"<div><h2>Latest</h2><p>A storm closed the bridge for an hour on Monday.</p></div></body>")
    clean = clean_text(page)
    assert "Breaking" not in clean.text and "storm closed the bridge" not in clean.text
    assert all(s in clean.text for s in BODY)
    # A short <article> (a teaser card) is not the article: the page's own text stays.
    cards = (f"<body><p>{BODY[0]}</p><p>{BODY[1]}</p>"
             "<article><p>Read about the fish market.</p></article></body>")
    assert BODY[0] in clean_text(cards).text


def test_an_element_holding_most_of_the_text_is_never_chrome():
    """Some sites wrap the whole page in one <form>, or name the content box after its sidebar."""
    body = "".join(f"<p>{s}</p>" for s in BODY)
    for page in [f"<body><form id='aspnetForm'>{body}</form></body>",
                 f"<body><div class='content has-sidebar'>{body}</div><nav><a>Home</a></nav></body>"]:
        assert all(s in clean_text(page).text for s in BODY)


def test_html_headings_are_headlines_not_body():
    page = f"<body><p>{BODY[0]}</p><h2>Boats twice a day from the old quay</h2><p>{BODY[1]}</p></body>"
    clean = clean_text(page)
    sentences = label_sentences(clean.text, sentence_spans(clean.text, [(0, len(clean.text))]),
                                headings=clean.headings)
    roles = {s.text: s.role for s in sentences}
    assert roles == {BODY[0]: "body", "Boats twice a day from the old quay": "headline", BODY[1]: "body"}


@pytest.mark.parametrize("line", [
    "16.45 BST", "4:51pm", "Wed 11 Jun 2026 16.45 BST", "May 12, 2026 11:05 AM GMT+1",
    "We use cookies to give you the best experience on our website.",
    "By continuing to browse you agree to our use of cookies.", "Read Next",
    # what pages without <article> or <main> put around the story
    "Home > News > Local", "You are here: Home » Business", "1.2k shares 86 comments", "Comments (42)",
    "Facebook Twitter Email Print Save", "Printer friendly page | Send to a friend",
    "Submitted by Kieran Doyle on Tue, 08/04/2014 - 10:12", "By MARCUS ODELL | email",
    "First Published: 4 June", "Also Read: Bakery wins county award", "Tags: ferry, council, islands",
    "Support local journalism: become a supporter today", "Registered office: 14 Argyll Street, Dunmore",
    "Gazette Media is a trading name of Northmoor Media Ltd, registered in England and Wales no. 0881234.",
    "Powered by WordPress", "All content © Greyhaven Online Ltd 1999-2008.",
    "Greyhaven News is published by Greyhaven Online Ltd, 3 Harbour Row, Greyhaven, Cornwall TR19 6AB.",
])
def test_live_blog_times_cookie_notices_and_page_furniture_are_boilerplate(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("sentence", [
    "The 16.45 BST train was late.", "12.50", "We use the ferry daily.",
    "The council said 37,950,000 shares would be sold.", "Home owners were told to leave.",
    "Tags were found on the birds.", "The firm, registered in England, employs 40 people.",
    "Comments from residents were mixed.", "The paper, which is published by Dow Jones and Co Inc, said so.",
])
def test_times_and_words_of_page_furniture_inside_sentences_are_text(sentence):
    assert not is_boilerplate(sentence)


def test_the_engine_reads_the_article_of_a_whole_page(analyzer):
    from service.schemas import AnalyzeOptions, AnalyzeRequest

    res = analyzer.analyze(AnalyzeRequest(text=PAGE, options=AnalyzeOptions(sentences=True)))
    assert len(res.summary.sentences) == analyzer.config.summarizer.sentences  # read, not left empty
    assert {s.text for s in res.summary.sentences} <= set(BODY)
    for s in res.summary.sentences:
        assert PAGE[s.start : s.end] == s.text
    for e in res.entities:
        assert "\n" not in e.text  # no mention runs over a line break (menu items, a heading and a line)
        assert e.text not in ("Harbour Herald", "Jane Smith", "John Doe")
    assert ("Jane Ellis", "PERSON") in {(e.text, e.type) for e in res.entities}  # the body's names are read
    assert not any("Waste of money" in k.text or "Lifeboat" in k.text for k in res.keywords)


def test_a_page_without_an_article_element_loses_its_masthead_and_link_bars(analyzer):
    """With no <article> or <main>, a masthead of items between pipes was the page's "headline": its
    paper and "Subscribe" were entities, "March | Subscribe today" a keyword."""
    from service.schemas import AnalyzeRequest

    page = ("<html><body><div class='top'>Riverside Gazette | Tuesday 4 March | Subscribe today for just "
            "£1 a week</div><div class='content'><h1>Town council approves new bridge</h1>"
            + "".join(f"<p>{s}</p>" for s in BODY)
            + "</div><div class='bottom'>Contact us | Advertise | Jobs</div></body></html>")
    clean = clean_text(page)
    sentences = label_sentences(clean.text, sentence_spans(clean.text, [(0, len(clean.text))]),
                                headings=clean.headings)
    roles = {s.text: s.role for s in sentences}
    assert roles["Town council approves new bridge"] == "headline"
    assert {r for t, r in roles.items() if "|" in t} == {"boilerplate"}, roles
    res = analyzer.analyze(AnalyzeRequest(text=page))
    assert not {"Riverside Gazette", "Subscribe"} & {e.text for e in res.entities}, res.entities
    assert not any("|" in k.text or "Subscribe" in k.text for k in res.keywords), res.keywords


@pytest.mark.parametrize("wrapper", ["entry-content share-enabled", "post no-comments", "layout-with-sidebar",
                                     "story-body ad-free"])
def test_a_story_wrapper_named_like_chrome_is_kept_beside_long_comments(wrapper):
    """A wrapper whose class names chrome as a modifier, holding under half the page (the readers' comments
    were longer), was dropped whole: 0 of the story's paragraphs were left."""
    comments = "".join(f"<div class='rv'><p>Reader {i}: I think the new ferry is a waste of money and the "
                       "roads need fixing first, frankly.</p></div>" for i in range(12))
    page = (f"<html><body><div class='{wrapper}'><h1>Council approves island ferry route</h1>"
            + "".join(f"<p>{s}</p>" for s in BODY) + f"<div class='share-bar'>Share this</div></div>"
            f"<div class='reader-voices'>{comments}</div></body></html>")
    text = clean_text(page).text
    assert all(s in text for s in BODY) and "Share this" not in text, text


def test_a_page_masthead_above_its_heading_is_not_the_headline():
    page = ("<body><div class='top'><div>Lenn Valley Gazette</div><div>Ashby 14C Light rain</div></div>"
            "<h1>Council approves island ferry route</h1>" + "".join(f"<p>{s}</p>" for s in BODY) + "</body>")
    clean = clean_text(page)
    sentences = label_sentences(clean.text, sentence_spans(clean.text, [(0, len(clean.text))]),
                                headings=clean.headings)
    assert [s.text for s in sentences if s.role == "headline"] == ["Council approves island ferry route"]


@pytest.mark.parametrize(("page", "text"), [
    ("<p><span>Imogen Ash</span><span>Business Correspondent</span></p>",
     "Imogen Ash Business Correspondent"),
    ("<p><a>2.4k</a><a>Shares</a><a>318</a><a>Comments</a></p>", "2.4k Shares 318 Comments"),
    ("<p><b>W</b><i>ord</i> and E=mc<sup>2</sup></p>", "Word and E=mc2"),
])
def test_inline_elements_that_hold_separate_words_do_not_run_together(page, text):
    """'Imogen AshBusiness Correspondent' was an entity, 'topicsairlinesnorburyjobstransport' a keyword."""
    assert clean_text(page).text.strip() == text


def test_without_an_article_element_the_masthead_above_the_top_heading_is_dropped_but_not_a_lead():
    masthead = ("<div class='top'><div>Lenn Valley Gazette</div><div>Serving the Lenn valley since 1871</div>"
                "<div>Ashby 14C Light rain</div></div>")
    story = "<h1>Council approves island ferry route</h1>" + "".join(f"<p>{s}</p>" for s in BODY)
    text = clean_text(f"<body>{masthead}{story}</body>").text
    assert "Lenn Valley Gazette" not in text and "Light rain" not in text and all(s in text for s in BODY)
    lead = f"<p class='standfirst'>{BODY[3]}</p>"  # prose above the heading: the story starts there
    text = clean_text(f"<body>{masthead}{lead}{story}</body>").text
    assert "Lenn Valley Gazette" in text and all(s in text for s in BODY)


def test_lists_of_links_written_as_paragraphs_are_dropped_but_not_a_link_in_the_story():
    """Other stories, tags and menus written as <p> or <div> lines, not as lists, were read as the story's
    last sentences (on all 12 pages of a probe of sites without <article>)."""
    more = ("<p><b>Also in Local:</b></p>"
            "<p><a href='/1'>Roadworks on Fore Street to last three weeks</a></p>"
            "<div><a href='/2'>Lifeboat crew rescue two kayakers off Black Point</a></div>"
            "<p><a href='/t/ferry'>Ferry</a> | <a href='/t/islands'>Islands</a></p>")
    linked = "<p><a href='/report'>The council's full report on the route is on its website.</a></p>"
    story = "<h1>Council approves island ferry route</h1>" + "".join(f"<p>{s}</p>" for s in BODY)
    text = clean_text(f"<body>{story}{linked}{more}</body>").text
    assert all(s in text for s in BODY) and "full report on the route" in text, text
    assert not {"Roadworks", "Lifeboat", "Islands"} & set(text.split()), text


def test_a_round_up_of_linked_headlines_is_the_story():
    items = [f"<p><a href='/{i}'>{s}</a></p>" for i, s in enumerate(BODY)]
    text = clean_text("<body><h1>The week's news in brief</h1>" + "".join(items) + "</body>").text
    assert all(s in text for s in BODY), text


def test_a_quoted_angle_bracket_stays_inside_its_tag():
    page = ('<p title="a > b">Shares in the company rose on Monday after record profits.</p><p>'
            '<img src="chart.png" alt="Profit > forecast"> Analysts said the results beat expectations.</p>'
            "<p><a href='/x' onclick='return n>0'>Read the full report</a> on the company website.</p>")
    clean = clean_text(page)
    assert [line.strip() for line in clean.text.split("\n") if line.strip()] == [
        "Shares in the company rose on Monday after record profits.",
        "Analysts said the results beat expectations.",
        "Read the full report on the company website.",
    ]


def test_line_breaks_in_a_pages_source_are_spaces_except_in_pre():
    page = ("<p>The government announced on Tuesday that it would raise taxes on the\nwealthiest "
            "households\r\nacross the country.</p>\n<p>The minister said the plan was fair.</p>"
            "<pre>Rates\n2025: 40%</pre>")
    clean = clean_text(page)
    lines = [clean.text[a:b] for a, b in sentence_spans(clean.text, [(0, len(clean.text))])]
    assert lines == ["The government announced on Tuesday that it would raise taxes on the wealthiest "
                     "households across the country.", "The minister said the plan was fair.", "Rates",
                     "2025: 40%"]
    a, b = clean.span(0, clean.text.index(" households") + len(" households"))
    assert page[a:b].endswith("on the\nwealthiest households")  # offsets still point into the source


def test_text_with_only_inline_tags_keeps_its_lines():
    """CMS copy: plain lines with a few inline tags; its line breaks are its layout."""
    copy = "Council backs ferry route\n\nBy Jane Doe\n\nThe <b>council</b> met on <i>Monday</i> to vote."
    assert clean_text(copy).text.split("\n") == [
        "Council backs ferry route", "By Jane Doe", "The council met on Monday to vote."]


@pytest.mark.parametrize("markup", ["<![CDATA[ var x = 1; ]]>", '<?xml version="1.0" encoding="utf-8"?>'])
def test_cdata_and_processing_instructions_are_not_text(markup):
    clean = clean_text(f"<p>The minister resigned on Monday.</p>{markup}<p>Parliament votes next week.</p>")
    assert clean.text.split() == "The minister resigned on Monday. Parliament votes next week.".split()


@pytest.mark.parametrize("text", [
    "Browser makers agree to drop old markup\n\nGoogle and Mozilla will stop rendering the <marquee> and "
    "<blink> elements.\nPages with a <br> tag inside a <p> element are not affected.",
    "Style guide\nIn the old days you would use <b> for bold and <i> for italics, and <u> never.",
    "Phillips Petroleum <P> and Du Pont <DD>, said it.\nSears, Roebuck and Co\n<S>.",
    "PHILLIPS<P> SAYS STOCK UP\nLA LAND <LLX>,DU PONT <DD>GET TRACTS\nSony <6758.T> rose.",
    "Profits rose as x < y and y > z, AT&T said.\nThe <script> tag is banned in our CMS.",
])
def test_prose_that_names_tags_is_plain_text(text):
    """Two tag names in a sentence made text HTML: its words and line breaks went ("use for bold and for
    italics", the headline run into the lead)."""
    clean = clean_text(text)
    assert not clean.was_html and clean.text == text


@pytest.mark.parametrize("text", [
    "Procter &amp; Gamble said on Monday it would cut 7,000 jobs.<br>The company&#8217;s shares rose 3%.",
    "<p>Procter &amp; Gamble said on Monday it would cut 7,000 jobs. The company&#8217;s shares rose 3%.",
    "Procter &amp; Gamble said on Monday it would cut 7,000 jobs.\n<p>\nThe company&#8217;s shares rose 3%.",
    '<P CLASS="lead">Procter &amp; Gamble said on Monday it would cut 7,000 jobs.<BR/>The company&#8217;s '
    "shares rose 3%.",
])
def test_markup_with_one_tag_is_html(text):
    """One tag written as markup makes HTML: read as plain text, "&amp;" and "<br>" were in the summary."""
    clean = clean_text(text)
    assert clean.was_html
    assert clean.text.split() == ("Procter & Gamble said on Monday it would cut 7,000 jobs. "
                                  "The company’s shares rose 3%.").split()


@pytest.mark.parametrize("attributes", [
    "hidden", "hidden='hidden'", "aria-hidden='true'", "style='display: none'", "style='visibility:hidden'",
    "class='promo-box hidden'", "class='d-none'", "class='sr-only'", "class='visually-hidden'",
])
def test_hidden_elements_are_not_read(attributes):
    page = (f"<body><p>{BODY[0]}</p><div {attributes}>Mortgage rates news today live updates best "
            f"deals</div><p>{BODY[1]}</p></body>")
    text = clean_text(page).text
    assert "Mortgage" not in text and BODY[0] in text and BODY[1] in text


@pytest.mark.parametrize("attributes", [
    "class='hidden md:block'", "class='d-none d-lg-block'", "hidden='until-found'", "aria-hidden='false'",
    "class='hidden-xs'", "style='display: block'",
])
def test_elements_shown_on_some_screen_or_on_find_are_read(attributes):
    page = f"<body><p>{BODY[0]}</p><p {attributes}>{BODY[1]}</p><p>{BODY[2]}</p></body>"
    assert BODY[1] in clean_text(page).text


def test_a_story_paragraph_of_links_is_kept_and_a_list_of_links_is_not():
    """Inside <article>, a paragraph of prose that was nearly all links was dropped as a list of links."""
    linked = ("<p><a href='/ifs'>The Institute for Fiscal Studies said the squeeze on incomes was the "
              "longest since records began</a>, <a href='/ons'>and the Office for National Statistics "
              "confirmed the figures</a>.</p>")
    teasers = ("<p><a href='/1'>Roadworks on Fore Street to last three weeks</a></p>"
               "<p><a href='/2'>Lifeboat crew rescue two kayakers off Black Point</a></p>")
    page = ("<article><h1>Council approves island ferry route</h1>" + "".join(f"<p>{s}</p>" for s in BODY)
            + linked + teasers + "</article>")
    text = clean_text(page).text
    assert "The Institute for Fiscal Studies said the squeeze" in text and "confirmed the figures." in text
    assert "Roadworks" not in text and "Lifeboat" not in text


@pytest.mark.parametrize("chrome", [
    "<p class='photoCaption'>Firefighters battle the fire near homes in Paradise on Saturday evening.</p>",
    "<span class='imageCaption'>Firefighters battle the fire near homes in Paradise on Saturday.</span>",
    "<div class='photoCredit'>Firefighters battle the fire: Justin Sullivan/Getty Images</div>",
    "<section class='recommended-stories'><h2>Recommended for you</h2><p>Junior doctors in England will "
    "strike for five days from next Monday.</p></section>",
    "<div class='more-stories'><p>Junior doctors in England will strike for five days.</p></div>",
    "<div class='read-next'><p>Junior doctors in England will strike for five days.</p></div>",
    "<div class='also_read'><p>Junior doctors in England will strike for five days.</p></div>",
    "<div class='recircModule'><p>Junior doctors in England will strike for five days.</p></div>",
    "<div class='OUTBRAIN' data-widget-id='AR_1'><p>Surgeons stunned by one simple trick.</p></div>",
    "<div id='taboola-below-article'><p>Surgeons stunned by one simple trick.</p></div>",
])
def test_captions_credits_and_recommended_stories_are_chrome_however_the_class_is_written(chrome):
    page = "<body><div class='storyBody'>" + "".join(f"<p>{s}</p>" for s in BODY[:2]) + chrome + "".join(
        f"<p>{s}</p>" for s in BODY[2:]) + "</div></body>"
    text = clean_text(page).text
    assert all(s in text for s in BODY) and not {"Firefighters", "Junior", "Surgeons"} & set(text.split())


def test_footnote_markers_are_dropped_and_exponents_kept():
    """"victory.<sup>3</sup> Markets" read "victory.3 Markets", one sentence."""
    page = ('<p>Bailey said it was too early to declare victory.<sup>3</sup> Markets expect a cut in June.'
            '<sup class="reference"><a href="#cite-4">4</a></sup> Rates were 5.25%.<sup>[5]</sup></p>'
            "<p>Energy is E=mc<sup>2</sup> and the plot is 40 m<sup>2</sup>, on the 21<sup>st</sup> "
            "floor.</p>")
    clean = clean_text(page)
    assert clean.text.split("\n")[1:3] == [
        "Bailey said it was too early to declare victory. Markets expect a cut in June. Rates were 5.25%.",
        "Energy is E=mc2 and the plot is 40 m2, on the 21st floor."]
    at = clean.text.index("Markets")
    a, b = clean.span(at, at + len("Markets expect a cut in June."))
    assert page[a:b] == "Markets expect a cut in June."


def test_a_table_row_is_one_line_of_cells():
    page = ("<p>The results were declared overnight.</p><table><caption>Seats won</caption>"
            "<tr><th>Party</th><th>Seats</th><th>Change</th></tr>"
            "<tr><td></td><td>412</td><td> +211 </td></tr>\n<tr>\n<td>Conservative</td>\n<td>121</td></tr>"
            "</table>")
    clean = clean_text(page)
    assert clean.text.split("\n")[1:] == ["The results were declared overnight.", "Seats won",
                                          "Party | Seats | Change", "412 | +211", "Conservative | 121", ""]
    at = clean.text.index("Conservative | 121")
    a, b = clean.span(at, at + len("Conservative | 121"))
    assert page[a:b] == "Conservative</td>\n<td>121"


def test_a_tables_cells_are_not_keywords_or_summary_sentences(analyzer):
    from service.schemas import AnalyzeOptions, AnalyzeRequest

    rows = [("Port", "Crossings", "Fare"), ("Kirkwall Harbour", "12", "£8.50"),
            ("Stromness Quay", "9", "£7.20"), ("Lerwick Terminal", "6", "£11.00"),
            ("Scrabster Pier", "4", "£6.40")]
    table = "<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    table += "</table>"
    page = ("<article><h1>Council approves island ferry route</h1>" + "".join(f"<p>{s}</p>" for s in BODY[:2])
            + table + "".join(f"<p>{s}</p>" for s in BODY[2:]) + "</article>")
    res = analyzer.analyze(AnalyzeRequest(text=page, options=AnalyzeOptions(summary_sentences=4)))
    assert {s.text for s in res.summary.sentences} == set(BODY)
    cells = {c.lower() for r in rows for c in r}
    assert not any(k.text.lower() in cells or "|" in k.text for k in res.keywords), res.keywords


@pytest.mark.parametrize(("page", "text"), [
    ("<p>Rates were held.</p><details><summary>Key points</summary>Rates rose by 2%.</details>",
     ["Rates were held.", "Key points", "Rates rose by 2%."]),
    ("<fieldset><legend>Vote</legend>Yes</fieldset><address>Jane Doe</address><address>London</address>",
     ["Vote", "Yes", "Jane Doe", "London"]),
    ("<p>Fish &amp chips &copy 2024 at AT&T,&nbsp&#8217s &regional &notice</p>",
     ["Fish & chips © 2024 at AT&T, ’s &regional &notice"]),
    ("<p>Story starts.</p><!-- editor note <p>Story continues here.</p>", ["Story starts."]),
    ("<p>Story starts.</p><script>var x = 1;<p>Story continues after the script.</p>", ["Story starts."]),
    ("<p>Story starts.</p><style>p { color: red }<p>Story continues.</p>", ["Story starts."]),
    ("<html><head><title>Page title | Gazette</title><meta charset=utf-8><body><p>Story.</p>", ["Story."]),
])
def test_blocks_references_and_unclosed_elements_read_as_a_browser_shows_them(page, text):
    """"Key pointsRates" ran together; "&amp chips" was not decoded; an unclosed comment or script was
    text; a <head> never closed showed its title."""
    lines = [line.strip() for line in clean_text(page).text.split("\n") if line.strip()]
    assert lines == text


@pytest.mark.parametrize(("extra", "kept", "dropped"), [
    # a class that names no chrome, one long word: its name was looked for from every letter (quadratic)
    (f"<div class='{'a' * 200_000}'><p>Tides were high.</p></div>", "Tides were high.", None),
    (f"<div class='{'a' * 200_000}nav'><p>Home News Sport</p></div>", None, "Home"),
    # a <sup> of spaces and no marker: its spaces were split between two runs every way (quadratic)
    (f"<p>Tides were high<sup>{' ' * 200_000}st</sup> today.</p>", "Tides were high st today.", None),
    (f"<p>Tides were high<sup>2{' ' * 200_000}x</sup> today.</p>", "Tides were high2 x today.", None),
    (f"<p>Tides were high.<sup>{' ' * 200_000}3 </sup> Boats stayed in.</p>", "Tides were high. Boats", None),
])
def test_long_class_names_and_sup_elements_are_read_in_one_pass(extra, kept, dropped):
    page = "<body><div class='storyBody'>" + "".join(f"<p>{s}</p>" for s in BODY) + extra + "</div></body>"
    text = clean_text(page).text
    assert all(s in text for s in BODY)
    assert kept is None or kept in text
    assert dropped is None or dropped not in text
