"""Keywords: noun phrases ranked by similarity to the document vector.

A phrase's vector is the mean of the encoder's token states over its mentions,
taken from the sentence pass that already ran: keywords cost no extra encoding.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc, Token

from service.asides import Beside, beside_story
from service.text import STRAIGHT_QUOTES

_NOUNISH = {"NOUN", "PROPN"}
_MODIFIER = {"ADJ", "NOUN", "PROPN"}
# A final "." stays: spaCy splits off full stops, so it is an abbreviation's ("U.S.").
_EDGE_JUNK = re.compile(r"^[\W_]+|[^\w.]+$")
_SPACES = re.compile(r"\s+")
_STOPPED_NAME = re.compile(r"(\w&\w+)\.$")  # "P&G." ending a sentence: the full stop is the sentence's
_AMOUNT = re.compile(r"^\d[\d.,]*(?:k|m|bn|tn|km|kg|mph|ft|cm|mm|mw|gw)$", re.I)
# What a number measures ("a 47-year-old director", "the seven-year bond", "four-month highs"): not part of
# the phrase that follows.
_MEASURES = {"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours", "minute",
             "minutes", "member", "metre", "metres", "mile", "miles", "old", "point", "seat"}
# Wire copy's shorthand ("mln dlrs", "pct", "Oper shr profit", "vs"), and the words of dates.
_WIRE_WORDS = {"mln", "bln", "dlr", "dlrs", "ct", "cts", "pct", "shr", "shrs", "revs", "mths", "avg", "qtr",
               "bpd", "stg", "vs", "oper", "div", "qtly", "nil"}
_NOW = {"today", "tomorrow", "yesterday", "tonight", "a.m.", "p.m."}
_DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
         "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
         "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "am", "pm",
         "morning", "afternoon", "evening", "night", "noon", "midnight", "weekend"}
_AMOUNTS = {"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"}
# A company's legal form, alone no keyword ("…, Inc.", "Ltd."): its name went before a comma.
_LEGAL_FORMS = {"inc", "ltd", "llc", "plc", "corp", "co", "gmbh", "ag", "sa", "nv", "bhd", "lp", "llp"}
_MONTH_ABBREVIATIONS = {"jan.", "feb.", "mar.", "apr.", "aug.", "sept.", "sep.", "oct.", "nov.", "dec."}
# Words that alone say nothing of a story ("company", "year", "things", "news"); kept inside longer phrases.
_GENERIC = {"year", "years", "people", "thing", "things", "time", "times", "way", "ways", "lot", "lots",
            "number", "part", "month", "months", "week", "weeks", "day", "days", "company", "companies",
            "firm", "firms", "group", "country", "countries", "news", "issue", "issues", "matter", "case",
            "cases", "kind", "example", "result", "results", "figures", "period", "end", "side", "place"}
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sir", "lord", "lady", "baroness"}
_TICKER = re.compile(r"^(?:[<>]|[A-Z0-9]{2,6}\.[A-Z]{1,2})$")  # Reuters' "<MITT.T>"


@dataclass
class Keyword:
    text: str
    score: float


def _capitalised_words(doc: Doc, shouted: set[int], starts: set[int]) -> set[str]:
    """Words this text writes capitalised mid-sentence and never in lower case (Polish, Liberal, Time):
    their case is kept wherever they stand, at the start of a sentence or on a shouted line. A sentence
    starts where spaCy's does or at one of `starts` (spaCy starts a paragraph at its blank line)."""
    upper: set[str] = set()
    lower: set[str] = set()
    for tok in doc:
        if tok.is_alpha and not tok.is_sent_start and tok.idx not in starts and tok.i not in shouted:
            (upper if tok.text[0].isupper() else lower).add(tok.lower_)
    return upper - lower


def _unit_of_number(tok: Token) -> bool:
    """An amount, or a unit or magnitude written onto a number: "3bn", the "m" of "£4.2m", the "km" of
    "12km". Not a name that starts with a digit ("3D", "5G" as one token)."""
    before = tok.doc[tok.i - 1] if tok.i else None
    glued = before is not None and before.like_num and not before.whitespace_ and len(tok.text) <= 3
    return glued or bool(_AMOUNT.match(tok.text))


_SEPARATORS = {"|", "¦", "•", "·", "/", "\\", ">", "»", "<", "«"}


def _ends_a_phrase(tok: Token) -> bool:
    """A word no keyword runs through: what a number measures, wire shorthand, a ticker, "today", or a
    date's day, month, time or figure ("on Monday", "on Fridays", "Aug.", "Thursday morning", "at end-1986";
    not "annual" or "quarterly"), a web or e-mail address, or a separator ("|", "•", "/")."""
    if tok.lower_ in _MEASURES and tok.i:
        before = tok.doc[tok.i - 1]
        hyphened = before.text == "-" and not before.whitespace_ and tok.i > 1
        counted = tok.doc[tok.i - 2] if hyphened else None  # "seven-year", "47-year-old"
        if before.like_num or (counted is not None and (counted.like_num or counted.lower_ in _MEASURES)):
            return True
    if tok.text in _SEPARATORS:  # a table's cells ("Town | River level"), a menu's items
        return True
    if (tok.lower_.rstrip(".") in _WIRE_WORDS or _TICKER.match(tok.text) or tok.lower_ in _NOW
            or tok.lower_ in _MONTH_ABBREVIATIONS or tok.like_url or tok.like_email):
        return True
    if tok.ent_type_ in _AMOUNTS:  # "Thousands march", "millions of", "Tens"
        return True
    word = tok.lower_.rstrip(".")
    return tok.ent_type_ in ("DATE", "TIME") and (word in _DAYS or word.removesuffix("s") in _DAYS  # Fridays
                                                  or any(c.isdigit() for c in tok.text))


_NAME_TYPES = {"ORG", "GPE", "LOC", "FAC", "EVENT", "LAW", "WORK_OF_ART", "NORP"}
_JOINING = {"and", "&", "of", "for", "the", "de", "du", "des", "la", "le", "van", "von", "y"}


def _inside_a_name(tok: Token, run: list[Token]) -> bool:
    """A joining word or a possessive inside a name the entity recogniser found, after the name's first
    words: the "and" of "Securities and Exchange Commission", the "of" of "Bank of England", the "'s" of
    "St Mary's Hospital"."""
    return (bool(run) and tok.ent_iob_ == "I" and tok.ent_type_ in _NAME_TYPES
            and (tok.lower_ in _JOINING or tok.tag_ == "POS")
            and run[-1].ent_type_ == tok.ent_type_ and run[-1].ent_iob_ in ("B", "I"))


def _names_after_a_description(tok: Token, run: list[Token]) -> bool:
    """A proper noun starting a name right after a common noun that describes it ("oil giant BP", "chief
    executive Tim Cook"): not one phrase."""
    prev = run[-1] if run else None
    return (prev is not None and tok.pos_ == "PROPN" and prev.pos_ == "NOUN" and not prev.ent_type_
            and prev.text.islower())


def candidate_phrases(doc: Doc, max_words: int, beside: Beside | None = None,
                      sentence_starts: Collection[int] = ()) -> dict[str, list[tuple[int, int]]]:
    """Maximal runs of modifiers ending in a noun: shown text -> cleaned-text spans.

    A phrase is shown as written (hyphens and abbreviations kept), each word in lower case unless the
    text treats it as a name: a proper noun or part of an entity, an acronym, or a word it capitalises
    mid-sentence. Shouted lines give no phrases when the text has others, nor do bylines, datelines,
    captions and credits (`beside`; by default, shouted lines only). No phrase runs over one of
    `sentence_starts` (character offsets): "Acme Inc." ends one sentence, "Investors" opens the next."""
    out: dict[str, list[tuple[int, int]]] = {}
    run: list = []
    text_of_doc = doc.text  # Doc.text rebuilds the string on every access
    beside = beside or beside_story(doc)
    shouted, skip = beside.shouted, beside.skipped
    starts = set(sentence_starts)
    names = _capitalised_words(doc, shouted, starts)

    def shown(tok) -> str:
        if tok.lower_ in names:
            return tok.text if tok.text[0].isupper() else tok.text[:1].upper() + tok.text[1:]
        if tok.i in shouted:
            return tok.text if tok.pos_ == "PROPN" else tok.lower_
        if tok.pos_ == "PROPN" or tok.ent_type_ or (len(tok.text) > 1 and tok.text.isupper()):
            return tok.text
        return tok.lower_

    def flush() -> None:
        while run and run[-1].pos_ not in _NOUNISH:
            run.pop()
        while run and (run[0].is_stop or run[0].pos_ not in _MODIFIER or _unit_of_number(run[0])):
            run.pop(0)
        generic = len(run) == 1 and run[0].lower_ in _GENERIC
        if generic or all(t.lower_.rstrip(".") in _LEGAL_FORMS for t in run):
            run.clear()
        words = sum(t.lower_ not in _JOINING and t.tag_ != "POS" for t in run)  # "Isle of Wight festival": 3
        if run and words <= max_words and not all(t.is_stop for t in run):
            a, b = run[0].idx, run[-1].idx + len(run[-1].text)
            text = text_of_doc[a:b]
            if len(text) > 2 and any(c.isalpha() for c in text):
                parts, at = [], a
                for t in run:  # what stands between the words (a space, a hyphen) is kept
                    parts += [text_of_doc[at:t.idx], shown(t)]
                    at = t.idx + len(t.text)
                key = _STOPPED_NAME.sub(r"\1", _EDGE_JUNK.sub("", _SPACES.sub(" ", "".join(parts))))
                if key:
                    out.setdefault(key, []).append((a, b))
        run.clear()

    for tok in doc:
        if tok.idx in starts:
            flush()
        if tok.i in skip or _ends_a_phrase(tok):
            flush()
        elif _inside_a_name(tok, run):
            run.append(tok)  # "Securities and Exchange Commission", "Bank of England"
        elif tok.pos_ in _MODIFIER and not tok.is_punct and "\n" not in tok.text and tok.text.strip():
            if tok.pos_ == "ADJ" and run and run[-1].pos_ in _NOUNISH:
                flush()
            elif _names_after_a_description(tok, run):
                flush()  # "oil giant BP": the description and the name are two phrases
            run.append(tok)
        elif tok.text == "-" and run and tok.whitespace_ == "":
            continue  # keep hyphenated compounds ("US-led") together
        else:
            flush()
    flush()
    return out


_IRREGULAR = {"children": "child", "men": "man", "women": "woman", "people": "person", "feet": "foot",
              "teeth": "tooth", "mice": "mouse", "crises": "crisis", "analyses": "analysis",
              "theses": "thesis", "diagnoses": "diagnosis", "hypotheses": "hypothesis"}
_PLURAL_ENDINGS = ((re.compile(r"([^aeiou])ies$"), r"\1y"), (re.compile(r"(ss|sh|ch|x|z)es$"), r"\1"),
                   (re.compile(r"([^sui])s$"), r"\1"))


def _singular(word: str) -> str:
    """A plural's singular, near enough to compare two keywords: crises, taxes, policies, children."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3:
        return word
    for ending, stem in _PLURAL_ENDINGS:
        if ending.search(word):
            return ending.sub(stem, word)
    return word


def _plain_words(key: str) -> list[str]:
    """A keyword's words without case, apostrophes' forms, "the", a final full stop or a plural."""
    words = [w.rstrip(".") for w in key.translate(STRAIGHT_QUOTES).casefold().split() if w != "the"]
    return [_singular(w) for w in words]


def _honorific(key: str) -> bool:
    words = key.casefold().split()
    return bool(words) and words[0].rstrip(".") in _HONORIFICS


def _same_thing(a: str, b: str) -> bool:
    """Two keywords for one thing: the same words but for case, "the" or a plural ("Japanese films",
    "Japanese film"), or a name with an honorific and the name in full ("Mr Blair", "Tony Blair")."""
    wa, wb = _plain_words(a), _plain_words(b)
    if wa == wb:
        return True
    for x, y in ((wa, wb), (wb, wa)):
        if len(x) > 1 and y and x[0] in _HONORIFICS and y[0] not in _HONORIFICS and set(x[1:]) <= set(y):
            return True
    return False


def _overlaps(a: str, b: str) -> bool:
    """One keyword holds all the other's words (a plural as its singular), or both name one thing."""
    wa, wb = set(_plain_words(a)), set(_plain_words(b))
    return wa <= wb or wb <= wa or _same_thing(a, b)


def rank_keywords(
    phrases: dict[str, list[tuple[int, int]]],
    doc_vector: np.ndarray,
    sentence_starts: list[int],
    token_states: list[tuple[np.ndarray, np.ndarray]],
    limit: int,
) -> list[Keyword]:
    """Score = cosine(phrase vector, document vector), nudged up by how often it recurs."""
    if limit == 0 or not phrases:
        return []
    starts = np.asarray(sentence_starts)
    scored: list[tuple[float, str, np.ndarray]] = []
    for key, spans in phrases.items():
        vecs = []
        for a, b in spans:
            si = int(np.searchsorted(starts, a, side="right")) - 1
            if si < 0:
                continue
            states, offs = token_states[si]
            ra, rb = a - starts[si], b - starts[si]
            sel = (offs[: len(states), 0] < rb) & (offs[: len(states), 1] > ra)
            if sel.any():
                vecs.append(states[sel].mean(0))
        if not vecs:
            continue
        v = np.mean(vecs, axis=0)
        v = v / max(float(np.linalg.norm(v)), 1e-12)
        cos = float(v @ doc_vector)
        score = cos * (1.0 + 0.1 * np.log(len(spans)))
        scored.append((score, key, v))
    scored.sort(key=lambda x: -x[0])
    chosen: list[tuple[float, str, np.ndarray, list[str]]] = []  # and the keys each one stands for
    for score, key, v in scored:
        dup = False
        for n, (cs, ck, cv, seen) in enumerate(chosen):
            if float(v @ cv) > 0.9 or any(_overlaps(key, k) for k in seen):
                if _same_thing(key, ck) and _honorific(ck) and not _honorific(key):
                    chosen[n] = (cs, key, cv, [*seen, key])  # "Tony Blair" in the place "Mr Blair" took
                dup = True
                break
        if not dup:
            chosen.append((score, key, v, [key]))
        if len(chosen) >= limit:
            break
    return [Keyword(k, round(min(max(s, 0.0), 1.0), 4)) for s, k, _, _ in chosen]
