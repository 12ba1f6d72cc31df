"""The sentence encoder: all-MiniLM-L6-v2 (or any local BERT-like folder), mean-pooled.

Texts are tokenised without truncation; a text longer than the model's window is
cut into windows that are encoded separately and averaged, so nothing is lost.
Pieces are sorted by length and batched, which halves the padding on news text.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from safetensors import SafetensorError
from threadpoolctl import threadpool_limits
from transformers import AutoConfig, AutoTokenizer, PreTrainedTokenizerBase

from service.config import EncoderConfig
from service.encoder_runtime import Forward, OnnxForward, TorchForward
from service.errors import ConfigError, EncodingStopped, first_line
from service.model_folder import encoder_fingerprint, resolve_encoder_path
from service.settings import usable_cache_root


@dataclass
class Encoded:
    """Unit-length vectors for each text, and optionally each text's token states.

    `tokens[i]` is (states [n, d] float32, char offsets [n, 2]) for text i, special
    tokens excluded; offsets are relative to text i.
    """

    vectors: np.ndarray
    tokens: list[tuple[np.ndarray, np.ndarray]] | None = None


class SentenceEncoder:
    def __init__(self, cfg: EncoderConfig):
        self.cfg = cfg
        self.path = resolve_encoder_path(cfg)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
            # numpy's OpenBLAS would start a thread per core for read-out's small products; two workers
            # (or the server's batches) then fight over the cores: 6 -> 31 ms an article (bench/README.md)
            threadpool_limits(cfg.threads)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(self.path)
            config = AutoConfig.from_pretrained(self.path)
            self.dim = int(config.hidden_size)
            self.window = min(cfg.max_tokens, int(config.max_position_embeddings)) - 2
            self.forward: Forward
            if cfg.runtime.startswith("torch"):
                self.forward = TorchForward.load(self.path, bf16=cfg.runtime == "torch-bf16")
            else:
                self.forward = OnnxForward(self.path, self.fingerprint, cfg.threads,
                                           usable_cache_root(), int8=cfg.runtime == "onnx-int8")
        except (OSError, ValueError, SafetensorError) as e:  # a folder missing files, or files cut short
            raise ConfigError(f"encoder: cannot load the model in {self.path}: {first_line(e)}") from e
        self.cls_id = self.tokenizer.cls_token_id
        self.sep_id = self.tokenizer.sep_token_id
        self.pad_id = self.tokenizer.pad_token_id or 0
        # The server calls encode from two threads (a batch, and an article's own fallback or a request's
        # labels); a fast tokenizer raises "Already borrowed" when two threads use it at once.
        self._lock = threading.Lock()
        self._pricing_lock = threading.Lock()

    @functools.cached_property
    def fingerprint(self) -> str:
        """The model's: what heads trained on its vectors check. The same for every runtime."""
        return encoder_fingerprint(self.path, self.cfg.max_tokens)

    @property
    def cache_key(self) -> str:
        """What cached vectors depend on: the model, and int8 weights or bfloat16 products, whose vectors
        differ (onnx and torch float32 agree to ~1e-5)."""
        variant = {"onnx-int8": "int8", "torch-bf16": "bf16"}.get(self.cfg.runtime)
        return f"{self.fingerprint}|{variant}" if variant else self.fingerprint

    @property
    def name(self) -> str:
        return self.path.name if self.cfg.package is None else self.cfg.package

    def encode(self, texts: list[str], *, with_tokens: bool = False,
               stop: Callable[[], bool] | None = None) -> Encoded:
        """Vectors of `texts`; `stop`, asked between forward passes, can end a call whose result nobody
        wants any more (its requests timed out): `EncodingStopped`."""
        with self._lock:
            return self._encode(texts, with_tokens, stop)

    @functools.cached_property
    def _pricing(self) -> PreTrainedTokenizerBase:
        """`token_ends` runs in prepare, on the reading thread, while a batch is encoded: a tokenizer of its
        own, so that pricing an article never waits for the encoder. Loaded by the first text long enough
        to need it, not at start."""
        return AutoTokenizer.from_pretrained(self.path)

    def token_ends(self, texts: list[str]) -> list[list[int]]:
        """Where each token of each text ends (character offsets into it, special tokens left out)."""
        with self._pricing_lock:
            enc = self._pricing(texts, add_special_tokens=False, return_offsets_mapping=True,
                                return_attention_mask=False, verbose=False)
        return [[end for _, end in offsets] for offsets in enc["offset_mapping"]]

    def cost(self, tokens: int) -> int:
        """The tokens the model reads for a text of `tokens` tokens: each window adds its two specials."""
        return tokens + 2 * max(1, -(-tokens // self.window))

    def tokens_within(self, cost: int) -> int:
        """The most tokens of one text that `cost` pays for."""
        return (cost - 2) * self.window // (self.window + 2)

    def _encode(self, texts: list[str], with_tokens: bool, stop: Callable[[], bool] | None) -> Encoded:
        if not texts:
            return Encoded(np.zeros((0, self.dim), np.float32), [] if with_tokens else None)
        enc = self.tokenizer(
            texts, add_special_tokens=False, truncation=False, return_offsets_mapping=True,
            return_attention_mask=False, verbose=False,
        )
        # Pieces: (text index, token ids) with at most `window` tokens each.
        pieces: list[tuple[int, list[int]]] = []
        for i, ids in enumerate(enc["input_ids"]):
            if not ids:
                pieces.append((i, []))
            for s in range(0, len(ids), self.window):
                pieces.append((i, ids[s : s + self.window]))
        order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][1]))
        piece_sum = np.zeros((len(pieces), self.dim), np.float32)
        piece_n = np.zeros(len(pieces), np.float32)
        piece_states: list[np.ndarray | None] = [None] * len(pieces)
        bs = self.cfg.batch_size
        for b in range(0, len(order), bs):
            if stop is not None and stop():
                raise EncodingStopped
            batch = order[b : b + bs]
            width = max(len(pieces[k][1]) for k in batch) + 2
            ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for r, k in enumerate(batch):
                row = [self.cls_id, *pieces[k][1], self.sep_id]
                ids[r, : len(row)] = row
                mask[r, : len(row)] = 1
            out = self.forward(ids, mask)
            sums = (out * mask[:, :, None].astype(out.dtype)).sum(1)
            for r, k in enumerate(batch):
                piece_sum[k] = sums[r]
                piece_n[k] = float(mask[r].sum())
                if with_tokens:
                    n = len(pieces[k][1])
                    piece_states[k] = out[r, 1 : 1 + n].copy()
        # Mean-pool over all pieces of a text (as sentence-transformers pools one window).
        vectors = np.zeros((len(texts), self.dim), np.float32)
        counts = np.zeros(len(texts), np.float32)
        for k, (i, _) in enumerate(pieces):
            vectors[i] += piece_sum[k]
            counts[i] += piece_n[k]
        vectors /= np.maximum(counts, 1.0)[:, None]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        tokens = None
        if with_tokens:
            tokens = []
            by_text: dict[int, list[np.ndarray]] = {}
            for k, (i, _) in enumerate(pieces):
                st = piece_states[k]
                if st is not None and len(st):
                    by_text.setdefault(i, []).append(st)
            for i in range(len(texts)):
                parts = by_text.get(i)
                states = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
                offs = np.asarray(enc["offset_mapping"][i], dtype=np.int64).reshape(-1, 2)
                tokens.append((states, offs))
        return Encoded(vectors, tokens)
