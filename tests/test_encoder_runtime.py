"""The encoder's two runtimes: ONNX Runtime (the default, exported once and cached) gives torch's states,
a cached graph is reused, and a damaged one is exported again instead of breaking the start."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from service.config import EncoderConfig
from service.encoder import SentenceEncoder
from service.encoder_runtime import OnnxForward, TorchForward, onnx_path
from service.model_folder import resolve_encoder_path

TEXTS = [
    "The central bank raised interest rates by half a point on Tuesday.",
    "Short.",
    "",
    "Le ministre a annoncé une réforme « ambitieuse » — 3,5 % de croissance.",
    "word " * 700,  # longer than the window: encoded in pieces
    "🙂🙂 émoji and \u202eright-to-left\u202c text",
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return resolve_encoder_path(EncoderConfig())


@pytest.fixture(scope="module")
def fingerprint(analyzer) -> str:
    return analyzer.encoder.fingerprint


@pytest.fixture(scope="module")
def exported(tmp_path_factory, model_dir: Path, fingerprint: str) -> Path:
    """A cache folder holding a fresh export (not the project's cache)."""
    root = tmp_path_factory.mktemp("cache")
    OnnxForward(model_dir, fingerprint, 1, root)
    return root


def test_onnx_runtime_gives_torchs_states(analyzer, model_dir: Path, fingerprint: str, exported: Path):
    onnx = SentenceEncoder(EncoderConfig(threads=1))  # the default runtime
    assert isinstance(onnx.forward, OnnxForward)
    torch_encoder = SentenceEncoder(EncoderConfig(threads=1, runtime="torch", batch_size=3))
    assert isinstance(torch_encoder.forward, TorchForward)
    a = onnx.encode(TEXTS, with_tokens=True)
    b = torch_encoder.encode(TEXTS, with_tokens=True)
    assert a.vectors.shape == b.vectors.shape == (len(TEXTS), 384)
    assert np.abs(a.vectors - b.vectors).max() < 1e-4
    assert a.tokens is not None and b.tokens is not None
    for (sa, oa), (sb, ob) in zip(a.tokens, b.tokens, strict=True):
        assert sa.shape == sb.shape and np.array_equal(oa, ob)
        if len(sa):
            assert np.abs(sa - sb).max() < 1e-3
    # The exported graph takes any batch and width, here straight from the runtime.
    ids = np.array([[101, 7592, 2088, 102, 0], [101, 2088, 102, 0, 0]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    direct = OnnxForward(model_dir, fingerprint, 1, exported)(ids, mask)
    assert direct.shape == (2, 5, 384)
    assert np.abs(direct - TorchForward.load(model_dir)(ids, mask)).max() < 1e-4


def test_a_cached_graph_is_reused(model_dir: Path, fingerprint: str, exported: Path):
    path = onnx_path(exported, fingerprint)
    before = path.stat()
    OnnxForward(model_dir, fingerprint, 1, exported)
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not [p for p in path.parent.iterdir() if p.suffix == ".tmp"]


def test_with_the_cache_off_the_export_is_gone_once_loaded(tmp_path: Path, model_dir: Path, fingerprint: str,
                                                            monkeypatch: pytest.MonkeyPatch):
    """`NEWSDESK_CACHE_DIR=` (empty): each process exported 87 MB into /tmp and left it there."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    forward = OnnxForward(model_dir, fingerprint, 1, None)
    assert list(tmp_path.iterdir()) == []
    ids = np.array([[101, 7592, 102]], dtype=np.int64)
    assert forward(ids, np.ones_like(ids)).shape == (1, 3, 384)


def test_a_cache_folder_that_cannot_be_written_is_the_cache_off(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch):
    """NEWSDESK_CACHE_DIR naming a file: the export ran, then failed writing there ("encoder: cannot load the
    model ...: Not a directory"). Now the graph is exported for this process only, as with the cache off."""
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("NEWSDESK_CACHE_DIR", str(blocked))
    roots: list[Path | None] = []
    monkeypatch.setattr("service.encoder.OnnxForward",
                        lambda _dir, _fp, _threads, root, **_: roots.append(root))
    SentenceEncoder(EncoderConfig())
    assert roots == [None]


def test_a_damaged_cached_graph_is_exported_again(tmp_path: Path, model_dir: Path, fingerprint: str,
                                                  exported: Path):
    root = tmp_path / "cache"
    shutil.copytree(exported, root)
    path = onnx_path(root, fingerprint)
    good_size = path.stat().st_size
    path.write_bytes(path.read_bytes()[: good_size // 3])  # damaged outside newsdesk (its writes are atomic)
    forward = OnnxForward(model_dir, fingerprint, 1, root)
    assert path.stat().st_size == good_size
    ids = np.array([[101, 7592, 102]], dtype=np.int64)
    assert forward(ids, np.ones_like(ids)).shape == (1, 3, 384)


def test_int8_weights_are_quantised_once_and_stay_close(model_dir: Path, fingerprint: str, exported: Path):
    fp32 = OnnxForward(model_dir, fingerprint, 1, exported)
    int8 = OnnxForward(model_dir, fingerprint, 1, exported, int8=True)
    path = onnx_path(exported, fingerprint, "int8")
    assert path.is_file() and path.stat().st_size < onnx_path(exported, fingerprint).stat().st_size / 2
    before = path.stat()
    OnnxForward(model_dir, fingerprint, 1, exported, int8=True)  # reused, not quantised again
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    ids = np.array([[101, 1996, 2430, 2924, 2992, 3037, 6165, 1012, 102]], dtype=np.int64)
    a, b = fp32(ids, np.ones_like(ids)).mean(1)[0], int8(ids, np.ones_like(ids)).mean(1)[0]
    cosine = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert 0.9 < cosine < 0.99999  # close, and really another graph


def test_int8_vectors_are_cached_apart_from_fp32(analyzer):
    """Heads trained on the model's vectors still load (same fingerprint); cached vectors do not mix."""
    int8 = SentenceEncoder(EncoderConfig(threads=1, runtime="onnx-int8"))
    assert int8.fingerprint == analyzer.encoder.fingerprint
    assert int8.cache_key != analyzer.encoder.cache_key


def test_bfloat16_runtime_is_float32_to_a_hair_and_cached_apart(analyzer):
    bf16 = SentenceEncoder(EncoderConfig(threads=1, runtime="torch-bf16"))
    assert isinstance(bf16.forward, TorchForward) and bf16.forward.bf16
    assert bf16.fingerprint == analyzer.encoder.fingerprint
    assert bf16.cache_key not in {analyzer.encoder.cache_key,
                                  SentenceEncoder(EncoderConfig(threads=1, runtime="onnx-int8")).cache_key}
    a = analyzer.encoder.encode(TEXTS, with_tokens=True)
    b = bf16.encode(TEXTS, with_tokens=True)
    assert b.vectors.dtype == np.float32 and b.vectors.shape == a.vectors.shape
    cosine = np.sum(a.vectors * b.vectors, axis=1)[np.linalg.norm(a.vectors, axis=1) > 0]
    assert len(cosine) >= len(TEXTS) - 1 and 0.999 < cosine.min() and not np.array_equal(a.vectors, b.vectors)
    assert a.tokens is not None and b.tokens is not None
    assert [s.shape for s, _ in a.tokens] == [s.shape for s, _ in b.tokens]
