"""Plain text copied out of CMSs and feeds other than clean BBC prose: wire trailers, press releases, live
blogs, interviews, explainers, corrections, ads between paragraphs, captions, embedded posts, team sheets
and tables. Furniture is never summarised, and a summary never opens leaning on a sentence it lacks."""

from __future__ import annotations

import numpy as np
import pytest

from service.config import SummarizerConfig
from service.roles import is_boilerplate, is_fragment, label_sentences, needs_context
from service.schemas import AnalyzeRequest
from service.summarizer import summarize
from service.text import sentence_spans


def _roles(text: str) -> dict[str, str]:
    """Each sentence's role, splitting naively after '. ', '? ' and at line breaks."""
    cuts = [i + 2 for i in range(len(text) - 1) if text[i : i + 2] in (". ", "? ")]
    bounds = [0, *cuts, len(text)]
    spans = sentence_spans(text, list(zip(bounds, bounds[1:], strict=False)))
    return {s.text: s.role for s in label_sentences(text, spans)}


@pytest.mark.parametrize("line", [
    "Story continues below", "Article continues below advertisement", "Scroll to continue with content",
    "Continue reading the main story", "Download our app to get alerts on breaking news",
    "Get the latest news delivered straight to your inbox.", "pic.twitter.com/a8Kd92LmQp",
    "FOR IMMEDIATE RELEASE", "Media contact:", "Press enquiries: Jane Doe", "Contact:",
    "For more information, visit www.example.com.", "press@example.com", "www.example.com",
    "+1 (614) 555-0142", "Tel: 020 7946 0000", "###", "___", "* * *", "-30-", "- ENDS -",
    "Additional reporting by Mia Carr.", "Interview by Sarah Klein", "Words by Tom Ellery",
    "Associated Press writers Mary Clare Jalonick and Kevin Freking contributed to this report.",
    "The views expressed in this article are the author's own.",
    "This interview has been edited for length and clarity.",
    "Correction: An earlier version of this article said the line would cost £54 million.",
    "Editor's note: This article was updated on 4 May.", "Clarification: The hospital is run by the trust.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    "— Lena Marsh (@lenamarsh) May 3, 2026", "Image source, Reuters", "Image caption,",
    "A helicopter flies past lava fountains (Credit: Icelandic Coast Guard)",
    "This press release contains forward-looking statements within the meaning of the Act.",
    "Riverside Gazette | Tuesday 4 March | Subscribe today for just £1 a week",
    "Home | News | Sport | Weather",
    "Contact us | Advertise | Jobs | Privacy policy",
])
def test_cms_and_wire_furniture_is_boilerplate(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("sentence", [
    "Contact with the crew was lost on Monday.", "For more than a decade, the port has been closed.",
    "Continued rain is forecast for the weekend.", "The story continues to unfold in the capital.",
    "Download speeds rose by a third last year.", "Images of the crash were shared online.",
    "She contributed to the report on flooding published last year.",
    "The correction in share prices was sharp.",
    "Editors at the paper voted to strike.", "Storm clouds gathered over the port (see map).",
    "A spokesman said 40,000 homes were without power.", "Q2 profits rose 5%.",
    "| Team | Played | Points |", "Budget vote | What it means for you",
])
def test_article_text_is_not_furniture(sentence):
    assert not is_boilerplate(sentence)


def test_a_note_makes_its_whole_line_boilerplate():
    text = ("Council approves tram extension\nThe council approved the £45m line on Tuesday.\n"
            "Correction: An earlier version said it would cost £54m. The correct figure is £45m.\n"
            "Copyright 2026 The Associated Press. All rights reserved.")
    roles = _roles(text)
    assert roles["The correct figure is £45m."] == "boilerplate"
    assert roles["All rights reserved."] == "boilerplate"
    assert roles["The council approved the £45m line on Tuesday."] == "body"


def test_captions_beside_their_labels_and_credits_are_boilerplate():
    text = ("Volcano erupts in Iceland\nA volcano erupted late on Sunday, forcing the evacuation of a town.\n"
            "Lava flows towards the town on Monday.\nPhotograph: Jane Doe/AP\n"
            "The eruption began along a fissure about 3km long.\nImage caption,\n"
            "The eruption lit up the night sky over the peninsula\n"
            "Scientists said the eruption would not affect flights.")
    roles = _roles(text)
    assert roles["Lava flows towards the town on Monday."] == "boilerplate"
    assert roles["The eruption lit up the night sky over the peninsula"] == "boilerplate"
    assert roles["A volcano erupted late on Sunday, forcing the evacuation of a town."] == "body"
    assert roles["The eruption began along a fissure about 3km long."] == "body"


def test_an_embedded_post_attribution_is_boilerplate():
    text = ("Singer cancels tour\nThe singer cancelled her tour on Sunday.\nI have to put my health first.\n"
            "— Lena Marsh (@lenamarsh) May 3, 2026\nFans sent messages of support.")
    assert _roles(text)["— Lena Marsh (@lenamarsh) May 3, 2026"] == "boilerplate"


def test_a_contributor_bio_at_the_end_is_boilerplate_but_not_earlier():
    bio = "Helen Marsh is a transport researcher and the author of a book on streets."
    text = (f"Our cities need fewer cars\n{bio}\nThe bypass was widened three years ago.\n"
            "Traffic was as slow as before within eighteen months.\nThe council should build buses.\n"
            "It should scrap the ring road plan.\n"
            f"{bio} She writes a fortnightly column for this newspaper.")
    roles = _roles(text)
    assert roles[bio] == "boilerplate"  # the last line (it repeats the first mention's text)
    assert roles["She writes a fortnightly column for this newspaper."] == "boilerplate"
    early = _roles(f"Our cities need fewer cars\n{bio}\nThe bypass was widened.\nTraffic grew.\nBuses help.\n"
                   "Cycle lanes help.")
    assert early[bio] == "body"


def test_headlines_subheadings_and_questions():
    explainer = ("Why is the canal blocked? Here's what we know\nA ship has run aground in the canal.\n"
                 "What happened?\nThe ship ran aground on Tuesday in a sandstorm.\n"
                 "Why does it matter?\nAbout 12% of world trade passes through the canal.")
    roles = _roles(explainer)
    assert roles["Why is the canal blocked?"] == roles["Here's what we know"] == "headline"
    assert roles["What happened?"] == roles["Why does it matter?"] == "headline"
    assert roles["A ship has run aground in the canal."] == "body"
    interview = ("The planner who wants to redraw the map\nMargaret Osei has spent 30 years as a planner.\n"
                 "Q: Developers say there is no other land to build on.\nA: That is simply not true.\n"
                 "Q: What would you change first?\nA: I would give the agency a veto.")
    roles = _roles(interview)
    assert roles["Q: Developers say there is no other land to build on."] == "headline"
    assert roles["A: That is simply not true."] == "body"
    release = ("FOR IMMEDIATE RELEASE\nAcme Opens Battery Recycling Plant in Ohio\n"
               "Acme today opened a $120 million plant in Columbus.\nIt will create 350 jobs.")
    roles = _roles(release)
    assert roles["FOR IMMEDIATE RELEASE"] == "boilerplate"
    assert roles["Acme Opens Battery Recycling Plant in Ohio"] == "headline"


@pytest.mark.parametrize(("text", "alone", "expected"), [
    ("New facility will recover lithium and cobalt and create 350 jobs", True, True),  # a standfirst
    ("About Acme Corp", True, True),
    ("Northbridge United: Hart; Cole, Evans, Mensah, Ortiz; Duarte, Reid, Patel (Moreno 78); Lang, Webb.",
     True, True),
    ("Ashford   35 24 6  5  78", True, True),
    ("Acme Corp Opens $120 Million Battery Recycling Plant in Ohio", False, True),
    ("The plant will process 40,000 tons of batteries a year.", True, False),
    ("New facility will recover lithium and cobalt and create 350 jobs", False, False),  # inside a paragraph
    ("COPPER PRICES ROSE SHARPLY ON TUESDAY AS STOCKS FELL.", True, False),  # wire copy in capitals
])
def test_fragments_are_not_sentences_to_quote(text, alone, expected):
    from service.text import Sentence
    assert is_fragment(Sentence(0, 0, len(text), text, 0, words=len(text.split())), alone) is expected


@pytest.mark.parametrize(("sentence", "expected"), [
    ("A: Because last winter was the wettest on record.", True), ("A : Because it rained.", True),
    ("A new report calls for a ban.", False), ("As: the symbol for arsenic.", False),
])
def test_an_interview_answer_needs_its_question(sentence, expected):
    assert needs_context(sentence) is expected


def _sentences(texts: list[str]):
    from service.text import Sentence
    return [Sentence(i, 0, len(t), t, paragraph=i, role="body", words=len(t.split()))
            for i, t in enumerate(texts)]


def test_summary_skips_fragments_and_never_opens_with_an_answer():
    texts = [
        "A: Because the barriers had been due for replacement next year.",  # ranked first; cannot open
        "New facility will recover lithium and cobalt and create 350 jobs",  # ranked second; a standfirst
        "Flood water poured into the centre of Northbridge on Sunday night after barriers failed.",
        "Emergency services rescued more than 200 people overnight in the town.",
        "Northbridge United: Hart; Cole, Evans, Mensah, Ortiz; Duarte, Reid, Patel; Lang, Webb.",
    ]
    sentences = _sentences(texts)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(texts), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rank = [4, 0, 1, 3, 2]  # the team sheet first, then the answer, then the standfirst

    def scorer(candidates: list[int]) -> np.ndarray:
        return np.array([len(rank) - rank.index(i) for i in candidates], np.float32)

    cfg = SummarizerConfig()
    picks = summarize(cfg, sentences, vectors, vectors.mean(0), n_sentences=2, n_words=None, scorer=scorer)
    assert [k.index for k in picks] == [2, 3]
    picks = summarize(cfg, sentences, vectors, vectors.mean(0), n_sentences=3, n_words=None, scorer=scorer)
    assert [k.index for k in picks] == [2, 3]  # no fourth candidate can open, and the answer cannot
    # An article of nothing but answers keeps its picks rather than say nothing.
    only = _sentences(["A: The plan would fail badly, I think.", "A: The council approved it on Monday."])
    picks = summarize(cfg, only, vectors[:2], vectors[:2].mean(0), n_sentences=1, n_words=None,
                      scorer=lambda c: np.array([2.0, 1.0][: len(c)], np.float32))
    assert len(picks) == 1


INTERVIEW = """'We cannot keep building on flood plains': the planner who wants to redraw the map

Interview by Sarah Klein

Margaret Osei has spent 30 years as a town planner in Lindshire.
Her new report, published on Monday, calls for a ban on new homes in areas at high risk of flooding.

Q: Why publish this report now?
A: Because last winter was the wettest on record and 12,000 homes that were built after 2000 flooded.

Q: Developers say there is no other land to build on.
A: That is simply not true. Our survey found enough brownfield land in Lindshire for 40,000 homes.

Q: What has the government said?
A: The housing minister has promised to read the report and respond by the summer.

Margaret Osei is a former chief planner and the author of a book on flood risk.

This interview has been edited for length and clarity.

Media contact:
press@example.com
###
"""


def test_the_engine_summarises_an_interview_without_its_furniture(analyzer):
    r = analyzer.analyze(AnalyzeRequest(text=INTERVIEW))
    picked = [s.text for s in r.summary.sentences]
    assert picked and all(INTERVIEW[s.start : s.end] == s.text for s in r.summary.sentences)
    furniture = ("Q:", "Interview by", "Margaret Osei is", "This interview", "Media", "press@")
    assert not any(t.startswith(furniture) for t in picked)
    assert not needs_context(picked[0])
    assert "press@example.com" not in {k.text for k in r.keywords}


def test_a_transcripts_interviewer_is_not_summarised_and_the_answers_are():
    text = ("Transcript: the finance minister on the budget\n"
            "SMITH: Minister, thank you for joining us. Is the budget going to raise taxes?\n"
            "JONES: No. What we have done is close loopholes that let the largest companies pay less.\n"
            "SMITH: But the Treasury's own figures show the tax burden rising.\n"
            "JONES: That is because wages are growing and more people are in work.\n"
            "SMITH: Will you rule out a rise in VAT?\n"
            "JONES: We have no plans to raise VAT.")
    roles = _roles(text)
    assert roles["SMITH: Minister, thank you for joining us."] == "headline"
    assert roles["SMITH: But the Treasury's own figures show the tax burden rising."] == "headline"
    assert roles["JONES: We have no plans to raise VAT."] == "body"
    # Two speakers who both ask in most turns: nobody answers, so nobody is taken for the interviewer.
    debate = "The debate\nA: Why now?\nB: Why not?\nA: Is it fair?\nB: Who says it is not?"
    assert {r for t, r in _roles(debate).items() if t != "The debate"} == {"body"}


def test_wire_copy_keeps_its_last_line_and_its_headline():
    """A wire signs off with the agency's name alone: no caption's credit, so the line above stays the
    story's; and its headline in capitals stays the headline even when it ends in a date."""
    text = ("TREASURY BALANCES AT FED FELL ON APRIL 9\n\nTreasury balances at the Federal Reserve fell on "
            "April 9 to 3.1 billion dlrs.\nThe payment date is May 6.\n REUTER")
    roles = _roles(text)
    assert roles["TREASURY BALANCES AT FED FELL ON APRIL 9"] == "headline"
    assert roles["The payment date is May 6."] == "body"


def test_a_breadcrumb_above_the_headline_is_not_the_headline():
    roles = _roles("Home > News > Local\nCouncil approves tram extension\n"
                   "The council approved the £45m line on Tuesday.\nWork starts in May.")
    assert roles["Home > News > Local"] == "boilerplate"
    assert roles["Council approves tram extension"] == "headline"
