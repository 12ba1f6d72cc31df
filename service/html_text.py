"""HTML to text: tags dropped (blocks become line breaks), script and style skipped, character
references decoded, and the page's chrome (navigation, sidebars, footers, banners, everything outside the
<article>) dropped with its text, each character keeping where it came from in the input.
"""

from __future__ import annotations

import bisect
import html
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

# An element's tag. A quoted attribute value may hold ">" (alt="Profit > forecast"); a quote left open is
# read as a character. No tag holds "<", so each try stops at the next one and a page of stray "<"s or
# quotes costs linear time (`[^>]*>` scanned to the end of the text from each of them).
_ELEMENT_TAG = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b(?:(?:[^<>"']|"[^<"]*"|'[^<']*')*>|[^<>]*>)""")
_DECLARATION = re.compile(r"<!(?i:DOCTYPE)[^<>]*>|<\?[^<>]*>")  # <?xml ...?>: not text
_ENCLOSED = (("<!--", "-->"), ("<![CDATA[", "]]>"))  # comments and CDATA (not text in HTML either)
_SKIPPED = {"script", "style", "noscript", "template", "head"}  # dropped with their contents
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
# role, or by the class or id that sites across the web give them (comments and talkback, cookie and
# consent banners, share bars, related and most-read lists, newsletter and promotion boxes, bylines, tags,
# ads). Lines that are lists of links written as paragraphs go too (`_link_lines`). An element holding
# half of the text or more is never chrome, whatever its name (a page wrapped in one <form>, a
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
    r"(?<![a-z])(?:comments?|talkback|have-?your-?say|disqus|cookies?|consent|gdpr|share[a-z]*|sharing|"
    r"social|related[a-z]*|newsletters?|promo[a-z]*|subscribe|signup|byline[a-z]*|author[a-z]*|meta|"
    r"breadcrumbs?|sidebar|widgets?|footer|advert[a-z]*|ads?|sponsored|most-?(?:read|viewed|popular|shared)|"
    r"popular|trending|tags|caption|credit|twitter-tweet|instagram-media|tiktok-embed|sr-only|visually-hidden|"
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
# A line of prose: 15 words or more, ending a sentence. Above a page's top heading it is the story's
# standfirst or lead, not its masthead.
_PROSE_LINE = re.compile(r"(?m)^[^\S\n]*(?:\S+[^\S\n]+){14,}\S*[.!?][\"'”’)]*[^\S\n]*$")
# An element holding the page's first <h1> and this much text besides is the story's wrapper.
_STORY_MIN_CHARS = 200


class _Tag(NamedTuple):
    start: int
    end: int
    closing: bool
    name: str  # lower case; "" for a comment, CDATA, doctype or processing instruction
    raw: str
    skip: bool = False  # a whole script, style, ... element, contents included


def _tags(text: str) -> Iterator[_Tag]:
    """The tags of `text` in order, each "<" tried once. An end searched for and not found (an unclosed
    comment, a <script> never closed) is not searched for again, so the whole pass is linear."""
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
            if name in _SKIPPED and not tag.closing and (end := end_of(rf"</{name}\s*>", m.end())) != -1:
                tag = _Tag(i, end, False, name, text[i:end], skip=True)
        elif m := _DECLARATION.match(text, i):
            tag = _Tag(i, m.end(), False, "", m.group(0))
        else:
            for opener, closer in _ENCLOSED:
                if text.startswith(opener, i):
                    if (end := end_of(re.escape(closer), i + len(opener))) != -1:
                        tag = _Tag(i, end, False, "", text[i:end])
                    break
        if tag is None:
            i = text.find("<", i + 1)
            continue
        yield tag
        i = text.find("<", tag.end)


def looks_like_html(text: str) -> bool:
    """Two or more HTML tags (of elements HTML has), comments or doctypes. Angle brackets around other
    names are text: wire copy writes tickers and companies so ("<MC.T>", "<James Capel and Co>")."""
    found = 0
    for t in _tags(text[:20000]):
        found += not t.name or t.name in _BLOCK_TAGS or t.name in _INLINE_TAGS
        if found >= 2:
            return True
    return False


def strip_html(text: str) -> tuple[str, list[int], list[int], list[tuple[int, int]]]:
    """Drop tags (blocks become newlines), skip script/style, decode entities, drop the page's chrome
    (`_page_chrome`). Returns the text, each character's start and end in `text`, and the input spans of
    the headings (h1-h6) that were kept."""
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
            emit_text(pos, tag.start)
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
        elif not tag.closing and closed_inline_at == tag.start and _runs_together(out, text, tag.end):
            out.append(" ")  # "<span>Imogen Ash</span><span>Business Correspondent</span>"
            origin.append(tag.start)
            ends.append(tag.start)
        closed_inline_at = tag.end if tag.closing and name not in _BLOCK_TAGS else -1
        if name and not tag.closing and name not in _VOID_TAGS and not tag.raw.endswith("/>"):
            open_.append((name, tag.raw, len(out), tag.end))
            n_open[name] += 1
    emit_text(pos, len(text))
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


def _runs_together(out: list[str], text: str, at: int) -> bool:
    """Whether text closing one inline element and the text opening the next read as two words: the next
    starts upper case or with a digit, or the last ended with a digit ("2.4k</a><a>Shares", "Ash</span>
    <span>Business"). Not a word styled in parts ("<b>W</b><i>ord</i>")."""
    nxt = text[at : at + 1]
    return bool(out) and not out[-1].isspace() and bool(nxt) and (
        nxt.isupper() or nxt.isdigit() or out[-1].isdigit())


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
        if links_only or (_is_chrome(n, tag) and not holds_the_story(o0, o1)):
            chrome.append((o0, o1))
    chrome += _link_lines(out, elements, lo, hi, size, linked)
    return _covered(len(out), chrome)


def _link_lines(out: str, elements: list[tuple[str, str, int, int, int, int]], lo: int, hi: int,
                size: Callable[[int, int], int], linked: Callable[[int, int], int]) -> list[tuple[int, int]]:
    """Lines of `out[lo:hi]` that are lists of other stories, tags or a menu written as paragraphs or
    <div>s, not as lists: 80 % or more of their text inside links, and two or more such lines in a row, or
    one holding two links or more. Never a line of the <h1>, and none when they add up to half the text
    (a round-up of linked headlines is the story)."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", out[:hi]) if m.start() >= lo]
    lines = [(a, b) for a, b in lines if size(a, b) > 0]
    in_h1 = _running_count(_covered(len(out), [(o0, o1) for n, _, o0, o1, _, _ in elements if n == "h1"]))
    links = sorted(o0 for n, _, o0, o1, _, _ in elements if n == "a" and size(o0, o1) > 0)
    linky = [linked(a, b) >= 0.8 * size(a, b) and in_h1[b] == in_h1[a] for a, b in lines]
    found = [
        (a, b) for k, (a, b) in enumerate(lines)
        if linky[k] and ((k > 0 and linky[k - 1]) or (k + 1 < len(lines) and linky[k + 1])
                         or bisect.bisect_left(links, b) - bisect.bisect_left(links, a) >= 2)
    ]
    return found if 2 * sum(size(a, b) for a, b in found) < size(lo, hi) else []


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
