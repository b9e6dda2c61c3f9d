"""Tests of the topic-fit cache and of fit reuse in `run_topics`: a run read from the cache, a run on
two workers and the old placebo path give the same tables, byte for byte, on the seeds and on a
synthetic corpus; an altered entry is never read."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis
from analysis import cli
from analysis.topics import bag_from_texts, build_bag, fitcache, grid, lexicon_terms, run_topics, seeded_placebo
from analysis.topics.models import TopicFit
from tests.test_topics import QUICK, SEED_WORDS, planted_texts, section_labels

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synth import make_corpus  # noqa: E402

TABLES = ("topic_terms", "topic_labels", "typical", "doc_topics", "model_selection", "preferred_k", "stability",
          "topic_themes", "theme_shares", "paragraph_themes", "agreement", "placebo")


def assert_same_tables(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


def no_fitting(monkeypatch) -> None:
    """Make any fit or coherence computation fail: a warm run must read everything from the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("fitted again although the cache holds the result")

    monkeypatch.setattr(grid, "_task", refuse)
    monkeypatch.setattr(grid, "coherence", refuse)


def check_cache_round(corpus, config, labels, tmp_path, monkeypatch):
    fresh = run_topics(corpus, config, SEED_WORDS, labels)
    cold = run_topics(corpus, config, SEED_WORDS, labels, cache=tmp_path, workers=2)
    assert_same_tables(fresh, cold)
    with monkeypatch.context() as m:
        no_fitting(m)
        warm = run_topics(corpus, config, SEED_WORDS, labels, cache=tmp_path, workers=1)
    assert_same_tables(fresh, warm)
    selection = fresh.model_selection      # the held-out fits' convergence, beside the full fits'
    assert selection["heldout_converged"].dtype == bool and (selection["heldout_n_passes"] >= 1).all()
    for a, b in zip(fresh.fits, warm.fits):
        assert type(a.fitted) is type(b.fitted)    # library models come back too (for `topics --save`)
    return fresh


@pytest.mark.corpus
def test_cached_and_parallel_runs_equal_a_fresh_run_on_the_seeds(corpus, tmp_path, monkeypatch):
    config = dataclasses.replace(QUICK, models=("gensim", "seeded", "tomotopy"), gibbs_iterations=100,
                                 placebo_draws=1)
    labels = section_labels(corpus)
    fresh = check_cache_round(corpus, config, labels, tmp_path, monkeypatch)
    # the placebo's lexicon rows reuse the grid's seeded fits: the same table as fitting them again
    bag = build_bag(corpus, config)
    old = seeded_placebo(bag, lexicon_terms(SEED_WORDS, bag.vocab), labels, fresh.facts["analysis_k"]["seeded"],
                         list(config.fit_seeds), 1, config, config.seed)
    pd.testing.assert_frame_equal(old, fresh.placebo, check_exact=True)


def test_cached_run_equals_a_fresh_run_on_a_synthetic_corpus(tmp_path, monkeypatch):
    corpus = analysis.load_corpus(make_corpus(tmp_path / "synth", 20_000), cache=None)
    config = dataclasses.replace(QUICK, models=("gensim", "sklearn"), k_values=(3, 5))
    check_cache_round(corpus, config, None, tmp_path / "cache", monkeypatch)


@pytest.fixture(scope="module")
def bag():
    return bag_from_texts(planted_texts(3), config=QUICK.__class__(min_doc_count=1, max_doc_share=1.0))


def test_altered_or_foreign_entries_are_misses(bag, tmp_path):
    from analysis.topics import fit_topics

    fit = fit_topics(bag, "gensim", 3, 5, QUICK, warn=False)
    key = fitcache.fit_key(fitcache.bag_digest(bag), "gensim", 3, 5, QUICK)
    fitcache.store(tmp_path, key, fit=fit)
    hit = fitcache.load(tmp_path, key)["fit"]
    assert np.array_equal(hit.topic_word, fit.topic_word) and hit.n_passes == fit.n_passes
    assert fitcache.load(tmp_path, "0" * 64) is None
    array = tmp_path / key / "topic_word.npy"
    data = bytearray(array.read_bytes())
    data[-1] ^= 1
    array.write_bytes(bytes(data))
    assert fitcache.load(tmp_path, key) is None                      # sha256 differs: not read
    fitcache.store(tmp_path, key, fit=fit)
    (tmp_path / key / "extra.pkl").write_bytes(b"x")
    assert fitcache.load(tmp_path, key) is None                      # a file the entry does not list


def test_the_key_changes_with_what_a_fit_depends_on(bag):
    digest = fitcache.bag_digest(bag)
    base = fitcache.fit_key(digest, "seeded", 4, 1, QUICK, {"a": ["a0"]})
    other_bag = bag_from_texts(planted_texts(4), config=QUICK.__class__(min_doc_count=1, max_doc_share=1.0))
    changed = [fitcache.fit_key(fitcache.bag_digest(other_bag), "seeded", 4, 1, QUICK, {"a": ["a0"]}),
               fitcache.fit_key(digest, "seeded", 4, 2, QUICK, {"a": ["a0"]}),
               fitcache.fit_key(digest, "seeded", 5, 1, QUICK, {"a": ["a0"]}),
               fitcache.fit_key(digest, "seeded", 4, 1, dataclasses.replace(QUICK, passes=3), {"a": ["a0"]}),
               fitcache.fit_key(digest, "seeded", 4, 1, QUICK, {"a": ["a1"]}),
               fitcache.fit_key(digest, "seeded", 4, 1, QUICK, {"a": ["a0"]}, heldout=digest)]
    assert len({base, *changed}) == len(changed) + 1
    # settings no fit reads do not change the key
    assert fitcache.fit_key(digest, "seeded", 4, 1, dataclasses.replace(QUICK, n_jobs=2, n_bootstrap=2000),
                            {"a": ["a0"]}) == base


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(2, 6), n=st.integers(1, 12), v=st.integers(2, 30), seed=st.integers(0, 2**32 - 1),
       change=st.one_of(st.just(float("nan")), st.floats(0, 1)))
def test_a_fit_round_trips_exactly(tmp_path_factory, k, n, v, seed, change):
    rng = np.random.default_rng(seed)
    fit = TopicFit("sklearn", k, seed, rng.dirichlet(np.ones(v), size=k), rng.dirichlet(np.ones(k), size=n),
                   converged=bool(seed % 2), n_passes=int(seed % 97), last_change=change)
    folder = tmp_path_factory.mktemp("entries")
    fitcache.store(folder, "k" * 64, fit=fit, scores={"perplexity": change, "bound_perplexity": 1 / 3})
    hit = fitcache.load(folder, "k" * 64)
    back = hit["fit"]
    assert back.topic_word.tobytes() == fit.topic_word.tobytes() and back.doc_topic.tobytes() == fit.doc_topic.tobytes()
    assert (back.model, back.k, back.seed, back.converged, back.n_passes) == (fit.model, k, seed, fit.converged,
                                                                               fit.n_passes)
    assert np.array_equal([back.last_change, hit["scores"]["perplexity"]], [change, change], equal_nan=True)
    assert list(hit["scores"]) == ["perplexity", "bound_perplexity"]


def test_workers_must_be_positive(corpus, capsys):
    with pytest.raises(analysis.ParameterError, match="workers"):
        run_topics(corpus, QUICK, SEED_WORDS, workers=0)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["figures", "--out", "unused", "--workers", "0"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "argument --workers: must be an integer >= 1; got '0'" in err
