"""HTML to text: tags dropped (blocks become line breaks, a table row one line of cells between " | "),
script and style skipped, character references decoded, and the page's chrome (navigation, sidebars,
footers, banners, hidden elements, everything outside the <article>) dropped with its text, each character
keeping where it came from in the input.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from html.entities import html5
from typing import NamedTuple

# An element's tag. A quoted attribute value may hold ">" (alt="Profit > forecast"); a quote left open is
# read as a character. No tag holds "<", so each try stops at the next one and a page of stray "<"s or
# quotes costs linear time (`[^>]*>` scanned to the end of the text from each of them).
_ELEMENT_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b(?:(?:[^<>"']|"[^<"]*"|'[^<']*')*>|[^<>]*>)""")
_DECLARATION = re.compile(r"<!(?i:DOCTYPE)[^<>]*>|<\?[^<>]*>")  # <?xml ...?>: not text
_ENCLOSED = (("<!--", "-->"), ("<![CDATA[", "]]>"))  # comments and CDATA (not text in HTML either)
# Dropped with their contents. One never closed runs to the end of the text, as in a browser, but for <head>
# (a browser ends it at the first tag that cannot stand in it): its title, scripts and styles are dropped
# one by one then.
_SKIPPED = {"script", "style", "noscript", "template", "head", "title"}
# A character reference; browsers also read the legacy names (the 106 that HTML lets go without ";") and
# numbers without one. A legacy name followed by a letter, a digit or "=" is text here, as it is in a
# browser's attribute values ("&region=uk", "&notice", "AT&T"), though browsers read "&region" in text as
# "®ion".
_LEGACY_ENTITY_NAMES = sorted((n for n in html5 if not n.endswith(";")), key=len, reverse=True)
_HTML_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31};|#[0-9]+;?|#[xX][0-9a-fA-F]+;?|(?:"
                          + "|".join(_LEGACY_ENTITY_NAMES) + r")(?![a-zA-Z0-9=]))")
_BLOCK_TAGS = {
    "p", "br", "div", "li", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "tr", "table",
    "caption", "section", "article", "header", "footer", "blockquote", "figure", "figcaption", "title",
    "body", "html", "hr", "pre", "dd", "dt", "aside", "nav", "main", "search", "address", "center",
    "details", "summary", "dialog", "fieldset", "legend", "form", "menu",
}
# A table's cells: a row reads as one line, its cells between " | " (so roles.py takes a row of short cells
# for a bar of items, not a sentence, and a cell is not a sentence of its own).
_CELL_TAGS = {"td", "th"}
_CELL_SEPARATOR = " | "
_INLINE_TAGS = {
    "a", "abbr", "audio", "b", "base", "bdi", "bdo", "big", "button", "canvas", "cite", "code", "col",
    "colgroup", "data", "del", "dfn", "em", "embed", "font", "head", "i", "iframe", "img", "input", "ins",
    "kbd", "label", "link", "map", "mark", "meta", "noscript", "object", "option", "picture", "q", "s",
    "samp", "script", "select", "small", "source", "span", "strike", "strong", "style", "sub", "sup", "svg",
    "tbody", "template", "textarea", "tfoot", "thead", "time", "tt", "u", "var", "video", "wbr",
}
_KNOWN_TAGS = _BLOCK_TAGS | _CELL_TAGS | _INLINE_TAGS
# Page chrome, dropped with its text (the engine sees the article, not the page around it): elements that
# are navigation, sidebars, footers, forms and buttons, captions, a video's fallback text by what they are,
# by their ARIA landmark role, by being hidden (`_is_hidden`), or by the class or id that sites across the
# web give them (comments and talkback, cookie and consent banners, share bars, related, recommended and
# most-read lists, newsletter and promotion boxes, bylines, tags, ads, text for screen readers only: labels
# of icons and controls, "Opens in a new window"). Lines that are lists of links written as paragraphs go
# too (`_link_lines`). An element holding half of the text or more is never chrome, whatever its name (a
# page wrapped in one <form>, a <div class="content has-sidebar">, a story hidden until a script shows it).
_CHROME_TAGS = {
    "nav", "aside", "footer", "form", "button", "select", "textarea", "figcaption", "iframe", "svg",
    "dialog", "amp-sidebar", "video", "audio",
}
_CHROME_ROLES = {
    "navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu",
    "menubar", "toolbar",
}
# Matched against a class or id written in lower case words between hyphens (`_name_words`), each name tried
# where a word starts ("(?<![a-z])"): "[a-z]*(?:nav|menu)" tried from every letter read a long word to its
# end each time (quadratic: a class of 16,000 letters took 1.3 s).
_CHROME_NAME = re.compile(
    r"(?<![a-z])(?:comments?|talkback|have-?your-?say|disqus|cookies?|consent|gdpr|share[a-z]*|sharing|"
    r"social|related[a-z]*|newsletters?|promo[a-z]*|subscribe|signup|byline[a-z]*|author[a-z]*|meta|"
    r"breadcrumbs?|sidebar|widgets?|footer|advert[a-z]*|ads?|sponsored|most-?(?:read|viewed|popular|shared)|"
    r"popular|trending|recommend(?:ed|ations)|more-?(?:stories|from)|read-?next|also-?read|recirc[a-z]*|outbrain|"
    r"taboola|tags|caption|credit|twitter-tweet|instagram-media|tiktok-embed|sr-only|visually-hidden|"
    r"screen-reader-text)(?![a-z])|(?<![a-z])(?:nav|menu)[a-z]*|(?<![a-z])[a-z]*(?:nav|menu)(?![a-z])"
)
# Where a camelCase class or id starts a word ("photoCaption", "relatedContent"): after three letters in
# lower case, before a capital and two, so hashed class names ("sc-hNavcd") are not read as words.
_CAMEL_CASE_WORD = re.compile(r"(?<=[a-z]{3})(?=[A-Z][a-z]{2})")
_NEVER_CHROME = {"html", "body", "main", "article"}
# A tag's attribute: its name and its value, if it has one ("<div hidden>" has none).
_ATTR = re.compile(r"""\s([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
# Hidden by its style or its class (Bootstrap's, Tailwind's and sites' own names for display: none), unless
# another of its classes shows it on wider screens ("hidden md:block", "d-none d-lg-block").
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_HIDDEN_CLASSES = {"hidden", "d-none", "is-hidden", "hide", "invisible"}
_SHOWN_FROM_A_WIDTH = re.compile(r"^(?:[a-z0-9]+:(?:block|flex|grid|inline|inline-block|inline-flex|table|"
                                 r"contents)|d-(?:sm|md|lg|xl|xxl)-(?!none)[a-z-]+)$")
_VOID_TAGS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
    "wbr", "amp-img",
}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# An <article> (or else <main>) this long, or holding a third of the page's text, is the article: the text
# outside it is the page around it.
_ARTICLE_MIN_CHARS = 500
# A line of prose: 15 words or more, ending a sentence. Above a page's top heading it is the story's
# standfirst or lead, not its masthead.
_PROSE_LINE = re.compile(r"(?m)^[^\S\n]*(?:\S+[^\S\n]+){14,}\S*[.!?][\"'”’)]*[^\S\n]*$")
# What a sentence with links in it has outside them, and a list of links does not ("Ferry | Islands").
_PROSE_BETWEEN_LINKS = re.compile(r"[,;.!?]|\b[a-z]{2,}\b")
# An element holding the page's first <h1> and this much text besides is the story's wrapper.
_STORY_MIN_CHARS = 200
# A footnote or reference marker: a number or a few, or a mark, maybe in brackets ("3", "[2]", "1, 4", "*").
# One run of spaces either side of a bracket: as "\s*[\[(]?\s*", without the bracket, a <sup> of spaces split
# them between two runs every way (quadratic: 16,000 spaces took 3 s).
_MARKER = re.compile(r"\s*(?:[\[(]\s*)?[\d*†‡]+(?:\s*[,–-]\s*[\d*†‡]+)*(?:\s*[\])])?\s*")
_MARKER_CLASS = re.compile(r"footnote|reference|noteref", re.I)
# What a marker follows when it is not an exponent ("E=mc<sup>2</sup>"): a sentence's end or a space.
_BEFORE_A_MARKER = set(".,;:!?\"'”’") | {" ", "\n"}


class _Tag(NamedTuple):
    start: int
    end: int
    closing: bool
    name: str  # lower case; "" for a comment, CDATA, doctype or processing instruction
    raw: str
    skip: bool = False  # a whole script, style, ... element, contents included


def _tags(text: str) -> Iterator[_Tag]:
    """The tags of `text` in order, each "<" tried once. An end searched for and not found (a comment or a
    <script> never closed, which then runs to the end of the text) is not searched for again, so the whole
    pass is linear."""
    absent: set[str] = set()  # closing patterns known not to occur after the current position

    def end_of(closing: str, at: int) -> int:
        """Where the first match of `closing` after `at` ends, or -1."""
        if closing in absent:
            return -1
        m = re.compile(closing, re.I).search(text, at)  # re caches the few patterns
        if m is None:
            absent.add(closing)
            return -1
        return m.end()

    i = text.find("<")
    while i != -1:
        tag = None
        if m := _ELEMENT_TAG.match(text, i):
            name = m.group(2).lower()
            tag = _Tag(i, m.end(), bool(m.group(1)), name, m.group(0))
            if name in _SKIPPED and not tag.closing:
                end = end_of(rf"</{name}\s*>", m.end())
                if end == -1 and name != "head":
                    end = len(text)
                if end != -1:
                    tag = _Tag(i, end, False, name, text[i:end], skip=True)
        elif m := _DECLARATION.match(text, i):
            tag = _Tag(i, m.end(), False, "", m.group(0))
        else:
            for opener, closer in _ENCLOSED:
                if text.startswith(opener, i):
                    if (end := end_of(re.escape(closer), i + len(opener))) == -1 and opener == "<!--":
                        end = len(text)
                    if end != -1:
                        tag = _Tag(i, end, False, "", text[i:end])
                    break
        if tag is None:
            i = text.find("<", i + 1)
            continue
        yield tag
        i = text.find("<", tag.end)


def looks_like_html(text: str) -> bool:
    """Whether `text` holds a tag written as markup (`_is_markup`) in its first 20,000 characters. Tag
    names used as words in a sentence are text ("the <br> and <p> elements", "use <b> for bold"), and so are
    angle brackets around other names: wire copy writes tickers and companies so ("<MC.T>", "Phillips
    Petroleum <P>", "<James Capel and Co>"). Character references alone do not make HTML: plain-text
    archives carry stray ones ("&#233;" in BBC's articles)."""
    head = text[:20000]
    return any(_is_markup(head, t) for t in _tags(head))


# An attribute given a value: what markup writes and prose does not ("<A.H.A. Automotive Corp>" has none).
_ATTR_WITH_VALUE = re.compile(r"""\s[^\s"'<>/=]+\s*=""")
_BLANK_TO_LINE_END = re.compile(r"[^\S\n]*(?:\n|$)")
_WORD = re.compile(r"[^\W_]+")
_WORD_BEFORE = re.compile(r"[^\W_]+\Z")


def _is_markup(text: str, tag: _Tag) -> bool:
    """Whether a tag is written as markup rather than named in prose: a comment, doctype or CDATA, or a
    tag of an element HTML has that closes one, has an attribute with a value or a "/>", touches a word
    (`_touches_words`), or stands alone on its line."""
    if not tag.name:
        return True
    if tag.name not in _KNOWN_TAGS:
        return False
    raw, end = tag.raw, tag.end
    if tag.skip:
        if re.search(rf"</{tag.name}\s*>\Z", raw, re.I):
            return True  # a whole <script>, <style>, ... element
        raw = _ELEMENT_TAG.match(raw).group(0)  # one never closed ("use <script> with care"): its tag alone
        end = tag.start + len(raw)
    if tag.closing or raw.endswith("/>") or _ATTR_WITH_VALUE.search(raw):
        return True
    if _touches_words(text, tag.start, end, raw[1:].lstrip("/")[: len(tag.name)].isupper()):
        return True
    if not _BLANK_TO_LINE_END.match(text, end):  # first: then only a line's last tag reads back to its start
        return False
    return not text[text.rfind("\n", 0, tag.start) + 1 : tag.start].strip()


def strip_html(text: str) -> tuple[str, list[int], list[int], list[tuple[int, int]]]:
    """Drop tags (blocks become newlines, a table row's cells are set between " | "), skip script/style,
    decode entities, drop the page's chrome (`_page_chrome`). Returns the text, each character's start and
    end in `text`, and the input spans of the headings (h1-h6) that were kept."""
    out: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    pos = 0
    # Elements as (name, attributes, start, end in `out`, start, end in `text`), from the open tag's end to
    # the close tag's start; `open_` holds those not closed yet.
    elements: list[tuple[str, str, int, int, int, int]] = []
    open_: list[tuple[str, str, int, int]] = []
    n_open: Counter[str] = Counter()
    closed_inline_at = -1  # where the last tag ended, when it closed an inline element
    source_breaks: list[int] = []  # where `out` holds a line break of the source's text, outside <pre>
    laid_out = False  # whether block elements lay the page out (then those breaks are only spaces)
    row_has_text = False  # whether a table row has text on its line so far
    cell_at = -1  # where a cell opened after such text starts: " | " goes before the cell's text

    def emit_run(a: int, b: int) -> None:
        """Emit the text between two tags, after a cell's separator if it is the cell's first text."""
        nonlocal row_has_text, cell_at
        if text[a:b].strip():
            if cell_at != -1:
                for ch in _CELL_SEPARATOR:
                    out.append(ch)
                    origin.append(cell_at)
                    ends.append(cell_at)
                cell_at = -1
            row_has_text = True
        emit_text(a, b)

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
                if text[i] in "\r\n" and not n_open["pre"]:
                    source_breaks.append(len(out))
                out.append(text[i])
                origin.append(i)
                ends.append(i + 1)
                i += 1

    for tag in _tags(text):
        if pos < tag.start:
            emit_run(pos, tag.start)
        pos = tag.end
        if tag.skip:
            continue
        name = tag.name
        # A close tag closes its element and any left open inside it; one with none open is ignored
        # without a search (100,000 stray close tags under 100,000 open ones took minutes).
        if name and tag.closing and n_open[name]:
            while True:
                n, attrs, o, begin = open_.pop()
                n_open[n] -= 1
                elements.append((n, attrs, o, len(out), begin, tag.start))
                if n == name:
                    break
        if name in _BLOCK_TAGS:
            laid_out = True
            out.append("\n")
            origin.append(tag.start)
            ends.append(tag.start + 1)
            row_has_text, cell_at = False, -1
        elif name in _CELL_TAGS:
            laid_out = True
            if not tag.closing and row_has_text:
                cell_at = tag.start
        elif not tag.closing and closed_inline_at == tag.start and _runs_together(out, text, tag.end):
            out.append(" ")  # "<span>Imogen Ash</span><span>Business Correspondent</span>"
            origin.append(tag.start)
            ends.append(tag.start)
        closes_inline = tag.closing and name not in _BLOCK_TAGS and name not in _CELL_TAGS
        closed_inline_at = tag.end if closes_inline else -1
        if name and not tag.closing and name not in _VOID_TAGS and not tag.raw.endswith("/>"):
            open_.append((name, tag.raw, len(out), tag.end))
            n_open[name] += 1
    emit_run(pos, len(text))
    elements.extend((n, attrs, o, len(out), t, len(text)) for n, attrs, o, t in open_)
    if laid_out:  # a browser wraps "<p>raise taxes on the\nwealthiest households" as one paragraph
        for i in source_breaks:
            out[i] = " "
    drop = _page_chrome("".join(out), elements)
    keep = [i for i in range(len(out)) if not drop[i]]
    kept = _running_count(not d for d in drop)
    headings = [(t0, t1) for n, _, o0, o1, t0, t1 in elements if n in _HEADING_TAGS and kept[o1] > kept[o0]]
    return ("".join(out[i] for i in keep), [origin[i] for i in keep], [ends[i] for i in keep],
            headings)


def _touches_words(text: str, start: int, end: int, in_capitals: bool) -> bool:
    """Whether the tag `text[start:end]` has a word right before or after it ("shares<br>The", "<p>Procter").
    One in capitals must touch a word in lower case: wire headlines glue tickers on ("PHILLIPS<P> SAYS",
    "DU PONT <DD>GET TRACTS")."""
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    after = _WORD.match(text, end)
    words = [m.group(0) for m in (before, after) if m]
    return any(not in_capitals or not w.isupper() for w in words)


def _runs_together(out: list[str], text: str, at: int) -> bool:
    """Whether text closing one inline element and the text opening the next read as two words: the next
    starts upper case or with a digit, or the last ended with a digit ("2.4k</a><a>Shares", "Ash</span>
    <span>Business"). Not a word styled in parts ("<b>W</b><i>ord</i>")."""
    nxt = text[at : at + 1]
    return bool(out) and not out[-1].isspace() and bool(nxt) and (
        nxt.isupper() or nxt.isdigit() or out[-1].isdigit())


def _is_chrome(name: str, tag: str) -> bool:
    """Whether an element is page chrome by its name, its ARIA role, being hidden or its class and id."""
    if name in _NEVER_CHROME:
        return False
    if name in _CHROME_TAGS:
        return True
    attrs = _attributes(tag)
    if _is_hidden(attrs) or any(r in _CHROME_ROLES for r in attrs.get("role", "").lower().split()):
        return True
    return any(_CHROME_NAME.search(_name_words(attrs.get(a, ""))) for a in ("class", "id"))


def _attributes(tag: str) -> dict[str, str]:
    """A tag's attributes by name in lower case ("" for one without a value); the first of a name counts,
    as in browsers."""
    attrs: dict[str, str] = {}
    for m in _ATTR.finditer(tag):
        attrs.setdefault(m.group(1).lower(), m.group(2) or m.group(3) or m.group(4) or "")
    return attrs


def _is_hidden(attrs: dict[str, str]) -> bool:
    """Whether a browser hides an element from readers: `hidden` (not "until-found", which a find in the
    page opens), `aria-hidden="true"` (icons, separators, text shown twice), a style of display: none or
    visibility: hidden, or a class that hides it (`_HIDDEN_CLASSES`) on every width of screen."""
    hidden = "hidden" in attrs and attrs["hidden"].lower() != "until-found"
    if hidden or attrs.get("aria-hidden", "").strip().lower() == "true":
        return True
    if _HIDDEN_STYLE.search(attrs.get("style", "")):
        return True
    classes = attrs.get("class", "").split()
    return bool(_HIDDEN_CLASSES.intersection(classes)) and not any(map(_SHOWN_FROM_A_WIDTH.match, classes))


def _name_words(value: str) -> str:
    """A class or id in lower case with its words between hyphens: "photoCaption" as "photo-caption",
    "most_read" as "most-read"."""
    return _CAMEL_CASE_WORD.sub("-", value).replace("_", "-").lower()


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
                 if n in kinds or _attributes(tag).get("role", "").lower() in kinds]
        if roots:
            n_chars, o0, o1 = max(roots)
            if n_chars >= _ARTICLE_MIN_CHARS or 3 * n_chars >= total:
                lo, hi = o0, o1
                break
    # The element around the page's headline and its story is never chrome by its name, whatever its class
    # says ("entry-content share-enabled", "post no-comments"): sites name wrappers after what they hold.
    h1 = min(((o0, o1) for n, _, o0, o1, _, _ in elements if n == "h1" and size(o0, o1) > 0), default=None)

    def holds_the_story(o0: int, o1: int) -> bool:
        return h1 is not None and o0 <= h1[0] and h1[1] <= o1 and size(o0, o1) - size(*h1) >= _STORY_MIN_CHARS

    in_link = _covered(len(out), [(o0, o1) for n, _, o0, o1, _, _ in elements if n == "a"])
    linked_counts = _running_count(link and not ch.isspace() for ch, link in zip(out, in_link, strict=True))

    def linked(o0: int, o1: int) -> int:  # non-space characters of out[o0:o1] inside links
        return linked_counts[o1] - linked_counts[o0]

    inside = size(lo, hi)
    chrome = [(0, lo), (hi, len(out))]
    if (lo, hi) == (0, len(out)):  # no article or main: what stands above the top heading is the masthead
        top = _top_heading(out, elements, size, linked)
        if top is not None and 2 * size(0, top) < total and not _PROSE_LINE.search(out, 0, top):
            chrome.append((0, top))
    for n, tag, o0, o1, _, _ in elements:
        if o1 <= o0 or not (lo <= o0 and o1 <= hi) or 2 * size(o0, o1) >= inside:
            continue
        # A list that is (almost) all links is a menu or a list of other stories.
        links_only = n in ("ul", "ol") and linked(o0, o1) >= 0.8 * size(o0, o1)
        if (links_only or _is_footnote_marker(n, tag, out, o0, o1)
                or (_is_chrome(n, tag) and not holds_the_story(o0, o1))):
            chrome.append((o0, o1))
    chrome += _link_lines(out, elements, lo, hi, size, linked, in_link)
    return _covered(len(out), chrome)


def _is_footnote_marker(name: str, tag: str, out: str, o0: int, o1: int) -> bool:
    """A <sup> holding a footnote or reference marker (`_MARKER`), in brackets, with a class that says so,
    or after a sentence's end or a space: "victory.<sup>3</sup> Markets" read "victory.3 Markets", one
    sentence. Not an exponent ("E=mc<sup>2</sup>", "10<sup>6</sup>")."""
    if name != "sup" or not _MARKER.fullmatch(out, o0, o1):
        return False
    marked = "[" in out[o0:o1] or bool(_MARKER_CLASS.search(_attributes(tag).get("class", "")))
    return marked or (o0 > 0 and out[o0 - 1] in _BEFORE_A_MARKER)


def _link_lines(out: str, elements: list[tuple[str, str, int, int, int, int]], lo: int, hi: int,
                size: Callable[[int, int], int], linked: Callable[[int, int], int],
                in_link: list[bool]) -> list[tuple[int, int]]:
    """Lines of `out[lo:hi]` that are lists of other stories, tags or a menu written as paragraphs or
    <div>s, not as lists: 80 % or more of their text inside links, and two or more such lines in a row, or
    one holding two links or more. Never a line of the <h1> or of running prose (`_runs_as_prose`), and
    none when they add up to half the text (a round-up of linked headlines is the story)."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", out[:hi]) if m.start() >= lo]
    lines = [(a, b) for a, b in lines if size(a, b) > 0]
    in_h1 = _running_count(_covered(len(out), [(o0, o1) for n, _, o0, o1, _, _ in elements if n == "h1"]))
    links = sorted(o0 for n, _, o0, o1, _, _ in elements if n == "a" and size(o0, o1) > 0)
    linky = [linked(a, b) >= 0.8 * size(a, b) and in_h1[b] == in_h1[a]
             and not _runs_as_prose(out, a, b, in_link) for a, b in lines]
    found = [
        (a, b) for k, (a, b) in enumerate(lines)
        if linky[k] and ((k > 0 and linky[k - 1]) or (k + 1 < len(lines) and linky[k + 1])
                         or bisect.bisect_left(links, b) - bisect.bisect_left(links, a) >= 2)
    ]
    return found if 2 * sum(size(a, b) for a, b in found) < size(lo, hi) else []


def _runs_as_prose(out: str, a: int, b: int, in_link: list[bool]) -> bool:
    """Whether the line `out[a:b]` is a story's sentences with links in them, not a list of links: a line of
    prose (`_PROSE_LINE`) with words in lower case or sentence punctuation outside its links ("<a>The
    Institute for Fiscal Studies said …</a>, <a>and the Office for National Statistics …</a>.")."""
    if not _PROSE_LINE.match(out, a, b):
        return False
    unlinked = "".join(ch for ch, link in zip(out[a:b], in_link[a:b], strict=True) if not link)
    return bool(_PROSE_BETWEEN_LINKS.search(unlinked))


def _top_heading(out: str, elements: list[tuple[str, str, int, int, int, int]],
                 size: Callable[[int, int], int], linked: Callable[[int, int], int]) -> int | None:
    """Where the page's top heading starts in `out`: its first <h1> of three words or more that is not a
    link (a logo), else such an <h2>."""
    words = _running_count(not ch.isspace() and (i == 0 or out[i - 1].isspace()) for i, ch in enumerate(out))
    for level in ("h1", "h2"):
        starts = [o0 for n, _, o0, o1, _, _ in elements
                  if n == level and words[o1] - words[o0] >= 3 and linked(o0, o1) < 0.8 * size(o0, o1)]
        if starts:
            return min(starts)
    return None


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
