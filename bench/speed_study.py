"""Engine speed study: torch threads, length bucketing and padding waste, spaCy components, spaCy beside
the encoder, and int8 dynamic quantisation and bfloat16 with their agreement with fp32 on the BBC test split.

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.speed_study [--parts threads,buckets,spacy,overlap,int8]
                                                           [--articles 0] [--runs 15] [--config C]

Every figure is a ratio against a baseline timed in the same process, runs interleaved so that drift
(other work on the machine) hits both alike. Medians of `--runs`.
"""

from __future__ import annotations

import argparse
import copy
import functools
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from bench.bbc import load_split
from service.analyzer import Analyzer, Prepared
from service.encoder_runtime import Forward, OnnxForward, TorchForward
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.settings import DEFAULT_CONFIG, PROJECT_ROOT, get_settings

SEED = PROJECT_ROOT / "seeds" / "iraq-coalition-security-partnership.txt"


def timed(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median ms of each function, interleaved run by run after one warm-up each."""
    for f in fns.values():
        f()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(runs):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            samples[k].append((time.perf_counter() - t) * 1000)
    return {k: statistics.median(v) for k, v in samples.items()}


def show(title: str, ms: dict[str, float], base: str) -> None:
    print(f"\n## {title}")
    for k, v in ms.items():
        print(f"  {k:<44} {v:8.1f} ms   x{v / ms[base]:.2f} of {base}")


def study_threads(an: Analyzer, seed_texts: list[str], batch_texts: list[str], runs: int) -> None:
    def enc(texts: list[str], n: int) -> Callable[[], object]:
        def f() -> object:
            torch.set_num_threads(n)
            return an.encoder.encode(texts, with_tokens=True)
        return f

    before, configured = torch.get_num_threads(), an.encoder.forward
    an.encoder.forward = TorchForward.load(an.encoder.path)  # threads of torch's runtime
    ms = timed({"seed, 2 threads": enc(seed_texts, 2), "seed, 1 thread": enc(seed_texts, 1),
                "8 articles, 2 threads": enc(batch_texts, 2),
                "8 articles, 1 thread": enc(batch_texts, 1)}, runs)
    torch.set_num_threads(before)
    an.encoder.forward = configured
    show("torch threads (encoder pass, torch runtime)", ms, "seed, 2 threads")


def padding(an: Analyzer, texts: list[str], batch_size: int, sort: bool) -> float:
    """Share of the encoder's token slots that are padding."""
    lengths = [min(len(ids), an.encoder.window) + 2 for ids in an.encoder.tokenizer(
        texts, add_special_tokens=False, verbose=False)["input_ids"]]
    order = sorted(lengths) if sort else lengths
    slots = sum(max(order[i : i + batch_size]) * len(order[i : i + batch_size])
                for i in range(0, len(order), batch_size))
    return 1 - sum(lengths) / slots


def study_buckets(an: Analyzer, seed_texts: list[str], batch_texts: list[str], runs: int) -> None:
    enc = an.encoder
    base_bs = enc.cfg.batch_size

    def with_bs(texts: list[str], bs: int) -> Callable[[], object]:
        cfg = enc.cfg.model_copy(update={"batch_size": bs})

        def f() -> object:
            enc.cfg = cfg
            try:
                return enc.encode(texts, with_tokens=True)
            finally:
                enc.cfg = cfg.model_copy(update={"batch_size": base_bs})
        return f

    sizes = [4, 8, 16, 32, len(seed_texts)]
    ms = timed({f"seed: batch {bs}": with_bs(seed_texts, bs) for bs in sizes}, runs)
    show(f"length-sorted batches (seed, {len(seed_texts)} sentences)", ms, f"seed: batch {base_bs}")
    for name, texts in (("seed", seed_texts), ("8 BBC articles in one call", batch_texts)):
        sizes = [4, 8, 16, 32, len(texts)]
        print(f"  {name}: padding waste, sorted by length:  " + ", ".join(
            f"batch {bs}: {padding(an, texts, bs, True):.0%}" for bs in sizes))
        print(f"  {name}: padding waste, in article order:  " + ", ".join(
            f"batch {bs}: {padding(an, texts, bs, False):.0%}" for bs in sizes))


def study_spacy(an: Analyzer, text: str, runs: int) -> None:
    nlp = an.nlp.nlp

    def upto(names: list[str]) -> Callable[[], object]:
        def f() -> object:
            doc = nlp.make_doc(text)
            for n, proc in nlp.pipeline:
                if n in names:
                    doc = proc(doc)
            return doc
        return f

    fns: dict[str, Callable[[], object]] = {"full pipeline": lambda: nlp(text), "tokenizer": upto([])}
    for n in nlp.pipe_names:
        fns[f"tokenizer + {n}"] = upto([n, "tok2vec"] if n == "tagger" else [n])
    fns["segment (tokenizer + senter)"] = lambda: an.nlp.segment(text)
    ms = timed(fns, runs)
    show("spaCy components on the seed (each alone after the tokenizer; tagger with its tok2vec)",
         ms, "full pipeline")


def study_overlap(an: Analyzer, request: AnalyzeRequest, runs: int) -> None:
    """One article: spaCy's annotation after the encoder (as `analyze`) or beside it (as the batcher)."""
    pool = ThreadPoolExecutor(1)

    def sequential() -> object:
        return an.analyze(request)

    def overlapped() -> object:
        p = an.prepare(request)
        fut = pool.submit(an.annotate, [p])
        e = an.encode([p])[0]
        fut.result()
        return an.read_out(p, e)

    texts = an.prepare(request).texts
    ms = timed({"encoder pass alone": lambda: an.encoder.encode(texts, with_tokens=True),
                "sequential (prepare, encode, annotate, read_out)": sequential,
                "annotate beside encode": overlapped}, runs)
    pool.shutdown()
    show("spaCy beside the encoder (seed)", ms, "encoder pass alone")


# -- int8 -----------------------------------------------------------------------------------------------
def quantised(model: torch.nn.Module, variant: str) -> torch.nn.Module:
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    m = copy.deepcopy(model)
    if variant == "all Linear, per-tensor":
        spec: dict = {torch.nn.Linear: default_dynamic_qconfig}
    elif variant == "all Linear, per-channel":
        spec = {torch.nn.Linear: per_channel_dynamic_qconfig}
    else:  # attention projections only (query, key, value, attention output)
        spec = {name: per_channel_dynamic_qconfig for name, mod in m.named_modules()
                if isinstance(mod, torch.nn.Linear) and ".attention." in name}
    return quantize_dynamic(m, spec, dtype=torch.qint8)


INT8_VARIANTS = ("all Linear, per-tensor", "all Linear, per-channel", "attention only, per-channel")


def study_int8(an: Analyzer, seed_texts: list[str], n_articles: int, runs: int) -> None:
    rows = load_split("test")[: n_articles or None]
    opts = AnalyzeOptions(max_tags=50, min_score=0.0, summary_sentences=3, include=["tags", "summary"])
    prepared: list[Prepared] = []
    for i in range(0, len(rows), 16):
        requests = [AnalyzeRequest(text=r["article"], title=r["title"], options=opts)
                    for r in rows[i : i + 16]]
        prepared += [p for p in an.prepare_many(requests) if isinstance(p, Prepared)]
    configured = an.encoder.forward
    fp32 = TorchForward.load(an.encoder.path)

    def answers() -> list[tuple[str, set[int]]]:
        out = []
        for i in range(0, len(prepared), 16):
            chunk = prepared[i : i + 16]
            for p, e in zip(chunk, an.encode(chunk), strict=True):
                r = an.read_out(p, e)
                out.append((r.tags[0].code, {s.index for s in r.summary.sentences}))
        return out

    an.encoder.forward = fp32
    reference = answers()
    onnx = functools.partial(OnnxForward, an.encoder.path, an.encoder.fingerprint, an.config.encoder.threads,
                             get_settings().cache_root)
    models: dict[str, Forward] = {"fp32": fp32, "ONNX Runtime, fp32": onnx()}
    models |= {v: TorchForward(quantised(fp32.module, v)) for v in INT8_VARIANTS}
    models["ONNX Runtime, int8"] = onnx(int8=True)
    models["torch, bfloat16 autocast"] = TorchForward(fp32.module, bf16=True)

    def enc_with(forward: Forward) -> Callable[[], object]:
        def f() -> object:
            an.encoder.forward = forward
            return an.encoder.encode(seed_texts, with_tokens=True)
        return f

    ms = timed({k: enc_with(m) for k, m in models.items()}, runs)
    print("\n## ONNX Runtime, int8 dynamic quantisation (torch.ao, ONNX Runtime) and bfloat16 against torch "
          f"fp32, BBC test: {len(prepared)} articles")
    print("  variant                          seed encoder pass    top-tag agreement   summary overlap   "
          "cosine to fp32 (seed sentences)")
    an.encoder.forward = fp32
    ref_vecs = an.encoder.encode(seed_texts).vectors
    for k, m in models.items():
        an.encoder.forward = m
        got = reference if k == "fp32" else answers()
        vecs = an.encoder.encode(seed_texts).vectors
        tag = np.mean([a[0] == b[0] for a, b in zip(reference, got, strict=True)])
        overlap = np.mean([len(a[1] & b[1]) / max(len(a[1]), 1) for a, b in zip(reference, got, strict=True)])
        cos = float(np.mean(np.sum(vecs * ref_vecs, axis=1)))
        verdict = "" if k == "fp32" else ("  meets 0.98/0.95" if tag >= 0.98 and overlap >= 0.95 else
                                          "  below 0.98/0.95")
        print(f"  {k:<30} {ms[k]:7.1f} ms (x{ms['fp32'] / ms[k]:.2f} speed)   {tag:.4f}"
              f"              {overlap:.4f}           {cos:.4f}{verdict}")
    an.encoder.forward = configured


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="threads,buckets,spacy,overlap,int8")
    ap.add_argument("--articles", type=int, default=0, help="BBC test articles for int8 agreement (0: all)")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--config", default=str(DEFAULT_CONFIG))
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    an = Analyzer.from_config_file(args.config)
    seed = SEED.read_text(encoding="utf-8")
    request = AnalyzeRequest(text=seed)
    seed_texts = an.prepare(request).texts
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; seed: {len(seed_texts)} sentences")
    batch_texts: list[str] = []
    if parts & {"threads", "buckets"}:
        for r in load_split("test")[:8]:
            batch_texts += an.prepare(AnalyzeRequest(text=r["article"], title=r["title"])).texts
    if "threads" in parts:
        study_threads(an, seed_texts, batch_texts, args.runs)
    if "buckets" in parts:
        study_buckets(an, seed_texts, batch_texts, args.runs)
    if "spacy" in parts:
        study_spacy(an, an.prepare(request).clean.text, args.runs)
    if "overlap" in parts:
        study_overlap(an, request, args.runs)
    if "int8" in parts:
        study_int8(an, seed_texts, args.articles, max(5, args.runs // 3))


if __name__ == "__main__":
    main()
