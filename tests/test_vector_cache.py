"""Label-description vectors are kept on disk, so a restart does not encode them again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from service.analyzer import Analyzer
from service.vector_cache import cache_path, encode_cached

TEXTS = ["The central bank raised interest rates.", "The striker scored twice in the final."]


def test_second_call_reads_the_stored_vectors(analyzer: Analyzer, tmp_path: Path) -> None:
    enc = analyzer.encoder
    first = encode_cached(enc, TEXTS, tmp_path)
    path = cache_path(tmp_path, enc, TEXTS)
    assert path.is_file()
    np.testing.assert_allclose(first, enc.encode(TEXTS).vectors, atol=1e-6)
    # What is read back is the file: overwrite it with other vectors of the same shape and see them.
    from safetensors.numpy import save_file

    planted = np.full_like(first, 0.5)
    save_file({"vectors": planted}, str(path))
    np.testing.assert_array_equal(encode_cached(enc, TEXTS, tmp_path), planted)
    # Other texts get another file.
    assert cache_path(tmp_path, enc, TEXTS[:1]) != path


def test_a_damaged_file_is_encoded_again(analyzer: Analyzer, tmp_path: Path) -> None:
    enc = analyzer.encoder
    path = cache_path(tmp_path, enc, TEXTS)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a safetensors file")
    np.testing.assert_allclose(encode_cached(enc, TEXTS, tmp_path), enc.encode(TEXTS).vectors, atol=1e-6)
    assert path.read_bytes() != b"not a safetensors file"


def test_an_unwritable_cache_still_gives_vectors(analyzer: Analyzer, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    enc = analyzer.encoder
    np.testing.assert_allclose(encode_cached(enc, TEXTS, blocked), enc.encode(TEXTS).vectors, atol=1e-6)
