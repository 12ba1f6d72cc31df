"""End to end: a real uvicorn process (`python -m service serve`), spoken to over TCP with httpx."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from contract import ARABIC, BAD_REQUESTS, JSON, BadRequest, check_analyze_response, check_error

TEN_MB = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def http(live_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        yield client


def test_health_and_readiness(http):
    assert http.get("/healthz").json() == {"status": "ok"}
    r = http.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ready" and set(r.json()["model"]) == {"name", "version"}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/", "/docs"])
def test_head_answers_wherever_get_does(http, path):
    got, head = http.get(path), http.head(path)
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if path in ("/healthz", "/docs"):  # the others' bodies change from one request to the next
        assert head.headers["content-length"] == got.headers["content-length"]


def test_head_on_the_analyze_route_is_its_405(http):
    r = http.head("/v1/analyze")
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.content == b""


def test_docs_and_openapi(http):
    assert http.get("/docs").status_code == 200
    spec = http.get("/openapi.json").json()
    assert "/v1/analyze" in spec["paths"]


def test_seed_article(http, seed_text):
    r = http.post("/v1/analyze", json={"text": seed_text})
    assert r.status_code == 200, r.text
    body = r.json()
    check_analyze_response(body, seed_text)
    assert body["tags"] and body["summary"]["sentences"]


def test_non_english_text(http):
    r = http.post("/v1/analyze", json={"text": ARABIC})
    assert r.status_code == 200, r.text
    check_analyze_response(r.json(), ARABIC)


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=lambda c: c.name)
def test_bad_request(http, case: BadRequest):
    headers = {"content-type": case.content_type} if case.content_type else {}
    r = http.post("/v1/analyze", content=case.body, headers=headers)
    assert r.status_code == case.status, r.text
    check_error(r.json(), case.code, case.field)


def test_a_compressed_body_is_refused_by_name(http):
    body = gzip.compress(json.dumps({"text": "The minister resigned on Tuesday."}).encode())
    r = http.post("/v1/analyze", content=body, headers={"content-type": JSON, "content-encoding": "gzip"})
    assert r.status_code == 415, r.text
    check_error(r.json(), "unsupported_media_type", "Content-Encoding")
    assert "gzip" in r.json()["error"]["message"]


def test_ten_megabyte_body_is_refused(http):
    body = b'{"text": "' + b"word " * (TEN_MB // 5) + b'"}'
    r = http.post("/v1/analyze", content=body, headers={"content-type": JSON})
    assert r.status_code == 413
    check_error(r.json(), "body_too_large")
    # The server is still fine afterwards.
    assert http.get("/healthz").status_code == 200


def test_ten_megabyte_stream_is_refused(http):
    """Chunked, no Content-Length: refused once the limit is passed, not after reading 10 MB."""

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(TEN_MB // 65536):
            yield b"a" * 65536
        yield b'"}'

    r = http.post("/v1/analyze", content=chunks(), headers={"content-type": JSON})
    assert r.status_code == 413
    check_error(r.json(), "body_too_large")


def test_invalid_utf8_bytes(http):
    body = b'{"text": "\xff\xfe broken \xc3\x28"}'
    r = http.post("/v1/analyze", content=body, headers={"content-type": JSON})
    assert r.status_code == 400
    check_error(r.json(), "invalid_utf8")
    assert "offset 10" in r.json()["error"]["message"]


def test_an_idle_keep_alive_connection_outlives_clients_own_limit(live_server: str):
    """httpx (like most clients) drops an idle pooled connection after 5 s; a server that closed it at
    the same moment would race the client's next request and leave it without a response. The server
    waits longer (`server.keep_alive_s`), so the same connection still answers after 6 s idle."""
    url = urlsplit(live_server)
    request = f"GET /healthz HTTP/1.1\r\nHost: {url.hostname}\r\n\r\n".encode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        assert _read_response(sock) == (200, b'{"status":"ok"}')
        time.sleep(6)
        sock.sendall(request)
        assert _read_response(sock) == (200, b'{"status":"ok"}')


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length, read whole (it may arrive in several segments)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"the server closed the connection; got {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    return int(lines[0].split()[1]), body
