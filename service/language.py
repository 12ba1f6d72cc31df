"""What the models can read: English, of a few words at least.

Its heads learned from English news. On another language, or on a word or two, they are sure of a topic
they cannot know (a German energy story: economy 0.97; "Hello.": economy 0.90), and the descriptions
alone are no better on other scripts (Arabic, Greek or Hindi news: religion 0.5-0.98). So text in
another language gets no tags, and text of fewer than `MIN_WORDS` words is tagged by the descriptions
alone, which score it low (with its headline, when it has one). The language comes from py3langid (140
languages); only a confident guess of another language than `tagger.languages` counts, or, when those are
all written in the Latin alphabet, any guess for text mostly in another script. spaCy's English pipeline
reads no other language either: text confidently in another than `spacy.languages` gets no entities or
keywords (German news gave "Dezember" as a person, "Höhe" as a place, "von einem" as a keyword).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
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
# Every code py3langid answers (tests/test_config.py checks it against the model): what `tagger.languages`
# may name, known without loading the model, so that checking a config stays instant.
LANGUAGES = frozenset({
    "ace", "af", "am", "an", "ar", "ary", "arz", "as", "az", "ba", "bcl", "be", "bg", "bn", "br", "bs",
    "ca", "crh", "cs", "cy", "da", "de", "dz", "el", "en", "eo", "es", "et", "eu", "ext", "fa", "fi", "fo",
    "fr", "fuv", "fy", "ga", "gcf", "gcr", "gd", "gl", "gom", "grc", "gu", "gug", "guw", "ha", "hbo", "he",
    "hi", "hr", "ht", "hu", "hy", "id", "ig", "is", "it", "ja", "jv", "ka", "kab", "kik", "kk", "km", "kn",
    "ko", "ku", "ky", "la", "lb", "lg", "lij", "ln", "lo", "lt", "ltg", "lv", "mg", "mk", "ml", "mn", "mr",
    "ms", "mt", "my", "ne", "nl", "nn", "no", "nso", "oc", "om", "or", "pa", "pcm", "pl", "ps", "pt", "qu",
    "ro", "ru", "rw", "sa", "sdh", "se", "si", "sk", "sl", "sn", "so", "sq", "sr", "st", "sv", "sw", "ta",
    "te", "tg", "th", "tk", "tl", "tr", "tt", "ug", "uk", "ur", "uz", "uzs", "vec", "vi", "vo", "wa", "wuu",
    "xh", "yo", "yue", "zh", "zu", "zxx",
})
# Languages written in the Latin alphabet (py3langid's codes). When `tagger.languages` holds only these, text
# whose letters are mostly of another script is in another language however short it is: py3langid gives
# a headline in Arabic 0.66-0.73, under MIN_CONFIDENCE.
LATIN_SCRIPT = frozenset({
    "af", "an", "br", "bs", "ca", "cs", "cy", "da", "de", "en", "eo", "es", "et", "eu", "fi", "fo", "fr",
    "ga", "gl", "hr", "ht", "hu", "id", "is", "it", "la", "lb", "lt", "lv", "ms", "mt", "nl", "nn",
    "no", "oc", "pl", "pt", "qu", "ro", "rw", "sk", "sl", "sq", "sv", "sw", "tl", "tr", "vi", "vo", "wa",
    "xh", "zu",
})


@functools.cache
def identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@dataclass(frozen=True)
class Guess:
    """py3langid's reading of a text: its language, how sure it is, and the share of Latin letters."""

    lang: str
    confidence: float
    latin: float

    def other_than(self, languages: list[str]) -> str | None:
        """The guessed language when the text is confidently none of `languages`."""
        if self.lang in languages or ("en" in languages and self.lang in ENGLISH_LIKE):
            return None
        if self.confidence >= MIN_CONFIDENCE or (set(languages) <= LATIN_SCRIPT and self.latin < 0.5):
            return self.lang
        return None


def guess(text: str) -> Guess:
    sample = text[:SAMPLE_CHARS]
    lang, confidence = identifier().classify(sample)
    return Guess(lang, float(confidence), latin_share(sample))


def other_language(text: str, languages: list[str]) -> str | None:
    """The code of the language `text` is written in when it is confidently none of `languages`."""
    return guess(text).other_than(languages)


def latin_share(text: str) -> float:
    """The share of `text`'s letters in the Latin alphabet (its extensions included); 1 without letters."""
    letters = [c for c in text if c.isalpha()]
    latin = sum(ord(c) <= 0x024F or 0x1E00 <= ord(c) <= 0x1EFF for c in letters)
    return latin / len(letters) if letters else 1.0


def too_short(doc: Doc) -> bool:
    return sum(tok.is_alpha for tok in doc) < MIN_WORDS
