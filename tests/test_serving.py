"""Serving under load against real uvicorn processes: hostile input, auth, a saturated queue, metrics,
JSON logs, CORS, and SIGTERM with requests in flight.

Two servers: the session's default one (`live_server`: auth off, CORS off) and a strict one started
here (API keys, a queue of one, long text refused, CORS for one origin, info logs), which the SIGTERM
test stops last.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import yaml
from conftest import DEFAULT_CONFIG, SERVER_START_TIMEOUT_S, LiveServer
from contract import JSON, check_analyze_response

from service.config import portable_yaml

CONFIG_KEY, ENV_KEY = "cfg-key-0123456789", "env-key-9876543210"
UTF8_KEY = "clé-ключ-0123456789"  # a key is any text; HTTP carries it as UTF-8 bytes
ORIGIN = "https://cms.example.org"
STRICT_MAX_CHARS = 20_000
TEN_MB = 10 * 1024 * 1024


def _check_hostile(r: httpx.Response, text: str | None) -> None:
    """A hostile request gets a 4xx JSON error or a valid 200: never a 5xx, never a traceback."""
    assert r.status_code < 500, r.text[:500]
    assert r.headers["content-type"] == JSON
    body = r.json()
    if r.status_code == 200:
        assert text is not None
        check_analyze_response(body, text)
    else:
        assert 400 <= r.status_code < 500
        assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
        assert "Traceback" not in r.text


def _deep(n: int) -> bytes:
    return b'{"text": "a", "options": ' + b"[" * n + b"]" * n + b"}"


HTML = ("<html><head><script>alert('pwned');document.cookie</script><style>p{color:red}</style></head>"
        "<body><h1>Flood defences fail</h1><p>Heavy rain overwhelmed flood barriers in York on Monday, "
        "and hundreds of homes were evacuated.</p><script>fetch('/steal')</script>"
        "<p>The Environment Agency said river levels would peak overnight.</p></body></html>")
RTL = ("\u200fהממשלה אישרה היום את תקציב המדינה לשנה הבאה לאחר דיון ארוך בכנסת.\u200f "
       "أعلن البنك المركزي رفع أسعار الفائدة لمواجهة التضخم. \u202bنص مضمّن\u202c")
EMOJI = "🔥🚀🎉😀🙃🌍🏳️‍🌈👨‍👩‍👧‍👦 " * 50
CONTROL = "Alarm\x01\x02\x1b[31m bells \u202erang\ufeff in\u00ad town.\x7f " * 40
NO_PUNCTUATION = " ".join(f"word{i % 977}" for i in range(100_000))

# (name, raw body, the text to check a 200 against)
HOSTILE: list[tuple[str, bytes, str | None]] = [
    ("ten megabytes", b'{"text": "' + b"a" * TEN_MB + b'"}', None),
    ("binary", bytes(range(256)) * 64, None),
    ("invalid utf-8", b'{"text": "\xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc"}', None),
    ("nul bytes in json", b'{"text": "a\x00b"}', None),
    ("deeply nested json", _deep(100_000), None),
    ("nested just under the limit", _deep(500), None),
    ("100k words, no punctuation", json.dumps({"text": NO_PUNCTUATION}).encode(), NO_PUNCTUATION),
    ("only emoji", json.dumps({"text": EMOJI}).encode(), EMOJI),
    ("html with scripts", json.dumps({"text": HTML}).encode(), HTML),
    ("right-to-left", json.dumps({"text": RTL}).encode(), RTL),
    ("control characters", json.dumps({"text": CONTROL}).encode(), CONTROL),
]


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=120) as client:
        yield client


@pytest.mark.parametrize(("name", "body", "text"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input(http, name: str, body: bytes, text: str | None):
    r = http.post("/v1/analyze", content=body, headers={"content-type": JSON})
    _check_hostile(r, text)
    assert (r.status_code == 200) == (text is not None), r.text[:500]  # text to check a 200 against: answered
    assert http.get("/healthz").status_code == 200


def test_hostile_outcomes(http):
    """The cases above that must be refused are refused with the right code, and the rest answered."""
    r = http.post("/v1/analyze", content=HOSTILE[0][1], headers={"content-type": JSON})
    assert r.status_code == 413
    r = http.post("/v1/analyze", content=_deep(100_000), headers={"content-type": JSON})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json"
    r = http.post("/v1/analyze", json={"text": NO_PUNCTUATION})
    assert r.status_code == 200 and r.json()["truncated"] is True
    body = http.post("/v1/analyze", json={"text": HTML}).json()
    found = json.dumps([body["summary"], body["entities"], body["keywords"]])
    assert "alert" not in found and "steal" not in found and "color:red" not in found
    assert "York" in found


def test_open_without_keys_by_default(http, seed_text):
    r = http.post("/v1/analyze", json={"text": seed_text})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers


def test_every_answer_says_nosniff(http, seed_text):
    # A JSON answer quotes the article, markup and all: a browser must never read it as a page.
    answers = [http.post("/v1/analyze", json={"text": seed_text}), http.post("/v1/analyze", content=b"{"),
               http.get("/no/such/route"), http.get("/"), http.head("/healthz"), http.get("/metrics")]
    for r in answers:
        assert r.headers["x-content-type-options"] == "nosniff", (r.request.url, r.status_code)


def test_request_id_and_metrics(http, seed_text):
    r = http.post("/v1/analyze", json={"text": seed_text}, headers={"X-Request-ID": "cms-42.a"})
    assert r.headers["x-request-id"] == "cms-42.a"
    generated = http.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32 and generated != http.get("/healthz").headers["x-request-id"]
    assert http.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"] != \
        "bad id\twith spaces"
    http.get("/no/such/route")
    # Refused before routing, it still counts under its route; a client that leaves mid-body is a 499.
    plain = http.post("/v1/analyze", content=b"An article.", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    url = httpx.URL(str(http.base_url))
    with socket.create_connection((url.host, url.port)) as sock:
        sock.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b'Content-Length: 500\r\n\r\n{"text": "cut short')
    deadline = time.monotonic() + 30
    while 'status="499"' not in (text := http.get("/metrics").text) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert 'newsdesk_requests_total{method="POST",route="/v1/analyze",status="499"}' in text
    assert 'newsdesk_requests_total{method="POST",route="/v1/analyze",status="415"}' in text
    assert 'status="500"' not in text
    metrics = http.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'newsdesk_requests_total{method="POST",route="/v1/analyze",status="200"}' in text
    assert 'route="other",status="404"' in text and "/no/such/route" not in text
    assert 'newsdesk_request_duration_seconds_bucket{le="+Inf",route="/v1/analyze"}' in text
    assert "newsdesk_batch_size_count" in text and "newsdesk_queue_depth 0.0" in text
    assert "newsdesk_requests_in_flight 0.0" in text  # the scrape itself is not in flight
    model = http.get("/readyz").json()["model"]  # what every response's `model` says
    assert 'newsdesk_model_info{{name="{name}",version="{version}"}} 1.0'.format(**model) in text


def _count(metrics: str, labels: str) -> float:
    prefix = f"newsdesk_requests_total{{{labels}}} "
    return sum(float(line[len(prefix):]) for line in metrics.splitlines() if line.startswith(prefix))


def test_metrics_count_head_as_head_and_made_up_methods_as_other(http):
    """HEAD runs as GET inside the app, but is counted as what the client sent; a scan with methods of its
    own making cannot grow the label set."""
    before = http.get("/metrics").text
    assert http.head("/healthz").status_code == 200
    for method in ("FROB", "XYZZY"):
        assert http.request(method, "/healthz").status_code == 405
    text = http.get("/metrics").text
    head = 'method="HEAD",route="/healthz",status="200"'
    other = 'method="other",route="/healthz",status="405"'
    assert (_count(text, head), _count(text, other)) == (_count(before, head) + 1, _count(before, other) + 2)
    assert "FROB" not in text and "XYZZY" not in text


def test_a_client_gone_before_the_answer_counts_as_499_and_frees_the_server(http, seed_text):
    labels = 'method="POST",route="/v1/analyze",status="499"'
    before = _count(http.get("/metrics").text, labels)
    body = json.dumps({"text": "\n\n".join([seed_text] * 10)}).encode()
    url = httpx.URL(str(http.base_url))
    with socket.create_connection((url.host, url.port)) as sock:
        sock.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        time.sleep(0.5)  # the whole request is in; the client hangs up before the answer
    deadline = time.monotonic() + 60
    while _count(text := http.get("/metrics").text, labels) < before + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _count(text, labels) == before + 1
    assert http.post("/v1/analyze", json={"text": seed_text}).status_code == 200


# -- the strict server -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def strict(tmp_path_factory) -> Iterator[LiveServer]:
    raw = portable_yaml(DEFAULT_CONFIG)
    raw["name"] = "newsdesk-strict"
    raw["limits"].update(max_chars=STRICT_MAX_CHARS, long_text="refuse")
    raw["server"].update(api_keys=[CONFIG_KEY, UTF8_KEY], max_queue=1, max_batch=1, max_wait_ms=0,
                         cors_origins=[ORIGIN], shutdown_timeout_s=120)
    path = tmp_path_factory.mktemp("strict") / "strict.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    server = LiveServer(path, log_level="info", env={"NEWSDESK_API_KEYS": f"{ENV_KEY}, "})
    try:
        server.wait_until_ready(SERVER_START_TIMEOUT_S)
        yield server
    finally:
        server.stop()


def long_article(seed: str) -> str:
    """~15k characters: long enough that a request is still running when the next ones arrive."""
    return "\n\n".join([seed] * 5)[: STRICT_MAX_CHARS - 1000]


def test_auth_required_when_keys_are_set(strict, seed_text):
    url = f"{strict.base_url}/v1/analyze"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": CONFIG_KEY[:-1]},
                    {"Authorization": f"Basic {CONFIG_KEY}"}):
        r = httpx.post(url, json={"text": seed_text}, headers=headers, timeout=60)
        assert r.status_code == 401, headers
        assert r.json()["error"]["code"] == "unauthorized"
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert CONFIG_KEY not in r.text
    utf8 = UTF8_KEY.encode()
    for headers in ({"Authorization": f"Bearer {CONFIG_KEY}"}, {"authorization": f"bearer {ENV_KEY}"},
                    {"X-API-Key": ENV_KEY}, {"X-API-Key": utf8}, {"Authorization": b"Bearer " + utf8}):
        r = httpx.post(url, json={"text": seed_text}, headers=headers, timeout=60)
        assert r.status_code == 200, (headers, r.text)
    r = httpx.post(url, json={"text": seed_text}, headers={"X-API-Key": utf8[:-1]}, timeout=60)
    assert r.status_code == 401
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert httpx.get(f"{strict.base_url}{path}").status_code == 200, path


def test_auth_is_checked_before_the_body_is_read(strict):
    r = httpx.post(f"{strict.base_url}/v1/analyze", content=b"x" * TEN_MB, headers={"content-type": JSON})
    assert r.status_code == 401
    assert r.headers["x-content-type-options"] == "nosniff"


def test_long_text_refused_when_configured(strict):
    text = "word " * (STRICT_MAX_CHARS // 4)
    r = httpx.post(f"{strict.base_url}/v1/analyze", json={"text": text}, headers={"X-API-Key": CONFIG_KEY},
                   timeout=60)
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "text_too_long" and r.json()["error"]["field"] == "text"


def test_cors_only_for_the_configured_origin(strict):
    url = f"{strict.base_url}/v1/analyze"
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-api-key"}
    r = httpx.options(url, headers={"Origin": ORIGIN, **preflight})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == ORIGIN
    r = httpx.options(url, headers={"Origin": "https://evil.example", **preflight})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers, r.headers  # not even "*"


def test_saturated_queue_gives_503_at_once(strict, seed_text):
    """One running, one waiting: every other concurrent request is refused at once with Retry-After."""
    text = long_article(seed_text)

    def post(_: int) -> httpx.Response:
        return httpx.post(f"{strict.base_url}/v1/analyze", json={"text": text},
                          headers={"X-API-Key": CONFIG_KEY}, timeout=120)

    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(post, range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) == {200, 503}, statuses
    for r in responses:
        if r.status_code == 503:
            assert r.json()["error"]["code"] == "overloaded" and int(r.headers["retry-after"]) >= 1
        else:
            check_analyze_response(r.json(), text)


def test_json_logs_with_request_ids_and_no_text(strict, seed_text):
    marker = "Zanzibar-marmalade-quokka"
    r = httpx.post(f"{strict.base_url}/v1/analyze", json={"text": f"{seed_text}\n{marker} was here."},
                   headers={"X-API-Key": CONFIG_KEY, "X-Request-ID": "log-check-1"}, timeout=60)
    assert r.status_code == 200
    time.sleep(0.2)
    lines = [json.loads(line) for line in strict.log.read_text(encoding="utf-8").splitlines() if line.strip()]
    mine = [rec for rec in lines if rec.get("request_id") == "log-check-1"]
    assert {rec["logger"] for rec in mine} >= {"newsdesk.access", "newsdesk.api"}
    access = next(rec for rec in mine if rec["logger"] == "newsdesk.access")
    assert access["status"] == 200 and access["route"] == "/v1/analyze" and access["duration_ms"] > 0
    assert marker not in strict.log.read_text(encoding="utf-8")


def test_sigterm_finishes_requests_in_flight(strict, seed_text):
    """Runs last on the strict server and stops it: one request running and one accepted behind it
    (queued, or prepared and waiting for the encoder) both finish, the process exits 0, and the port
    stops accepting."""
    text = long_article(seed_text)
    url = f"{strict.base_url}/v1/analyze"

    def post(_: int) -> httpx.Response:
        return httpx.post(url, json={"text": text}, headers={"X-API-Key": CONFIG_KEY}, timeout=120)

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(post, 0)]
        _wait_for_metric(strict, ("newsdesk_articles_in_progress",), 1)
        futures.append(pool.submit(post, 1))
        _wait_for_metric(strict, ("newsdesk_articles_in_progress", "newsdesk_queue_depth"), 2)
        strict.proc.send_signal(signal.SIGTERM)
        responses = [f.result() for f in futures]
    assert [r.status_code for r in responses] == [200, 200], [r.text[:200] for r in responses]
    for r in responses:
        check_analyze_response(r.json(), text)
    # uvicorn raises the SIGTERM it caught again once it has shut down; `serve` absorbs it and exits 0.
    assert strict.proc.wait(timeout=60) == 0
    assert "Application shutdown complete" in strict.log.read_text(encoding="utf-8")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{strict.base_url}/healthz", timeout=5)


def _wait_for_metric(server: LiveServer, names: tuple[str, ...], at_least: float,
                     timeout_s: float = 30.0) -> None:
    """Until the sum of the named gauges reaches `at_least`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = httpx.get(f"{server.base_url}/metrics").text.splitlines()
        total = sum(float(line.split()[1]) for line in lines if line.split(" ", 1)[0] in names)
        if total >= at_least:
            return
        time.sleep(0.02)
    raise AssertionError(f"{' + '.join(names)} never reached {at_least}")

