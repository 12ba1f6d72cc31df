"""What a scoring run is asked to do, and what it did."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from service.config import EngineConfig
from service.scoring.rows import RowSpec


@dataclass(frozen=True)
class ScoreJob:
    input: Path
    out: Path
    config: EngineConfig
    text_fields: tuple[str, ...] = ("text",)
    id_field: str = "id"
    batch_size: int = 32  # articles per engine pass
    chunk_size: int = 1000  # rows per committed chunk: the most a crash can cost ...
    commit_every_s: float = 30.0  # ... or this much time, whichever comes first
    overwrite: bool = False

    @property
    def spec(self) -> RowSpec:
        return RowSpec(self.text_fields, self.id_field, self.config.limits.max_body_bytes)


@dataclass
class Counts:
    scored: int = 0
    errors: int = 0
    skipped: int = 0

    def line(self) -> str:
        return f"{self.scored} scored, {self.errors} errors, {self.skipped} skipped (already done)"

    def as_dict(self) -> dict[str, int]:
        return {"scored": self.scored, "errors": self.errors, "skipped": self.skipped}
