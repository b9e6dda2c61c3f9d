"""Oracle tests of the corpus stage's fast paths: each batch function of `analysis.cleaning` and the
shingle matrix of `analysis.repeats` against its straightforward per-item rule, on hypothesis text;
and the whole of `corpus.clean_document` against itself with the per-line and per-paragraph rules
put back (same paragraphs, same cleaning log).

`benchmarks/corpus_speed.py --check` compares the tables with those of another commit's code (main)
on the seeds, the messy corpus and the 1M and 5M synthetic corpora.
"""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import corpus, repeats
from analysis.cleaning import normalise_line, normalise_lines, paragraph_words, signature_words
from analysis.config import CorpusConfig
from analysis.repeats import _shingle_matrix, _similar_pairs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synth import MESSY_LINES  # noqa: E402

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PIECES = ["word", "Word", "5G-enabled", "it's", "a-", "-b", "1,000.5", "1..2", "x'-y", "99%.", " ", "  ", "\t",
          "\u00a0", "\u201c", "\u2019", "\f", "\x00", "\x85", "\u2028", "\x7f", "e\u0301", "\u68c0\u5bdf", "\u0414a",
          "\u212a", "_", ".", ",", "-", "'"]
line_text = st.lists(st.one_of(st.sampled_from(PIECES), st.sampled_from(MESSY_LINES), st.text(max_size=3)),
                     max_size=12).map("".join).map(lambda s: s.replace("\n", " ").replace("\r", " "))


@SETTINGS
@given(st.lists(line_text, max_size=8))
def test_normalise_lines_is_normalise_line_per_line(lines):
    assert normalise_lines(lines) == [normalise_line(line) for line in lines]


@SETTINGS
@given(st.lists(line_text, max_size=8))
def test_paragraph_words_are_the_patterns_words(texts):
    assert paragraph_words(texts) == [signature_words(text) for text in texts]


def test_paragraph_words_planted():
    texts = ["5G-enabled it's 1,000.5 a- -b x'-y", "A1b2", "", "Stra\u00dfe 5G"]
    assert paragraph_words(texts) == [["5", "g-enabled", "it's", "1,000.5", "a", "b", "x", "y"],
                                      ["a", "1", "b", "2"], [], ["stra\u00dfe", "5", "g"]]


def _shingle_sets(words: list[list[str]]) -> list[set[tuple[str, ...]]]:
    return [{tuple(ws[i:i + k]) for k in (1, 2, 3) for i in range(len(ws) - k + 1)} for ws in words]


@SETTINGS
@given(st.lists(st.lists(st.sampled_from("a b c d e f".split()), min_size=1, max_size=14), min_size=1, max_size=7),
       st.sampled_from([(2**21, 2**62), (1, 2**62), (2**21, 0), (1, 0)]))
def test_shingle_matrix_is_the_sets_of_one_to_three_grams(words, limits):
    sets = _shingle_sets(words)
    with pytest.MonkeyPatch.context() as monkeypatch:     # every route: 2-grams renumbered or not, one key or two
        monkeypatch.setattr(repeats, "_DIRECT_KEY_WORDS", limits[0])
        monkeypatch.setattr(repeats, "_KEY_LIMIT", limits[1])
        matrix = _shingle_matrix(words)
    assert np.diff(matrix.indptr).tolist() == [len(s) for s in sets]
    assert (matrix @ matrix.T).toarray().tolist() == [[len(a & b) for b in sets] for a in sets]
    assert set(matrix.data.tolist()) <= {1.0}
    found = [(a, b) for (a, sa), (b, sb) in itertools.combinations(enumerate(sets), 2)
             if sa and sb and len(sa & sb) / np.sqrt(len(sa) * len(sb)) >= 0.6]
    assert sorted((a, b) for _, a, b in _similar_pairs(matrix, 0.6)) == found


documents = st.lists(st.one_of(st.sampled_from(MESSY_LINES), line_text), max_size=40).flatmap(
    lambda lines: st.lists(st.integers(0, max(len(lines) - 1, 0)), max_size=3).map(
        lambda starts: "\n".join(lines + [x for s in starts for x in lines[s: s + 3]]) + "\n"))


def _straightforward(monkeypatch):
    """Put the per-line and per-paragraph rules back in place of the batch functions."""
    monkeypatch.setattr(corpus, "normalise_lines", lambda lines: [normalise_line(line) for line in lines])
    monkeypatch.setattr(corpus, "paragraph_words", lambda texts: [signature_words(t) for t in texts])
    monkeypatch.setattr(corpus, "_may_be_web_boilerplate", lambda text: True)


def _cleaned(text: str, genre: str, translation: str, segmentation: str, config: CorpusConfig):
    units, log = corpus.clean_document("doc", text, genre, translation, segmentation, config)
    return [(u.kind, u.text, u.lines, u.pieces, u.indented) for u in units], log


@SETTINGS
@given(documents, st.sampled_from(["speech", "work_report"]), st.sampled_from(["news", "official"]),
       st.sampled_from(["line", "indent", "blank"]), st.sampled_from(["block", "document"]))
def test_clean_document_equals_the_per_line_rules(text, genre, translation, segmentation, scope):
    config = CorpusConfig(duplicate_scope=scope)
    fast = _cleaned(text, genre, translation, segmentation, config)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _straightforward(monkeypatch)
        slow = _cleaned(text, genre, translation, segmentation, config)
    assert fast == slow


def test_web_boilerplate_prefilter_lets_every_match_through():
    lines = ["Back to top", "BACK TO TOP", "Copyright 2023 Xinhua", "copyright", "2023 Xinhua. All rights reserved.",
             "All Rights Reserved", "\u212aeep: all rights reserved", "all rıghts reserved", "Not boilerplate."]
    for line in lines:
        if corpus._WEB_BOILERPLATE.match(line):
            assert corpus._may_be_web_boilerplate(line), line
    assert not corpus._may_be_web_boilerplate("Not boilerplate.")
