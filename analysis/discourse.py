"""Discourse statistics on the token table: keyness, concordance (KWIC), collocations, official
formulations (tifa) and per-document lexical profiles.

Every function is pure: it takes the tables of `analysis.tokens.load_corpus` (``tokens``,
``paragraphs``, ``documents``, ``sentences``) and returns a DataFrame whose columns are listed here.
All counts are vectorised with numpy over category codes or the sparse count matrix of
`analysis.tokens.count_matrix`; nothing loops over terms or tokens in Python, so the functions
scale to corpora of millions of words.

Token totals (``n_target``, ``n_reference``, ``n_tokens``) count ALL word tokens of the analysed
paragraphs, stop words included (as `documents.n_tokens` does): they are the corpus sizes of the
standard 2x2 keyness table. The terms that are tested are the non-empty values of ``tokens.term``
(lemmas and multi-word terms; stop words have no term).

Columns of `keyness` (one row per term tested, sorted by `sort`):
    term : str                 lemma or multi-word term (words joined by "_")
    freq_target : int          occurrences in the target paragraphs (a count)
    freq_reference : int       occurrences in the reference paragraphs
    n_target : int             word tokens in the target paragraphs (stop words included)
    n_reference : int          word tokens in the reference paragraphs (stop words included)
    g2 : float                 Dunning's log-likelihood G2 of the 2x2 table (term / other tokens
                               x target / reference), natural logarithms, always >= 0
    chi2 : float               Pearson chi-squared of the same table, no continuity correction
    p : float                  p-value of g2, chi-squared distribution with 1 degree of freedom
    p_adj : float              p adjusted for the number of terms tested (Benjamini-Hochberg)
    log_ratio : float          Hardie's log ratio: log2 of (freq_target / n_target) /
                               (freq_reference / n_reference); a zero frequency is replaced by
                               `DiscourseConfig.zero_correction` (0.5); +1 = twice as frequent in the target
    log_ratio_ci_low, log_ratio_ci_high : float
                               confidence interval (level `ci_level`, 95 %) of log_ratio, from the
                               standard error sqrt(1/freq_target + 1/freq_reference) of the natural-log
                               ratio, divided by ln 2
    expected_target, expected_reference : float
                               expected frequencies under no difference: n_group * (freq_target +
                               freq_reference) / (n_target + n_reference)
    per_10k_target, per_10k_reference : float   relative frequency per 10,000 tokens
    key_for : str              {"target", "reference"}: the group where the term is relatively more frequent
    para_target, para_reference : int   paragraphs of the group the term occurs in (dispersion)
    docs_target, docs_reference : int   documents of the group the term occurs in
    max_para_share : float     largest share of the term's occurrences (both groups) in one paragraph

Columns of `kwic` (one row per match, in corpus order):
    doc_id : str, para_id : int   paragraph of the match
    line_start : int           1-based seed-file line of the first token of the match
    left : str                 original paragraph text before the match (up to `window` tokens)
    match : str                original text of the match (first to last matched token)
    right : str                original paragraph text after the match (up to `window` tokens)
    line_end : int             1-based seed-file line of the last token of the match
    token_start, token_end : int   0-based, half-open token positions of the match in the paragraph

Columns of `collocations` (one row per n-gram, sorted by `sort`):
    ngram : str                the n-gram, words separated by spaces
    w1, w2 (, w3) : str        its words (terms or lemmas, see `stream`)
    count : int                occurrences of the n-gram inside one sentence
    freq_w1, freq_w2 (, freq_w3) : int   occurrences of each word in the stream
    n_stream : int             length of the stream (words)
    p : float                  p-value of g2 (chi-squared, 1 degree of freedom; for trigrams a
                               rough guide only: their G2 has more degrees of freedom)
    pmi, g2, t_score, dice : float   association measures, as nltk's `BigramAssocMeasures` /
                               `TrigramAssocMeasures` define them (`association_measures`)

Columns of `collocates` (one row per collocate of the node):
    node : str, collocate : str
    count : int                collocate tokens within `window` stream items of a node occurrence,
                               in the same paragraph (one count per node occurrence and collocate
                               token: a token in two overlapping windows counts twice)
    left, right : int          of `count`, those before / after the node
    freq_collocate : int       occurrences of the collocate in the stream
    window_slots : int         stream positions inside the windows of all node occurrences
    n_stream : int             length of the stream
    pmi, g2, t_score, dice : float   the bigram measures with window_slots in the place of the
                               first word's frequency (the span-corrected form of #LancsBox)

Columns of `count_formulations` (one row per formulation and document, zeros included):
    formulation_id : str, doc_id : str, year : int
    count : int                matches of any variant (overlapping matches of one formulation count once)
    rate_per_10k : float       count per 10,000 word tokens of the document (stop words included)
    rate_ci_low, rate_ci_high : float   exact (Garwood) Poisson 95% interval of rate_per_10k
    n_tokens : int             word tokens of the document's analysed paragraphs
    category : str, canonical : str
    variants : str             "variant=count" for each variant found, "; "-separated
    first_line : int           1-based seed-file line of the first match in the document (0 if none)

Columns of `formulations_by_year`: formulation_id, year, count, n_tokens, rate_per_10k, n_docs.
Columns of `first_appearances`: formulation_id, canonical, category, doc_id, date, year, line,
    para_id, variant, total_count, n_docs.
Columns of `discover_formulations`: candidate, key, kind, count, n_paragraphs, n_docs, doc_ids,
    first_where.
Columns of `lexical_profile` (one row per document): doc_id, n_tokens, n_types, ttr, mattr,
    mattr_window, n_sentences, mean_sentence_length, sd_sentence_length.
"""
from __future__ import annotations

import csv
import fnmatch
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.special import xlogy

from analysis.config import DiscourseConfig
from analysis.corpus import require_columns
from analysis.errors import ConfigError, CorpusError
from analysis.tokens import TOKEN_PATTERN, column_values, count_matrix, lemmatize

FORMULATION_COLUMNS = ("formulation_id", "category", "canonical", "variant", "chinese", "where", "note")
FORMULATION_CATEGORIES = ("political", "legal_policy", "procuratorial", "criminal_policy", "security",
                          "development", "livelihood")
TOKEN_COLUMNS = {"doc_id": "object", "para_id": "int64", "position": "int64", "start": "int64",
                 "end": "int64", "line": "int64"}
KEYNESS_SORTS = ("g2", "log_ratio", "abs_log_ratio", "p_adj")
COLLOCATION_SORTS = ("g2", "pmi", "t_score", "dice", "count")
STREAMS = ("term", "lemma")
_GLOB = re.compile(r"[*?\[]")
_NUMBERS = ("Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


# ----------------------------------------------------------------------------- group selection

def parse_filters(specs: str | Sequence[str] | Mapping | None, option: str) -> dict[str, list[str]]:
    """Return ``{field: [values]}`` from ``FIELD=VALUE`` strings (or a mapping, passed through).

    Repeated fields collect their values (OR); different fields are combined with AND by
    `select_documents`.

    Raises
    ------
    ConfigError
        If a string has no ``=`` or an empty field or value; the message names `option`.
    """
    if specs is None:
        return {}
    if isinstance(specs, Mapping):
        return {str(k): [str(v)] if isinstance(v, (str, int)) else [str(x) for x in v] for k, v in specs.items()}
    if isinstance(specs, str):
        specs = [specs]
    filters: dict[str, list[str]] = {}
    for spec in specs:
        field, sep, value = str(spec).partition("=")
        if not sep or not field.strip() or not value.strip():
            raise ConfigError(f"{option} {spec!r}: expected FIELD=VALUE, e.g. {option} doc_id=report-2023")
        filters.setdefault(field.strip(), []).append(value.strip())
    return filters


def select_documents(documents: pd.DataFrame, filters: Mapping[str, Sequence[str]], option: str) -> list[str]:
    """Return the doc_ids whose metadata match `filters` (values of one field OR, fields AND).

    Raises
    ------
    ConfigError
        If `filters` is empty, names a field the documents table lacks, or a value no document has.
    """
    if not filters:
        raise ConfigError(f"{option}: give at least one FIELD=VALUE")
    keep = np.ones(len(documents), dtype=bool)
    for field, values in filters.items():
        if field not in documents.columns:
            raise ConfigError(f"{option} {field}=...: unknown field {field!r}; allowed: "
                              f"{', '.join(map(str, documents.columns))}")
        column = documents[field].astype(str)
        known = sorted(set(column))
        for value in values:
            if value not in known:
                raise ConfigError(f"{option} {field}={value}: no document has {field} {value!r}; "
                                  f"values: {', '.join(known)}")
        keep &= column.isin(list(values)).to_numpy()
    return sorted(documents.loc[keep, "doc_id"].astype(str))


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
        Filters as for `target`, or ``"rest"``: every analysed paragraph not in the target.
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
        raise ConfigError(f"--sort {sort!r}: must be one of {', '.join(KEYNESS_SORTS)}")
    if key_for not in ("both", "target", "reference"):
        raise ConfigError(f"--key-for {key_for!r}: must be one of both, target, reference")
    target_docs = select_documents(documents, parse_filters(target, "--target"), "--target")
    is_rest = reference is None or reference == "rest" or (not isinstance(reference, (str, Mapping))
                                                          and list(reference) == ["rest"])
    reference_docs = None if is_rest else select_documents(
        documents, parse_filters(reference, "--reference"), "--reference")

    counts, rows, vocab = count_matrix(tokens)
    row_docs = rows["doc_id"].astype(str)
    in_target = row_docs.isin(target_docs).to_numpy()
    in_reference = ~in_target if is_rest else row_docs.isin(reference_docs).to_numpy() & ~in_target
    row_docs = row_docs.to_numpy()
    reference_docs = sorted(set(row_docs[in_reference]))
    n_target = int(tokens["doc_id"].isin(target_docs).sum())
    n_reference = int(tokens["doc_id"].isin(reference_docs).sum())
    if n_target == 0:
        raise ConfigError(f"--target {_describe(target)}: the target group has no analysed paragraph "
                          f"(documents: {', '.join(target_docs) or 'none'})")
    if n_reference == 0:
        raise ConfigError(f"--reference {_describe(reference)}: the reference group has no analysed paragraph "
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


# ----------------------------------------------------------------------------- matching

def _pattern_words(pattern: str) -> list[str]:
    """Split a user pattern into word patterns: globs kept whole, other parts cut like the corpus."""
    words: list[str] = []
    for part in str(pattern).split():
        if _GLOB.search(part):
            words.append(part.lower())
        else:
            words.extend(TOKEN_PATTERN.findall(part))
    return words


def _category_mask(categories: np.ndarray, word: str, exact: bool = False) -> np.ndarray:
    """Return which categories (lemmas or terms) a word pattern accepts.

    A glob is matched against the categories; a word accepts its lemma and its lower-cased form
    (``exact``: its lemma only).
    """
    if _GLOB.search(word):
        return np.array([fnmatch.fnmatchcase(c, word) for c in categories], dtype=bool)
    accepted = {lemmatize(word)} if exact else {lemmatize(word), word.lower()}
    return np.isin(categories, list(accepted))


def _para_bounds(para_key: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each item index in `positions`, the index of the first and last item of its
    paragraph run."""
    n = len(para_key)
    if n == 0 or len(positions) == 0:
        return np.zeros(len(positions), dtype=np.int64), np.zeros(len(positions), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, para_key[1:] != para_key[:-1]])
    ends = np.r_[starts[1:], n] - 1
    run = np.searchsorted(starts, positions, side="right") - 1
    return starts[run], ends[run]


def _match_sequences(codes: np.ndarray, categories: np.ndarray, para_key: np.ndarray, words: list[str],
                     exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return (start, end) item indices (half-open) where `words` match consecutive items of one paragraph."""
    n, k = len(codes), len(words)
    if k == 0 or n < k:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # candidates from the first word, then narrowed word by word (only candidate positions are read)
    starts = np.arange(n - k + 1, dtype=np.int64)
    for j, word in enumerate(words):
        cat_ok = np.r_[_category_mask(categories, word, exact), False]     # code -1 (missing) -> False
        starts = starts[cat_ok[codes[starts + j]]]
    if k > 1:
        starts = starts[para_key[starts + k - 1] == para_key[starts]]
    return starts, starts + k


def _para_key(tokens: pd.DataFrame) -> np.ndarray:
    return tokens["doc_id"].astype("category").cat.codes.to_numpy().astype(np.int64) * (1 << 32) + \
        tokens["para_id"].to_numpy().astype(np.int64)


def _lemma_codes(tokens: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lemma = tokens["lemma"].astype("category")
    return lemma.cat.codes.to_numpy(), np.asarray(lemma.cat.categories.astype(str))


def _check_window(window: int) -> None:
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ConfigError(f"--window must be an integer >= 1; got {window!r}")


def _concordance(tokens: pd.DataFrame, paragraphs: pd.DataFrame, starts: np.ndarray, ends: np.ndarray,
                 window: int, para_key: np.ndarray | None = None) -> pd.DataFrame:
    """Return KWIC rows for token index spans [start, end)."""
    columns = ["doc_id", "para_id", "line_start", "left", "match", "right", "line_end", "token_start", "token_end"]
    if len(starts) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("doc_id", "left", "match", "right") else "int64")
                             for c in columns})
    para_key = _para_key(tokens) if para_key is None else para_key
    first, _ = _para_bounds(para_key, starts)
    _, last = _para_bounds(para_key, ends - 1)
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


def kwic(tokens: pd.DataFrame, paragraphs: pd.DataFrame, pattern: str, window: int = 5) -> pd.DataFrame:
    """Return the concordance (key word in context) of a word, lemma, phrase or glob.

    Parameters
    ----------
    tokens : DataFrame
        The token table, in reading order (doc_id, para_id, position, start, end, line, lemma).
    paragraphs : DataFrame
        The paragraph table (doc_id, para_id, text): left, match and right are cut from its text.
    pattern : str
        A word (``"supervisions"``: matches tokens whose lemma is the word's lemma or the word
        lower-cased), a phrase (several words: consecutive tokens of one paragraph, stop words
        included, matched word by word as above) or a glob on lemmas (``"supervis*"``, also
        inside a phrase: ``"public interest *"``).
    window : int, default 5
        Context on each side, in word tokens, clipped at the paragraph's edges.

    Returns
    -------
    DataFrame
        doc_id, para_id, line_start, left, match, right, line_end, token_start, token_end.

    Raises
    ------
    ConfigError
        If `window` < 1 or the pattern has no word.

    Examples
    --------
    >>> import analysis
    >>> corpus = analysis.load_corpus()
    >>> rows = kwic(corpus.tokens, corpus.paragraphs, "Fengqiao Experience", window=3)
    >>> rows[["doc_id", "match"]].iloc[0].tolist()
    ['report-2023', 'Fengqiao Experience']
    """
    _check_window(window)
    require_columns(tokens, TOKEN_COLUMNS, stage="kwic")
    words = _pattern_words(pattern)
    if not words:
        raise ConfigError(f"kwic: pattern {pattern!r} has no word to match")
    codes, categories = _lemma_codes(tokens)
    para_key = _para_key(tokens)
    starts, ends = _match_sequences(codes, categories, para_key, words)
    return _concordance(tokens, paragraphs, starts, ends, window, para_key)


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
    ``n_xix``, ``n_xxi`` the single words; the 2x2x2 table and its independence expectation
    are those of nltk's `TrigramAssocMeasures`. Dice is the generalised 3 n_iii / (n_ixx + n_xix + n_xxi).
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


def _stream(tokens: pd.DataFrame, stream: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (codes, categories, sentence key, paragraph key) of the term or lemma stream."""
    if stream not in STREAMS:
        raise ConfigError(f"--stream {stream!r}: must be one of {', '.join(STREAMS)}")
    values = tokens[stream].astype("category")
    codes = values.cat.codes.to_numpy().astype(np.int64)
    categories = np.asarray(values.cat.categories, dtype=object).astype(str)
    para_key = _para_key(tokens)
    sent_key = para_key * 4096 + tokens["sent_id"].to_numpy().astype(np.int64)
    if stream == "term":
        # Drop stop words and inner tokens of multi-word terms (term ""), then renumber the codes.
        empty = np.flatnonzero(categories == "")
        keep = ~np.isin(codes, empty) & (codes >= 0)
        codes, para_key, sent_key = codes[keep], para_key[keep], sent_key[keep]
        used = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
        renumber = np.full(len(categories), -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        codes, categories = renumber[codes], categories[used]
    return codes, categories, sent_key, para_key


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
    if n not in (2, 3):
        raise ConfigError(f"--n must be 2 or 3; got {n!r}")
    if min_count < 1:
        raise ConfigError(f"--min-count must be >= 1; got {min_count!r}")
    if sort not in COLLOCATION_SORTS:
        raise ConfigError(f"--sort {sort!r}: must be one of {', '.join(COLLOCATION_SORTS)}")
    codes, categories, sent_key, _ = _stream(tokens, stream)
    size, vocab = len(codes), len(categories)
    freq = np.bincount(codes, minlength=vocab)

    def gram_counts(offsets: tuple[int, ...]) -> pd.Series:
        span = offsets[-1]
        if size <= span:
            return pd.Series(dtype=np.int64)
        ok = sent_key[span:] == sent_key[:size - span]
        key = np.zeros(size - span, dtype=np.int64)
        for off in offsets:
            key = key * vocab + codes[off:size - span + off]
        uniq, cnt = np.unique(key[ok], return_counts=True)
        return pd.Series(cnt, index=uniq)

    words = ["w1", "w2", "w3"][:n]
    grams = gram_counts(tuple(range(n)))
    grams = grams[grams >= min_count]
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
    if n == 2:
        measures = association_measures(table["count"], table["freq_w1"], table["freq_w2"], size)
    else:
        pair12, pair13 = gram_counts((0, 1)), gram_counts((0, 2))
        n_iix = pair12.reindex(parts[0] * vocab + parts[1]).to_numpy()
        n_ixi = pair13.reindex(parts[0] * vocab + parts[2]).to_numpy()
        n_xii = pair12.reindex(parts[1] * vocab + parts[2]).to_numpy()
        measures = trigram_association_measures(table["count"], n_iix, n_ixi, n_xii, table["freq_w1"],
                                                table["freq_w2"], table["freq_w3"], size)
    for name, values in measures.items():
        table[name] = np.asarray(values, dtype=float)
    table = table.sort_values([sort, "ngram"], ascending=[False, True])
    return table.reset_index(drop=True)


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
    _check_window(window)
    if sort not in COLLOCATION_SORTS:
        raise ConfigError(f"--sort {sort!r}: must be one of {', '.join(COLLOCATION_SORTS)}")
    codes, categories, _, para_key = _stream(tokens, stream)
    words = _pattern_words(node)
    if not words:
        raise ConfigError(f"--node {node!r}: has no word to match")
    if node in set(categories):                      # a term as the stream spells it ("legal_supervision")
        starts = np.flatnonzero(codes == int(np.flatnonzero(categories == node)[0]))
        ends = starts + 1
    else:
        starts, ends = _match_sequences(codes, categories, para_key, words)
    if len(words) > 1 and node not in set(categories):
        joined = "_".join(lemmatize(w) for w in words)
        single = np.flatnonzero(np.isin(codes, np.flatnonzero(categories == joined)))
        starts, ends = np.r_[starts, single], np.r_[ends, single + 1]
    if len(starts) == 0:
        raise ConfigError(f"--node {node!r}: does not occur in the {stream} stream")
    size, vocab = len(codes), len(categories)
    left = np.zeros(vocab, dtype=np.int64)
    right = np.zeros(vocab, dtype=np.int64)
    slots = 0
    for d in range(1, window + 1):
        for anchor, sign, acc in ((starts, -1, left), (ends - 1, 1, right)):
            j = anchor + sign * d
            ok = (j >= 0) & (j < size)
            ok[ok] &= para_key[j[ok]] == para_key[anchor[ok]]
            slots += int(ok.sum())
            acc += np.bincount(codes[j[ok]], minlength=vocab)
    count = left + right
    keep = np.flatnonzero(count >= min_count)
    freq = np.bincount(codes, minlength=vocab)
    table = pd.DataFrame({"node": node, "collocate": categories[keep], "count": count[keep],
                          "left": left[keep], "right": right[keep], "freq_collocate": freq[keep],
                          "window_slots": slots, "n_stream": size})
    for name, values in association_measures(table["count"], slots, table["freq_collocate"], size).items():
        table[name] = np.asarray(values, dtype=float)
    return table.sort_values([sort, "collocate"], ascending=[False, True]).reset_index(drop=True)


# ----------------------------------------------------------------------------- formulations

def read_formulations(path: str | Path | None = None) -> pd.DataFrame:
    """Return the curated formulation list, one row per English variant, with its lemma sequence.

    Parameters
    ----------
    path : path, optional
        A CSV with columns formulation_id, category, canonical, variant, chinese, where, note;
        default the package's ``analysis/data/formulations.csv``.

    Returns
    -------
    DataFrame
        The file's columns plus ``lemmas`` (tuple of str: the variant's words lemmatised as the
        corpus is) and ``row`` (1-based line of the file).

    Raises
    ------
    CorpusError
        Naming the file and line: a missing column, an empty formulation_id / category /
        canonical / variant, an id not of a-z, 0-9 and "_", an unknown category, a variant
        without a word, a formulation whose rows disagree on category or canonical.
    """
    if path is None:
        source = "analysis/data/formulations.csv"
        handle = resources.files("analysis.data").joinpath("formulations.csv").open(encoding="utf-8", newline="")
    else:
        source = str(path)
        try:
            handle = open(path, encoding="utf-8", newline="")
        except FileNotFoundError:
            raise CorpusError(f"{source}: formulation file not found") from None
    with handle as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in FORMULATION_COLUMNS[:4] if c not in header]
        if missing:
            raise CorpusError(f"{source}:1: missing column(s) {', '.join(missing)}; "
                              f"expected {', '.join(FORMULATION_COLUMNS)}")
        records, seen = [], {}
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise CorpusError(f"{source}:{line}: more fields than the header's {len(header)}")
            row = {c: (row.get(c) or "").strip() for c in FORMULATION_COLUMNS}
            for col in FORMULATION_COLUMNS[:4]:
                if not row[col]:
                    raise CorpusError(f"{source}:{line}: field '{col}' is empty")
            if not re.fullmatch(r"[a-z0-9_]+", row["formulation_id"]):
                raise CorpusError(f"{source}:{line}: field 'formulation_id' is {row['formulation_id']!r}; "
                                  "expected a-z, 0-9 and '_'")
            if row["category"] not in FORMULATION_CATEGORIES:
                raise CorpusError(f"{source}:{line}: field 'category' is {row['category']!r}; expected one of "
                                  f"{', '.join(FORMULATION_CATEGORIES)}")
            lemmas = tuple(lemmatize(w) for w in TOKEN_PATTERN.findall(row["variant"]))
            if not lemmas:
                raise CorpusError(f"{source}:{line}: field 'variant' is {row['variant']!r}; expected words")
            first = seen.setdefault(row["formulation_id"], (line, row["category"], row["canonical"]))
            if (row["category"], row["canonical"]) != first[1:]:
                raise CorpusError(f"{source}:{line}: formulation {row['formulation_id']!r} has category/canonical "
                                  f"{row['category']!r}/{row['canonical']!r}, but line {first[0]} has "
                                  f"{first[1]!r}/{first[2]!r}")
            records.append({**row, "lemmas": lemmas, "row": line})
    if not records:
        raise CorpusError(f"{source}: no formulation rows")
    return pd.DataFrame(records)


def match_formulations(tokens: pd.DataFrame, formulations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return every match of a formulation variant on the token lemma stream (stop words included).

    Matches of one formulation that overlap (a variant inside a longer one) are counted once:
    the earliest, then the longest, is kept. Variants of one formulation that lemmatise to the
    same sequence match as one, and ``variant`` names them all ("Four Confidences / Four Confidence").

    Returns
    -------
    DataFrame
        formulation_id, variant, doc_id, para_id, line (1-based seed line of the first token),
        token (row index into `tokens` of the first token), n_words.
    """
    require_columns(tokens, TOKEN_COLUMNS, stage="formulations")
    formulations = read_formulations() if formulations is None else formulations
    codes, categories = _lemma_codes(tokens)
    para_key = _para_key(tokens)
    pieces = []
    # variants of one formulation with the same lemma sequence ("Four Confidence", "Four Confidences")
    # are one pattern, labelled with all their names
    patterns = formulations.groupby(["formulation_id", "lemmas"], sort=False)["variant"].agg(" / ".join)
    for (fid, lemmas), variant in patterns.items():
        starts, ends = _match_sequences(codes, categories, para_key, list(lemmas), exact=True)
        if len(starts):
            pieces.append(pd.DataFrame({"formulation_id": fid, "variant": variant, "token": starts,
                                        "end": ends}))
    columns = ["formulation_id", "variant", "doc_id", "para_id", "line", "token", "n_words"]
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    found = pd.concat(pieces, ignore_index=True)
    found["n_words"] = found["end"] - found["token"]
    found = found.sort_values(["formulation_id", "token", "n_words"], ascending=[True, True, False])
    # drop matches overlapping an earlier kept match of the same formulation
    fid = found["formulation_id"].to_numpy()
    start = found["token"].to_numpy()
    end = found["end"].to_numpy()
    keep = np.ones(len(found), dtype=bool)
    last_end, last_fid = -1, None
    for i in range(len(found)):
        if fid[i] == last_fid and start[i] < last_end:
            keep[i] = False
            continue
        last_fid, last_end = fid[i], end[i]
    found = found[keep]
    tok = found["token"].to_numpy()
    found = found.assign(doc_id=column_values(tokens["doc_id"])[tok],
                         para_id=tokens["para_id"].to_numpy()[tok].astype(np.int64),
                         line=tokens["line"].to_numpy()[tok].astype(np.int64))
    return found[columns].reset_index(drop=True)


def count_formulations(tokens: pd.DataFrame, documents: pd.DataFrame,
                       formulations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the count and rate per 10,000 tokens of every formulation in every document.

    Parameters
    ----------
    tokens, documents : DataFrame
        The token and document tables.
    formulations : DataFrame, optional
        From `read_formulations` (default: the package's list).

    Returns
    -------
    DataFrame
        formulation_id, doc_id, year, count, rate_per_10k, n_tokens, category, canonical,
        variants, first_line; one row per formulation x document (zeros included), in the list's
        order of formulations and the documents' order.
    """
    formulations = read_formulations() if formulations is None else formulations
    matches = match_formulations(tokens, formulations)
    n_tokens = tokens.groupby(tokens["doc_id"].astype(str)).size()
    docs = documents[["doc_id", "year"]].assign(doc_id=documents["doc_id"].astype(str))
    meta = formulations.drop_duplicates("formulation_id")[["formulation_id", "category", "canonical"]]
    grid = meta.merge(docs, how="cross")
    counts = matches.groupby(["formulation_id", "doc_id"]).agg(count=("token", "size"), first_line=("line", "min"))
    per_variant = matches.groupby(["formulation_id", "doc_id", "variant"], sort=False).size().reset_index(name="n")
    per_variant["text"] = per_variant["variant"] + "=" + per_variant["n"].astype(str)
    variants = per_variant.groupby(["formulation_id", "doc_id"])["text"].agg("; ".join)
    grid = grid.join(counts, on=["formulation_id", "doc_id"]).join(variants.rename("variants"),
                                                                   on=["formulation_id", "doc_id"])
    grid["count"] = grid["count"].fillna(0).astype(np.int64)
    grid["first_line"] = grid["first_line"].fillna(0).astype(np.int64)
    grid["variants"] = grid["variants"].fillna("")
    grid["n_tokens"] = grid["doc_id"].map(n_tokens).fillna(0).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        grid["rate_per_10k"] = np.where(grid["n_tokens"] > 0, grid["count"] / grid["n_tokens"] * 1e4, 0.0)
        low, high = poisson_interval(grid["count"].to_numpy())
        per = np.where(grid["n_tokens"] > 0, 1e4 / grid["n_tokens"].clip(lower=1), 0.0)
        grid["rate_ci_low"], grid["rate_ci_high"] = low * per, high * per
    return grid[["formulation_id", "doc_id", "year", "count", "rate_per_10k", "rate_ci_low", "rate_ci_high",
                 "n_tokens", "category", "canonical", "variants", "first_line"]].reset_index(drop=True)


def poisson_interval(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Return the exact (Garwood) confidence interval of a Poisson count, as (low, high) counts.

    >>> [round(float(v), 3) for v in np.ravel(poisson_interval([0, 10]))]
    [0.0, 4.795, 3.689, 18.39]
    """
    count = np.asarray(count, dtype=float)
    a = 1 - level
    low = np.where(count > 0, stats.chi2.ppf(a / 2, 2 * count) / 2, 0.0)
    high = stats.chi2.ppf(1 - a / 2, 2 * (count + 1)) / 2
    return low, high


def formulations_by_year(counts: pd.DataFrame, documents: pd.DataFrame, exclude_versions: bool = True) -> pd.DataFrame:
    """Return formulation counts and rates per 10,000 tokens per year.

    Parameters
    ----------
    counts : DataFrame
        From `count_formulations`.
    documents : DataFrame
        The documents table (doc_id, version_of).
    exclude_versions : bool, default True
        Leave out documents that are another English version of a document (``version_of`` set,
        e.g. the Xinhua summary of the 2023 report), so one text is not counted twice in its year.

    Returns
    -------
    DataFrame
        formulation_id, year, count, n_tokens, rate_per_10k, n_docs.
    """
    rows = counts
    if exclude_versions and "version_of" in documents.columns:
        versions = documents.loc[documents["version_of"].fillna("").astype(str) != "", "doc_id"].astype(str)
        rows = rows[~rows["doc_id"].isin(list(versions))]
    out = rows.groupby(["formulation_id", "year"], sort=False).agg(
        count=("count", "sum"), n_tokens=("n_tokens", "sum"), n_docs=("doc_id", "nunique")).reset_index()
    out["rate_per_10k"] = np.where(out["n_tokens"] > 0, out["count"] / out["n_tokens"].clip(lower=1) * 1e4, 0.0)
    return out[["formulation_id", "year", "count", "n_tokens", "rate_per_10k", "n_docs"]]


def first_appearances(tokens: pd.DataFrame, documents: pd.DataFrame,
                      formulations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return, per formulation found, its first appearance: earliest document by date, then line.

    On the same date an original text comes before another English version of it (a document
    whose ``version_of`` is set), then documents sort by doc_id.

    Returns
    -------
    DataFrame
        formulation_id, canonical, category, doc_id, date, year, line, para_id, variant,
        total_count (matches in the corpus), n_docs (documents with a match).
    """
    formulations = read_formulations() if formulations is None else formulations
    matches = match_formulations(tokens, formulations)
    meta = formulations.drop_duplicates("formulation_id").set_index("formulation_id")
    dates = documents.assign(doc_id=documents["doc_id"].astype(str)).set_index("doc_id")
    is_version = (dates["version_of"].fillna("").astype(str) != "") if "version_of" in dates else \
        pd.Series(False, index=dates.index)
    matches = matches.assign(date=matches["doc_id"].map(dates["date"]).astype(str),
                             year=matches["doc_id"].map(dates["year"]),
                             _version=matches["doc_id"].map(is_version).astype(bool))
    ordered = matches.sort_values(["formulation_id", "date", "_version", "doc_id", "line", "para_id"])
    first = ordered.drop_duplicates("formulation_id").set_index("formulation_id")
    totals = matches.groupby("formulation_id").agg(total_count=("token", "size"), n_docs=("doc_id", "nunique"))
    out = first.join(totals)
    out["canonical"] = meta["canonical"].reindex(out.index)
    out["category"] = meta["category"].reindex(out.index)
    out = out.reset_index()
    return out[["formulation_id", "canonical", "category", "doc_id", "date", "year", "line", "para_id",
                "variant", "total_count", "n_docs"]].sort_values(["date", "line", "formulation_id"],
                                                                 ignore_index=True)


def formulation_concordance(tokens: pd.DataFrame, paragraphs: pd.DataFrame, formulation_id: str | None = None,
                            formulations: pd.DataFrame | None = None, window: int = 5) -> pd.DataFrame:
    """Return KWIC rows of every match of one formulation (or of all), with formulation_id and variant.

    Raises
    ------
    ConfigError
        If `formulation_id` is not in the list, or `window` < 1.
    """
    _check_window(window)
    formulations = read_formulations() if formulations is None else formulations
    if formulation_id is not None:
        known = sorted(formulations["formulation_id"].unique())
        if formulation_id not in known:
            raise ConfigError(f"--concordance {formulation_id!r}: unknown formulation; known: {', '.join(known)}")
        formulations = formulations[formulations["formulation_id"] == formulation_id]
    matches = match_formulations(tokens, formulations)
    starts = matches["token"].to_numpy(dtype=np.int64)
    rows = _concordance(tokens, paragraphs, starts, starts + matches["n_words"].to_numpy(dtype=np.int64), window)
    rows.insert(0, "variant", matches["variant"].to_numpy())
    rows.insert(0, "formulation_id", matches["formulation_id"].to_numpy())
    return rows


_NUMBER_WORDS = "|".join(_NUMBERS)
_NUMBERED = re.compile(r"\b(?:%s)(?:\s+(?:[A-Z][A-Za-z-]*|[Mm]ajor|[Bb]ig))+" % _NUMBER_WORDS)
_NUMBERED_QUOTED = re.compile(r'"((?:%s)\b[^"]{2,80})"' % _NUMBER_WORDS, re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]{3,80})"')
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z-]+(?:'s)?"
                          r"(?:\s+(?:(?:of|and|the|on|for|with|in)\s+)*[A-Z][A-Za-z-]+(?:'s)?)+")
#: Last words (lemmas) that make a capitalised n-gram a name of an organ, place or law, not a slogan.
NAME_HEADS = frozenset({
    "ministry", "procuratorate", "province", "provincial", "river", "lake", "basin", "university",
    "commission", "committee", "court", "congress", "conference", "code", "law", "session", "federation",
    "delta", "canal", "wall", "mongolia", "kong", "jinping", "china", "cpc", "npc", "belt", "bureau",
    "administration", "office", "council", "association", "daily", "corps", "army", "league", "city",
    "county", "region", "area", "mountain", "sea", "ocean", "park", "group", "department", "plan",
    "rule", "regulation", "opinion", "provision", "interpretation", "notice",
})
#: First words (lemmas) that make a capitalised n-gram a name.
NAME_FIRSTS = frozenset({"ministry", "all-china", "china", "supreme", "state", "people's"})


def discover_formulations(paragraphs: pd.DataFrame, tokens: pd.DataFrame, formulations: pd.DataFrame | None = None,
                          min_paragraphs: int = 2, max_words: int = 8) -> pd.DataFrame:
    """Return candidate formulations the list lacks, ranked for a person to review.

    Candidates come from the analysed paragraphs' text (straight quotes after cleaning):

    - ``numbered``: a quoted phrase starting with a number word, Two to Ten ("four comprehensive"),
      or a number word followed by capitalised words ("Four Major Procuratorial Functions");
    - ``quoted``: other quoted phrases of 2 to `max_words` words;
    - ``capitalised``: runs of capitalised words inside a sentence (after a lower-case word or
      a comma: "Fengqiao Experience"), less names of organs, places and laws (last word in
      `NAME_HEADS`, first word in `NAME_FIRSTS`).

    Candidates are grouped by their lemma sequence (``key``); a key containing a listed variant,
    or equal to a curated multi-word term of `analysis.tokens`, is dropped. Numbered slogans are kept
    from one occurrence on; the others must recur in `min_paragraphs` paragraphs. Rows are
    ranked by kind (numbered, quoted, capitalised), then by documents, then by count.

    Returns
    -------
    DataFrame
        candidate (the most frequent surface form), key (lemmas joined by spaces), kind
        {"numbered", "quoted", "capitalised"}, count, n_paragraphs, n_docs, doc_ids, first_where
        ("doc_id:line" of the first occurrence).
    """
    from analysis.tokens import curated_terms

    formulations = read_formulations() if formulations is None else formulations
    analysed = paragraphs[paragraphs["kind"].isin(("body", "list"))] if "kind" in paragraphs else paragraphs
    hits = []
    patterns = (("numbered", _NUMBERED_QUOTED), ("numbered", _NUMBERED), ("quoted", _QUOTED),
                ("capitalised", _CAPITALISED))
    for kind, regex in patterns:
        for doc_id, para_id, text in analysed[["doc_id", "para_id", "text"]].itertuples(index=False):
            for m in regex.finditer(text):
                group = m.group(1) if regex.groups else m.group(0)
                surface = group.strip(" ,.;:")
                words = TOKEN_PATTERN.findall(surface)
                lemmas = [lemmatize(w) for w in words]
                if not words or len(words) > max_words or (kind != "capitalised" and len(words) < 2):
                    continue
                if kind == "capitalised":
                    before = text[:m.start()].rstrip(' "(')
                    if not before or not (before[-1].islower() or before[-1] in ",;:") or \
                            lemmas[-1] in NAME_HEADS or lemmas[0] in NAME_FIRSTS:
                        continue
                hits.append((kind, " ".join(lemmas), surface, str(doc_id), int(para_id),
                             m.start(1) if regex.groups else m.start()))
    columns = ["candidate", "key", "kind", "count", "n_paragraphs", "n_docs", "doc_ids", "first_where"]
    if not hits:
        return pd.DataFrame(columns=columns)
    found = pd.DataFrame(hits, columns=["kind", "key", "surface", "doc_id", "para_id", "offset"])
    order = {"numbered": 0, "quoted": 1, "capitalised": 2}
    # one candidate per place in the text: the first kind, then the longest
    found = found.assign(rank=found["kind"].map(order), length=found["key"].str.len())
    found = found.sort_values(["rank", "length"], ascending=[True, False])
    found = found.drop_duplicates(["doc_id", "para_id", "offset"])
    variants = [" ".join(lem) for lem in formulations["lemmas"]]
    curated = {" ".join(k) for k in curated_terms()}
    found = found[~found["key"].map(lambda k: k in curated or any(f" {v} " in f" {k} " for v in variants))]
    kind = found.sort_values("rank").groupby("key")["kind"].first()
    grouped = found.groupby("key")
    table = pd.DataFrame({
        "candidate": grouped["surface"].agg(lambda s: s.value_counts().index[0]),
        "kind": kind, "count": grouped.size(),
        "n_paragraphs": found.drop_duplicates(["key", "doc_id", "para_id"]).groupby("key").size(),
        "n_docs": grouped["doc_id"].nunique(),
        "doc_ids": grouped["doc_id"].agg(lambda s: ";".join(sorted(set(s)))),
    }).rename_axis("key").reset_index()
    table = table[(table["kind"] == "numbered") | (table["n_paragraphs"] >= min_paragraphs)]
    if table.empty:
        return pd.DataFrame(columns=columns)
    first = found.sort_values(["doc_id", "para_id", "offset"]).drop_duplicates("key").set_index("key")
    lines = _lines_at(tokens, first["doc_id"].to_numpy(), first["para_id"].to_numpy(), first["offset"].to_numpy())
    first_where = pd.Series([f"{d}:{ln}" for d, ln in zip(first["doc_id"], lines)], index=first.index)
    table["first_where"] = table["key"].map(first_where)
    table = table.assign(rank=table["kind"].map(order)).sort_values(
        ["rank", "n_docs", "count", "key"], ascending=[True, False, False, True]).drop(columns="rank")
    return table[columns].reset_index(drop=True)


def _lines_at(tokens: pd.DataFrame, doc_ids, para_ids, offsets) -> list[int]:
    """Return the seed line of the first token at or after each character offset of a paragraph."""
    key = pd.MultiIndex.from_arrays([tokens["doc_id"].astype(str), tokens["para_id"].astype(np.int64)])
    out = []
    groups = pd.Series(np.arange(len(tokens))).groupby(key).agg(["min", "max"])
    bounds = dict(zip(groups.index, zip(groups["min"], groups["max"])))
    start, line = tokens["start"].to_numpy(), tokens["line"].to_numpy()
    for d, p, off in zip(doc_ids, para_ids, offsets):
        lo, hi = bounds[(d, int(p))]
        i = lo + int(np.searchsorted(start[lo:hi + 1], off))
        out.append(int(line[min(i, hi)]))
    return out


# ----------------------------------------------------------------------------- lexical profile

def mattr(codes: np.ndarray, window: int) -> float:
    """Return the moving-average type-token ratio of a sequence of type codes.

    The mean, over every window of `window` consecutive tokens, of distinct types / `window`
    (Covington and McFall 2010). Computed in O(n): token j is new in window [i, i + window)
    when its previous occurrence lies before i. A sequence shorter than the window gives its
    plain type-token ratio.
    """
    codes = np.asarray(codes)
    n = len(codes)
    if n == 0:
        return float("nan")
    if n <= window:
        return len(np.unique(codes)) / n
    idx = np.arange(n)
    order = np.lexsort((idx, codes))
    prev = np.full(n, -1, dtype=np.int64)
    same = codes[order][1:] == codes[order][:-1]
    prev[order[1:][same]] = order[:-1][same]
    lo = np.maximum(prev + 1, idx - window + 1)
    hi = np.minimum(idx, n - window)
    return float(np.clip(hi - lo + 1, 0, None).sum() / (window * (n - window + 1)))


def lexical_profile(tokens: pd.DataFrame, sentences: pd.DataFrame, config: DiscourseConfig | None = None,
                    window: int | None = None) -> pd.DataFrame:
    """Return tokens, types, TTR, MATTR and sentence length of each document.

    Types are distinct lemmas; tokens, types and MATTR count every word token of the analysed
    paragraphs, stop words included. MATTR uses a window of `window` tokens (default
    `DiscourseConfig.mattr_window`, 500); a document shorter than the window (the 2025
    conference has about 1,300 tokens, so it is not) gets its plain TTR and ``mattr_window``
    says which window was used. Sentence length is tokens per sentence (`sentences.n_tokens`).

    Returns
    -------
    DataFrame
        doc_id, n_tokens, n_types, ttr, mattr, mattr_window, n_sentences, mean_sentence_length,
        sd_sentence_length (tokens; sample standard deviation).
    """
    config = config or DiscourseConfig()
    window = config.mattr_window if window is None else window
    if window < 2:
        raise ConfigError(f"--window must be >= 2 for MATTR; got {window!r}")
    codes, _ = _lemma_codes(tokens)
    doc = column_values(tokens["doc_id"])
    rows = []
    sent = sentences.assign(doc_id=sentences["doc_id"].astype(str))
    sent_stats = sent.groupby("doc_id")["n_tokens"].agg(["size", "mean", "std"])
    positions = pd.Series(np.arange(len(doc))).groupby(doc, sort=False).indices
    for doc_id, where in positions.items():
        c = codes[where]
        s = sent_stats.loc[doc_id] if doc_id in sent_stats.index else None
        rows.append({"doc_id": doc_id, "n_tokens": len(c), "n_types": len(np.unique(c)),
                     "ttr": len(np.unique(c)) / len(c), "mattr": mattr(c, window),
                     "mattr_window": min(window, len(c)),
                     "n_sentences": int(s["size"]) if s is not None else 0,
                     "mean_sentence_length": float(s["mean"]) if s is not None else float("nan"),
                     "sd_sentence_length": float(s["std"]) if s is not None else float("nan")})
    return pd.DataFrame(rows)
