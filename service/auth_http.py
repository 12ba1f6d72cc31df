"""Optional API keys for the analysis routes (`/v1/...`), checked before the body is read.

Keys come from the config's `server.api_keys` and `NEWSDESK_API_KEYS`. With none, nothing is checked.
With some, a request to `/v1/...` must carry one as `Authorization: Bearer <key>` or `X-API-Key: <key>`,
compared in constant time; otherwise 401 JSON. Health, readiness, metrics, docs and the demo page stay
open. CORS preflights (OPTIONS) pass, since browsers send them without credentials.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors_http import error_response

PROTECTED_PREFIX = "/v1/"


def presented_key(headers: Headers) -> bytes | None:
    """The key's bytes as sent (Starlette decodes header bytes as Latin-1), so a key with UTF-8
    characters matches the configured key's UTF-8 bytes."""
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip().encode("latin-1")
    key = headers.get("x-api-key", "").strip()
    return key.encode("latin-1") if key else None


class ApiKeyGuard:
    def __init__(self, app: ASGIApp, keys: list[str]):
        self.app = app
        self.keys = [k.encode("utf-8") for k in dict.fromkeys(keys) if k]

    def accepts(self, key: bytes) -> bool:
        # Compare with every key, never stopping at a match, so the time taken says nothing.
        ok = False
        for k in self.keys:
            ok |= hmac.compare_digest(key, k)
        return ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (self.keys and scope["type"] == "http" and scope["path"].startswith(PROTECTED_PREFIX)
                and scope["method"] != "OPTIONS"):
            key = presented_key(Headers(scope=scope))
            if key is None or not self.accepts(key):
                message = ("this endpoint needs an API key: send `Authorization: Bearer <key>` or "
                           "`X-API-Key: <key>`") if key is None else "the API key is not valid"
                response = error_response(401, "unauthorized", message,
                                          headers={"WWW-Authenticate": 'Bearer realm="newsdesk"'})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
