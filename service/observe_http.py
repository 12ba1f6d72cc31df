"""Request ids, access logs and request metrics: a pure ASGI middleware, outermost, so it also sees
the requests that the guards inside it refuse (401, 413, 415).

Each request gets an id (the client's `X-Request-ID` when it is short and plain, else a new one),
returned as `X-Request-ID` and put on every log line written while it is served. The access log has
method, route, status and duration; never the body. Every answer also says `X-Content-Type-Options:
nosniff`, so that a browser never reads a JSON answer quoting an article's markup as a page.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.logs import request_id
from service.metrics import ServiceMetrics

access_log = logging.getLogger("newsdesk.access")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
CLIENT_CLOSED = 499  # nginx's status for a request whose client left before the answer: not the app's fault
# the methods labelled as they are; others are `other` (service.metrics: a bounded label set)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The app's routes, with those of included routers (FastAPI wraps them; this app gives no prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def route_of(scope: Scope) -> str:
    """The route template that served the request, or that would have (a guard refused it before
    routing: 401, 413, 415), or `other` for a path no route serves."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route.path
    for route in _leaf_routes(getattr(scope.get("app"), "routes", [])):
        if hasattr(route, "path") and route.matches(scope)[0] != Match.NONE:
            return route.path
    return "other"


class RequestObserver:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _CLIENT_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        status: int | None = None
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers["X-Content-Type-Options"] = "nosniff"
            await send(message)

        # A scrape is not traffic: counted in flight, every scrape of an idle server would read 1.
        counted = scope["path"] != "/metrics"
        if counted:
            self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            status = status or 500  # what the client gets if the app raises before it answers
            raise
        finally:
            if status is None:  # the app returned without answering: the client went away mid-request
                status = CLIENT_CLOSED
            seconds = time.perf_counter() - start
            if counted:
                self.metrics.in_flight.dec()
            route = route_of(scope)
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.observe_request(route, method, status, seconds)
            access_log.info("%s %s %d", scope["method"], route, status, extra={
                "method": scope["method"], "route": route, "status": status,
                "duration_ms": round(seconds * 1000, 1)})
            request_id.reset(token)
