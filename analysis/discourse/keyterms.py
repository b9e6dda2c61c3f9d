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
from analysis.query import count_matrix

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


def keyness(tokens: pd.DataFrame, documents: pd.DataFrame, target, reference="rest",
            config: DiscourseConfig | None = None, *, min_abs_log_ratio: float = 0.0, max_p_adj: float = 1.0,
            key_for: str = "both", sort: str = "g2") -> pd.DataFrame:
    """Return the key terms of a target group of paragraphs against a reference group.

    Groups are the analysed paragraphs of the documents that match ``FIELD=VALUE`` filters on
    the documents table (repeated values of one field: OR; different fields: AND).

    Parameters
    ----------
    tokens : DataFrame
        The token table (doc_id, para_id, term).
    documents : DataFrame
        The documents table (doc_id and the fields filtered on).
    target : str, list of str or mapping
        ``"genre=conference"``, ``["doc_id=a", "doc_id=b"]`` or ``{"year": [2023]}``.
    reference : str, list of str or mapping, default "rest"
        Filters as for `target`, or ``"rest"``: every analysed paragraph not in the target, less
        the documents that are another version of a text (``version_of`` set) and the texts the
        target documents are versions of (`rest_documents`), so no text counts twice.
        Paragraphs that fall in both groups are dropped from the reference.
    config : DiscourseConfig, optional
        ``min_freq``, ``max_para_share``, ``zero_correction``, ``ci_level``.
    min_abs_log_ratio : float, default 0.0
        Keep terms with ``|log_ratio| >=`` this (filtering happens after p_adj is computed over
        all terms tested).
    max_p_adj : float, default 1.0
        Keep terms with ``p_adj <=`` this.
    key_for : {"both", "target", "reference"}, default "both"
        Keep terms key for either group, or one of them.
    sort : {"g2", "log_ratio", "abs_log_ratio", "p_adj"}, default "g2"
        Order of the rows: g2, log_ratio and abs_log_ratio descending, p_adj ascending; ties by term.

    Returns
    -------
    DataFrame
        The columns of the module docstring.

    Raises
    ------
    ConfigError
        Unknown field or value, an empty target or reference group, no term left after the
        frequency filters, an unknown `sort` or `key_for`.
    """
    config = config or DiscourseConfig()
    require_columns(tokens, {"doc_id": "object", "para_id": "int64"}, stage="keyness")
    if sort not in KEYNESS_SORTS:
        raise ParameterError("keyness", "sort", f"{sort!r}: must be one of {', '.join(KEYNESS_SORTS)}")
    if key_for not in ("both", "target", "reference"):
        raise ParameterError("keyness", "key_for", f"{key_for!r}: must be one of both, target, reference")
    target_docs = select_documents(documents, parse_filters(target, "target"), "target")
    is_rest = reference is None or reference == "rest" or (not isinstance(reference, (str, Mapping))
                                                          and list(reference) == ["rest"])
    reference_docs = rest_documents(documents, target_docs) if is_rest else select_documents(
        documents, parse_filters(reference, "reference"), "reference")

    counts, rows, vocab = count_matrix(tokens)
    row_docs = rows["doc_id"].astype(str)
    in_target = row_docs.isin(target_docs).to_numpy()
    in_reference = row_docs.isin(reference_docs).to_numpy() & ~in_target
    row_docs = row_docs.to_numpy()
    reference_docs = sorted(set(row_docs[in_reference]))
    n_target = int(tokens["doc_id"].isin(target_docs).sum())
    n_reference = int(tokens["doc_id"].isin(reference_docs).sum())
    if n_target == 0:
        raise ParameterError("keyness", "target", f"{_describe(target)}: the target group has no analysed paragraph "
                          f"(documents: {', '.join(target_docs) or 'none'})")
    if n_reference == 0:
        raise ParameterError("keyness", "reference", f"{_describe(reference)}: the reference group has no analysed paragraph "
                          "outside the target")

    # One pass over the nonzero (paragraph, term) cells: sums, paragraph and document dispersion,
    # and the largest count in one paragraph, without copying rows of the matrix.
    vocab_size = counts.shape[1]
    row_of_cell = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    term_of_cell, count_of_cell = counts.indices, counts.data
    cell_t, cell_r = in_target[row_of_cell], in_reference[row_of_cell]
    a = np.bincount(term_of_cell[cell_t], weights=count_of_cell[cell_t], minlength=vocab_size)
    b = np.bincount(term_of_cell[cell_r], weights=count_of_cell[cell_r], minlength=vocab_size)
    para_t = np.bincount(term_of_cell[cell_t], minlength=vocab_size)
    para_r = np.bincount(term_of_cell[cell_r], minlength=vocab_size)
    doc_codes, doc_index = np.unique(row_docs, return_inverse=True)
    doc_of_cell = doc_index[row_of_cell]

    def docs_with_term(cells: np.ndarray) -> np.ndarray:
        # A sparse document x term matrix (duplicates summed) has one stored cell per pair: linear in
        # the cells, where a dense table would grow with documents x vocabulary.
        pairs = sparse.coo_matrix((np.ones(int(cells.sum()), dtype=np.int64), (doc_of_cell[cells], term_of_cell[cells])),
                                  shape=(len(doc_codes), vocab_size)).tocsr()
        return np.bincount(pairs.indices, minlength=vocab_size)

    docs_t, docs_r = docs_with_term(cell_t), docs_with_term(cell_r)
    both = cell_t | cell_r
    max_para = np.zeros(vocab_size)
    np.maximum.at(max_para, term_of_cell[both], count_of_cell[both])
    total = a + b
    with np.errstate(divide="ignore", invalid="ignore"):
        para_share = np.where(total > 0, max_para / total, 1.0)
    keep = (total >= config.min_freq) & (para_share <= config.max_para_share)
    if not keep.any():
        raise ConfigError(f"keyness: no term occurs at least min_freq={config.min_freq} times with "
                          f"max_para_share <= {config.max_para_share}; lower --min-freq")

    table = pd.DataFrame({"term": vocab[keep].astype(str), "freq_target": a[keep].astype(np.int64),
                          "freq_reference": b[keep].astype(np.int64), "n_target": n_target,
                          "n_reference": n_reference})
    st = keyness_statistics(a[keep], b[keep], n_target, n_reference, config.zero_correction, config.ci_level)
    table["g2"], table["chi2"], table["p"] = st["g2"].to_numpy(), st["chi2"].to_numpy(), st["p"].to_numpy()
    table["p_adj"] = stats.false_discovery_control(table["p"].to_numpy(), method="bh")
    for col in ("log_ratio", "log_ratio_ci_low", "log_ratio_ci_high", "expected_target", "expected_reference"):
        table[col] = st[col].to_numpy()
    table["per_10k_target"] = table["freq_target"] / n_target * 1e4
    table["per_10k_reference"] = table["freq_reference"] / n_reference * 1e4
    table["key_for"] = np.where(table["per_10k_target"] > table["per_10k_reference"], "target", "reference")
    table["para_target"], table["para_reference"] = para_t[keep], para_r[keep]
    table["docs_target"], table["docs_reference"] = docs_t[keep], docs_r[keep]
    table["max_para_share"] = para_share[keep]

    mask = (table["log_ratio"].abs() >= min_abs_log_ratio) & (table["p_adj"] <= max_p_adj)
    if key_for != "both":
        mask &= table["key_for"] == key_for
    table = table[mask]
    if sort == "p_adj":
        table = table.sort_values(["p_adj", "term"], ascending=[True, True])
    else:
        key = table["log_ratio"].abs() if sort == "abs_log_ratio" else table[sort]
        table = table.assign(_k=key).sort_values(["_k", "term"], ascending=[False, True]).drop(columns="_k")
    return table.reset_index(drop=True)


def _describe(spec) -> str:
    if isinstance(spec, Mapping):
        return " ".join(f"{k}={v}" for k, v in spec.items())
    return spec if isinstance(spec, str) else " ".join(map(str, spec))
