"""The demo page's routes and the `sentences` option it relies on, in-process (the browser test drives
the page itself against a real server)."""

from __future__ import annotations

import re

import pytest
import test_api
from contract import RESPONSE_KEYS, check_analyze_response

from service.demo import ASSETS, WEB_DIR

client = test_api.client  # the API tests' in-process app on the session's Analyzer, reused here


def test_page_is_served_with_a_strict_content_security_policy(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    for name in ASSETS:
        assert f'"/demo/{name}"' in r.text


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_assets_are_served_with_their_media_type(client, name):
    r = client.get(f"/demo/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == ASSETS[name]
    assert r.text == (WEB_DIR / name).read_text(encoding="utf-8")


def test_an_unknown_asset_is_a_json_404(client):
    r = client.get("/demo/../settings.py")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_page_loads_nothing_from_elsewhere():
    """Offline by construction: no absolute URL (CDN, web font) in any file of the page. An SVG's
    xmlns is a name, not a fetch."""
    for path in WEB_DIR.iterdir():
        text = re.sub(r'xmlns="[^"]*"', "", path.read_text(encoding="utf-8"))
        found = re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.I)
        assert not found, f"{path.name} refers to {found}"


def test_example_is_the_seed_article(client, seed_text):
    r = client.get("/v1/example")
    assert r.status_code == 200 and r.json() == {"text": seed_text}


def test_openapi_lists_the_example_but_not_the_page(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/example" in paths and "/" not in paths


# -- options.sentences ------------------------------------------------------------------------------
def test_sentences_are_left_out_unless_asked(client, seed_text):
    body = client.post("/v1/analyze", json={"text": seed_text}).json()
    assert set(body) == RESPONSE_KEYS


def test_sentences_locate_evidence_and_summary(client, seed_text):
    r = client.post("/v1/analyze", json={"text": seed_text, "options": {"sentences": True}})
    assert r.status_code == 200, r.text
    body = r.json()
    check_analyze_response({k: v for k, v in body.items() if k != "sentences"}, seed_text)
    sentences = body["sentences"]
    assert [s["index"] for s in sentences] == list(range(len(sentences)))
    covered = " ".join(seed_text[s["start"] : s["end"]] for s in sentences)
    assert covered.split() == seed_text.split(), "the sentences must cover the whole text, in order"
    for s, after in zip(sentences, sentences[1:], strict=False):
        assert s["start"] < s["end"] <= after["start"]
        assert seed_text[s["start"] : s["end"]].strip() == seed_text[s["start"] : s["end"]]
    by_index = {s["index"]: s for s in sentences}
    assert body["tags"] and body["summary"]["sentences"]  # or the loops below check nothing
    for tag in body["tags"]:
        assert tag["evidence"] and set(tag["evidence"]) <= set(by_index)
    for s in body["summary"]["sentences"]:
        assert (by_index[s["index"]]["start"], by_index[s["index"]]["end"]) == (s["start"], s["end"])


def test_sentence_offsets_count_code_points(client):
    """Offsets index Python strings (code points): an emoji before a sentence must not shift it."""
    text = "Fans cheered 🎉🎉 as the home side won the cup final. The captain lifted the trophy in the rain."
    body = client.post("/v1/analyze", json={"text": text, "options": {"sentences": True}}).json()
    pieces = [text[s["start"] : s["end"]] for s in body["sentences"]]
    assert pieces == ["Fans cheered 🎉🎉 as the home side won the cup final.",
                      "The captain lifted the trophy in the rain."]
