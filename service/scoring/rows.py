"""From a raw input row to an article the engine can score, or the reason it cannot.

Each outcome carries the keys that make resume exactly-once: a scored article is keyed by its id
(`id:<id>`), a bad row by where it sits in the input (`at:<file>:<position>`), so a re-run can tell
what it has already written whichever way the row ended.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from service.config import format_validation_error
from service.ids import article_id
from service.schemas import AnalyzeRequest
from service.scoring.keyset import KeySet
from service.scoring.sources import InputFile, RawRow, read_rows

FIELD_SEPARATOR = "\n\n"  # several text fields (title, body) become paragraphs of one text


def id_key(article_id_: str) -> str:
    return f"id:{article_id_}"


def at_key(source: str, at: str) -> str:
    return f"at:{source}:{at}"


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    source: str
    at: str

    @property
    def key(self) -> str:
        return id_key(self.id)

    @property
    def at_key(self) -> str:
        return at_key(self.source, self.at)


@dataclass(frozen=True)
class RowError:
    id: str | None
    source: str
    at: str
    error: str

    @property
    def key(self) -> str:
        return at_key(self.source, self.at)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "at": self.at, "error": self.error}


@dataclass(frozen=True)
class RowSpec:
    """Which fields hold the text and the id, and how long a text may be."""

    text_fields: tuple[str, ...]
    id_field: str
    max_bytes: int

    @property
    def columns(self) -> list[str]:
        return [*self.text_fields, self.id_field]


def _row_id(value: Any) -> str | None:
    """An id as given: strings as they are, numbers as their decimal text; None when absent or blank, or a
    float that is not finite (a float column's gaps are NaN, and JSON's 1e400 reads as inf: not ids)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"the id must be a string or a number, got {type(value).__name__}")
    if not isinstance(value, str):
        return str(value)
    try:  # JSON can carry lone surrogates ("\ud800"); neither the errors file nor Arrow can hold them
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"the id is not valid Unicode: an unpaired surrogate (U+{ord(value[e.start]):04X}) "
                         f"at character {e.start}") from e
    return value


def _too_large(what: str, max_bytes: int) -> str:
    return f"{what} bytes, over the limit of {max_bytes} (limits.max_body_bytes)"


def to_article(raw: RawRow, spec: RowSpec) -> Article | RowError:
    fields = raw.fields or {}
    try:
        given_id = _row_id(fields.get(spec.id_field))
    except ValueError as e:
        # id null: an id of another type, or with a lone surrogate (the errors file and Arrow hold only
        # UTF-8), cannot be written as given, and an escaped form would be an id no row has; the error
        # says what and where
        return RowError(None, raw.source, raw.at, raw.problem or f"field {spec.id_field!r}: {e}")
    if raw.over_bytes is not None:  # a CSV value past the reader's limit: too large, like a long text
        return RowError(None, raw.source, raw.at, _too_large(f"a field is over {raw.over_bytes}",
                                                             spec.max_bytes))
    if raw.problem is not None or raw.fields is None:
        return RowError(given_id, raw.source, raw.at, raw.problem or "unreadable row")

    def bad(reason: str) -> RowError:
        return RowError(given_id, raw.source, raw.at, reason)

    parts: list[str] = []
    for name in spec.text_fields:
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return bad(f"field {name!r} is {type(value).__name__}, expected a string")
        if value.strip():
            parts.append(value)
    if not parts:
        present = [n for n in spec.text_fields if fields.get(n) is not None]
        names = " or ".join(repr(n) for n in spec.text_fields)
        if present:
            return bad(f"text field {names} is empty or only whitespace")
        return bad(f"text field {names} is null" if any(n in fields for n in spec.text_fields)
                   else f"missing text: no field {names}")
    text = FIELD_SEPARATOR.join(parts)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > spec.max_bytes:
        return bad(_too_large(f"text is {size}", spec.max_bytes))
    article_id_ = given_id or article_id(text, None)
    try:
        AnalyzeRequest(text=text, id=article_id_)  # the same checks as the HTTP API (Unicode, id length)
    except ValidationError as e:
        return bad(format_validation_error(e, "row"))
    return Article(article_id_, text, raw.source, raw.at)


def is_committed(out: Article | RowError, committed: KeySet) -> bool:
    """Did an earlier run write this row, as a record (by id) or as a bad row (by place)?"""
    return out.key in committed or (isinstance(out, Article) and out.at_key in committed)


class FirstWins:
    """Reads an input's rows in order and says what each one is for this run: the row to score, a bad row,
    or None when an earlier run wrote it. A row with the id of an earlier row is a duplicate even when that
    earlier row was scored by an earlier run: a re-run after a crash, or over a grown input, must not count
    it as done."""

    def __init__(self, committed: KeySet) -> None:
        self.committed = committed
        self.seen = KeySet()

    def __call__(self, out: Article | RowError) -> Article | RowError | None:
        if isinstance(out, RowError):  # bad rows are keyed by their place
            return None if out.key in self.committed else out
        if out.at_key in self.committed:  # an earlier run wrote it as a bad row (a duplicate)
            return None
        if not self.seen.add(out.key):
            return duplicate(out.id, out.source, out.at)
        return None if out.key in self.committed else out


def duplicate_places(files: list[InputFile], spec: RowSpec, committed: KeySet) -> KeySet:
    """The places (`at_key`) of the rows `FirstWins` calls duplicates, from one pass over the input: for
    an engine whose readers see parts of it at once (Ray), so that the first row wins there too."""
    first_wins, places = FirstWins(committed), KeySet()
    for f in files:
        for raw in read_rows(f, spec.columns):
            out = to_article(raw, spec)
            if isinstance(out, Article) and isinstance(first_wins(out), RowError):
                places.add(out.at_key)
    return places


def duplicate(id_: str, source: str, at: str) -> RowError:
    """A second row with an id already scored: the first one wins (ids are what resume counts on)."""
    return RowError(id_, source, at, f"duplicate id {id_!r}: an earlier row has this id; ids must be unique")
