"""BBC News Summary: the fixed splits of ../shared and the IPTC mapping used by every BBC figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BBC = SHARED / "bbc-news-summary"
BBC_TO_IPTC = {
    "business": "medtop:04000000",
    "entertainment": "medtop:01000000",
    "politics": "medtop:11000000",
    "sport": "medtop:15000000",
    "tech": "medtop:13000000",
}


def load_split(split: str, root: Path = BBC) -> list[dict]:
    ids = set(json.loads((root / "splits.json").read_text())[split])
    rows = [json.loads(line) for line in (root / "bbc_news_summary.jsonl").open(encoding="utf-8")]
    return [r for r in rows if r["id"] in ids]


def reference_sentences(article_sentences: list[str], summary: str) -> list[str]:
    """Split a BBC reference summary (sentences glued with no space) against the article's sentences."""
    refs = []
    rest = summary
    for s in sorted(article_sentences, key=len, reverse=True):
        if s and s in rest:
            refs.append(s)
            rest = rest.replace(s, "\x00", 1)
    leftover = [x for x in re.split(r"\x00", rest) if x.strip()]
    return refs + leftover
