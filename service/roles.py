"""What each sentence is: its role (headline, body or boilerplate: bylines, datelines, captions and
credits, share and sign-up lines, notes about the article), and the sentences a summary cannot quote or
open with (fragments, quotes that do not say who speaks).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from service.asides import is_shouting
from service.text import STRAIGHT_QUOTES, Sentence, transcript_speakers

# Lines that are page furniture, not article text: sharing and navigation prompts, calls to action,
# copyright, publishing times. Matched case-insensitively from the start of the sentence.
_BOILERPLATE = re.compile(
    r"^(share (this|on|via|article|page)\b|read more\b|more on this story\b|click here\b|"
    r"follow (us|@\w+|[\w .'@-]{1,40}? on (twitter|x|facebook|instagram|tiktok|threads|bluesky|linkedin|"
    r"youtube))\b|sign up\b|subscribe\b|advertisement$|"
    r"related( (articles?|stories|topics|content|coverage|links|reading))?( ?:|$)|see also:|"
    r"copyright\b|©|all rights reserved|scroll down\b|sorry,? we are (not|unable)|comments are (now )?closed|"
    r"we (and our partners )?use cookies\b|(this|our) (web)?site uses cookies\b|"
    r"by continuing to (browse|use)\b|by using (this|our) (web)?site\b|read next\b|"
    r"listen to this (article|story)\b|"
    r"(leave|post|add) a comment\b|"
    r"click (here )?to (expand|enlarge|view|see) (the )?(image|photo|picture|gallery)\b|"
    r"open (the )?(image|photo) in( the)? gallery\b|"
    r"\((additional )?(reporting|writing|editing) by\b|"
    r"updated?:? |published:? |posted:? |last updated\b|"
    # ... the page's prompts between paragraphs and after the story ...
    r"(story|article) continues (below|after)\b|scroll (down )?to continue\b|continue reading\b|"
    r"skip (advertisement|ad)\b|download (our|the) (free )?app\b|(get|have) (the|our)\b.{0,60}\binbox\b|"
    r"(join|get|try) our (free )?([\w'’-]+ ){0,3}newsletters?\b|want (more|the latest)\b[^.?!]{0,50}\?$|"
    r"pic\.twitter\.com/|"
    # ... a live page's welcome and sign-off, a call for readers' stories, a breaking story's note ...
    r"((good )?(morning|afternoon|evening|hello|hi),? (and )?)?welcome (back )?to (our|the|this) "
    r"(live|rolling|continuing)\b|that'?s (all|it) (from|for) (us|me|today|now|this)\b|"
    r"thanks? (you )?for (following|joining|reading)\b|have you been affected\b|"
    r"(are you|were you) (affected|there|caught up)\b.{0,60}\?|"
    r"(get in touch|share your (story|experience))\b|this (is a )?(breaking|developing) (news )?story\b|"
    r"this (story|article|page) (is being|will be) updated\b|"
    # ... press-release furniture, credits and notes about the article rather than its story.
    r"for immediate release\b|(media|press|investor|editorial) (contacts?|enquiries|inquiries)\b|contacts?:|"
    r"for (more|further) information\b|additional reporting by\b|"
    r"the (views|opinions) expressed (in|here|are)\b|this (interview|conversation|transcript|article|story) "
    r"(has been|was) (edited|condensed|updated|amended|corrected)\b|"
    r"an earlier version of this (article|story)\b|this material may not be\b|"
    r"(this )?(press )?release (contains|includes) forward-looking\b|forward-looking statements?$)",
    re.I,
)
# A bar of short items between pipes: a masthead ("Riverside Gazette | Tuesday 4 March | Subscribe"), a
# navigation or footer row ("Home | News | Sport", "Contact us | Advertise"). Not a table row ("| a |").
_BAR = re.compile(r"^(?!\|)(?:[^|\n]{1,60} \| ){2,}[^|\n]{1,60}$")
# What a web page puts around a story, as whole lines (from pages without <article> or <main>): breadcrumb
# trails, share and comment counts, tool bars, publishing lines, related-link lead-ins, newsletter and
# support boxes, the publisher's colophon.
_PAGE_FURNITURE = re.compile(
    r"^(?:(?:you are here:?\s*)?home\s*[>»›/→|]"
    # Each count read one way only, or a line of them that did not match was tried every way: 3^n tries for
    # n counts ("1 views..1 views..": 10 took 50 s). A count opens with a digit (with "[\d.,]+" the dots
    # between two could go to either), and a space is read once ("\s?[km]?\s?" took one either side).
    r"|(?:(?:\d[\d.,]*\s?[km]\s?shares?|\d[\d.,]*(?:\s?[km])?\s{0,2}(?:comments?|reads|views|hits|likes|votes))"
    r"\b[\s.]*)+$"
    r"|(?:shares?|comments?|hits|views|reads)\s?[:(]\s?[\d.,]+\s?[km]?\)?\s*$"
    r"|(?:(?:facebook|twitter|x|email|e-mail|print|save|whatsapp|linkedin|reddit|pinterest|share|copy link)"
    r"\s*){2,}$"
    r"|(?:printer[- ]friendly|e-?mail this (?:story|article)|send to a friend|rate this (?:article|story)|"
    r"report (?:a|an) (?:typo|error)|see a (?:spelling|typo)|log in or register to post)"
    r"|(?:written|submitted|posted|reported) by:?\s+(?-i:[A-Z])[^.!?]{0,80}$"
    r"|by (?-i:[A-Z][\w'’-]*\.?(?: [A-Z][\w'’-]*\.?){0,3}) (?:\||published|updated|posted)"
    r"|(?:first |last )?(?:published|updated|posted|modified)\s*:"
    r"|(?:category|section|filed under|hits|views):\s|(?:previous|next) (?:article|story|post)"
    r"|(?:also read|read also|don'?t miss|also in [\w ]{1,20}:|more from [\w ]{1,30}$|"
    r"recommended(?: for you)?:|explore more on these topics|topics?:|tags?:|labels?:|follow:)"
    r"|(?:we use your sign-?up|you can unsubscribe|sign me up|privacy notice:|"
    r"become a (?:supporter|member|subscriber)|support (?:local|independent|our) journalism|"
    r"if you value our (?:journalism|reporting))"
    r"|.{0,120}\bregistered in (?:england|scotland|wales|northern ireland|ireland)(?: and wales)?"
    r"(?:,? (?:no\b|number|company|with company)|\.?$)"
    r"|registered office\b|company (?:no|number|reg)\b|.{0,80}\bis a trading name of\b"
    r"|(?:proudly )?powered by\b|.{0,40}©"
    r"|[^,]{1,60} is published by [^.]{0,120}\b(?:ltd|limited|plc|inc|llc|gmbh)\b[^.]*\.?$)",
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
# The furniture that can stand above a headline, which the first-line rule passes over (not bylines or
# datelines: a wire headline in capitals reads like one).
_ABOVE_HEADLINE = (_BOILERPLATE, _NO_TEXT, _BAR, _PAGE_FURNITURE)
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
    r"\(?credits?:|\(?(photo|photograph|image|picture)s? courtesy\b|"
    r"\(?(getty images|reuters?|ap|afp|epa|pa( media)?|shutterstock|alamy)\)?$|"  # "REUTER": 1980s sign-off
    r"\(?(reuters|ap|afp|epa|getty images|pa) ?/|\(?ap photo\b|"
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
_PARTICLE = r"(?:van|von|der|den|de|del|della|da|di|du|la|le|bin|al|ibn) "  # "Anna van der Berg"
_NAME = rf"(?-i:[A-Z][\w'’-]*\.?(?: (?:{_PARTICLE})*[A-Z][\w'’-]*\.?){{0,3}})"
_BYLINE = re.compile(
    r"^(?:(?:interview|words|text|story|photos?|photographs|pictures|video) )?"  # "Interview by Jane Doe"
    rf"by {_NAME}(?: (?:and|&) {_NAME})?"
    # ", BBC News", ", Europe Correspondent, in Brussels": one to five words, one space between them. (Written
    # "(?:[\w&'’-]+ ?){1,5}", the same strings, a long word was split into five pieces every way: 120 letters
    # that did not match took 20 s.)
    r"(?:(?:,| -| —| \|) [\w&'’-]+(?: [\w&'’-]+){0,4} ?){0,2}"
    r"(?:,? in (?-i:[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,2}))?"  # "in Brussels"
    rf"(?:,? (?:on )?{_MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})?$",  # "on March 3, 2025"
    re.I,
)
_AGENCY = r"(?: \((?-i:[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*){0,2})\))"  # "(Reuters)", "(AP)", "(GLOBE NEWSWIRE)"
_NEWSWIRE = r" /[A-Za-z][\w -]{1,30}/"  # "/PRNewswire/"
# A line that is only a dateline or a date: "LONDON (Reuters) -", "WASHINGTON —", "NEW YORK, Nov 28",
# "Monday 28 November 2026", "Nov. 28, 2026 10:32 GMT", "2026-11-28". A place's word does not end in a
# dash, so a dash after it is the closing dash's: when either could take it, "LONDON" and a run of dashes not
# ending the line was tried split at every dash (quadratic: 100,000 dashes, minutes).
_DATELINE = re.compile(
    r"^(?-i:[A-Z][A-Z.'-]*[A-Z.'](?: [A-Z][A-Z.'-]*[A-Z.'])*)(?:, (?-i:[A-Z][\w.]*(?: [A-Z][\w.]*)*))?"
    rf"(?:,? {_MONTH} \d{{1,2}}{_AGENCY}? ?[-—–:]*|{_AGENCY}? ?[-—–:]+)$",  # a date, or a dash at the end
    re.I,
)
# A dateline opening a wire story's first sentence: "ANKARA (Reuters) - ", "WASHINGTON, March 3 (AP) — ",
# "PARIS — " or "PARIS -- " (a dash alone only after a place of 4+ capitals, and not a hyphen: "US - China
# talks").
_DATELINE_PREFIX = re.compile(
    r"(?-i:[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+)*)(?:, (?-i:[A-Z][\w.]*(?: [A-Z][\w.]*)*))?"
    rf"(?:,? {_MONTH} \d{{1,2}}(?:, \d{{4}})?)?"
    rf"(?:(?:(?:{_AGENCY}|{_NEWSWIRE}) ?[-—–]+|(?<=[A-Z]{{4}}) ?(?:[—–]+|--)) |--\([A-Z][\w ]{{1,30}}\)--)"
    r"(?-i:(?=[A-Z\"“‘']))",  # press releases: "PITTSBURGH--(BUSINESS WIRE)--", "… 2024 /PRNewswire/ --"
    re.I,
)


def dateline_prefix(text: str) -> int:
    """How many characters of a sentence are a dateline before its story (0: none)."""
    m = _DATELINE_PREFIX.match(text)
    return m.end() if m else 0


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
def _fragment_core(text: str) -> str:
    """`text` without its closing run of dots, bars and spaces ("Jane Smith . | ."), found from the end in
    one pass. (A regex searched for it, `(?:\\s*[.|])+$`, was tried from every dot of a long run of them:
    quadratic, 16,000 dots took 4 s and a line of 40,000 over a minute.)"""
    end = len(text) - text.endswith("\n")  # "$" also matched before a final line break
    if not end or text[end - 1] not in ".|":
        return text.strip()
    start = end
    while start and (text[start - 1] in ".|" or text[start - 1].isspace()):
        start -= 1
    return (text[:start] + text[end:]).strip()


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
# A sentence's closing punctuation; a closing quote or bracket only after one ("… fair'" ends no sentence).
_TERMINAL = re.compile(r"(?:[.!?…:;]|[.!?…][\"'”’)\]]{1,2})$")
# A headline's own ending: a question or an exclamation ("Is this the end of the high street?").
_ASKS_OR_EXCLAIMS = re.compile(r"[?!][\"'”’]?$")
_CLOSING_MARKS = "\"'”’»)] "


def _comparable(text: str) -> str:
    """A title and a line that repeats it compare equal: case, quote marks, spacing and a final full stop
    aside."""
    return " ".join(text.translate(STRAIGHT_QUOTES).casefold().split()).rstrip(" .")


def is_boilerplate(text: str) -> bool:
    """Page furniture rather than article text: bylines, dateline-only lines, captions and credits,
    share/read-more/follow/sign-up lines, publishing times."""
    core = _fragment_core(text)  # not for bylines: "By Christmas, the shops were full."
    whole = (_BOILERPLATE, _CAPTION, _CREDIT_END, _BYLINE, _DATELINE, _DATE, _TIME_ONLY, _CONTRIBUTED,
             _NO_TEXT, _NOTE, _POST_BY, _BAR, _PAGE_FURNITURE)
    fragment = (_CAPTION, _DATE, _TIME_DATE, _BARE_BY)
    return any(p.search(text) for p in whole) or any(p.search(core) for p in fragment)


def _credited(line: list[Sentence]) -> bool:
    """A caption whose credit is a sentence of its own after it: "Police at the bridge on Friday. Picture:
    PA", "… (AP Photo/Jane Doe)". Only a credit with a colon or a slash, as an agency's name alone
    ("REUTER") signs off wire copy."""
    return sum(s.words for s in line) <= 50 and any(s.words <= 8 and _is_credit(s.text) for s in line[1:])


def _is_credit(text: str) -> bool:
    return bool(_CREDIT_END.search(text) or (_CAPTION.search(text) and any(c in text for c in ":/")))


def label_roles(sentences: list[Sentence], title: str | None = None,
                headings: Sequence[tuple[int, int]] = ()) -> None:
    """Set each sentence's role from its text and paragraph (line): boilerplate, headline or body.

    A line that opens with a caption marker or closes with a photo credit is boilerplate as a whole. The
    first line is a headline when it has no closing punctuation and more text follows; any sentence that
    repeats the title is one too, and so is any sentence inside one of `headings` (cleaned-text spans of
    HTML's h1-h6).
    """
    key = _comparable(title) if title and title.strip() else None
    lines: dict[int, list[Sentence]] = {}
    for s in sentences:
        lines.setdefault(s.paragraph, []).append(s)
        s.role = "boilerplate" if is_boilerplate(s.text) else "body"
        if key and _comparable(s.text) == key:
            s.role = "headline"
        if s.role == "body" and any(a <= s.start and s.end <= b for a, b in headings):
            s.role = "headline"
    order = list(lines.values())
    for k, line in enumerate(order):
        head = line[0].text
        if key and len(line) > 1 and _comparable(" ".join(s.text for s in line)) == key:
            for s in line:  # the title, split in two ("Union leader: 'We will strike until pay is fair'")
                s.role = "headline"
        if (_CAPTION.search(head) or _CREDIT_END.search(line[-1].text) or _NOTE.search(head)
                or _POST_BY.search(head) or _credited(line)):
            for s in line:
                s.role = "boilerplate"
        if len(line) == 1 and _CAPTION_LABEL.search(head.strip()) and k + 1 < len(order):
            for s in order[k + 1]:  # "Image caption," then the caption
                s.role = "boilerplate"
        # A photo credit on a line of its own ("Photograph: Jane Doe/AP") under a short line: that is its
        # caption. Not an agency's name alone: wire copy signs off with one ("REUTER") after its last line.
        credit = (len(line) == 1 and line[0].words <= 8 and not _CAPTION_LABEL.search(head.strip())
                  and _is_credit(head))
        if credit and k > 1 and len(order[k - 1]) == 1 and order[k - 1][0].words <= 20:
            order[k - 1][0].role = "boilerplate"
        # An embedded post's text, the line above its attribution ("— Metropolitan Police (@metpoliceuk)
        # March 3, 2026"): nobody in the story says it.
        if _POST_BY.search(head) and k > 0 and sum(s.words for s in order[k - 1]) <= 60:
            for s in order[k - 1]:
                s.role = "boilerplate"
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
                  if not all(any(p.search(s.text) for p in _ABOVE_HEADLINE) for s in line)), None)
    in_heading = not headings or (first and all(any(a <= s.start and s.end <= b for a, b in headings)
                                               for s in first))  # a page's masthead is not its headline
    unended = first and not _TERMINAL.search(first[-1].text)
    # A question or exclamation alone on the first line is the headline only when the caller gave none:
    # under a headline it is the story's first paragraph ("Has there been a better match than Saturday's?").
    asks = (not key and first and len(first) == 1 and first[0].words <= 15
            and _ASKS_OR_EXCLAIMS.search(first[0].text))
    if (len(sentences) > 1 and first and first[-1].index < sentences[-1].index and in_heading
            and sum(s.words for s in first) <= 25 and (unended or asks)):
        for s in first:
            s.role = "headline"
    text_lines = [line for line in order if any(s.role != "boilerplate" for s in line)]
    speakers = transcript_speakers([line[0].text for line in order])
    for line in _interviewer_lines(order, speakers):  # the questions are not the story; the answers are
        for s in line:
            if s.role == "body":
                s.role = "headline"
    turns = {line[0].paragraph for line, who in zip(order, speakers, strict=True) if who}
    # Question subheadings and an interviewer's questions: a short question on its own line with more text
    # after it ("What happened?", "Why does it matter?"), a line opening "Q:".
    for line, nxt in zip(text_lines[1:], text_lines[2:], strict=False):
        one = line[0]
        heading = (len(line) == 1 and one.role == "body" and one.words <= 10 and one.text.endswith("?")
                   and one.paragraph not in turns)  # a speaker's question is said, not a subheading
        if _QUESTION_LINE.search(one.text) or (heading and any(s.role == "body" for s in nxt)):
            for s in line:
                if s.role == "body":
                    s.role = "headline"


def _interviewer_lines(lines: list[list[Sentence]], speakers: list[str | None]) -> list[list[Sentence]]:
    """A transcript's interviewer's lines: those of each speaker who asks a question in half their turns
    or more ("SMITH: Will you rule out a rise in VAT?"), when someone else answers."""
    turns: dict[str, list[list[Sentence]]] = {}
    for line, who in zip(lines, speakers, strict=True):
        if who:
            turns.setdefault(who, []).append(line)
    asks = {who for who, said in turns.items() if 2 * sum(map(_asks, said)) >= len(said)}
    if not asks or asks == set(turns):
        return []
    return [line for who in asks for line in turns[who]]


def _asks(line: list[Sentence]) -> bool:
    return any(s.text.rstrip(_CLOSING_MARKS).endswith("?") for s in line)


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
_PRONOUN_SAYS = re.compile(
    r"(?:he|she|they|it|we|i)(?: \w+){0,2}? "
    r"(?:said|says|added|adds|told [\w ]{1,30}?|warned|explained|insisted|wrote|continued|replied)"
    r"(?: \w+){0,3}?[:,] [\"“‘']",
    re.I,
)


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
    if _PRONOUN_SAYS.match(t):  # 'She said: "The closure will devastate the town."'
        return True
    # A closing mark with no opening one before it: the quote began in an earlier sentence.
    if t.count("”") > t.count("“"):
        return True
    first = t.find('"')
    return t.count('"') % 2 == 1 and first > 0 and not t[first - 1].isspace() and t[first - 1] not in "(["


# A match report's team-sheet labels, before a list of names.
_SHEET_LABEL = re.compile(
    r"^(?:subs(?:titutes)?(?: not used)?|unused subs(?:titutes)?|booked|sent off|goals?|scorers?|referee|"
    r"attendance|venue|man of the match|yellow cards?|red cards?)\s*:", re.I)
_LOWER_WORD = re.compile(r"(?<![\w'’])[a-z][a-z'’-]*")


def is_fragment(sentence: Sentence, alone: bool) -> bool:
    """Not a sentence a summary can quote: `alone` on its line (paragraph) and not ended, with 25 words at
    most (a subheading or standfirst, a list item, a line cut short: "About Acme Corp", "Key points"), or,
    unless it is in capitals, holding fewer than two words in lower case (a table row, a team sheet, a
    heading in title case: "Ashford   35 24 6  5  78", "Northbridge United: Hart; Cole, Evans, Mensah")."""
    text = sentence.text
    if alone and sentence.words <= 25 and not _TERMINAL.search(text):
        return True
    text = _SHEET_LABEL.sub("", text)  # "Subs not used: Neto, Tierney.": the names are the line
    return not is_shouting(text) and len(_LOWER_WORD.findall(text)) < 2
