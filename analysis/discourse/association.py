"""Collocations (n-gram association measures) and node collocates."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import xlogy

from analysis.config import DiscourseConfig
from analysis.corpus import require_columns
from analysis.errors import ParameterError
from analysis.query import (
    check_window,
    match_sequences,
    paragraph_key,
    parse_pattern,
)
from analysis.tokens import lemmatize

COLLOCATION_SORTS = ("g2", "pmi", "t_score", "dice", "count")


STREAMS = ("term", "lemma")

#: The windowing rule of `collocates`, recorded in the sidecar of every table built from it.
WINDOW_RULE = ("node window = stream positions within `window` items of any occurrence of the node in the same "
               "paragraph, minus the node's own tokens; a position counts once however many node windows "
               "overlap on it (count <= freq_collocate, count <= window_slots)")


# ----------------------------------------------------------------------------- collocations

def association_measures(n_ii, n_ix, n_xi, n_xx) -> dict[str, np.ndarray]:
    """Return PMI, G2, t-score and Dice of bigrams from their marginals (nltk's definitions).

    Parameters
    ----------
    n_ii : array of int      count of the pair
    n_ix : array of int      count of the first word (or the node's window slots)
    n_xi : array of int      count of the second word
    n_xx : int               length of the stream

    Returns
    -------
    dict of arrays
        ``pmi`` = log2(n_ii * n_xx / (n_ix * n_xi)); ``g2`` = 2 * sum O ln(O/E) over the 2x2
        table; ``t_score`` = (n_ii - n_ix * n_xi / n_xx) / sqrt(n_ii); ``dice`` = 2 n_ii / (n_ix + n_xi).
    """
    n_ii, n_ix, n_xi = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (n_ii, n_ix, n_xi)))
    n_xx = float(n_xx)
    observed = np.stack([n_ii, n_ix - n_ii, n_xi - n_ii, n_xx - n_ix - n_xi + n_ii])
    rows = np.stack([n_ix, n_ix, n_xx - n_ix, n_xx - n_ix])
    cols = np.stack([n_xi, n_xx - n_xi, n_xi, n_xx - n_xi])
    return _measures(n_ii, observed, rows * cols / n_xx, n_ix * n_xi / n_xx, 2 * n_ii / (n_ix + n_xi))


def trigram_association_measures(n_iii, n_iix, n_ixi, n_xii, n_ixx, n_xix, n_xxi, n_xxx) -> dict[str, np.ndarray]:
    """Return PMI, G2, t-score and Dice of trigrams from their marginals (nltk's definitions).

    ``n_iix``, ``n_ixi``, ``n_xii`` count the pairs (w1 w2), (w1 _ w3), (w2 w3); ``n_ixx``,
    ``n_xix``, ``n_xxi`` the single words; the 2x2x2 table and its independence expectation,
    PMI, G2 and t-score are those of nltk's `TrigramAssocMeasures`. nltk defines no trigram
    Dice: ours is the generalised Dice 3 n_iii / (n_ixx + n_xix + n_xxi) (our own definition).
    """
    n_iii, n_iix, n_ixi, n_xii, n_ixx, n_xix, n_xxi = (np.asarray(x, dtype=float) for x in
                                                       (n_iii, n_iix, n_ixi, n_xii, n_ixx, n_xix, n_xxi))
    n = float(n_xxx)
    n_oii, n_ioi, n_iio = n_xii - n_iii, n_ixi - n_iii, n_iix - n_iii
    n_ooi = n_xxi - n_iii - n_oii - n_ioi
    n_oio = n_xix - n_iii - n_oii - n_iio
    n_ioo = n_ixx - n_iii - n_ioi - n_iio
    n_ooo = n - n_iii - n_oii - n_ioi - n_iio - n_ooi - n_oio - n_ioo
    # cells in nltk's order: bit 0 = first word absent, bit 1 = second, bit 2 = third
    observed = np.stack([n_iii, n_oii, n_ioi, n_ooi, n_iio, n_oio, n_ioo, n_ooo])
    margins = [(n_ixx, n - n_ixx), (n_xix, n - n_xix), (n_xxi, n - n_xxi)]
    expected = np.stack([margins[0][cell & 1] * margins[1][(cell >> 1) & 1] * margins[2][(cell >> 2) & 1]
                         for cell in range(8)]) / n ** 2
    return _measures(n_iii, observed, expected, n_ixx * n_xix * n_xxi / n ** 2,
                     3 * n_iii / (n_ixx + n_xix + n_xxi))


def _measures(count, observed, expected, chance, dice) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * np.where(observed > 0, xlogy(observed, observed / expected), 0.0).sum(axis=0)
        return {"pmi": np.log2(count / chance), "g2": g2, "t_score": (count - chance) / np.sqrt(count),
                "dice": dice, "p": stats.chi2.sf(g2, 1)}


def _stream(tokens: pd.DataFrame, stream: str, function: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (codes, categories, sentence key, paragraph key) of the term or lemma stream."""
    if stream not in STREAMS:
        raise ParameterError(function, "stream", f"{stream!r}: must be one of {', '.join(STREAMS)}")
    values = tokens[stream].astype("category")
    codes = values.cat.codes.to_numpy()          # int8/16/32 as pandas keeps them, widened after the subset
    categories = np.asarray(values.cat.categories, dtype=object).astype(str)
    keep = None
    if stream == "term":
        # Drop stop words and inner tokens of multi-word terms (term ""), then renumber the codes.
        keep = ~np.r_[categories == "", True][codes]          # the last slot: code -1 (no term)
        codes = codes[keep]
        used = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
        renumber = np.full(len(categories), -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        codes, categories = renumber[codes], categories[used]
    else:
        codes = codes.astype(np.int64)
    para_key = paragraph_key(tokens, keep)    # keys of the kept tokens only: no token-length int64 arrays
    sent_id = tokens["sent_id"].to_numpy()
    sent_id = (sent_id if keep is None else sent_id[keep]).astype(np.int64, copy=False)
    del keep
    sent_key = para_key * 4096
    sent_key += sent_id                      # in place: no int64 copy of sent_id
    return codes, categories, sent_key, para_key


def _stream_columns(stream: str) -> dict[str, str]:
    """Return the token columns a collocation stream reads ("term": terms; else lemmas and stop flags)."""
    return {"doc_id": "object", "para_id": "int64", "lemma": "object", **({"term": "object"} if stream == "term" else {})}


def collocations(tokens: pd.DataFrame, n: int = 2, stream: str = "term", config: DiscourseConfig | None = None,
                 *, min_count: int | None = None, sort: str = "g2") -> pd.DataFrame:
    """Return the contiguous bigrams or trigrams of one sentence with their association measures.

    Parameters
    ----------
    tokens : DataFrame
        The token table, in reading order.
    n : {2, 3}, default 2
    stream : {"term", "lemma"}, default "term"
        ``"term"``: the non-empty terms (stop words dropped, multi-word terms as one item, so
        "legal supervision of procuratorial organs" gives ``legal_supervision procuratorial``);
        ``"lemma"``: every token's lemma, stop words included. N-grams never cross a sentence.
    config : DiscourseConfig, optional
        ``min_count`` (default 3) unless given here.
    min_count : int, optional
        Keep n-grams occurring at least this many times.
    sort : {"g2", "pmi", "t_score", "dice", "count"}, default "g2"
        Descending; ties by n-gram.

    Returns
    -------
    DataFrame
        See the module docstring.
    """
    config = config or DiscourseConfig()
    min_count = config.min_count if min_count is None else min_count
    require_columns(tokens, _stream_columns(stream), stage="collocations")
    if n not in (2, 3):
        raise ParameterError("collocations", "n", f"must be 2 or 3; got {n!r}")
    if min_count < 1:
        raise ParameterError("collocations", "min_count", f"must be >= 1; got {min_count!r}")
    if sort not in COLLOCATION_SORTS:
        raise ParameterError("collocations", "sort", f"{sort!r}: must be one of {', '.join(COLLOCATION_SORTS)}")
    codes, categories, sent_key, _ = _stream(tokens, stream, "collocations")
    grams = _gram_counts(codes, sent_key, len(categories), tuple(range(n)))
    table, parts = _ngram_table(grams[grams >= min_count], codes, categories, n)
    if n == 2:
        measures = association_measures(table["count"], table["freq_w1"], table["freq_w2"], len(codes))
    else:
        measures = _trigram_measures(table, parts, codes, sent_key, len(categories))
    for name, values in measures.items():
        table[name] = np.asarray(values, dtype=float)
    table = table.sort_values([sort, "ngram"], ascending=[False, True])
    return table.reset_index(drop=True)


def _gram_counts(codes: np.ndarray, sent_key: np.ndarray, vocab: int, offsets: tuple[int, ...]) -> pd.Series:
    """Return the count of each gram of the stream items at `offsets` from a start (inside one sentence),
    indexed by its key (the codes as digits in base `vocab`)."""
    size = len(codes)
    span = offsets[-1]
    if size <= span:
        return pd.Series(dtype=np.int64)
    ok = sent_key[span:] == sent_key[:size - span]
    key = np.zeros(size - span, dtype=np.int64)
    for off in offsets:
        key = key * vocab + codes[off:size - span + off]
    uniq, cnt = np.unique(key[ok], return_counts=True)
    return pd.Series(cnt, index=uniq)


def _ngram_table(grams: pd.Series, codes: np.ndarray, categories: np.ndarray,
                 n: int) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """Return the table of `grams` (ngram, w1..wn, count, freq_w1..freq_wn, n_stream) and the codes of each
    word position."""
    size, vocab = len(codes), len(categories)
    freq = np.bincount(codes, minlength=vocab)
    words = ["w1", "w2", "w3"][:n]
    keys = grams.index.to_numpy(dtype=np.int64)
    parts = [(keys // vocab ** (n - 1 - j)) % vocab for j in range(n)]
    table = pd.DataFrame({w: categories[p] for w, p in zip(words, parts)})
    ngram = table["w1"].astype(object)
    for w in words[1:]:
        ngram = ngram + " " + table[w].astype(object)
    table.insert(0, "ngram", ngram if len(table) else pd.Series(dtype=object))
    table["count"] = grams.to_numpy(dtype=np.int64)
    for w, p in zip(words, parts):
        table[f"freq_{w}"] = freq[p].astype(np.int64)
    table["n_stream"] = size
    return table, parts


def _trigram_measures(table: pd.DataFrame, parts: list[np.ndarray], codes: np.ndarray, sent_key: np.ndarray,
                      vocab: int) -> dict[str, np.ndarray]:
    """Return `trigram_association_measures` of the trigram table, counting its pairs (w1 w2), (w1 _ w3), (w2 w3)."""
    pair12, pair13 = _gram_counts(codes, sent_key, vocab, (0, 1)), _gram_counts(codes, sent_key, vocab, (0, 2))
    n_iix = pair12.reindex(parts[0] * vocab + parts[1]).to_numpy()
    n_ixi = pair13.reindex(parts[0] * vocab + parts[2]).to_numpy()
    n_xii = pair12.reindex(parts[1] * vocab + parts[2]).to_numpy()
    return trigram_association_measures(table["count"], n_iix, n_ixi, n_xii, table["freq_w1"],
                                        table["freq_w2"], table["freq_w3"], len(codes))


def collocates(tokens: pd.DataFrame, node: str, window: int | None = None, stream: str = "term",
               config: DiscourseConfig | None = None, *, min_count: int | None = None,
               sort: str = "g2") -> pd.DataFrame:
    """Return the collocates of a node within a window of stream items, with association measures.

    Parameters
    ----------
    tokens : DataFrame
        The token table, in reading order.
    node : str
        A word, glob or phrase. In the term stream, ``"legal supervision"`` matches the term
        ``legal_supervision`` as well as the sequence of its words.
    window : int, optional
        Items of the stream on each side (default `DiscourseConfig.window`), inside the paragraph.

    Notes
    -----
    Windowing rule: the window of the node is the set of stream positions within `window` items
    of any occurrence of the node, in the same paragraph, minus the node's own tokens. Each
    position counts once, however many node windows overlap on it, so ``count`` (collocate tokens
    in the window) <= ``freq_collocate`` and <= ``window_slots`` (positions in the window), and the
    2x2 table (count, window_slots, freq_collocate, n_stream) is a valid contingency table.
    ``left`` / ``right`` count the collocate's positions in a left / right window; a position
    left of one node and right of another is in both, so left + right can exceed count.
    stream : {"term", "lemma"}, default "term"
    min_count : int, optional
        Keep collocates seen at least this many times (default `DiscourseConfig.min_count`).
    sort : {"g2", "pmi", "t_score", "dice", "count"}, default "g2"

    Raises
    ------
    ConfigError
        If `window` < 1, or the node does not occur.
    """
    config = config or DiscourseConfig()
    window = config.window if window is None else window
    min_count = config.min_count if min_count is None else min_count
    check_window(window, "collocates")
    if sort not in COLLOCATION_SORTS:
        raise ParameterError("collocates", "sort", f"{sort!r}: must be one of {', '.join(COLLOCATION_SORTS)}")
    require_columns(tokens, _stream_columns(stream), stage="collocates")
    codes, categories, _, para_key = _stream(tokens, stream, "collocates")
    starts, ends = _node_spans(codes, categories, para_key, node, stream)
    in_left, in_right = _node_windows(para_key, starts, ends, window)
    table = _collocate_table(node, codes, categories, in_left, in_right, min_count)
    slots, size = int((in_left | in_right).sum()), len(codes)
    for name, values in association_measures(table["count"], slots, table["freq_collocate"], size).items():
        table[name] = np.asarray(values, dtype=float)
    return table.sort_values([sort, "collocate"], ascending=[False, True]).reset_index(drop=True)


def _node_spans(codes: np.ndarray, categories: np.ndarray, para_key: np.ndarray, node: str,
                stream: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the stream spans (0-based starts, exclusive ends) of the node: a term as the stream spells it,
    else its word sequence, plus (a phrase) its words joined as one term."""
    words = parse_pattern(node)
    if not words:
        raise ParameterError("collocates", "node", f"{node!r}: has no word to match")
    if node in set(categories):                      # a term as the stream spells it ("legal_supervision")
        starts = np.flatnonzero(codes == int(np.flatnonzero(categories == node)[0]))
        ends = starts + 1
    else:
        starts, ends = match_sequences(codes, categories, para_key, words)
    if len(words) > 1 and node not in set(categories):
        joined = "_".join(lemmatize(w) for w in words)
        single = np.flatnonzero(np.isin(codes, np.flatnonzero(categories == joined)))
        starts, ends = np.r_[starts, single], np.r_[ends, single + 1]
    if len(starts) == 0:
        raise ParameterError("collocates", "node", f"{node!r}: does not occur in the {stream} stream")
    return starts, ends


def _node_windows(para_key: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                  window: int) -> tuple[np.ndarray, np.ndarray]:
    """Return, per stream position, whether it is in a left / right window of the node (`window` items, same
    paragraph), the node's own tokens excluded (`WINDOW_RULE`)."""
    size = len(para_key)
    in_left, in_right = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    for d in range(1, window + 1):
        for anchor, sign, mark in ((starts, -1, in_left), (ends - 1, 1, in_right)):
            j = anchor + sign * d
            ok = (j >= 0) & (j < size)
            ok[ok] &= para_key[j[ok]] == para_key[anchor[ok]]
            mark[j[ok]] = True
    node_tokens = np.zeros(size + 1, dtype=np.int64)          # the node's own tokens are no slot
    np.add.at(node_tokens, starts, 1)
    np.add.at(node_tokens, ends, -1)
    is_node = np.cumsum(node_tokens)[:size] > 0
    in_left &= ~is_node
    in_right &= ~is_node
    return in_left, in_right


def _collocate_table(node: str, codes: np.ndarray, categories: np.ndarray, in_left: np.ndarray,
                     in_right: np.ndarray, min_count: int) -> pd.DataFrame:
    """Return the collocates seen at least `min_count` times in the windows: count, left, right,
    freq_collocate, window_slots, n_stream."""
    size, vocab = len(codes), len(categories)
    covered = in_left | in_right
    slots = int(covered.sum())
    left = np.bincount(codes[in_left], minlength=vocab)
    right = np.bincount(codes[in_right], minlength=vocab)
    count = np.bincount(codes[covered], minlength=vocab)
    keep = np.flatnonzero(count >= min_count)
    freq = np.bincount(codes, minlength=vocab)
    return pd.DataFrame({"node": node, "collocate": categories[keep], "count": count[keep],
                         "left": left[keep], "right": right[keep], "freq_collocate": freq[keep],
                         "window_slots": slots, "n_stream": size})
