"""A tag taxonomy: codes, names, levels, parents and the descriptions used for zero-shot scoring;
and label maps, which carry a data set's own labels onto a taxonomy's codes (configs/mappings/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.config import _resolve, validate_yaml
from service.errors import ConfigError


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    level: int = Field(default=1, ge=1)
    parent: str | None = None
    descriptions: list[str] = []
    # Scored beside its siblings but never shown: a child that covers most of its parent's stories (sport's
    # "sport event"), so that a match report is not given a sibling that only leads by a little.
    hidden: bool = False

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
        by_code = self.by_code
        for lb in self.labels:
            # A blank name or description is embedded as if it were text: a topic that matches nothing.
            if not lb.name.strip():
                raise ValueError(f"label {lb.code}: its name is blank")
            if blank := [i for i, d in enumerate(lb.descriptions) if not d.strip()]:
                raise ValueError(f"label {lb.code}: description {blank[0]} is blank; write a sentence or "
                                 "remove it")
            if lb.parent is not None and lb.parent not in by_code:
                raise ValueError(f"label {lb.code}: parent {lb.parent} is not in the taxonomy")
        # Each level hangs under the one above it, so walking up from any label ends at the top level.
        for lb in self.labels:
            if lb.parent is None:
                if lb.level != 1:
                    raise ValueError(f"label {lb.code}: a level-{lb.level} label needs a parent")
                if lb.hidden:
                    raise ValueError(f"label {lb.code}: a top-level label cannot be hidden")
            elif lb.level == 1:
                raise ValueError(f"label {lb.code}: a level-1 label has no parent, got parent {lb.parent} "
                                 "(a label under a level-1 parent is `level: 2`)")
            elif by_code[lb.parent].level != lb.level - 1:
                raise ValueError(f"label {lb.code}: its parent {lb.parent} is level "
                                 f"{by_code[lb.parent].level}, expected level {lb.level - 1}")
        return self

    @property
    def codes(self) -> list[str]:
        return [lb.code for lb in self.labels]

    @property
    def by_code(self) -> dict[str, Label]:
        # Not cached: model_copy would carry a cached dict over to a copy with other labels.
        return {lb.code: lb for lb in self.labels}

    def top_level(self) -> list[Label]:
        return [lb for lb in self.labels if lb.parent is None]

    def children(self, code: str) -> list[Label]:
        """The labels directly under `code` (KeyError if `code` is not in the taxonomy)."""
        if code not in self.by_code:
            raise KeyError(code)
        return [lb for lb in self.labels if lb.parent == code]

    def ancestor(self, code: str) -> str:
        """The top-level code above `code`; `code` itself when it is top level."""
        by_code = self.by_code
        lb = by_code[code]
        while lb.parent is not None:
            lb = by_code[lb.parent]
        return lb.code


def load_taxonomy(path: str | Path, field: str = "tagger.taxonomy") -> Taxonomy:
    """The taxonomy file at `path`. `field` names where the path was given (by default the engine config's
    tagger): a missing file is then not reported as a missing config, which points at the wrong file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{field}: file not found: {path}")
    return validate_yaml(path, Taxonomy)


class LabelMap(BaseModel):
    """A data set's labels mapped onto codes of a taxonomy: each label to the most specific code(s) that
    fit; a code's ancestors are implied, so a list never holds a code together with its parent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    taxonomy: Path  # relative to the mapping file's folder
    labels: dict[str, Annotated[list[str], Field(min_length=1)]] = Field(min_length=1)


def load_label_map(path: str | Path) -> LabelMap:
    """A mapping file, its `taxonomy` resolved against the file's folder and every code checked in it."""
    path = Path(path)
    label_map = validate_yaml(path, LabelMap)
    tax_path = _resolve(path.resolve().parent, label_map.taxonomy)
    by_code = load_taxonomy(tax_path, f"{path}: taxonomy").by_code
    for label, codes in label_map.labels.items():
        field = f"labels.{label}"
        if unknown := [c for c in codes if c not in by_code]:
            problem = f"{unknown[0]!r} is not a code of {tax_path}"
        elif len(set(codes)) < len(codes):
            problem = f"a code is listed twice: {codes}"
        elif implied := [c for c in codes if by_code[c].parent in codes]:
            problem = (f"{implied[0]} is listed with its parent {by_code[implied[0]].parent}; list only the "
                       "more specific code (its parent is implied)")
        else:
            continue
        raise ConfigError(f"{path}: {field}: {problem}", field=field)
    return label_map.model_copy(update={"taxonomy": tax_path})
