"""The engine: one Analyzer, models loaded once, three verbs.

`prepare` (clean, segment, spaCy) → `encode` (one batched encoder pass over the
sentences of one or many articles) → `read_out` (tags, summary, entities,
keywords from those vectors). The HTTP API, the CLI and batch scoring all drive
these; `analyze` and `analyze_many` chain them. With a seq2seq summariser,
`abstract` generates the summaries of a batch together (read_out does it for any
article left).
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from spacy.tokens import Doc

from service.abstractive import Seq2SeqSummarizer, word_budget
from service.asides import beside_story
from service.config import EngineConfig, load_engine_config
from service.encoder import SentenceEncoder
from service.entities import extract_entities
from service.errors import InputError, TextTooLong
from service.features import EncodedText
from service.ids import article_id
from service.keywords import candidate_phrases, rank_keywords
from service.language import Guess, guess, identifier
from service.nlp import SpacyPipeline
from service.roles import dateline_prefix, label_sentences
from service.schemas import (
    ALL_PARTS,
    AnalyzeOptions,
    AnalyzeRequest,
    AnalyzeResponse,
    EntityOut,
    KeywordOut,
    ModelInfo,
    SentenceSpan,
    Summary,
    SummarySentence,
    Tag,
)
from service.sentence_scorer import LearnedSentenceScorer
from service.summarizer import summarize
from service.tagger import ZeroShotTagger, shown
from service.taggers import ArticleTagger, ZeroShotArticleTagger, build_tagger
from service.taxonomy import Label
from service.text import CleanText, Sentence, clean_text, sentence_spans


@dataclass
class Prepared:
    """An article made ready for the encoder."""

    id: str
    options: AnalyzeOptions
    clean: CleanText
    doc: Doc
    sentences: list[Sentence]
    title: str | None
    truncated: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    abstract: str | None = None  # the generated summary (seq2seq summariser), once `abstract` ran
    labels_tagger: ZeroShotTagger | None = None  # the request's own `labels`, once `encode` ran

    @functools.cached_property
    def language(self) -> Guess:
        """py3langid's reading of the text, asked for by whatever is gated by language (read once)."""
        return guess(self.doc.text)

    @property
    def reads_words(self) -> bool:
        """Whether it asks for a part read from spaCy's POS and NER (entities, keywords)."""
        return not {"entities", "keywords"}.isdisjoint(self.options.include or ALL_PARTS)

    @property
    def texts(self) -> list[str]:
        """What the encoder sees: every sentence, then the title if one was given."""
        return [s.text for s in self.sentences] + ([self.title] if self.title else [])


@dataclass
class EncodedArticle:
    sentence_vectors: np.ndarray
    title_vector: np.ndarray | None
    token_states: list[tuple[np.ndarray, np.ndarray]]


def _cut(clean: CleanText, cut: int) -> CleanText:
    """The cleaned text up to `cut`. Offsets keep slicing the input: each kept character keeps its origin,
    and a heading runs to the cut."""
    return replace(clean, text=clean.text[:cut], origin=clean.origin[:cut],
                   ends=clean.ends[:cut] if clean.ends is not None else None,
                   headings=[(a, min(b, cut)) for a, b in clean.headings if a < cut])


class Analyzer:
    def __init__(self, config: EngineConfig):
        self.config = config
        # First, so that a bad model folder fails before the other models take seconds to load.
        seq2seq = config.summarizer.kind == "seq2seq"
        self.abstractive = Seq2SeqSummarizer(config.summarizer) if seq2seq else None
        self.encoder = SentenceEncoder(config.encoder)
        self.nlp = SpacyPipeline(config.spacy)
        self.tagger: ArticleTagger = build_tagger(config, self.encoder)  # by tagger.kind
        artifact = config.summarizer.artifact
        self.sentence_scorer = LearnedSentenceScorer.load(artifact, self.encoder) if artifact else None
        self._custom_cache: OrderedDict[tuple[str, ...], ZeroShotTagger] = OrderedDict()
        if config.spacy.languages is not None:
            identifier()  # loaded with the models, not by the first request

    @classmethod
    def from_config_file(cls, path: str | Path) -> Analyzer:
        return cls(load_engine_config(path))

    @property
    def model_info(self) -> ModelInfo:
        """Names and versions joined by '+': the tagger's artifact, or the engine config's (a zero-shot
        tagger is defined by it); then the summariser's model, if one is loaded (a sentence scorer's
        artifact, or a seq2seq folder's name and fingerprint). `newsdesk score` works out the same
        without loading a model (service.scoring.run.pin_models): change both together."""
        parts = [self.tagger.model_info or ModelInfo(name=self.config.name, version=self.config.version)]
        if self.sentence_scorer is not None:
            parts.append(self.sentence_scorer.model_info)
        if self.abstractive is not None:
            parts.append(self.abstractive.model_info)
        return ModelInfo.joined(parts)

    # -- verb 1: prepare -------------------------------------------------------------
    def prepare(self, request: AnalyzeRequest, doc: Doc | None = None,
                cleaned: tuple[CleanText, bool] | None = None) -> Prepared:
        """`doc` and `cleaned`: spaCy's reading and `_clean_within_limit`'s of this text, when a batch made
        them (`prepare_many`)."""
        t0 = time.perf_counter()
        clean, truncated = cleaned or self._clean_within_limit(request.text)
        if not clean.text.strip():
            raise InputError("text has no readable content after cleaning (only markup or control chars?)",
                             field="text", code="empty_text")
        doc = doc if doc is not None else self.nlp.segment(clean.text)  # POS/NER: `annotate`
        spans = sentence_spans(clean.text, [(s.start_char, s.end_char) for s in doc.sents])
        title = request.title.strip() if request.title and request.title.strip() else None
        # A line repeating the title is a headline, and so is an HTML heading.
        sentences = label_sentences(clean.text, spans, title, clean.headings)
        cut = self._token_cut(sentences)
        if cut is not None:
            if self.config.limits.long_text == "refuse":
                limit = self.config.limits.max_tokens
                raise TextTooLong(f"text is over {limit} encoder tokens (limits.max_tokens: word pieces, and "
                                  "two for each sentence); send a shorter text", field="text")
            prepared = self.prepare(request, cleaned=(_cut(clean, cut), True))
        else:
            prepared = Prepared(
                id=request.id or article_id(request.text, request.title),
                options=request.options, clean=clean, doc=doc, sentences=sentences,
                title=title, truncated=truncated,
            )
        prepared.timings_ms["prepare"] = (time.perf_counter() - t0) * 1000
        return prepared

    def _clean_within_limit(self, text: str) -> tuple[CleanText, bool]:
        """The text cleaned, its readable text cut at the last space before `limits.max_chars` (or refused),
        and whether it was cut. The limit counts what is read, not markup: a page's inline CSS or JSON is no
        part of its article (the HTTP body limit bounds the raw size)."""
        clean = clean_text(text)
        limit = self.config.limits.max_chars
        if len(clean.text) <= limit:
            return clean, False
        if self.config.limits.long_text == "refuse":
            readable = " once its HTML is stripped" if clean.was_html else ""
            raise TextTooLong(f"text is {len(clean.text)} characters long{readable}; the limit is {limit} "
                              "(limits.max_chars); send a shorter text", field="text")
        cut = clean.text.rfind(" ", int(limit * 0.9), limit)
        return _cut(clean, cut if cut > 0 else limit), True

    def _token_cut(self, sentences: list[Sentence]) -> int | None:
        """Where the text must end to keep within `limits.max_tokens` (at the last token that fits, as
        `max_chars` cuts at the last space), or None when it fits."""
        budget = self.config.limits.max_tokens
        # A token covers one character or more: text this short fits without being tokenised.
        if budget is None or sum(len(s.text) + 2 for s in sentences) * 1.01 <= budget:
            return None
        used = 0
        for s, ends in zip(sentences, self.encoder.token_ends([s.text for s in sentences]), strict=True):
            if used + self.encoder.cost(len(ends)) > budget:
                room = self.encoder.tokens_within(budget - used)
                return s.start + ends[room - 1] if room > 0 else s.start
            used += self.encoder.cost(len(ends))
        return None

    def prepare_many(self, requests: list[AnalyzeRequest]) -> list[Prepared | InputError]:
        """Prepare a batch, running spaCy over all articles at once; bad ones become errors."""
        cleaned: list[tuple[int, tuple[CleanText, bool]]] = []
        out: list[Prepared | InputError | None] = [None] * len(requests)
        for i, r in enumerate(requests):
            try:  # spaCy must see exactly the text `prepare` will cut, or its spans point elsewhere
                cleaned.append((i, self._clean_within_limit(r.text)))
            except InputError as e:
                out[i] = e
        docs = self.nlp.pipe(c.text for _, (c, _) in cleaned)
        for (i, c), doc in zip(cleaned, docs, strict=True):
            try:
                out[i] = self.prepare(requests[i], doc=doc, cleaned=c)
            except InputError as e:
                out[i] = e
        return out  # type: ignore[return-value]

    # -- verb 2: encode --------------------------------------------------------------
    def encode(self, batch: list[Prepared], stop: Callable[[], bool] | None = None) -> list[EncodedArticle]:
        """One encoder call for every sentence (and title) of every article in the batch (`stop`: see
        `SentenceEncoder.encode`)."""
        t0 = time.perf_counter()
        texts: list[str] = []
        bounds = []
        for p in batch:
            a = len(texts)
            texts.extend(p.texts)
            bounds.append((a, len(texts)))
        enc = self.encoder.encode(texts, with_tokens=True, stop=stop)
        assert enc.tokens is not None
        out = []
        for p, (a, b) in zip(batch, bounds, strict=True):
            n = len(p.sentences)
            out.append(EncodedArticle(
                sentence_vectors=enc.vectors[a : a + n],
                title_vector=enc.vectors[a + n] if b - a > n else None,
                token_states=enc.tokens[a : a + n],
            ))
        # A request's own labels are encoded here too, on the encoder's thread: encoding them in
        # `read_out` waited for the encoder, busy with the next batch, and held up this batch's answers.
        for p in batch:
            if p.options.labels and "tags" in (p.options.include or ALL_PARTS):
                p.labels_tagger = self._tagger_for(p.options.labels)
        ms = (time.perf_counter() - t0) * 1000
        for p in batch:
            p.timings_ms["encode"] = ms
        return out

    def annotate(self, batch: list[Prepared]) -> None:
        """spaCy's POS and NER on prepared articles; needs no vectors, so it may run beside `encode`
        (the micro-batcher does). Only for articles that ask for entities or keywords; `read_out` runs it
        for any of those not yet annotated."""
        self.nlp.annotate([p.doc for p in batch if p.reads_words])

    def abstract(self, batch: list[Prepared], stop: Callable[[], bool] | None = None) -> None:
        """Generated summaries (seq2seq summariser only) for the articles that ask for a summary, all
        through the model together; `read_out` runs it for any article not yet summarised. `stop`, asked
        after every generated token, ends it once nobody waits for the batch: `EncodingStopped`."""
        todo = [p for p in batch if p.abstract is None and "summary" in (p.options.include or ALL_PARTS)]
        if self.abstractive is None or not todo:
            return
        t0 = time.perf_counter()
        sources = []
        for p in todo:  # the body, as the extractive summary picks from it; all of it if there is none
            body = [s.text for s in p.sentences if s.role == "body"]
            sources.append(body or [s.text for s in p.sentences])
        budgets = [word_budget(self.config.summarizer, p.options.summary_sentences, p.options.summary_words)
                   for p in todo]
        texts = self.abstractive.summarize_many(sources, budgets, stop)
        ms = (time.perf_counter() - t0) * 1000
        for p, text in zip(todo, texts, strict=True):
            p.abstract = text
            p.timings_ms["summarize"] = ms

    # -- verb 3: read out ------------------------------------------------------------
    def document_vector(self, p: Prepared, e: EncodedArticle) -> np.ndarray:
        w = np.array([0.0 if s.role == "boilerplate" else 1.0 for s in p.sentences], np.float32)
        hw = self.config.tagger.headline_weight
        w[[s.index for s in p.sentences if s.role == "headline"]] = hw
        vec = (w[:, None] * e.sentence_vectors).sum(0)
        if e.title_vector is not None:
            vec = vec + hw * e.title_vector
        if not np.any(vec):
            vec = e.sentence_vectors.mean(0) if len(e.sentence_vectors) else vec
        return vec / max(float(np.linalg.norm(vec)), 1e-12)

    def _tagger_for(self, labels: list[str]) -> ZeroShotTagger:
        key = tuple(labels)
        tagger = self._custom_cache.get(key)
        if tagger is None:
            custom = [Label(code=lb, name=lb) for lb in dict.fromkeys(labels)]
            cfg = self.config.tagger
            tagger = ZeroShotTagger.build(
                custom, lambda t: self.encoder.encode(t).vectors, cfg.labels_calibration or cfg.calibration,
                top_k=cfg.top_k_descriptions, pooling=cfg.pooling,
            )
            self._custom_cache[key] = tagger
            if len(self._custom_cache) > 64:
                self._custom_cache.popitem(last=False)
        return tagger

    def read_out(self, p: Prepared, e: EncodedArticle) -> AnalyzeResponse:
        self.abstract([p])  # timed on its own: generation can take longer than all the rest
        t0 = time.perf_counter()
        cfg, opt = self.config, p.options
        parts = set(opt.include or ALL_PARTS)
        doc_vec = self.document_vector(p, e)

        tags: list[Tag] = []
        if "tags" in parts:
            tagger = (ZeroShotArticleTagger(p.labels_tagger or self._tagger_for(opt.labels)) if opt.labels
                      else self.tagger)
            for t in tagger.tag_article(
                p, e, doc_vec,
                max_tags=opt.max_tags or cfg.tagger.max_tags,
                min_score=cfg.tagger.min_score if opt.min_score is None else opt.min_score,
                n_evidence=cfg.tagger.evidence,
            ):
                tags.append(Tag(code=t.label.code, label=t.label.name, score=shown(t.score),
                                level=t.label.level, parent=t.label.parent, evidence=t.evidence))

        summary = Summary(text="", sentences=[])
        if "summary" in parts and self.abstractive is not None:
            summary = Summary(text=p.abstract or "", sentences=[])  # generated text has no source offsets
        elif "summary" in parts:
            n_sent = None if opt.summary_words else (opt.summary_sentences or cfg.summarizer.sentences)
            scorer = None if self.sentence_scorer is None else self.sentence_scorer.scorer_for(
                EncodedText.of_article(p.sentences, e.sentence_vectors, p.title, e.title_vector),
                cfg.summarizer.max_candidates)
            picks = summarize(cfg.summarizer, p.sentences, e.sentence_vectors, doc_vec,
                              n_sentences=n_sent, n_words=opt.summary_words, scorer=scorer)
            sents = []
            for pk in picks:
                s = p.sentences[pk.index]
                a, b = p.clean.span(s.start, s.end)
                sents.append(SummarySentence(index=s.index, start=a, end=b,
                                             text=p.clean.original(s.start, s.end), score=round(pk.score, 4)))
            summary = Summary(text=" ".join(s.text for s in sents), sentences=sents)

        # Names and phrases come from spaCy's reading of the words, which only holds in its own language.
        if cfg.spacy.languages is not None and p.language.other_than(cfg.spacy.languages) is not None:
            parts -= {"entities", "keywords"}
        # Read once for both: shouted lines, bylines, captions, … (service/asides.py).
        beside = None
        if "entities" in parts or "keywords" in parts:
            self.annotate([p])  # POS and NER: only these two read them
            asides = [(s.start, s.end) for s in p.sentences if s.role == "boilerplate"]
            asides += [(s.start, s.start + n) for s in p.sentences if (n := dateline_prefix(s.text))]
            beside = beside_story(p.doc, asides)
        entities: list[EntityOut] = []
        if "entities" in parts:
            for ent in extract_entities(p.doc, set(cfg.entities.types), beside):
                spans = [p.clean.span(a, b) for a, b in ent.spans]
                entities.append(EntityOut(text=ent.text, type=ent.type, count=ent.count, spans=spans))

        keywords: list[KeywordOut] = []
        if "keywords" in parts and self.nlp.has_pos:
            limit = cfg.keywords.max_keywords if opt.max_keywords is None else opt.max_keywords
            phrases = candidate_phrases(p.doc, cfg.keywords.max_words, beside, [s.start for s in p.sentences])
            ranked = rank_keywords(phrases, doc_vec, [s.start for s in p.sentences],
                                   e.token_states, limit)
            keywords = [KeywordOut(text=k.text, score=k.score) for k in ranked]

        sentences: list[SentenceSpan] | None = None
        if opt.sentences:
            sentences = []
            for s in p.sentences:
                a, b = p.clean.span(s.start, s.end)
                sentences.append(SentenceSpan(index=s.index, start=a, end=b))

        p.timings_ms["read_out"] = (time.perf_counter() - t0) * 1000
        p.timings_ms["total"] = (sum(p.timings_ms[k] for k in ("prepare", "encode", "read_out"))
                                 + p.timings_ms.get("summarize", 0.0))
        return AnalyzeResponse(
            id=p.id, model=self.model_info, tags=tags, summary=summary, entities=entities,
            keywords=keywords, truncated=p.truncated,
            timings_ms={k: round(v, 1) for k, v in p.timings_ms.items()}, sentences=sentences,
        )

    # -- the three verbs chained --------------------------------------------------------
    def analyze(self, request: AnalyzeRequest) -> AnalyzeResponse:
        p = self.prepare(request)
        return self.read_out(p, self.encode([p])[0])

    def analyze_many(self, requests: list[AnalyzeRequest]) -> list[AnalyzeResponse | InputError]:
        prepared = self.prepare_many(requests)
        ok = [p for p in prepared if isinstance(p, Prepared)]
        encoded = dict(zip((id(p) for p in ok), self.encode(ok), strict=True)) if ok else {}
        self.abstract(ok)
        return [p if isinstance(p, InputError) else self.read_out(p, encoded[id(p)]) for p in prepared]
