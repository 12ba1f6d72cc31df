"""spaCy in two steps (segment, then annotate) gives exactly what the whole pipeline gives."""

from __future__ import annotations

import numpy as np
import spacy

from service.config import SpacyConfig
from service.nlp import MAX_RUN, RunCuttingTokenizer, SpacyPipeline
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
        """A real attribute_ruler holding these patterns, as spaCy gives them back in `patterns`."""
        real = spacy.blank("en").add_pipe("attribute_ruler")
        for p in patterns:
            real.add([p], {"POS": "NOUN"})
        return real

    table = PosTable.of(ruler([{"TAG": "NN"}], [{"LOWER": {"IN": ["a", "b"]}, "TAG": "DT"}], [{"DEP": "x"}]),
                        with_parser=False)
    assert table is not None and table.by_tag == {"NN": "NOUN"} and len(table.by_word) == 2
    assert PosTable.of(ruler([{"DEP": "x"}]), with_parser=True) is None  # a parse would make it match
    assert PosTable.of(ruler([{"LEMMA": "be"}]), with_parser=False) is None
    assert PosTable.of(ruler([{"TAG": "NN"}, {"TAG": "NN"}]), with_parser=False) is None


def tokens(doc) -> list[tuple]:
    return [(t.text, t.whitespace_, t.idx, t.norm_) for t in doc]


def test_a_long_run_without_spaces_is_tokenized_in_pieces_and_keeps_its_text(analyzer):
    """spaCy's tokenizer costs the square of a whitespace-free run's length (16,000 "!" froze the server
    for seconds): such a run is tokenized in pieces, and the Doc's text is still the input, exactly."""
    nlp = analyzer.nlp
    plain = nlp.nlp.tokenizer.tokenizer
    head, tail = "Breaking news: I don't know ", " Then a sentence.\n\nAnd\tanother one. "
    for run in ["!" * 20_000, "\U0001F600" * 20_000, "!)'*%-" * 1_000 + "x" * 700]:
        text = head + run + tail
        doc = nlp.segment(text)
        assert doc.text == text and "".join(t.text_with_ws for t in doc) == text
        inside = [t for t in doc if len(head) <= t.idx < len(head) + len(run)]
        assert "".join(t.text_with_ws for t in inside) == run + " " and max(len(t) for t in inside) <= MAX_RUN
        assert tokens(doc)[:len(plain(head))] == tokens(plain(head))  # what surrounds the run is as before
        ends = tokens(plain(tail[1:]))
        assert [(w, s, i + len(head + run) + 1, n) for w, s, i, n in ends] == tokens(doc)[-len(ends):]
        assert list(doc.sents)


def test_cutting_a_run_spacy_splits_anyway_changes_nothing(analyzer):
    """spaCy makes a token of each "!" and each emoji of a run, so there the cuts change no token: the Docs
    are the same in every attribute, sentence starts included (a cut is no sentence boundary)."""
    nlp = analyzer.nlp
    plain = nlp.nlp.tokenizer.tokenizer
    attrs = ["ORTH", "NORM", "SPACY", "SENT_START", "TAG", "POS", "ENT_IOB", "ENT_TYPE"]
    for text in ["Breaking news " + "!" * 1_500 + " Next sentence here. One with Tony Blair in London.",
                 "He said \U0001F600" + "\U0001F600" * 1_200 + " and left. Gordon Brown spoke in Paris."]:
        assert len(nlp.nlp.make_doc(text)) == len(plain(text)) > 1_000
        assert np.array_equal(nlp.nlp.make_doc(text).to_array(attrs), plain(text).to_array(attrs))
        full = nlp(text)
        assert np.array_equal(full.to_array(attrs), nlp.nlp(plain(text)).to_array(attrs))
        assert [(s.start_char, s.end_char) for s in nlp.segment(text).sents] == \
            [(s.start_char, s.end_char) for s in full.sents]


def test_every_way_of_tokenizing_cuts_long_runs(analyzer):
    nlp, text = analyzer.nlp, "A " + "a" * (2 * MAX_RUN + 88) + " end."
    assert isinstance(nlp.nlp.tokenizer, RunCuttingTokenizer)
    assert [len(t) for t in nlp.nlp.tokenizer.tokenizer(text)] == [1, 2 * MAX_RUN + 88, 3, 1]  # spaCy's
    for doc in [nlp.segment(text), nlp(text), *nlp.pipe([text]), nlp.nlp.make_doc(text)]:
        assert doc.text == text and [len(t) for t in doc] == [1, MAX_RUN, MAX_RUN, 88, 3, 1]
    doc = nlp.segment(text)
    nlp.annotate([doc])
    assert all(t.pos_ for t in doc)
    with nlp.nlp.memory_zone():  # the batch scorer's way: forwarded to spaCy's tokenizer
        assert [len(list(d)) for d in nlp.pipe([text, "Short."])] == [6, 2]


def test_text_without_long_runs_is_tokenized_as_before(analyzer, seed_text):
    wrapped = analyzer.nlp.nlp.tokenizer
    texts = [clean_text(seed_text).text, "See https://www.bbc.co.uk/news/world-middle-east-12345678 now.",
             "A state-of-the-art, well-known, hard-to-find " + "x" * MAX_RUN + " !!!\n\n\t:-) ok"]
    for text in texts:
        assert tokens(wrapped(text)) == tokens(wrapped.tokenizer(text))
    assert "https://www.bbc.co.uk/news/world-middle-east-12345678" in [t.text for t in wrapped(texts[1])]
