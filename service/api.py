"""The HTTP API: a thin shell over one `Analyzer`.

`create_app` reads the engine config (so a broken config fails at once), builds the app and starts
loading the models in a background thread when the app starts, so `/healthz` answers immediately and
`/readyz` says when the models are in. Model work runs in a worker thread, one request at a time (the
encoder already uses every core), so the event loop stays free for health checks.

No torch here: the engine module is imported inside the loader thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from service import demo
from service.config import EngineConfig, load_engine_config
from service.errors import NewsdeskError
from service.errors_http import ERROR_RESPONSES, RequestBodyGuard, ServiceUnavailable, install_error_handlers
from service.schemas import AnalyzeRequest, AnalyzeResponse
from service.settings import get_settings

if TYPE_CHECKING:
    from service.analyzer import Analyzer

log = logging.getLogger("newsdesk.api")

AnalyzerFactory = Callable[[EngineConfig], "Analyzer"]


def _default_factory(config: EngineConfig) -> Analyzer:
    from service.analyzer import Analyzer

    return Analyzer(config)


class EngineState:
    """The Analyzer behind the API and its loading state: loading, ready or failed."""

    def __init__(self, config: EngineConfig, factory: AnalyzerFactory):
        self.config = config
        self._factory = factory
        self.analyzer: Analyzer | None = None
        self.error: str | None = None
        self.limiter: anyio.CapacityLimiter | None = None

    def start_loading(self) -> None:
        self.limiter = anyio.CapacityLimiter(1)
        threading.Thread(target=self._load, name="newsdesk-loader", daemon=True).start()

    def _load(self) -> None:
        try:
            analyzer = self._factory(self.config)
        except NewsdeskError as e:
            log.error("loading the models failed: %s", e.message)
            self.error = e.message
        except Exception as e:  # reported by /readyz; the process stays up to say so
            log.exception("loading the models failed")
            self.error = f"{type(e).__name__}: {e}"
        else:
            self.analyzer = analyzer
            log.info("models loaded: %s %s", self.config.name, self.config.version)

    def require(self) -> Analyzer:
        if self.analyzer is not None:
            return self.analyzer
        if self.error is not None:
            raise ServiceUnavailable(f"the models failed to load: {self.error}", code="load_failed",
                                     retry_after=None)
        raise ServiceUnavailable("the models are still loading; retry shortly", code="loading")

    async def analyze(self, request: AnalyzeRequest) -> AnalyzeResponse:
        analyzer = self.require()
        return await anyio.to_thread.run_sync(analyzer.analyze, request, limiter=self.limiter)


router = APIRouter()


def _engine(request: Request) -> EngineState:
    return request.app.state.engine


@router.post("/v1/analyze", response_model=AnalyzeResponse, responses=ERROR_RESPONSES,
             summary="Tag, summarise and extract entities and keywords from one article")
async def analyze(body: AnalyzeRequest, request: Request) -> AnalyzeResponse:
    return await _engine(request).analyze(body)


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: 200 once the models are loaded, 503 before or if loading failed",
            responses={503: {"description": "Loading, or loading failed (`error` says why)."}})
async def readyz(request: Request) -> JSONResponse:
    engine = _engine(request)
    if engine.analyzer is not None:
        model = engine.analyzer.model_info.model_dump()
        return JSONResponse({"status": "ready", "model": model})
    body: dict[str, Any] = {"status": "loading"}
    if engine.error is not None:
        body = {"status": "failed", "error": engine.error}
    return JSONResponse(body, status_code=503)


def create_app(
    config_path: Path | None = None, *, analyzer_factory: AnalyzerFactory | None = None
) -> FastAPI:
    """Build the app. `config_path` defaults to `NEWSDESK_CONFIG`, then `configs/default.yaml`.

    Raises `ConfigError` at once for a config that does not validate. `analyzer_factory` builds the
    Analyzer from the config (tests pass one that returns a shared instance).
    """
    config = load_engine_config(config_path or get_settings().config)
    engine = EngineState(config, analyzer_factory or _default_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.start_loading()
        yield

    app = FastAPI(
        title="newsdesk",
        version=config.version,
        summary="Topic tags, summaries, entities and keywords for news articles.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.include_router(router)
    app.include_router(demo.router)
    install_error_handlers(app)
    app.add_middleware(RequestBodyGuard, max_body_bytes=config.limits.max_body_bytes)
    return app
