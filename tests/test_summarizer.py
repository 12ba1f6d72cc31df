"""The default summariser on real models: the shipped sentence scorer, and what a summary never holds
(headlines, page furniture, a quote without its speaker in front), under exact length limits."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from service.artifacts import VOCAB, WEIGHTS, load_manifest
from service.config import load_engine_config
from service.features import EncodedText
from service.roles import needs_context
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.sentence_scorer import LearnedSentenceScorer
from service.summarizer import summarize

TITLE = "Flood barriers fail as river bursts its banks"
QUOTE = ('"The barriers failed because the money to replace them never came, and the families of '
         'Northbridge paid the price."')
FURNITURE = [
    "By Jane Smith, BBC News",
    "NORTHBRIDGE (Reuters) -",
    "Monday 28 November 2026",
    "Pictured: Flood water pours into the centre of Northbridge after the river barriers failed",
    "(Image: Flood barriers along the river in Northbridge gave way on Sunday night)",
    "Residents wade through flood water in the centre of Northbridge on Monday (John Smith/Getty Images)",
    "Reuters/Jane Doe: families leave their flooded homes in Northbridge on Sunday night",
    "Share this article",
    "Read more: Why the river flood barriers in Northbridge failed on Sunday night",
    "Related: Northbridge flood barriers were due to be replaced by the council next year",
    "Follow us on Twitter for the latest news on the Northbridge floods",
    "Sign up for our newsletter to get flood alerts for Northbridge and the river valley",
    "Click here to read the latest flood warnings for Northbridge",
]
BODY = [
    QUOTE,
    "Flood water poured into the centre of Northbridge on Sunday night after temporary barriers along the "
    "river failed, forcing hundreds of families to leave their homes.",
    "The council said the barriers had been due for replacement next year, but funding for the work was "
    "delayed by the government.",
    "Emergency services rescued more than 200 people overnight, and three schools in the town will stay "
    "closed until Wednesday.",
    '"It came up so fast we had no time to move the car," he said.',
    "The Environment Agency said river levels were expected to fall slowly over the next two days, though "
    "more rain is forecast.",
]
# Furniture before, between and after the body, as pages put it.
ARTICLE = "\n".join([TITLE, *FURNITURE[:3], BODY[0], BODY[1], *FURNITURE[3:7], *BODY[2:4], *FURNITURE[7:10],
                     *BODY[4:], *FURNITURE[10:]])


def _analyze(analyzer, **options):
    options = AnalyzeOptions(include=["summary"], **options)
    return analyzer.analyze(AnalyzeRequest(text=ARTICLE, options=options))


def test_roles_of_the_fixture(analyzer):
    roles = {s.text: s.role for s in analyzer.prepare(AnalyzeRequest(text=ARTICLE)).sentences}
    assert roles[TITLE] == "headline"
    assert {roles[f] for f in FURNITURE} == {"boilerplate"}
    assert {roles[b] for b in BODY} == {"body"}


def test_no_headline_or_furniture_and_no_bare_quote_first(analyzer):
    p = analyzer.prepare(AnalyzeRequest(text=ARTICLE))
    e = analyzer.encode([p])[0]
    doc = EncodedText.of_article(p.sentences, e.sentence_vectors, None, None)
    scores = analyzer.sentence_scorer.score(doc)
    quote = next(s.index for s in p.sentences if s.text == QUOTE)
    # The scorer ranks the lead quote among its top two, and it stands first in the article: every summary
    # of two or more sentences would open with it, so the rule must act.
    assert quote in sorted(scores, key=scores.get, reverse=True)[:2]
    for n in range(1, len(BODY) + 2):
        texts = [s.text for s in _analyze(analyzer, summary_sentences=n).summary.sentences]
        assert texts and set(texts) <= set(BODY), texts
        assert not needs_context(texts[0]) and texts[0] != QUOTE
    assert BODY[4] in texts  # a quote may stand later in the summary, after what gives it context


def test_summary_words_is_an_exact_upper_bound(analyzer):
    shortest = min(len(b.split()) for b in BODY if not needs_context(b))  # that may open a summary
    for budget in range(1, 90, 3):
        sentences = _analyze(analyzer, summary_words=budget).summary.sentences
        assert sum(len(s.text.split()) for s in sentences) <= budget
        assert bool(sentences) == (budget >= shortest)
        assert not sentences or not needs_context(sentences[0].text)


def test_a_bare_quote_gives_way_to_the_next_best(analyzer):
    p = analyzer.prepare(AnalyzeRequest(text=ARTICLE))
    vectors = analyzer.encode([p])[0].sentence_vectors
    cfg = analyzer.config.summarizer
    doc = np.zeros(vectors.shape[1], np.float32)

    def pick(rank: list[str], n: int) -> list[str]:
        """The summary when the scorer ranks these sentences first, in this order."""
        score = {s.index: (len(rank) - rank.index(s.text) if s.text in rank else 0.0) for s in p.sentences}
        picks = summarize(cfg, p.sentences, vectors, doc, n_sentences=n, n_words=None,
                          scorer=lambda c: np.array([score[i] for i in c], np.float32))
        return [p.sentences[k.index].text for k in picks]

    assert pick([QUOTE, BODY[3], BODY[1]], 1) == [BODY[3]]
    assert pick([QUOTE, BODY[3], BODY[1]], 2) == [BODY[1], BODY[3]]  # the quote opens nothing
    assert pick([BODY[1], BODY[4]], 2) == [BODY[1], BODY[4]]  # a quote after the lead is fine
    only_quotes = [s for s in p.sentences if s.text in (QUOTE, BODY[4])]
    for s in p.sentences:  # an article of nothing but quotes keeps one rather than say nothing
        s.role = "body" if s in only_quotes else "boilerplate"
    assert pick([QUOTE], 1) == [QUOTE]


# -- the shipped scorer -------------------------------------------------------------------------------------
def test_default_config_uses_the_shipped_scorer(analyzer, project_root):
    path = load_engine_config(project_root / "configs" / "default.yaml").summarizer.artifact
    assert path == project_root / "models" / "summary-default"
    folder, manifest = load_manifest(path)
    assert analyzer.sentence_scorer is not None and analyzer.sentence_scorer.manifest == manifest
    r = _analyze(analyzer)
    assert r.model.name.endswith(f"+{manifest.name}")  # after the tagger's model
    assert r.model.version.endswith(f"+{manifest.version}")
    assert len(r.summary.sentences) == analyzer.config.summarizer.sentences == 3
    # Nothing derived from the data but a small head; a card saying how to rebuild it.
    assert manifest.model["lexical"] == "article" and VOCAB not in manifest.files
    assert (folder / WEIGHTS).stat().st_size <= 2 * 1024 * 1024
    assert "newsdesk train configs/train/summary-default.yaml --promote" in (folder / "README.md").read_text()
    resolved = yaml.safe_load((folder / "config.yaml").read_text())
    assert not any(Path(resolved["data"][k]).is_absolute() for k in ("path", "ids"))


def test_the_shipped_scorer_needs_nothing_outside_its_folder(analyzer, tmp_path):
    folder, _ = load_manifest(analyzer.config.summarizer.artifact)
    copy = shutil.copytree(folder, tmp_path / "elsewhere" / folder.name)
    moved = LearnedSentenceScorer.load(copy, analyzer.encoder)
    p = analyzer.prepare(AnalyzeRequest(text=ARTICLE, title=TITLE))
    e = analyzer.encode([p])[0]
    doc = EncodedText.of_article(p.sentences, e.sentence_vectors, p.title, e.title_vector)
    assert moved.score(doc) == pytest.approx(analyzer.sentence_scorer.score(doc))


def test_only_the_first_max_candidates_body_sentences_compete(analyzer):
    # The sentence graph costs the square of the candidates: a text of thousands of one-line sentences
    # would take minutes and gigabytes. Past `max_candidates` body sentences, none is read or picked.
    p = analyzer.prepare(AnalyzeRequest(text=ARTICLE))
    e = analyzer.encode([p])[0]
    doc = EncodedText.of_article(p.sentences, e.sentence_vectors, p.title, e.title_vector)
    body = [s.index for s in p.sentences if s.role == "body"]
    assert len(body) == len(BODY) and set(analyzer.sentence_scorer.score(doc, 3)) == set(body[:3])
    cfg = analyzer.config.summarizer.model_copy(update={"max_candidates": 3})
    zero = np.zeros(e.sentence_vectors.shape[1], np.float32)

    def later_first(candidates: list[int]) -> np.ndarray:
        return np.array(candidates, np.float32)

    picks = summarize(cfg, p.sentences, e.sentence_vectors, zero, n_sentences=2, n_words=None,
                      scorer=later_first)
    assert [k.index for k in picks] == body[1:3]  # body[0] is the bare quote
    shipped = summarize(cfg, p.sentences, e.sentence_vectors, zero, n_sentences=3, n_words=None,
                        scorer=analyzer.sentence_scorer.scorer_for(doc, 3))
    assert shipped and {k.index for k in shipped} <= set(body[:3])
