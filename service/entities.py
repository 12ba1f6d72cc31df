"""Named entities from spaCy, merged across mentions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc

from service.asides import shouted_tokens, tokens_within

_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_LEADING_THE = re.compile(r"^the\s+", re.I)
_SPACES = re.compile(r"\s+")


@dataclass
class Entity:
    text: str
    type: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # cleaned-text offsets

    @property
    def count(self) -> int:
        return len(self.spans)


def _key(text: str) -> str:
    text = _LEADING_THE.sub("", text.strip())
    text = _POSSESSIVE.sub("", text)
    return _SPACES.sub(" ", text).casefold()


def extract_entities(doc: Doc, types: set[str], asides: Sequence[tuple[int, int]] = ()) -> list[Entity]:
    """Group mentions by normalised text and type; a lone surname joins the full name. A mention that runs
    over a line break is no entity (text.py makes every line break end a sentence). A mention on a shouted
    line, or inside one of `asides` (character spans of bylines, datelines, captions and credits, times),
    only counts for an entity the rest of the text names (POLAND for Poland), which also gives its written
    form: "16.45 BST" or "Photo: Reuters/Jane Doe" name nobody the story is about."""
    groups: dict[tuple[str, str], Entity] = {}
    doc_text = doc.text  # Doc.text rebuilds the string on every access
    shouted, all_shouted = shouted_tokens(doc)
    beside = tokens_within(doc, asides)
    loud: list[tuple[str, int, int]] = []
    for ent in doc.ents:
        if ent.label_ not in types:
            continue
        a, b = ent.start_char, ent.end_char
        text = doc_text[a:b]
        if "\n" in text:  # runs over a line break: menu items or a heading and the next line, not a name
            continue
        if not any(c.isalpha() for c in text):  # figures in a table ("1      0" as a PRODUCT): no name
            continue
        # Keep "Iraq" for "Iraq's", but the span still covers what was written.
        shown = _SPACES.sub(" ", _POSSESSIVE.sub("", _LEADING_THE.sub("", text)).strip()) or text
        key = (_key(text), ent.label_)
        if not key[0]:
            continue
        if (ent.start in shouted and not all_shouted) or ent.start in beside:
            loud.append((key[0], a, b))
            continue
        if key not in groups:
            groups[key] = Entity(shown, ent.label_)
        groups[key].spans.append((a, b))
    by_text = {k: e for (k, _), e in sorted(groups.items(), key=lambda g: -g[1].count)}
    for k, a, b in loud:  # whatever type spaCy gave it in capitals
        if k in by_text:
            by_text[k].spans.append((a, b))
    persons = [e for (k, t), e in groups.items() if t == "PERSON" and " " in k]
    for (k, t), e in list(groups.items()):
        if t != "PERSON" or " " in k:
            continue
        full = [p for p in persons if k in _key(p.text).split()]
        if len(full) == 1:  # only when unambiguous
            full[0].spans.extend(e.spans)
            del groups[(k, t)]
    ents = list(groups.values())
    for e in ents:
        e.spans.sort()
    ents.sort(key=lambda e: (-e.count, e.spans[0][0]))
    return ents
