"""The corpus cache: same tables as a fresh build, keyed by inputs and settings, never trusted blindly."""
from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pandas as pd

from analysis.cli import main
from analysis.config import Config, TokensConfig
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
    # settings are in the key as values; the engine decides where the stages run, not what they give
    shared = {"config", "errors", "io", "lazy", "engine"}
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
    tokens = entry / "tokens.parquet"
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
