"""The real `newsdesk` console script in a subprocess.

Only one run loads the models (seconds); every error case fails before the models load.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port
from contract import check_analyze_response

from service import cli
from service.ids import article_id
from service.settings import get_settings

SCRIPT = Path(sys.executable).with_name("newsdesk")
NEWSDESK = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "service"]


def run(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*NEWSDESK, *args], input=stdin, capture_output=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(), proc.stderr.decode())


def assert_user_error(proc: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert proc.returncode == 2, proc
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("newsdesk: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in proc.stderr and proc.stdout == ""


# -- analyze: once for real, once in process ---------------------------------------------------------
def test_analyze_file(seed_path, seed_text):
    proc = run("analyze", str(seed_path))
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    check_analyze_response(body, seed_text)
    assert body["tags"] and body["summary"]["sentences"]
    assert proc.stdout.startswith('{\n  "id"'), "pretty-printed with indent 2"


def test_analyze_stdin_with_title_and_options(seed_text, analyzer, monkeypatch, capsys):
    """In process, with the session's Analyzer standing in for a fresh one."""
    monkeypatch.setattr("service.analyzer.Analyzer", lambda config: analyzer)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(seed_text.encode())))
    options = json.dumps({"max_tags": 2, "include": ["tags", "summary"]})
    assert cli.main(["analyze", "-", "--title", "Iraq and the Coalition", "--options", options]) == 0
    body = json.loads(capsys.readouterr().out)
    check_analyze_response(body, seed_text)
    assert 1 <= len(body["tags"]) <= 2 and body["summary"]["sentences"]
    assert body["entities"] == [] and body["keywords"] == []
    assert body["id"] == article_id(seed_text, "Iraq and the Coalition")  # the title reached the request


# -- help and bad input: cheap, no models --------------------------------------------------------------
def test_help_is_light():
    for args in (["--help"], ["analyze", "--help"], ["serve", "--help"]):
        proc = run(*args)
        assert proc.returncode == 0 and "usage: newsdesk" in proc.stdout, proc
    code = "import sys, service.cli as c; c.build_parser(); sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0, "the CLI imports torch eagerly"


def test_python_dash_m():
    proc = subprocess.run([sys.executable, "-m", "service", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "analyze" in proc.stdout


def _write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


UTF16 = codecs.BOM_UTF16_LE
BAD_FILES: dict[str, tuple[Callable[[Path], str], tuple[str, ...]]] = {
    "missing": (lambda tmp: str(tmp / "nope.txt"), ("nope.txt", "no such file")),
    "directory": (lambda tmp: str(tmp), ("is a directory",)),
    "empty": (lambda tmp: _write(tmp, "empty.txt", b""), ("empty.txt is empty",)),
    "whitespace": (lambda tmp: _write(tmp, "ws.txt", b" \n\t \r\n"), ("only whitespace",)),
    "nul bytes": (lambda tmp: _write(tmp, "a.bin", b"PK\x03\x04\x00\x00 zip"), ("binary", "NUL")),
    "not utf-8": (lambda tmp: _write(tmp, "latin1.txt", "Café crème".encode("latin-1")),
                  ("not valid UTF-8", "0xe9")),
    # a lone high surrogate at the end
    "broken utf-16": (lambda tmp: _write(tmp, "u16.txt", UTF16 + "Hi".encode("utf-16-le") + b"\x00\xd8"),
                      ("starts as UTF-16 text but is not valid UTF-16",)),
    "utf-16 of a binary": (lambda tmp: _write(tmp, "u16.bin", UTF16 + b"\x00\x00\x01\x02"),
                           ("binary", "NUL")),
}


@pytest.mark.parametrize("bom", [codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8])
def test_a_text_file_with_a_byte_order_mark_reads_as_its_text(bom):
    """Windows saves "Unicode" text as UTF-16 with a byte-order mark."""
    encoding = {UTF16: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be", codecs.BOM_UTF8: "utf-8"}[bom]
    text = "Café owners in Zürich — «prices» up 5 %.\n"
    assert cli.decode_article(bom + text.encode(encoding), "a.txt") == text


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_input_file(tmp_path, case):
    make_path, fragments = BAD_FILES[case]
    assert_user_error(run("analyze", make_path(tmp_path)), *fragments)


def test_empty_stdin():
    assert_user_error(run("analyze", "-", stdin=b""), "stdin is empty")


def test_broken_config(make_config, seed_path):
    config = make_config(sumarizer={"sentences": 2})  # typo'd key
    assert_user_error(run("analyze", str(seed_path), "--config", str(config)), "sumarizer", "not permitted")


def test_broken_config_from_environment(make_config, seed_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CONFIG", str(make_config(tagger={"max_tags": "many"})))
    assert_user_error(run("analyze", str(seed_path)), "tagger.max_tags")


def test_missing_config(tmp_path, seed_path):
    assert_user_error(run("analyze", str(seed_path), "--config", str(tmp_path / "no.yaml")), "not found")


@pytest.mark.parametrize(("args", "message"), [
    (["serve", "--port", "99999"], "argument --port: expected a TCP port from 1 to 65535, got '99999'"),
    (["serve", "--port", "http"], "argument --port: expected a TCP port from 1 to 65535, got 'http'"),
    (["score", "in.jsonl", "--out", "out.jsonl", "--batch-size", "0"],
     "argument --batch-size: expected a positive whole number, got '0'"),
])
def test_numbers_out_of_range_are_usage_errors(args, message, capsys):
    """A port out of range used to reach uvicorn's bind and die with an OverflowError traceback."""
    with pytest.raises(SystemExit) as exit_:
        cli.main(args)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_serve_with_broken_config(make_config):
    assert_user_error(run("serve", "--port", "1", "--config", str(make_config(name=None))), "name")


# A `serve` that should refuse to start but does not would run until killed.
SERVE_TIMEOUT_S = 60


def test_serve_on_a_port_in_use():
    """uvicorn used to log six JSON lines ("[Errno 98] ... address already in use") and exit 3."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = run("serve", "--host", "127.0.0.1", "--port", str(port), timeout=SERVE_TIMEOUT_S)
    assert_user_error(proc, f"cannot listen on 127.0.0.1:{port}", "already in use")


@pytest.mark.parametrize(("host", "fragment"), [
    ("999.1.1.1", "not an address or a known host name"),
    ("192.0.2.1", "192.0.2.1 is not an address of this machine"),  # TEST-NET-1: never a local address
])
def test_serve_on_an_address_not_ours(host, fragment):
    proc = run("serve", "--host", host, "--port", "8000", timeout=SERVE_TIMEOUT_S)
    assert_user_error(proc, f"cannot listen on {host}:8000", fragment)


# (what the config changes, a fragment of the error): paths that `newsdesk analyze` refuses at once
# ({tmp}: the test's folder, {models}: the project's models/)
MISSING_MODELS: dict[str, tuple[dict[str, Any], str]] = {
    "taxonomy": ({"tagger": {"taxonomy": "{tmp}/nope.yaml"}},
                 "tagger.taxonomy: file not found: {tmp}/nope.yaml"),
    "head": ({"tagger": {"head": "{tmp}/no-head"}}, "tagger.head: no artifact at {tmp}/no-head"),
    "short head": ({"tagger": {"short_head": "{tmp}/no-short"}},
                   "tagger.short_head: no artifact at {tmp}/no-short"),
    "sentence scorer": ({"summarizer": {"artifact": "{tmp}/no-scorer"}},
                        "summarizer.artifact: no artifact at {tmp}/no-scorer"),
    "encoder folder": ({"encoder": {"path": "{tmp}/no-encoder"}}, "encoder.path: no model folder at {tmp}"),
    "incomplete artifact": ({"summarizer": {"artifact": "{tmp}/scorer"}}, "incomplete: missing weights"),
    # these four used to start a server whose /readyz said 503 failed
    "summariser as head": ({"tagger": {"head": "{models}/summary-default"}},
                           "tagger.head: {models}/summary-default/"),
    "head as summariser": ({"summarizer": {"artifact": "{models}/iptc-default"}},
                           "summarizer.artifact: {models}/iptc-default/"),
    "summariser as tagger": ({"tagger": {"kind": "trained", "artifact": "{models}/summary-default",
                                         "head": None, "short_head": None}}, "is not a tagger"),
    "spaCy package": ({"spacy": {"package": "nope_spacy"}}, "spacy.package: cannot import 'nope_spacy'"),
}


@pytest.mark.parametrize("case", list(MISSING_MODELS))
def test_serve_with_a_missing_model_refuses_to_start(make_config, tmp_path, project_root, case):
    """These used to start a server whose /readyz and /v1/analyze said 503 load_failed for ever."""
    changes, fragment = MISSING_MODELS[case]
    where = {"tmp": tmp_path, "models": project_root / "models"}
    changes = {k: {f: v if v is None else v.format(**where) for f, v in part.items()}
               for k, part in changes.items()}
    scorer = project_root / "models" / "summary-default"
    shutil.copytree(scorer / (scorer / "ACTIVE").read_text().strip(), tmp_path / "scorer")
    (tmp_path / "scorer" / "weights.safetensors").unlink()
    config = make_config(**changes)
    proc = run("serve", "--port", str(free_port()), "--config", str(config), timeout=SERVE_TIMEOUT_S)
    assert_user_error(proc, fragment.format(**where))


@pytest.mark.parametrize(("options", "fragment"), [
    ("{max_tags: 3}", "--options is not valid JSON"),
    ("[1, 2]", "--options must be a JSON object"),
    ('{"max_tagz": 3}', "options.max_tagz"),
    ('{"max_tags": -1}', "options.max_tags"),
])
def test_bad_options(seed_path, options, fragment):
    assert_user_error(run("analyze", str(seed_path), "--options", options), fragment)


def test_warm_fills_the_caches_a_start_reads(analyzer, tmp_path: Path):
    """The session's Analyzer has exported the encoder's graph into the project's cache: a copy of it
    spares this test the export, and `warm` must still encode and store the label descriptions."""
    cache = tmp_path / "cache"
    shutil.copytree(get_settings().cache_root / "encoders", cache / "encoders")
    proc = run("warm", env={"NEWSDESK_CACHE_DIR": str(cache)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"newsdesk: caches for newsdesk-default 0.1.0 are ready under {cache}"
    assert list((cache / "descriptions").glob("*.safetensors"))
    assert sorted(p.name for p in (cache / "encoders").iterdir()) == sorted(
        p.name for p in (get_settings().cache_root / "encoders").iterdir())


def test_warm_with_the_caches_off_is_a_user_error(tmp_path: Path):
    assert_user_error(run("warm", env={"NEWSDESK_CACHE_DIR": ""}), "NEWSDESK_CACHE_DIR is empty")
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    assert_user_error(run("warm", env={"NEWSDESK_CACHE_DIR": str(blocked)}),
                      f"NEWSDESK_CACHE_DIR {blocked} is a file, not a folder")
