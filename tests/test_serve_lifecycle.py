"""`newsdesk serve` as a real process, from start to SIGTERM: it says where it listens, exits 0 once it
has shut down (also while the models are still loading), and a model that only fails when it is loaded
(so no check before the start can see it) still leaves a server whose /readyz says why.

What `serve` refuses before it starts (a port in use, a missing model) is in test_cli.py, but for a spaCy
component its package lacks; SIGTERM with requests in flight is in test_serving.py.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import yaml
from conftest import SERVER_START_TIMEOUT_S, LiveServer

from service.config import portable_yaml


def _wait_for(server: LiveServer, check: Callable[[httpx.Response], bool],
              timeout_s: float = SERVER_START_TIMEOUT_S) -> httpx.Response:
    """The first response to GET /readyz that `check` accepts."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(f"server exited ({server.proc.returncode}):\n{server.log.read_text()}")
        try:
            r = httpx.get(f"{server.base_url}/readyz", timeout=2)
            if check(r):
                return r
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"no such /readyz within {timeout_s:.0f} s:\n{server.log.read_text()}")


def _stop_with_sigterm(server: LiveServer) -> str:
    """SIGTERM, then the log; the process must exit 0 (it used to die of the signal: -15, shell 143)."""
    server.proc.send_signal(signal.SIGTERM)
    code = server.proc.wait(timeout=60)
    log = server.log.read_text(encoding="utf-8")
    assert code == 0, f"exit code {code}:\n{log}"
    assert "Application shutdown complete" in log
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/healthz", timeout=5)
    return log


def test_sigterm_while_the_models_load_exits_0():
    """Up, and almost surely still loading (the models take seconds): SIGTERM stops it at once with exit
    code 0, not an abort from the loader thread that is still inside torch or ONNX Runtime."""
    server = LiveServer(log_level="info")
    try:
        r = _wait_for(server, lambda r: True)
        assert r.status_code == 503 and r.json()["status"] == "loading", r.text  # or this tests nothing new
        log = _stop_with_sigterm(server)
        assert f"Uvicorn running on http://127.0.0.1:{server.port}" in log
    finally:
        server.stop()


def test_a_model_that_fails_to_load_still_says_load_failed(tmp_path, project_root):
    """A sentence scorer whose manifest and files are all there, but whose weights are not safetensors:
    the start cannot tell without loading it, so the server starts, and /readyz and /v1/analyze say
    `load_failed` with the reason (README, "503 ... the models failed to load")."""
    source = project_root / "models" / "summary-default"
    scorer = tmp_path / "scorer"
    shutil.copytree(source / (source / "ACTIVE").read_text().strip(), scorer)
    (scorer / "weights.safetensors").write_bytes(b"these are not the weights you are looking for")
    raw = portable_yaml(project_root / "configs" / "default.yaml")
    raw["summarizer"]["artifact"] = str(scorer)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    server = LiveServer(config, log_level="info")
    try:
        r = _wait_for(server, lambda r: r.json().get("status") != "loading")
        assert r.status_code == 503 and r.json()["status"] == "failed", r.text
        r = httpx.post(f"{server.base_url}/v1/analyze", json={"text": "An article."}, timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "load_failed", r.text
        _stop_with_sigterm(server)
    finally:
        server.stop()


def test_a_spacy_component_its_package_lacks_stops_serve_before_it_starts(make_config):
    """A typo in `spacy.components` used to be found only by the model loader: the server started and
    /readyz said `failed` for ever. Now one line and exit code 2, like any other broken config."""
    server = LiveServer(make_config(spacy={"components": ["tok2vec", "senter", "bogus"]}))
    try:
        code = server.proc.wait(timeout=SERVER_START_TIMEOUT_S)
        lines = server.log.read_text(encoding="utf-8").splitlines()  # stdout and stderr
    finally:
        server.stop()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("newsdesk: error: spacy.components: ['bogus'] not in en_core_web_sm"), lines


def test_requests_cut_off_by_the_shutdown_timeout_get_503_not_500(tmp_path, project_root, seed_text):
    """Past `server.shutdown_timeout_s` uvicorn cancels the requests still running; each gets a JSON 503
    `shutting_down` to retry elsewhere, not uvicorn's plain-text 500 and a traceback in the log."""
    raw = portable_yaml(project_root / "configs" / "default.yaml")
    raw["server"].update(shutdown_timeout_s=1, request_timeout_s=120, retry_after_s=5)
    # Long enough to be at work when the timeout falls, however fast the runtime: the 25 copies of the seed
    # that the default limit allows took ~3 s with the ONNX runtime, and one request finished in time.
    raw["limits"].update(max_chars=1_000_000, max_body_bytes=4_000_000)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    server = LiveServer(config, log_level="info")
    try:
        server.wait_until_ready(SERVER_START_TIMEOUT_S)
        long = "\n\n".join([seed_text] * 100)  # ~310,000 characters: ~10 s of work on 2 cores
        with ThreadPoolExecutor(2) as pool:
            pending = [pool.submit(httpx.post, f"{server.base_url}/v1/analyze", json={"text": long},
                                   timeout=120) for _ in range(2)]
            time.sleep(2)  # both accepted and at work
            log = _stop_with_sigterm(server)
            answers = [p.result() for p in pending]
        assert [r.status_code for r in answers] == [503, 503], [r.text[:200] for r in answers]
        assert all(r.json()["error"]["code"] == "shutting_down" and r.headers["retry-after"] == "5"
                   for r in answers)
        assert "Traceback" not in log and '"status": 500' not in log
    finally:
        server.stop()
