"""Token queries: one pattern parser, one lemma-sequence matcher, one paragraph-run helper and one
concordance builder over the token table, used by the lexicon, KWIC, collocates and formulations."""
from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from scipy import sparse

from analysis.errors import ParameterError
from analysis.tokens import TOKEN_COLUMNS as _ALL_TOKEN_COLUMNS
from analysis.tokens import TOKEN_PATTERN, lemmatize

#: The token columns every query reads (a subset of `analysis.tokens.TOKEN_COLUMNS`).
TOKEN_COLUMNS = {c: _ALL_TOKEN_COLUMNS[c] for c in ("doc_id", "para_id", "position", "start", "end", "line")}
#: The same and the lemmas: what lemma queries (lexicon, KWIC, formulations) read.
LEMMA_COLUMNS = {**TOKEN_COLUMNS, "lemma": _ALL_TOKEN_COLUMNS["lemma"]}


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


def paragraph_key(tokens: pd.DataFrame, mask: np.ndarray | None = None) -> np.ndarray:
    """Return one int64 per token (per token where `mask` is True), doc_id's category code * 2**32 +
    para_id, built in place from the narrow codes (one int64 array of the result's length)."""
    codes, para = tokens["doc_id"].astype("category").cat.codes.to_numpy(), tokens["para_id"].to_numpy()
    if mask is not None:
        codes, para = codes[mask], para[mask]
    key = codes.astype(np.int64)
    key *= 1 << 32
    key += para.astype(np.int64, copy=False)
    return key


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
    doc = np.asarray(tokens["doc_id"].iloc[starts].to_numpy(), dtype=object).astype(str)    # not the whole column
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


# ----------------------------------------------------------------------------- token-table helpers

def column_values(column: pd.Series) -> np.ndarray:
    """Return a column's values as an object array of str, cheaply for categorical columns (the
    category strings are shared, not rebuilt per row)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = np.asarray(column.cat.categories.astype(str), dtype=object)
        return categories[column.cat.codes.to_numpy()]
    return column.astype(str).to_numpy(dtype=object)


def sorted_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return (code of each row, the values in sorted order) such that codes follow that order;
    categorical codes and small integer ranges are used as they are (no hashing)."""
    if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.categories.is_monotonic_increasing:
        return column.cat.codes.to_numpy().astype(np.int64), np.asarray(column.cat.categories)
    values = column.to_numpy()
    if len(values) and np.issubdtype(values.dtype, np.integer):
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * len(values) + 1_000_000:
            codes = values.astype(np.int64)
            codes -= low            # in place: no second token-length array
            return codes, np.arange(low, high + 1)
    codes, uniques = pd.factorize(column, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def group_rows(tokens: pd.DataFrame, by: list[str] | tuple[str, ...] = ("doc_id", "para_id"),
               mask: np.ndarray | None = None) -> tuple[np.ndarray, pd.DataFrame]:
    """Return the row of each token in a table of its groups, and that table.

    A group is one combination of the `by` values; only tokens where `mask` is True (default: all)
    are grouped. Returns (row : ndarray of int64, one per grouped token; rows : DataFrame of the
    `by` values of each group, sorted by them).
    """
    by = list(by)
    n = len(tokens) if mask is None else int(np.count_nonzero(mask))
    key = np.zeros(n, dtype=np.int64)     # one integer per group, in the sort order of the `by` values
    factors = []
    for name in by:        # in place: one token-length int64 array at a time (40 MB at 5M tokens)
        f_codes, f_values = sorted_codes(tokens[name])
        key *= len(f_values) + 1
        key += f_codes if mask is None else f_codes[mask]
        del f_codes
        factors.append(f_values)
    # Tokens come in runs of one group (reading order): unique the runs, not every token.
    run_start = np.flatnonzero(key[1:] != key[:-1]) + 1 if n else np.array([], dtype=np.int64)
    run_start = np.r_[0, run_start] if n else run_start
    group_keys, run_group = np.unique(key[run_start], return_inverse=True)
    del key
    row_of_token = np.repeat(run_group.reshape(-1).astype(np.int64, copy=False), np.diff(np.r_[run_start, n]))
    values = {}
    for name, f_values in zip(reversed(by), reversed(factors)):
        values[name] = np.asarray(f_values)[group_keys % (len(f_values) + 1)]
        group_keys = group_keys // (len(f_values) + 1)
    return row_of_token, pd.DataFrame({name: values[name] for name in by})


def count_matrix(tokens: pd.DataFrame, by: list[str] | tuple[str, ...] = ("doc_id", "para_id"),
                 column: str = "term") -> tuple[sparse.csr_matrix, pd.DataFrame, np.ndarray]:
    """Return a count matrix of `column` values per group of tokens.

    Parameters
    ----------
    tokens : DataFrame
        The token table.
    by : list of str, default ("doc_id", "para_id")
        Token columns that define one row of the matrix.
    column : {"term", "lemma"}, default "term"
        What is counted; empty strings (stop words, inner tokens of multi-word terms) are skipped.

    Returns
    -------
    counts : scipy.sparse.csr_matrix of int64, shape (n_groups, n_types)
    rows : DataFrame
        The `by` values of each matrix row, sorted.
    vocab : ndarray of str
        The type of each column, sorted alphabetically.
    """
    by = list(by)
    col = tokens[column] if isinstance(tokens[column].dtype, pd.CategoricalDtype) else tokens[column].astype("category")
    categories = np.asarray(col.cat.categories.astype(str), dtype=object)
    codes = col.cat.codes.to_numpy()     # int8/16/32 as pandas keeps them: no token-length int64 copy
    empty = np.r_[categories == "", True]          # code -1 (missing) counts as empty too
    mask = ~empty[codes]
    codes = codes[mask]
    used = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
    order = np.argsort(categories[used], kind="stable")
    used = used[order]
    remap = np.full(len(categories), -1, dtype=np.int32)
    remap[used] = np.arange(len(used))
    vocab = categories[used].astype(str)
    columns = remap[codes]
    del codes
    row_of_token, rows = group_rows(tokens, by)     # every group, also those with nothing counted
    row_of_token = row_of_token[mask]
    del mask
    from scipy import sparse

    # int32 coordinates where they fit (scipy's own index dtype); the counts stay int64
    index_type = np.int32 if max(len(rows), len(vocab)) < np.iinfo(np.int32).max else np.int64
    matrix = sparse.csr_matrix((np.ones(len(columns), dtype=np.int64),
                                (row_of_token.astype(index_type, copy=False), columns.astype(index_type, copy=False))),
                               shape=(len(rows), len(vocab)))
    matrix.sum_duplicates()
    return matrix, rows, vocab


def paragraph_terms(tokens: pd.DataFrame) -> pd.Series:
    """Return each analysed paragraph's list of terms in reading order, indexed by (doc_id, para_id)."""
    sub = tokens[tokens["term"].astype(str) != ""]
    return sub.groupby(["doc_id", "para_id"], observed=True, sort=True)["term"].agg(lambda s: list(map(str, s)))


def find_phrase(tokens: pd.DataFrame, phrase: str | list[str]) -> np.ndarray:
    """Return the row numbers (0-based, into `tokens`) where the lemma sequence of `phrase` starts.

    `phrase` is text ("plead guilty and accept punishment") lemmatized like the corpus, or a list
    of lemmas. A match never crosses a paragraph. Matching compares category codes with numpy, so it
    costs one pass over the tokens per word of the phrase.
    """
    words = [lemmatize(w) for w in TOKEN_PATTERN.findall(phrase)] if isinstance(phrase, str) else list(phrase)
    if not words:
        return np.array([], dtype=np.int64)
    lemma = tokens["lemma"]
    categories = pd.Index(lemma.cat.categories)
    codes = lemma.cat.codes.to_numpy()
    wanted = categories.get_indexer(words)
    if (wanted < 0).any():
        return np.array([], dtype=np.int64)
    n, m = len(codes), len(words)
    hits = np.flatnonzero(codes[: n - m + 1] == wanted[0]) if n >= m else np.array([], dtype=np.int64)
    para = tokens["para_id"].to_numpy()
    doc = tokens["doc_id"].cat.codes.to_numpy()
    for k in range(1, m):
        nxt = hits + k
        ok = (codes[nxt] == wanted[k]) & (para[nxt] == para[hits]) & (doc[nxt] == doc[hits])
        hits = hits[ok]
    return hits


def document_parts(tokens: pd.DataFrame, partitions: int, function: str = "document_parts") -> list[tuple[int, int]]:
    """Return the [start, stop) token-row ranges of `partitions` blocks of whole documents, consecutive in
    token order (fewer when there are fewer documents; one empty range for an empty table).
    ParameterError naming `function` when `partitions` is not an integer >= 1."""
    from analysis.engine import blocks

    if isinstance(partitions, bool) or not isinstance(partitions, (int, np.integer)) or partitions < 1:
        raise ParameterError(function, "partitions", f"must be an integer >= 1; got {partitions!r}")

    doc = pd.factorize(tokens["doc_id"])[0]
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if len(doc) else np.zeros(0, dtype=np.int64)
    edges = np.r_[starts, len(doc)]
    return [(int(edges[a]), int(edges[b])) for a, b in blocks(len(starts), partitions)] or [(0, len(doc))]

