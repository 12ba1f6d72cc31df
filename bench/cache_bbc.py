"""Encode BBC splits once with the engine and keep what tuning and evaluation need (bench/out/)."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from tqdm import tqdm

from bench.bbc import load_split
from service.analyzer import Analyzer
from service.schemas import AnalyzeRequest
from service.settings import DEFAULT_CONFIG

OUT = Path(__file__).resolve().parent / "out"


def encode_articles(an: Analyzer, articles: list[tuple[str, str | None]], desc: str) -> list[dict]:
    """(text, title) articles through the engine's prepare and encode, in batches of 16: each one's
    sentences with their roles, sentence vectors and title vector."""
    items = []
    for i in tqdm(range(0, len(articles), 16), desc=desc):
        prepared = an.prepare_many([AnalyzeRequest(text=t, title=title) for t, title in articles[i : i + 16]])
        items += [{"sentences": [(s.text, s.role) for s in p.sentences], "vectors": e.sentence_vectors,
                   "title_vector": e.title_vector}
                  for p, e in zip(prepared, an.encode(prepared), strict=True)]
    return items


def main(splits: list[str]) -> None:
    an = Analyzer.from_config_file(DEFAULT_CONFIG)
    OUT.mkdir(exist_ok=True)
    for split in splits:
        rows = load_split(split)
        encoded = encode_articles(an, [(r["article"], r["title"]) for r in rows], split)
        items = [{"id": r["id"], "category": r["category"], "summary": r["summary"], **e}
                 for r, e in zip(rows, encoded, strict=True)]
        with (OUT / f"bbc_{split}.pkl").open("wb") as f:
            pickle.dump(items, f)


if __name__ == "__main__":
    main(sys.argv[1:] or ["dev", "test"])
