"""Matching the lexicon against paragraphs and scoring each paragraph."""
from __future__ import annotations

import fnmatch
import warnings

import numpy as np
import pandas as pd

from analysis.config import ThemesConfig
from analysis.corpus import Corpus, require_columns
from analysis.query import GLOB, LEMMA_COLUMNS, column_values, document_parts
from analysis.themes.lexicon import Lexicon, load_lexicon

MATCH_COLUMNS = ("doc_id", "para_id", "position", "length", "start", "end", "line", "theme", "entry")


# --------------------------------------------------------------------------- matching


def match_lexicon(tokens: pd.DataFrame, lexicon: Lexicon, warn_unmatched: bool = True) -> pd.DataFrame:
    """Return every match of the lexicon in the token table (longest match first, left to right).

    Parameters
    ----------
    tokens : DataFrame
        The token table of `analysis.tokens` (doc_id, para_id, position, start, end, line, lemma).
    lexicon : Lexicon
    warn_unmatched : bool, default True
        Warn (`UserWarning`) for each glob entry that matches no lemma of the corpus.

    Returns
    -------
    DataFrame
        Columns as listed in the module docstring, in reading order.
    """
    require_columns(tokens, LEMMA_COLUMNS, stage="match_lexicon")
    codes, names, vocab = _lemma_codes(tokens["lemma"])
    if warn_unmatched:
        _warn_unmatched(lexicon, vocab)
    para_arr = tokens["para_id"].to_numpy()
    # Every place each entry matches (numpy, word by word), then longest match first, left to
    # right: at each token the first entry in (longest, not a glob, lexicon order) that matches.
    ranked = sorted(lexicon.entries, key=lambda e: (-len(e.words), e.is_glob, e.order))
    pos, rank = _entry_hits(ranked, codes, names, vocab, _paragraph_cuts(_doc_codes(tokens["doc_id"]), para_arr))
    found = _longest_first(pos, rank, ranked)
    first = np.array([f[0] for f in found], dtype=np.int64)
    size = np.array([f[1] for f in found], dtype=np.int64)
    return pd.DataFrame({
        "doc_id": column_values(tokens["doc_id"].iloc[first]).astype(object) if len(first) else np.array([], dtype=object),
        "para_id": para_arr[first].astype("int64"),
        "position": tokens["position"].to_numpy()[first].astype("int64"),
        "length": size,
        "start": tokens["start"].to_numpy()[first].astype("int64"),
        "end": tokens["end"].to_numpy()[first + size - 1].astype("int64") if len(first) else first,
        "line": tokens["line"].to_numpy()[first].astype("int64"),
        "theme": [f[2] for f in found],
        "entry": [f[3] for f in found],
    }, columns=list(MATCH_COLUMNS))


def _lemma_codes(lemma_col: pd.Series) -> tuple[np.ndarray, pd.Index, list[str]]:
    """Return each token's lemma code (integers as pandas holds them, -1: no lemma), the lemma of each code
    and the sorted lemmas that occur."""
    if isinstance(lemma_col.dtype, pd.CategoricalDtype):
        codes, names = lemma_col.cat.codes.to_numpy(), lemma_col.cat.categories.astype(str)
    else:
        codes, names = pd.factorize(lemma_col.astype(str))
        names = pd.Index(names).astype(str)
    present = np.zeros(len(names) + 1, dtype=bool)        # last slot: code -1 (no lemma)
    present[codes] = True
    return codes, names, sorted(names[present[:-1]])


def _warn_unmatched(lexicon: Lexicon, vocab: list[str]) -> None:
    """Warn (`UserWarning`, at `match_lexicon`'s caller) for each glob entry that matches no lemma of `vocab`."""
    for entry in lexicon.entries:
        if entry.is_glob and not any(fnmatch.fnmatchcase(v, entry.words[0]) for v in vocab):
            warnings.warn(f"{lexicon.source}: {entry.theme} entry {entry.pattern!r} matches no lemma "
                          "of the corpus", UserWarning, stacklevel=3)


def _doc_codes(column: pd.Series) -> np.ndarray:
    """Return an integer per token, equal where doc_id is equal (categorical codes as they are)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy()
    return pd.factorize(column.astype(str))[0]


def _paragraph_cuts(doc_codes: np.ndarray, para_arr: np.ndarray) -> np.ndarray:
    """Return the first token of every paragraph and the token count (sorted): a new paragraph starts
    wherever doc_id or para_id changes. The end (exclusive) of token i's paragraph is
    ``cuts[searchsorted(cuts, i, side="right")]``."""
    n = len(para_arr)
    boundary = np.ones(n + 1, dtype=bool)
    if n > 1:
        boundary[1:n] = (doc_codes[1:] != doc_codes[:-1]) | (para_arr[1:] != para_arr[:-1])
    return np.flatnonzero(boundary)


def _entry_hits(ranked: list, codes: np.ndarray, names: pd.Index, vocab: list[str],
                cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return every (token position, rank in `ranked`) where an entry matches inside one paragraph, sorted by
    position, then rank."""
    accepts: dict[str, np.ndarray] = {}

    def accepted(word: str) -> np.ndarray:
        """Which lemma codes a lexicon word accepts (a bool per code; the last slot is code -1)."""
        if word not in accepts:
            mask = np.zeros(len(names) + 1, dtype=bool)
            if GLOB.search(word):
                mask[names.get_indexer(fnmatch.filter(vocab, word))] = True
            elif word in names:
                mask[names.get_loc(word)] = True
            accepts[word] = mask
        return accepts[word]

    by_code = np.argsort(codes, kind="stable")
    code_starts = np.searchsorted(codes[by_code], np.arange(-1, len(names) + 1))
    hit_pos, hit_rank = [], []
    for rank, entry in enumerate(ranked):
        first = np.flatnonzero(accepted(entry.words[0])[:-1])
        pos = np.sort(np.concatenate([by_code[code_starts[c + 1]:code_starts[c + 2]] for c in first])
                      if len(first) else np.zeros(0, dtype=np.int64))
        size = len(entry.words)
        pos = pos[pos + size <= cuts[np.searchsorted(cuts, pos, side="right")]]   # inside its paragraph
        for j in range(1, size):
            pos = pos[accepted(entry.words[j])[codes[pos + j]]]
        hit_pos.append(pos)
        hit_rank.append(np.full(len(pos), rank))
    pos = np.concatenate(hit_pos) if hit_pos else np.zeros(0, dtype=np.int64)
    rank = np.concatenate(hit_rank) if hit_rank else np.zeros(0, dtype=np.int64)
    order = np.lexsort((rank, pos))
    return pos[order], rank[order]


def _longest_first(pos: np.ndarray, rank: np.ndarray, ranked: list) -> list[tuple[int, int, str, str]]:
    """Return the matches kept, left to right: at each position the best-ranked hit, unless it starts inside the
    previous match; each as (first token, length in tokens, theme, entry pattern)."""
    best = np.r_[True, pos[1:] != pos[:-1]] if len(pos) else np.zeros(0, dtype=bool)
    found = []
    next_free = 0
    for i, r in zip(pos[best].tolist(), rank[best].tolist()):
        if i >= next_free:                         # not inside the previous match
            entry = ranked[r]
            found.append((i, len(entry.words), entry.theme, entry.pattern))
            next_free = i + len(entry.words)
    return found


def match_lexicon_parts(tokens: pd.DataFrame, lexicon: Lexicon, client=None, partitions: int | None = None,
                        warn_unmatched: bool = True) -> pd.DataFrame:
    """Return `match_lexicon(tokens, lexicon)`, matched in `partitions` blocks of whole documents
    (consecutive in token order) in this process or (`client`) on Dask workers, and concatenated.

    A match never crosses a paragraph, so the blocks' matches in block order are the table of the
    whole token table, row for row. The unmatched-glob warnings are given here, for the whole
    corpus. `partitions` defaults to 1 in this process and 4 per Dask worker.
    """
    from analysis.engine import default_partitions, gather

    require_columns(tokens, LEMMA_COLUMNS, stage="match_lexicon")
    if partitions is None:
        partitions = 1 if client is None else default_partitions(client)
    parts = [tokens.iloc[a:b] for a, b in document_parts(tokens, partitions, "match_lexicon_parts")]
    if client is None:
        found = [match_lexicon(part, lexicon, warn_unmatched=False) for part in parts]
    else:
        found = gather(client, client.map(match_lexicon, parts, lexicon=lexicon, warn_unmatched=False, pure=False))
    if warn_unmatched:
        _warn_unmatched(lexicon, _lemma_codes(tokens["lemma"])[2])
    return pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]


def _paragraph_frame(corpus: Corpus) -> pd.DataFrame:
    paragraphs = corpus.analysed
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "line_start": "int64",
                                 "line_end": "int64", "n_tokens": "int64"}, stage="themes")
    return paragraphs


def score_paragraphs(corpus: Corpus, lexicon: Lexicon | None = None, config: ThemesConfig | None = None,
                     matches: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return each analysed paragraph's theme scores and label.

    Parameters
    ----------
    corpus : Corpus
        A tokenised corpus (`analysis.load_corpus`).
    lexicon : Lexicon, optional
        Default `load_lexicon()`.
    config : ThemesConfig, optional
        Supplies `min_score` (matches per 100 tokens below which the label is "none").
    matches : DataFrame, optional
        The result of `match_lexicon`, if already computed.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line_start, line_end, score_<category> (matches per 100 tokens),
        theme (a category of the lexicon or "none"), n_tokens, count_<category>; one column per
        category in `lexicon.categories` order; one row per analysed paragraph, in corpus order.
    """
    config = config or ThemesConfig()
    lexicon = lexicon or load_lexicon()
    if matches is None:
        matches = match_lexicon(corpus.tokens, lexicon)
    paragraphs = _paragraph_frame(corpus)
    categories = list(lexicon.categories)
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "para_id"]])
    themed = matches[matches["theme"].isin(categories)]
    counts = (themed.groupby(["doc_id", "para_id", "theme"]).size().unstack("theme")
              .reindex(columns=categories).reindex(key).fillna(0).astype("int64"))
    first = (themed.groupby(["doc_id", "para_id", "theme"])["position"].min().unstack("theme")
             .reindex(columns=categories).reindex(key))
    n_tokens = paragraphs["n_tokens"].to_numpy()
    count_arr = counts.to_numpy()
    scores = np.where(n_tokens[:, None] > 0, 100.0 * count_arr / np.maximum(n_tokens, 1)[:, None], 0.0)
    # Highest score; ties go to the tied theme whose first match is earliest in the paragraph.
    first_arr = first.to_numpy(dtype=float)
    top = scores.max(axis=1) if len(scores) else np.zeros(0)
    tied_first = np.where(scores == top[:, None], np.nan_to_num(first_arr, nan=np.inf), np.inf)
    best = tied_first.argmin(axis=1) if len(scores) else np.zeros(0, dtype=int)
    labels = np.where((top >= config.min_score) & (top > 0), np.array(categories)[best], "none")
    table = paragraphs[["doc_id", "para_id", "line_start", "line_end"]].reset_index(drop=True).copy()
    for k, theme in enumerate(categories):
        table[f"score_{theme}"] = np.round(scores[:, k], 6)
    table["theme"] = labels
    table["n_tokens"] = n_tokens.astype("int64")
    for k, theme in enumerate(categories):
        table[f"count_{theme}"] = count_arr[:, k]
    return table
