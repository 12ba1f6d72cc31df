"""Request and response shapes of `/v1/analyze`, shared by the API, the CLI and batch scoring."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Part = Literal["tags", "summary", "entities", "keywords"]
ALL_PARTS: tuple[Part, ...] = ("tags", "summary", "entities", "keywords")
CustomLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AnalyzeOptions(BaseModel):
    """Per-request options; anything left out takes the config's default."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)  # "3" is not 3

    max_tags: int | None = Field(default=None, ge=1, le=50)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    summary_sentences: int | None = Field(default=None, ge=1, le=50)
    summary_words: int | None = Field(default=None, ge=1, le=5000)
    max_keywords: int | None = Field(default=None, ge=0, le=100)
    labels: list[CustomLabel] | None = Field(
        default=None, min_length=1, max_length=100,
        description="Your own labels: tags are scored zero-shot against these instead of the taxonomy.",
    )
    include: list[Part] | None = Field(
        default=None, min_length=1, description="Parts to compute; all by default."
    )
    sentences: bool = Field(
        default=False,
        description="Also return every sentence's index and offsets (`sentences`), e.g. to locate the "
        "sentences a tag's `evidence` names.",
    )

    @field_validator("labels")
    @classmethod
    def _one_of_each(cls, v: list[str] | None) -> list[str] | None:
        """A label given twice, in any case ("football", "Football"), is one label in its first spelling:
        the encoder reads them alike, so two would tie and each score as if in doubt."""
        if v is None:
            return None
        first: dict[str, str] = {}
        for lb in v:
            first.setdefault(lb.casefold(), lb)
        return list(first.values())

    @model_validator(mode="after")
    def _one_length(self) -> AnalyzeOptions:
        if self.summary_sentences is not None and self.summary_words is not None:
            raise ValueError("give summary_sentences or summary_words, not both")
        return self


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)  # "3" is not 3

    text: str = Field(description="The article body (plain text or HTML).",
                      json_schema_extra={"minLength": 1, "pattern": r"\S"})  # checked by _not_blank
    title: str | None = Field(default=None, max_length=2000)
    id: str | None = Field(default=None, max_length=512)
    options: AnalyzeOptions = AnalyzeOptions()

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty or only whitespace")
        return v

    @field_validator("text", "title", "id")
    @classmethod
    def _valid_unicode(cls, v: str | None) -> str | None:
        """JSON can carry lone surrogates (`"\\ud800"`) that no tokenizer can encode: reject them here."""
        if v is not None:
            try:
                v.encode("utf-8")
            except UnicodeEncodeError as e:
                raise ValueError(f"contains an unpaired surrogate (U+{ord(v[e.start]):04X}) at character "
                                 f"{e.start}; send valid Unicode") from e
        return v


class ModelInfo(BaseModel):
    name: str
    version: str

    @classmethod
    def joined(cls, parts: list[ModelInfo]) -> ModelInfo:
        """Several models as one: their names, and their versions, each joined by '+'."""
        return cls(name="+".join(m.name for m in parts), version="+".join(m.version for m in parts))


class Tag(BaseModel):
    code: str
    label: str
    score: float
    level: int
    parent: str | None
    evidence: list[int] = Field(description="Indices of the sentences that support this tag most.")


class SummarySentence(BaseModel):
    index: int
    start: int
    end: int
    text: str
    score: float


class SentenceSpan(BaseModel):
    index: int
    start: int
    end: int


class Summary(BaseModel):
    text: str = Field(description="The summary: the picked sentences joined by spaces (extractive), or the "
                      "generated text (seq2seq summariser).")
    sentences: list[SummarySentence] = Field(
        description="The picked sentences with their offsets, in article order. Empty for a seq2seq "
        "(abstractive) summary: generated text has no offsets into the article.")


class EntityOut(BaseModel):
    text: str
    type: str
    count: int
    spans: list[tuple[int, int]]


class KeywordOut(BaseModel):
    text: str
    score: float


class AnalyzeResponse(BaseModel):
    id: str
    model: ModelInfo
    tags: list[Tag]
    summary: Summary
    entities: list[EntityOut]
    keywords: list[KeywordOut]
    truncated: bool
    timings_ms: dict[str, float]
    # Left out of the JSON unless `options.sentences` asked for it, so the default shape stays DESIGN.md's.
    sentences: list[SentenceSpan] | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="Every sentence with its character offsets into `text`; only with `options.sentences`.",
    )


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
