"""HEAD answered wherever GET is (RFC 9110 asks it of a general-purpose server): uptime checks and load
balancers probe /healthz and /readyz with HEAD. FastAPI routes take only the methods they declare, and
declaring HEAD on each would list it in the OpenAPI document as an operation of its own."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Pure ASGI middleware: a HEAD request runs as GET, and the body of the answer is left out (its
    headers, Content-Length included, are the GET's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
