"""spaCy in two steps (segment, then annotate) gives exactly what the whole pipeline gives."""

from __future__ import annotations

from service.config import SpacyConfig
from service.nlp import SpacyPipeline
from service.text import clean_text


def annotations(doc) -> tuple:
    return ([(s.start_char, s.end_char) for s in doc.sents],
            [(e.start_char, e.end_char, e.label_) for e in doc.ents],
            [(t.tag_, t.pos_) for t in doc])


def test_segment_then_annotate_equals_the_full_pipeline(analyzer, seed_text):
    nlp = analyzer.nlp
    text = clean_text(seed_text).text
    doc = nlp.segment(text)
    assert [(s.start_char, s.end_char) for s in doc.sents] == annotations(nlp(text))[0]
    assert not doc.ents and not any(t.pos_ for t in doc), "segment must leave POS and NER for later"
    nlp.annotate([doc])
    assert annotations(doc) == annotations(nlp(text))
    nlp.annotate([doc])  # a second call is a no-op, not a second pass
    assert annotations(doc) == annotations(nlp(text))


def test_without_a_standalone_senter_segment_runs_everything(seed_text):
    nlp = SpacyPipeline(SpacyConfig(components=["tok2vec", "tagger", "attribute_ruler", "ner", "parser"]))
    doc = nlp.segment(clean_text(seed_text).text)
    assert doc.ents and any(t.pos_ for t in doc) and len(list(doc.sents)) > 5
