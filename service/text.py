"""Text cleaning with a map back to input offsets, and sentence boundaries.

Every character of the cleaned text remembers where it came from in the input,
so sentences, entities and summaries can report offsets that slice the input.
HTML is stripped to text by html_text.py; what each sentence is (headline, body, boilerplate), roles.py.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from service.html_text import looks_like_html, strip_html

# Characters that carry no text: dropped, with their offsets.
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


@dataclass
class CleanText:
    """Cleaned text plus `origin[i]`: the input offset of cleaned character i, and `ends[i]`: the offset
    just after its source (a decoded HTML reference such as `&eacute;` spans several; None: origin + 1)."""

    text: str
    origin: list[int]
    input_length: int
    was_html: bool = False
    raw: str = ""  # the input it was cleaned from
    ends: list[int] | None = None
    headings: list[tuple[int, int]] = field(default_factory=list)  # cleaned-text spans of HTML headings

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Input offsets of the cleaned span [start, end)."""
        if end <= start:
            pos = self.origin[start] if start < len(self.origin) else self.input_length
            return pos, pos
        return self.origin[start], self.ends[end - 1] if self.ends else self.origin[end - 1] + 1

    def original(self, start: int, end: int) -> str:
        """The cleaned span as the input has it: for plain text exactly `input[a:b]` (invisible and
        control characters included, so offsets and text agree); for HTML the cleaned text."""
        if self.was_html:
            return self.text[start:end]
        a, b = self.span(start, end)
        return self.raw[a:b]


def clean_text(raw: str) -> CleanText:
    """Normalise line ends and odd whitespace, drop invisible characters, strip HTML, join the lines of
    hard-wrapped plain text (`unwrap_lines`).

    Runs of spaces inside a line are kept, so for plain text a sentence's
    offsets slice exactly its text out of the input.
    """
    was_html = looks_like_html(raw)
    ends: Sequence[int]
    headings: list[tuple[int, int]] = []
    if was_html:
        text, origin, ends, headings = strip_html(raw)
    else:
        text, origin = raw, list(range(len(raw)))
        ends = range(1, len(raw) + 1)
    chars: list[str] = []
    keep: list[int] = []
    keep_ends: list[int] = []
    for ch, o, e in zip(text, origin, ends, strict=True):
        if ch in _INVISIBLE:
            continue
        if ch in "\r\u2028\u2029\x0b\x0c\x85":
            ch = "\n"
        elif ch == "\t" or ch == "\u00a0" or (ch != "\n" and unicodedata.category(ch) == "Zs"):
            ch = " "
        elif unicodedata.category(ch) == "Cc" and ch != "\n":
            continue
        if was_html and ch in " \n" and chars and chars[-1] in " \n":
            # HTML whitespace is not significant: collapse it, newlines win.
            if ch == "\n":
                chars[-1] = "\n"
            continue
        chars.append(ch)
        keep.append(o)
        keep_ends.append(e)
    # \r\n became \n\n: fold it back so paragraphs keep their shape.
    out_c: list[str] = []
    out_o: list[int] = []
    out_e: list[int] = []
    for ch, o, e in zip(chars, keep, keep_ends, strict=True):
        if ch == "\n" and out_c and out_c[-1] == "\n" and out_o[-1] == o - 1 and raw[o - 1] == "\r":
            continue
        out_c.append(ch)
        out_o.append(o)
        out_e.append(e)
    text = "".join(out_c)
    if not was_html:
        return CleanText(unwrap_lines(text), out_o, len(raw), False, raw)
    # Headings as cleaned-text spans: the characters whose source lies inside a heading element.
    spans = [(bisect.bisect_left(out_o, a), bisect.bisect_left(out_o, b)) for a, b in headings]
    return CleanText(text, out_o, len(raw), True, raw, out_e, [(a, b) for a, b in spans if b > a])


# Hard-wrapped plain text (wire copy, e-mail, plain-text archives) breaks its lines at a fixed width, inside
# sentences; since a line break ends a sentence, its sentences would come out as line fragments.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_RUNS_ON = re.compile(
    r"(?:[,(/&–—-]|\b(?:a|an|the|of|to|in|on|at|for|and|or|but|with|by|from|as|that|its|their|his|her))$",
    re.I,
)


def unwrap_lines(text: str) -> str:
    """`text` with the line breaks of hard wrapping turned into spaces (same length: offsets hold).

    The text counts as wrapped when its lines share a width (30–120 characters, the 90th percentile of
    line lengths), at least half of the lines carried on by an unindented line fill that width without
    ending a sentence, and a third of those plainly cut a sentence (the next line opens in lower case or a
    digit, or the line ends on "the", a comma). Then a break is a space when its line does not end a
    sentence and either fills the width, ends on a word that cannot end one ("the", "of", a comma), or
    the next line opens in lower case. Paragraphs (a blank or indented next line), tables and headlines
    (short lines; the first line or one in capitals only by the last two tests) keep their breaks. Text
    with a paragraph a line, or a list of headlines, is left as it is.
    """
    lines = text.split("\n")
    bodies = [x.rstrip() for x in lines]
    lengths = sorted(len(b) for b in bodies if b.strip())
    if len(lengths) < 4:
        return text
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if not 30 <= width <= 120:
        return text

    def fills(i: int) -> bool:
        return len(bodies[i]) >= 0.75 * width and not _SENTENCE_END.search(bodies[i])

    carried = [i for i in range(len(lines) - 1) if bodies[i].strip() and lines[i + 1][:1].strip()]
    filled = [i for i in carried if fills(i)]
    # Wrapping cuts sentences anywhere, so many lines go on in lower case (or end on "the", a comma); a list
    # of headlines does not.
    mid_sentence = sum(
        lines[i + 1][0].islower() or lines[i + 1][0].isdigit() or bool(_RUNS_ON.search(bodies[i]))
        for i in filled
    )
    if len(filled) * 2 < max(len(carried), 4) or mid_sentence * 3 < len(filled):
        return text
    out = list(text)
    pos = 0
    continued = set(carried)
    for i, line in enumerate(lines[:-1]):
        pos += len(line)
        body = bodies[i]
        if i in continued and not _SENTENCE_END.search(body):
            headline_like = i == 0 or body.isupper()
            if (fills(i) and not headline_like) or _RUNS_ON.search(body) or lines[i + 1][0].islower():
                out[pos] = " "
        pos += 1
    return "".join(out)


# Curly quote marks and apostrophes as straight ones: "O’Brien" and "O'Brien" are one name, a title in one
# kind of quotes the same as in another.
STRAIGHT_QUOTES = str.maketrans({"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"', "«": '"', "»": '"'})

# Abbreviations after which a sentence splitter must not break.
_TITLES = {
    "mr", "mrs", "ms", "dr", "prof", "maj", "gen", "lt", "col", "capt", "cpt", "sgt", "cmdr",
    "adm", "brig", "gov", "sen", "rep", "rev", "fr", "st", "jr", "sr", "hon", "pres", "supt",
    "insp", "det", "vs", "v", "mt", "ft", "messrs", "mme", "mlle",
    "spc", "cpl", "pfc", "pvt", "ens", "ald", "atty", "sens", "reps", "univ", "dept",  # AP's ranks and titles
}
# U.S., U.K., e.g.: a word ending in two letters with full stops. ("{2,}" found the same words, trying from
# every letter of "a.a.a. … ab.": 40,000 pairs took 18 s.)
_INITIALISM = re.compile(r"(?:[A-Za-z]\.){2}$")
# The word before a full stop, tried only where a word starts: from inside a run of letters each try read
# to the run's end (a line of 100,000 letters: quadratic, minutes).
_WORD_BEFORE_DOT = re.compile(r"(?<![A-Za-z])([A-Za-z]+)\.\s*$")
_MONTHS_ABBR = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
# Abbreviations only before a number: "No. 10", "Fig. 3"; "No. We did not." ends at "No.".
_BEFORE_NUMBERS = _MONTHS_ABBR | {"no", "vol", "fig"}


def _ends_with_abbreviation(s: str, nxt: str) -> bool:
    s = s.rstrip()
    # Only the last word is read: `s` is the sentence merged so far, which can run to the whole text.
    last = s.rsplit(maxsplit=1)[-1] if s else ""
    m = _WORD_BEFORE_DOT.search(last)
    if not m:
        return False
    word = m.group(1).lower()
    nxt = nxt.lstrip()
    if word in _TITLES:
        return True
    if word in _BEFORE_NUMBERS and nxt[:1].isdigit():
        return True
    if len(word) == 1 and word.isalpha() and s[-3:-2] in (" ", ""):
        return True  # a middle initial: "John F. Kennedy"
    if _INITIALISM.search(last):
        # "the U.S. military" splits wrongly; "in the U.S. The next day" is a real end.
        return bool(nxt) and (nxt[0].islower() or nxt[0].isdigit() or nxt.split(maxsplit=1)[0] in _CONTINUERS)
    return False


# Words that after "U.S." carry on the same sentence even when capitalised.
_CONTINUERS = {
    "Army", "Navy", "Air", "Marine", "Marines", "President", "Senate", "House", "Congress",
    "Department", "State", "Treasury", "Federal", "Government", "Embassy", "Ambassador",
    "Secretary", "Defense", "Defence", "Central", "Supreme", "Court", "forces", "Forces",
    "troops", "officials", "Open", "dollar", "Dollar", "Coalition", "military", "Military",
}


def sentence_spans(text: str, proposals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Refine a splitter's sentence spans over `text`.

    A line break ends a sentence (news text puts paragraphs on lines), unless the line ends in no
    punctuation and the next goes on in lower case; a transcript's speaker label stays with its words, and
    a bracket with what it holds;
    breaks right after abbreviations ("Maj. Gen.", "U.S. troops"), and before a word in lower case in
    capitalised text, are undone; a mark left alone closes the sentence before it or opens the next;
    spans are trimmed of surrounding whitespace and of a list item's marker, and empty ones dropped.
    """
    pieces: list[tuple[int, int]] = []
    for a, b in proposals:
        start = a
        for m in _LINE_OR_HIDDEN_END.finditer(text, a, b):
            pieces.append((start, m.start()))
            start = m.end()
        pieces.append((start, b))
    markers = _list_markers(text)
    trimmed = []
    for k, (a, b) in enumerate(pieces):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        a = max(a, markers.get(a, a))  # "- ", "• ", "2) " opening a line: the item is the sentence
        m = _OPENED_AT_END.search(text, a, b)
        follows = k + 1 < len(pieces) and "\n" not in text[b : pieces[k + 1][0]]
        if m and follows and (m.group(2) != '"' or text[a:b].count('"') % 2):
            trimmed.extend([(a, m.end(1)), (m.start(2), b)])  # "… l'Assemblée. «": the « opens the next
        elif b > a:
            trimmed.append((a, b))
    lines = [(m.start(), m.group(0)) for m in re.finditer(r"^.*$", text, re.M)]
    speaker_lines = {
        start + len(line) - len(line.lstrip())
        for (start, line), who in zip(lines, transcript_speakers([line for _, line in lines]), strict=True)
        if who
    }
    merged: list[tuple[int, int]] = []
    opened: int | None = None  # where an opening mark left at a sentence's end starts the next one
    glued = False  # a mark inside a sentence ('"He [' then 'Ebbers] said'): the next piece carries it on
    for k, (a, b) in enumerate(trimmed):
        piece = text[a:b]
        if opened is not None:
            a, opened = opened, None
        if merged:
            pa, pb = merged[-1]
            same_line = "\n" not in text[pb:a]
            cut_off = pb == a and piece[0] in ".,"  # "No" then ". 10 said": a word's stop cut off
            label = pa in speaker_lines and _speaker_label_end(text, pa) == pb  # "SMITH:" split off its words
            carried = (glued or cut_off or label or _closes_a_bracket(text[pa:pb], piece)
                       or _ends_with_abbreviation(text[pa:pb], piece)
                       or _carries_on(text[pa:pb], piece))
            glued = False
            if (same_line and carried) or _broken_off(text, pa, pb, a, piece):
                merged[-1] = (pa, b)
                continue
            if same_line and not _WORD_CHAR.search(piece):
                follows = k + 1 < len(trimmed) and "\n" not in text[b : trimmed[k + 1][0]]
                if follows and _opens(piece, text[pa:pb]):
                    if _SENTENCE_END.search(text[pa:pb]):
                        opened = a  # "… on Monday. [" then "Updated at 5pm]": the bracket opens the next
                        continue
                    glued = True
                merged[-1] = (pa, b)  # a stray closing quote or bracket
                continue
        merged.append((a, b))
    return merged


# A transcript's speaker label opening a line: "SMITH:", "JOHN SMITH (voice-over):", "Mr. Smith:", "Q:".
_SPEAKER = re.compile(
    r"(?-i:[A-Z][A-Za-z'’.-]*(?: [A-Z][A-Za-z'’.-]*){0,3})(?: \([^()\n]{1,30}\))?:(?=[ \t]+\S)")


def _speaker_label_end(text: str, start: int) -> int:
    m = _SPEAKER.match(text, start)
    return m.end() if m else -1


def transcript_speakers(lines: Sequence[str]) -> list[str | None]:
    """Who speaks each line, when the lines are a transcript: at least two speakers (labels such as
    "SMITH:" opening a line) who each open two lines or more; otherwise None for every line. One label
    alone is a dateline ("NEW DELHI: …") or a heading ("Update: …"), never a speaker."""
    labels = [m.group(0)[:-1] if (m := _SPEAKER.match(line.lstrip())) else None for line in lines]
    counts: dict[str, int] = {}
    for who in labels:
        if who:
            counts[who] = counts.get(who, 0) + 1
    speakers = {who for who, n in counts.items() if n >= 2}
    if len(speakers) < 2:
        return [None] * len(lines)
    return [who if who in speakers else None for who in labels]


_WORD_CHAR = re.compile(r"\w")
# A line break; or a sentence's end whose full stop the tokenizer keeps on the word, so the splitter does not
# see it: after a name written with "&" ("… blamed P&G. Customers …"), or a figure's unit ("… forecasts of
# £532m. Revenues were …": in BBC News spaCy missed all 89 after "m", 3 of 69 after "bn", both after "km").
_LINE_OR_HIDDEN_END = re.compile(
    r"\n|(?:(?<=\b[A-Z]&[A-Z]\.)|(?<=\b[A-Z]{2}&[A-Z]\.)|(?<=\b[A-Z]&[A-Z]{2}\.)"
    r"|(?<=\dm\.)|(?<=\dbn\.)|(?<=\dkm\.))[ \t]+(?=[\"“‘']?[A-Z])")
# A list item's marker at the start of a line: a bullet or dash, or a number or letter with "." or ")".
_LIST_MARKER = re.compile(r"(?:[-*•·▪◦‣]|\(?(?:\d{1,2}|[a-z])[.)])[ \t]+(?=\w|[\"“‘'(\[])")


def _list_markers(text: str) -> dict[int, int]:
    """Where each list item's marker starts and ends, for lines whose item is text ("- ENDS -" is none)."""
    out = {}
    for line in re.finditer(r"^[ \t]*(.*)$", text, re.M):
        m = _LIST_MARKER.match(text, line.start(1), line.end(1))
        if m and any(c.islower() for c in text[m.end() : line.end(1)]):
            out[m.start()] = m.end()
    return out


# A sentence's end, then a mark that opens the next sentence's quote or bracket, all in one piece.
_OPENED_AT_END = re.compile(r"([.!?…][\"'”’»)\]]?)\s+([(\[{“‘«„‹]+|\")$")
_OPENERS = set("([{“‘«„‹")
# A word all in lower case after a full stop: the splitter broke after an abbreviation it did not know
# ("Prof. Gilbert of Oxford Univ." then "led the team"), or after a quote ("… ended." then "he said"). Not
# "iPhone".
_LOWER_START = re.compile(r"[a-z][a-z'’-]*\b(?![A-Z])")
_ENDS_WITH_FULL_STOP = re.compile(r"\.[\"'”’)\]]?$")


def _broken_off(text: str, pa: int, pb: int, a: int, piece: str) -> bool:
    """A sentence a single line break cut in two (a `<br>` in a paragraph, a wrap the unwrapping left): the
    line before ends in no punctuation and the next goes on in lower case ("… in the store room" then
    "and out-of-date milk …")."""
    gap, prev = text[pb:a], text[pa:pb]
    return (gap.count("\n") == 1 and not gap.strip() and len(prev.split()) >= 4
            and not _SENTENCE_END.search(prev) and prev[-1] not in ":;,"
            and _goes_on_in_lower_case(prev, piece))


def _closes_a_bracket(prev: str, piece: str) -> bool:
    """The splitter cut inside brackets: `prev` leaves one open that `piece` soon closes ("Acme, Inc.
    (NASDAQ:" then "ACME), a maker of …")."""
    if prev.count("(") <= prev.count(")"):
        return False
    close = piece.find(")")
    return 0 <= close <= 60 and "(" not in piece[:close]


def _carries_on(prev: str, piece: str) -> bool:
    """A piece in lower case after a full stop, in text that writes its sentences capitalised."""
    return bool(_ENDS_WITH_FULL_STOP.search(prev)) and _goes_on_in_lower_case(prev, piece)


def _goes_on_in_lower_case(prev: str, piece: str) -> bool:
    """`piece` opens with a word in lower case, after `prev`, which opens with a capital."""
    first = next((c for c in prev if c.isalpha()), "")
    return first.isupper() and bool(_LOWER_START.match(piece))


def _opens(marks: str, before: str) -> bool:
    """Whether a piece of marks alone opens a quote or bracket (rather than closing one): an opening mark,
    or a straight quote while the sentence before has its quotes closed."""
    if any(c in _OPENERS for c in marks):
        return True
    return any(c in "\"'" for c in marks) and before.count('"') % 2 == 0 and not set(marks) & set(")]}”’»›")


@dataclass
class Sentence:
    index: int
    start: int  # cleaned-text offsets
    end: int
    text: str
    paragraph: int
    role: str = "body"  # body | headline | boilerplate
    words: int = field(default=0)
