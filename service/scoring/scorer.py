"""One batch of articles through the engine: the work every scoring engine (local, Ray) does.

`Analyzer.analyze_many` runs the three verbs over the whole batch: spaCy over every article through
`nlp.pipe`, one encoder call over all their sentences, then read-out. spaCy's memory zone frees the
strings a batch taught it (`nlp.memory_zone`), and glibc hands freed heap back after each batch
(`malloc_trim`), so a worker's memory does not grow with the archive.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import TYPE_CHECKING

from service.errors import InputError
from service.schemas import AnalyzeRequest
from service.scoring.records import record_json
from service.scoring.rows import Article, RowError
from service.scoring.store import Scored

if TYPE_CHECKING:
    from service.analyzer import Analyzer
    from service.config import EngineConfig


def load_analyzer(config: EngineConfig, threads: int) -> Analyzer:
    """An Analyzer for a worker or an actor: torch on `threads` threads, no download bars in the logs."""
    import torch
    from transformers.utils import logging as hf_logging

    from service.analyzer import Analyzer

    torch.set_num_threads(threads)
    hf_logging.disable_progress_bar()
    return Analyzer(config)


@functools.cache
def _malloc_trim():  # -> the C function, or None where the C library is not glibc
    return getattr(ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim", None)


def release_freed_heap() -> None:
    """Give the heap's free pages back to the system. Batches of every shape leave holes that glibc keeps:
    bfloat16 workers crept 741 -> 755 MB over 40,000 rows without this (bench/README.md)."""
    if (trim := _malloc_trim()) is not None:
        trim(0)


def score_batch(analyzer: Analyzer, articles: list[Article]) -> list[Scored | RowError]:
    try:
        with analyzer.nlp.nlp.memory_zone():
            results = analyzer.analyze_many([AnalyzeRequest(text=a.text, id=a.id) for a in articles])
            out = [RowError(a.id, a.source, a.at, r.message) if isinstance(r, InputError)
                   else Scored(a.id, a.source, a.at, record_json(r))
                   for a, r in zip(articles, results, strict=True)]
        release_freed_heap()
        return out
    except Exception as e:
        if len(articles) > 1:  # find the article that breaks the batch; the others still get scored
            return [out for a in articles for out in score_batch(analyzer, [a])]
        a = articles[0]
        return [RowError(a.id, a.source, a.at, f"the engine failed on this article: {type(e).__name__}: {e}")]
