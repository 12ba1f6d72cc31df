"""`newsdesk serve`: check what a user can get wrong before the server starts, bind the port, run uvicorn.

A broken config path, a port in use or an address that is not this machine's is one line and exit code
2 (the CLI prints the `InputError`/`ConfigError`), not uvicorn's log lines and exit code 3 or a server
whose /readyz says `failed` for ever.
"""

from __future__ import annotations

import errno
import importlib.util
import logging
import os
import signal
import socket
import sys
from importlib.machinery import ModuleSpec
from pathlib import Path

from fastapi import FastAPI

from service.config import EngineConfig
from service.errors import ConfigError, InputError
from service.logs import configure_json_logging
from service.model_folder import check_components, resolve_encoder_path, shipped_components
from service.scoring.run import pin_models
from service.taxonomy import load_taxonomy


def check_models(config: EngineConfig) -> None:
    """The files behind the config's paths, checked without loading a model, as `newsdesk analyze` and
    `newsdesk score` find them: the encoder's folder, the spaCy package and the components it must ship, a
    zero-shot tagger's taxonomy, every artifact's manifest, kind and files (`pin_models`; for a seq2seq
    summariser, its folder's model config and tokenizer). A wrong path is then one line and exit code 2
    instead of a server whose /readyz says `failed` for ever; what only loading can find (unreadable
    weights, say) still comes out there."""
    resolve_encoder_path(config.encoder)
    spec = _find(config.spacy.package)
    if spec is None:
        raise ConfigError(f"spacy.package: cannot import {config.spacy.package!r}: it is not installed")
    # Not imported (importing it imports spaCy, seconds): its meta.json says which components it ships.
    if spec.origin and (shipped := shipped_components(Path(spec.origin).parent)) is not None:
        check_components(config.spacy, shipped)
    if config.tagger.kind == "zero-shot" and config.tagger.taxonomy is not None:
        load_taxonomy(config.tagger.taxonomy)
    pin_models(config)


def _find(module: str) -> ModuleSpec | None:
    try:
        return importlib.util.find_spec(module)
    except ImportError:  # "a.b" whose package "a" is missing
        return None


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """The listening sockets uvicorn would open for `host` and `port` (one per address the name resolves
    to, as asyncio's create_server binds them), bound here so that a port in use or an address that is
    not this machine's is one line and exit code 2, not uvicorn's log lines and exit code 3."""
    where = _address(host, port)
    try:
        infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise InputError(f"cannot listen on {where}: --host {host!r} is not an address or a known host "
                         f"name ({e.strerror})") from e
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # one socket a family, as asyncio does
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as e:
        for sock in sockets:
            sock.close()
        reason = {errno.EADDRINUSE: "the address is already in use (another process holds the port; "
                                    "stop it or pick another --port)",
                  errno.EADDRNOTAVAIL: f"{host} is not an address of this machine",
                  errno.EACCES: "permission denied (ports below 1024 need privileges)"}.get(
            e.errno or 0, (e.strerror or str(e)).lower())
        raise InputError(f"cannot listen on {where}: {reason}") from e
    return sockets


def serve(app: FastAPI, sockets: list[socket.socket], host: str, port: int, log_level: str) -> int:
    """Run `app` with uvicorn on the bound `sockets` until SIGTERM or Ctrl-C; exit code 0 after a drain."""
    import uvicorn

    server_cfg = app.state.engine.config.server
    engine = app.state.engine

    class _StartedServer(uvicorn.Server):
        """uvicorn says where it listens only for sockets it bound itself: say it for ours."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                logging.getLogger("uvicorn.error").info(
                    "Uvicorn running on http://%s (Press CTRL+C to quit)", _address(host, port))

    configure_json_logging(log_level)
    # Our middleware writes the access log (JSON, with the request id); on SIGTERM uvicorn stops
    # accepting, lets in-flight requests finish for up to shutdown_timeout_s, then the app drains.
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, log_config=None,
                            access_log=False, timeout_keep_alive=server_cfg.keep_alive_s,
                            timeout_graceful_shutdown=server_cfg.shutdown_timeout_s)
    uvicorn_server = _StartedServer(config)

    # uvicorn puts back the SIGTERM handler it found and raises the signal again once it has shut down
    # gracefully (for programs that embed it); with the default handler the process would die of it
    # (exit code 143) after a clean drain. This one asks uvicorn to stop if the signal comes before its
    # own handler is in, and otherwise absorbs the repeat: a drained server exits 0.
    def stop(signum: int, frame: object) -> None:
        uvicorn_server.should_exit = True

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        uvicorn_server.run(sockets=sockets)
    finally:
        signal.signal(signal.SIGTERM, previous)
        for sock in sockets:
            sock.close()
    if engine.loading:
        # Stopped while the models load: the loader thread is inside torch or ONNX Runtime and cannot be
        # stopped, and tearing the interpreter down under it can abort the process ("terminate called
        # without an active exception", exit code 134). Nothing is left to finish: leave at once.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0
