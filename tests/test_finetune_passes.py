"""Fine-tuning in bounded memory: a batch's articles go through the encoder in passes of a few tokens,
and their gradients add up to those of one pass over the whole batch."""

from __future__ import annotations

import torch
from torch import nn
from train_fixtures import write_recipe

from training.config import load_train_config
from training.data import load_dataset
from training.finetune import TrainableEncoder, backward_batch, dense_batch, doc_tokens, forwards, passes
from training.topics import features, gold_matrix, new_model
from training.vectors import VectorCache, encode_examples, engine_for


def test_passes_add_up_to_one_batchs_gradients(tmp_path, vector_cache) -> None:
    cfg = load_train_config(write_recipe(tmp_path, "multi-class", cache=str(vector_cache)))
    ds = load_dataset(cfg)
    engine = engine_for(cfg.model.encoder)
    rows = ds.splits["train"][:6]
    docs = encode_examples(engine, rows, VectorCache(cfg.cache, engine), "train")
    codes = [lb.code for lb in ds.taxonomy]
    model = new_model(cfg, docs, len(codes), docs[0].vectors.shape[1])
    feats = features(model, docs, gold_matrix(rows, codes))
    encoder = TrainableEncoder(engine.encoder.path, cfg.model.encoder.max_tokens).eval()  # no dropout
    model.head.eval()
    target = torch.from_numpy(feats.gold.argmax(1))
    batch = list(range(len(docs)))

    def gradients(budget: int) -> tuple[float, list[torch.Tensor]]:
        encoder.zero_grad()
        model.head.zero_grad()
        loss = backward_batch(
            model, encoder, docs, feats, batch, tokens, target, nn.CrossEntropyLoss(), budget
        )
        params = [*encoder.parameters(), *model.head.parameters()]
        return loss, [p.grad.clone() for p in params if p.grad is not None]

    tokens = doc_tokens(encoder, docs)
    budget = 2 * max(tokens)
    split = passes(tokens, batch, budget)
    assert [i for part in split for i in part] == batch and 2 <= len(split) < len(batch)
    assert all(sum(tokens[i] for i in part) <= budget for part in split)
    assert passes(tokens, batch, 1) == [[i] for i in batch]  # an article longer than the budget goes alone
    with torch.no_grad():  # by length in small forwards, back in the articles' order: the engine's views
        assert torch.allclose(dense_batch(model, encoder, docs, 64), feats.dense, atol=1e-4)
    whole, in_passes = gradients(1_000_000), gradients(budget)
    assert abs(whole[0] - in_passes[0]) < 1e-5
    assert len(whole[1]) == len(in_passes[1]) > 100  # the encoder's and the head's
    pairs = zip(whole[1], in_passes[1], strict=True)
    assert all(torch.allclose(a, b, atol=1e-6, rtol=1e-4) for a, b in pairs)


def test_forwards_pad_to_a_token_budget_shortest_first() -> None:
    lengths = [5, 40, 7, 300, 12, 12, 6]
    groups = forwards(lengths, 36)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    flat = [lengths[i] for g in groups for i in g]
    assert flat == sorted(flat)  # each forward pads to its longest, so similar lengths go together
    for g in groups:  # count × longest within the budget, unless one text alone is longer
        assert len(g) * max(lengths[i] for i in g) <= 36 or len(g) == 1
    assert [lengths[i] for i in groups[-1]] == [300] and [lengths[i] for i in groups[-2]] == [40]
