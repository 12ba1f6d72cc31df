"""Progress of a scoring run: a tqdm bar on a terminal, a log line every few seconds otherwise.

Rows skipped because an earlier run committed them take no time, so they are taken off the total
instead of counted as done: the rate and the ETA are those of articles actually scored.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

LOG_EVERY_S = 5.0


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Progress:
    def __init__(self, stream: TextIO = sys.stderr, *, enabled: bool = True,
                 log_every_s: float = LOG_EVERY_S) -> None:
        self.stream = stream
        self.enabled = enabled
        self.log_every_s = log_every_s
        self.total: int | None = None
        self.skipped = 0
        self.done = 0  # scored or failed in this run
        # The rate counts from the first results in, so model loading does not drag the ETA.
        self._first: tuple[float, int] | None = None
        self._last_log = time.monotonic()
        self._bar = None
        if enabled and stream.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=None, unit=" articles", file=stream, dynamic_ncols=True,
                             smoothing=0.1, desc="scoring")

    def set_total(self, rows: int) -> None:
        self.total = rows
        if self._bar is not None:
            self._bar.total = max(rows - self.skipped, self.done)
            self._bar.refresh()

    def skip(self, n: int) -> None:
        self.skipped += n
        if self._bar is not None and self.total is not None:
            self._bar.total = max(self.total - self.skipped, self.done)
            self._bar.refresh()

    def advance(self, n: int) -> None:
        if self._first is None:
            self._first = (time.monotonic(), n)
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled and time.monotonic() - self._last_log >= self.log_every_s:
            self._last_log = time.monotonic()
            print(self.line(), file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """One line for the user (e.g. fewer workers than asked for), above the bar on a terminal."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        elif self.enabled:
            print(text, file=self.stream, flush=True)

    @property
    def rate(self) -> float:
        """Articles a second since the first results came in (model loading left out)."""
        t0, n0 = self._first or (time.monotonic(), 0)
        elapsed = time.monotonic() - t0
        return (self.done - n0) / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate
        text = f"newsdesk score: {self.done} done"
        if self.total is not None:
            todo = max(self.total - self.skipped, self.done)
            text += f" of {todo} ({100 * self.done / max(todo, 1):.1f}%)"
            eta = f", ETA {_clock((todo - self.done) / rate)}" if rate > 0 else ""
        else:
            eta = ""
        return text + f", {rate:.1f} articles/s{eta}, {self.skipped} skipped (already done)"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
