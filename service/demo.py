"""The demo page at `GET /`: plain HTML, CSS and JS from `service/web/`, plus the seed article as an example.

The page only calls the public API (`POST /v1/analyze`, `GET /readyz`, `GET /v1/example`), so what an
editor sees is what any client gets. Assets are a fixed list of files shipped in the package: no request
names a path. Everything is same-origin; the Content-Security-Policy makes the browser refuse anything
else, so the page works offline by construction.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from service.settings import PROJECT_ROOT

WEB_DIR = Path(__file__).resolve().parent / "web"
EXAMPLE_ARTICLE = PROJECT_ROOT / "seeds" / "iraq-coalition-security-partnership.txt"
ASSETS = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8",
          "favicon.svg": "image/svg+xml"}
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}  # nosniff: all


class ExampleArticle(BaseModel):
    text: str


router = APIRouter()


@router.get("/", include_in_schema=False)
async def demo_page() -> FileResponse:
    return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8", headers=_HEADERS)


def _asset_route(name: str, media_type: str) -> None:
    async def asset() -> FileResponse:
        return FileResponse(WEB_DIR / name, media_type=media_type, headers=_HEADERS)

    router.add_api_route(f"/demo/{name}", asset, methods=["GET"], include_in_schema=False)


for _name, _media_type in ASSETS.items():
    _asset_route(_name, _media_type)


@router.get("/v1/example", response_model=ExampleArticle,
            summary="The seed article, for the demo page's 'Try an example' button")
async def example() -> ExampleArticle:
    try:
        text = EXAMPLE_ARTICLE.read_text(encoding="utf-8")
    except OSError as e:
        raise HTTPException(404, f"the example article is not available ({EXAMPLE_ARTICLE.name}: "
                                 f"{e.strerror or e})") from e
    return ExampleArticle(text=text)
