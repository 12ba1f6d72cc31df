"""Micro-batching: concurrent requests share one encoder call.

Requests wait in a bounded queue. One worker takes up to `max_batch` of them at a time (waiting at most
`max_wait_ms` for a batch to fill) and drives the Analyzer's verbs on two threads, never on the event
loop, as a pipeline that keeps the encoder (the bottleneck) busy:

    model thread:            encode N -> abstract N   encode N+1 -> abstract N+1
    nlp thread:    prepare N, annotate N, prepare N+1, read_out N, annotate N+1, ...

so spaCy and the read-out run while the encoder does (`abstract`: a seq2seq summariser's generation,
a no-op for the extractive one). While the encoder is busy the next batch is left to fill up.
A full queue refuses at once (`Overloaded`), a request past its deadline gets `DeadlineExceeded` (and
is skipped if it has not started, or the encoder and generation stop once nobody of its batch waits),
and `close` finishes everything accepted before it returns.
Knows nothing of HTTP.
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

from service.errors import EncodingStopped, NewsdeskError
from service.schemas import AnalyzeRequest, AnalyzeResponse

if TYPE_CHECKING:  # the engine (and torch) is imported by whoever builds the Analyzer, not here
    from service.analyzer import Analyzer, EncodedArticle, Prepared

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


@dataclass(eq=False)  # compared by identity: `_waiting.remove(job)`
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
        self._finishing: set[asyncio.Task[None]] = set()
        self._model = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-model")
        self._nlp = ThreadPoolExecutor(1, thread_name_prefix="newsdesk-nlp")

    @property
    def depth(self) -> int:
        """Requests waiting for the worker (not counting the batch it is working on)."""
        return len(self._waiting)

    @property
    def in_flight(self) -> int:
        """Requests taken from the queue and not yet answered (at most two batches)."""
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
            self._abandon(job)
            raise DeadlineExceeded(f"the analysis did not finish within {timeout_s:g} s "
                                   "(server.request_timeout_s); retry later or send a shorter text") from e
        except asyncio.CancelledError:  # the client left, or the server stopped waiting for the answer
            self._abandon(job)
            raise

    def _abandon(self, job: _Job) -> None:
        """Nobody waits for `job` now: the worker skips it if it has not started (or stops the encoder or
        the generation when its whole batch is abandoned), and it no longer takes a place in the queue."""
        job.future.cancel()
        if job in self._waiting:
            self._waiting.remove(job)

    async def close(self) -> None:
        """Stop taking requests, finish every accepted one, then stop the threads."""
        self._closing = True
        if self._worker is not None:
            assert self._wakeup is not None
            self._wakeup.set()
            await self._worker
        while self._finishing:
            await asyncio.gather(*self._finishing)
        self._model.shutdown(wait=True)
        self._nlp.shutdown(wait=True)

    # -- the worker -------------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._worker is None:
            self._wakeup = asyncio.Event()
            self._worker = asyncio.get_running_loop().create_task(self._run(), name="newsdesk-batcher")

    async def _wait(self) -> None:
        assert self._wakeup is not None
        self._wakeup.clear()
        await self._wakeup.wait()

    async def _run(self) -> None:
        """Takes batches and keeps the encoder busy: batch N+1 is prepared while N is on the encoder,
        and N's read-out runs on the nlp thread while N+1 is encoded. At most one batch waits for the
        encoder, so the queue bound is the only buffer."""
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        encoding: asyncio.Future[list[EncodedArticle] | None] | None = None  # the batch on the encoder
        while True:
            if not self._waiting:
                if self._closing:
                    return
                await self._wait()
                continue
            # While the encoder is busy, let the next batch fill up instead of taking a few requests now.
            while (encoding is not None and not encoding.done() and len(self._waiting) < self.max_batch
                   and not self._closing):
                await self._wait()
            batch = await self._take_batch()
            if not batch:
                continue
            self._in_flight += len(batch)
            if self._on_batch is not None:
                self._on_batch(len(batch))
            results: list[AnalyzeResponse | Exception | None] = [None] * len(batch)
            try:
                prepared = await loop.run_in_executor(self._nlp, self._prepare, batch, results)
            except Exception as e:  # a bug, not bad input: every job of the batch reports it
                log.exception("preparing a batch of %d failed", len(batch))
                self._in_flight -= len(batch)
                self._resolve(batch, [e] * len(batch))
                continue
            if not prepared:  # every article failed to prepare: nothing to encode
                self._in_flight -= len(batch)
                self._resolve(batch, results)  # type: ignore[arg-type]  # each holds its error
                continue
            if encoding is not None:
                await asyncio.wait([encoding])  # its finisher reports its errors
            docs = [p for _, p in prepared]
            encoding = loop.run_in_executor(self._model, self._encode, prepared, batch)
            encoding.add_done_callback(lambda _: self._wakeup.set() if self._wakeup else None)
            annotating = loop.run_in_executor(self._nlp, self.analyzer.annotate, docs)
            task = loop.create_task(self._finish(batch, results, prepared, encoding, annotating))
            self._finishing.add(task)
            task.add_done_callback(self._finishing.discard)

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

    async def _finish(self, batch: list[_Job], results: list[AnalyzeResponse | Exception | None],
                      prepared: list[tuple[int, Prepared]],
                      encoding: asyncio.Future[list[EncodedArticle] | None],
                      annotating: asyncio.Future[None]) -> None:
        """Waits for a batch's encoding and annotation, reads it out on the nlp thread, answers it."""
        loop = asyncio.get_running_loop()
        try:
            encoded = await encoding
            try:
                await annotating
            except Exception:  # the docs stay marked pending: read_out annotates each again, alone
                log.warning("annotating a batch of %d failed; annotating its articles one by one",
                            len(prepared))
            out = await loop.run_in_executor(self._nlp, self._read_out, batch, results, prepared, encoded)
        except Exception as e:  # a bug, not bad input: every job of the batch reports it
            log.exception("batch of %d failed", len(batch))
            out = [e] * len(batch)
        finally:
            self._in_flight -= len(batch)
        self._resolve(batch, out)

    @staticmethod
    def _resolve(batch: list[_Job], results: list[AnalyzeResponse | Exception]) -> None:
        for job, result in zip(batch, results, strict=True):
            if job.future.done():
                continue  # timed out meanwhile
            if isinstance(result, BaseException):
                job.future.set_exception(result)
            else:
                job.future.set_result(result)

    # -- the three stages, on the threads ----------------------------------------------------------
    def _prepare(self, batch: list[_Job], results: list[AnalyzeResponse | Exception | None]
                 ) -> list[tuple[int, Prepared]]:
        """nlp thread: clean and split each article; one that fails fails alone (in `results`)."""
        prepared = []
        for i, job in enumerate(batch):
            if job.abandoned:  # timed out or left while the batch filled: its answer would go nowhere
                results[i] = DeadlineExceeded("abandoned")
                continue
            try:
                prepared.append((i, self.analyzer.prepare(job.request)))
            except Exception as e:
                results[i] = self._failure(e)
        return prepared

    def _encode(self, prepared: list[tuple[int, Prepared]], batch: list[_Job]) -> list[EncodedArticle] | None:
        """Model thread: one encoder call for the batch (None if it failed: `_read_out` then encodes
        the articles one by one), then a seq2seq summariser's generation for the articles still waited
        for. Stops as soon as every request of the batch is abandoned, so a timed-out batch frees the
        model for the next one."""
        an = self.analyzer

        def nobody_waits() -> bool:
            return all(job.abandoned for job in batch)

        try:
            encoded = an.encode([p for _, p in prepared], stop=nobody_waits)
        except EncodingStopped:
            return None  # `_read_out` skips abandoned jobs
        except Exception:  # one article may break the batch
            log.warning("encoding a batch of %d failed; encoding its articles one by one", len(prepared))
            encoded = None
        waited = [p for i, p in prepared if not batch[i].abandoned]  # `_read_out` skips the others
        try:  # a no-op for the extractive summariser
            an.abstract(waited, stop=nobody_waits)
        except EncodingStopped:
            pass  # nobody waits: `_read_out` skips every job
        except Exception:  # none is kept: read_out generates each article's summary again, alone
            log.warning("summarising a batch of %d failed; summarising its articles alone", len(waited))
        return encoded

    def _read_out(self, batch: list[_Job], results: list[AnalyzeResponse | Exception | None],
                  prepared: list[tuple[int, Prepared]], encoded: list[EncodedArticle] | None
                  ) -> list[AnalyzeResponse | Exception]:
        """nlp thread: each article's answer from its vectors and annotations."""
        an = self.analyzer
        for k, (i, p) in enumerate(prepared):
            if batch[i].abandoned:
                results[i] = DeadlineExceeded("abandoned")
                continue
            try:
                results[i] = an.read_out(p, encoded[k] if encoded is not None else an.encode([p])[0])
            except Exception as e:
                results[i] = self._failure(e)
        return results  # type: ignore[return-value]  # every index was set here or in _prepare

    @staticmethod
    def _failure(e: Exception) -> Exception:
        if not isinstance(e, NewsdeskError) or e.status >= 500:  # the server's problem, not the request's
            log.error("analysis failed: %s", e, exc_info=e)
        return e
