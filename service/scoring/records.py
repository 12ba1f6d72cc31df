"""The output record: the /v1/analyze response without its run-dependent parts, and its Arrow schema.

A record is `id, model {name, version}, tags, summary, entities, keywords, truncated`, the same shape
the API returns (timings are left out: they differ from run to run, and two engines given the same
rows must write the same records). The Parquet schema is derived from the pydantic models, so it
follows the API's shape instead of repeating it.
"""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel

from service.schemas import AnalyzeResponse

RECORD_FIELDS = ("id", "model", "tags", "summary", "entities", "keywords", "truncated")
_SCALARS = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_()}


def record_json(response: AnalyzeResponse) -> str:
    return response.model_dump_json(include=set(RECORD_FIELDS))


def arrow_type(annotation: Any) -> pa.DataType:
    """The Arrow type of a pydantic field annotation (str, int, float, bool, lists, tuples, models)."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in get_args(annotation) if a is not type(None)]
        return arrow_type(inner)
    if origin in (list, tuple):
        return pa.list_(arrow_type(get_args(annotation)[0]))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct([pa.field(n, arrow_type(f.annotation)) for n, f in annotation.model_fields.items()])
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    raise TypeError(f"no Arrow type for {annotation!r}")


def record_schema() -> pa.Schema:
    fields = AnalyzeResponse.model_fields
    return pa.schema([pa.field(n, arrow_type(fields[n].annotation), nullable=n != "id")
                      for n in RECORD_FIELDS])
