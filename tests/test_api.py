"""The HTTP API in-process (TestClient), sharing the session's Analyzer."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from contract import ARABIC, BAD_REQUESTS, GERMAN, JSON, BadRequest, check_analyze_response, check_error
from fastapi.testclient import TestClient

from service.api import create_app
from service.errors import ConfigError
from service.schemas import ModelInfo


def wait_ready(client: TestClient) -> None:
    """Poll /readyz: the factories here return at once, so the loader thread finishes almost at once."""
    for _ in range(200):
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(client.get("/readyz").json())


@pytest.fixture(scope="module")
def client(analyzer) -> Iterator[TestClient]:
    app = create_app(analyzer_factory=lambda config: analyzer)
    with TestClient(app) as c:
        wait_ready(c)
        yield c


def post_raw(client: TestClient, body: bytes | Iterator[bytes], content_type: str | None = JSON):
    headers = {"content-type": content_type} if content_type else {}
    return client.post("/v1/analyze", content=body, headers=headers)


# -- operational routes ---------------------------------------------------------------------------
def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_readyz_reports_model(client, analyzer):
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "model": analyzer.model_info.model_dump()}


def test_docs_pages_load_nothing_from_elsewhere(client):
    """The service runs offline: /docs and /redoc take Swagger UI and ReDoc from this server, not a CDN."""
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200 and "/openapi.json" in r.text
        urls = re.findall(r"""(?:src|href)=["']([^"']+)""", r.text) + re.findall(r"url: *'([^']+)'", r.text)
        assert urls and not [u for u in urls if "//" in u], urls
        for url in urls:
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url


def test_openapi_declares_errors(client):
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/analyze"]["post"]
    assert op["requestBody"]["content"][JSON]["schema"]["$ref"].endswith("/AnalyzeRequest")
    assert op["responses"]["200"]["content"][JSON]["schema"]["$ref"].endswith("/AnalyzeResponse")
    for status in ("400", "413", "415", "422", "503"):
        assert op["responses"][status]["content"][JSON]["schema"]["$ref"].endswith("/ErrorResponse"), status
    assert {"/healthz", "/readyz"} <= set(spec["paths"])


# -- the endpoint -------------------------------------------------------------------------------------
def test_seed_article(client, seed_text):
    r = client.post("/v1/analyze", json={"text": seed_text, "id": "seed-1"})
    assert r.status_code == 200, r.text
    body = r.json()
    check_analyze_response(body, seed_text)
    assert body["id"] == "seed-1"
    assert body["tags"] and body["summary"]["sentences"] and body["entities"] and body["keywords"]


@pytest.mark.parametrize("text", [GERMAN, ARABIC, "Hello.", "🙂", "x" * 5000],
                         ids=["de", "ar", "hello", "emoji", "one-long-word"])
def test_odd_but_valid_text(client, text):
    r = client.post("/v1/analyze", json={"text": text})
    assert r.status_code == 200, r.text
    check_analyze_response(r.json(), text)


def test_options_are_applied(client, seed_text):
    options = {"max_tags": 1, "min_score": 0.0, "summary_sentences": 2, "max_keywords": 3}
    body = client.post("/v1/analyze", json={"text": seed_text, "options": options}).json()
    assert len(body["tags"]) == 1 and len(body["summary"]["sentences"]) == 2 and len(body["keywords"]) == 3
    body = client.post("/v1/analyze", json={"text": seed_text, "options": {"include": ["tags"]}}).json()
    assert body["tags"] and not body["summary"]["sentences"] and not body["entities"] and not body["keywords"]


def test_request_time_labels(client, seed_text):
    labels = ["war and military", "football", "cooking"]
    r = client.post("/v1/analyze", json={"text": seed_text, "options": {"labels": labels, "min_score": 0.0}})
    assert r.status_code == 200, r.text
    tags = r.json()["tags"]
    assert tags and {t["code"] for t in tags} <= set(labels)
    assert all(t["label"] == t["code"] for t in tags)
    assert tags[0]["code"] == "war and military"


# -- bad requests -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", BAD_REQUESTS, ids=lambda c: c.name)
def test_bad_request(client, case: BadRequest):
    r = post_raw(client, case.body, case.content_type)
    assert r.status_code == case.status, r.text
    assert r.headers["content-type"] == JSON
    check_error(r.json(), case.code, case.field)


@pytest.mark.parametrize(("body", "message"), [
    (b'{"text": "a", "options": {"min_score": NaN}}', "options.min_score: Input should be a finite number"),
    (b'{"text": "abc', "body is not valid JSON: Unterminated string starting at character 9"),
    (b'{"text": "a\x01b"}', "body is not valid JSON: Invalid control character at character 11"),
])
def test_bad_json_says_what_and_where_once(client, body, message):
    """NaN is no number JSON has (Python reads it; no range check should), and a message of Python's that
    ends in "at" gets its place once ("starting at character 9", not "at at")."""
    assert post_raw(client, body).json()["error"]["message"] == message


def test_declared_length_over_limit(client, analyzer):
    limit = analyzer.config.limits.max_body_bytes
    r = post_raw(client, b'{"text": "' + b"a" * limit + b'"}')
    assert r.status_code == 413
    check_error(r.json(), "body_too_large")
    assert str(limit) in r.json()["error"]["message"]


def test_unknown_route_and_method_are_json(client):
    r = client.get("/v2/nothing")
    assert r.status_code == 404
    check_error(r.json(), "not_found")
    r = client.get("/v1/analyze")
    assert r.status_code == 405
    check_error(r.json(), "method_not_allowed")
    # A body method on a route that takes none is the router's 405/404, not the body guard's 415.
    r = client.put("/healthz")
    assert r.status_code == 405
    check_error(r.json(), "method_not_allowed")
    assert client.post("/v2/nothing", content=b"x").status_code == 404


# -- config, loading states and failures (no real models) ---------------------------------------------
class FakeAnalyzer:
    model_info = ModelInfo(name="fake", version="0")

    def prepare(self, request):  # the first verb the micro-batcher calls
        raise RuntimeError("secret internals /etc/passwd")


@pytest.fixture
def small_limit_config(make_config) -> Path:
    return make_config(name="small-limit", limits={"max_body_bytes": 2048, "max_chars": 1000})


def test_streamed_body_over_limit(small_limit_config):
    """No Content-Length (chunked): the limit is enforced while counting the bytes that arrive."""
    app = create_app(small_limit_config, analyzer_factory=lambda config: FakeAnalyzer())

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"a" * 1000
        yield b'"}'

    with TestClient(app) as c:
        r = post_raw(c, chunks())
    assert r.status_code == 413
    check_error(r.json(), "body_too_large")
    assert "2048" in r.json()["error"]["message"]


def test_config_from_environment(small_limit_config, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CONFIG", str(small_limit_config))
    app = create_app(analyzer_factory=lambda config: FakeAnalyzer())
    assert app.state.engine.config.name == "small-limit"


def test_broken_config_fails_at_once(make_config):
    with pytest.raises(ConfigError, match="tager"):
        create_app(make_config(tager={}))


def test_not_ready_while_loading(make_config):
    release = threading.Event()

    def slow_factory(config):
        release.wait(30)
        return FakeAnalyzer()

    app = create_app(make_config(server={"retry_after_s": 7}), analyzer_factory=slow_factory)
    with TestClient(app) as c:
        try:
            assert c.get("/healthz").status_code == 200
            r = c.get("/readyz")
            assert r.status_code == 503 and r.json() == {"status": "loading"}
            r = c.post("/v1/analyze", json={"text": "An article."})
            assert r.status_code == 503 and r.headers["retry-after"] == "7"  # server.retry_after_s
            check_error(r.json(), "loading")
        finally:
            release.set()
        wait_ready(c)
        assert c.get("/readyz").json()["model"] == {"name": "fake", "version": "0"}


def test_metrics_model_info_is_the_model_the_responses_name():
    """`newsdesk_model_info` says what `model` in every response says (the artifacts' names and versions),
    not the engine config's name and version, once the models are in."""
    release = threading.Event()

    def slow_factory(config):
        release.wait(30)
        return FakeAnalyzer()

    app = create_app(analyzer_factory=slow_factory)
    config = app.state.engine.config
    with TestClient(app) as c:
        try:
            loading = f'newsdesk_model_info{{name="{config.name}",version="{config.version}"}} 1.0'
            assert loading in c.get("/metrics").text
        finally:
            release.set()
        wait_ready(c)
        text = c.get("/metrics").text
    assert 'newsdesk_model_info{name="fake",version="0"} 1.0' in text
    assert text.count("newsdesk_model_info{") == 1


def test_lifespan_can_restart(analyzer):
    """Test clients (and schemathesis) re-enter the lifespan: the second start is ready at once."""
    app = create_app(analyzer_factory=lambda config: analyzer)
    for _ in range(2):
        with TestClient(app) as c:
            wait_ready(c)
            r = c.post("/v1/analyze", json={"text": "The bank raised rates. Markets fell."})
            assert r.status_code == 200, r.text
    assert app.state.engine.closing


def test_load_failure_is_reported():
    def failing_factory(config):
        raise ConfigError("encoder.path: no model folder at /nowhere")

    app = create_app(analyzer_factory=failing_factory)
    with TestClient(app) as c:
        for _ in range(200):
            r = c.get("/readyz")
            if r.json()["status"] != "loading":
                break
            time.sleep(0.05)
        assert r.status_code == 503
        assert r.json() == {"status": "failed", "error": "encoder.path: no model folder at /nowhere"}
        r = c.post("/v1/analyze", json={"text": "An article."})
        assert r.status_code == 503 and "retry-after" not in r.headers
        check_error(r.json(), "load_failed")
        assert c.get("/healthz").status_code == 200


def test_unexpected_error_is_json_without_internals(caplog):
    app = create_app(analyzer_factory=lambda config: FakeAnalyzer())
    with TestClient(app, raise_server_exceptions=False) as c:
        wait_ready(c)
        r = c.post("/v1/analyze", json={"text": "An article."})
    assert r.status_code == 500
    check_error(r.json(), "internal_error")
    assert "secret" not in r.text and "RuntimeError" not in r.text
    assert any("secret internals" in str(rec.exc_info) for rec in caplog.records if rec.exc_info)


def test_errors_starlette_writes_itself_are_json(make_config):
    """FileResponse's answer to a Range it cannot satisfy or parse and CORSMiddleware's to a preflight from
    another origin were text/plain ("Disallowed CORS origin")."""
    config = make_config(server={"cors_origins": ["https://newsroom.example"]})
    client = TestClient(create_app(config, analyzer_factory=lambda config: FakeAnalyzer()))
    r = client.get("/", headers={"Range": "bytes=99999-"})
    assert r.status_code == 416 and r.headers["content-range"].startswith("bytes */")
    check_error(r.json(), "range_not_satisfiable")
    r = client.get("/", headers={"Range": "lines=1-2"})
    assert r.status_code == 400 and r.json()["error"]["message"] == "Only support bytes range"
    preflight = {"Access-Control-Request-Method": "POST"}
    r = client.options("/v1/analyze", headers={"Origin": "https://evil.example", **preflight})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
    check_error(r.json(), "bad_request")
    assert r.json()["error"]["message"] == "Disallowed CORS origin"
    r = client.options("/v1/analyze", headers={"Origin": "https://newsroom.example", **preflight})
    assert r.status_code == 200 and r.text == "OK"  # an allowed preflight, as before
    r = client.get("/", headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and r.text == "<!doctype "  # a range it can serve, as before


def test_api_module_does_not_import_torch():
    code = "import sys, service.api; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
