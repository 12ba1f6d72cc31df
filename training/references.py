"""Reference summaries whose sentences are glued together with no space (the BBC set's)."""

from __future__ import annotations

import re


def reference_sentences(article_sentences: list[str], summary: str) -> list[str]:
    """Split a reference summary against the article's own sentences: each article sentence found in it
    (longest first) is one reference sentence; whatever text is left over is kept as it is."""
    refs = []
    rest = summary
    for s in sorted(article_sentences, key=len, reverse=True):
        if s and s in rest:
            refs.append(s)
            rest = rest.replace(s, "\x00", 1)
    leftover = [x for x in re.split(r"\x00", rest) if x.strip()]
    return refs + leftover
