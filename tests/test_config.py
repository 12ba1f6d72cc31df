"""Config and taxonomy loading: errors name the file and the field."""

from __future__ import annotations

import logging

import pytest
import yaml

from service.config import EncoderConfig, load_engine_config
from service.encoder import SentenceEncoder
from service.errors import ConfigError
from service.features import TfidfView
from service.heads import TopicHead, head_bytes, load_head
from service.language import LANGUAGES, LATIN_SCRIPT, identifier
from service.model_folder import resolve_encoder_path
from service.settings import DEFAULT_CONFIG, PROJECT_ROOT, get_settings, usable_cache_root
from service.taxonomy import load_label_map, load_taxonomy


def test_default_config_loads_and_resolves_paths():
    cfg = load_engine_config(DEFAULT_CONFIG)
    assert cfg.tagger.taxonomy.is_absolute() and cfg.tagger.taxonomy.exists()


def test_default_taxonomy_is_iptc_top_level_with_second_level_children():
    cfg = load_engine_config(DEFAULT_CONFIG)
    tax = load_taxonomy(cfg.tagger.taxonomy)
    top = tax.top_level()
    assert len(top) == 17
    assert all(lb.code.startswith("medtop:") and lb.code.endswith("000000") for lb in top)
    assert all(lb.level == 2 and lb.parent in {t.code for t in top} for lb in tax.labels if lb not in top)
    assert tax.children("medtop:16000000")  # conflict, war and peace has second-level topics
    names = {lb.code: lb.name for lb in tax.labels}
    assert names["medtop:16000000"] == "conflict, war and peace"
    assert names["medtop:11000000"] == "politics"
    assert all(len(lb.descriptions) >= 3 for lb in tax.labels)


def _write(tmp_path, data, name="c.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return p


def _base():
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["tagger"]["taxonomy"] = str(load_engine_config(DEFAULT_CONFIG).tagger.taxonomy)
    return raw


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda r: r["tagger"].update(max_tagz=3), "tagger.max_tagz"),
        (lambda r: r["tagger"].update(max_tags="many"), "tagger.max_tags"),
        (lambda r: r["summarizer"].update(sentences=0), "summarizer.sentences"),
        (lambda r: r.pop("name"), "name"),
        (lambda r: r.update(extra_section={}), "extra_section"),
        (lambda r: r["tagger"].update(languages=["English"]), "tagger.languages.0"),
        (lambda r: r["tagger"].update(head_weight_calibration={"slope": 0}),
         "tagger.head_weight_calibration.slope"),
        # NaN and infinity used to pass, and scores came back null or 1.0
        (lambda r: r["tagger"]["calibration"].update(slope=float("nan")), "tagger.calibration.slope"),
        (lambda r: r["tagger"].update(headline_weight=float("inf")), "tagger.headline_weight"),
        (lambda r: r["summarizer"].update(centrality_weight=float("nan")), "summarizer.centrality_weight"),
        (lambda r: r["server"].update(request_timeout_s=float("inf")), "server.request_timeout_s"),
        # importlib's ValueError, not ImportError, came out as a traceback
        (lambda r: r["encoder"].update(package=""), "encoder.package"),
        (lambda r: r["spacy"].update(package=""), "spacy.package"),
        # no sentence boundaries: every analysis was a 500
        (lambda r: r["spacy"].update(components=["tok2vec", "ner"]), "spacy.components"),
        (lambda r: r["spacy"].update(components=[]), "spacy.components"),
        # either one silently turned all tagging off
        (lambda r: r["tagger"].update(languages=[]), "tagger.languages"),
        (lambda r: r["tagger"].update(languages=["xx"]), "tagger.languages.0: Value error, 'xx' is not a"),
        (lambda r: r["spacy"].update(languages=["German"]), "spacy.languages.0"),
        (lambda r: r["spacy"].update(languages=[]), "spacy.languages"),
    ],
)
def test_config_errors_name_the_field(tmp_path, mutate, needle):
    raw = _base()
    mutate(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(ConfigError) as e:
        load_engine_config(path)
    assert needle in str(e.value) and str(path) in str(e.value)


@pytest.mark.parametrize("text, needle", [("a: [1, 2", "not valid YAML"), ("- 1\n- 2\n", "mapping")])
def test_config_not_yaml_mapping(tmp_path, text, needle):
    with pytest.raises(ConfigError, match=needle):
        load_engine_config(_write(tmp_path, text))


@pytest.mark.parametrize("text, problem", [
    ("name: x\ndata:\n\tpath: a\n", "found character that cannot start any token, line 3, column 1"),
    ("a: 1\n  b: 2\n", "mapping values are not allowed in this context, line 2, column 4"),
])
def test_a_yaml_syntax_error_says_what_and_where(tmp_path, text, problem):
    """Not PyYAML's first line, which says what it was doing ("while scanning for the next token")."""
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_engine_config(path)
    assert str(e.value) == f"{path}: not valid YAML: {problem}"


@pytest.mark.parametrize("text, problem", [
    ("name: " + "9" * 5000 + "\n", "cannot read it as YAML: Exceeds the limit (4300 digits)"),
    ("name: " + "[" * 5000 + "]" * 5000 + "\n", "name: Input should be a valid string, got a list of 1 item"),
])
def test_yaml_python_cannot_hold_is_one_line(tmp_path, text, problem):
    """A 5,000-digit integer (ValueError) and 5,000 nested lists (RecursionError in the message's repr)."""
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        load_engine_config(path)
    assert problem in str(e.value) and "\n" not in str(e.value)


def test_a_value_in_an_error_is_cut_short(tmp_path):
    """A taxonomy given as the config printed an 86 KB line; eight lines of YAML aliases, 254 MB."""
    taxonomy = PROJECT_ROOT / "configs" / "taxonomies" / "iptc.yaml"
    with pytest.raises(ConfigError) as e:
        load_engine_config(taxonomy)
    assert "labels: Extra inputs are not permitted, got a list of 88 items" in str(e.value)
    assert len(str(e.value).replace(str(taxonomy), "")) < 250  # the path, wherever the checkout is, aside
    aliases = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefg", "bcdefgh", strict=True))
    with pytest.raises(ConfigError) as e:
        load_engine_config(path := _write(tmp_path, aliases))
    assert "h: Extra inputs are not permitted, got a list of 9 items" in str(e.value)
    assert len(str(e.value).replace(str(path), "")) < 1000  # eleven problems, each naming the file
    raw = _base()
    raw["tagger"]["pooling"] = "x" * 10_000
    with pytest.raises(ConfigError, match=r"tagger\.pooling: .*, got 'x{76}\.\.\.$"):  # 80 characters
        load_engine_config(_write(tmp_path, raw))


def test_the_languages_a_config_may_name_are_py3langids():
    assert LANGUAGES == set(identifier().nb_classes) and LATIN_SCRIPT <= LANGUAGES


def test_an_empty_newsdesk_config_is_the_default(monkeypatch):
    """It was Path(""), the current folder: "cannot read config .: Is a directory"."""
    monkeypatch.setenv("NEWSDESK_CONFIG", "")
    assert get_settings().config == DEFAULT_CONFIG


def test_a_cache_folder_that_cannot_be_written_is_the_cache_off(tmp_path, monkeypatch, caplog):
    """Said once; the ONNX export used to fail at its end, blaming the encoder ("Not a directory")."""
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("NEWSDESK_CACHE_DIR", str(blocked))
    with caplog.at_level(logging.WARNING, logger="newsdesk.settings"):
        assert usable_cache_root() is None and usable_cache_root() is None
    assert [r.getMessage() for r in caplog.records] == [
        f"NEWSDESK_CACHE_DIR {blocked} is a file, not a folder: running without the caches"]
    monkeypatch.setenv("NEWSDESK_CACHE_DIR", str(tmp_path / "new" / "cache"))
    assert usable_cache_root() == tmp_path / "new" / "cache" and (tmp_path / "new" / "cache").is_dir()


def test_missing_config(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_engine_config(tmp_path / "nope.yaml")


def test_taxonomy_errors(tmp_path):
    bad_parent = {"name": "t", "labels": [{"code": "a", "name": "A", "parent": "zzz"}]}
    with pytest.raises(ConfigError, match="parent zzz"):
        load_taxonomy(_write(tmp_path, bad_parent))
    dup = {"name": "t", "labels": [{"code": "a", "name": "A"}, {"code": "a", "name": "B"}]}
    with pytest.raises(ConfigError, match="duplicate"):
        load_taxonomy(_write(tmp_path, dup))
    with pytest.raises(ConfigError, match="labels"):
        load_taxonomy(_write(tmp_path, {"name": "t", "labels": []}))


@pytest.mark.parametrize("label, problem", [
    ({"code": "b", "name": "   "}, "label b: its name is blank"),
    ({"code": "b", "name": "sport", "descriptions": ["A match.", ""]}, "label b: description 1 is blank"),
    ({"code": "b", "name": "sport", "descriptions": [" \t "]}, "label b: description 0 is blank"),
])
def test_a_blank_label_name_or_description_is_an_error(tmp_path, label, problem):
    """Embedded as if it were text, it made a topic that matches nothing."""
    path = _write(tmp_path, {"name": "t", "labels": [{"code": "a", "name": "economy"}, label]})
    with pytest.raises(ConfigError) as e:
        load_taxonomy(path)
    assert problem in str(e.value) and str(path) in str(e.value)


@pytest.mark.parametrize("section, field, problem", [
    ("tagger", "taxonomy", "file not found:"), ("tagger", "head", "no artifact at"),
    ("tagger", "short_head", "no artifact at"), ("summarizer", "artifact", "no artifact at"),
])
def test_a_path_to_nothing_names_its_field(make_config, tmp_path, section, field, problem):
    """As `encoder.path` does: a missing taxonomy used to say `config file not found` (the engine config
    was found: the user looked for the wrong file) and a missing head named no field."""
    from service.serve import check_models  # what `newsdesk serve` runs before it starts

    missing = tmp_path / "nothing"
    config = load_engine_config(make_config(**{section: {field: str(missing)}}))
    with pytest.raises(ConfigError) as e:
        check_models(config)
    assert str(e.value) == f"{section}.{field}: {problem} {missing}"


def test_a_mappings_missing_taxonomy_names_the_mapping_and_its_field(tmp_path):
    path = _write(tmp_path, {"source": "s", "taxonomy": "nothing.yaml", "labels": {"a": ["b"]}}, "map.yaml")
    with pytest.raises(ConfigError) as e:
        load_label_map(path)
    assert str(e.value) == f"{path}: taxonomy: file not found: {tmp_path / 'nothing.yaml'}"


def test_damaged_artifact_files_are_config_errors_naming_them(tmp_path):
    """A weights file cut short (a copy interrupted, a disk full) or a vocabulary that is not one: one line
    naming the file, not safetensors' or json's traceback."""
    head = TopicHead(dense_dim=4, vocab_size=0, n_labels=2)
    whole = head_bytes(head)
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes(whole)
    assert isinstance(load_head("topic", head.shape, weights), TopicHead)
    weights.write_bytes(whole[:100])
    with pytest.raises(ConfigError, match=r"weights\.safetensors: cannot read the weights"):
        load_head("topic", head.shape, weights)
    vocab = tmp_path / "vocab.json"
    for damaged in ('{"terms": ["a"], "idf": [1.0', '{"terms": ["a"]}', "\udcff"):
        vocab.write_text(damaged, encoding="utf-8", errors="surrogateescape")
        with pytest.raises(ConfigError, match=r"vocab\.json: not a TF-IDF vocabulary"):
            TfidfView.load(vocab)


def test_an_encoder_folder_with_its_weights_cut_short_is_a_config_error(tmp_path):
    """A fine-tuned tagger's `encoder/` (or any configured encoder folder) whose weights are damaged."""
    source = resolve_encoder_path(EncoderConfig())
    for f in source.iterdir():
        if f.is_file() and f.suffix != ".onnx":
            (tmp_path / f.name).symlink_to(f)
    (tmp_path / "model.safetensors").unlink()
    (tmp_path / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes()[:5000])
    with pytest.raises(ConfigError, match="encoder: cannot load the model in .*: Error while deserializing"):
        SentenceEncoder(EncoderConfig(package=None, path=tmp_path, runtime="torch"))
