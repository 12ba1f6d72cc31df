"""What the default tagger can read: English, of a few words at least.

Its heads learned from English news. On another language, or on a word or two, they are sure of a topic
they cannot know (a German energy story: economy 0.97; "Hello.": economy 0.90), and the descriptions
alone are no better on other scripts (Arabic, Greek or Hindi news: religion 0.5-0.98). So text in
another language gets no tags, and text of fewer than `MIN_WORDS` words is tagged by the descriptions
alone, which score it low (with its headline, when it has one). The language comes from py3langid (97
languages); only a confident guess of another language than `tagger.languages` counts.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier
    from spacy.tokens import Doc

MIN_WORDS = 5
# Of 28,000 BBC and Reuters articles, whole or cut to their first sentence, one (French names) was given
# another language above 0.8; text in other languages comes out at 0.84-1.0.
MIN_CONFIDENCE = 0.8
# py3langid's other answers for English text: an English-based pidgin, "no language" (tables of figures)
ENGLISH_LIKE = frozenset({"pcm", "zxx"})
SAMPLE_CHARS = 10_000  # enough to tell a language; keeps a 1 MB text cheap


@functools.cache
def identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def other_language(text: str, languages: list[str]) -> str | None:
    """The code of the language `text` is written in when it is confidently none of `languages`."""
    lang, confidence = identifier().classify(text[:SAMPLE_CHARS])
    if lang in languages or ("en" in languages and lang in ENGLISH_LIKE) or confidence < MIN_CONFIDENCE:
        return None
    return lang


def too_short(doc: Doc) -> bool:
    return sum(tok.is_alpha for tok in doc) < MIN_WORDS
