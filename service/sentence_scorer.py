"""A learned extractive sentence scorer, loaded from an artifact trained by `newsdesk train`.

Each body sentence is described by features that hold across news styles: how central it is (to the
mean of the body's sentence vectors; lexically, to the article's TF-IDF row; in the article's BM25
sentence graph, by TextRank), how close it is to the headline and the lead, where it stands, and how long
it is, how much of it is quotation and how many figures it gives (highlights state facts, rarely quote);
and, for each of those that grades sentences, its rank within the article (what a summary picks
is the article's best few, whatever the scale). A small MLP trained on reference summaries turns them
into a score; the summariser then picks sentences by that score as usual.

The lexical features weigh words either by a corpus vocabulary saved with the artifact (`vocab.json`, the
IDF of the training data: "corpus") or within the article itself ("article": each sentence a document,
spaCy's English stop words left out), which stores nothing derived from the data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from scipy.stats import rankdata
from spacy.lang.en.stop_words import STOP_WORDS

from service.artifacts import VOCAB, WEIGHTS, Manifest, load_manifest
from service.encoder import SentenceEncoder
from service.errors import ConfigError
from service.features import EncodedText, TfidfView, words_of
from service.heads import SentenceHead, load_head
from service.schemas import ModelInfo
from service.sentence_graph import GRAPH_FEATURES, graph_features

BASE_FEATURES = (
    "centrality",
    "lexical_centrality",
    "term_weight",
    "log_term_weight",
    "title_similarity",
    "lead_similarity",
    "inverse_position",
    "relative_position",
    "is_first",
    "log_words",
    "relative_words",
    "paragraph_position",
    "log_body",
    "quote_share",
    "log_numbers",
    *GRAPH_FEATURES,
)
# Ranked within the article too (0 = its highest, ties share a rank): the graded features, not position.
RANKED_FEATURES = (
    "centrality",
    "lexical_centrality",
    "term_weight",
    "title_similarity",
    "lead_similarity",
    "log_words",
    *GRAPH_FEATURES,
)
SENTENCE_FEATURES = (*BASE_FEATURES, *(f"rank_{f}" for f in RANKED_FEATURES))


def _rank(values: np.ndarray) -> np.ndarray:
    """0 for the article's highest value, 1 for its lowest; ties share their mean rank."""
    return ((rankdata(-values, method="average") - 1) / max(len(values) - 1, 1)).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


def _lexical_centrality(words: list[list[str]], tfidf: TfidfView) -> np.ndarray:
    """Cosine of each sentence's TF-IDF row to the whole body's row."""
    indptr, indices, values = tfidf.rows_of_words([*words, [w for ws in words for w in ws]])
    doc = dict(zip(indices[indptr[-2] :].tolist(), values[indptr[-2] :].tolist(), strict=True))
    out = np.zeros(len(words), np.float32)
    for i in range(len(words)):
        a, b = indptr[i], indptr[i + 1]
        out[i] = sum(
            v * doc.get(t, 0.0) for t, v in zip(indices[a:b].tolist(), values[a:b].tolist(), strict=True)
        )
    return out


def _term_weights(words: list[list[str]], tfidf: TfidfView) -> np.ndarray:
    """Per sentence: the sum over its distinct words of (count in the body × IDF), over the square root of
    its length (Luhn's frequent-word signal, without the bias against long sentences)."""
    counts = Counter(w for ws in words for w in ws)
    idf = {w: float(tfidf.idf[tfidf.index[w]]) if w in tfidf.index else 1.0 for w in counts}
    return np.array(
        [sum(counts[w] * idf[w] for w in set(ws)) / max(len(ws), 1) ** 0.5 for ws in words], np.float32
    )


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")  # 3, 2.9, 11,000: one figure each
_CLOSING = {'"': '"', "\u201c": "\u201d"}  # straight or curly double quotes


def _quotations(text: str) -> list[tuple[int, int]]:
    """The spans of `"…"` and `\u201c…\u201d` quotations, left to right, each running from its mark to the
    first closing one. In one pass: a mark with no closing one after it leaves every later mark of its
    kind unclosed too, so it is not looked for again (a regex scanned to the end from each \u201c of a run
    of them: 99,000 took 19 s)."""
    spans: list[tuple[int, int]] = []
    next_mark = {mark: text.find(mark) for mark in _CLOSING}
    while live := [(at, mark) for mark, at in next_mark.items() if at != -1]:
        start, mark = min(live)
        end = text.find(_CLOSING[mark], start + 1)
        if end == -1:
            next_mark[mark] = -1
            continue
        spans.append((start, end + 1))
        for other, at in next_mark.items():
            if at != -1 and at <= end:
                next_mark[other] = text.find(other, end + 1)
    return spans


def _quote_share(text: str) -> float:
    """The share of the sentence's characters inside double quotation marks, a quote opened and not
    closed running to the end."""
    spans = _quotations(text)
    inside = sum(end - start for start, end in spans)
    bounds = [0, *(i for span in spans for i in span), len(text)]
    rest = "".join(text[bounds[k] : bounds[k + 1]] for k in range(0, len(bounds), 2))
    for mark in _CLOSING:
        if mark in rest:
            inside += len(rest) - rest.index(mark)
            break
    return min(inside / max(len(text), 1), 1.0)


def sentence_features(
    doc: EncodedText, tfidf: TfidfView | None, limit: int | None = None
) -> tuple[list[int], np.ndarray]:
    """The body sentences' indices and their features (one row each, in SENTENCE_FEATURES order), of the
    first `limit` body sentences only when given (read as the whole article). With no corpus view (`tfidf`
    None) the lexical features weigh words within the article."""
    body = [s.index for s in doc.sentences if s.role == "body"][:limit]
    if not body:
        return [], np.zeros((0, len(SENTENCE_FEATURES)), np.float32)
    vecs = doc.vectors[body]
    plan = doc.plan(lead=1)
    centroid = _unit(vecs.mean(0))
    title = doc.vectors[plan.title] if plan.title is not None else np.zeros(vecs.shape[1], np.float32)
    words = np.array([max(doc.sentences[i].words, 1) for i in body], np.float32)
    paragraphs = np.array([doc.sentences[i].paragraph for i in body], np.float32)
    rank = np.arange(len(body), dtype=np.float32)
    n = float(len(body))
    words_in = [words_of(doc.sentences[i].text) for i in body]  # every lexical feature reads these
    if tfidf is None:
        tfidf = TfidfView.within(words_in, STOP_WORDS)
    weights = _term_weights(words_in, tfidf)
    columns = {
        "centrality": vecs @ centroid,
        "lexical_centrality": _lexical_centrality(words_in, tfidf),
        "term_weight": weights / max(float(weights.max()), 1e-6),
        "log_term_weight": np.log1p(weights),
        "title_similarity": vecs @ title,
        "lead_similarity": vecs @ vecs[0],
        "inverse_position": 1.0 / (1.0 + rank),
        "relative_position": rank / max(n - 1.0, 1.0),
        "is_first": (rank == 0).astype(np.float32),
        "log_words": np.log(words),
        "relative_words": words / words.mean(),
        "paragraph_position": (paragraphs - paragraphs.min()) / max(float(np.ptp(paragraphs)), 1.0),
        "log_body": np.full(len(body), np.log(n), np.float32),
        "quote_share": np.array([_quote_share(doc.sentences[i].text) for i in body], np.float32),
        "log_numbers": np.log1p(
            np.array([len(_NUMBER.findall(doc.sentences[i].text)) for i in body], np.float32)
        ),
        **graph_features(words_in),
    }
    columns.update({f"rank_{f}": _rank(columns[f]) for f in RANKED_FEATURES})
    return body, np.stack([columns[f] for f in SENTENCE_FEATURES], axis=1).astype(np.float32)


def ranking_scores(probs: np.ndarray, words: np.ndarray, length_exponent: float) -> np.ndarray:
    """What the summariser ranks by: P(summary sentence) × (length / mean length) ** length_exponent. Of two
    equally likely sentences the longer covers more of a reference; the exponent is tuned on dev."""
    return probs * (words / words.mean()) ** length_exponent


def lexical_view(folder: Path, manifest: Manifest) -> TfidfView | None:
    """The artifact's corpus vocabulary, or None when its lexical features are computed within each article
    (`model.lexical: article`; artifacts from before that setting all have a vocabulary)."""
    return TfidfView.load(folder / VOCAB) if manifest.model.get("lexical", "corpus") == "corpus" else None


class LearnedSentenceScorer:
    def __init__(self, manifest: Manifest, head: SentenceHead, tfidf: TfidfView | None):
        self.manifest = manifest
        self.head = head
        self.tfidf = tfidf
        self.length_exponent = float(manifest.model.get("length_exponent", 0.0))

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(name=self.manifest.name, version=self.manifest.version)

    @classmethod
    def load(cls, path: Path, base: SentenceEncoder) -> LearnedSentenceScorer:
        folder, manifest = load_manifest(path, "summarizer.artifact")
        if manifest.model.get("encoder_fingerprint") != base.fingerprint:
            raise ConfigError(
                f"summarizer.artifact: {folder} was trained on vectors of another encoder "
                f"({manifest.base_encoder}); configure that encoder or retrain"
            )
        if list(manifest.model.get("features", [])) != list(SENTENCE_FEATURES):
            raise ConfigError(
                f"summarizer.artifact: {folder} uses features "
                f"{manifest.model.get('features')}, this newsdesk computes "
                f"{list(SENTENCE_FEATURES)}; retrain it"
            )
        head = load_head("sentence", manifest.model["head"], folder / WEIGHTS)
        assert isinstance(head, SentenceHead)
        return cls(manifest, head, lexical_view(folder, manifest))

    @torch.inference_mode()
    def score(self, doc: EncodedText, limit: int | None = None) -> dict[int, float]:
        """Sentence index → ranking score, for every body sentence (the first `limit` when given)."""
        body, feats = sentence_features(doc, self.tfidf, limit)
        if not body:
            return {}
        probs = torch.sigmoid(self.head(torch.from_numpy(feats))).numpy()
        words = np.array([max(doc.sentences[i].words, 1) for i in body], np.float32)
        return dict(zip(body, ranking_scores(probs, words, self.length_exponent).tolist(), strict=True))

    def scorer_for(self, doc: EncodedText, limit: int | None = None) -> Callable[[list[int]], np.ndarray]:
        """What `summarize` calls with its candidates (of the first `limit` body sentences): their scores."""
        scores = self.score(doc, limit)
        return lambda candidates: np.array([scores[i] for i in candidates], np.float32)
