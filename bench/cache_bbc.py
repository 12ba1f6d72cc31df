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


def main(splits: list[str]) -> None:
    an = Analyzer.from_config_file(DEFAULT_CONFIG)
    OUT.mkdir(exist_ok=True)
    for split in splits:
        rows = load_split(split)
        items = []
        for i in tqdm(range(0, len(rows), 16), desc=split):
            chunk = rows[i : i + 16]
            reqs = [AnalyzeRequest(text=r["article"], title=r["title"]) for r in chunk]
            prepared = an.prepare_many(reqs)
            enc = an.encode(prepared)
            for r, p, e in zip(chunk, prepared, enc, strict=True):
                items.append({
                    "id": r["id"], "category": r["category"], "summary": r["summary"],
                    "sentences": [(s.text, s.role) for s in p.sentences],
                    "vectors": e.sentence_vectors, "title_vector": e.title_vector,
                })
        with (OUT / f"bbc_{split}.pkl").open("wb") as f:
            pickle.dump(items, f)


if __name__ == "__main__":
    main(sys.argv[1:] or ["dev", "test"])
