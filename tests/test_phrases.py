"""Phrase detection on integer codes (`analysis.phrases`) against its oracle, gensim `Phrases` itself.

gensim learns from the same runs (sentences) of term strings with the same settings (npmi scoring,
no connector words, `min_count`, `threshold`), exports its phrases and joins them in each run; the
fast route must find the same phrases with the same scores (to the last bit) and join the same
tokens: on the seeds, on a synthetic corpus of `benchmarks/synth.py` and on random small streams.
"""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from gensim.models.phrases import Phrases
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.config import Config, TokensConfig
from analysis.phrases import _phrase_runs, apply_phrases, bigram_codes, detect_phrases, npmi_phrases
from analysis.tokens import tokenize
from tests.conftest import REPO

DELIM = "\u241f"          # in no term, so gensim's joined keys split back unambiguously


def _gensim(runs: list[list[str]], min_count: int, threshold: float) -> tuple[dict, list[list[str]]]:
    """Return gensim's exported phrases {(a, b): npmi} and the runs with its phrases joined by "_"."""
    model = Phrases(runs, min_count=min_count, threshold=threshold, scoring="npmi", delimiter=DELIM,
                    connector_words=frozenset())
    grams = {tuple(k.split(DELIM)): v for k, v in model.export_phrases().items()}
    return grams, [[w.replace(DELIM, "_") for w in model[run]] for run in runs]


def _runs(tokens: pd.DataFrame) -> list[list[str]]:
    """Return the runs of terms `detect_phrases` learns from, as lists of strings."""
    idx, cont = _phrase_runs(tokens)
    words = tokens["term"].astype(str).to_numpy()[idx]
    cuts = np.flatnonzero(~cont) + 1
    return [list(r) for r in np.split(words, cuts)]


def _check_against_gensim(tokens: pd.DataFrame, config: TokensConfig) -> int:
    """Assert that `detect_phrases` equals gensim on `tokens` (all runs trained); return the phrases."""
    grams, joined_runs = _gensim(_runs(tokens), config.phrases_min_count, config.phrases_threshold)
    out, phrases = detect_phrases(tokens, config)
    applied = out["term"].astype(str).to_numpy()
    expected = [w for run in joined_runs for w in run]
    assert list(applied[applied != ""]) == expected
    before = set(tokens["term"].astype(str))
    used = pd.Series([w for w in expected if "_" in w and w not in before], dtype=object)
    wanted = used.value_counts()
    assert dict(zip(phrases["term"], phrases["count"])) == wanted.to_dict()
    score = {f"{a}_{b}": s for (a, b), s in grams.items()}
    assert dict(zip(phrases["term"], phrases["npmi"])) == {t: score[t] for t in wanted.index}
    return len(grams)


@pytest.mark.corpus
def test_phrases_equal_gensim_on_the_seeds(corpus):
    tokens, _, _ = tokenize(corpus.paragraphs, None, TokensConfig(phrases=False))
    for min_count, threshold in [(5, 0.5), (2, 0.3), (3, -0.5)]:
        config = TokensConfig(phrases_min_count=min_count, phrases_threshold=threshold)
        assert _check_against_gensim(tokens, config) > 0
    default = tokenize(corpus.paragraphs, None, corpus.config.tokens)
    pd.testing.assert_frame_equal(default[2], corpus.phrases)


def test_phrases_equal_gensim_on_a_synthetic_corpus(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from synth import make_corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    from analysis.corpus import read_corpus

    raw, line_maps = read_corpus(make_corpus(tmp_path, 30_000), Config().corpus)
    tokens, _, _ = tokenize(raw.paragraphs, line_maps, TokensConfig(phrases=False))
    for min_count, threshold in [(5, 0.5), (2, 0.2)]:
        assert _check_against_gensim(tokens, TokensConfig(phrases_min_count=min_count,
                                                          phrases_threshold=threshold)) > 0


def test_phrases_learn_from_the_runs_that_start_within_max_words():
    text = "Alpha beta. Alpha beta. Alpha beta. Gamma delta. Gamma delta. Gamma delta."
    paragraphs = pd.DataFrame({"doc_id": "d", "para_id": [1], "kind": "body", "line_start": [1], "text": [text]})
    tokens, _, _ = tokenize(paragraphs, None, TokensConfig(phrases=False))
    config = TokensConfig(phrases_min_count=2, phrases_threshold=-0.9)
    # a budget of 5 words trains on the runs starting at words 0, 2, 4: "gamma delta" has one occurrence
    _, few = detect_phrases(tokens, TokensConfig(phrases_min_count=2, phrases_threshold=-0.9, phrases_max_words=5))
    _, every = detect_phrases(tokens, config)
    assert list(few["term"]) == ["alpha_beta"] and list(every["term"]) == ["alpha_beta", "gamma_delta"]
    grams, _ = _gensim([["alpha", "beta"]] * 3, 2, -0.9)
    assert few["npmi"].tolist() == [grams[("alpha", "beta")]]


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.integers(0, 5), min_size=2, max_size=60), data=st.data(),
       min_count=st.integers(1, 4), threshold=st.floats(-0.99, 1.0))
def test_codes_equal_gensim_on_random_streams(words, data, min_count, threshold):
    cont = np.array(data.draw(st.lists(st.booleans(), min_size=len(words) - 1, max_size=len(words) - 1)), dtype=bool)
    words = np.array(words, dtype=np.int32)
    runs = [list(r) for r in np.split(np.array([f"w{w}" for w in words]), np.flatnonzero(~cont) + 1)]
    grams, joined_runs = _gensim(runs, min_count, threshold)
    codes, scores = npmi_phrases(words, cont, 6, min_count, threshold)
    a, b = np.divmod(codes, 6)
    assert {(f"w{x}", f"w{y}"): s for x, y, s in zip(a, b, scores.tolist())} == grams
    chosen, which = apply_phrases(*bigram_codes(words, cont, 6), codes)
    names = [f"w{w}" for w in words]
    for k, j in zip(chosen.tolist(), which.tolist()):
        assert (names[k], names[k + 1]) == (f"w{a[j]}", f"w{b[j]}")
        names[k], names[k + 1] = f"{names[k]}_{names[k + 1]}", None
    assert [w for w in names if w is not None] == [w for run in joined_runs for w in run]
