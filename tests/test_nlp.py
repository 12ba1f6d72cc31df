"""spaCy in two steps (segment, then annotate) gives exactly what the whole pipeline gives."""

from __future__ import annotations

from types import SimpleNamespace

from service.config import SpacyConfig
from service.nlp import SpacyPipeline
from service.pos_table import PosTable
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


def test_the_pos_table_gives_the_rulers_pos(analyzer, seed_text):
    """The default loads no attribute_ruler; POS comes from its table, token for token the same."""
    assert "attribute_ruler" not in analyzer.nlp.nlp.pipe_names and analyzer.nlp.has_pos
    ruler = SpacyPipeline(SpacyConfig(components=["tok2vec", "tagger", "attribute_ruler", "senter", "ner"]))
    assert "attribute_ruler" in ruler.nlp.pipe_names
    texts = [clean_text(seed_text).text, "  Two  spaces\n\nand somebody said that it was\t\there .  ",
             "Nobody knows anything, but I'd say she's done it herself because it hasn't worked."]
    docs = list(analyzer.nlp.pipe(texts))
    for ours, theirs in zip(docs, ruler.pipe(texts), strict=True):
        assert [(t.text, t.pos_) for t in ours] == [(t.text, t.pos_) for t in theirs]
    pos = {t.text: t.pos_ for d in docs[1:] for t in d}
    assert pos["somebody"] == pos["Nobody"] == "PRON" and pos["  "] == "SPACE"  # a word's rule; whitespace


def test_a_ruler_the_table_cannot_hold_is_kept():
    def ruler(*patterns):
        return SimpleNamespace(patterns=[{"patterns": [p], "attrs": {"POS": "NOUN"}} for p in patterns])

    table = PosTable.of(ruler([{"TAG": "NN"}], [{"LOWER": {"IN": ["a", "b"]}, "TAG": "DT"}], [{"DEP": "x"}]),
                        with_parser=False)
    assert table is not None and table.by_tag == {"NN": "NOUN"} and len(table.by_word) == 2
    assert PosTable.of(ruler([{"DEP": "x"}]), with_parser=True) is None  # a parse would make it match
    assert PosTable.of(ruler([{"LEMMA": "be"}]), with_parser=False) is None
    assert PosTable.of(ruler([{"TAG": "NN"}, {"TAG": "NN"}]), with_parser=False) is None
