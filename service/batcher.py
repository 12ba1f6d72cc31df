"""Micro-batching: concurrent requests share one encoder call.

Requests wait in a bounded queue. One worker takes up to `max_batch` of them at a time (waiting at most
`max_wait_ms` for a batch to fill) and drives the Analyzer's verbs on two threads, never on the event
loop:

    model thread:  prepare (clean, sentences) -> encode -> abstract ------> read_out
    nlp thread:                                  annotate (spaCy POS, NER) /

so spaCy's slow half runs while the encoder does (`abstract`: a seq2seq summariser's generation, a
no-op for the extractive one). A full queue refuses at once (`Overloaded`), a request
past its deadline gets `DeadlineExceeded` (and is skipped if it has not started), and `close` finishes
everything accepted before it returns. Knows nothing of HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from service.errors import NewsdeskError
from service.schemas import AnalyzeRequest, AnalyzeResponse

if TYPE_CHECKING:  # the engine (and torch) is imported by whoever builds the Analyzer, not here
    from service.analyzer import Analyzer

log = logging.getLogger("newsdesk.batcher")


class Overloaded(NewsdeskError):
    """The queue is full or the server is shutting down: try again shortly."""

    code = "overloaded"
    status = 503

    def __init__(self, message: str, *, retry_after: int, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


class DeadlineExceeded(NewsdeskError):
    code = "deadline_exceeded"
    status = 504


@dataclass
class _Job:
    request: AnalyzeRequest
    deadline: float  # time.monotonic()
    future: asyncio.Future[AnalyzeResponse]
    queued_at: float = field(default_factory=time.monotonic)

    @property
    def abandoned(self) -> bool:
        return self.future.done() or time.monotonic() >= self.deadline


class MicroBatcher:
    """Groups concurrent `submit` calls into batches for one `Analyzer`.

    `on_batch(size)` is called (on the event loop) for every batch that reaches the encoder.
    """

    def __init__(self, analyzer: Analyzer, *, max_batch: int, max_wait_ms: float, max_queue: int,
                 retry_after_s: int = 1, on_batch: Callable[[int], None] | None = None):
        self.analyzer = analyzer
        self.max_batch = max_batch
        self.max_wait_s = max_wait_ms / 1000
        self.max_queue = max_queue
        self.retry_after_s = retry_after_s
        self._on_batch = on_batch
        self._waiting: deque[_Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._closing = False
        self._in_flight = 0
        self._model = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-model")
        self._nlp = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-nlp")

    @property
    def depth(self) -> int:
        """Requests waiting for the worker (not counting the batch it is working on)."""
        return len(self._waiting)

    @property
    def in_flight(self) -> int:
        """Requests in the batch the worker is working on."""
        return self._in_flight

    async def submit(self, request: AnalyzeRequest, timeout_s: float) -> AnalyzeResponse:
        """Analyse one article with whatever else is waiting; raises `Overloaded` at once when the
        queue is full, `DeadlineExceeded` after `timeout_s`, and the engine's `InputError`s."""
        if self._closing:
            raise Overloaded("the server is shutting down; retry on another instance",
                             retry_after=self.retry_after_s, code="shutting_down")
        if len(self._waiting) >= self.max_queue:
            raise Overloaded(f"the server is busy ({len(self._waiting)} requests waiting); retry shortly",
                             retry_after=self.retry_after_s)
        self._ensure_worker()
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        job = _Job(request, time.monotonic() + timeout_s, loop.create_future())
        self._waiting.append(job)
        self._wakeup.set()
        try:
            # shield: a timeout must not cancel the future the worker will resolve.
            return await asyncio.wait_for(asyncio.shield(job.future), timeout_s)
        except TimeoutError as e:
            job.future.cancel()  # the worker skips it if it has not started, and drops its result
            raise DeadlineExceeded(f"the analysis did not finish within {timeout_s:g} s "
                                   "(server.request_timeout_s); retry later or send a shorter text") from e

    async def close(self) -> None:
        """Stop taking requests, finish every accepted one, then stop the threads."""
        self._closing = True
        if self._worker is not None:
            assert self._wakeup is not None
            self._wakeup.set()
            await self._worker
        self._model.shutdown(wait=True)
        self._nlp.shutdown(wait=True)

    # -- the worker -------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._wakeup = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="newsdesk-batcher")

    async def _run(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            if not self._waiting:
                if self._closing:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = await self._take_batch()
            if not batch:
                continue
            self._in_flight = len(batch)
            if self._on_batch is not None:
                self._on_batch(len(batch))
            try:
                results = await loop.run_in_executor(self._model, self._process, [j.request for j in batch])
            except Exception as e:  # a bug, not bad input: every job of the batch reports it
                log.exception("batch of %d failed", len(batch))
                results = [e] * len(batch)
            finally:
                self._in_flight = 0
            for job, result in zip(batch, results, strict=True):
                if job.future.done():
                    continue  # timed out meanwhile
                if isinstance(result, BaseException):
                    job.future.set_exception(result)
                else:
                    job.future.set_result(result)

    async def _take_batch(self) -> list[_Job]:
        """Up to `max_batch` live jobs; waits up to `max_wait_s` for more only while the queue is short."""
        assert self._wakeup is not None
        until = time.monotonic() + self.max_wait_s
        while len(self._waiting) < self.max_batch and not self._closing:
            left = until - time.monotonic()
            if left <= 0:
                break
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), left)
            except TimeoutError:
                break
        batch: list[_Job] = []
        while self._waiting and len(batch) < self.max_batch:
            job = self._waiting.popleft()
            if not job.abandoned:
                batch.append(job)
            elif not job.future.done():
                job.future.set_exception(DeadlineExceeded("the request waited past its deadline in the "
                                                          "queue; the server is overloaded, retry later"))
        return batch

    def _process(self, requests: list[AnalyzeRequest]) -> list[AnalyzeResponse | Exception]:
        """Runs on the model thread: the three verbs over one batch, spaCy's annotation beside encode.
        An article that fails fails alone; the others still get their answers."""
        an = self.analyzer
        results: list[AnalyzeResponse | Exception | None] = [None] * len(requests)
        prepared = []
        for i, r in enumerate(requests):
            try:
                prepared.append((i, an.prepare(r)))
            except Exception as e:
                results[i] = self._failure(e)
        if prepared:
            docs = [p for _, p in prepared]
            annotating = self._nlp.submit(an.annotate, docs)
            try:
                encoded = an.encode(docs)
            except Exception:  # one article may break the batch: encode them one by one below
                log.warning("encoding a batch of %d failed; encoding its articles one by one", len(docs))
                encoded = None
            try:  # seq2seq summaries of the whole batch in one pass while spaCy annotates; else a no-op
                an.abstract(docs)
            except Exception:  # none is kept: read_out generates each article's summary again, alone
                log.warning("summarising a batch of %d failed; summarising its articles alone", len(docs))
            try:
                annotating.result()
            except Exception:  # the docs stay marked pending: read_out annotates each again, alone
                log.warning("annotating a batch of %d failed; annotating its articles one by one", len(docs))
            for k, (i, p) in enumerate(prepared):
                try:
                    results[i] = an.read_out(p, encoded[k] if encoded else an.encode([p])[0])
                except Exception as e:
                    results[i] = self._failure(e)
        return results  # type: ignore[return-value]  # every index was set above

    @staticmethod
    def _failure(e: Exception) -> Exception:
        if not isinstance(e, NewsdeskError):
            log.error("analysis failed: %s", e, exc_info=e)
        return e
