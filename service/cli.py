"""The `newsdesk` command: parse, check the input, call the library.

This is the composition root. Heavy modules (torch, transformers, spaCy, uvicorn) are imported
inside the commands that need them, so `newsdesk --help` and input errors are instant. A problem the
user can fix is one line on stderr, `newsdesk: error: ...`, and exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import codecs
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.errors import InputError, NewsdeskError, json_syntax_error

if TYPE_CHECKING:
    from service.config import EngineConfig

PROG = "newsdesk"
EXIT_USER_ERROR = 2
EXIT_NOT_PROMOTED = 3  # `train --promote`: written, but worse than the active artifact or another kind


# -- reading input ----------------------------------------------------------------------------------
def decode_article(data: bytes, source: str) -> str:
    """The bytes of an article as text, or an `InputError` that says what is wrong with them."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows "Unicode" text files
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{source} starts as UTF-16 text but is not valid UTF-16 (offset {e.start}); "
                             "convert it to UTF-8") from e
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
        where = json_syntax_error(e.msg, f"character {e.pos}")
        raise InputError(f"--options is not valid JSON: {where}") from e
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


def cmd_warm(args: argparse.Namespace) -> int:
    from service.settings import cache_problem, get_settings

    config = load_config(args.config)
    root = get_settings().cache_root
    if root is None:
        raise InputError("NEWSDESK_CACHE_DIR is empty (the caches are off): there is nothing to warm")
    if problem := cache_problem(root):  # a start would run without the caches: warming fills nothing
        raise InputError(problem)
    from service.analyzer import Analyzer  # torch and the rest: only once the caches can be filled

    Analyzer(config)  # loading fills the caches: the encoder's ONNX graph, the label-description vectors
    print(f"{PROG}: caches for {config.name} {config.version} are ready under {root}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from service.api import create_app
    from service.serve import bind_sockets, check_models, serve

    # Everything a user can get wrong fails here, one line and exit code 2, before the server starts:
    app = create_app(args.config)  # a config that does not validate,
    check_models(app.state.engine.config)  # a path in it that leads to no model,
    sockets = bind_sockets(args.host, args.port)  # a port in use or an address not this machine's.
    return serve(app, sockets, args.host, args.port, args.log_level)


def cmd_score(args: argparse.Namespace) -> int:
    from service.scoring.job import ScoreJob
    from service.scoring.progress import Progress
    from service.scoring.run import score

    fields = tuple(f.strip() for f in args.text_field.split(",") if f.strip())
    if not fields:
        raise InputError(f"--text-field {args.text_field!r} names no field; e.g. --text-field title,body")
    job = ScoreJob(input=args.input, out=args.out, config=load_config(args.config), text_fields=fields,
                   id_field=args.id_field, batch_size=args.batch_size, chunk_size=args.chunk_size,
                   overwrite=args.overwrite)
    parallelism = args.num_actors if args.engine == "ray" else args.workers
    counts = score(job, engine=args.engine, parallelism=parallelism, progress=Progress(sys.stderr))
    print(counts.line())
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from training.run import train  # training/ is wired here only: the engine never imports it

    result = train(args.config_file, out=args.out, promote_it=args.promote)
    print(result.path)
    if result.promotion is not None:
        print(f"{PROG}: {result.promotion.message}", file=sys.stderr)
        return 0 if result.promotion.promoted else EXIT_NOT_PROMOTED
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from training.run import evaluate

    print(json.dumps(evaluate(args.target, args.data, args.split), indent=2))
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

    p = sub.add_parser("warm", help="fill the caches a start reads (once, e.g. when building an image)",
                       description="Load the models once so that the caches under $NEWSDESK_CACHE_DIR "
                                   "(default .cache/) hold the encoder's ONNX graph and the label "
                                   "descriptions' vectors: the first `serve` after it is ready in seconds "
                                   "instead of ~30 s.")
    _add_config(p)
    p.set_defaults(func=cmd_warm)

    p = sub.add_parser("serve", help="run the HTTP API (POST /v1/analyze, /healthz, /readyz, /docs)",
                       description="Run the HTTP API with uvicorn. The models load in the background; "
                                   "/readyz turns 200 when they are in.")
    p.add_argument("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    p.add_argument("--port", type=_port, default=8000, help="TCP port, 1-65535 (default: %(default)s)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"], help="(default: %(default)s)")
    _add_config(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("score", help="score a file or folder of articles into .jsonl or .parquet",
                       description="Score every row of INPUT (.jsonl, .csv, .parquet, a folder of them, "
                                   "or a datasets save_to_disk folder) into OUTPUT (.jsonl or .parquet), one "
                                   "record per row. Output is committed in chunks: after a crash, run the "
                                   "same command again and it finishes the rest, every id exactly once. Bad "
                                   "rows go to OUTPUT.errors.jsonl.")
    p.add_argument("input", type=Path, metavar="INPUT", help="a file, a folder of files, or a saved dataset")
    p.add_argument("--out", type=Path, required=True, metavar="OUTPUT", help="OUTPUT.jsonl or OUTPUT.parquet")
    p.add_argument("--text-field", default="text", metavar="F[,F...]",
                   help="the field(s) holding the text; several (title,body) are joined as paragraphs "
                        "(default: %(default)s)")
    p.add_argument("--id-field", default="id", metavar="F",
                   help="the id field; rows without one get an id hashed from their text "
                        "(default: %(default)s)")
    p.add_argument("--engine", default="local", choices=["local", "ray"],
                   help="local processes, or Ray Data (local Ray, or the cluster at $RAY_ADDRESS; needs "
                        "`pip install newsdesk[ray]`) (default: %(default)s)")
    p.add_argument("--batch-size", type=_positive, default=32, metavar="N",
                   help="articles per engine pass (default: %(default)s)")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="local engine: worker processes, each with its own models (default: the CPU count, "
                        "at most 4; never more than the CPU count or the batches the input fills)")
    p.add_argument("--num-actors", type=_positive, default=1, metavar="N",
                   help="ray engine: actors, each with its own models (default: %(default)s)")
    p.add_argument("--chunk-size", type=_positive, default=1000, metavar="N",
                   help="rows per committed chunk, the most a crash can cost (default: %(default)s)")
    p.add_argument("--overwrite", action="store_true",
                   help="discard OUTPUT and what an earlier run committed, and score everything again")
    _add_config(p)
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("train", help="train a tagger or summariser from a training config",
                       description="Train from a training config (YAML; see configs/train/) and write a "
                                   "versioned artifact folder into its output folder (or --out), all at "
                                   "once: an interrupted run leaves no partial artifact. Prints its path.")
    p.add_argument("config_file", type=Path, metavar="CONFIG", help="the training config YAML")
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: the config's `output`)")
    p.add_argument("--promote", action="store_true",
                   help="make the new artifact the active one (the output folder's ACTIVE file) unless its "
                        "main metric is worse than the active one's, or the active one has another task "
                        f"or taxonomy; then exit {EXIT_NOT_PROMOTED}")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="print an artifact's metrics on a data file as JSON",
                       description="Evaluate an artifact folder, or the active artifact of a training "
                                   "config's output folder, on a data file read with the artifact's field "
                                   "mapping. When the config splits one table by an ids file, --split "
                                   "picks those rows.")
    p.add_argument("target", type=Path, metavar="ARTIFACT_OR_CONFIG",
                   help="an artifact folder, an output folder with an ACTIVE file, or a training config")
    p.add_argument("--data", type=Path, required=True, metavar="PATH",
                   help="a .jsonl/.csv/.parquet file or a datasets folder")
    p.add_argument("--split", default="test", choices=["train", "dev", "test"], help="(default: %(default)s)")
    p.set_defaults(func=cmd_evaluate)
    return parser


def _whole(value: str, lo: int, hi: int | None, expected: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = lo - 1
    if n < lo or (hi is not None and n > hi):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {value!r}")
    return n


def _positive(value: str) -> int:
    return _whole(value, 1, None, "a positive whole number")


def _port(value: str) -> int:
    # Checked here: uvicorn would fail later, with a traceback from the socket's bind.
    return _whole(value, 1, 65535, "a TCP port from 1 to 65535")


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
    except KeyboardInterrupt:  # Ctrl-C: what a command writes appears whole or not at all, so say so, briefly
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `newsdesk analyze x | head`: the reader left; not an error of ours
        sys.stderr.close()
        return 0
