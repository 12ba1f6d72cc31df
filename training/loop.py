"""The training loop: epochs while the dev score improves, yielding progress; keeps the best weights.

Logging, progress bars and saving stay with the caller (as spaCy's `train_while_improving` does).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from torch import nn


@dataclass
class Progress:
    epoch: int
    loss: float | None  # None: the fit reports no loss (liblinear)
    dev_score: float
    best_score: float
    best_epoch: int


def train_while_improving(
    model: nn.Module,
    train_epoch: Callable[[], float | None],
    dev_score: Callable[[], float],
    *,
    epochs: int,
    patience: int,
) -> Iterator[Progress]:
    """Run `train_epoch` (returns the mean loss, or None) until `patience` epochs pass without a better
    `dev_score`, or `epochs` run out; then load the best epoch's weights back into `model`."""
    best_score, best_epoch = float("-inf"), 0
    best_state = copy.deepcopy(model.state_dict())
    for epoch in range(1, epochs + 1):
        model.train()
        loss = train_epoch()
        model.eval()
        score = dev_score()
        if score > best_score:
            best_score, best_epoch = score, epoch
            best_state = copy.deepcopy(model.state_dict())
        yield Progress(epoch, loss, score, best_score, best_epoch)
        if epoch - best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
