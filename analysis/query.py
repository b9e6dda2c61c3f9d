"""Token queries: one pattern parser, one lemma-sequence matcher, one paragraph-run helper and one
concordance builder over the token table, used by the lexicon, KWIC, collocates and formulations."""
from __future__ import annotations

import fnmatch
import re

import numpy as np
import pandas as pd

from analysis.errors import ParameterError
from analysis.tokens import TOKEN_PATTERN, lemmatize

TOKEN_COLUMNS = {"doc_id": "object", "para_id": "int64", "position": "int64", "start": "int64",
                 "end": "int64", "line": "int64"}


GLOB = re.compile(r"[*?\[]")


def parse_pattern(pattern: str) -> list[str]:
    """Split a user pattern into word patterns: globs kept whole, other parts cut like the corpus."""
    words: list[str] = []
    for part in str(pattern).split():
        if GLOB.search(part):
            words.append(part.lower())
        else:
            words.extend(TOKEN_PATTERN.findall(part))
    return words


def category_mask(categories: np.ndarray, word: str, exact: bool = False) -> np.ndarray:
    """Return which categories (lemmas or terms) a word pattern accepts.

    A glob is matched against the categories; a word accepts its lemma and its lower-cased form
    (``exact``: its lemma only).
    """
    if GLOB.search(word):
        return np.array([fnmatch.fnmatchcase(c, word) for c in categories], dtype=bool)
    accepted = {lemmatize(word)} if exact else {lemmatize(word), word.lower()}
    return np.isin(categories, list(accepted))


def paragraph_runs(para_key: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each item index in `positions`, the index of the first and last item of its
    paragraph run."""
    n = len(para_key)
    if n == 0 or len(positions) == 0:
        return np.zeros(len(positions), dtype=np.int64), np.zeros(len(positions), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, para_key[1:] != para_key[:-1]])
    ends = np.r_[starts[1:], n] - 1
    run = np.searchsorted(starts, positions, side="right") - 1
    return starts[run], ends[run]


def match_sequences(codes: np.ndarray, categories: np.ndarray, para_key: np.ndarray, words: list[str],
                     exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return (start, end) item indices (half-open) where `words` match consecutive items of one paragraph."""
    n, k = len(codes), len(words)
    if k == 0 or n < k:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # candidates from the first word, then narrowed word by word (only candidate positions are read)
    starts = np.arange(n - k + 1, dtype=np.int64)
    for j, word in enumerate(words):
        cat_ok = np.r_[category_mask(categories, word, exact), False]     # code -1 (missing) -> False
        starts = starts[cat_ok[codes[starts + j]]]
    if k > 1:
        starts = starts[para_key[starts + k - 1] == para_key[starts]]
    return starts, starts + k


def paragraph_key(tokens: pd.DataFrame) -> np.ndarray:
    return tokens["doc_id"].astype("category").cat.codes.to_numpy().astype(np.int64) * (1 << 32) + \
        tokens["para_id"].to_numpy().astype(np.int64)


def lemma_codes(tokens: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lemma = tokens["lemma"].astype("category")
    return lemma.cat.codes.to_numpy(), np.asarray(lemma.cat.categories.astype(str))


def check_window(window: int, function: str = "kwic") -> None:
    """Raise `ParameterError` (naming `function`) unless `window` is an integer >= 1."""
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ParameterError(function, "window", f"must be an integer >= 1; got {window!r}")


def concordance_rows(tokens: pd.DataFrame, paragraphs: pd.DataFrame, starts: np.ndarray, ends: np.ndarray,
                 window: int, para_key: np.ndarray | None = None) -> pd.DataFrame:
    """Return KWIC rows for token index spans [start, end)."""
    columns = ["doc_id", "para_id", "line_start", "left", "match", "right", "line_end", "token_start", "token_end"]
    if len(starts) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("doc_id", "left", "match", "right") else "int64")
                             for c in columns})
    para_key = paragraph_key(tokens) if para_key is None else para_key
    first, _ = paragraph_runs(para_key, starts)
    _, last = paragraph_runs(para_key, ends - 1)
    char_start = tokens["start"].to_numpy()
    char_end = tokens["end"].to_numpy()
    lines = tokens["line"].to_numpy()
    position = tokens["position"].to_numpy()
    left_i = np.maximum(starts - window, first)
    right_i = np.minimum(ends - 1 + window, last)
    doc = np.asarray(tokens["doc_id"].to_numpy()[starts], dtype=object).astype(str)
    para = tokens["para_id"].to_numpy()[starts]
    texts = paragraphs.set_index(["doc_id", "para_id"])["text"]
    texts = texts[~texts.index.duplicated()]
    para_text = texts.reindex(pd.MultiIndex.from_arrays([doc, para])).to_numpy()
    # character offsets as Python ints: slicing a str by numpy integers is several times slower
    s, e = char_start[starts].tolist(), char_end[ends - 1].tolist()
    left_at, right_at = char_start[left_i].tolist(), char_end[right_i].tolist()
    has_left, has_right = (left_i < starts).tolist(), (right_i > ends - 1).tolist()
    left = [t[a:b].strip() if ok else "" for t, a, b, ok in zip(para_text, left_at, s, has_left)]
    match = [t[a:b] for t, a, b in zip(para_text, s, e)]
    right = [t[a:c].strip() if ok else "" for t, a, c, ok in zip(para_text, e, right_at, has_right)]
    return pd.DataFrame({"doc_id": doc, "para_id": para.astype(np.int64),
                         "line_start": lines[starts].astype(np.int64), "left": left, "match": match,
                         "right": right, "line_end": lines[ends - 1].astype(np.int64),
                         "token_start": position[starts].astype(np.int64),
                         "token_end": (position[ends - 1] + 1).astype(np.int64)})
