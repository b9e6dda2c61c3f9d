"""Repeated paragraphs inside one document: word-shingle similarity, repeated blocks, and which
copies the cleaning rules exact_duplicate and near_duplicate drop (`analysis.corpus` applies them
and writes the cleaning log). Pure functions of word lists; no text, no files.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scipy import sparse


#: Below this many distinct words, 3-gram numbers (< words**3) fit in 64 bits without renumbering 2-grams.
_DIRECT_KEY_WORDS = 2**21
#: Largest (shingle, row) key sorted as one 64-bit number.
_KEY_LIMIT = 2**62


def _shingle_matrix(words: list[list[str]]) -> sparse.csr_matrix:
    """Return the binary paragraph x shingle matrix: one column per distinct word 1-, 2- or 3-gram
    of the paragraphs (`words`, one list per paragraph), 1 where the paragraph holds it."""
    from scipy import sparse

    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    n = len(words)
    if not lengths.sum():
        return sparse.csr_matrix((n, 0))
    flat = np.empty(int(lengths.sum()), dtype=object)
    flat[:] = [w for ws in words for w in ws]
    word = pd.factorize(flat)[0].astype(np.int64)
    v = int(word.max()) + 1
    row = np.repeat(np.arange(n), lengths)
    same2 = row[:-1] == row[1:]
    same3 = same2[:-1] & same2[1:]
    # a 2-gram is numbered by its pair of word codes, a 3-gram by its 2-gram's number and last word;
    # 1-grams number below v, 2-grams below v + n_bigrams, 3-grams above: one space of 64-bit
    # numbers (with many distinct words, 2-grams are renumbered from 0 first so 3-grams fit)
    bigram = word[:-1] * v + word[1:]
    if v >= _DIRECT_KEY_WORDS:
        bigram = pd.factorize(bigram)[0].astype(np.int64)
    n_bigrams = int(bigram.max()) + 1 if len(bigram) else 0
    trigram = bigram[:-1] * v + word[2:]
    grams = np.concatenate([word, v + bigram[same2], v + n_bigrams + trigram[same3]])
    rows = np.concatenate([row, row[:-1][same2], row[:-2][same3]])
    # sorted by shingle, then row, without repeats (a shingle counts once however often the
    # paragraph repeats it): the column-major form of the matrix
    if (int(grams.max()) + 1) * n < _KEY_LIMIT:     # Python integers: (shingle, row) as one 64-bit key
        keys = np.sort(grams * n + rows)
        grams, rows = np.divmod(keys[np.r_[True, keys[1:] != keys[:-1]]], n)
    else:                                     # a stable sort keeps each shingle's rows in order
        order = np.argsort(grams, kind="stable")
        grams, rows = grams[order], rows[order]
        keep = np.r_[True, (grams[1:] != grams[:-1]) | (rows[1:] != rows[:-1])]
        grams, rows = grams[keep], rows[keep]
    indptr = np.append(np.flatnonzero(np.r_[True, grams[1:] != grams[:-1]]), len(rows))
    return sparse.csc_matrix((np.ones(len(rows)), rows, indptr), shape=(n, len(indptr) - 1)).tocsr()


def _similar_pairs(grams: sparse.csr_matrix, threshold: float,
                   block: int = 1024) -> list[tuple[float, int, int]]:
    """Return ``(cosine, a, b)`` for every pair of rows a < b of the binary matrix `grams` whose
    cosine similarity, |A & B| / sqrt(|A| |B|), is at least `threshold`: most similar first, then by
    (a, b). The similarities are computed `block` rows at a time, so memory stays at `block` x n
    floats (8 MiB per 1,000 paragraphs), not n x n, however many paragraphs a document has."""
    n = grams.shape[0]
    sizes = np.sqrt(np.diff(grams.indptr).astype(float))
    found = []
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        sims = (grams[lo:hi] @ grams.T).toarray() / np.outer(sizes[lo:hi], sizes)
        a, b = np.nonzero(sims >= threshold)
        upper = b > a + lo
        a, b = a[upper], b[upper]
        found.extend(zip(sims[a, b].tolist(), (a + lo).tolist(), b.tolist()))
    return sorted(found, key=lambda t: (-t[0], t[1], t[2]))


def repeat_blocks(n: int, pairs: list[tuple[int, int]], min_block: int) -> np.ndarray:
    """Return, for each of `n` paragraphs, whether it sits in a run of at least `min_block`
    consecutive paragraphs each of which is one side of a repeat pair (`pairs` of indices)."""
    involved = np.zeros(n, dtype=bool)
    for i, j in pairs:
        involved[i] = involved[j] = True
    in_block = np.zeros(n, dtype=bool)
    start = 0
    for k in range(n + 1):
        if k == n or not involved[k]:
            if k - start >= min_block:
                in_block[start:k] = True
            start = k + 1
    return in_block


def find_repeats(words: list[list[str]], analysed: list[bool], boilerplate: list[bool], similarity: float,
                 min_words: int, scope: str = "block", min_block: int = 2) -> list[tuple[str, int, int, float]]:
    """Return the repeats to drop from one document's paragraphs, in the order they are decided.

    Parameters
    ----------
    words : list of list of str
        Each paragraph's lower-cased words, in reading order.
    analysed : list of bool
        Whether each paragraph is of an analysed kind (only those can be near copies).
    boilerplate : list of bool
        Whether each paragraph is boilerplate (never dropped as a word-for-word repeat).
    similarity : float
        Cosine of word 1-3-gram sets at or above which two paragraphs are near copies, in (0, 1].
    min_words : int
        Paragraphs shorter than this (a count of words) are never near copies; with scope "block"
        they are not dropped as word-for-word repeats either.
    scope : {"block", "document"}, default "block"
        "block": a repeat goes only when one of its sides sits in a run of at least `min_block`
        consecutive repeating paragraphs (`repeat_blocks`): a repeated lead or block; a refrain in
        running text stays. "document": any repeat.
    min_block : int, default 2
        Shortest run of repeating paragraphs that is a block (a count).

    Returns
    -------
    list of (rule, dropped, kept, cosine)
        rule is "exact_duplicate" (cosine 1.0; the first occurrence is kept) or "near_duplicate"
        (the fuller copy is kept; on a tie the later one); dropped and kept are 0-based indices.
    """
    by_block = scope == "block"
    long_enough = [len(w) >= min_words for w in words]
    exact = _exact_repeats(words, boilerplate, long_enough, by_block)
    near = _near_repeats(words, analysed, long_enough, {j for _, j in exact}, similarity)
    in_block = (repeat_blocks(len(words), exact + [(i, j) for _, i, j in near], min_block) if by_block
                else np.ones(len(words), dtype=bool))
    keep = [True] * len(words)
    drops = []
    for first, i in exact:
        if in_block[first] or in_block[i]:
            keep[i] = False
            drops.append(("exact_duplicate", i, first, 1.0))
    for sim, i, j in near:
        if not (keep[i] and keep[j]) or not (in_block[i] or in_block[j]):
            continue
        drop, kept = (i, j) if len(words[i]) <= len(words[j]) else (j, i)
        keep[drop] = False
        drops.append(("near_duplicate", drop, kept, sim))
    return drops


def _exact_repeats(words: list[list[str]], boilerplate: list[bool], long_enough: list[bool],
                   by_block: bool) -> list[tuple[int, int]]:
    """Return (first occurrence, repeat) of every word-for-word repeat, in reading order (0-based indices);
    boilerplate, and with `by_block` a paragraph not `long_enough`, is never a repeat."""
    exact: list[tuple[int, int]] = []
    first_seen: dict[str, int] = {}
    for i, ws in enumerate(words):
        key = " ".join(ws)
        if not key:         # no word signature: nothing to compare, never a repeat
            continue
        if key in first_seen and not boilerplate[i] and (long_enough[i] or not by_block):
            exact.append((first_seen[key], i))
        else:
            first_seen.setdefault(key, i)
    return exact


def _near_repeats(words: list[list[str]], analysed: list[bool], long_enough: list[bool], repeated: set[int],
                  similarity: float) -> list[tuple[float, int, int]]:
    """Return (cosine, i, j) of the near copies among the analysed, long enough paragraphs that are not
    word-for-word repeats (`_similar_pairs` order; 0-based indices)."""
    candidates = [i for i in range(len(words)) if analysed[i] and long_enough[i] and i not in repeated]
    if len(candidates) < 2:
        return []
    grams = _shingle_matrix([words[i] for i in candidates])
    return [(sim, candidates[a], candidates[b]) for sim, a, b in _similar_pairs(grams, similarity)]
