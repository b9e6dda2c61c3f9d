"""The Dask engine gives the local engine's tables: corpus build in blocks of documents, topic grid on workers.

One `LocalCluster` of 2 worker processes starts once for the module (about 5 s) and stops at its end.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("distributed")

import dask  # noqa: E402
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402

from analysis import cli  # noqa: E402
from analysis.config import TopicsConfig  # noqa: E402
from analysis.engine import blocks, dask_client, version_mismatches  # noqa: E402
from analysis.tokens import CACHED_TABLES, load_corpus  # noqa: E402
from analysis.topics import run_topics  # noqa: E402

from .conftest import write_corpus  # noqa: E402

TOPICS = TopicsConfig(models=("gensim", "sklearn"), k_values=(3, 4), n_seeds=2, passes=2, iterations=20,
                      max_iter=5, n_jobs=1)


@pytest.fixture(scope="module")
def client():
    with dask_client(n_workers=2, worker_memory="1GiB", processes=True) as c:
        yield c


def _assert_same_corpus(local, distributed):
    for name in CACHED_TABLES:
        pd.testing.assert_frame_equal(getattr(local, name), getattr(distributed, name), check_exact=True,
                                      obj=name)


@pytest.mark.corpus
@pytest.mark.parametrize("partitions", [1, 2, 5])
def test_corpus_tables_equal_the_local_build_for_any_partitions(corpus, client, partitions):
    _assert_same_corpus(corpus, load_corpus(client=client, partitions=partitions))


def test_left_out_document_and_empty_block_merge_like_the_local_build(tmp_path, client):
    """A block whose only document is left out (no body paragraph) adds its log rows and nothing else;
    phrases off, so the term categoricals come straight from the concatenation."""
    from analysis.config import Config, TokensConfig

    manifest = write_corpus(tmp_path / "c", {
        "alpha-2020": ("2020-03-01", "We cracked down on telecom fraud and gang crime.\n\nFraud fell. Crime fell too.\n"),
        "beta-2021": ("2021-03-01", "II. Headings only\n"),
        "gamma-2022": ("2022-03-01", "We protected the rights of minors and supported rural revitalization.\n"),
    })
    config = Config(tokens=TokensConfig(phrases=False))
    with pytest.warns(UserWarning, match="beta-2021"):
        local = load_corpus(manifest, config)
    with pytest.warns(UserWarning, match="beta-2021"):
        distributed = load_corpus(manifest, config, client=client, partitions=3)
    _assert_same_corpus(local, distributed)


@pytest.mark.corpus
def test_topic_tables_equal_the_local_grid(corpus, client):
    local = run_topics(corpus, TOPICS)
    distributed = run_topics(corpus, TOPICS, client=client)
    for field in dataclasses.fields(local):
        if isinstance(getattr(local, field.name), pd.DataFrame):
            pd.testing.assert_frame_equal(getattr(local, field.name), getattr(distributed, field.name),
                                          check_exact=False, rtol=1e-9, atol=1e-12, obj=field.name)


def _corpus(which: str, seeds, tmp_path_factory):
    """Return the seeds' corpus or a 60k-word synthetic one (`benchmarks/synth.py`)."""
    if which == "seeds":
        return seeds
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from synth import make_corpus

    return load_corpus(make_corpus(tmp_path_factory.mktemp("synth"), 60_000))


@pytest.mark.parametrize("partitions", [1, 2, 3])
@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_theme_tables_matched_per_partition_equal_the_local_ones(corpus, client, tmp_path_factory, which, partitions):
    """The lexicon matched in blocks of documents, in this process and on the workers: the same tables."""
    from analysis.themes import analyse_themes

    corpus = _corpus(which, corpus, tmp_path_factory)
    local = analyse_themes(corpus)
    for result in (analyse_themes(corpus, partitions=partitions), analyse_themes(corpus, client=client,
                                                                                   partitions=partitions)):
        for field in dataclasses.fields(local):
            pd.testing.assert_frame_equal(getattr(local, field.name), getattr(result, field.name), check_exact=True,
                                          obj=field.name)


@pytest.mark.parametrize("partitions", [2, 3])
@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_formulation_counts_matched_per_partition_equal_the_local_ones(corpus, client, tmp_path_factory, which,
                                                                        partitions):
    from analysis.discourse import count_formulations, match_formulations, match_formulations_parts

    corpus = _corpus(which, corpus, tmp_path_factory)
    whole = match_formulations(corpus.tokens)
    assert len(whole) > 0
    local = count_formulations(corpus.tokens, corpus.documents)
    for parts, table in ((match_formulations_parts(corpus.tokens, partitions=partitions),
                          count_formulations(corpus.tokens, corpus.documents, partitions=partitions)),
                         (match_formulations_parts(corpus.tokens, client=client, partitions=partitions),
                          count_formulations(corpus.tokens, corpus.documents, client=client, partitions=partitions))):
        pd.testing.assert_frame_equal(whole, parts, check_exact=True)
        pd.testing.assert_frame_equal(local, table, check_exact=True)


def _run_local_and_on(client, argv: list[str], local: Path, distributed: Path) -> None:
    """Run a CLI command in this process into `local` and on `client`'s scheduler (3 partitions) into `distributed`."""
    assert cli.main([*argv, "--out", str(local)]) == 0
    assert cli.main([*argv, "--engine", "dask", "--scheduler", client.scheduler.address, "--partitions", "3",
                     "--out", str(distributed)]) == 0


def _same_tables(client, argv: list[str], tmp_path: Path) -> list[str]:
    """Run `argv` locally and on the cluster into folders; assert every CSV is byte-identical; return their names."""
    _run_local_and_on(client, argv, tmp_path / "local", tmp_path / "dask")
    tables = sorted(p.name for p in (tmp_path / "local").glob("*.csv"))
    for name in tables:
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    return tables


@pytest.mark.corpus
def test_cli_formulations_on_a_running_scheduler_writes_the_local_table(tmp_path, client):
    _run_local_and_on(client, ["formulations", "--no-cache"], tmp_path / "local.csv", tmp_path / "dask.csv")
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()


@pytest.mark.corpus
def test_cli_figures_on_a_running_scheduler_draw_the_local_numbers(tmp_path, client):
    """Theme matching, the topic grid and formulation counts on the workers: the figures' CSVs are the local ones."""
    config = tmp_path / "small.toml"
    config.write_text('[topics]\nmodels = ["sklearn"]\nk_values = [3, 4]\nn_seeds = 2\n', encoding="utf-8")
    only = [x for name in ("theme_attention", "method_agreement", "formulations") for x in ("--only", name)]
    tables = _same_tables(client, ["figures", "--no-cache", "--config", str(config), *only], tmp_path)
    assert len(tables) == 3


def test_partitions_below_one_name_the_function(corpus):
    from analysis.discourse import count_formulations
    from analysis.errors import ParameterError
    from analysis.themes import load_lexicon, match_lexicon_parts

    for bad in (0, -2, 1.5):
        with pytest.raises(ParameterError, match=r"count_formulations: partitions must be an integer >= 1"):
            count_formulations(corpus.tokens, corpus.documents, partitions=bad)
        with pytest.raises(ParameterError, match=r"match_lexicon_parts: partitions must be an integer >= 1"):
            match_lexicon_parts(corpus.tokens, load_lexicon(), partitions=bad)


def test_unmatched_glob_warnings_are_those_of_the_whole_corpus(corpus, client, tmp_path):
    from analysis.themes import load_lexicon, match_lexicon, match_lexicon_parts

    path = tmp_path / "lexicon.yaml"          # a quanteda dictionary: category -> patterns
    path.write_text("security: ['fraud*', 'zzzq*', telecom fraud]\ndevelopment: ['develop*', 'qqqz*']\n",
                    encoding="utf-8")
    lexicon = load_lexicon(path)
    with pytest.warns(UserWarning) as whole:
        expected = match_lexicon(corpus.tokens, lexicon)
    with pytest.warns(UserWarning) as parts:
        found = match_lexicon_parts(corpus.tokens, lexicon, client, partitions=3)
    assert [str(w.message) for w in whole] == [str(w.message) for w in parts]
    assert sum("zzzq*" in str(w.message) or "qqqz*" in str(w.message) for w in parts) == 2
    pd.testing.assert_frame_equal(expected, found, check_exact=True)


@pytest.mark.corpus
def test_cli_themes_on_a_running_scheduler_writes_the_local_tables(tmp_path, client):
    tables = _same_tables(client, ["themes", "--no-cache"], tmp_path)
    assert "paragraph_themes.csv" in tables


@pytest.mark.corpus
def test_cli_on_a_running_scheduler_writes_the_local_tables(tmp_path, client):
    common = ["--no-cache"]
    assert cli.main(["corpus", *common, "--out", str(tmp_path / "local")]) == 0
    address = client.scheduler.address
    assert cli.main(["corpus", *common, "--engine", "dask", "--scheduler", address, "--partitions", "3",
                     "--out", str(tmp_path / "dask")]) == 0
    for name in ("documents.csv", "paragraphs.csv", "cleaning_log.csv", "sentences.csv", "phrases.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "dask" / name).read_bytes(), name
    record = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert record["engine"] == {"engine": "dask", "scheduler": address, "n_workers": 2, "partitions": 3}


def test_a_scheduler_that_does_not_answer_is_one_line_and_exit_2(tmp_path, capsys):
    with socket.socket() as s:          # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    status = cli.main(["corpus", "--no-cache", "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
                       "--scheduler-timeout", "1", "--out", str(tmp_path / "out")])
    assert status == 2 and time.perf_counter() - started < 8
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"analysis: error: --scheduler tcp://127.0.0.1:{port}: no Dask")
    assert not (tmp_path / "out").exists()


def test_unknown_engine_is_refused():
    from analysis.errors import ParameterError

    with pytest.raises(ParameterError, match="engine must be 'local' or 'dask'"):
        load_corpus(engine="spark")
    with pytest.raises(ParameterError, match="engine must be 'local' or 'dask'"):
        run_topics(None, TOPICS, engine="spark")


def test_scheduler_without_dask_engine_is_refused(capsys):
    assert cli.main(["corpus", "--scheduler", "tcp://127.0.0.1:1", "--out", "unused"]) == 2
    assert "--scheduler needs --engine dask" in capsys.readouterr().err


def test_version_mismatches_name_the_package_and_the_workers(client):
    mine = {"python": "3.11.7", "pandas": "2.2.3", "numpy": "2.0.0"}
    workers = {"tcp://a:1": dict(mine), "tcp://b:2": {**mine, "pandas": "2.1.0"},
               "tcp://c:3": {**mine, "pandas": None}}
    assert version_mismatches(mine, workers) == ["pandas 2.2.3 here, 2.1.0 on tcp://b:2, missing on tcp://c:3"]
    assert version_mismatches(mine, {"tcp://a:1": dict(mine)}) == []
    from analysis.engine import _package_versions
    assert version_mismatches(_package_versions(), client.run(_package_versions)) == []


@given(st.integers(0, 200), st.integers(1, 50))
def test_blocks_cover_the_rows_in_order(n_rows, n_blocks):
    ranges = blocks(n_rows, n_blocks)
    assert [i for a, b in ranges for i in range(a, b)] == list(range(n_rows))
    sizes = [b - a for a, b in ranges]
    assert len(ranges) == min(n_rows, n_blocks) and (not sizes or max(sizes) - min(sizes) <= 1)


def test_engine_record_names_a_cluster_started_for_the_run(client):
    from analysis.engine import engine_record

    assert engine_record(client) == {"engine": "dask", "scheduler": "LocalCluster", "n_workers": 2, "partitions": 8}
    assert engine_record(None)["engine"] == "local"


class _KillWorkers(WorkerPlugin):
    """A Dask worker plugin: the first `times` calls of `module`.`name` (default: the corpus blocks;
    counted across workers and their restarts by files in `folder`, each created exclusively) kill the worker process running
    them (SIGKILL, as the kernel's out-of-memory killer would); later calls run as usual."""

    def __init__(self, folder, times: int, module: str = "analysis.tokens", name: str = "_tokenised_block"):
        self.folder, self.times, self.module, self.name = str(folder), times, module, name

    def setup(self, worker):
        import importlib

        target = importlib.import_module(self.module)
        original = target.__dict__.setdefault("_unpatched", getattr(target, self.name))
        folder, times = Path(self.folder), self.times

        def block(*args, **kwargs):
            for slot in range(times):          # claim a free slot atomically: two workers never take one
                try:
                    os.close(os.open(folder / f"killed-{slot}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    continue
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)

        setattr(target, self.name, block)

    def teardown(self, worker):
        import importlib

        target = importlib.import_module(self.module)
        setattr(target, self.name, target.__dict__.pop("_unpatched", getattr(target, self.name)))


@pytest.fixture
def fragile():
    """A LocalCluster of its own (2 worker processes) for a test that kills its workers."""
    with dask_client(n_workers=2, worker_memory="1GiB", processes=True) as c:
        yield c


def _kill(client, folder, times: int, **target) -> None:
    folder.mkdir()
    client.register_plugin(_KillWorkers(folder, times, **target), name="kill")


@pytest.mark.corpus
@pytest.mark.slow
def test_a_killed_worker_is_replaced_and_its_block_retried(corpus, fragile, tmp_path):
    _kill(fragile, tmp_path / "killed", times=1)
    distributed = load_corpus(client=fragile, partitions=2)
    assert len(list((tmp_path / "killed").iterdir())) == 1          # one worker died mid-run
    _assert_same_corpus(corpus, distributed)


@pytest.mark.corpus
@pytest.mark.slow
def test_a_run_whose_workers_keep_dying_is_one_line_and_writes_nothing(tmp_path, capsys):
    """The scheduler gives a block up once it has killed allowed-failures + 1 workers (set to 1 here,
    default 3, to keep the test short)."""
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert cli.main(["corpus", "--no-cache", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        with dask_client(n_workers=2, worker_memory="1GiB", processes=True) as fragile:
            _kill(fragile, tmp_path / "killed", times=1000)
            status = cli.main(["corpus", "--engine", "dask", "--scheduler", fragile.scheduler.address,
                               "--partitions", "1", "--cache", str(cache), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and err[0].startswith("analysis: error: a Dask worker died while running")
    assert len(list((tmp_path / "killed").iterdir())) == 2          # tried, retried once, then given up
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before          # the earlier outputs are whole
    assert not cache.exists() or not [p for p in cache.iterdir() if not p.name.startswith(".")]
