"""The /v1/analyze contract from DESIGN.md, shared by the in-process, live-server and CLI tests:
what a valid response looks like, and what each bad request must get back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESPONSE_KEYS = {"id", "model", "tags", "summary", "entities", "keywords", "truncated", "timings_ms"}
JSON = "application/json"

GERMAN = ("Die Bundesregierung hat am Dienstag in Berlin neue Regeln für den Klimaschutz beschlossen. "
          "Kritiker warnen vor hohen Kosten für die Wirtschaft und die Verbraucher.")
FRENCH = ("Le gouvernement a annoncé mardi une série de mesures pour soutenir les agriculteurs touchés "
          "par la sécheresse. Les syndicats agricoles ont salué cette décision, qu'ils jugent insuffisante.")
ARABIC = "أعلنت الحكومة العراقية اليوم عن اتفاق أمني جديد مع التحالف الدولي في بغداد."


def check_analyze_response(body: dict[str, Any], text: str) -> None:
    """Assert that `body` has DESIGN.md's shape and that its offsets point into `text`."""
    assert set(body) == RESPONSE_KEYS, sorted(body)
    assert isinstance(body["id"], str) and body["id"]
    assert set(body["model"]) == {"name", "version"}
    assert all(isinstance(v, str) and v for v in body["model"].values())
    for tag in body["tags"]:
        assert set(tag) == {"code", "label", "score", "level", "parent", "evidence"}
        assert isinstance(tag["code"], str) and tag["code"]
        assert 0.0 <= tag["score"] <= 1.0
        assert tag["level"] >= 1 and (tag["parent"] is None or isinstance(tag["parent"], str))
        assert all(isinstance(i, int) and i >= 0 for i in tag["evidence"])
    scores = [t["score"] for t in body["tags"]]
    assert scores == sorted(scores, reverse=True)
    summary = body["summary"]
    for s in summary["sentences"]:
        assert text[s["start"] : s["end"]] == s["text"], s
    starts = [s["start"] for s in summary["sentences"]]
    assert starts == sorted(starts), "summary sentences must come in article order"
    assert summary["text"] == " ".join(s["text"] for s in summary["sentences"])
    for ent in body["entities"]:
        assert ent["text"] and ent["type"] and ent["count"] == len(ent["spans"]) >= 1
        assert all(0 <= a < b <= len(text) for a, b in ent["spans"])
    assert all(k["text"] and isinstance(k["score"], float) for k in body["keywords"])
    assert isinstance(body["truncated"], bool)
    assert body["timings_ms"]["total"] >= 0


def check_error(body: dict[str, Any], code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["field"] == field, body
    assert body["error"]["message"] and "Traceback" not in body["error"]["message"]


@dataclass(frozen=True)
class BadRequest:
    name: str
    body: bytes
    status: int
    code: str
    field: str | None = None
    content_type: str | None = JSON


BAD_REQUESTS = [
    BadRequest("invalid json", b'{"text": ', 400, "invalid_json"),
    BadRequest("trailing comma", b'{"text": "a",}', 400, "invalid_json"),
    BadRequest("invalid utf-8", b'{"text": "caf\xe9 au lait"}', 400, "invalid_utf8"),
    BadRequest("empty body", b"", 400, "empty_body"),
    BadRequest("5,000-digit number", b'{"text": "a", "options": {"max_tags": 1' + b"0" * 5000 + b"}}", 400,
               "invalid_json"),
    BadRequest("array body", b'[{"text": "a"}]', 422, "not_an_object"),
    BadRequest("string body", b'"an article"', 422, "not_an_object"),
    BadRequest("null body", b"null", 422, "not_an_object"),
    BadRequest("missing text", b"{}", 422, "missing_field", "text"),
    BadRequest("title only", b'{"title": "Headline"}', 422, "missing_field", "text"),
    BadRequest("empty text", b'{"text": ""}', 422, "invalid_value", "text"),
    BadRequest("whitespace text", b'{"text": " \\n\\t  "}', 422, "invalid_value", "text"),
    BadRequest("number text", b'{"text": 42}', 422, "invalid_type", "text"),
    BadRequest("null text", b'{"text": null}', 422, "invalid_type", "text"),
    BadRequest("list text", b'{"text": ["a", "b"]}', 422, "invalid_type", "text"),
    BadRequest("lone surrogate", b'{"text": "bad \\ud800 char"}', 422, "invalid_value", "text"),
    BadRequest("markup only", b'{"text": "<p><br/></p>"}', 422, "empty_text", "text"),
    BadRequest("unknown option", b'{"text": "a", "options": {"foo": 1}}', 422, "unknown_field",
               "options.foo"),
    BadRequest("unknown field", b'{"text": "a", "colour": "red"}', 422, "unknown_field", "colour"),
    BadRequest("options not object", b'{"text": "a", "options": [1]}', 422, "invalid_type", "options"),
    BadRequest("max_tags zero", b'{"text": "a", "options": {"max_tags": 0}}', 422, "invalid_value",
               "options.max_tags"),
    BadRequest("min_score NaN", b'{"text": "a", "options": {"min_score": NaN}}', 422, "invalid_value",
               "options.min_score"),
    BadRequest("bad include", b'{"text": "a", "options": {"include": ["tags", "poems"]}}', 422,
               "invalid_value", "options.include.1"),
    BadRequest("empty label", b'{"text": "a", "options": {"labels": ["sport", " "]}}', 422,
               "invalid_value", "options.labels.1"),
    BadRequest("no parts", b'{"text": "a", "options": {"include": []}}', 422, "invalid_value",
               "options.include"),
    BadRequest("no labels", b'{"text": "a", "options": {"labels": []}}', 422, "invalid_value",
               "options.labels"),
    BadRequest("two lengths", b'{"text": "a", "options": {"summary_sentences": 2, "summary_words": 40}}', 422,
               "invalid_value", "options"),
    BadRequest("text/plain", b"An article.", 415, "unsupported_media_type", "Content-Type", "text/plain"),
    BadRequest("form", b"text=An+article", 415, "unsupported_media_type", "Content-Type",
               "application/x-www-form-urlencoded"),
    BadRequest("multipart", b"--b\r\n\r\nx\r\n--b--\r\n", 415, "unsupported_media_type", "Content-Type",
               "multipart/form-data; boundary=b"),
    BadRequest("no content type", b'{"text": "a"}', 415, "unsupported_media_type", "Content-Type", None),
]
