"""Theme rates and shares per document and year, with design-effect-adjusted exact intervals.

The interval method (chosen by the coverage study in ``benchmarks/coverage.py``; README,
"Theme intervals"): a paragraph is a cluster of matches. Both the rate (matches per token) and the
share (matches of a theme per match of any theme) are ratio estimators ``R = sum y / sum m`` over
paragraphs. Their variance is estimated from the paragraphs themselves (the linearised, "sandwich"
variance of a ratio, stratified by document for year tables), divided by the variance a Poisson
(rate) or binomial (share) count of the same size would have: the design effect, floored at 1
(counts are never assumed less variable than Poisson). The observed count divided by the design
effect (raised to at least the geometric mean of the four themes' design effects) is an effective
count; following Korn & Graubard (1998) it is shrunk further by ``(z / t_df)^2``, with df the
kurtosis-adjusted degrees of freedom of the variance (``2 n / (kurtosis - 1)``, at most paragraphs
- strata: bursty counts, where a few paragraphs hold most matches, estimate their variance with
few effective degrees of freedom), and the exact interval of the effective count
(Garwood gamma for the rate, Clopper-Pearson beta for the share) is scaled back. What it assumes:
paragraphs are independent draws of one document's way of writing (not independent words), and the
count behaves like an overdispersed Poisson / binomial whose extra variance the paragraphs reveal.
A share with few matches gets a wide interval (one match: share 1, interval about [0.03, 1]), a
theme with no match gets the exact upper bound (3.7 matches' worth, times the pooled design effect
and the t adjustment) and
a document without any match the share interval [0, 1]. Below `ThemesConfig.min_paragraphs`
paragraphs the design effect cannot be estimated well and the row is flagged ``small_sample``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.config import ThemesConfig
from analysis.corpus import primary_documents, require_columns
from analysis.errors import AnalysisError, ConfigError

RATE_COLUMNS = ("theme", "count", "rate_per_1k", "rate_ci_low", "rate_ci_high", "share", "share_ci_low",
                "share_ci_high", "n_tokens", "n_paragraphs", "small_sample")


# --------------------------------------------------------------------------- interval method


def _ratio_variance(y: np.ndarray, m: np.ndarray, strata: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the linearised variance of ``R = sum y / sum m`` per column of `y`, and its df.

    ``y`` is paragraphs x columns, ``m`` paragraphs (the denominator); within each stratum the
    residuals ``y - R m`` are centred and summed with the ``n_h / (n_h - 1)`` correction.
    The degrees of freedom of each column are ``2 n / (kurtosis - 1)`` of its residuals (n - 1 for
    normal residuals; far fewer when a few paragraphs carry most matches, as bursty counts do),
    capped at paragraphs - strata; 0 when no stratum has two paragraphs. Paragraphs with ``m = 0``
    (for a share: without any match) are left out.
    """
    used = m > 0                       # a paragraph without any denominator carries no information
    y, m, strata = y[used], m[used], strata[used]
    total = m.sum()
    ratio = y.sum(axis=0) / total if total > 0 else np.zeros(y.shape[1])
    resid = y - m[:, None] * ratio
    var = np.zeros(y.shape[1])
    centred = np.zeros_like(resid)
    df_max = 0
    for h in np.unique(strata):
        rows = strata == h
        e = resid[rows]
        if len(e) > 1:
            centred[rows] = e - e.mean(axis=0)
            var += len(e) / (len(e) - 1) * (centred[rows] ** 2).sum(axis=0)
            df_max += len(e) - 1
    n = len(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        kurtosis = n * (centred ** 4).sum(axis=0) / ((centred ** 2).sum(axis=0)) ** 2
        df = np.where(kurtosis > 1, np.minimum(df_max, 2 * n / (kurtosis - 1)), df_max)
    df = np.where(np.isfinite(df), np.maximum(df, min(1.0, df_max)), df_max)
    return (var / total ** 2 if total > 0 else var), df


def _moderate(deff: np.ndarray, df: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each theme's design effect raised to at least the group's pooled one, and the df.

    The pooled design effect is the geometric mean over the themes with matches (`known`); a
    theme without matches gets the pool (its own cannot be estimated). A
    theme's own estimate is low exactly when its sample missed the bursts that make it variable,
    and the themes of one text share their burstiness; so no theme is given less than the pool
    (the coverage study's ``max`` rule; a plain average of own and pooled under-covered).
    """
    if not known.any():
        return deff, df
    pooled = float(np.exp(np.mean(np.log(np.maximum(deff[known], 1.0)))))
    return np.maximum(deff, pooled), df


def _inflation(design_effect: np.ndarray, df: np.ndarray, ci_level: float) -> np.ndarray:
    """Return the variance inflation: design effect (>= 1) times ``(t_df / z)^2`` (1 where df = 0)."""
    z = stats.norm.ppf(0.5 + ci_level / 2)
    df = np.asarray(df, dtype=float)
    t = np.where(df >= 1, stats.t.ppf(0.5 + ci_level / 2, np.maximum(df, 1)), z)
    return np.maximum(design_effect, 1.0) * (t / z) ** 2


def rate_intervals(counts: np.ndarray, tokens: np.ndarray, strata: np.ndarray | None = None,
                   ci_level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (rate, low, high) per 1,000 tokens for each column of a paragraph x theme count matrix.

    Garwood (exact Poisson) interval of the effective count ``sum y / inflation``, scaled back by
    the inflation and divided by the tokens (see the module docstring).

    Parameters
    ----------
    counts : array, paragraphs x themes
        Matches per paragraph.
    tokens : array, paragraphs
        Word tokens per paragraph.
    strata : array, paragraphs, optional
        Stratum (document) of each paragraph; one stratum when omitted.
    ci_level : float, default 0.95

    Examples
    --------
    >>> r, lo, hi = rate_intervals(np.array([[0]]), np.array([1000]))   # no match in 1,000 tokens
    >>> float(r[0]), float(lo[0]), round(float(hi[0]), 2)
    (0.0, 0.0, 3.69)
    """
    y = np.asarray(counts, dtype=float)
    m = np.asarray(tokens, dtype=float)
    strata = np.zeros(len(m), dtype=int) if strata is None else np.asarray(strata)
    total_y, total_m = y.sum(axis=0), m.sum()
    if total_m <= 0:
        nan = np.full(y.shape[1], np.nan)
        return nan, nan, nan
    var, df = _ratio_variance(y, m, strata)
    poisson = total_y / total_m ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        deff = np.where(total_y > 0, var / poisson, 1.0)
    deff, df = _moderate(deff, df, total_y > 0)
    scale = _inflation(deff, df, ci_level)
    eff = total_y / scale
    alpha = 1 - ci_level
    low = np.where(eff > 0, stats.gamma.ppf(alpha / 2, np.maximum(eff, 1e-12)), 0.0)
    high = stats.gamma.ppf(1 - alpha / 2, eff + 1)
    per = 1000.0 / total_m
    return total_y * per, low * scale * per, high * scale * per


def share_effective(counts: np.ndarray, strata: np.ndarray | None = None,
                    ci_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Return (share, effective sample size) of each column of a paragraph x theme count matrix.

    The effective sample size is all matches / inflation (design effect pooled across themes,
    times ``(t_df / z)^2`` at `ci_level`); share x it are the effective successes. Without any
    match: NaN shares and zero sizes.
    """
    y = np.asarray(counts, dtype=float)
    m = y.sum(axis=1)
    strata = np.zeros(len(m), dtype=int) if strata is None else np.asarray(strata)
    total = m.sum()
    if total <= 0:
        return np.full(y.shape[1], np.nan), np.zeros(y.shape[1])
    share = y.sum(axis=0) / total
    var, df = _ratio_variance(y, m, strata)
    binomial = share * (1 - share) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        deff = np.where(binomial > 0, var / binomial, 1.0)
    deff, df = _moderate(deff, df, binomial > 0)
    return share, total / _inflation(deff, df, ci_level)


def share_intervals(counts: np.ndarray, strata: np.ndarray | None = None,
                    ci_level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (share, low, high) of each column of a paragraph x theme count matrix.

    share = the column's matches / all matches; Clopper-Pearson interval of the effective sample
    (`share_effective`), see the module docstring. Without any match: share NaN, interval [0, 1].

    Examples
    --------
    >>> s, lo, hi = share_intervals(np.array([[1, 0], [0, 0]]))
    >>> float(s[0]), round(float(lo[0]), 3), float(hi[0]), float(hi[1]) > 0
    (1.0, 0.025, 1.0, True)
    """
    share, n_eff = share_effective(counts, strata, ci_level)
    if not (n_eff > 0).any():
        return share, np.zeros(len(share)), np.ones(len(share))
    x = share * n_eff
    alpha = 1 - ci_level
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n_eff - x + 1), 0.0)
        high = np.where(x < n_eff, stats.beta.ppf(1 - alpha / 2, x + 1, n_eff - x), 1.0)
    return share, np.nan_to_num(low), np.where(np.isnan(high), 1.0, high)


def share_difference(counts_a: np.ndarray, counts_b: np.ndarray, ci_level: float = 0.95,
                     margin: float = 0.05) -> dict[str, np.ndarray]:
    """Return the difference of shares between two documents (a - b), its interval and an equivalence test.

    Agresti-Caffo interval on the effective counts (`share_effective`): one success and one failure
    added to each side, ``(p_a - p_b) +- z se``. Equivalence (two one-sided tests at level
    ``(1 - ci_level) / 2``): the ``2 ci_level - 1`` interval (90% for 95%) lies inside +-`margin`.

    Returns
    -------
    dict of arrays (one value per theme)
        difference, low, high (at `ci_level`), equivalent (bool).

    Examples
    --------
    >>> a = np.array([[5, 5]] * 40); b = np.array([[5, 5]] * 40)
    >>> r = share_difference(a, b, margin=0.1)
    >>> float(r["difference"][0]), bool(r["equivalent"][0])
    (0.0, True)
    """
    out = {}
    for name, level in (("", ci_level), ("tost_", 2 * ci_level - 1)):
        (pa, na), (pb, nb) = share_effective(counts_a, ci_level=level), share_effective(counts_b, ci_level=level)
        ta, tb = (pa * na + 1) / (na + 2), (pb * nb + 1) / (nb + 2)
        se = np.sqrt(ta * (1 - ta) / (na + 2) + tb * (1 - tb) / (nb + 2))
        half = stats.norm.ppf(0.5 + level / 2) * se
        out[f"{name}low"], out[f"{name}high"] = ta - tb - half, ta - tb + half
        out["difference"] = pa - pb
    return {"difference": out["difference"], "low": out["low"], "high": out["high"],
            "equivalent": (out["tost_low"] > -margin) & (out["tost_high"] < margin)}


# --------------------------------------------------------------------------- the former bootstrap


def _bootstrap(strata: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator, n_boot: int,
               chunk_cells: int = 5_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Resample paragraphs with replacement within each stratum; return (counts, tokens) per replicate.

    The percentile bootstrap the theme tables used before the coverage study (kept for
    ``benchmarks/coverage.py``, which shows it under-covers). `strata` holds (counts: paragraphs x
    themes, tokens: paragraphs) per stratum. Returns counts (n_boot, themes) and tokens (n_boot,).
    """
    n_themes = strata[0][0].shape[1]
    counts = np.zeros((n_boot, n_themes), dtype=np.int64)
    tokens = np.zeros(n_boot, dtype=np.int64)
    for count_matrix, token_vec in strata:
        n_par = len(token_vec)
        if n_par == 0:
            continue
        step = max(1, chunk_cells // n_par)
        for b0 in range(0, n_boot, step):
            b1 = min(n_boot, b0 + step)
            idx = rng.integers(0, n_par, size=(b1 - b0, n_par))
            idx += (np.arange(b1 - b0) * n_par)[:, None]
            weights = np.bincount(idx.ravel(), minlength=(b1 - b0) * n_par).reshape(b1 - b0, n_par)
            counts[b0:b1] += weights @ count_matrix
            tokens[b0:b1] += weights @ token_vec
    return counts, tokens


# --------------------------------------------------------------------------- tables


def _rate_rows(strata: list[tuple[np.ndarray, np.ndarray]], config: ThemesConfig, categories: list[str]) -> list[dict]:
    counts = np.vstack([s[0] for s in strata])
    tokens = np.concatenate([s[1] for s in strata])
    labels = np.concatenate([np.full(len(s[1]), h) for h, s in enumerate(strata)])
    rate, rate_lo, rate_hi = rate_intervals(counts, tokens, labels, config.ci_level)
    share, share_lo, share_hi = share_intervals(counts, labels, config.ci_level)
    n_par = len(tokens)
    return [{"theme": theme, "count": int(counts[:, k].sum()), "rate_per_1k": rate[k],
             "rate_ci_low": rate_lo[k], "rate_ci_high": rate_hi[k], "share": share[k],
             "share_ci_low": share_lo[k], "share_ci_high": share_hi[k], "n_tokens": int(tokens.sum()),
             "n_paragraphs": n_par, "small_sample": n_par < config.min_paragraphs}
            for k, theme in enumerate(categories)]


def categories_of(paragraph_themes: pd.DataFrame) -> list[str]:
    """Return the categories of a `score_paragraphs` table: its ``count_<category>`` columns, in order."""
    return [c[len("count_"):] for c in paragraph_themes.columns if str(c).startswith("count_")]


def theme_rates(paragraph_themes: pd.DataFrame, documents: pd.DataFrame, by: str = "doc_id",
                config: ThemesConfig | None = None, categories: list[str] | None = None) -> pd.DataFrame:
    """Return count, rate per 1,000 tokens and share of each theme, with their intervals.

    Intervals as in the module docstring, at level `config.ci_level`; a group of several
    documents treats them as strata (df = paragraphs - documents).

    Parameters
    ----------
    paragraph_themes : DataFrame
        The result of `score_paragraphs` (needs doc_id, n_tokens and count_<theme> columns).
    documents : DataFrame
        The corpus's document table (doc_id, year, version_of).
    by : str, default "doc_id"
        Group by document, by year, or by any other column of `documents` (e.g. ``genre`` or a
        column the manifest adds, such as ``party``). Groups other than documents keep only
        `primary_documents` (a second English version of a text in the corpus, e.g. the Xinhua
        2023 summary, is left out) unless `config.year_include_versions` is True. The group
        column is named `by`; years are integers, other values text.
    config : ThemesConfig, optional
    categories : list of str, optional
        The lexicon's categories (`Lexicon.categories`); default the table's ``count_<category>``
        columns, in order.

    Returns
    -------
    DataFrame
        One row per group and theme; columns as in the package docstring.
    """
    config = config or ThemesConfig()
    if by != "doc_id" and by not in documents.columns:
        raise ConfigError(f"theme_rates: by must be a column of the documents table ("
                          f"{', '.join(map(str, documents.columns))}); got {by!r}")
    categories = list(categories) if categories is not None else categories_of(paragraph_themes)
    if not categories:
        raise ConfigError("theme_rates: the paragraph table has no count_<category> column")
    needed = {"doc_id": "object", "n_tokens": "int64", **{f"count_{t}": "int64" for t in categories}}
    require_columns(paragraph_themes, needed, stage="theme_rates")
    docs = documents.set_index("doc_id")
    count_cols = [f"count_{t}" for t in categories]
    per_doc = {d: (g[count_cols].to_numpy(dtype=np.int64), g["n_tokens"].to_numpy(dtype=np.int64))
               for d, g in paragraph_themes.groupby("doc_id", sort=True)}
    unknown = sorted(set(per_doc) - set(docs.index))
    if unknown:
        raise AnalysisError(f"theme_rates: doc_id {unknown[0]!r} of the paragraph table is not in the documents table")
    if by != "doc_id":
        return _group_rates(per_doc, documents, by, config, categories)
    rows = []
    for doc_id in sorted(per_doc):
        year = int(docs.loc[doc_id, "year"])
        rows += [{"doc_id": doc_id, "year": year, **row}
                 for row in _rate_rows([per_doc[doc_id]], config, categories)]
    return pd.DataFrame(rows, columns=["doc_id", "year", *RATE_COLUMNS])


def _group_rates(per_doc: dict, documents: pd.DataFrame, by: str, config: ThemesConfig,
                 categories: list[str]) -> pd.DataFrame:
    """Return `theme_rates` by a documents column: its documents as strata (primary documents only unless
    `config.year_include_versions`), one row per value (int for years, else str) and theme."""
    docs = documents.set_index("doc_id")
    keep = set(documents["doc_id"]) if config.year_include_versions else set(primary_documents(documents))
    groups: dict = {}
    for d in sorted(set(per_doc) & keep):
        value = int(docs.loc[d, by]) if by == "year" else str(docs.loc[d, by])
        groups.setdefault(value, []).append(d)
    rows = []
    for value in sorted(groups):
        strata = [per_doc[d] for d in groups[value]]
        rows += [{by: value, **row, "n_documents": len(groups[value])} for row in _rate_rows(strata, config, categories)]
    return pd.DataFrame(rows, columns=[by, *RATE_COLUMNS, "n_documents"])
