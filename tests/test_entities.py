"""Entity grouping on hand-made spaCy docs (the spans a model gives are set by hand)."""

from __future__ import annotations

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
