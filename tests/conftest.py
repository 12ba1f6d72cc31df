"""Shared fixtures. Nothing may reach the network: the hub is switched off before any test module
(and so any model library) is imported; the imports before that line never read it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

os.environ["HF_HUB_OFFLINE"] = "1"

if TYPE_CHECKING:
    from service.analyzer import Analyzer

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEED = PROJECT_ROOT / "seeds" / "iraq-coalition-security-partnership.txt"
DEFAULT_CONFIG = PROJECT_ROOT / "configs" / "default.yaml"
SERVER_START_TIMEOUT_S = 180.0  # loading models takes seconds alone, minutes on a busy machine


@pytest.fixture(scope="session")
def vector_cache(tmp_path_factory) -> Path:
    """One sentence-vector cache for every training test: each fixture article is encoded once."""
    return tmp_path_factory.mktemp("vector-cache")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = (PROJECT_ROOT.parent / "shared" / "data").resolve()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (research-only data, not in the repo)")
    return path


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    """The default-config Analyzer, loaded once per test session (it takes seconds)."""
    from service.analyzer import Analyzer

    return Analyzer.from_config_file(DEFAULT_CONFIG)


@pytest.fixture(scope="session")
def broad_analyzer() -> Analyzer:
    """The Analyzer of configs/broad.yaml (the default with the broad IPTC heads), loaded once."""
    from service.analyzer import Analyzer

    return Analyzer.from_config_file(PROJECT_ROOT / "configs" / "broad.yaml")


@pytest.fixture(scope="session")
def read_by_heads(analyzer: Analyzer) -> Callable[[Analyzer, list[Any]], list[Any]]:
    """`analyze_many` for the default and broad engines, which differ only in their tagger heads
    (tests/test_broad_config.py holds them to that): each list of requests is prepared and encoded once, by
    the default, and each engine reads its answers from those vectors (the encoder is most of the time)."""
    done: dict[tuple[str, ...], tuple[list[Any], list[Any]]] = {}

    def read(engine: Analyzer, requests: list[Any]) -> list[Any]:
        key = tuple(r.model_dump_json() for r in requests)
        if key not in done:
            prepared = analyzer.prepare_many(requests)
            done[key] = (prepared, analyzer.encode(prepared))
        prepared, encoded = done[key]
        return [engine.read_out(p, e) for p, e in zip(prepared, encoded, strict=True)]

    return read


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Path]:
    """`make_config(name="x", limits={"max_body_bytes": 2048})` writes the default config with those
    top-level keys changed (mappings are merged one level deep) and returns its path."""
    counter = iter(range(1_000_000))

    def make(**changes: Any) -> Path:
        from service.config import portable_yaml

        raw = portable_yaml(DEFAULT_CONFIG)
        for key, value in changes.items():
            old = raw.get(key)
            raw[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
        path = tmp_path / f"config-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        return path

    return make


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python -m service serve` on a free port, its output in a log file."""

    def __init__(self, config: Path = DEFAULT_CONFIG, *, log_level: str = "warning",
                 env: dict[str, str] | None = None) -> None:
        self.log = Path(tempfile.mkdtemp(prefix="newsdesk-live-server-")) / "server.log"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--config", str(config), "--log-level", log_level],
                cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
            )

    def wait_until_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}) before it was ready:\n"
                                   f"{self.log.read_text()}")
            try:
                r = httpx.get(f"{self.base_url}/readyz", timeout=2)
                if r.status_code == 200:
                    return
                if r.json().get("status") == "failed":  # the server stays up to say so: no use waiting
                    raise RuntimeError(f"server could not load its models: {r.json().get('error')}")
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"server not ready after {timeout_s:.0f} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.log.parent, ignore_errors=True)  # tests read the log before they stop it


_live_server: LiveServer | None = None


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Start the server as soon as we know a test wants it, so it loads its models while other
    tests run; the `live_server` fixture then only waits for it."""
    global _live_server
    if _live_server is None and any("live_server" in getattr(i, "fixturenames", ()) for i in items):
        _live_server = LiveServer()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _live_server is not None:
        _live_server.stop()


@pytest.fixture(scope="session")
def live_server() -> str:
    """The base URL of a real uvicorn process (`python -m service serve`), ready to analyse."""
    global _live_server
    if _live_server is None:
        _live_server = LiveServer()
    _live_server.wait_until_ready(SERVER_START_TIMEOUT_S)
    return _live_server.base_url
