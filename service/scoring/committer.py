"""The engines' common end: count outcomes, hand them to the store, commit a chunk when one is due."""

from __future__ import annotations

import time
from collections.abc import Iterable

from service.scoring.job import Counts, ScoreJob
from service.scoring.progress import Progress
from service.scoring.rows import RowError
from service.scoring.store import RECORD, OutputStore, Scored


class Committer:
    def __init__(self, job: ScoreJob, store: OutputStore, progress: Progress) -> None:
        self.job, self.store, self.progress = job, store, progress
        self.counts = Counts()
        self._last_commit = time.monotonic()

    def skip(self, n: int) -> None:
        self.counts.skipped += n
        self.progress.skip(n)

    def add(self, outcomes: Iterable[Scored | RowError]) -> None:
        """Count and store `outcomes`; every `chunk_size` rows make a chunk, committed at once, so no
        chunk is bigger than that however many outcomes come in one go."""
        n = 0
        for o in outcomes:
            n += 1
            if self.store.add(o) == RECORD:
                self.counts.scored += 1
            else:
                self.counts.errors += 1
            if self.store.pending >= self.job.chunk_size:
                self._commit()
        self.progress.advance(n)
        if self.store.pending and time.monotonic() - self._last_commit >= self.job.commit_every_s:
            self._commit()

    def _commit(self) -> None:
        self.store.commit()
        self._last_commit = time.monotonic()

    def close(self) -> Counts:
        self.store.commit()
        return self.counts
