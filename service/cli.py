"""The `newsdesk` command: parse, check the input, call the library.

This is the composition root. Heavy modules (torch, transformers, spaCy, uvicorn) are imported
inside the commands that need them, so `newsdesk --help` and input errors are instant. A problem the
user can fix is one line on stderr, `newsdesk: error: ...`, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.errors import InputError, NewsdeskError

if TYPE_CHECKING:
    from service.config import EngineConfig

PROG = "newsdesk"
EXIT_USER_ERROR = 2


# -- reading input ----------------------------------------------------------------------------------
def decode_article(data: bytes, source: str) -> str:
    """The bytes of an article as text, or an `InputError` that says what is wrong with them."""
    if b"\x00" in data:
        raise InputError(f"{source} is a binary file (it contains NUL bytes); expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{source} is not valid UTF-8 text (byte 0x{data[e.start]:02x} at offset "
                         f"{e.start}); convert it to UTF-8") from e
    if not text.strip():
        raise InputError(f"{source} is empty" if not text else f"{source} contains only whitespace")
    return text


def read_article(name: str) -> str:
    if name == "-":
        if sys.stdin.isatty():
            raise InputError("no input: give a FILE, or pipe the article into `newsdesk analyze -`")
        return decode_article(sys.stdin.buffer.read(), "stdin")
    path = Path(name)
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"{name}: no such file") from e
    except IsADirectoryError as e:
        raise InputError(f"{name} is a directory; expected a text file") from e
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from e
    return decode_article(data, name)


def parse_options(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        options = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InputError(f"--options is not valid JSON: {e.msg} at character {e.pos}") from e
    if not isinstance(options, dict):
        raise InputError(f'--options must be a JSON object such as \'{{"max_tags": 3}}\', got {raw!r}')
    return options


def load_config(path: Path | None) -> EngineConfig:
    from service.config import load_engine_config
    from service.settings import get_settings

    return load_engine_config(path or get_settings().config)


# -- commands ---------------------------------------------------------------------------------------
def cmd_analyze(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from service.config import format_validation_error
    from service.schemas import AnalyzeRequest

    # Everything that can be checked without the models is checked first.
    text = read_article(args.file)
    options = parse_options(args.options)
    try:
        request = AnalyzeRequest(text=text, title=args.title, options=options)
    except ValidationError as e:
        raise InputError(format_validation_error(e, "request")) from e
    config = load_config(args.config)

    if not sys.stderr.isatty():
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    from service.analyzer import Analyzer

    response = Analyzer(config).analyze(request)
    print(response.model_dump_json(indent=2))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.api import create_app

    app = create_app(args.config)  # a broken config fails here, before the server starts
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


# -- parser -----------------------------------------------------------------------------------------
def _add_config(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, metavar="C",
                   help="engine config YAML (default: $NEWSDESK_CONFIG, else configs/default.yaml)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Tag and summarise news articles: IPTC topics, summary, entities, keywords.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("analyze", help="analyse one article and print the /v1/analyze JSON",
                       description="Analyse one article (plain text or HTML, UTF-8) and print the same "
                                   "JSON as POST /v1/analyze.")
    p.add_argument("file", nargs="?", default="-", metavar="FILE|-",
                   help="the article file; '-' or nothing reads stdin")
    p.add_argument("--title", metavar="T", help="the headline, if it is not the first line of the text")
    p.add_argument("--options", metavar="JSON",
                   help='request options as JSON, e.g. \'{"max_tags": 3, "labels": ["sport", "politics"]}\'')
    _add_config(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("serve", help="run the HTTP API (POST /v1/analyze, /healthz, /readyz, /docs)",
                       description="Run the HTTP API with uvicorn. The models load in the background; "
                                   "/readyz turns 200 when they are in.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"], help="(default: %(default)s)")
    _add_config(p)
    p.set_defaults(func=cmd_serve)
    return parser


def one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.func
    try:
        return command(args)
    except NewsdeskError as e:
        print(f"{PROG}: error: {one_line(e.message)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `newsdesk analyze x | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
