"""Text cleaning with a map back to input offsets, and sentence boundaries.

Every character of the cleaned text remembers where it came from in the input,
so sentences, entities and summaries can report offsets that slice the input.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.asides import is_shouting

_HTML_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?>|<!--.*?-->|<!(?i:DOCTYPE)[^>]*>", re.S)
_HTML_SKIP = re.compile(r"<(script|style|noscript|template|head)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]{1,31});")
_BLOCK_TAGS = {
    "p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
    "table", "section", "article", "header", "footer", "blockquote", "figure", "figcaption",
    "title", "body", "html", "hr", "pre", "dd", "dt", "aside", "nav", "main",
}
_INLINE_TAGS = {
    "a", "abbr", "address", "audio", "b", "base", "bdi", "bdo", "big", "button", "canvas", "caption",
    "center", "cite", "code", "col", "colgroup", "data", "del", "details", "dfn", "dialog", "em", "embed",
    "fieldset", "font", "form", "head", "i", "iframe", "img", "input", "ins", "kbd", "label", "legend",
    "link", "map", "mark", "meta", "noscript", "object", "option", "picture", "q", "s", "samp", "script",
    "select", "small", "source", "span", "strike", "strong", "style", "sub", "summary", "sup", "svg",
    "tbody", "template", "textarea", "tfoot", "thead", "time", "tt", "u", "var", "video", "wbr",
}
# Page chrome, dropped with its text (the engine sees the article, not the page around it): elements that
# are navigation, sidebars, footers, forms and buttons, captions by what they are, by their ARIA landmark
# role, or by the class or id that sites across the web give them (comments, cookie and consent banners,
# share bars, related and most-read lists, newsletter and promotion boxes, bylines, tags, ads). An element
# holding half of the text or more is never chrome, whatever its name (a page wrapped in one <form>, a
# <div class="content has-sidebar">).
_CHROME_TAGS = {
    "nav", "aside", "footer", "form", "button", "select", "textarea", "figcaption", "iframe", "svg",
    "dialog", "amp-sidebar",
}
_CHROME_ROLES = {
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu",
    "menubar", "toolbar",
}
_CHROME_NAME = re.compile(
    r"(?<![a-z])(?:comments?|disqus|cookies?|consent|gdpr|share[a-z]*|sharing|social|related[a-z]*|"
    r"newsletters?|promo[a-z]*|subscribe|signup|byline[a-z]*|author[a-z]*|meta|breadcrumbs?|sidebar|"
    r"widgets?|footer|advert[a-z]*|ads?|sponsored|most-?(?:read|viewed|popular|shared)|popular|trending|"
    r"tags|caption|credit|twitter-tweet|instagram-media|tiktok-embed|sr-only|visually-hidden|"
    r"screen-reader-text)(?![a-z])|(?<![a-z])(?:nav|menu)[a-z]*|[a-z]*(?:nav|menu)(?![a-z])"
)
_NEVER_CHROME = {"html", "body", "main", "article"}
_ATTR = re.compile(r"""\s(class|id|role)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "amp-img",
}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# An <article> (or else <main>) this long, or holding a third of the page's text, is the article: the text
# outside it is the page around it.
_ARTICLE_MIN_CHARS = 500

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


def looks_like_html(text: str) -> bool:
    """Two or more HTML tags (of elements HTML has), comments or doctypes. Angle brackets around other
    names are text: wire copy writes tickers and companies so ("<MC.T>", "<James Capel and Co>")."""
    found = 0
    for m in _HTML_TAG.finditer(text[:20000]):
        name = (m.group(2) or "").lower()
        found += not name or name in _BLOCK_TAGS or name in _INLINE_TAGS
        if found >= 2:
            return True
    return False


def _strip_html(text: str) -> tuple[str, list[int], list[int], list[tuple[int, int]]]:
    """Drop tags (blocks become newlines), skip script/style, decode entities, drop the page's chrome
    (`_page_chrome`). Returns the text, each character's start and end in `text`, and the input spans of
    the headings (h1-h6) that were kept."""
    out: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    skips = [(m.start(), m.end()) for m in _HTML_SKIP.finditer(text)]
    pos = 0
    # Elements as (name, attributes, start, end in `out`, start, end in `text`), from the open tag's end to
    # the close tag's start; `open_` holds those not closed yet.
    elements: list[tuple[str, str, int, int, int, int]] = []
    open_: list[tuple[str, str, int, int]] = []
    n_open: Counter[str] = Counter()

    def emit_text(a: int, b: int) -> None:
        i = a
        while i < b:
            m = _HTML_ENTITY.match(text, i, b)
            if m:
                decoded = html.unescape(m.group(0))
                for ch in decoded:
                    out.append(ch)
                    origin.append(i)
                    ends.append(m.end())
                i = m.end()
            else:
                out.append(text[i])
                origin.append(i)
                ends.append(i + 1)
                i += 1

    for m in _HTML_TAG.finditer(text):
        if any(s <= m.start() < e for s, e in skips):
            continue
        # Emit text before this tag, minus skipped regions.
        a = pos
        for s, e in skips:
            if s >= m.start() or e <= a:
                continue
            if s > a:
                emit_text(a, s)
            a = max(a, e)
        if a < m.start():
            emit_text(a, m.start())
        name = (m.group(2) or "").lower()
        # A close tag closes its element and any left open inside it; one with none open is ignored
        # without a search (100,000 stray close tags under 100,000 open ones took minutes).
        if name and m.group(1) and n_open[name]:
            while True:
                n, attrs, o, t = open_.pop()
                n_open[n] -= 1
                elements.append((n, attrs, o, len(out), t, m.start()))
                if n == name:
                    break
        if name in _BLOCK_TAGS:
            out.append("\n")
            origin.append(m.start())
            ends.append(m.start() + 1)
        if name and not m.group(1) and name not in _VOID_TAGS and not m.group(0).endswith("/>"):
            open_.append((name, m.group(0), len(out), m.end()))
            n_open[name] += 1
        pos = m.end()
    a = pos
    for s, e in skips:
        if e <= a:
            continue
        if s > a:
            emit_text(a, s)
        a = max(a, e)
    emit_text(a, len(text))
    elements.extend((n, attrs, o, len(out), t, len(text)) for n, attrs, o, t in open_)
    drop = _page_chrome("".join(out), elements)
    keep = [i for i in range(len(out)) if not drop[i]]
    kept = _running_count(not d for d in drop)
    headings = [(t0, t1) for n, _, o0, o1, t0, t1 in elements if n in _HEADING_TAGS and kept[o1] > kept[o0]]
    return ("".join(out[i] for i in keep), [origin[i] for i in keep], [ends[i] for i in keep],
            headings)


def _is_chrome(name: str, tag: str) -> bool:
    """Whether an element is page chrome by its name, its ARIA role or its class and id."""
    if name in _NEVER_CHROME:
        return False
    if name in _CHROME_TAGS:
        return True
    for m in _ATTR.finditer(tag):
        value = (m.group(2) or m.group(3) or m.group(4) or "").lower()
        if m.group(1).lower() == "role":
            if any(r in _CHROME_ROLES for r in value.split()):
                return True
        elif _CHROME_NAME.search(value):
            return True
    return False


def _page_chrome(out: str, elements: list[tuple[str, str, int, int, int, int]]) -> list[bool]:
    """Which characters of the stripped page `out` are chrome: all outside the article (the longest
    <article>, or else <main>, when it is long enough to be one) and, inside, the chrome elements."""
    visible = _running_count(not ch.isspace() for ch in out)  # visible[i]: non-space characters in out[:i]

    def size(o0: int, o1: int) -> int:
        return visible[o1] - visible[o0]

    total = size(0, len(out))
    lo, hi = 0, len(out)
    for kinds in ({"article"}, {"main"}):
        roots = [(size(o0, o1), o0, o1) for n, tag, o0, o1, _, _ in elements
                 if n in kinds or any(m.group(1).lower() == "role" and (m.group(2) or m.group(3) or m.group(4)
                                      or "").lower() in kinds for m in _ATTR.finditer(tag))]
        if roots:
            n_chars, o0, o1 = max(roots)
            if n_chars >= _ARTICLE_MIN_CHARS or 3 * n_chars >= total:
                lo, hi = o0, o1
                break
    in_link = _covered(len(out), [(o0, o1) for n, _, o0, o1, _, _ in elements if n == "a"])
    linked = _running_count(link and not ch.isspace() for ch, link in zip(out, in_link, strict=True))
    inside = size(lo, hi)
    chrome = [(0, lo), (hi, len(out))]
    for n, tag, o0, o1, _, _ in elements:
        if o1 <= o0 or not (lo <= o0 and o1 <= hi) or 2 * size(o0, o1) >= inside:
            continue
        # A list that is (almost) all links is a menu or a list of other stories.
        links_only = n in ("ul", "ol") and linked[o1] - linked[o0] >= 0.8 * size(o0, o1)
        if links_only or _is_chrome(n, tag):
            chrome.append((o0, o1))
    return _covered(len(out), chrome)


def _running_count(flags: Iterable[bool]) -> list[int]:
    """counts[i]: how many of the first i flags are true."""
    counts = [0]
    for flag in flags:
        counts.append(counts[-1] + flag)
    return counts


def _covered(n: int, spans: list[tuple[int, int]]) -> list[bool]:
    """For each of n positions, whether a span [a, b) covers it, in time linear in n and the spans
    (nested elements each marked in full cost their depth times the text)."""
    depth = [0] * (n + 1)
    for a, b in spans:
        if a < b:
            depth[a] += 1
            depth[b] -= 1
    return [d > 0 for d in itertools.accumulate(depth[:n])]


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
        text, origin, ends, headings = _strip_html(raw)
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
# sentences; since every line break ends a sentence, its sentences would come out as line fragments.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
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


# Abbreviations after which a sentence splitter must not break.
_TITLES = {
    "mr", "mrs", "ms", "dr", "prof", "maj", "gen", "lt", "col", "capt", "cpt", "sgt", "cmdr",
    "adm", "brig", "gov", "sen", "rep", "rev", "fr", "st", "jr", "sr", "hon", "pres", "supt",
    "insp", "det", "no", "vol", "fig", "vs", "v", "mt", "ft", "messrs", "mme", "mlle",
}
_INITIALISM = re.compile(r"(?:[A-Za-z]\.){2,}$")  # U.S., U.K., e.g.
_WORD_BEFORE_DOT = re.compile(r"([A-Za-z]+)\.\s*$")
_MONTHS_ABBR = {"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}


def _ends_with_abbreviation(s: str, nxt: str) -> bool:
    s = s.rstrip()
    m = _WORD_BEFORE_DOT.search(s)
    if not m:
        return False
    word = m.group(1).lower()
    nxt = nxt.lstrip()
    if word in _TITLES:
        return True
    if word in _MONTHS_ABBR and nxt[:1].isdigit():
        return True
    if len(word) == 1 and word.isalpha() and s[-3:-2] in (" ", ""):
        return True  # a middle initial: "John F. Kennedy"
    if _INITIALISM.search(s.split()[-1] if s.split() else ""):
        # "the U.S. military" splits wrongly; "in the U.S. The next day" is a real end.
        return bool(nxt) and (nxt[0].islower() or nxt[0].isdigit() or nxt.split()[0] in _CONTINUERS)
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

    Every line break ends a sentence (news text puts paragraphs on lines);
    breaks right after abbreviations ("Maj. Gen.", "U.S. troops") are undone;
    spans are trimmed of surrounding whitespace and empty ones dropped.
    """
    pieces: list[tuple[int, int]] = []
    for a, b in proposals:
        start = a
        for m in re.finditer(r"\n", text[a:b]):
            pieces.append((start, a + m.start()))
            start = a + m.end()
        pieces.append((start, b))
    trimmed = []
    for a, b in pieces:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            trimmed.append((a, b))
    merged: list[tuple[int, int]] = []
    for a, b in trimmed:
        if merged:
            pa, pb = merged[-1]
            same_line = "\n" not in text[pb:a]
            if same_line and _ends_with_abbreviation(text[pa:pb], text[a:b]):
                merged[-1] = (pa, b)
                continue
            if same_line and not re.search(r"\w", text[a:b]):
                merged[-1] = (pa, b)  # a stray closing quote or bracket
                continue
        merged.append((a, b))
    return merged


@dataclass
class Sentence:
    index: int
    start: int  # cleaned-text offsets
    end: int
    text: str
    paragraph: int
    role: str = "body"  # body | headline | boilerplate
    words: int = field(default=0)


# Lines that are page furniture, not article text: sharing and navigation prompts, calls to action,
# copyright, publishing times. Matched case-insensitively from the start of the sentence.
_BOILERPLATE = re.compile(
    r"^(share (this|on|via|article|page)\b|read more\b|more on this story\b|click here\b|"
    r"follow (us|@\w+|[\w .'@-]{1,40}? on (twitter|x|facebook|instagram|tiktok|threads|bluesky|linkedin|"
    r"youtube))\b|sign up\b|subscribe\b|advertisement$|"
    r"related( (articles?|stories|topics|content|coverage|links|reading))?( ?:|$)|see also:|"
    r"copyright\b|©|all rights reserved|scroll down\b|sorry,? we are (not|unable)|comments are (now )?closed|"
    r"we (and our partners )?use cookies\b|by continuing to (browse|use)\b|read next\b|"
    r"\((additional )?(reporting|writing|editing) by\b|"
    r"updated?:? |published:? |posted:? |last updated\b|"
    # ... the page's prompts between paragraphs and after the story ...
    r"(story|article) continues (below|after)\b|scroll (down )?to continue\b|continue reading\b|"
    r"skip (advertisement|ad)\b|download (our|the) (free )?app\b|get the latest\b.{0,60}\binbox\b|"
    r"pic\.twitter\.com/|"
    # ... press-release furniture, credits and notes about the article rather than its story.
    r"for immediate release\b|(media|press|investor|editorial) (contacts?|enquiries|inquiries)\b|contacts?:|"
    r"for (more|further) information\b|additional reporting by\b|"
    r"the (views|opinions) expressed (in|here|are)\b|this (interview|conversation|transcript|article|story) "
    r"(has been|was) (edited|condensed|updated|amended|corrected)\b|"
    r"an earlier version of this (article|story)\b|this material may not be\b|"
    r"(this )?(press )?release (contains|includes) forward-looking\b|forward-looking statements?$)",
    re.I,
)
# A credit line for the reporting, at its end: "Associated Press writer Jane Doe contributed to this report."
_CONTRIBUTED = re.compile(r"\bcontributed( reporting)? to this (report|story|article)\.?$", re.I)
# A line of marks ("###", "___", "* * *"), a wire or press release's end mark ("-30-", "- ENDS -"),
# or only an e-mail address, a web address or a phone number (a press release's contact block).
_NO_TEXT = re.compile(
    r"^(([#*_=~+-] ?){3,}|-+ ?(ends|30) ?-+|ends\.?|[\w.+-]+@[\w-]+(\.[\w-]+)+|(https?://|www\.)\S+|"
    r"((tel|phone|telephone|mobile|mob|fax)\.?:? ?|\+)[\d ()./-]{7,})$",
    re.I,
)
# Notes about the article make their whole line boilerplate: "Correction: An earlier version ... The correct
# figure is ...", "Editor's note: ...", "Copyright 2026 The Associated Press. All rights reserved."
_NOTE = re.compile(
    r"^((corrections?|clarifications?|editor(['’]?s|s['’]) note|note to editors?)\s*:|copyright\b|©)", re.I
)
# An embedded post's attribution: "— Jane Doe (@janedoe) May 3, 2026" (its whole line).
_POST_BY = re.compile(r"^[—–-] ?[^\n]{1,80}?\(@\w{1,30}\)", re.I)
# A caption or photo credit makes its whole line boilerplate: a line that opens with "Photo:", "(Image:",
# "Pictured:", "Reuters/…", or is only an agency's name...
_CAPTION = re.compile(
    r"^(\(?(photo|photograph|image|picture|video|caption|illustration)s?( credit| caption)?:|pictured:|"
    r"\(?(getty images|reuters?|ap|afp|epa|pa( media)?|shutterstock|alamy)\)?$|"  # "REUTER": 1980s sign-off
    r"(reuters|ap|afp|epa|getty images|pa) ?/|ap photo\b|"
    r"(image|photo|video|media) (caption|source|copyright)s?,)",  # BBC pages: "Image source, Reuters"
    re.I,
)
# "Image caption," on a line of its own: the next line is the caption.
_CAPTION_LABEL = re.compile(r"^(image|photo|video|media) caption[,:]?$", re.I)
# ... or that closes with a credit: "… (John Smith/Getty Images)", "… Photograph: Jane Doe/Reuters".
_CREDIT_END = re.compile(
    r"/ ?(getty( images)?|reuters|ap( photo)?|afp|epa|pa( media| wire)?|shutterstock|alamy|bloomberg)"
    r"( via getty images)?\)?\.?$|\(((photo|image|picture|video) )?(credit|courtesy)s?:? [^()]{1,60}\)\.?$",
    re.I,
)
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# Bylines: "By Jane Smith", "By Jane Smith and John Doe, BBC News": capitalised names (case matters, so
# "By then it was late." stays a sentence), then at most a short affiliation.
_BYLINE = re.compile(
    r"^(?:(?:interview|words|text|story|photos?|photographs|pictures|video) )?"  # "Interview by Jane Doe"
    r"by (?-i:[A-Z][\w'’-]*\.?(?: [A-Z][\w'’-]*\.?){0,3})"
    r"(?: (?:and|&) (?-i:[A-Z][\w'’-]*\.?(?: [A-Z][\w'’-]*\.?){0,3}))?"
    r"(?:(?:,| -| —| \|) (?:[\w&'’-]+ ?){1,5})?$",
    re.I,
)
_AGENCY = r"(?: \((?-i:[A-Z][A-Za-z]*)\))"  # "(Reuters)", "(AP)"
# A line that is only a dateline or a date: "LONDON (Reuters) -", "WASHINGTON —", "NEW YORK, Nov 28",
# "Monday 28 November 2026", "Nov. 28, 2026 10:32 GMT", "2026-11-28".
_DATELINE = re.compile(
    r"^(?-i:[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+)*)(?:, (?-i:[A-Z][\w.]*(?: [A-Z][\w.]*)*))?"
    rf"(?:,? {_MONTH} \d{{1,2}}{_AGENCY}? ?[-—–:]*|{_AGENCY}? ?[-—–:]+)$",  # a date, or a dash at the end
    re.I,
)
_TIME = r"\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?)?(?: [A-Z]{2,4}(?:[+-]\d{1,2}(?::?\d{2})?)?)?"  # "2:15 PM GMT+1"
_DATE = re.compile(
    r"^(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,? )?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}}|"
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})"
    rf"(?:,? (?:at )?{_TIME})?$",
    re.I,
)
# A time alone, with its zone or am/pm: a live blog's entry times ("16.45 BST", "4:51pm").
_TIME_ONLY = re.compile(r"^\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?| [A-Z]{2,4}(?:[+-]\d{1,2}(?::?\d{2})?)?)$", re.I)
# A time before the date: "10:51 EST, 24 March 2013", "4:10 PM on 12th January 2012".
_TIME_DATE = re.compile(
    rf"^\d{{1,2}}[:.]\d{{2}}(?: ?[ap]\.?m\.?)?(?: [A-Z]{{2,4}})?,? (?:on )?"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})$",
    re.I,
)
# Some sites (and the text dumps made of them) write a header as fragments closed by " ." and " | .":
# "By . Jane Smith . PUBLISHED: . 10:51 EST, 24 March 2013 . | . UPDATED: ...". A fragment is judged
# without its closing dots and bars.
_CLOSING_DOTS = re.compile(r"(?:\s*[.|])+$")


def _fragment_core(text: str) -> str:
    return _CLOSING_DOTS.sub("", text).strip()


_BARE_BY = re.compile(r"^by$", re.I)
_QUESTION_LINE = re.compile(r"^Q ?[:.]\s")  # "Q: Why publish the report now?"
# A contributor's note closing the article: "Jane Doe is a freelance writer based in Leeds."
_BIO = re.compile(
    r"^(?-i:[A-Z][\w'’-]+(?: [A-Z][\w'’.-]+){1,3}) (is|was) (a|an|the)\b[^.]{0,150}"
    r"\b(writer|columnist|journalist|correspondent|editor|reporter|author|contributor|freelancer?|"
    r"commentator|blogger)\b",
    re.I,
)
_NAMES = re.compile(r"^(?-i:[A-Z][\w'’.-]*)(?: (?:(?-i:[A-Z][\w'’.-]*)|and|&|for|of|in|the))*$", re.I)
_TERMINAL = re.compile(r"[.!?…:;\"'”’)\]]$")


def is_boilerplate(text: str) -> bool:
    """Page furniture rather than article text: bylines, dateline-only lines, captions and credits,
    share/read-more/follow/sign-up lines, publishing times."""
    core = _fragment_core(text)  # not for bylines: "By Christmas, the shops were full."
    whole = (_BOILERPLATE, _CAPTION, _CREDIT_END, _BYLINE, _DATELINE, _DATE, _TIME_ONLY, _CONTRIBUTED,
             _NO_TEXT, _NOTE, _POST_BY)
    fragment = (_CAPTION, _DATE, _TIME_DATE, _BARE_BY)
    return any(p.search(text) for p in whole) or any(p.search(core) for p in fragment)


def label_roles(sentences: list[Sentence], title: str | None = None,
                headings: Sequence[tuple[int, int]] = ()) -> None:
    """Set each sentence's role from its text and paragraph (line): boilerplate, headline or body.

    A line that opens with a caption marker or closes with a photo credit is boilerplate as a whole. The
    first line is a headline when it has no closing punctuation and more text follows; any sentence that
    repeats the title is one too, and so is any sentence inside one of `headings` (cleaned-text spans of
    HTML's h1-h6).
    """
    key = title.strip().casefold() if title else None
    lines: dict[int, list[Sentence]] = {}
    for s in sentences:
        lines.setdefault(s.paragraph, []).append(s)
        s.role = "boilerplate" if is_boilerplate(s.text) else "body"
        if key and s.text.strip().casefold() == key:
            s.role = "headline"
        if s.role == "body" and any(a <= s.start and s.end <= b for a, b in headings):
            s.role = "headline"
    order = list(lines.values())
    for k, line in enumerate(order):
        head = line[0].text
        if (_CAPTION.search(head) or _CREDIT_END.search(line[-1].text) or _NOTE.search(head)
                or _POST_BY.search(head)):
            for s in line:
                s.role = "boilerplate"
        if len(line) == 1 and _CAPTION_LABEL.search(head.strip()) and k + 1 < len(order):
            for s in order[k + 1]:  # "Image caption," then the caption
                s.role = "boilerplate"
        # A photo credit on a line of its own ("Photograph: Jane Doe/AP") under a short line: that is its
        # caption. Not an agency's name alone: wire copy signs off with one ("REUTER") after its last line.
        credit = (len(line) == 1 and line[0].words <= 8 and not _CAPTION_LABEL.search(head.strip())
                  and (_CREDIT_END.search(head) or (_CAPTION.search(head) and any(c in head for c in ":/"))))
        if credit and k > 1 and len(order[k - 1]) == 1 and order[k - 1][0].words <= 20:
            order[k - 1][0].role = "boilerplate"
    text_lines = [line for line in order if any(s.role != "boilerplate" for s in line)]
    for line in text_lines[-3:]:  # "Jane Doe is a freelance writer based in Leeds." closing a column
        if _BIO.search(line[0].text):
            for s in line:
                s.role = "boilerplate"
    for by, name in zip(sentences, sentences[1:], strict=False):  # "By ." then "Jane Smith ."
        if _BARE_BY.search(_fragment_core(by.text)):
            core = _fragment_core(name.text)
            if len(core.split()) <= 6 and _NAMES.search(core):
                name.role = "boilerplate"
    # The first line after any page furniture ("FOR IMMEDIATE RELEASE", "###") is the headline when it does
    # not end a sentence ("Why is the canal blocked? Here's what we know"), even one that reads like a
    # dateline (a wire's "TREASURY BALANCES AT FED FELL ON APRIL 9").
    first = next((line for line in order
                  if not all(_BOILERPLATE.search(s.text) or _NO_TEXT.search(s.text) for s in line)), None)
    if (len(sentences) > 1 and first and first[-1].index < sentences[-1].index
            and sum(s.words for s in first) <= 25 and not _TERMINAL.search(first[-1].text)):
        for s in first:
            s.role = "headline"
    text_lines = [line for line in order if any(s.role != "boilerplate" for s in line)]
    # Question subheadings and an interviewer's questions: a short question on its own line with more text
    # after it ("What happened?", "Why does it matter?"), a line opening "Q:".
    for line, nxt in zip(text_lines[1:], text_lines[2:], strict=False):
        one = line[0]
        heading = len(line) == 1 and one.role == "body" and one.words <= 10 and one.text.endswith("?")
        if _QUESTION_LINE.search(one.text) or (heading and any(s.role == "body" for s in nxt)):
            for s in line:
                if s.role == "body":
                    s.role = "headline"


def label_sentences(text: str, spans: list[tuple[int, int]], title: str | None = None,
                    headings: Sequence[tuple[int, int]] = ()) -> list[Sentence]:
    """Build sentences with paragraph numbers and roles (headline, boilerplate, body); `headings`: see
    `label_roles`."""
    sentences: list[Sentence] = []
    para = 0
    prev_end = 0
    for i, (a, b) in enumerate(spans):
        if i and "\n" in text[prev_end:a]:
            para += 1
        s = text[a:b]
        sentences.append(Sentence(i, a, b, s, para, words=len(s.split())))
        prev_end = b
    label_roles(sentences, title, headings)
    return sentences


# Quotation marks that open a quote, and the marks that may close each.
_CLOSERS = {'"': '"”', "“": "”\"", "‘": "’'", "'": "'’", "«": "»", "„": "“”\""}
_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "this", "that"}
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _closing(text: str, mark: str, start: int) -> int:
    """Where the quote opened by `mark` closes (an apostrophe inside a word does not), or -1."""
    for i in range(start, len(text)):
        ch = text[i]
        if ch in _CLOSERS[mark]:
            inside_word = i + 1 < len(text) and text[i - 1].isalpha() and text[i + 1].isalpha()
            if not inside_word:
                return i
    return -1


_ANSWER = re.compile(r"A ?: ")


def needs_context(text: str) -> bool:
    """A quote that cannot open a summary, since it does not say who speaks: a sentence that is only a
    quotation, or ends inside it (`"We will win.`), or names its speaker only by a pronoun (`"We will
    win," he said.`), or carries on a quotation opened in an earlier sentence (`We have the votes," he
    said.`). A quote attributed by name (`"We will win," said Jane Smith.`) has its context. Nor can an
    interview's answer (`A: Because ...`) open a summary without its question."""
    t = text.strip()
    if not t:
        return False
    if _ANSWER.match(t):
        return True
    if t[0] in _CLOSERS and (t[0] != "'" or t[1:2].isalpha()):
        end = _closing(t, t[0], 1)
        if end < 0:
            return True
        words = _WORD.findall(t[end + 1 :])
        return not words or words[0].lower() in _PRONOUNS
    # A closing mark with no opening one before it: the quote began in an earlier sentence.
    if t.count("”") > t.count("“"):
        return True
    first = t.find('"')
    return t.count('"') % 2 == 1 and first > 0 and not t[first - 1].isspace() and t[first - 1] not in "(["


_LOWER_WORD = re.compile(r"(?<![\w'’])[a-z][a-z'’-]*")


def is_fragment(sentence: Sentence, alone: bool) -> bool:
    """Not a sentence a summary can quote: `alone` on its line (paragraph) and not ended, with 25 words at
    most (a subheading or standfirst, a list item, a line cut short: "About Acme Corp", "Key points"), or,
    unless it is in capitals, holding fewer than two words in lower case (a table row, a team sheet, a
    heading in title case: "Ashford   35 24 6  5  78", "Northbridge United: Hart; Cole, Evans, Mensah")."""
    text = sentence.text
    if alone and sentence.words <= 25 and not _TERMINAL.search(text):
        return True
    return not is_shouting(text) and len(_LOWER_WORD.findall(text)) < 2
