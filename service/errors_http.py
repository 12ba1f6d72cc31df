"""HTTP error translation: the one place that maps problems to status codes and JSON errors.

Every error leaves the server as `{"error": {"code", "message", "field"}}`:

- domain errors (`service.errors.NewsdeskError` and subclasses) carry their own status, code and field;
- request-validation errors from FastAPI/pydantic become 400 (bad JSON) or 422 (bad shape) naming the field;
- transport problems (wrong Content-Type, body too large, body not UTF-8) are caught by `RequestBodyGuard`,
  a pure ASGI middleware that reads the body at most once and never more than the configured limit;
- anything else is a 500 `internal_error` with no traceback in the response (the traceback is logged);
- the few answers Starlette writes as plain text itself (a file's unsatisfiable Range, a refused CORS
  preflight) are rewritten as JSON by `PlainErrorsAsJson`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import NewsdeskError, json_parse_failure, json_syntax_error
from service.schemas import ErrorResponse

log = logging.getLogger("newsdesk.api")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# Declared on every route that takes a body, so /openapi.json documents the error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Body is empty, not valid JSON or not valid UTF-8."},
    401: {"model": ErrorResponse, "description": "API keys are configured and the request has none or a "
                                                 "wrong one (`Authorization: Bearer <key>` or `X-API-Key`)."},
    413: {"model": ErrorResponse, "description": "Body is larger than `limits.max_body_bytes`, or its "
                                                 "readable text is longer than `limits.max_chars` or "
                                                 "`limits.max_tokens` (`long_text: refuse`)."},
    415: {"model": ErrorResponse, "description": "Content-Type is not application/json, or the body is "
                                                 "compressed (Content-Encoding)."},
    422: {"model": ErrorResponse, "description": "JSON is valid but the request is not: `field` names it."},
    503: {"model": ErrorResponse, "description": "The server is busy (queue full), shutting down or still "
                                                 "loading (see Retry-After), the models failed to load, or a "
                                                 "seq2seq summariser failed."},
    504: {"model": ErrorResponse, "description": "The analysis did not finish within "
                                                 "`server.request_timeout_s`."},
}

_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
    416: "range_not_satisfiable", 429: "too_many_requests", 503: "unavailable",
}


def _status_code(status: int) -> str:
    return _STATUS_CODES.get(status, "error" if status < 500 else "internal_error")


class ServiceUnavailable(NewsdeskError):
    """The engine cannot take requests now: still loading or shutting down (retry after
    `server.retry_after_s`), or failed to load (`retry_after` None: retrying will not help)."""

    code = "not_ready"
    status = 503

    def __init__(self, message: str, *, retry_after: int | None, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = retry_after


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=headers)


# -- request validation (FastAPI/pydantic) ------------------------------------------------------------
def _field(loc: Sequence[Any]) -> str | None:
    """('body', 'options', 'labels', 0) -> 'options.labels.0'; the body itself -> None."""
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or None


def _describe(value: Any) -> str:
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null", bytes: "raw bytes"}
    return kinds.get(type(value), type(value).__name__)


def _code(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "missing_field"
    if kind == "extra_forbidden":
        return "unknown_field"
    if kind.endswith("_type"):
        return "invalid_type"
    return "invalid_value"


def _message(err: dict[str, Any], field: str | None) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "missing":
        return f"{field} is required"
    if kind == "extra_forbidden":
        return f"{field}: unknown option or field (not one of the documented names; see /docs)"
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    got = err.get("input")
    suffix = f", got {_describe(got)}" if kind.endswith("_type") else ""
    if not field or msg.startswith(field):
        return f"{msg}{suffix}"
    return f"{field}: {msg}{suffix}"


def validation_error_response(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    first = errors[0]
    if first["type"] == "json_invalid":
        detail = first.get("ctx", {}).get("error", "JSON decode error")
        pos = first["loc"][-1] if first["loc"] else "?"
        return error_response(400, "invalid_json",
                              f"body is not valid JSON: {json_syntax_error(detail, f'character {pos}')}")
    field = _field(first["loc"])
    if field is None:
        if first["type"] == "missing":
            return error_response(400, "empty_body", "request body is empty; expected a JSON object "
                                  'such as {"text": "..."}')
        return error_response(422, "not_an_object", f"request body must be a JSON object such as "
                              f'{{"text": "..."}}, got {_describe(first.get("input"))}')
    messages = [_message(e, _field(e["loc"])) for e in errors]
    return error_response(422, _code(first), "; ".join(messages), field)


# -- exception handlers ---------------------------------------------------------------------------
async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NewsdeskError)
    retry = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry)} if retry else None
    return error_response(exc.status, exc.code, exc.message, exc.field, headers)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return validation_error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _status_code(exc.status_code)
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if isinstance(exc.__cause__, RecursionError):  # FastAPI's JSON parse of a deeply nested body
        code, message = "invalid_json", "body is nested too deeply to parse; send a flat JSON object"
    elif exc.status_code == 400 and exc.__cause__ is not None:  # any other failure of FastAPI's JSON parse
        code, message = "invalid_json", f"body is not valid JSON: {json_parse_failure(exc.__cause__)}"
    return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(NewsdeskError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unexpected)


# -- transport: Content-Type, size and encoding of the body -------------------------------------------
def is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    main, _, sub = media.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


class RequestBodyGuard:
    """Pure ASGI middleware for requests with a body.

    Rejects a non-JSON Content-Type (415), a declared Content-Length over the limit (413) before reading
    anything, and a streamed body as soon as it passes the limit (413), so an oversized body is never
    held in memory. A body that is not UTF-8 is a 400 naming the byte offset. Otherwise the body read
    here is replayed to the app unchanged.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS or not _routed(scope):
            await self.app(scope, receive, send)  # an unknown route or method: the router's 404/405
            return
        problem = self._check_headers(Headers(scope=scope))
        if problem is not None:
            await problem(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large()(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as e:
            bad = body[e.start : e.start + 1].hex()
            response = error_response(400, "invalid_utf8",
                                      f"body is not valid UTF-8: byte 0x{bad} at offset {e.start}")
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_headers(self, headers: Headers) -> JSONResponse | None:
        content_type = headers.get("content-type")
        if not is_json_media_type(content_type):
            got = f"got {content_type!r}" if content_type else "got none"
            return error_response(415, "unsupported_media_type",
                                  f"Content-Type must be application/json, {got}", "Content-Type")
        encoding = headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            return error_response(
                415, "unsupported_media_type",
                f"Content-Encoding {encoding!r} is not supported; send the body uncompressed",
                "Content-Encoding")
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return error_response(400, "bad_request", f"Content-Length is not a number: {declared!r}",
                                      "Content-Length")
            if int(declared) > self.max_body_bytes:
                return self._too_large(int(declared))
        return None

    def _too_large(self, declared: int | None = None) -> JSONResponse:
        size = f"{declared} bytes" if declared is not None else "more than that"
        return error_response(
            413, "body_too_large",
            f"request body is too large: the limit is {self.max_body_bytes} bytes, got {size}",
            headers={"Connection": "close"},
        )


class PlainErrorsAsJson:
    """Pure ASGI middleware: an error answer that is not JSON becomes the JSON error every other one is,
    with the same status and headers (Content-Range, Vary) and its text as the message. Starlette answers
    these itself, before any exception handler: FileResponse a Range it cannot satisfy (416) or parse
    (400), CORSMiddleware a preflight from an origin it does not allow (400)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None  # the plain error's start, held back until its body is in
        body = b""

        async def send_as_json(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start" and message["status"] >= 400:
                if not is_json_media_type(Headers(raw=message["headers"]).get("content-type")):
                    start = message
                    return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body += message.get("body", b"")
            if not message.get("more_body", False):
                await _as_json(start, body)(scope, receive, send)

        await self.app(scope, receive, send_as_json)


def _as_json(start: Message, body: bytes) -> JSONResponse:
    status = start["status"]
    headers = Headers(raw=start["headers"]).items()
    kept = {k: v for k, v in headers if k not in ("content-type", "content-length")}  # the JSON's own
    message = body.decode("utf-8", "replace").strip() or _phrase(status)
    return error_response(status, _status_code(status), message, headers=kept)


def _phrase(status: int) -> str:
    """The status's reason phrase; statuses outside the standard have none (499: the client left)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"status {status}"


def _routed(scope: Scope) -> bool:
    """Whether a route of the app takes this method at this path."""
    routes = getattr(scope.get("app"), "routes", [])
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
