"""Keyness of terms between two groups of documents (G2, log ratio, BH)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.special import xlogy

from analysis.config import DiscourseConfig
from analysis.corpus import require_columns
from analysis.discourse.groups import parse_filters, rest_documents, select_documents
from analysis.errors import ConfigError, ParameterError
from analysis.query import group_rows

KEYNESS_SORTS = ("g2", "log_ratio", "abs_log_ratio", "p_adj")


# ----------------------------------------------------------------------------- keyness

def keyness_statistics(freq_target, freq_reference, n_target, n_reference, zero_correction: float = 0.5,
                       ci_level: float = 0.95) -> pd.DataFrame:
    """Return G2, chi2, p and the log ratio with its interval for arrays of 2x2 tables.

    The table of one term is ``[[a, b], [n_target - a, n_reference - b]]`` with ``a =
    freq_target`` and ``b = freq_reference``. G2 = 2 * sum(O * ln(O / E)) over the four cells
    (0 * ln 0 = 0), chi2 = sum((O - E)**2 / E), both with 1 degree of freedom.

    Parameters
    ----------
    freq_target, freq_reference : array of int
        Term counts in each group.
    n_target, n_reference : int or array of int
        Token totals of each group.
    zero_correction : float, default 0.5
        Replaces a zero count in the log ratio and its standard error.
    ci_level : float, default 0.95

    Returns
    -------
    DataFrame
        expected_target, expected_reference, g2, chi2, p, log_ratio, log_ratio_ci_low,
        log_ratio_ci_high (see the module docstring).
    """
    a = np.asarray(freq_target, dtype=float)
    b = np.asarray(freq_reference, dtype=float)
    n1 = np.broadcast_to(np.asarray(n_target, dtype=float), a.shape)
    n2 = np.broadcast_to(np.asarray(n_reference, dtype=float), a.shape)
    total = n1 + n2
    observed = np.stack([a, b, n1 - a, n2 - b])
    expected = np.stack([n1 * (a + b) / total, n2 * (a + b) / total,
                         n1 * (total - a - b) / total, n2 * (total - a - b) / total])
    with np.errstate(divide="ignore", invalid="ignore"):
        g2 = 2 * np.where(observed > 0, xlogy(observed, observed / expected), 0.0).sum(axis=0)
        chi2 = np.where(expected > 0, (observed - expected) ** 2 / expected, 0.0).sum(axis=0)
    g2 = np.maximum(g2, 0.0)
    a_c = np.where(a > 0, a, zero_correction)
    b_c = np.where(b > 0, b, zero_correction)
    log_ratio = np.log2((a_c / n1) / (b_c / n2))
    half = stats.norm.ppf(0.5 + ci_level / 2) * np.sqrt(1 / a_c + 1 / b_c) / np.log(2)
    return pd.DataFrame({
        "expected_target": expected[0], "expected_reference": expected[1], "g2": g2, "chi2": chi2,
        "p": stats.chi2.sf(g2, 1), "log_ratio": log_ratio,
        "log_ratio_ci_low": log_ratio - half, "log_ratio_ci_high": log_ratio + half,
    })


KEYNESS_KINDS = ("lemma", "phrase")


def keyness_groups(documents: pd.DataFrame, target, reference="rest") -> tuple[list[str], list[str]]:
    """Return the doc_ids of the target group and of the reference group.

    Filters are ``FIELD=VALUE`` strings or a mapping (`parse_filters`; values of one field OR,
    fields AND). ``"rest"`` is every document outside the target less other versions of a text
    (`rest_documents`), so no text counts twice.
    """
    target_docs = select_documents(documents, parse_filters(target, "target"), "target")
    is_rest = reference is None or reference == "rest" or (not isinstance(reference, (str, Mapping))
                                                          and list(reference) == ["rest"])
    if is_rest:
        return target_docs, rest_documents(documents, target_docs)
    return target_docs, select_documents(documents, parse_filters(reference, "reference"), "reference")


def keyness_items(tokens: pd.DataFrame) -> tuple[sparse.csr_matrix, pd.DataFrame, np.ndarray, np.ndarray]:
    """Return the paragraph x item count matrix, its rows, the items and their kind.

    Items are every non-stop lemma, counted at every occurrence whether or not the token sits in
    a multi-word term (kind "lemma"), plus every multi-word term (kind "phrase": curated or
    detected, words joined by "_"). A phrase is an extra row, never a replacement of its words.
    """
    # One grouping of the tokens into paragraphs serves both kinds, and the cells of both go into one
    # matrix: no second token-length group key, no hstack copy, int32 rows and columns (issue 23).
    row_of_token, rows = group_rows(tokens, ("doc_id", "para_id"))
    if len(rows) < np.iinfo(np.int32).max:
        row_of_token = row_of_token.astype(np.int32)
    term = _categorical(tokens["term"])
    joined = np.r_[term.cat.categories.astype(str).str.contains("_", regex=False), False]   # code -1: no
    phrase_rows, phrase_cols, phrase_vocab = _item_cells(term, joined[term.cat.codes.to_numpy()], row_of_token)
    lemma_rows, lemma_cols, lemma_vocab = _item_cells(_categorical(tokens["lemma"]),
                                                      ~tokens["stop"].to_numpy(dtype=bool), row_of_token)
    del row_of_token
    index_type = np.int32 if max(len(rows), len(lemma_vocab) + len(phrase_vocab)) < np.iinfo(np.int32).max else np.int64
    cell_rows = np.concatenate([lemma_rows, phrase_rows]).astype(index_type, copy=False)
    del lemma_rows, phrase_rows
    phrase_cols += len(lemma_vocab)
    cell_cols = np.concatenate([lemma_cols, phrase_cols]).astype(index_type, copy=False)
    del lemma_cols, phrase_cols
    matrix = sparse.csr_matrix((np.ones(len(cell_cols), dtype=np.int64), (cell_rows, cell_cols)),
                               shape=(len(rows), len(lemma_vocab) + len(phrase_vocab)))
    matrix.sum_duplicates()
    kind = np.r_[np.full(len(lemma_vocab), "lemma", dtype=object), np.full(len(phrase_vocab), "phrase", dtype=object)]
    return matrix, rows, np.r_[lemma_vocab, phrase_vocab].astype(str), kind


def _item_cells(column: pd.Series, keep: np.ndarray, row_of_token: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (row, column) of every kept token with a non-empty value, and the sorted values.

    `column` is categorical; `keep` a boolean per token (consumed). Columns number the values that
    occur among kept tokens in sorted order, as `query.count_matrix` numbers them (int32, one per cell).
    """
    categories = np.asarray(column.cat.categories.astype(str), dtype=object)
    codes = column.cat.codes.to_numpy()
    keep &= ~np.r_[categories == "", True][codes]           # code -1 (missing) counts as empty too
    codes = codes[keep]
    used = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
    used = used[np.argsort(categories[used], kind="stable")]
    remap = np.full(len(categories), -1, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    return row_of_token[keep], remap[codes], categories[used].astype(str)


def _categorical(column: pd.Series) -> pd.Series:
    """Return `column` as a categorical of strings (the token table's columns already are one)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column
    return column.astype(str).astype("category")


def keyness_counts(tokens: pd.DataFrame, target_docs: list[str], reference_docs: list[str]) -> pd.DataFrame:
    """Return, per item (`keyness_items`), its frequency and dispersion in each group.

    Paragraphs of target documents never count in the reference. Columns: term, kind,
    freq_target, freq_reference, n_target, n_reference (tokens of each group, stop words included),
    para_target, para_reference, docs_target, docs_reference, max_para_share.
    """
    counts, rows, vocab, kind = keyness_items(tokens)
    row_docs = rows["doc_id"].astype(str)
    in_target = row_docs.isin(target_docs).to_numpy()
    in_reference = row_docs.isin(reference_docs).to_numpy() & ~in_target
    row_docs = row_docs.to_numpy()
    group_docs = sorted(set(row_docs[in_reference]))
    # One pass over the nonzero (paragraph, item) cells: sums, paragraph and document dispersion and the
    # largest count in one paragraph, without copying rows of the matrix.
    size = counts.shape[1]
    # int32 per cell (row, document), freed as soon as used (issue 23)
    row_of_cell = np.repeat(np.arange(counts.shape[0], dtype=np.int32), np.diff(counts.indptr))
    item, count = counts.indices, counts.data
    cell_t, cell_r = in_target[row_of_cell], in_reference[row_of_cell]
    doc_index = np.unique(row_docs, return_inverse=True)[1].reshape(-1).astype(np.int32)[row_of_cell]
    del row_of_cell

    def docs_with(cells: np.ndarray) -> np.ndarray:
        # A sparse document x item matrix has one stored cell per pair: linear in the cells.
        pairs = sparse.coo_matrix((np.ones(int(cells.sum()), dtype=np.int32), (doc_index[cells], item[cells])),
                                  shape=(int(doc_index.max(initial=0)) + 1, size)).tocsr()
        return np.bincount(pairs.indices, minlength=size)

    max_para = np.zeros(size)
    either = cell_t | cell_r
    np.maximum.at(max_para, item[either], count[either])
    del either
    a = np.bincount(item[cell_t], weights=count[cell_t], minlength=size)
    b = np.bincount(item[cell_r], weights=count[cell_r], minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(a + b > 0, max_para / (a + b), 1.0)
    return pd.DataFrame({
        "term": vocab, "kind": kind, "freq_target": a.astype(np.int64), "freq_reference": b.astype(np.int64),
        "n_target": int(tokens["doc_id"].isin(target_docs).sum()),
        "n_reference": int(tokens["doc_id"].isin(group_docs).sum()),
        "para_target": np.bincount(item[cell_t], minlength=size), "para_reference": np.bincount(item[cell_r], minlength=size),
        "docs_target": docs_with(cell_t), "docs_reference": docs_with(cell_r), "max_para_share": share})


def keyness_test(counts: pd.DataFrame, config: DiscourseConfig) -> pd.DataFrame:
    """Return the counted items that pass `min_freq` and `max_para_share`, with their statistics.

    Adds g2, chi2, p, p_adj (Benjamini-Hochberg over every row tested, lemmas and phrases),
    log_ratio and its interval, expected counts, per_10k_* and key_for.

    Raises
    ------
    ConfigError
        If no item passes the frequency filters.
    """
    total = counts["freq_target"] + counts["freq_reference"]
    table = counts[(total >= config.min_freq) & (counts["max_para_share"] <= config.max_para_share)]
    if table.empty:
        raise ConfigError(f"keyness: no term occurs at least min_freq={config.min_freq} times with "
                          f"max_para_share <= {config.max_para_share}; lower --min-freq")
    n_t, n_r = int(table["n_target"].iloc[0]), int(table["n_reference"].iloc[0])
    st = keyness_statistics(table["freq_target"], table["freq_reference"], n_t, n_r, config.zero_correction,
                            config.ci_level)
    table = table.reset_index(drop=True).assign(g2=st["g2"], chi2=st["chi2"], p=st["p"])
    table["p_adj"] = stats.false_discovery_control(table["p"].to_numpy(), method="bh")
    for col in ("log_ratio", "log_ratio_ci_low", "log_ratio_ci_high", "expected_target", "expected_reference"):
        table[col] = st[col].to_numpy()
    table["per_10k_target"] = table["freq_target"] / n_t * 1e4
    table["per_10k_reference"] = table["freq_reference"] / n_r * 1e4
    table["key_for"] = np.where(table["per_10k_target"] > table["per_10k_reference"], "target", "reference")
    return table[KEYNESS_COLUMNS]


KEYNESS_COLUMNS = ["term", "freq_target", "freq_reference", "n_target", "n_reference", "g2", "chi2", "p",
                   "p_adj", "log_ratio", "log_ratio_ci_low", "log_ratio_ci_high", "expected_target",
                   "expected_reference", "per_10k_target", "per_10k_reference", "key_for", "para_target",
                   "para_reference", "docs_target", "docs_reference", "max_para_share", "kind"]


def keyness(tokens: pd.DataFrame, documents: pd.DataFrame, target, reference="rest",
            config: DiscourseConfig | None = None, *, min_abs_log_ratio: float = 0.0, max_p_adj: float = 1.0,
            key_for: str = "both", sort: str = "g2", kinds: tuple[str, ...] = KEYNESS_KINDS) -> pd.DataFrame:
    """Return the key lemmas and phrases of a target group of paragraphs against a reference group.

    Select groups (`keyness_groups`) -> count (`keyness_counts`: every lemma occurrence, plus
    multi-word terms as rows of kind "phrase") -> test (`keyness_test`); then filter and sort.

    Parameters
    ----------
    tokens, documents : DataFrame
        The token table (doc_id, para_id, lemma, stop, term) and the documents table.
    target : str, list of str or mapping
        ``"genre=conference"``, ``["doc_id=a", "doc_id=b"]`` or ``{"year": [2023]}``.
    reference : str, list of str or mapping, default "rest"
        Filters as for `target`, or ``"rest"``; paragraphs in both groups leave the reference.
    config : DiscourseConfig, optional
        ``min_freq``, ``max_para_share``, ``zero_correction``, ``ci_level``.
    min_abs_log_ratio, max_p_adj : float
        Keep rows with ``|log_ratio| >=`` / ``p_adj <=`` these (after p_adj is computed over all rows).
    key_for : {"both", "target", "reference"}, default "both"
    sort : {"g2", "log_ratio", "abs_log_ratio", "p_adj"}, default "g2"
        g2, log_ratio and abs_log_ratio descending, p_adj ascending; ties by term.
    kinds : tuple of {"lemma", "phrase"}, default both
        Rows kept (phrases still count in the BH correction).

    Raises
    ------
    ConfigError
        Unknown field or value, an empty group, no term left after the frequency filters, an
        unknown `sort`, `key_for` or kind.
    """
    config = config or DiscourseConfig()
    require_columns(tokens, {"doc_id": "object", "para_id": "int64"}, stage="keyness")
    if sort not in KEYNESS_SORTS:
        raise ParameterError("keyness", "sort", f"{sort!r}: must be one of {', '.join(KEYNESS_SORTS)}")
    if key_for not in ("both", "target", "reference"):
        raise ParameterError("keyness", "key_for", f"{key_for!r}: must be one of both, target, reference")
    if not set(kinds) <= set(KEYNESS_KINDS):
        raise ParameterError("keyness", "kinds", f"{kinds!r}: must be drawn from {', '.join(KEYNESS_KINDS)}")
    target_docs, reference_docs = keyness_groups(documents, target, reference)
    counts = keyness_counts(tokens, target_docs, reference_docs)
    if counts["n_target"].iloc[0] == 0:
        raise ParameterError("keyness", "target", f"{_describe(target)}: the target group has no analysed paragraph "
                             f"(documents: {', '.join(target_docs) or 'none'})")
    if counts["n_reference"].iloc[0] == 0:
        raise ParameterError("keyness", "reference", f"{_describe(reference)}: the reference group has no analysed "
                             "paragraph outside the target")
    table = keyness_test(counts, config)
    mask = (table["log_ratio"].abs() >= min_abs_log_ratio) & (table["p_adj"] <= max_p_adj) & table["kind"].isin(kinds)
    if key_for != "both":
        mask &= table["key_for"] == key_for
    table = table[mask]
    if sort == "p_adj":
        return table.sort_values(["p_adj", "term"], ascending=[True, True]).reset_index(drop=True)
    key = table["log_ratio"].abs() if sort == "abs_log_ratio" else table[sort]
    return table.assign(_k=key).sort_values(["_k", "term"], ascending=[False, True]).drop(columns="_k").reset_index(drop=True)


def _describe(spec) -> str:
    if isinstance(spec, Mapping):
        return " ".join(f"{k}={v}" for k, v in spec.items())
    return spec if isinstance(spec, str) else " ".join(map(str, spec))
