"""Stable article ids: what an article is called when its sender gives it no id."""

from __future__ import annotations

import hashlib


def article_id(text: str, title: str | None) -> str:
    """The first 16 hex digits of SHA-256 over title and text: the same article always gets the same id."""
    h = hashlib.sha256(((title or "") + "\x00" + text).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:16]
