"""Named entities from spaCy, merged across mentions."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc

from service.asides import Beside, beside_story
from service.text import STRAIGHT_QUOTES

_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_LEADING_THE = re.compile(r"^the\s+", re.I)
_SPACES = re.compile(r"\s+")
# A title before a name ("Mr Blunkett", "Gen Pervez Musharraf"): the mention is a person's, and the title
# no part of the name. Not Lord or Lady (Lady Macbeth) nor Miss (Miss World).
_HONORIFIC = re.compile(
    r"^(?i:mr|mrs|ms|dr|prof|sir|dame|gen|maj|col|capt|lt|sgt|cpl|spc|pfc|pvt|cmdr|adm|brig)\.?\s+(?=[A-Z])")
_INITIAL_DOT = re.compile(r"\b(\w)\.")  # U.S. and US, George W. Bush and George W Bush are one
_COMPANY = re.compile(r"(?:,?\s+(?:inc|co|corp|ltd|plc|llc|nv|ag|sa|bhd)\b\.?)+$", re.I)  # Texaco Inc: Texaco
# Alone, these name nobody: a title or a company's legal form without its name, a time zone ("16.45 GMT").
_NO_NAME = {"mr", "mrs", "ms", "dr", "prof", "sir", "gen", "maj", "col", "capt", "lt", "sgt", "cpl", "spc",
            "pfc", "pvt", "inc", "co", "corp", "ltd", "plc", "llc",
            "gmt", "bst", "cet", "est", "edt", "pst", "pdt", "utc"}
_TICKER = re.compile(r"[A-Z][A-Z.]{0,5}")
_ACRONYM = re.compile(r"[A-Z](?:[.&]?[A-Z])+\.?")  # GM, U.S., M&S
_BRACKETS = ("()", "[]", "<>")
_LAST_WORD_STOPPED = re.compile(r"\b([A-Za-z]{3,})\.$")
_ABBREVIATED = {"inc", "corp", "ltd", "plc", "bros", "univ", "dept"}
_NAME_GOES_ON = re.compile(r"[ \t]+[A-Z]")
# Types whose lone word never joins a person's name: a country (Jordan beside Michael Jordan), a nationality.
_PLACES = {"GPE", "NORP"}
# A minister's portfolio is no organisation: "Health" of "Health Secretary", "Home" of "Home Office minister".
_OFFICE_AFTER = re.compile(r"[ \t]+(?:Secretary|Minister|Commissioner|Spokes(?:man|woman|person))\b")


@dataclass
class Entity:
    text: str
    type: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # cleaned-text offsets

    @property
    def count(self) -> int:
        return len(self.spans)


def _key(text: str) -> str:
    text = _HONORIFIC.sub("", _LEADING_THE.sub("", text.strip().translate(STRAIGHT_QUOTES)))
    text = _SPACES.sub(" ", _POSSESSIVE.sub("", text)).casefold()
    return _COMPANY.sub("", _INITIAL_DOT.sub(r"\1", text)).strip(" .")


def _trimmed(text: str) -> tuple[int, int]:
    """Where the name lies in a mention: on the longer side of a bracket it does not close ("A/S (Statoil"
    is A/S, "Lloyds Bank PLC>'s" Lloyds Bank PLC), without punctuation at its ends."""
    a, b = 0, len(text)
    for op, cl in _BRACKETS:
        s = text[a:b]
        if s.count(op) == s.count(cl):
            continue
        cut = a + (s.rindex(op) if s.count(op) > s.count(cl) else s.index(cl))
        if sum(c.isalpha() for c in text[a:cut]) >= sum(c.isalpha() for c in text[cut + 1 : b]):
            b = cut
        else:
            a = cut + 1
    while a < b and (text[a].isspace() or text[a] in ",;:•·▪◦‣*"):  # and a list item's bullet
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in ",;:"):
        b -= 1
    m = _LAST_WORD_STOPPED.search(text, a, b)
    if m and m.group(1).lower() not in _ABBREVIATED and not m.group(1).isupper():
        b -= 1  # "William Rivers." at a sentence's end; not "Acme Inc." or "U.S."
    return a, b


def _initials(text: str) -> str:
    """GM for General Motors Corp, OECD for Organization for Economic Cooperation and Development, MS for
    Marks & Spencer, UKHSA for UK Health Security Agency (an acronym inside gives all its letters)."""
    words = _COMPANY.sub("", _INITIAL_DOT.sub(r"\1", text)).split()
    return "".join(w if len(w) > 1 and w.isupper() else w[0] for w in words if w[0].isupper())


Groups = dict[tuple[str, str], Entity]  # (normalised text, type) -> entity


def extract_entities(doc: Doc, types: set[str], beside: Beside | None = None) -> list[Entity]:
    """Group mentions by normalised text and type; a lone surname joins the full name. A mention that runs
    over a line break is no entity (menu items, a heading and the next line). A mention on a shouted
    line, or in a byline, dateline, caption, credit or time (`beside`; by default, shouted lines only),
    only counts for an entity the rest of the text names (POLAND for Poland), which also gives its written
    form: "16.45 BST" or "Photo: Reuters/Jane Doe" name nobody the story is about. So do a mention with no
    capital ("40 cts" or "km/h" as an ORG), a web or e-mail address, and a ticker in angle brackets ("Texaco
    Inc <TX>").

    Then, each only where the article leaves one choice: a name spaCy types two ways is one entity of the
    type most of its mentions have ("Davis Cup" as EVENT and LAW); a surname or first name typed as an
    organisation or product joins the one full name of a person the article gave before it ("Bellamy" after
    "Craig Bellamy"), or gave anywhere when the headline names them so ("Macron defends reform"); an
    acronym joins the one name of its type with those initials ("GM", "General Motors"); a company's first
    word joins its one full name given before it ("Deutsche" after "Deutsche Boerse"). An entity is shown
    as most of its mentions write it, without "the", a possessive, a title ("Mr") or a bracket that does
    not close."""
    groups, forms, loud = _mentions(doc, types, beside or beside_story(doc))
    by_text = {k: e for (k, _), e in sorted(groups.items(), key=lambda g: -g[1].count)}
    for k, a, b in loud:  # whatever type spaCy gave it in capitals
        if k in by_text:
            by_text[k].spans.append((a, b))
    persons = [e for (k, t), e in groups.items() if t == "PERSON" and " " in k]
    _join_lone_names(groups, persons)
    _join_types(groups)
    # Words the article writes inside another name than a person's ("Heineken NV", the company).
    inside = {w for (_, t), written in forms.items() if t != "PERSON"
              for form in written if " " in form for w in _key(form).split()}
    first_line = doc.text.find("\n")  # a headline only when more text follows it
    _join_persons_typed_otherwise(groups, persons, inside, first_line if first_line > 0 else -1)
    _join_acronyms(groups)
    _join_company_first_words(groups, doc.text)
    ents = list(groups.values())
    for e in ents:
        e.spans.sort()
    ents.sort(key=lambda e: (-e.count, e.spans[0][0]))
    return ents


def _mentions(doc: Doc, types: set[str], beside: Beside
              ) -> tuple[Groups, dict[tuple[str, str], Counter[str]], list[tuple[str, int, int]]]:
    """The story's mentions grouped by normalised text and type, each group shown as most of its mentions
    write it; how each group's mentions are written; and the mentions beside the story (key, span)."""
    groups: Groups = {}
    forms: dict[tuple[str, str], Counter[str]] = {}
    loud: list[tuple[str, int, int]] = []
    doc_text = doc.text  # Doc.text rebuilds the string on every access
    skipped = beside.skipped
    for ent in doc.ents:
        if ent.label_ not in types:
            continue
        a, b = ent.start_char, ent.end_char
        lo, hi = _trimmed(doc_text[a:b])
        a, b = a + lo, a + hi
        text = doc_text[a:b]
        if "\n" in text:  # runs over a line break: menu items or a heading and the next line, not a name
            continue
        if not any(c.isalpha() for c in text):  # figures in a table ("1      0" as a PRODUCT): no name
            continue
        label = "PERSON" if _HONORIFIC.match(_LEADING_THE.sub("", text)) else ent.label_
        # Keep "Iraq" for "Iraq's", but the span still covers what was written.
        shown = _SPACES.sub(" ", _POSSESSIVE.sub("", _HONORIFIC.sub("", _LEADING_THE.sub("", text))).strip())
        key = (_key(text), label)
        if sum(c.isalpha() for c in key[0]) < 2 or key[0].replace(".", "") in _NO_NAME:
            continue
        ticker = doc_text[a - 1 : a] == "<" and doc_text[b : b + 1] == ">" and _TICKER.fullmatch(text)
        no_name = (not any(c.isupper() for c in text) or any(t.like_url or t.like_email for t in ent)
                   or (label == "ORG" and " " not in text and _OFFICE_AFTER.match(doc_text, b)))
        if ent.start in skipped or ticker or no_name:
            loud.append((key[0], a, b))
            continue
        if key not in groups:
            groups[key], forms[key] = Entity(shown or text, label), Counter()
        groups[key].spans.append((a, b))
        forms[key][shown or text] += 1
    for key, e in groups.items():  # Counter keeps the first written of equally common forms first
        e.text = forms[key].most_common(1)[0][0]
    return groups, forms, loud


def _persons_by_word(persons: list[Entity]) -> dict[str, list[Entity]]:
    """The full names holding each word, in the order of `persons`. Each name is read once: read again for
    every lone name looked up, thousands of names (a list of candidates, of honours) took minutes."""
    by_word: dict[str, list[Entity]] = {}
    for p in persons:
        for word in dict.fromkeys(_key(p.text).split()):  # a word twice in one name: the name once
            by_word.setdefault(word, []).append(p)
    return by_word


def _join_lone_names(groups: Groups, persons: list[Entity]) -> None:
    """A lone name typed PERSON joins the one full name holding it."""
    by_word = _persons_by_word(persons)
    for (k, t), e in list(groups.items()):
        if t != "PERSON" or " " in k:
            continue
        full = by_word.get(k, [])
        if len(full) == 1:  # only when unambiguous
            full[0].spans.extend(e.spans)
            del groups[(k, t)]


def _join_types(groups: Groups) -> None:
    """One name, two types: one entity of the type most of its mentions have. A lone word typed PERSON
    stays apart (Jordan the man, Jordan the country)."""
    by_key: dict[str, list[tuple[str, str]]] = {}
    for k, t in groups:
        if t != "PERSON" or " " in k:
            by_key.setdefault(k, []).append((k, t))
    for same in by_key.values():
        if len(same) > 1:
            same.sort(key=lambda g: (-groups[g].count, min(groups[g].spans)))
            for g in same[1:]:
                groups[same[0]].spans.extend(groups.pop(g).spans)


def _join_persons_typed_otherwise(groups: Groups, persons: list[Entity], inside: set[str],
                                  headline_end: int) -> None:
    """A person's surname or first name typed otherwise joins the one full name given before it or after
    the headline (the text's first line, up to `headline_end`): not a place's or nationality's, nor a word
    the article writes inside another name (`inside`)."""
    by_word = _persons_by_word(persons)
    for (k, t), e in list(groups.items()):
        if t == "PERSON" or t in _PLACES or " " in k or k in inside:
            continue
        full = by_word.get(k, [])
        # The full name comes before the lone one, a headline's aside ("Macron defends reform", then "French
        # President Emmanuel Macron"; not "… defects to Labour", "defected to Labour", then "Labour MPs").
        body = [span for span in e.spans if span[0] > headline_end]
        if len(full) == 1 and (not body or full[0].spans[0] < min(body)):
            full[0].spans.extend(groups.pop((k, t)).spans)


def _join_acronyms(groups: Groups) -> None:
    """An acronym joins the one name of its type with those initials (GM, General Motors Corp)."""
    acronyms = [(k, t) for (k, t), e in groups.items() if " " not in k and _ACRONYM.fullmatch(e.text)]
    if not acronyms:
        return
    # The names by type and initials, each worked out once (for every acronym, every name's: minutes at
    # thousands of names); only names of two words or more, which this loop never removes.
    by_initials: dict[tuple[str, str], list[Entity]] = {}
    for (fk, ft), f in groups.items():
        if " " in fk:
            by_initials.setdefault((ft, _initials(f.text)), []).append(f)
    for k, t in acronyms:
        letters = groups[(k, t)].text.replace(".", "").replace("&", "")
        full = by_initials.get((t, letters), [])
        if len(full) == 1:
            full[0].spans.extend(groups.pop((k, t)).spans)


def _join_company_first_words(groups: Groups, doc_text: str) -> None:
    """A company's name cut short once the article gave it whole ("Deutsche" after "Deutsche Boerse"), but
    not a name spaCy cut from a longer one ("Finance" of "Finance Minister", after "Finance Ministry")."""
    # The names of two words or more by their first (this loop never removes them), read once.
    by_first_word: dict[str, list[Entity]] = {}
    for (fk, ft), f in groups.items():
        if ft == "ORG" and " " in fk:
            by_first_word.setdefault(fk.split()[0], []).append(f)
    for (k, t), e in list(groups.items()):
        if t != "ORG" or " " in k or any(_NAME_GOES_ON.match(doc_text, b) for _, b in e.spans):
            continue
        full = by_first_word.get(k, [])
        if len(full) == 1 and full[0].spans[0] < e.spans[0]:
            full[0].spans.extend(groups.pop((k, t)).spans)
