"""Text beside the story proper, which names nothing and gives no keywords of its own.

Shouted lines: wire headlines in capitals (GRAIN SHIPS WAITING AT NEW ORLEANS). spaCy tags and names their
words poorly (GRAIN SHIPS WAITING as an organisation) and their case says nothing. Boilerplate sentences
(roles.py: bylines, datelines, times, captions and credits) are about the page, not the story.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc


def is_shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def tokens_within(doc: Doc, spans: Iterable[tuple[int, int]]) -> set[int]:
    """The indices of the tokens that overlap the character spans."""
    return {tok.i for a, b in spans for tok in doc.char_span(a, b, alignment_mode="expand") or ()}


def shouted_tokens(doc: Doc) -> tuple[set[int], bool]:
    """The indices of the tokens on shouted lines, and whether every line with words is shouted."""
    text = doc.text
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)
             if any(c.isalpha() for c in m.group())]
    loud = [(a, b) for a, b in lines if is_shouting(text[a:b])]
    return tokens_within(doc, loud), len(loud) == len(lines)


@dataclass
class Beside:
    """One article's tokens beside its story, read once for keywords and entities."""

    shouted: set[int]  # tokens on shouted lines
    all_shouted: bool  # every line with words is shouted: then the shouting is the story
    asides: set[int]  # tokens in bylines, datelines, captions and credits, times

    @property
    def skipped(self) -> set[int]:
        """The tokens that name nothing and give no keyword of their own."""
        return self.asides | (set() if self.all_shouted else self.shouted)


def beside_story(doc: Doc, asides: Sequence[tuple[int, int]] = ()) -> Beside:
    """`asides`: character spans of the sentences that are boilerplate."""
    shouted, all_shouted = shouted_tokens(doc)
    return Beside(shouted, all_shouted, tokens_within(doc, asides))
