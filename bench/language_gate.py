"""How often English news is taken for another language by the tagger's check (service/language.py),
which gives such text no tags: every BBC article (2,225) and every Reuters ModApte article with a body
(11,771), whole and cut to its headline and first sentence (what a wire snippet holds).

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.language_gate
"""

from __future__ import annotations

import json
import re
from collections import Counter

from bench.bbc import BBC, SHARED
from service.language import other_language

REUTERS = SHARED / "reuters21578"


def first_sentence(body: str) -> str:
    found = re.search(r"(.+?[.!?])\s", " ".join(body.split()) + " ")
    return found.group(1) if found else body


def main() -> None:
    bbc = [json.loads(line) for line in (BBC / "bbc_news_summary.jsonl").open(encoding="utf-8")]
    reuters = [json.loads(line) for name in ("modapte_train.jsonl", "modapte_test.jsonl")
               for line in (REUTERS / name).open(encoding="utf-8")]
    reuters = [r for r in reuters if r["body"].strip()]
    forms = {
        "BBC, whole": [r["article"] for r in bbc],
        "BBC, headline + first sentence": [f"{head}\n\n{first_sentence(body)}"
                                           for head, _, body in (r["article"].partition("\n") for r in bbc)],
        "Reuters, whole": [f"{r['title']}\n\n{r['body']}" for r in reuters],
        "Reuters, headline + first sentence": [f"{r['title'].title()}\n\n{first_sentence(r['body'])}"
                                               for r in reuters],
    }
    for name, texts in forms.items():
        found = [(lang, text) for text in texts if (lang := other_language(text, ["en"])) is not None]
        langs = dict(Counter(lang for lang, _ in found))
        print(f"{name}: {len(found)} of {len(texts)} taken for another language {langs}")
        for lang, text in found[:3]:
            print(f"    {lang}: {' '.join(text.split())[:100]}")


if __name__ == "__main__":
    main()
