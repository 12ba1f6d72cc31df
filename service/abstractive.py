"""Abstractive summaries from a transformers seq2seq model (T5, BART, Pegasus, ...) in a local folder.

The model reads at most `window` tokens. A longer article is cut at sentence boundaries into chunks
that fit; each chunk is summarised (in at most half a chunk's tokens, so every pass shrinks the text)
and the partial summaries, joined, are summarised again, as one text once they fit the window (at most
MAX_ROUNDS passes in all), so that `no_repeat_ngram_size` holds across them too. The result is cut at a
word boundary, so a summary never has more words than asked for. Nothing of the article is dropped to
fit the window.

Length is counted in words: a request's `summary_words`, or `summary_sentences` (default:
`summarizer.sentences`) times WORDS_PER_SENTENCE. Generated text has no offsets into the article.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from huggingface_hub.errors import StrictDataclassError
from transformers import (
    AutoConfig,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    LogitsProcessor,
    LogitsProcessorList,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
)
from transformers.utils import logging as hf_logging

from service.config import SummarizerConfig
from service.errors import ConfigError, EncodingStopped, NewsdeskError
from service.model_folder import encoder_fingerprint, files_fingerprint
from service.schemas import ModelInfo

WORDS_PER_SENTENCE = 25  # a news sentence averages 20-25 words: `summary_sentences` 3 asks for 75 words
TOKENS_PER_WORD = 1.5  # subword tokens an English word takes, generously: the text is cut to the budget later
MIN_NEW_FRACTION = 0.3  # min_new_tokens as a share of max_new_tokens: no one-word summaries
MAX_WINDOW = 1024  # tokenizers of models without a fixed window report a huge model_max_length
MAX_ROUNDS = 3  # summarise, then summarise the joined partial summaries at most twice more
BATCH_SIZE = 8  # model inputs per generate call
PIECE_SLACK = 4  # tokens a sentence piece may gain when it is tokenised inside a chunk
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")  # save_pretrained writes both
MIN_VOCAB_SHARE = 0.5  # a tokenizer with fewer tokens than this share of the model's vocabulary lacks its own
# Besides the weights, config and tokenizer.json (the encoder's fingerprint), what a summary depends on:
# the tokenizer's settings and special tokens, slow vocabulary files and the generation defaults.
SEQ2SEQ_FILES = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "spiece.model",
                 "sentencepiece.bpe.model", "vocab.json", "merges.txt", "generation_config.json")

class SummaryFailed(NewsdeskError):
    """The model failed while generating a summary (out of memory, say): not the article's fault, and not
    the folder's (`Seq2SeqSummarizer` checks at start that its model generates)."""

    code = "summary_failed"
    status = 503


def word_budget(cfg: SummarizerConfig, n_sentences: int | None, n_words: int | None) -> int:
    """The most words a summary may have: `n_words`, else sentences times WORDS_PER_SENTENCE."""
    if n_words is not None:
        return n_words
    return (n_sentences or cfg.sentences) * WORDS_PER_SENTENCE


def cut_to_words(text: str, n_words: int) -> str:
    """`text` with at most `n_words` words, ending at a sentence end when one falls in the second half."""
    words = text.split()
    if len(words) <= n_words:
        return " ".join(words)
    kept = words[:n_words]
    for j in range(n_words - 1, n_words // 2 - 1, -1):
        if kept[j].endswith((".", "!", "?")):
            return " ".join(kept[: j + 1])
    return " ".join(kept)


def open_model_folder(cfg: SummarizerConfig) -> tuple[PretrainedConfig, PreTrainedTokenizerBase, int]:
    """The folder's model config, its tokenizer and the window, checked; the weights are not read."""
    assert cfg.path is not None  # the config's validator requires it for kind seq2seq
    path = cfg.path
    where = f"summarizer.path: {path}"
    if not path.is_dir():
        raise ConfigError(f"{where}: no such folder (save a seq2seq model there with save_pretrained)")
    if not (path / "config.json").is_file():
        raise ConfigError(f"{where}: not a transformers model folder (no config.json)")
    try:
        config = AutoConfig.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, StrictDataclassError) as e:  # the last: a value of the wrong type
        raise ConfigError(f"{where}: unreadable config.json: {_one_line(e)}") from e
    if not getattr(config, "is_encoder_decoder", False):
        raise ConfigError(f"{where}: holds a {config.model_type!r} model, not a seq2seq "
                          "(encoder-decoder) model such as T5, BART or Pegasus")
    # Without its files AutoTokenizer builds an empty default tokenizer for the model type.
    if not any((path / f).is_file() for f in TOKENIZER_FILES):
        raise ConfigError(f"{where}: no tokenizer ({' or '.join(TOKENIZER_FILES)}); save the model's "
                          "tokenizer into the same folder")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    except (OSError, ValueError, TypeError, AttributeError) as e:  # the last: a settings file not an object
        raise ConfigError(f"{where}: no usable tokenizer (save one with the model): "
                          f"{str(e).splitlines()[0]}") from e
    if not tokenizer.is_fast:  # chunking cuts over-long sentences by token offsets
        raise ConfigError(f"{where}: the tokenizer has no tokenizer.json (a fast tokenizer is needed)")
    # Without a vocabulary file the tokenizer class still loads, with its special tokens only, and
    # every word becomes the unknown token: summaries of nothing.
    own_files = getattr(tokenizer, "vocab_files_names", None) or {}
    vocab_files = tuple(dict.fromkeys(["tokenizer.json", *own_files.values()]))
    if not any((path / f).is_file() for f in vocab_files):
        raise ConfigError(f"{where}: the tokenizer has no vocabulary ({' or '.join(vocab_files)} missing); "
                          "save the model's tokenizer into the same folder")
    vocab = getattr(config, "vocab_size", None)
    if vocab and len(tokenizer) > vocab:
        raise ConfigError(f"{where}: the tokenizer has {len(tokenizer)} tokens but the model only "
                          f"{vocab}: they do not belong together")
    if vocab and len(tokenizer) < vocab * MIN_VOCAB_SHARE:
        raise ConfigError(f"{where}: the tokenizer has only {len(tokenizer)} tokens for a model of {vocab}: "
                          "its vocabulary is missing or it is another model's")
    positions = getattr(config, "max_position_embeddings", None)  # a hard limit where a model has one
    if cfg.max_input_tokens is None:
        window = min(tokenizer.model_max_length, positions or MAX_WINDOW, MAX_WINDOW)
    elif positions and cfg.max_input_tokens > positions:
        raise ConfigError(f"summarizer.max_input_tokens: {cfg.max_input_tokens} is more than the "
                          f"{positions} positions of the model at {path}")
    else:
        window = cfg.max_input_tokens
    return config, tokenizer, window


def seq2seq_model_info(cfg: SummarizerConfig) -> ModelInfo:
    """What a Seq2SeqSummarizer for `cfg` reports as its model, without loading the weights: the batch
    scorer checks it against an output's manifest before any worker loads a model."""
    assert cfg.path is not None
    return _model_info(cfg.path, open_model_folder(cfg)[2])


def _model_info(path: Path, window: int) -> ModelInfo:
    # The folder's name, and a hash of its config, tokenizer and weights (as for the encoder, sharded
    # weights included) and of the tokenizer's and generation settings.
    version = files_fingerprint(path, SEQ2SEQ_FILES, f"weights={encoder_fingerprint(path, window)}")
    return ModelInfo(name=path.name, version=version)


def _one_line(e: BaseException) -> str:
    """An exception's message in one line (transformers' can run to many, or point at a log report)."""
    text = " ".join(str(e).split()).split(" For details look at the ")[0]
    if len(text) > 300:
        text = text[:297] + "..."
    return text or type(e).__name__


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """transformers' warnings off (a LOAD REPORT of a screenful for weights that do not fit): what is
    wrong is raised as one line instead."""
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)


def load_seq2seq_model(path: Path) -> PreTrainedModel:
    """The seq2seq model saved in `path`, in eval mode; a ConfigError in one line if its weights do not
    load or do not fit its config.json (transformers would start such tensors from random values)."""
    where = f"summarizer.path: {path}"
    try:
        with _quiet_transformers():
            model, info = AutoModelForSeq2SeqLM.from_pretrained(
                path, local_files_only=True, ignore_mismatched_sizes=True, output_loading_info=True)
    except Exception as e:  # corrupt weights raise SafetensorError, UnpicklingError, ... as well
        raise ConfigError(f"{where}: cannot load a seq2seq model: {_one_line(e)}") from e
    # Weights the file holds beyond the model's are left unread, as transformers does (older hub
    # checkpoints carry some); too few or misshapen ones would be random values.
    mismatched = sorted(info.get("mismatched_keys") or [])
    missing = sorted(info.get("missing_keys") or [])
    if mismatched:
        key, in_file, in_config = mismatched[0]
        problem = (f"{len(mismatched)} weights do not have the shape config.json gives them, e.g. {key}: "
                   f"{list(in_file)} in the weights, {list(in_config)} from config.json")
    elif missing:
        problem = (f"the model config.json describes needs {len(missing)} weights the weight files lack, "
                   f"e.g. {missing[0]}")
    else:
        return model.eval()
    raise ConfigError(f"{where}: cannot load a seq2seq model: {problem}")


class Seq2SeqSummarizer:
    """A seq2seq model and its tokenizer, loaded once from `cfg.path` (local files only)."""

    def __init__(self, cfg: SummarizerConfig):
        config, self.tokenizer, self.window = open_model_folder(cfg)
        self.cfg = cfg
        self.path = path = cfg.path
        assert path is not None  # open_model_folder checked it
        if cfg.prefix is not None:
            self.prefix = cfg.prefix
        else:  # T5 checkpoints name their task prefix in config.json
            task_params = getattr(config, "task_specific_params", None) or {}
            self.prefix = (task_params.get("summarization") or {}).get("prefix", "")
        # Content tokens a chunk may hold: the window less the prefix and the special tokens.
        self.budget = self.window - len(self.tokenizer(self.prefix).input_ids)
        if self.budget < 2 * PIECE_SLACK:
            if cfg.max_input_tokens is not None:
                window = f"summarizer.max_input_tokens: {self.window} tokens leave"
            else:  # the user set nothing: the model's own window is what is too small
                window = (f"summarizer.path: {path}: the model's window of {self.window} tokens (its "
                          "tokenizer's model_max_length or config.json's max_position_embeddings) leaves")
            raise ConfigError(f"{window} no room for text after the prefix {self.prefix!r}")
        self.model = load_seq2seq_model(path)
        # Lengths come from each request (max/min_new_tokens, which win anyway); a checkpoint's own
        # max_length/min_length (distilbart-cnn: 142/56) would only log a warning on every call.
        self.model.generation_config.max_length = None
        self.model.generation_config.min_length = None
        self._check_generates()
        self.model_info = _model_info(path, self.window)

    def _check_generates(self) -> None:
        """One token for a one-word input: a model that cannot start generating (no decoder_start_token_id
        or bos_token_id in config.json or generation_config.json, say) fails at start, not at each request."""
        try:
            with _quiet_transformers():
                self.generate_ids([self.prefix + "News."], 1)
        except Exception as e:  # whatever generate raises: the folder is what is wrong
            raise ConfigError(f"summarizer.path: {self.path}: the model cannot generate a summary: "
                              f"{_one_line(e)}") from e

    # -- chunking ----------------------------------------------------------------------------------
    def _n_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, verbose=False).input_ids)  # no warning for text over the window

    def chunk(self, texts: list[str]) -> list[str]:
        """Model inputs for the sentences `texts`: the prefix and whole sentences, in order, each input
        at most `window` tokens with its special tokens. A sentence longer than that alone is cut
        into pieces at token boundaries."""
        limit = self.budget - PIECE_SLACK
        # Counted with a leading space, as a sentence stands inside a chunk; longer than the window is
        # expected here (verbose=False: transformers would warn of it in plain text, amid the JSON log).
        enc = self.tokenizer([" " + t for t in texts], add_special_tokens=False, return_offsets_mapping=True,
                             verbose=False)
        pieces: list[str] = []
        counts: list[int] = []
        for text, ids, offsets in zip(texts, enc["input_ids"], enc["offset_mapping"], strict=True):
            if len(ids) <= limit:
                pieces.append(text)
                counts.append(len(ids))
                continue
            for a in range(0, len(ids), limit):
                b = min(a + limit, len(ids))
                # From where this piece's first token starts to where the next one's does (-1: the space):
                # a byte-level BPE spreads a character over tokens that share its offsets, so ending at a
                # token's end would put that character into both pieces.
                start = offsets[a][0] - 1 if a else 0
                end = offsets[b][0] - 1 if b < len(ids) else len(text)
                piece = text[start:end].strip()
                if piece:
                    pieces.append(piece)
                    counts.append(b - a)
        chunks: list[str] = []
        i = 0
        while i < len(pieces):
            j, total = i, 0
            while j < len(pieces) and total + counts[j] <= self.budget:
                total += counts[j]
                j += 1
            j = max(j, i + 1)
            # Tokens can merge or split where sentences meet: check the chunk as the model will see it.
            while j > i + 1 and self._n_tokens(self.prefix + " ".join(pieces[i:j])) > self.window:
                j -= 1
            chunks.append(self.prefix + " ".join(pieces[i:j]))
            i = j
        return chunks

    # -- generation --------------------------------------------------------------------------------
    def max_new_tokens(self, n_words: int, *, partial: bool) -> int:
        """Tokens to generate for a summary of `n_words` words. A partial summary (of one chunk of
        several) gets at most half a chunk, so that every round of summarising shrinks the text."""
        cap = self.budget // 2 if partial else self.window
        return max(1, min(math.ceil(n_words * TOKENS_PER_WORD) + 2, cap))

    def min_new_tokens(self, model_input: str, max_new_tokens: int) -> int:
        """The fewest tokens to generate for `model_input`, so that a model does not stop after a word or
        two: MIN_NEW_FRACTION of `max_new_tokens`, but never more than half the input's own tokens (a
        summary is shorter than its text): a model made to write on past its end invents ("Hello." got 75
        words), and `summary_words` is an upper bound, not a length to fill."""
        own = self._n_tokens(model_input) - (self.window - self.budget)  # less the prefix and special tokens
        return min(int(max_new_tokens * MIN_NEW_FRACTION), max(own, 0) // 2)

    def generate_ids(self, inputs: list[str], max_new_tokens: int, min_new_tokens: list[int] | None = None,
                     stop: Callable[[], bool] | None = None) -> list[list[int]]:
        """Generated token ids for each model input (trailing pads dropped), at least `min_new_tokens[k]`
        for input k. `stop`, asked after every generated token, ends the call once nobody wants its
        result: `EncodingStopped`."""
        settings = {
            "max_new_tokens": max_new_tokens,
            "num_beams": self.cfg.num_beams,
            "no_repeat_ngram_size": self.cfg.no_repeat_ngram_size,
        }
        eos = self.model.generation_config.eos_token_id
        pad = self.tokenizer.pad_token_id
        out: list[list[int]] = [[] for _ in inputs]
        order = sorted(range(len(inputs)), key=lambda k: len(inputs[k]))  # similar lengths pad less
        for b in range(0, len(order), BATCH_SIZE):
            batch = order[b : b + BATCH_SIZE]
            # `chunk` keeps inputs within the window; truncation only guards against a caller's own text.
            enc = self.tokenizer([inputs[k] for k in batch], padding=True, truncation=True,
                                 max_length=self.window, return_tensors="pt")
            # A model without an end-of-text token writes to max_new_tokens anyway.
            at_least = [] if min_new_tokens is None or eos is None else [
                _AtLeast([min_new_tokens[k] for k in batch], eos)]
            stopper = _StopWhen(stop)
            with torch.inference_mode():
                ids = self.model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"],
                                          logits_processor=LogitsProcessorList(at_least),
                                          stopping_criteria=StoppingCriteriaList([stopper]), **settings)
            if stopper.stopped:
                raise EncodingStopped
            for k, row in zip(batch, ids.tolist(), strict=True):
                while row and row[-1] == pad:
                    row.pop()
                out[k] = row
        return out

    def _generate(self, inputs: list[str], max_new: list[int], stop: Callable[[], bool] | None) -> list[str]:
        """Generated text for each input, one pass per distinct length."""
        out = [""] * len(inputs)
        by_length: dict[int, list[int]] = {}
        for k, n in enumerate(max_new):
            by_length.setdefault(n, []).append(k)
        for n, ks in by_length.items():
            group = [inputs[k] for k in ks]
            ids = self.generate_ids(group, n, [self.min_new_tokens(t, n) for t in group], stop)
            for k, text in zip(ks, self.tokenizer.batch_decode(ids, skip_special_tokens=True), strict=True):
                out[k] = text.strip()
        return out

    def summarize_many(self, articles: list[list[str]], n_words: list[int],
                       stop: Callable[[], bool] | None = None) -> list[str]:
        """A summary of at most `n_words[i]` words for each article, given as its sentences' texts.

        All articles' chunks go through the model together, one round at a time. `stop`: see
        `generate_ids`. The model failing raises `SummaryFailed` (a 503), not what it raised (a 500).
        """
        try:
            return self._summarize_rounds(articles, n_words, stop)
        except EncodingStopped:
            raise
        except Exception as e:  # the folder was checked at start: this is the model's run, not the input
            raise SummaryFailed(f"the summariser failed ({_one_line(e)}); retry, or leave `summary` out of "
                                "`include`") from e

    def _summarize_rounds(self, articles: list[list[str]], n_words: list[int],
                          stop: Callable[[], bool] | None) -> list[str]:
        units = [[t for t in sentences if t.strip()] for sentences in articles]
        out: list[str | None] = [None if u else "" for u in units]
        for round_ in range(1, MAX_ROUNDS + 1):
            todo = [i for i, o in enumerate(out) if o is None]
            if not todo:
                break
            jobs: list[tuple[int, str, int]] = []  # (article, model input, tokens to generate)
            for i in todo:
                chunks = self.chunk(units[i])
                n = self.max_new_tokens(n_words[i], partial=len(chunks) > 1)
                jobs.extend((i, c, n) for c in chunks)
            partials = self._generate([c for _, c, _ in jobs], [n for *_, n in jobs], stop)
            by_article: dict[int, list[str]] = {}
            for (i, _, _), text in zip(jobs, partials, strict=True):
                by_article.setdefault(i, []).append(text)
            for i in todo:
                parts = [t for t in by_article[i] if t]
                if len(parts) <= 1 or round_ == MAX_ROUNDS:
                    out[i] = cut_to_words(" ".join(parts), n_words[i])
                else:  # the next round's sentences, even when they fit the budget: `no_repeat_ngram_size`
                    units[i] = parts  # works within one generation, and each part was one
        return [o or "" for o in out]


class _AtLeast(LogitsProcessor):
    """Keeps the end-of-text token out of each input's sequences (its beams) until they have `floors[i]`
    new tokens: transformers' `min_new_tokens` is one number for a whole batch, and what an article gets
    must not depend on the articles it shares a batch with."""

    def __init__(self, floors: list[int], eos: int | list[int]):
        self.floors = torch.tensor(floors)
        self.eos = [eos] if isinstance(eos, int) else eos
        self.start: int | None = None  # the decoder's prompt length: the sequences' at the first call

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.start is None:
            self.start = input_ids.shape[1]
        floors = self.floors.repeat_interleave(input_ids.shape[0] // len(self.floors))  # rows: input-major
        blocked = torch.zeros_like(scores, dtype=torch.bool)
        blocked[:, self.eos] = (floors > input_ids.shape[1] - self.start)[:, None]
        return scores.masked_fill(blocked, -math.inf)


class _StopWhen(StoppingCriteria):
    """Ends `generate` after the current token once `stop()` says so (never without a `stop`); `stopped`
    tells whether it did."""

    def __init__(self, stop: Callable[[], bool] | None):
        self.stop = stop
        self.stopped = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor | None, **kwargs: object
                 ) -> torch.BoolTensor:
        self.stopped = self.stopped or (self.stop is not None and self.stop())
        return torch.full((input_ids.shape[0],), self.stopped, dtype=torch.bool, device=input_ids.device)
