"""A tag taxonomy: codes, names, levels, parents and the descriptions used for zero-shot scoring."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from service.config import format_validation_error, read_yaml
from service.errors import ConfigError


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    level: int = Field(default=1, ge=1)
    parent: str | None = None
    descriptions: list[str] = []

    def prompts(self) -> list[str]:
        """Texts whose embeddings stand for this label; the name alone when no descriptions."""
        return list(self.descriptions) or [self.name]


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: str = ""
    source: str = ""
    labels: list[Label] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Taxonomy:
        codes = [lb.code for lb in self.labels]
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise ValueError(f"duplicate label codes: {sorted(dup)}")
        known = set(codes)
        for lb in self.labels:
            if lb.parent is not None and lb.parent not in known:
                raise ValueError(f"label {lb.code}: parent {lb.parent} is not in the taxonomy")
        return self

    @property
    def codes(self) -> list[str]:
        return [lb.code for lb in self.labels]


def load_taxonomy(path: str | Path) -> Taxonomy:
    path = Path(path)
    raw = read_yaml(path)
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, str(path))) from e
