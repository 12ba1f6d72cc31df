"""The micro-batcher with the real Analyzer: batching, bounds, deadlines, failures that stay alone,
and a close that finishes what it accepted."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from service.batcher import DeadlineExceeded, MicroBatcher, Overloaded
from service.errors import InputError
from service.schemas import AnalyzeRequest, AnalyzeResponse

SHORT = [
    "The central bank raised interest rates again on Tuesday. Markets fell sharply in early trading.",
    "The striker scored twice as the home side won the cup final. Fans celebrated late into the night.",
    "Parliament passed the budget after a long debate. The opposition called it a missed chance.",
    "A new vaccine cut hospital admissions by half, the study found. Doctors welcomed the results.",
    "The film won three awards at the festival. Its director thanked the cast in a short speech.",
]


def run(make: Callable[[MicroBatcher], Awaitable[Any]], analyzer, **options: Any) -> tuple[Any, list[int]]:
    """Run `make(batcher)` on a fresh event loop; returns its result and the batch sizes seen."""
    sizes: list[int] = []
    params = {"max_batch": 8, "max_wait_ms": 0.0, "max_queue": 64, **options}

    async def main() -> Any:
        batcher = MicroBatcher(analyzer, on_batch=sizes.append, **params)
        try:
            return await make(batcher)
        finally:
            await batcher.close()

    return asyncio.run(main()), sizes


def comparable(r: AnalyzeResponse) -> dict[str, Any]:
    return r.model_dump(exclude={"timings_ms"})


def hold_in_prepare(analyzer, monkeypatch, request: AnalyzeRequest) -> threading.Event:
    """Holds `request` in the Analyzer's `prepare` until the returned event is set, so the worker is surely
    busy with it: on a loaded machine it could otherwise be free again within another request's 1 ms."""
    release, prepare = threading.Event(), analyzer.prepare

    def held(r: AnalyzeRequest, *args: Any, **kwargs: Any):
        if r is request:
            release.wait(30)
        return prepare(r, *args, **kwargs)

    monkeypatch.setattr(analyzer, "prepare", held)
    return release


def test_concurrent_requests_share_one_encoder_call(analyzer):
    requests = [AnalyzeRequest(text=t) for t in SHORT[:4]]

    async def go(b: MicroBatcher):
        return await asyncio.gather(*(b.submit(r, timeout_s=60) for r in requests))

    results, sizes = run(go, analyzer, max_wait_ms=200.0)
    assert sizes == [4]
    # Batched answers are the answers each article gets alone.
    assert [comparable(r) for r in results] == [comparable(analyzer.analyze(r)) for r in requests]
    assert all(r.entities or r.keywords for r in results), "spaCy's annotation must have run"


def test_batches_are_capped_at_max_batch(analyzer):
    requests = [AnalyzeRequest(text=t) for t in SHORT]

    async def go(b: MicroBatcher):
        return await asyncio.gather(*(b.submit(r, timeout_s=60) for r in requests))

    results, sizes = run(go, analyzer, max_batch=2, max_wait_ms=200.0)
    assert sizes == [2, 2, 1]
    assert [r.id for r in results] == [analyzer.analyze(r).id for r in requests]


def test_a_full_queue_refuses_at_once(analyzer):
    requests = [AnalyzeRequest(text=t) for t in SHORT]

    async def go(b: MicroBatcher):
        return await asyncio.gather(*(b.submit(r, timeout_s=60) for r in requests), return_exceptions=True)

    # All five arrive before the worker first runs: two fit in the queue, three are refused.
    results, sizes = run(go, analyzer, max_queue=2)
    refused = [r for r in results if isinstance(r, Overloaded)]
    assert len(refused) == 3 and all(e.retry_after >= 1 and e.status == 503 for e in refused)
    assert sum(isinstance(r, AnalyzeResponse) for r in results) == 2
    assert sum(sizes) == 2


def test_bad_article_fails_alone(analyzer):
    good, bad = AnalyzeRequest(text=SHORT[0]), AnalyzeRequest(text="<p><br/></p>")

    async def go(b: MicroBatcher):
        return await asyncio.gather(b.submit(bad, timeout_s=60), b.submit(good, timeout_s=60),
                                    return_exceptions=True)

    (bad_result, good_result), sizes = run(go, analyzer, max_wait_ms=200.0)
    assert isinstance(bad_result, InputError) and bad_result.code == "empty_text"
    assert isinstance(good_result, AnalyzeResponse) and good_result.tags
    assert sizes == [2]


def test_deadline_while_queued_is_never_processed(analyzer, monkeypatch):
    slow, hurried = AnalyzeRequest(text=" ".join(SHORT * 20)), AnalyzeRequest(text=SHORT[1])
    release = hold_in_prepare(analyzer, monkeypatch, slow)

    async def go(b: MicroBatcher):
        first = asyncio.ensure_future(b.submit(slow, timeout_s=60))
        await asyncio.sleep(0)  # the slow one is taken first, alone
        with pytest.raises(DeadlineExceeded, match="did not finish within"):
            await b.submit(hurried, timeout_s=0.001)
        release.set()
        return await first

    result, sizes = run(go, analyzer, max_batch=1)
    assert result.summary.sentences
    assert sizes == [1], "the expired request must be dropped, not analysed"


def test_close_finishes_accepted_requests_then_refuses(analyzer):
    requests = [AnalyzeRequest(text=t) for t in SHORT[:3]]

    async def go(b: MicroBatcher):
        pending = [asyncio.ensure_future(b.submit(r, timeout_s=60)) for r in requests]
        await asyncio.sleep(0)
        await b.close()
        with pytest.raises(Overloaded) as refused:
            await b.submit(requests[0], timeout_s=60)
        assert refused.value.code == "shutting_down"
        return await asyncio.gather(*pending)

    results, sizes = run(go, analyzer, max_batch=2)
    assert [r.id for r in results] == [analyzer.analyze(r).id for r in requests]
    assert sizes == [2, 1]


def test_a_timed_out_request_frees_its_place_in_the_queue(analyzer, monkeypatch):
    slow = AnalyzeRequest(text=" ".join(SHORT * 20))
    release = hold_in_prepare(analyzer, monkeypatch, slow)

    async def go(b: MicroBatcher):
        first = asyncio.ensure_future(b.submit(slow, timeout_s=60))
        await asyncio.sleep(0)  # the slow one is taken first, alone; the next two wait behind it
        for text in SHORT[1:3]:
            with pytest.raises(DeadlineExceeded):
                await b.submit(AnalyzeRequest(text=text), timeout_s=0.001)
        assert b.depth == 0  # gone from the queue: a lone request is not refused as "busy"
        release.set()
        late = await b.submit(AnalyzeRequest(text=SHORT[3]), timeout_s=60)
        return await first, late

    (result, late), sizes = run(go, analyzer, max_batch=1, max_queue=2)
    assert result.summary.sentences and late.tags
    assert sizes == [1, 1]  # the two that timed out never reached the encoder


def test_the_encoder_stops_when_nobody_waits_for_its_batch(analyzer, monkeypatch):
    # Hundreds of sentences: many forward passes. Its request gives up long before they are done, and
    # the encoder stops between passes instead of finishing a batch whose answer would go nowhere.
    article = AnalyzeRequest(text=" ".join(f"Report {i} says the river rose again." for i in range(800)))
    encoder = analyzer.encoder
    forward, passes = encoder.forward, []

    def counted(*args, **kwargs):
        passes.append(1)
        return forward(*args, **kwargs)

    monkeypatch.setattr(encoder, "forward", counted)
    analyzer.encode([analyzer.prepare(article)])
    needed, passes[:] = len(passes), []

    async def go(b: MicroBatcher):
        with pytest.raises(DeadlineExceeded):
            await b.submit(article, timeout_s=0.3)

    run(go, analyzer, max_batch=1)  # closing the batcher waits for the batch to end
    assert len(passes) < needed
