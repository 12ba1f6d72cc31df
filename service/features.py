"""What a trained head sees of an article: dense views over its sentence vectors, and a sparse TF-IDF view.

Training and serving both build features here, from the same sentences and vectors, so a head sees at
serving time exactly what it was trained on.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from service.errors import ConfigError
from service.text import Sentence

# Dense views, each one vector of the encoder's width: the mean and the element-wise max over body
# sentences, the mean of the lead sentences, and the headline (the title, else a headline line).
VIEWS = ("mean", "max", "lead", "title")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@dataclass
class EncodedText:
    """An article as the heads read it: its sentences, and one vector per sentence followed by the
    title's vector when it has a title."""

    sentences: list[Sentence]
    vectors: np.ndarray
    title: str | None = None

    @classmethod
    def of_article(
        cls,
        sentences: list[Sentence],
        sentence_vectors: np.ndarray,
        title: str | None,
        title_vector: np.ndarray | None,
    ) -> EncodedText:
        rows = [sentence_vectors] + ([title_vector[None]] if title_vector is not None else [])
        return cls(sentences, np.concatenate(rows), title if title_vector is not None else None)

    def plan(self, lead: int) -> ViewPlan:
        return ViewPlan.of(self.sentences, self.title is not None, lead)

    @property
    def terms_text(self) -> str:
        """The text the sparse view reads: the title and every sentence but boilerplate."""
        parts = ([self.title] if self.title else []) + [
            s.text for s in self.sentences if s.role != "boilerplate"
        ]
        return "\n".join(parts)


@dataclass(frozen=True)
class ViewPlan:
    """Which rows of an article's vectors (its sentences, then the title if any) feed each view."""

    body: list[int]
    lead: list[int]
    title: int | None

    @classmethod
    def of(cls, sentences: Sequence[Sentence], has_title_vector: bool, lead: int) -> ViewPlan:
        body = [s.index for s in sentences if s.role == "body"] or [s.index for s in sentences]
        headline = [s.index for s in sentences if s.role == "headline"]
        title = len(sentences) if has_title_vector else (headline[0] if headline else None)
        return cls(body=body, lead=body[:lead], title=title)


def article_views(vectors: torch.Tensor, plan: ViewPlan, views: Sequence[str]) -> torch.Tensor:
    """The named views concatenated: (len(views) * dim,). Differentiable, so fine-tuning uses it too."""
    dim = vectors.shape[1]
    zeros = vectors.new_zeros(dim)
    out = []
    for view in views:
        if view == "mean":
            out.append(vectors[plan.body].mean(0) if plan.body else zeros)
        elif view == "max":
            out.append(vectors[plan.body].max(0).values if plan.body else zeros)
        elif view == "lead":
            out.append(vectors[plan.lead].mean(0) if plan.lead else zeros)
        elif view == "title":
            out.append(vectors[plan.title] if plan.title is not None else zeros)
        else:
            raise ValueError(f"unknown view {view!r}; known: {', '.join(VIEWS)}")
    return torch.cat(out) if out else vectors.new_zeros(0)


def words_of(text: str) -> list[str]:
    """The text's lower-cased word tokens, what every lexical feature counts."""
    return _TOKEN.findall(text.lower())


def ngrams_of(words: Sequence[str], ngrams: int) -> list[str]:
    """The words, then their 2- to `ngrams`-word sequences."""
    out = list(words)
    for n in range(2, ngrams + 1):
        out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
    return out


def terms(text: str, ngrams: int) -> list[str]:
    return ngrams_of(words_of(text), ngrams)


class TfidfView:
    """Sublinear TF-IDF over word n-grams, rows scaled to unit length (as scikit-learn's TfidfVectorizer
    with sublinear_tf=True, smooth_idf=True)."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray, ngrams: int):
        self.vocabulary = vocabulary
        self.index = {t: i for i, t in enumerate(vocabulary)}
        self.idf = np.asarray(idf, np.float32)
        self.ngrams = ngrams

    @classmethod
    def fit(cls, texts: Iterable[str], *, ngrams: int, min_df: int, max_terms: int) -> TfidfView:
        df: Counter[str] = Counter()
        n_docs = 0
        for text in texts:
            df.update(set(terms(text, ngrams)))
            n_docs += 1
        kept = [t for t, c in df.items() if c >= min_df]
        kept.sort(key=lambda t: (-df[t], t))
        vocabulary = sorted(kept[:max_terms])
        idf = np.array([math.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in vocabulary], np.float32)
        return cls(vocabulary, idf, ngrams)

    @classmethod
    def within(cls, sentences: Sequence[Sequence[str]], stop_words: Collection[str]) -> TfidfView:
        """A view of one article, its sentences given as `words_of` lists, that needs no corpus: each
        sentence is a document, idf = ln((1 + n) / df) (a word in every sentence weighs little, one in a
        single sentence most), stop words weigh 0."""
        df: Counter[str] = Counter()
        for words in sentences:
            df.update(set(words))
        vocabulary = sorted(df)
        n = len(sentences)
        idf = [0.0 if t in stop_words else math.log((1 + n) / df[t]) for t in vocabulary]
        return cls(vocabulary, np.array(idf, np.float32), 1)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def to_json(self) -> str:
        return json.dumps({"ngrams": self.ngrams, "terms": self.vocabulary, "idf": self.idf.tolist()})

    @classmethod
    def load(cls, path: Path) -> TfidfView:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(raw["terms"], np.asarray(raw["idf"], np.float32), int(raw["ngrams"]))
        except (OSError, ValueError, KeyError, TypeError) as e:  # ValueError: bad JSON, UTF-8 or numbers
            raise ConfigError(f"{path}: not a TF-IDF vocabulary ({e!r}); restore the file or retrain") from e

    def sparse_rows(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR parts (indptr, indices, values) of the texts' rows."""
        return self.rows_of_words([words_of(t) for t in texts])

    def rows_of_words(
        self, word_lists: Sequence[Sequence[str]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`sparse_rows` of texts already split by `words_of`."""
        indptr = [0]
        indices: list[int] = []
        values: list[float] = []
        for words in word_lists:
            grams = ngrams_of(words, self.ngrams)
            counts = Counter(i for i in map(self.index.get, grams) if i is not None)
            idx = np.fromiter(counts.keys(), np.int64, len(counts))
            val = (1.0 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))) * self.idf[idx]
            norm = float(np.linalg.norm(val))
            indices.extend(idx.tolist())
            values.extend((val / norm if norm > 0 else val).tolist())
            indptr.append(len(indices))
        return np.asarray(indptr, np.int64), np.asarray(indices, np.int64), np.asarray(values, np.float32)


def dense_rows(
    indptr: np.ndarray, indices: np.ndarray, values: np.ndarray, rows: Sequence[int], width: int
) -> torch.Tensor:
    """Rows of a CSR matrix as a dense (len(rows), width) tensor: a mini-batch for the head."""
    out = torch.zeros((len(rows), width), dtype=torch.float32)
    for r, row in enumerate(rows):
        a, b = int(indptr[row]), int(indptr[row + 1])
        out[r, torch.from_numpy(indices[a:b])] = torch.from_numpy(values[a:b])
    return out
