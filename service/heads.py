"""The trainable heads: small torch modules whose weights travel as safetensors.

`TopicHead` maps an article's dense views (and optionally its sparse TF-IDF row) to one logit per label;
`SentenceHead` maps a sentence's features to one score. `training/` fits them, the engine loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save
from torch import nn

from service.errors import ConfigError


def _mlp(n_in: int, n_out: int, hidden: int, dropout: float) -> nn.Module:
    if hidden <= 0:
        return nn.Linear(n_in, n_out)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_out))


class TopicHead(nn.Module):
    """logits = f(dense) + W · tfidf, f linear or a one-hidden-layer MLP; `thresholds` are the logits at
    which each label is predicted (tuned on dev for multi-label, 0 otherwise)."""

    def __init__(
        self, dense_dim: int, vocab_size: int, n_labels: int, *, hidden: int = 0, dropout: float = 0.0
    ):
        super().__init__()
        self.shape = {
            "dense_dim": dense_dim,
            "vocab_size": vocab_size,
            "n_labels": n_labels,
            "hidden": hidden,
            "dropout": dropout,
        }
        self.drop = nn.Dropout(dropout)
        self.dense = _mlp(dense_dim, n_labels, hidden, dropout)
        self.sparse = nn.Linear(vocab_size, n_labels, bias=False) if vocab_size else None
        self.register_buffer("thresholds", torch.zeros(n_labels))

    def forward(self, dense: torch.Tensor, sparse: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.dense(self.drop(dense))
        if self.sparse is not None and sparse is not None:
            logits = logits + self.sparse(sparse)
        return logits


class SentenceHead(nn.Module):
    """score = MLP((features - mean) / std): the standardisation is fitted on train and saved with it.
    With `members` > 1, the mean score of that many MLPs trained from different seeds (an ensemble)."""

    def __init__(self, n_features: int, *, hidden: int = 32, dropout: float = 0.0, members: int = 1):
        super().__init__()
        self.shape = {"n_features": n_features, "hidden": hidden, "dropout": dropout}
        if members > 1:  # left out for one: the artifacts from before ensembles keep their shape
            self.shape["members"] = members
        self.net = _mlp(n_features, 1, hidden, dropout)
        self.more = nn.ModuleList(_mlp(n_features, 1, hidden, dropout) for _ in range(members - 1))
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("std", torch.ones(n_features))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = (features - self.mean) / self.std
        if not self.more:
            return self.net(x).squeeze(-1)
        return torch.stack([net(x) for net in (self.net, *self.more)]).mean(0).squeeze(-1)

    @classmethod
    def ensemble(cls, heads: list[SentenceHead]) -> SentenceHead:
        """One head that scores as the mean of `heads` (trained on the same features and standardisation)."""
        out = cls(**{**heads[0].shape, "members": len(heads)})
        out.mean.copy_(heads[0].mean)
        out.std.copy_(heads[0].std)
        for net, head in zip((out.net, *out.more), heads, strict=True):
            net.load_state_dict(head.net.state_dict())
        return out.eval()


HEADS: dict[str, type[nn.Module]] = {"topic": TopicHead, "sentence": SentenceHead}


def head_bytes(head: nn.Module) -> bytes:
    """The head's weights and buffers as a safetensors file's bytes."""
    return save({k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()})


def load_head(kind: str, shape: dict[str, Any], path: Path) -> nn.Module:
    """Rebuild a head from its manifest shape and load its weights; a mismatch is a ConfigError."""
    try:
        head = HEADS[kind](**shape)
    except (KeyError, TypeError) as e:
        raise ConfigError(
            f"{path}: the manifest's model shape {shape} does not describe a {kind} head: {e}"
        ) from e
    try:
        state = load_file(str(path))
    except (OSError, SafetensorError) as e:
        raise ConfigError(f"{path}: cannot read the weights ({e}); restore the file or retrain") from e
    try:
        head.load_state_dict({k: v for k, v in state.items() if k in head.state_dict()}, strict=True)
    except RuntimeError as e:
        raise ConfigError(
            f"{path}: weights do not fit the manifest's model shape: {str(e).splitlines()[0]}"
        ) from e
    return head.eval()
