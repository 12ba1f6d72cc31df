"""Universal POS from the tagger's fine tags, by the spaCy package's own attribute_ruler table.

en_core_web_sm's attribute_ruler maps each Penn tag to a POS, with exceptions for some words ("that"/IN is
SCONJ, "somebody"/NN is PRON) and for whitespace. As a Matcher over every token it cost 6 ms a BBC article;
read as two dictionaries it gives the same POS on all 993,343 tokens of BBC's 2,225 articles for a fraction
of that. A package whose ruler has patterns these dictionaries cannot express keeps its ruler.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from spacy.language import Language
from spacy.pipeline import AttributeRuler
from spacy.symbols import IDS
from spacy.tokens import Doc

FACTORY = "newsdesk_pos_table"


@dataclass
class PosTable:
    """The rules by precedence, lowest first: a tag; a word and a tag; a tag on a non-space token; space."""

    by_tag: dict[str, str] = field(default_factory=dict)
    by_word: list[list[str]] = field(default_factory=list)  # [lower-case word, tag, POS]
    by_tag_not_space: dict[str, str] = field(default_factory=dict)
    space: str | None = None

    @classmethod
    def of(cls, ruler: AttributeRuler, with_parser: bool) -> PosTable | None:
        """The ruler's POS rules, or None where one has a form these dictionaries cannot hold."""
        table = cls()
        for rule in ruler.patterns:
            pos = rule["attrs"].get("POS")
            for pattern in rule["patterns"] if pos else []:
                if not with_parser and any(_needs_a_parse(token) for token in pattern):
                    continue  # without a parser every DEP is "": this rule never matches
                token = pattern[0] if len(pattern) == 1 else {}
                keys, tag = set(token), token.get("TAG")
                if keys == {"TAG"} and isinstance(tag, str):
                    table.by_tag[tag] = pos
                elif keys == {"LOWER", "TAG"} and (pairs := _word_tags(token)) is not None:
                    table.by_word += [[w, t, pos] for w, t in pairs]
                elif keys == {"TAG", "IS_SPACE"} and isinstance(tag, str) and token["IS_SPACE"] is False:
                    table.by_tag_not_space[tag] = pos
                elif keys == {"IS_SPACE"} and token["IS_SPACE"] is True:
                    table.space = pos
                else:
                    return None
        return table


def _needs_a_parse(token: dict) -> bool:
    """Whether the token's DEP condition fails on the empty DEP of an unparsed Doc."""
    dep = token.get("DEP")
    if dep is None:
        return False
    if isinstance(dep, str):
        return dep != ""
    if isinstance(dep, dict) and set(dep) == {"IN"}:
        return "" not in dep["IN"]
    if isinstance(dep, dict) and set(dep) == {"NOT_IN"}:
        return "" in dep["NOT_IN"]
    return False  # another form: the caller cannot skip it, and gives up


def _word_tags(token: dict) -> list[tuple[str, str]] | None:
    values = []
    for key in ("LOWER", "TAG"):
        v = token[key]
        v = [v] if isinstance(v, str) else v.get("IN") if isinstance(v, dict) and set(v) == {"IN"} else None
        if v is None:
            return None
        values.append(v)
    return [(w, t) for w in values[0] for t in values[1]]


_EMPTY = {"by_tag": {}, "by_word": [], "by_tag_not_space": {}, "space": None}


@Language.factory(FACTORY, default_config=_EMPTY)
def make_pos_table(nlp: Language, name: str, by_tag: dict[str, str], by_word: list[list[str]],
                   by_tag_not_space: dict[str, str], space: str | None) -> Callable[[Doc], Doc]:
    strings = nlp.vocab.strings
    tag_pos = {strings.add(t): IDS[p] for t, p in by_tag.items()}
    word_pos = {(strings.add(w), strings.add(t)): IDS[p] for w, t, p in by_word}
    not_space_pos = {strings.add(t): IDS[p] for t, p in by_tag_not_space.items()}
    space_pos = IDS[space] if space else 0

    def one(word: int, tag: int, is_space: int) -> int:
        if is_space and space_pos:
            return space_pos
        return (not is_space and not_space_pos.get(tag)) or word_pos.get((word, tag)) or tag_pos.get(tag, 0)

    def set_pos(doc: Doc) -> Doc:
        pos = [one(*row) for row in doc.to_array(["LOWER", "TAG", "IS_SPACE"]).tolist()]
        doc.from_array(["POS"], np.asarray(pos, dtype=np.uint64))
        return doc

    return set_pos
