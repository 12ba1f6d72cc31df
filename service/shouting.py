"""Shouted lines: wire headlines in capitals (GRAIN SHIPS WAITING AT NEW ORLEANS). spaCy tags and names
their words poorly (GRAIN SHIPS WAITING as an organisation) and their case says nothing, so keywords and
entities come from the rest of the text when there is any."""

from __future__ import annotations

import re

from spacy.tokens import Doc


def is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def shouted_tokens(doc: Doc) -> tuple[set[int], bool]:
    """The indices of the tokens on shouted lines, and whether every line with words is shouted."""
    text = doc.text
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)
             if any(c.isalpha() for c in m.group())]
    loud = [(a, b) for a, b in lines if is_shouting(text[a:b])]
    shouted = {tok.i for a, b in loud for tok in doc.char_span(a, b, alignment_mode="expand") or ()}
    return shouted, len(loud) == len(lines)
