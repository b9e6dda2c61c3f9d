"""Bigram phrases by gensim `Phrases`' rule (npmi scoring, no connector words), counted on integer codes.

Pure functions of integer arrays (no strings, no corpus), used by `analysis.tokens`. Words are
codes ``0 .. n_types - 1``; a bigram is the code ``a * n_types + b``, so counting the bigrams of a
corpus is one `numpy.unique` over an int64 array instead of a dict of joined strings. The rules are
those of gensim 4's `Phrases(min_count, threshold, scoring="npmi", connector_words=())` followed by
`export_phrases()` and applying the phrases left to right; `tests/test_tokens.py` checks they find
the same phrases and scores as gensim itself. One difference: gensim prunes its vocabulary when it
holds more than `max_vocab_size` (40M) unigrams and bigrams, which cannot happen below 20M training
words; the counts here are always exact.
"""
from __future__ import annotations

import math

import numpy as np


def bigram_codes(words: np.ndarray, cont: np.ndarray, n_types: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions `k` of the bigrams ``(words[k], words[k + 1])`` (int64) that lie in one run
    (``cont[k]`` True) and their codes ``words[k] * n_types + words[k + 1]`` (int64)."""
    at = np.flatnonzero(cont)
    codes = words[at].astype(np.int64)
    codes *= n_types
    codes += words[at + 1]
    return at, codes


def npmi_phrases(words: np.ndarray, cont: np.ndarray, n_types: int, min_count: int,
                 threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the bigrams that gensim `Phrases` (npmi scoring) exports from these training words.

    Parameters
    ----------
    words : ndarray of int
        The training words as codes in ``[0, n_types)``, the runs (gensim's sentences) one after another.
    cont : ndarray of bool
        ``len(words) - 1`` flags: True where ``words[k + 1]`` continues the run of ``words[k]``.
    n_types : int
        Number of word codes.
    min_count : int
        A bigram needs at least this many occurrences.
    threshold : float
        A bigram is a phrase when its npmi is above this (in (-1, 1]).

    Returns
    -------
    codes : ndarray of int64
        Sorted bigram codes ``a * n_types + b`` of the phrases.
    scores : ndarray of float64
        Their npmi, computed with gensim's `npmi_scorer` formula and `math.log`, so the floats are
        gensim's to the last bit.
    """
    total = float(len(words))                     # gensim's corpus_word_count: every training word
    unigram = np.bincount(words, minlength=n_types)
    _, codes = bigram_codes(words, cont, n_types)
    codes, counts = np.unique(codes, return_counts=True)
    keep = counts >= min_count
    codes, counts = codes[keep], counts[keep]
    a, b = np.divmod(codes, n_types)
    log = math.log
    scores = np.array([log((ab / total) / ((ca / total) * (cb / total))) / -log(ab / total)
                       for ca, cb, ab in zip(unigram[a].tolist(), unigram[b].tolist(), counts.tolist())],
                      dtype=np.float64)
    found = scores > threshold
    return codes[found], scores[found]


def apply_phrases(bigram_at: np.ndarray, bigrams: np.ndarray, phrase_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the bigrams joined into phrases, left to right, as gensim applies them to a sentence.

    Parameters
    ----------
    bigram_at, bigrams : ndarray of int64
        From `bigram_codes` over the whole corpus: positions (ascending) and codes of its bigrams.
    phrase_codes : ndarray of int64
        Sorted bigram codes of the phrases (from `npmi_phrases`).

    Returns
    -------
    chosen : ndarray of int64
        Positions `k` of the joined bigrams ``(k, k + 1)``; of two overlapping candidates the left
        one wins (a chain of candidates at k, k + 1, k + 2, ... keeps k, k + 2, ...).
    which : ndarray of int64
        Index of each joined bigram in `phrase_codes`.
    """
    slot = np.searchsorted(phrase_codes, bigrams)
    slot[slot == len(phrase_codes)] = 0
    hit = phrase_codes[slot] == bigrams if len(phrase_codes) else np.zeros(len(bigrams), dtype=bool)
    at, slot = bigram_at[hit], slot[hit]
    # a chain of candidates at consecutive positions starts where the one before is not at k - 1;
    # gensim keeps the first of a chain, skips the next (it overlaps), keeps the third, ...
    chain_start = np.ones(len(at), dtype=bool)
    chain_start[1:] = at[1:] != at[:-1] + 1
    first_of_chain = np.maximum.accumulate(np.where(chain_start, np.arange(len(at)), 0))
    keep = (np.arange(len(at)) - first_of_chain) % 2 == 0
    return at[keep], slot[keep]
