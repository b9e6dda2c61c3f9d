"""Bigram phrases by gensim `Phrases`' rule (npmi scoring, no connector words), counted on integer codes.

`detect_phrases` joins them in a token table (for `analysis.tokens`); the functions under it take
integer arrays only. Words are codes ``0 .. n_types - 1`` and a bigram is the code
``a * n_types + b``, so counting the bigrams of a corpus is one `numpy.unique` over an int64 array
instead of a dict of joined strings. The rules are those of gensim 4's `Phrases(min_count,
threshold, scoring="npmi", connector_words=())`, its `export_phrases()` and its joining of phrases
left to right; `tests/test_phrases.py` checks against gensim itself that the phrases, their scores
(to the last bit) and the joined tokens are the same. One difference: gensim prunes its vocabulary
when it holds more than `max_vocab_size` (40M) unigrams and bigrams, which cannot happen below 20M
training words (`phrases_max_words`); the counts here are always exact.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.config import TokensConfig
from analysis.scan import _categorical


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


def _phrase_runs(tokens: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the rows of `tokens` that have a term (int64) and, for each but the last, whether the
    next one continues its run: same sentence and no stop word between them (bool)."""
    codes = tokens["term"].cat.codes.to_numpy()
    idx = np.flatnonzero(codes != tokens["term"].cat.categories.get_loc("")) \
        if "" in tokens["term"].cat.categories else np.arange(len(tokens), dtype=np.int64)
    breaks = tokens["stop"].to_numpy().copy()        # a token that starts a sentence or is a stop word
    for name in ("sent_id", "para_id", "doc_id"):
        col = tokens[name]
        col = col.cat.codes.to_numpy() if isinstance(col.dtype, pd.CategoricalDtype) else col.to_numpy()
        breaks[1:] |= col[1:] != col[:-1]
    cum = np.cumsum(breaks, dtype=np.int32)
    return idx, cum[idx[1:]] == cum[idx[:-1]]


def detect_phrases(tokens: pd.DataFrame, config: TokensConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge the bigram phrases that gensim `Phrases` (npmi) finds within runs of non-stop terms.

    A run breaks at a new sentence and wherever a stop word stood between two terms. The phrases
    are learnt from the runs that start within the first `config.phrases_max_words` terms, then
    applied to the whole corpus, left to right, as gensim does.

    Returns
    -------
    tokens : DataFrame
        `tokens` with a phrase's name (words joined by "_") on its first token's term, "" on its second.
    phrases : DataFrame
        The phrases table of `analysis.tokens` (term, count in the corpus, npmi), most frequent first.
    """
    empty = pd.DataFrame({"term": pd.Series(dtype=object), "count": pd.Series(dtype="int64"),
                          "npmi": pd.Series(dtype="float64")})
    idx, cont = _phrase_runs(tokens)
    if len(idx) < 2:
        return tokens, empty
    names = tokens["term"].cat.categories
    words = tokens["term"].cat.codes.to_numpy()[idx]
    run_starts = np.concatenate([[0], np.flatnonzero(~cont) + 1])
    n_runs = max(int(np.searchsorted(run_starts, min(config.phrases_max_words, len(idx)), side="left")), 1)
    end = run_starts[n_runs] if n_runs < len(run_starts) else len(idx)
    phrase_codes, scores = npmi_phrases(words[:end], cont[:end - 1], len(names), config.phrases_min_count,
                                        config.phrases_threshold)
    if not len(phrase_codes):
        return tokens, empty
    chosen, which = apply_phrases(*bigram_codes(words, cont, len(names)), phrase_codes)
    a, b = np.divmod(phrase_codes, len(names))
    joined = np.array([f"{x}_{y}" for x, y in zip(names[a], names[b])], dtype=object)
    new_names = np.array(sorted(set(names) | set(joined) | {""}), dtype=object)
    codes = new_names.searchsorted(np.asarray(names, dtype=object)).astype(np.int32)[tokens["term"].cat.codes.to_numpy()]
    codes[idx[chosen]] = new_names.searchsorted(joined)[which]
    codes[idx[chosen + 1]] = new_names.searchsorted("")
    # one row per joined name (two bigrams may join to one name), its npmi from its last occurrence
    found = pd.DataFrame({"term": joined[which], "npmi": scores[which]}).groupby("term", sort=False)["npmi"]
    phrases = pd.DataFrame({"term": pd.Series(found.size().index, dtype=object),
                            "count": found.size().to_numpy().astype("int64"), "npmi": found.last().to_numpy()})
    phrases = phrases.sort_values(["count", "term"], ascending=[False, True], ignore_index=True)
    return tokens.assign(term=_categorical(codes, new_names)), phrases
