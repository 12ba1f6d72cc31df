"""Fine-tuning the encoder together with a topic head (`model.mode: finetune`).

The head is first trained on frozen vectors (as `frozen` does), then encoder and head learn together,
the encoder with a smaller learning rate. Sentences are encoded as the engine encodes them (mean over
the tokens of [CLS] sentence [SEP], unit length), cut to the encoder's window.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer

from service.features import EncodedText
from service.trained_tagger import TopicModel
from training.config import TrainConfig
from training.loop import Progress, train_while_improving
from training.topics import SplitFeatures, dev_metric


def pick_device(wanted: str) -> str:
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return wanted


class TrainableEncoder(nn.Module):
    def __init__(self, path: Path, window: int):
        super().__init__()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path)
        self.max_length = window

    def lengths(self, texts: Sequence[str]) -> list[int]:
        """Each text's tokens, cut to the window as `forward` cuts them."""
        ids = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)["input_ids"]
        return [len(i) for i in ids]

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        device = next(self.model.parameters()).device
        enc = self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.max_length,
            padding=True,
            return_tensors="pt",
            return_token_type_ids=False,
        )
        ids, mask = enc["input_ids"].to(device), enc["attention_mask"].to(device)
        states = self.model(
            input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids)
        ).last_hidden_state
        m = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
        return nn.functional.normalize(pooled, dim=-1)

    def save(self, folder: Path) -> None:
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)


def _texts(doc: EncodedText) -> list[str]:
    return [s.text for s in doc.sentences] + ([doc.title] if doc.title else [])


def forwards(lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Indices of `lengths`, shortest first, in forwards of at most `budget` padded tokens (count × longest;
    a text longer than that alone). Memory grows with padded tokens, and attention with the square of
    the longest, so a count of sentences bounds nothing: one long sentence pads all the others."""
    out: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if not out or (len(out[-1]) + 1) * lengths[i] > budget:
            out.append([])
        out[-1].append(i)
    return out


def dense_batch(
    model: TopicModel, encoder: TrainableEncoder, docs: Sequence[EncodedText], budget: int
) -> torch.Tensor:
    texts = [t for d in docs for t in _texts(d)]
    groups = forwards(encoder.lengths(texts), budget)
    vectors = torch.cat([encoder([texts[i] for i in g]) for g in groups])
    order = torch.tensor([i for g in groups for i in g])
    vectors = vectors[torch.argsort(order)]  # back in the articles' order
    out, start = [], 0
    for d in docs:
        n = len(_texts(d))
        out.append(model.dense(d, vectors[start : start + n]))
        start += n
    return torch.stack(out)


def encoded_features(
    model: TopicModel,
    encoder: TrainableEncoder,
    docs: Sequence[EncodedText],
    base: SplitFeatures,
    budget: int,
) -> SplitFeatures:
    """`base` with its dense views recomputed by the (fine-tuned) encoder."""
    with torch.inference_mode():
        return SplitFeatures(dense_batch(model, encoder, docs, budget).cpu(), base.sparse, base.gold)


def doc_tokens(encoder: TrainableEncoder, docs: Sequence[EncodedText]) -> list[int]:
    """Each article's tokens: its sentences' and headline's, as the encoder reads them."""
    return [sum(encoder.lengths(_texts(d))) for d in docs]


def passes(tokens: Sequence[int], rows: Sequence[int], budget: int) -> list[list[int]]:
    """`rows` in consecutive groups of at most `budget` tokens (`tokens[row]` each; an article longer than
    that alone)."""
    out: list[list[int]] = []
    used = budget
    for r in rows:
        if used + tokens[r] > budget:
            out.append([])
            used = 0
        out[-1].append(r)
        used += tokens[r]
    return out


def backward_batch(
    model: TopicModel, encoder: TrainableEncoder, docs: Sequence[EncodedText], train: SplitFeatures,
    rows: Sequence[int], tokens: Sequence[int], target: torch.Tensor, loss_fn: nn.Module, budget: int,
) -> float:
    """The batch's mean loss, its gradients accumulated pass by pass (`passes`): the gradients of one pass
    over the whole batch, with the encoder's activations of about `budget` tokens at most in memory."""
    head, device = model.head, target.device
    width = len(model.tfidf) if model.tfidf else 0
    total = 0.0
    for part in passes(tokens, rows, budget):
        dense = dense_batch(model, encoder, [docs[i] for i in part], budget)
        _, sparse = train.batch(part, width)
        loss = loss_fn(head(dense, None if sparse is None else sparse.to(device)), target[part])
        (loss * (len(part) / len(rows))).backward()
        total += loss.item() * len(part)
    return total / len(rows)


def finetune(
    model: TopicModel,
    encoder: TrainableEncoder,
    train_docs: Sequence[EncodedText],
    train: SplitFeatures,
    dev_docs: Sequence[EncodedText],
    dev: SplitFeatures,
    cfg: TrainConfig,
    device: str,
) -> Iterator[Progress]:
    hp = cfg.training
    head = model.head
    # The encoder's dropout draws from torch's generator: seeded here, as the head's fit before may have
    # drawn nothing from it (liblinear) or any number of times.
    torch.manual_seed(cfg.seed)
    encoder.to(device)
    head.to(device)
    both = nn.ModuleDict({"encoder": encoder.model, "head": head})
    opt = torch.optim.AdamW(
        [
            {"params": encoder.model.parameters(), "lr": hp.encoder_lr},
            {"params": head.parameters(), "lr": hp.lr},
        ],
        weight_decay=hp.weight_decay,
    )
    steps = hp.epochs * -(-len(train_docs) // hp.batch_size)
    warmup = max(1, steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1.0 - s / steps)
    )
    loss_fn: nn.Module = nn.BCEWithLogitsLoss() if model.multi_label else nn.CrossEntropyLoss()
    target = torch.from_numpy(train.gold if model.multi_label else train.gold.argmax(1)).to(device)
    gen = torch.Generator().manual_seed(cfg.seed)
    tokens = doc_tokens(encoder, train_docs)

    def epoch() -> float:
        order = torch.randperm(len(train_docs), generator=gen).tolist()
        total = 0.0
        for a in range(0, len(order), hp.batch_size):
            rows = order[a : a + hp.batch_size]
            opt.zero_grad()
            loss = backward_batch(
                model, encoder, train_docs, train, rows, tokens, target, loss_fn, hp.pass_tokens
            )
            nn.utils.clip_grad_norm_(both.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss * len(rows)
        return total / len(order)

    def dev_score() -> float:
        return dev_metric(model, encoded_features(model, encoder, dev_docs, dev, hp.pass_tokens), device)

    yield from train_while_improving(both, epoch, dev_score, epochs=hp.epochs, patience=hp.patience)
    encoder.to("cpu")
    head.to("cpu")
