"""The HTTP API: a thin shell over one `Analyzer`.

`create_app` reads the engine config (so a broken config fails at once), builds the app and starts
loading the models in a background thread when the app starts, so `/healthz` answers immediately and
`/readyz` says when the models are in. Requests go through the micro-batcher (`service.batcher`), which
runs the model on its own threads, so the event loop stays free for health checks and metrics.

Middleware, outermost first: request ids, access log and metrics; HEAD run as GET; CORS (only if
configured); API keys (only if configured); the body guard (type, size, encoding). No torch here: the
engine module is imported inside the loader thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from service import demo
from service.auth_http import ApiKeyGuard
from service.batcher import MicroBatcher
from service.config import EngineConfig, load_engine_config
from service.errors import NewsdeskError
from service.errors_http import (
    ERROR_RESPONSES,
    PlainErrorsAsJson,
    RequestBodyGuard,
    ServiceUnavailable,
    install_error_handlers,
)
from service.head_http import HeadAsGet
from service.metrics import ServiceMetrics
from service.observe_http import CLIENT_CLOSED, RequestObserver
from service.schemas import AnalyzeRequest, AnalyzeResponse
from service.settings import get_settings

if TYPE_CHECKING:
    from service.analyzer import Analyzer

log = logging.getLogger("newsdesk.api")

AnalyzerFactory = Callable[[EngineConfig], "Analyzer"]


def _default_factory(config: EngineConfig) -> Analyzer:
    from transformers.utils import logging as hf_logging

    from service.analyzer import Analyzer

    hf_logging.disable_progress_bar()  # the server's stderr is JSON lines, not progress bars
    return Analyzer(config)


class EngineState:
    """The Analyzer behind the API and its loading state: loading, ready or failed."""

    def __init__(self, config: EngineConfig, factory: AnalyzerFactory, metrics: ServiceMetrics):
        self.config = config
        self._factory = factory
        self._metrics = metrics
        self.analyzer: Analyzer | None = None
        self.batcher: MicroBatcher | None = None
        self.error: str | None = None
        self.closing = False
        self._loader: threading.Thread | None = None

    @property
    def loading(self) -> bool:
        """The loader thread is still at work (it cannot be stopped: it is inside torch or spaCy)."""
        return self._loader is not None and self._loader.is_alive()

    def start(self) -> None:
        """Lifespan start: load the models in the background; on a restarted lifespan (tests re-enter
        it) the models are already in and only a new batcher is needed."""
        self.closing = False
        if self.analyzer is not None:
            self.batcher = self._new_batcher(self.analyzer)
            return
        self._loader = threading.Thread(target=self._load, name="newsdesk-loader", daemon=True)
        self._loader.start()

    def _new_batcher(self, analyzer: Analyzer) -> MicroBatcher:
        s = self.config.server
        return MicroBatcher(analyzer, max_batch=s.max_batch, max_wait_ms=s.max_wait_ms, max_queue=s.max_queue,
                            retry_after_s=s.retry_after_s, on_batch=self._metrics.batch_size.observe)

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
            model = analyzer.model_info
            self._metrics.set_model(model.name, model.version)  # what the responses' `model` will say
            self.batcher = self._new_batcher(analyzer)
            self.analyzer = analyzer  # last: a non-None analyzer means ready
            log.info("models loaded: %s %s", model.name, model.version)

    async def close(self) -> None:
        """SIGTERM: uvicorn has stopped accepting and waited for in-flight requests; finish the rest."""
        self.closing = True
        if self.batcher is not None:
            await self.batcher.close()

    def require(self) -> MicroBatcher:
        if self.batcher is not None and self.analyzer is not None:
            return self.batcher
        if self.error is not None:
            raise ServiceUnavailable(f"the models failed to load: {self.error}", code="load_failed",
                                     retry_after=None)
        raise ServiceUnavailable("the models are still loading; retry shortly", code="loading",
                                 retry_after=self.config.server.retry_after_s)

    async def analyze(self, request: AnalyzeRequest) -> AnalyzeResponse:
        server = self.config.server
        response = await self.require().submit(request, timeout_s=server.request_timeout_s)
        # Which article a request id was (the access log has the rest); its text only if configured.
        extra: dict[str, Any] = {"article_id": response.id, "chars": len(request.text)}
        if server.log_text:
            extra |= {"title": request.title, "text": request.text}
        log.info("analyzed %s", response.id, extra=extra)
        return response


router = APIRouter()


def _engine(request: Request) -> EngineState:
    return request.app.state.engine


@router.post("/v1/analyze", response_model=AnalyzeResponse, responses=ERROR_RESPONSES,
             summary="Tag, summarise and extract entities and keywords from one article")
async def analyze(body: AnalyzeRequest, request: Request) -> AnalyzeResponse | Response:
    work = asyncio.ensure_future(_engine(request).analyze(body))
    gone = asyncio.ensure_future(_client_gone(request))
    try:
        await asyncio.wait((work, gone), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # uvicorn gave up waiting at shutdown: a 503 to retry, not its bare 500
        work.cancel()
        raise ServiceUnavailable("the server is shutting down; retry on another instance",
                                 code="shutting_down",
                                 retry_after=_engine(request).config.server.retry_after_s) from None
    finally:
        gone.cancel()
    if not work.done():  # nobody to answer: the article leaves the queue, the request counts as 499
        work.cancel()
        return Response(status_code=CLIENT_CLOSED)
    return work.result()


async def _client_gone(request: Request) -> None:
    """Returns when the client disconnects (the body is read by then: nothing else can arrive)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: 200 once the models are loaded, 503 before or if loading failed",
            responses={503: {"description": "Loading, shutting down, or loading failed (`error` says why)."}})
async def readyz(request: Request) -> JSONResponse:
    engine = _engine(request)
    if engine.closing:
        return JSONResponse({"status": "shutting_down"}, status_code=503)
    if engine.analyzer is not None:
        model = engine.analyzer.model_info.model_dump()
        return JSONResponse({"status": "ready", "model": model})
    body: dict[str, Any] = {"status": "loading"}
    if engine.error is not None:
        body = {"status": "failed", "error": engine.error}
    return JSONResponse(body, status_code=503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text exposition format."}})
async def metrics(request: Request) -> Response:
    m: ServiceMetrics = request.app.state.metrics
    return Response(m.render(), media_type=m.content_type)


def create_app(
    config_path: Path | None = None, *, analyzer_factory: AnalyzerFactory | None = None
) -> FastAPI:
    """Build the app. `config_path` defaults to `NEWSDESK_CONFIG`, then `configs/default.yaml`.

    Raises `ConfigError` at once for a config that does not validate. `analyzer_factory` builds the
    Analyzer from the config (tests pass one that returns a shared instance).
    """
    settings = get_settings()
    config = load_engine_config(config_path or settings.config)
    metrics = ServiceMetrics(config.name, config.version)
    engine = EngineState(config, analyzer_factory or _default_factory, metrics)
    metrics.queue_depth.set_function(lambda: engine.batcher.depth if engine.batcher else 0)
    metrics.in_progress.set_function(lambda: engine.batcher.in_flight if engine.batcher else 0)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.start()
        yield
        await engine.close()

    app = FastAPIOffline(  # FastAPI whose /docs and /redoc load their scripts from this server, not a CDN
        title="newsdesk",
        version=config.version,
        summary="Topic tags, summaries, entities and keywords for news articles.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.metrics = metrics
    app.include_router(router)
    app.include_router(demo.router)
    install_error_handlers(app)
    # add_middleware puts each one outside the ones before it.
    app.add_middleware(RequestBodyGuard, max_body_bytes=config.limits.max_body_bytes)
    api_keys = [*config.server.api_keys, *settings.api_key_list]
    if api_keys:
        app.add_middleware(ApiKeyGuard, keys=api_keys)
    if config.server.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=config.server.cors_origins,
                           allow_methods=["GET", "POST"], expose_headers=["X-Request-ID"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID"])
    app.add_middleware(PlainErrorsAsJson)  # outside CORS, whose refusals are plain text
    app.add_middleware(HeadAsGet)  # HEAD is a GET to everything inside
    app.add_middleware(RequestObserver, metrics=metrics)  # outermost: it sees a HEAD as HEAD
    return app
