"""Batch scoring without models: input formats, bad rows, the commit protocol, model-change refusal,
and the one-line errors of `newsdesk score`. (The engines themselves: test_scoring_engines.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from service import cli
from service.artifacts import MANIFEST, load_manifest
from service.config import load_engine_config
from service.errors import InputError
from service.scoring import sources
from service.scoring.keyset import KeySet
from service.scoring.records import record_schema
from service.scoring.rows import Article, RowError, RowSpec, to_article
from service.scoring.run import pin_models
from service.scoring.sources import count_rows, discover, read_rows
from service.scoring.store import OutputStore, Scored, fingerprint
from training.artifact import promote

ROWS = [
    {"id": "a1", "title": "Markets rally", "body": "Shares rose on Monday.\nBanks led the gains."},
    {"id": "007", "title": "Cup final", "body": "The home side won 2-1 in extra time."},
    {"id": "c3", "title": "Vote delayed", "body": "Parliament put off the vote until spring."},
]
SPEC = RowSpec(("title", "body"), "id", max_bytes=2000)
MODEL = {"name": "newsdesk-default", "version": "0.1.0"}


def articles(root: Path, spec: RowSpec = SPEC) -> list[Article | RowError]:
    return [to_article(raw, spec) for f in discover(root) for raw in read_rows(f, spec.columns)]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- formats in -------------------------------------------------------------------------------------
def test_every_input_format_gives_the_same_articles(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(ROWS)
    write_jsonl(tmp_path / "in.jsonl", ROWS)
    pacsv.write_csv(table, tmp_path / "in.csv")
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=2)
    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "saved"))
    folder = tmp_path / "folder"
    folder.mkdir()
    write_jsonl(folder / "part-1.jsonl", ROWS[:2])
    pq.write_table(pa.Table.from_pylist(ROWS[2:]), folder / "part-2.parquet")

    expected = [(r["id"], f"{r['title']}\n\n{r['body']}") for r in ROWS]
    for source in ("in.jsonl", "in.csv", "in.parquet", "saved", "folder"):
        got = articles(tmp_path / source)
        assert [(a.id, a.text) for a in got] == expected, source  # "007" stays a string in CSV
    assert [(a.source, a.at) for a in articles(folder)] == [
        ("part-1.jsonl", "line 1"), ("part-1.jsonl", "line 2"), ("part-2.parquet", "row 1")]


def test_rows_without_an_id_get_a_stable_content_id(tmp_path: Path) -> None:
    rows = [{"title": "t", "body": "Same text."}, {"title": "t", "body": "Same text."}, {"body": "Other."}]
    a, b, c = articles(write_jsonl(tmp_path / "in.jsonl", rows))
    assert isinstance(a, Article) and a.id == b.id != c.id and len(a.id) == 16


def test_a_non_finite_float_id_is_no_id_like_null(tmp_path: Path) -> None:
    """A float id column's gaps are NaN, and JSON's 1e400 reads as inf: as "nan" the second such row was
    a duplicate. NaN and Infinity written as such are not JSON at all."""
    texts = ["First story.", "Second story.", "Third story.", "Fourth story."]
    ids = [float("nan"), 2.5, float("nan"), None]
    pq.write_table(pa.table({"id": ids, "body": texts}), tmp_path / "in.parquet")
    null_ids = write_jsonl(tmp_path / "null.jsonl", [{"body": t} for t in texts])
    expected = [(a.id, a.text) for a in articles(null_ids)]
    got = [(a.id, a.text) for a in articles(tmp_path / "in.parquet")]
    assert got == [expected[0], ("2.5", texts[1]), *expected[2:]]

    path = tmp_path / "tokens.jsonl"
    path.write_text('{"id": 1e400, "body": "First story."}\n{"id": NaN, "body": "x"}\n'
                    '{"id": "n", "body": Infinity}\n{"id": -Infinity, "body": "x"}\n', encoding="utf-8")
    first, *bad = articles(path)
    assert isinstance(first, Article) and first.id == expected[0][0]
    assert [(e.at, e.id, e.error) for e in bad] == [
        (f"line {n}", None, f"malformed JSON: {token} is not a JSON value (write null, or the number as a "
                            "string)") for n, token in ((2, "NaN"), (3, "Infinity"), (4, "-Infinity"))]


def test_an_id_that_is_not_valid_unicode_is_a_bad_row_with_a_null_id(tmp_path: Path) -> None:
    """A lone surrogate cannot be written to the errors file or a part (UTF-8 only): it crashed the run,
    and every re-run."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a\\ud800", "body": "Some text here."}\n' + json.dumps(ROWS[0]) + "\n")
    bad, good = articles(path)
    assert isinstance(good, Article) and isinstance(bad, RowError)
    assert (bad.id, bad.error) == (None, "field 'id': the id is not valid Unicode: an unpaired surrogate "
                                         "(U+D800) at character 1")
    out = tmp_path / "scores.jsonl"
    store = open_store(out)
    store.add(bad)
    store.finish({})
    assert json.loads(store.errors_path.read_text(encoding="utf-8")) == {**bad.to_json(), "id": None}


def test_unknown_format_missing_input_and_dataset_dict_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match="unknown input format '.txt'"):
        discover(tmp_path / "notes.txt")
    with pytest.raises(InputError, match="no such file"):
        discover(tmp_path / "absent.jsonl")
    datasets.DatasetDict({"train": datasets.Dataset.from_list(ROWS)}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(InputError, match="DatasetDict with splits train"):
        discover(tmp_path / "dd")


# -- bad rows ---------------------------------------------------------------------------------------
def test_bad_jsonl_rows_each_get_a_reason_and_the_rest_go_on(tmp_path: Path) -> None:
    lines = [
        json.dumps(ROWS[0]),
        "{not json",
        json.dumps({"id": "e1", "title": "", "body": "  "}),
        json.dumps({"id": "e2", "body": 42}),
        json.dumps({"id": "e3", "other": "x"}),
        json.dumps({"id": "e4", "body": "x" * 3000}),
        json.dumps({"id": {"nested": 1}, "body": "fine text"}),
        '{"id": "e6", "body": "lone \\ud800 surrogate"}',
        "[1, 2]",
        json.dumps(ROWS[1]),
        '{"id": "e8", "body": "x", "n": 1' + "0" * 5000 + "}",
        json.dumps({"id": "e9", "title": None, "body": None}),
        "[" * 100_000,
    ]
    path = tmp_path / "in.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "e7", "body": "caf\xe9"}\n')
    got = articles(path)
    assert [a.id for a in got if isinstance(a, Article)] == ["a1", "007"]
    errors = {e.at: e.error for e in got if isinstance(e, RowError)}
    assert errors["line 2"].startswith("malformed JSON")
    assert "empty or only whitespace" in errors["line 3"]
    assert errors["line 4"] == "field 'body' is int, expected a string"
    assert errors["line 5"].startswith("missing text")
    assert "over the limit of 2000" in errors["line 6"]
    assert "must be a string or a number" in errors["line 7"]
    assert "surrogate" in errors["line 8"]
    assert "expected a JSON object" in errors["line 9"]
    assert errors["line 11"].startswith("malformed JSON: Exceeds the limit (4300 digits)")
    assert errors["line 12"] == "text field 'title' or 'body' is null"
    assert errors["line 13"] == "malformed JSON: nested too deeply"
    assert "not valid UTF-8" in errors["line 14"]


def test_a_jsonl_line_cut_short_says_where_it_ends(tmp_path: Path) -> None:
    """A line a crash cut off mid-record: the column is the line's end, not "column 1" of the next line."""
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": "a", "body": \n{"id": "b", "body": "x"\r\n{"id": "c", "body": "x\n')
    errors = {e.at: e.error for e in articles(path) if isinstance(e, RowError)}
    assert errors == {"line 1": "malformed JSON: Expecting value at column 21",
                      "line 2": "malformed JSON: Expecting ',' delimiter at column 24",
                      "line 3": "malformed JSON: Unterminated string starting at column 21"}


def test_bad_csv_rows_malformed_line_and_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,title,body\na1,Markets,"Shares rose.\nBanks led."\nb2,too,many,fields\n'
                     b"c3,Vote,caf\xe9 au lait\nd4,Cup,The home side won.\n")
    got = articles(path)
    assert [a.id for a in got if isinstance(a, Article)] == ["a1", "d4"]
    errors = {e.at: (e.id, e.error) for e in got if isinstance(e, RowError)}
    assert errors == {"line 4": (None, "malformed CSV: expected 3 fields, found 4"),  # a1 spans lines 2-3
                      "line 5": ("c3", "field 'body' is not valid UTF-8 (byte 0xe9)")}


def test_a_csv_quote_never_closed_is_an_error_not_one_row_holding_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,body\na1,"Shares rose.\nBanks led."\nb2,"Rain fell\nc3,The home side won.\n')
    got = articles(path)
    assert [a.id for a in got if isinstance(a, Article)] == ["a1"]  # a value over two lines, closed: fine
    errors = {e.at: e.error for e in got if isinstance(e, RowError)}
    assert errors == {"lines 4-5": 'malformed CSV: a quote (") opened here is never closed, so it holds '
                                   "every line after it"}


def test_a_stray_csv_quote_costs_the_lines_it_spans_and_says_so(tmp_path: Path) -> None:
    # b2's quote closes at c3's opening quote; a lenient reader scores b2 with c3's line inside its text,
    # and c3 is never seen.
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,body\na1,"Shares rose."\nb2,"Rain fell\nc3,"The home side won."\n'
                     b'd4,"Vote put off."\n')
    got = articles(path)
    assert [a.id for a in got if isinstance(a, Article)] == ["a1", "d4"]
    errors = {e.at: e.error for e in got if isinstance(e, RowError)}
    assert list(errors) == ["lines 3-4"] and errors["lines 3-4"].startswith("malformed CSV: ")
    assert 'must be doubled ("")' in errors["lines 3-4"]


def test_a_csv_value_over_the_readers_limit_is_too_large_not_malformed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sources, "CSV_MAX_FIELD", 4000)  # 64 MiB in earnest: the same path, faster
    path = tmp_path / "in.csv"
    path.write_text(f'id,body\na1,"{"x" * 5000}"\nb2,The home side won.\n', encoding="utf-8")
    big, fine = articles(path)
    assert isinstance(fine, Article) and fine.id == "b2"
    assert isinstance(big, RowError) and (big.at, big.id, big.error) == (
        "line 2", None, "a field is over 4000 bytes, over the limit of 2000 (limits.max_body_bytes)")


def test_the_progress_total_of_a_csv_counts_records_not_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,body\na1,"Shares rose.\n\nBanks led."\n\nb2,"Rain\nfell."\nc3,too,many\n'
                     b'd4,"Cup\r\nfinal"')
    (f,) = discover(path)
    assert count_rows(f) == len(list(read_rows(f, SPEC.columns))) == 4


# -- the commit protocol ----------------------------------------------------------------------------
def test_keyset_holds_exactly_what_was_added() -> None:
    ks = KeySet(f"id:{i}" for i in range(70_000))  # more than one merge
    assert all(f"id:{i}" in ks for i in range(0, 70_000, 7))
    assert not any(f"id:{i}" in ks for i in range(70_000, 80_000))
    assert ks.add("id:5") is False and ks.add("id:new") is True and len(ks) == 70_001


ENCODER = "0123456789abcdef"  # an encoder_fingerprint


def record(i: int) -> Scored:
    return Scored(f"r{i}", "in.jsonl", f"line {i}", json.dumps({
        "id": f"r{i}", "model": MODEL, "tags": [], "summary": {"text": "", "sentences": []},
        "entities": [], "keywords": [{"text": f"k{i}", "score": 0.5}], "truncated": False}))


def open_store(out: Path, *, version: str = "0.1.0", overwrite: bool = False) -> OutputStore:
    store = OutputStore(out, fingerprint({**MODEL, "version": version}, "{}", ENCODER, SPEC))
    store.open(overwrite=overwrite)
    return store


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_crash_loses_no_committed_row_and_a_rerun_writes_each_once(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"scores{suffix}"
    first = open_store(out)
    for i in range(5):
        first.add(record(i))
    first.add(RowError(None, "in.jsonl", "line 99", "malformed JSON"))
    first.commit()
    first.add(record(5))  # added, never committed: the crash loses it
    (first.parts_dir / "part-000001.tmp").write_bytes(b"half a chunk")  # a chunk cut off mid-write
    del first

    second = open_store(out)
    assert [f"id:r{i}" in second.committed for i in range(6)] == [True] * 5 + [False]
    assert "at:in.jsonl:line 99" in second.committed
    for i in range(5, 8):
        second.add(record(i))
    second.finish({})
    ids = read_ids(out)
    assert sorted(ids) == sorted(f"r{i}" for i in range(8)) and len(ids) == 8
    errors = [json.loads(x) for x in out.with_name(out.name + ".errors.jsonl").read_text().splitlines()]
    assert [e["at"] for e in errors] == ["line 99"]
    assert not second.parts_dir.exists()


def read_ids(out: Path) -> list[str]:
    if out.suffix == ".parquet":
        table = pq.read_table(out)
        assert table.schema.equals(record_schema())
        return table.column("id").to_pylist()
    return [json.loads(line)["id"] for line in out.read_text().splitlines()]


def test_assembly_interrupted_after_output_was_replaced_writes_nothing_twice(tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    store = open_store(out)
    for i in range(3):
        store.add(record(i))
    store.commit()
    parts = {p.name: p.read_bytes() for p in store.parts_dir.iterdir()}
    store.finish({})
    store.parts_dir.mkdir()  # as if the run died after the rename, before removing its parts
    for name, data in parts.items():
        (store.parts_dir / name).write_bytes(data)
    again = open_store(out)
    again.add(record(3))
    again.finish({})
    assert read_ids(out) == ["r0", "r1", "r2", "r3"]


def test_a_second_row_with_the_same_id_becomes_an_error(tmp_path: Path) -> None:
    store = open_store(tmp_path / "scores.jsonl")
    assert store.add(record(1)) == "record"
    assert store.add(Scored("r1", "in.jsonl", "line 7", "{}")) == "error"


def test_a_model_change_is_refused_unless_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    store = open_store(out)
    store.add(record(1))
    store.finish({})
    with pytest.raises(InputError, match=r"scored with model newsdesk-default 0\.1\.0, this run uses "
                                         r"newsdesk-default 0\.2\.0.*--overwrite"):
        open_store(out, version="0.2.0")
    fresh = open_store(out, version="0.2.0", overwrite=True)
    assert len(fresh.committed) == 0 and not out.exists()


def test_a_run_that_failed_before_scoring_a_row_does_not_block_the_next(tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    open_store(out, version="0.1.0")  # opened, then died loading a broken config: nothing committed
    fresh = open_store(out, version="0.2.0")
    fresh.add(record(1))
    fresh.commit()  # now something is written: a third model is refused
    with pytest.raises(InputError, match="refusing to mix them"):
        open_store(out, version="0.3.0")


@pytest.mark.parametrize("damage", ["output", "errors", "manifest"])
def test_a_damaged_file_beside_output_is_one_line_not_a_traceback(tmp_path: Path, damage: str) -> None:
    out = tmp_path / "scores.jsonl"
    store = open_store(out)
    store.add(record(1))
    store.add(RowError(None, "in.jsonl", "line 9", "malformed JSON"))
    store.finish({})
    path = {"output": out, "errors": store.errors_path, "manifest": store.manifest_path}[damage]
    path.write_text({"output": "not json\n", "errors": '{"oops"\n', "manifest": "[]"}[damage])
    with pytest.raises(InputError, match="--overwrite"):
        open_store(out)
    open_store(out, overwrite=True)


def test_output_files_are_never_input(tmp_path: Path) -> None:
    store = OutputStore(tmp_path / "scores.jsonl", fingerprint(MODEL, "{}", ENCODER, SPEC))
    owned = ["scores.jsonl", "scores.jsonl.errors.jsonl", "scores.jsonl.manifest.json", "scores.jsonl.tmp",
             "scores.jsonl.errors.jsonl.tmp", "scores.jsonl.parts/part-000001.parquet"]
    assert all(store.owns(tmp_path / name) for name in owned)
    assert not any(store.owns(tmp_path / name) for name in ("in.jsonl", "scores2.jsonl", "scores.parquet"))


# -- the command's one-line errors (all before any model loads) -------------------------------------
def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["score", *argv])
    err = capsys.readouterr().err
    return code, err


def test_score_command_errors_are_one_line_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       make_config) -> None:
    good = write_jsonl(tmp_path / "in.jsonl", ROWS)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "in.csv").write_text("id,title\n1,hello\n")
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "empty.csv").write_bytes(b"")
    cases = [
        ([str(tmp_path / "absent.jsonl"), "--out", str(tmp_path / "o.jsonl")], "no such file"),
        ([str(tmp_path / "notes.txt"), "--out", str(tmp_path / "o.jsonl")], "unknown input format"),
        ([str(good), "--out", str(tmp_path / "o.csv")], "unknown output format '.csv'"),
        ([str(good), "--out", str(tmp_path / "a-file" / "o.jsonl")], "cannot write"),
        ([str(good), "--out", str(tmp_path / "no-dir" / "o.jsonl")], "does not exist"),
        ([str(tmp_path / "in.csv"), "--out", str(tmp_path / "o.jsonl"), "--text-field", "body"],
         "has no column 'body'"),
        ([str(tmp_path / "empty.csv"), "--out", str(tmp_path / "o.jsonl")],
         f"{tmp_path / 'empty.csv'} is empty: the first line of a CSV file names its columns"),
        ([str(good), "--out", str(tmp_path / "o.jsonl"), "--text-field", ","], "names no field"),
    ]
    for argv, message in cases:
        code, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert err.count("\n") == 1 and err.startswith("newsdesk: error: ") and message in err, err

    code, err = run_cli(capsys, str(good), "--out", str(good), "--overwrite")
    assert code == 2 and "would write over INPUT" in err and good.read_text() == "".join(
        json.dumps(r) + "\n" for r in ROWS)  # --overwrite deleted nothing
    only_output = tmp_path / "only-output"
    only_output.mkdir()
    write_jsonl(only_output / "scores.jsonl", ROWS)
    (only_output / "scores.jsonl.manifest.json").write_text("{}")
    code, err = run_cli(capsys, str(only_output), "--out", str(only_output / "scores.jsonl"))
    assert code == 2 and "no input files besides OUTPUT's own" in err
    folder = tmp_path / "folder"  # --out naming a file of a folder INPUT: refused too, not skipped
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", ROWS)
    write_jsonl(folder / "b.jsonl", ROWS)
    for overwrite in ([], ["--overwrite"]):
        code, err = run_cli(capsys, str(folder), "--out", str(folder / "a.jsonl"), *overwrite)
        assert code == 2 and err == (f"newsdesk: error: --out {folder / 'a.jsonl'} would write over INPUT "
                                     f"{folder / 'a.jsonl'}, a file of {folder}; write to another --out\n")
        assert read_ids(folder / "a.jsonl") == [r["id"] for r in ROWS]  # --overwrite deleted nothing

    out = tmp_path / "scored.jsonl"  # scored before by another model version: refused, nothing loaded
    store = OutputStore(out, fingerprint({**MODEL, "version": "0.0.9"}, "{}", ENCODER, SPEC))
    store.open(overwrite=False)
    store.finish({})
    config = make_config()
    now = pin_models(load_engine_config(config))[0]  # the default's: its IPTC head, then its sentence scorer
    code, err = run_cli(capsys, str(good), "--out", str(out), "--config", str(config))
    assert code == 2 and f"model newsdesk-default 0.0.9, this run uses {now.name} {now.version};" in err


def test_fingerprint_follows_the_engine_config(make_config) -> None:
    a = load_engine_config(make_config())
    b = load_engine_config(make_config(summarizer={"sentences": 4}))
    assert (fingerprint(MODEL, a.model_dump_json(), ENCODER, SPEC)
            != fingerprint(MODEL, b.model_dump_json(), ENCODER, SPEC))


def test_another_encoder_under_the_same_config_is_refused(tmp_path: Path) -> None:
    """An upgraded encoder package changes the vectors though neither the config nor the artifacts change."""
    out = tmp_path / "scored.jsonl"
    store = OutputStore(out, fingerprint(MODEL, "{}", ENCODER, SPEC))
    store.open(overwrite=False)
    store.finish({})
    with pytest.raises(InputError, match=f"on another encoder .*{ENCODER} then, fedcba9876543210 now"):
        OutputStore(out, fingerprint(MODEL, "{}", "fedcba9876543210", SPEC)).open(overwrite=False)
    OutputStore(out, fingerprint(MODEL, "{}", "fedcba9876543210", SPEC)).open(overwrite=True)


def test_other_fields_read_are_refused(tmp_path: Path) -> None:
    """Bad rows of a run with the wrong --text-field must not pass for done in the corrected run."""
    out = tmp_path / "scored.jsonl"
    store = OutputStore(out, fingerprint(MODEL, "{}", ENCODER, RowSpec(("text",), "id", max_bytes=2000)))
    store.open(overwrite=False)
    store.finish({})
    with pytest.raises(InputError, match=r"other fields read \(text 'text', id 'id'; this run: text 'title', "
                                         r"'body', id 'id'\); refusing to mix them"):
        OutputStore(out, fingerprint(MODEL, "{}", ENCODER, SPEC)).open(overwrite=False)


def test_a_row_reusing_an_id_an_earlier_run_scored_is_a_duplicate_not_done(tmp_path: Path) -> None:
    """Resume after a crash, or a grown input: "a1" was scored from line 1; line 3's "a1" is another row."""
    from service.scoring.local import classify
    from service.scoring.rows import at_key, duplicate_places, id_key

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": i, "body": f"Story {n}."} for n, i in
                                               enumerate(["a1", "r2", "a1", "r4"])])
    files = discover(src)
    committed = KeySet([id_key("a1")])
    got = list(classify(files, SPEC, committed))
    assert got[0] is None and isinstance(got[1], Article) and isinstance(got[3], Article)
    assert isinstance(got[2], RowError) and (got[2].at, got[2].error.split(":")[0]) == ("line 3",
                                                                                       "duplicate id 'a1'")
    assert list(duplicate_places(files, SPEC, committed).digests()) == list(
        KeySet([at_key("in.jsonl", "line 3")]).digests())  # what the Ray engine's readers are told
    committed.add(got[2].key)  # written to the errors file by that run: done now
    assert [type(o).__name__ for o in classify(files, SPEC, committed)] == ["NoneType", "Article", "NoneType",
                                                                            "Article"]


# -- which model versions a run uses: the artifacts behind the config's paths ------------------------
NEW_VERSION = "20990101-000000"


def models_with_a_new_scorer(root: Path, make_config) -> tuple[Path, str]:
    """A copy of the shipped models under `root`, whose sentence scorer's output folder holds a second
    version (the same weights, another version) not yet promoted; and a config using that copy.
    Returns the config and the new version's folder name."""
    shipped = load_engine_config(make_config())
    head = shutil.copytree(shipped.tagger.head, root / "models" / "iptc-default")
    short = shutil.copytree(shipped.tagger.short_head, root / "models" / "iptc-short")
    scorer = shutil.copytree(shipped.summarizer.artifact, root / "models" / "summary-default")
    active, manifest = load_manifest(scorer)
    folder = f"{manifest.name}-{NEW_VERSION}"
    shutil.copytree(active, scorer / folder)
    (scorer / folder / MANIFEST).write_text(manifest.model_copy(update={"version": NEW_VERSION})
                                            .model_dump_json(), encoding="utf-8")
    return make_config(tagger={"head": str(head), "short_head": str(short)},
                       summarizer={"artifact": str(scorer)}), folder


def test_the_fingerprint_follows_the_promoted_artifact_versions(tmp_path: Path, make_config) -> None:
    config_path, folder = models_with_a_new_scorer(tmp_path, make_config)
    config = load_engine_config(config_path)
    scorer = config.summarizer.artifact
    head_folder, head = load_manifest(config.tagger.head)
    short_folder, short = load_manifest(config.tagger.short_head)
    was_folder, was = load_manifest(scorer)
    model, pinned = pin_models(config)
    assert (model.name, model.version) == (f"{head.name}+{short.name}+{was.name}",
                                           f"{head.version}+{short.version}+{was.version}")
    # The workers get the version folders: a promotion while they load cannot slip in.
    assert (pinned.tagger.head, pinned.tagger.short_head, pinned.summarizer.artifact) == (
        head_folder, short_folder, was_folder)
    assert pinned.tagger.taxonomy == config.tagger.taxonomy

    assert promote(scorer, folder).promoted  # the same config file, another version behind its path
    promoted, pinned = pin_models(load_engine_config(config_path))
    assert promoted.version == f"{head.version}+{short.version}+{NEW_VERSION}"
    assert pinned.summarizer.artifact == scorer / folder
    assert (fingerprint(model.model_dump(), "{}", ENCODER, SPEC)
            != fingerprint(promoted.model_dump(), "{}", ENCODER, SPEC))
