"""Entity grouping on hand-made spaCy docs (the spans a model gives are set by hand)."""

from __future__ import annotations

import itertools

import spacy
from spacy.tokens import Span

from service.entities import extract_entities

TYPES = {"PERSON", "ORG", "GPE", "PRODUCT"}


def _doc(words: list[str], spaces: list[bool], ents: list[tuple[int, int, str]]):
    doc = spacy.tokens.Doc(spacy.blank("en").vocab, words=words, spaces=spaces)
    doc.ents = [Span(doc, a, b, label=label) for a, b, label in ents]
    return doc


def test_figures_are_no_entity_and_runs_of_spaces_are_shown_as_one():
    words = ["Net", "1", "   ", "0", "vs", "Texas", "  ", "Pacific", "and", "Texas", "Pacific", "."]
    spaces = [True, False, False, True, True, False, False, True, True, True, False, False]
    doc = _doc(words, spaces, [(1, 4, "PRODUCT"), (5, 8, "ORG"), (9, 11, "ORG")])
    found = {(e.text, e.type): e.count for e in extract_entities(doc, TYPES)}
    assert found == {("Texas Pacific", "ORG"): 2}


def test_a_lone_surname_joins_the_one_full_name():
    words = ["Jerzy", "Urban", "spoke", ".", "Urban", "said", "no", "."]
    spaces = [True, True, False, True, True, True, False, False]
    doc = _doc(words, spaces, [(0, 2, "PERSON"), (4, 5, "PERSON")])
    assert [(e.text, e.count) for e in extract_entities(doc, TYPES)] == [("Jerzy Urban", 2)]


def _marked(text: str, ents: list[tuple[str, str]]):
    """A doc of `text` with the entities (written form, label) at their next occurrences, in order."""
    doc = spacy.blank("en")(text)
    spans, at = [], 0
    for written, label in ents:
        a = text.index(written, at)
        at = a + len(written)
        span = doc.char_span(a, at, label=label)
        assert span is not None, written
        spans.append(span)
    doc.ents = spans
    return doc


def _found(doc):
    return [(e.text, e.type, e.count) for e in extract_entities(doc, TYPES | {"NORP", "EVENT", "LAW"})]


def test_a_title_is_no_part_of_a_name_and_alone_names_nobody():
    doc = _marked("David Blunkett resigned. Mr Blunkett said Mr was wrong.",
                  [("David Blunkett", "PERSON"), ("Mr Blunkett", "ORG"), ("Mr", "PERSON")])
    assert _found(doc) == [("David Blunkett", "PERSON", 2)]


def test_a_surname_typed_otherwise_joins_the_full_name_given_before_it():
    doc = _marked("Craig Bellamy was fined. Newcastle said Bellamy and Souness met. Graeme Souness left.",
                  [("Craig Bellamy", "PERSON"), ("Newcastle", "GPE"), ("Bellamy", "ORG"), ("Souness", "ORG"),
                   ("Graeme Souness", "PERSON")])
    assert _found(doc) == [("Craig Bellamy", "PERSON", 2), ("Newcastle", "GPE", 1), ("Souness", "ORG", 1),
                           ("Graeme Souness", "PERSON", 1)]  # the surname came first: it stays


def test_a_surname_typed_otherwise_in_the_headline_joins_the_full_name_after_it():
    doc = _marked("Macron defends pension reform\nFrench President Emmanuel Macron spoke in Lyon.",
                  [("Macron", "ORG"), ("Emmanuel Macron", "PERSON"), ("Lyon", "GPE")])
    assert _found(doc) == [("Emmanuel Macron", "PERSON", 2), ("Lyon", "GPE", 1)]
    doc = _marked("Tory MP defects to Labour\nHe defected to Labour. Labour MPs cheered.",
                  [("Labour", "ORG"), ("Labour", "ORG"), ("Labour MPs", "PERSON")])  # spaCy's person
    assert _found(doc) == [("Labour", "ORG", 2), ("Labour MPs", "PERSON", 1)]


def test_a_company_named_after_a_person_is_no_person():
    doc = _marked("Heineken NV said chairman Freddie Heineken spoke. Heineken sells beer.",
                  [("Heineken NV", "ORG"), ("Freddie Heineken", "PERSON"), ("Heineken", "ORG")])
    assert _found(doc) == [("Heineken NV", "ORG", 2), ("Freddie Heineken", "PERSON", 1)]


def test_a_name_typed_two_ways_is_one_entity_but_a_lone_person_name_stays_apart():
    doc = _marked("The Davis Cup final. Spain won the Davis Cup and the Davis Cup. Jordan met Jordan's king.",
                  [("Davis Cup", "EVENT"), ("Spain", "GPE"), ("Davis Cup", "LAW"), ("Davis Cup", "EVENT"),
                   ("Jordan", "PERSON"), ("Jordan's", "GPE")])
    assert _found(doc) == [("Davis Cup", "EVENT", 3), ("Spain", "GPE", 1), ("Jordan", "PERSON", 1),
                           ("Jordan", "GPE", 1)]


def test_an_acronym_joins_the_one_name_with_its_initials():
    doc = _marked("Fiat and General Motors (GM) met in the United States. GM and U.S. officials, and the "
                  "Federal Reserve Bank and the Foreign Relations Board, or FRB.",
                  [("Fiat", "ORG"), ("General Motors", "ORG"), ("GM", "ORG"), ("United States", "GPE"),
                   ("GM", "ORG"), ("U.S.", "GPE"), ("Federal Reserve Bank", "ORG"),
                   ("Foreign Relations Board", "ORG"), ("FRB", "ORG")])
    found = _found(doc)
    assert found[:2] == [("General Motors", "ORG", 3), ("United States", "GPE", 2)]
    assert ("FRB", "ORG", 1) in found  # two names with those initials: neither


def test_a_companys_legal_form_and_its_first_word_after_the_full_name_are_the_same_company():
    doc = _marked("Texaco Inc said Texaco Capital N.V. and Texaco would pay, Texaco said. Deutsche Boerse "
                  "and Deutsche agreed. The Finance Ministry said Finance Director Pereira agreed.",
                  [("Texaco Inc", "ORG"), ("Texaco Capital N.V.", "ORG"), ("Texaco", "ORG"),
                   ("Texaco", "ORG"), ("Deutsche Boerse", "ORG"), ("Deutsche", "ORG"),
                   ("Finance Ministry", "ORG"), ("Finance", "ORG")])
    assert _found(doc) == [("Texaco", "ORG", 3), ("Deutsche Boerse", "ORG", 2),  # not Texaco Capital's
                           ("Texaco Capital N.V.", "ORG", 1), ("Finance Ministry", "ORG", 1),
                           ("Finance", "ORG", 1)]


def test_an_unclosed_bracket_is_cut_off_and_the_span_slices_the_name():
    text = ("<Hoechst Celanese Corp> said Den norske stats oljeselskap A/S (Statoil) paid 40 cts a share. "
            "Texaco Inc <TX> agreed.")
    doc = _marked(text, [("Hoechst Celanese Corp>", "ORG"),
                         ("Den norske stats oljeselskap A/S (Statoil", "ORG"), ("cts", "ORG"),
                         ("Texaco Inc", "ORG"), ("TX>", "ORG")])
    ents = extract_entities(doc, TYPES)
    assert [(e.text, [text[a:b] for a, b in e.spans]) for e in ents] == [
        ("Hoechst Celanese Corp", ["Hoechst Celanese Corp"]),
        ("Den norske stats oljeselskap A/S", ["Den norske stats oljeselskap A/S"]),
        ("Texaco Inc", ["Texaco Inc"]),
    ]  # "cts" in lower case and the ticker TX name nothing the story names


def test_thousands_of_names_join_as_a_few_do():
    """A list of 2,000 people (candidates, an honours list), each named in full, then by surname as a person
    and as an organisation, and a few companies by acronym: every lone name was checked against every full
    name, quadratic (minutes); the joins are those of a short text."""
    syllables = ["bor", "va", "ni", "ko", "lem", "tra", "su", "del"]
    words = ["".join(p).capitalize() for p in itertools.product(syllables, repeat=4)]
    people = list(zip(words[:2000], words[2000:4000], strict=True))
    text = "".join(f"{first} {last} spoke. {last} left. Then {last} said no. " for first, last in people)
    text += "General Motors Corp said so. GM agreed. Deutsche Boerse said so. Deutsche agreed. GM said no. "
    ents = [e for first, last in people
            for e in ((f"{first} {last}", "PERSON"), (last, "PERSON"), (last, "ORG"))]
    ents += [("General Motors Corp", "ORG"), ("GM", "ORG"), ("Deutsche Boerse", "ORG"), ("Deutsche", "ORG"),
             ("GM", "ORG")]
    found = _found(_marked(text, ents))
    assert found == [*((f"{first} {last}", "PERSON", 3) for first, last in people),
                     ("General Motors Corp", "ORG", 3), ("Deutsche Boerse", "ORG", 2)]
