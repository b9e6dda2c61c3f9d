"""The corpus cache: same tables as a fresh build, keyed by inputs and settings, never trusted blindly."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.config import Config, TokensConfig
from analysis.errors import ParameterError
from analysis.tokens import CACHED_TABLES, corpus_key, load_corpus
from tests.conftest import write_corpus


def _entries(folder):
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_warm_load_equals_a_fresh_build(tmp_path):
    fresh = load_corpus()
    cold = load_corpus(cache=tmp_path)
    warm = load_corpus(cache=tmp_path)
    assert len(_entries(tmp_path)) == 1
    for name in CACHED_TABLES:
        pd.testing.assert_frame_equal(getattr(fresh, name), getattr(cold, name), check_exact=True)
        pd.testing.assert_frame_equal(getattr(fresh, name), getattr(warm, name), check_exact=True)


def test_key_follows_inputs_and_settings(tmp_path, tiny_manifest):
    config = Config()
    key = corpus_key(tiny_manifest, config)
    assert corpus_key(tiny_manifest, config) == key
    phrases_off = dataclasses.replace(config, tokens=TokensConfig(phrases=False))
    assert corpus_key(tiny_manifest, phrases_off) != key
    other = write_corpus(tmp_path / "other", {"alpha-2020": ("2020-03-01", "We punished terrorism today.\n")})
    assert corpus_key(other, config) != key


def test_key_hashes_the_code_of_every_module_the_corpus_and_tokens_stages_import(tiny_manifest, monkeypatch):
    from analysis import io

    hashed, sha256_file = set(), io.sha256_file
    monkeypatch.setattr(io, "sha256_file", lambda path: hashed.add(Path(path).name) or sha256_file(path))
    corpus_key(tiny_manifest, Config())
    package = Path(io.__file__).parent
    # settings are in the key as values; the engine decides where the stages run, not what they give;
    # corpus_cache stores and reads the tables (its layout is versioned by io.CACHE_FORMAT)
    shared = {"config", "errors", "io", "lazy", "engine", "corpus_cache"}
    imported = {"corpus", "tokens"}
    for name in ("corpus", "tokens"):
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        imported |= {node.module.split(".")[1] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and node.module and node.module.startswith("analysis.")}
    assert {f"{m}.py" for m in imported - shared} <= hashed


def test_a_tampered_entry_is_rebuilt_not_trusted(tmp_path, tiny_manifest):
    cache = tmp_path / "cache"
    first = load_corpus(tiny_manifest, cache=cache)
    (entry,) = [cache / n for n in _entries(cache)]
    tokens = entry / "tokens" / "part-00000.parquet"
    altered = first.tokens.copy()
    altered["line"] = altered["line"] + 1
    altered.to_parquet(tokens, index=False)
    again = load_corpus(tiny_manifest, cache=cache)
    pd.testing.assert_frame_equal(again.tokens, first.tokens, check_exact=True)


def test_cli_cache_flags(tmp_path, tiny_manifest):
    cache = tmp_path / "cache"
    argv = ["kwic", "terrorism", "--manifest", str(tiny_manifest), "--cache", str(cache)]
    assert main(argv + ["--out", str(tmp_path / "a.csv")]) == 0
    assert len(_entries(cache)) == 1
    assert main(argv + ["--out", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    none = tmp_path / "none"
    assert main(["kwic", "terrorism", "--manifest", str(tiny_manifest), "--cache", str(none), "--no-cache",
                 "--out", str(tmp_path / "c.csv")]) == 0
    assert not none.exists()


def test_partitioned_entry_reads_back_whole_by_columns_and_on_dask(tmp_path, corpus):
    """Parts are blocks of whole documents, the same documents in every table; pyarrow (by the
    entry's reader, whole or some columns) and dask.dataframe both give the stored rows back."""
    from analysis import io

    tables = {name: getattr(corpus, name) for name in CACHED_TABLES}
    entry = io.write_cache_entry(tmp_path, "k", tables, part_rows=5000)
    parts = {name: sorted(p.name for p in (entry / name).iterdir()) for name in CACHED_TABLES}
    assert len(parts["tokens"]) >= 3 and parts["paragraphs"] == parts["tokens"] and len(parts["phrases"]) == 1
    first = pd.read_parquet(entry / "tokens" / "part-00000.parquet")
    rest = pd.read_parquet(entry / "tokens" / "part-00001.parquet")
    assert not set(first["doc_id"].astype(str)) & set(rest["doc_id"].astype(str))      # no document is cut
    back, _ = io.read_cache_entry(tmp_path, "k")
    for name in CACHED_TABLES:
        pd.testing.assert_frame_equal(back[name], tables[name], check_exact=True, obj=name)
    some, _ = io.read_cache_entry(tmp_path, "k", {"tokens": ["doc_id", "lemma"], "paragraphs": None})
    assert list(some) == ["tokens", "paragraphs"]
    pd.testing.assert_frame_equal(some["tokens"], corpus.tokens[["doc_id", "lemma"]], check_exact=True)
    dd = pytest.importorskip("dask.dataframe")
    on_dask = dd.read_parquet(str(entry / "tokens"))
    assert on_dask.npartitions == len(parts["tokens"])
    rows = on_dask.compute().reset_index(drop=True)
    for column in corpus.tokens.columns:
        assert rows[column].astype(str).tolist() == corpus.tokens[column].astype(str).tolist(), column


def test_one_bad_part_makes_the_entry_untrusted(tmp_path, corpus):
    from analysis import io

    tables = {name: getattr(corpus, name) for name in CACHED_TABLES}
    entry = io.write_cache_entry(tmp_path, "k", tables, part_rows=5000)
    part = entry / "paragraphs" / "part-00001.parquet"
    part.write_bytes(part.read_bytes()[:-1] + b"\0")
    assert io.read_cache_entry(tmp_path, "k", {"tokens": None}) is not None     # the parts read are intact
    assert io.read_cache_entry(tmp_path, "k") is None
    assert io.read_cache_entry(tmp_path, "k", {"paragraphs": ["text"]}) is None


def test_a_warm_load_of_some_columns_equals_those_of_the_full_load(tmp_path):
    from analysis.discourse.concordance import KWIC_COLUMNS

    full = load_corpus(cache=tmp_path)
    some = load_corpus(cache=tmp_path, columns=KWIC_COLUMNS)
    for name, columns in KWIC_COLUMNS.items():
        pd.testing.assert_frame_equal(getattr(some, name), getattr(full, name)[columns], check_exact=True)
    pd.testing.assert_frame_equal(some.documents, full.documents, check_exact=True)
    assert some.sentences is None and some.phrases is None
    with pytest.raises(ParameterError, match="columns names no cached table: tokenz"):
        load_corpus(cache=tmp_path, columns={"tokenz": None})


def test_cli_kwic_warm_prints_what_the_cold_run_prints(tmp_path, capsys):
    argv = ["kwic", "supervision", "--window", "4"]
    assert main([*argv, "--no-cache"]) == 0
    cold = capsys.readouterr().out
    assert main([*argv, "--cache", str(tmp_path)]) == 0 and main([*argv, "--cache", str(tmp_path)]) == 0
    assert capsys.readouterr().out == cold + cold
