"""BBC News Summary: the fixed splits of ../shared and the IPTC mapping used by every BBC figure."""

from __future__ import annotations

import json
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
