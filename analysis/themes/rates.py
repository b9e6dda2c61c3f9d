"""Theme rates and shares per document and year, with bootstrap intervals."""
from __future__ import annotations

import warnings
import zlib

import numpy as np
import pandas as pd

from analysis.config import ThemesConfig
from analysis.corpus import require_columns
from analysis.errors import AnalysisError, ConfigError

RATE_COLUMNS = ("theme", "count", "rate_per_1k", "rate_ci_low", "rate_ci_high", "share", "share_ci_low",
                "share_ci_high", "n_tokens", "n_paragraphs")


# --------------------------------------------------------------------------- rates and bootstrap


def _group_seed(seed: int, key: str) -> np.random.SeedSequence:
    """Return an independent seed sequence for one group, stable whatever other groups exist."""
    return np.random.SeedSequence([seed, zlib.crc32(key.encode("utf-8"))])


def _bootstrap(strata: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator, n_boot: int,
               chunk_cells: int = 5_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Resample paragraphs with replacement within each stratum; return (counts, tokens) per replicate.

    `strata` holds (counts: paragraphs x themes, tokens: paragraphs) per stratum (a document).
    Returns counts of shape (n_boot, themes) and tokens of shape (n_boot,), summed over strata.
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
            # times each paragraph is drawn in each replicate, then one product (not a gather of
            # replicates x paragraphs x themes)
            idx += (np.arange(b1 - b0) * n_par)[:, None]
            weights = np.bincount(idx.ravel(), minlength=(b1 - b0) * n_par).reshape(b1 - b0, n_par)
            counts[b0:b1] += weights @ count_matrix
            tokens[b0:b1] += weights @ token_vec
    return counts, tokens


def _rate_rows(strata, seed_seq, config: ThemesConfig, categories: list[str]) -> list[dict]:
    count_total = sum(s[0].sum(axis=0) for s in strata)
    token_total = int(sum(s[1].sum() for s in strata))
    n_par = int(sum(len(s[1]) for s in strata))
    rng = np.random.default_rng(seed_seq)
    boot_counts, boot_tokens = _bootstrap(strata, rng, config.n_boot)
    alpha = (1 - config.ci_level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_rate = 1000.0 * boot_counts / boot_tokens[:, None]
        boot_share = boot_counts / boot_counts.sum(axis=1, keepdims=True)
    rows = []
    all_matches = int(count_total.sum())
    for k, theme in enumerate(categories):
        rate = 1000.0 * count_total[k] / token_total if token_total else np.nan
        share = count_total[k] / all_matches if all_matches else np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rate_lo, rate_hi = np.nanquantile(boot_rate[:, k], [alpha, 1 - alpha]) if token_total else (np.nan,) * 2
            share_lo, share_hi = (np.nanquantile(boot_share[:, k], [alpha, 1 - alpha])
                                  if all_matches else (np.nan, np.nan))
        rows.append({"theme": theme, "count": int(count_total[k]), "rate_per_1k": rate,
                     "rate_ci_low": rate_lo, "rate_ci_high": rate_hi, "share": share,
                     "share_ci_low": share_lo, "share_ci_high": share_hi,
                     "n_tokens": token_total, "n_paragraphs": n_par})
    return rows


def categories_of(paragraph_themes: pd.DataFrame) -> list[str]:
    """Return the categories of a `score_paragraphs` table: its ``count_<category>`` columns, in order."""
    return [c[len("count_"):] for c in paragraph_themes.columns if str(c).startswith("count_")]


def theme_rates(paragraph_themes: pd.DataFrame, documents: pd.DataFrame, by: str = "doc_id",
                config: ThemesConfig | None = None, categories: list[str] | None = None) -> pd.DataFrame:
    """Return count, rate per 1,000 tokens and share of each theme, with bootstrap intervals.

    The interval is the percentile interval of `config.n_boot` bootstrap replicates; a replicate
    resamples the analysed paragraphs of each document with replacement (a paragraph x theme count
    matrix, never the text), so a year's interval keeps its documents' sizes fixed. Each group
    (document or year) draws from its own generator, seeded from ``config.seed`` and the group's
    key, so its numbers do not depend on the other groups.

    Parameters
    ----------
    paragraph_themes : DataFrame
        The result of `score_paragraphs` (needs doc_id, n_tokens and count_<theme> columns).
    documents : DataFrame
        The corpus's document table (doc_id, year, version_of).
    by : str, default "doc_id"
        Group by document, by year, or by any other column of `documents` (e.g. ``genre`` or a
        column the manifest adds, such as ``party``). Groups other than documents leave out
        documents that are another English version of a document in the corpus (``version_of``
        not empty) unless `config.year_include_versions` is True, so one text is not counted
        twice. The group column is named `by`; years are integers, other values text.
    config : ThemesConfig, optional
    categories : list of str, optional
        The lexicon's categories (`Lexicon.categories`); default the table's ``count_<category>``
        columns, in order.

    Returns
    -------
    DataFrame
        One row per group and theme; columns as in the module docstring.
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
    rows = []
    if by == "doc_id":
        for doc_id in sorted(per_doc):
            year = int(docs.loc[doc_id, "year"])
            for row in _rate_rows([per_doc[doc_id]], _group_seed(config.seed, f"doc:{doc_id}"), config,
                                  categories):
                rows.append({"doc_id": doc_id, "year": year, **row})
        columns = ["doc_id", "year", *RATE_COLUMNS]
    else:
        known = set(docs.index)
        keep = [d for d in per_doc if (config.year_include_versions
                                                       or not str(docs.loc[d, "version_of"] or "")
                                                       or docs.loc[d, "version_of"] not in known)]
        groups: dict = {}
        for d in sorted(keep):
            value = int(docs.loc[d, by]) if by == "year" else str(docs.loc[d, by])
            groups.setdefault(value, []).append(d)
        for value in sorted(groups):
            strata = [per_doc[d] for d in groups[value]]
            for row in _rate_rows(strata, _group_seed(config.seed, f"{by}:{value}"), config,
                                  categories):
                rows.append({by: value, **row, "n_documents": len(groups[value])})
        columns = [by, *RATE_COLUMNS, "n_documents"]
    return pd.DataFrame(rows, columns=columns)
