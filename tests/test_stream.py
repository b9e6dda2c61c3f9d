"""The bag of words built per partition into an MmCorpus equals `build_bag`, and LDA fitted from it
in chunks equals the in-memory fit: on the seeds and a synthetic corpus, for 1, 2 and 3 partitions,
in this process and on a 2-worker LocalCluster (started once for the module)."""
from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import io as scipy_io

import analysis
from analysis import cli
from analysis.config import TopicsConfig
from analysis.corpus import Corpus
from analysis.errors import ConfigError, ParameterError
from analysis.topics import build_bag, fit_topics
from analysis.topics.stream import (
    MM_FILE,
    VOCABULARY_FILE,
    _stream,
    cache_parts,
    corpus_parts,
    fit_streamed_lda,
    read_bag,
    read_vocabulary,
    stream_bag,
    streamed_grid,
)

from .conftest import write_corpus
from .test_dask import _kill

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synth import make_corpus  # noqa: E402

pytest.importorskip("distributed")

CONFIG = TopicsConfig(passes=15, iterations=50)


@pytest.fixture(scope="module")
def client():
    from analysis.engine import dask_client

    with dask_client(n_workers=2, worker_memory="1GiB", processes=True) as c:
        yield c


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A synthetic corpus of 3 documents (about 60k words) from `benchmarks/synth.py`."""
    return analysis.load_corpus(make_corpus(tmp_path_factory.mktemp("synth"), 60_000))


def _assert_same_bag(streamed, bag):
    """The streamed bag equals the in-memory one: rows, ids, counts, vocabulary, dictionary, paragraphs."""
    rows = list(streamed.corpus())
    assert len(rows) == len(bag.bow)
    assert all(row == [(i, float(c)) for i, c in bow] for row, bow in zip(rows, bag.bow))
    matrix = scipy_io.mmread(streamed.path).tocsr()
    assert matrix.dtype.kind == "f" and (matrix != bag.matrix).nnz == 0 and matrix.shape == bag.matrix.shape
    assert read_vocabulary(streamed.folder / VOCABULARY_FILE)["term"].tolist() == bag.vocab.tolist()
    mine, theirs = streamed.dictionary(), bag.dictionary
    assert mine.token2id == theirs.token2id and mine.dfs == theirs.dfs and mine.cfs == theirs.cfs
    assert (mine.num_docs, mine.num_pos, mine.num_nnz) == (theirs.num_docs, theirs.num_pos, theirs.num_nnz)
    pd.testing.assert_frame_equal(streamed.paragraphs, bag.paragraphs.drop(columns="text"), check_exact=True)
    assert streamed.record["n_dropped"] == bag.n_dropped


@pytest.mark.parametrize("partitions", [1, 2, 3])
@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_streamed_bag_equals_build_bag_in_process(corpus, synthetic, which, partitions, tmp_path):
    source = corpus if which == "seeds" else synthetic
    streamed = stream_bag(source, tmp_path / "bag", partitions=partitions)
    assert streamed.record["n_parts"] == partitions
    _assert_same_bag(streamed, build_bag(source))
    assert [p.name for p in (tmp_path / "bag").iterdir() if p.name.startswith(".")] == []     # spool removed


@pytest.mark.parametrize("partitions", [1, 2, 3])
@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_streamed_bag_on_dask_equals_build_bag(corpus, synthetic, client, which, partitions, tmp_path):
    source = corpus if which == "seeds" else synthetic
    local = stream_bag(source, tmp_path / "local", partitions=1)
    distributed = stream_bag(source, tmp_path / "dask", client=client, partitions=partitions)
    _assert_same_bag(distributed, build_bag(source))
    assert distributed.record["sha256"] == local.record["sha256"]          # the same bytes


def test_parts_out_of_document_order_are_joined_in_paragraph_order(tmp_path, client):
    """Documents listed gamma, alpha, beta: each part holds one, and the file follows doc_id order."""
    text = "We {0} telecom fraud and {0} gang crime.\n\nThe {0} rights of minors were protected. Fraud fell.\n"
    manifest = write_corpus(tmp_path / "c", {name: (f"{year}-03-01", text.format(word)) for name, year, word in
                                             [("gamma", 2022, "fought"), ("alpha", 2020, "punished"),
                                              ("beta", 2021, "curbed")]})
    source = analysis.load_corpus(manifest)
    parts = corpus_parts(source, 3)
    assert [p.tokens["doc_id"].astype(str).iloc[0] for p in parts] == ["gamma", "alpha", "beta"]
    config = TopicsConfig(min_doc_count=1, max_doc_share=1.0)
    _assert_same_bag(stream_bag(source, tmp_path / "local", config, partitions=3), build_bag(source, config))
    _assert_same_bag(stream_bag(source, tmp_path / "dask", config, client=client, partitions=3),
                     build_bag(source, config))


def _cache_entry(source, folder: Path, part_rows: int) -> Path:
    from analysis import io
    from analysis.tokens import CACHED_TABLES

    return io.write_cache_entry(folder, "entry", {name: getattr(source, name) for name in CACHED_TABLES},
                                part_rows=part_rows)


def test_streamed_from_the_parts_of_a_cache_entry(synthetic, client, tmp_path):
    entry = _cache_entry(synthetic, tmp_path / "cache", part_rows=20_000)
    assert len(cache_parts(entry)) == 3
    bag = build_bag(synthetic)
    _assert_same_bag(stream_bag(entry, tmp_path / "local"), bag)
    _assert_same_bag(stream_bag(entry, tmp_path / "dask", client=client), bag)


def test_a_changed_cache_part_or_bag_file_is_refused(corpus, tmp_path):
    entry = _cache_entry(corpus, tmp_path / "cache", part_rows=2_000)
    streamed = stream_bag(entry, tmp_path / "bag")
    assert read_bag(tmp_path / "bag").record == streamed.record
    part = sorted((entry / "tokens").iterdir())[1]
    part.write_bytes(part.read_bytes()[:-1] + b"\x00")
    with pytest.raises(ParameterError, match="sha256"):
        stream_bag(entry, tmp_path / "other")
    with open(tmp_path / "bag" / MM_FILE, "ab") as handle:
        handle.write(b"1 1 1\n")
    with pytest.raises(ParameterError, match="sha256"):
        read_bag(tmp_path / "bag")


@pytest.mark.slow
def test_a_worker_killed_while_counting_a_part_is_retried(synthetic, tmp_path):
    """The part's task runs again on a new worker and writes its spool again: the same bag."""
    from analysis.engine import dask_client

    with dask_client(n_workers=2, worker_memory="1GiB", processes=True) as fragile:
        _kill(fragile, tmp_path / "killed", times=1, module="analysis.topics.stream", name="_count_part")
        streamed = stream_bag(synthetic, tmp_path / "bag", client=fragile, partitions=3)
    assert len(list((tmp_path / "killed").iterdir())) == 1
    _assert_same_bag(streamed, build_bag(synthetic))


def test_an_empty_vocabulary_and_an_unknown_engine_are_refused(corpus, tmp_path):
    config = TopicsConfig(min_doc_count=10_000)
    with pytest.raises(ConfigError) as streamed:
        stream_bag(corpus, tmp_path / "bag", config, partitions=2)
    with pytest.raises(ConfigError) as in_memory:
        build_bag(corpus, config)
    assert str(streamed.value) == str(in_memory.value)
    assert not (tmp_path / "bag" / "bag.json").exists()
    with pytest.raises(ParameterError, match="engine must be 'local' or 'dask'"):
        stream_bag(corpus, tmp_path / "bag", engine="spark")


WORDS = st.sampled_from(["", "", "nan", "null", "NA", "fraud", "crime", "rule_of_law", "zoning", "é", "b", "a"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.lists(WORDS, max_size=8), min_size=1, max_size=5), min_size=1, max_size=6),
       st.integers(1, 4), st.integers(1, 3))
def test_any_small_corpus_streams_like_build_bag(docs, partitions, min_doc_count):
    """Random documents of paragraphs of terms ("" a stop word; "nan", "null" real terms)."""
    names = [f"d{i}" for i in reversed(range(len(docs)))]          # token order unlike doc_id order
    tokens = pd.DataFrame([(n, p + 1, t) for n, doc in zip(names, docs) for p, para in enumerate(doc) for t in para],
                          columns=["doc_id", "para_id", "term"]).astype({"doc_id": object, "para_id": "int64",
                                                                         "term": object})
    paragraphs = pd.DataFrame([(n, p + 1, 2 * p + 1, 2 * p + 1, " ".join(para)) for n, doc in zip(names, docs)
                               for p, para in enumerate(doc)],
                              columns=["doc_id", "para_id", "line_start", "line_end", "text"])
    documents = pd.DataFrame({"doc_id": names, "year": 2020, "version_of": ""})
    source = Corpus(documents=documents, paragraphs=paragraphs, cleaning_log=None, manifest=Path("x"), tokens=tokens)
    config = TopicsConfig(min_doc_count=min_doc_count, max_doc_share=1.0)
    try:
        bag = build_bag(source, config)
    except ConfigError as error:
        with tempfile.TemporaryDirectory() as folder, pytest.raises(ConfigError) as streamed:
            stream_bag(source, Path(folder) / "bag", config, partitions=partitions)
        assert str(streamed.value) == str(error)
        return
    with tempfile.TemporaryDirectory() as folder:
        _assert_same_bag(stream_bag(source, Path(folder) / "bag", config, partitions=partitions), bag)


# --------------------------------------------------------------------------- LDA from disk

def _assert_same_fit(a, b):
    np.testing.assert_allclose(a.topic_word, b.topic_word, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.doc_topic, b.doc_topic, rtol=1e-9, atol=1e-12)
    assert (a.model, a.k, a.seed, a.converged, a.n_passes) == (b.model, b.k, b.seed, b.converged, b.n_passes)


@pytest.mark.parametrize("chunksize", [64, 100_000])
@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_streamed_lda_equals_the_in_memory_gensim_fit(corpus, synthetic, which, chunksize, tmp_path):
    source = corpus if which == "seeds" else synthetic
    streamed = stream_bag(source, tmp_path / "bag", CONFIG, partitions=2)
    fit = fit_streamed_lda(streamed, 5, 11, CONFIG, chunksize=chunksize)
    _assert_same_fit(fit, fit_topics(build_bag(source, CONFIG), "gensim", 5, 11, CONFIG, warn=False))
    _assert_same_fit(fit_streamed_lda(tmp_path / "bag", 5, 11, CONFIG, chunksize=chunksize), fit)


def test_streamed_lda_equals_gensim_called_directly(corpus, tmp_path):
    """gensim's own batch passes over the whole corpus in memory, stopping rule off."""
    from gensim.models import LdaModel

    config = dataclasses.replace(CONFIG, tolerance=0.0, passes=4)
    bag = build_bag(corpus, config)
    fit = fit_streamed_lda(stream_bag(corpus, tmp_path / "bag", config, partitions=3), 6, 5, config, chunksize=50)
    lda = LdaModel(bag.bow, num_topics=6, id2word=bag.dictionary, chunksize=len(bag.bow), passes=4,
                   iterations=config.iterations, gamma_threshold=config.estep_tolerance, alpha="symmetric",
                   eval_every=None, decay=0.0, random_state=5, dtype=np.float64)
    topics = lda.get_topics()
    np.testing.assert_allclose(fit.topic_word, topics / topics.sum(axis=1, keepdims=True), rtol=1e-9, atol=1e-12)
    assert fit.n_passes == 4 and not fit.converged


def test_streamed_lda_refuses_a_bad_chunksize_or_k(corpus, tmp_path):
    streamed = stream_bag(corpus, tmp_path / "bag")
    with pytest.raises(ParameterError, match="chunksize must be an integer >= 1"):
        fit_streamed_lda(streamed, 5, 1, chunksize=0)
    with pytest.raises(ConfigError, match="k_values"):
        fit_streamed_lda(streamed, 1, 1)


def test_streamed_grid_on_dask_equals_the_local_grid(corpus, client, tmp_path):
    config = dataclasses.replace(CONFIG, k_values=(3, 5), n_seeds=2, passes=5)
    streamed = stream_bag(corpus, tmp_path / "bag", config)
    _, local = streamed_grid(streamed, config)
    _, distributed = streamed_grid(streamed, config, client=client)
    for name in local:
        pd.testing.assert_frame_equal(local[name], distributed[name], check_exact=False, rtol=1e-9, atol=1e-12)
    assert len(local["fits"]) == 4 and len(local["doc_topics"]) == 2 * (3 + 5) * streamed.record["n_paragraphs"]


@pytest.mark.corpus
def test_cli_streamed_from_the_cache_entry_and_from_the_corpus_on_dask(tmp_path, client):
    cache = tmp_path / "cache"
    assert cli.main(["topics", "--streamed", "--quick", "--cache", str(cache), "--out", str(tmp_path / "a")]) == 0
    assert cli.main(["topics", "--streamed", "--quick", "--cache", str(cache), "--out", str(tmp_path / "b")]) == 0
    assert cli.main(["topics", "--streamed", "--quick", "--no-cache", "--engine", "dask", "--scheduler",
                     client.scheduler.address, "--partitions", "3", "--out", str(tmp_path / "c")]) == 0
    records = [json.loads((tmp_path / x / "run.json").read_text()) for x in "abc"]
    assert [r["streamed"]["from_cache_entry"] for r in records] == [True, True, False]
    assert records[2]["streamed"]["n_parts"] == 3
    bags = [json.loads((tmp_path / x / "bag" / "bag.json").read_text())["sha256"] for x in "abc"]
    assert bags[0] == bags[1] == bags[2]
    for name in ("topic_terms.csv", "streamed_fits.csv"):
        tables = [pd.read_csv(tmp_path / x / name) for x in "abc"]
        pd.testing.assert_frame_equal(tables[0], tables[1])
        pd.testing.assert_frame_equal(tables[0], tables[2], check_exact=False, rtol=1e-9)


def test_cli_streamed_refuses_options_of_the_full_grid(tmp_path, capsys):
    assert cli.main(["topics", "--streamed", "--quick", "--models", "sklearn", "--out", str(tmp_path / "o")]) == 2
    assert "gensim model only" in capsys.readouterr().err
