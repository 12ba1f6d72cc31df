"""A set of row keys at 16 bytes a key, so resume and duplicate checks stay small on huge inputs.

A Python set of strings costs ~100 bytes a key (a million ids: ~100 MB); here each key is a 128-bit
BLAKE2b digest in a sorted numpy array, plus a small set of recent additions merged in batches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

DIGEST_BYTES = 16
MERGE_EVERY = 65_536


def digest(key: str) -> bytes:
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=DIGEST_BYTES).digest()


class KeySet:
    def __init__(self, keys: Iterable[str] = ()) -> None:
        self._sorted = np.empty(0, dtype=f"S{DIGEST_BYTES}")
        self._recent: set[bytes] = set()
        for k in keys:
            self.add(k)

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def __contains__(self, key: str) -> bool:
        return self._has(digest(key))

    def _has(self, d: bytes) -> bool:
        if d in self._recent:
            return True
        i = int(np.searchsorted(self._sorted, d))
        # numpy hands back fixed-width bytes without their trailing NULs
        return i < len(self._sorted) and self._sorted[i] == d.rstrip(b"\0")

    def add(self, key: str) -> bool:
        """Add a key; False if it was already there."""
        d = digest(key)
        if self._has(d):
            return False
        self._recent.add(d)
        if len(self._recent) >= MERGE_EVERY:
            self._merge()
        return True

    def _merge(self) -> None:
        fresh = np.array(sorted(self._recent), dtype=f"S{DIGEST_BYTES}")
        self._sorted = np.concatenate([self._sorted, fresh])
        self._sorted.sort(kind="stable")
        self._recent.clear()

    def digests(self) -> np.ndarray:
        """Every digest, sorted: a compact, picklable snapshot (what Ray read tasks receive)."""
        self._merge()
        return self._sorted

    @classmethod
    def from_digests(cls, digests: np.ndarray) -> KeySet:
        ks = cls()
        ks._sorted = digests
        return ks
