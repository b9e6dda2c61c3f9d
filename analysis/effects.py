"""Effects of document covariates (genre, year, ...) on category attention and topic prevalence.

Downstream of `analysis.themes` and `analysis.topics`: it takes their paragraph tables and the
documents table. Covariates are document-level, so documents are the clusters: paragraphs of one
document are not independent observations of a genre or a year.

Categories (`category_effects`)
    Per category, a GLM of the paragraph's match count with offset log(tokens): negative binomial
    (NB2, dispersion estimated; ``method="negbin"``) or Poisson with cluster-robust errors, i.e.
    quasi-Poisson whatever the dispersion (``method="poisson"``). An estimate is a log rate ratio
    (natural log) against the reference level, or per unit of a numeric covariate (per year).
    Standard errors are cluster-robust by document (statsmodels ``cov_type="cluster"``);
    intervals and p use Student's t with n_clusters - 1 degrees of freedom.
Topics (`topic_effects`)
    stm's method of composition (Roberts et al., ``estimateEffect``): topics of every seed's fit
    are first matched to the first seed's (Hungarian, `analysis.topics.align_topics`); for each
    seed and topic an OLS of the paragraph's topic share on the covariates with cluster-robust
    covariance gives a normal approximation of the coefficients, from which `n_draws` draws are
    taken; the draws of all seeds are pooled. Estimate: mean of the draws (difference in mean
    share); interval: percentiles; p: twice the smaller tail share of the draws.

Identification: covariates are constant within a document, so they are estimable only from
between-document differences. Before fitting, the document-level design matrix (one row per
document) is checked; no number is reported (estimate NaN, ``warning`` says why) when
    * its rank is below the number of parameters: some covariates are collinear with each other
      across the documents (with one document per year, each of another genre, year and genre
      cannot be separated), or
    * there are no more documents than parameters: the covariates are collinear with the document
      itself (each document its own pattern), leaving no between-document replication.
With fewer than `MIN_CLUSTERS` documents the numbers are given with a warning (cluster-robust
errors are too small with few clusters).

Columns of the effects table (one row per category or topic and design column, intercept left out):
    term : str            design column (patsy name, e.g. ``genre[T.review]``, ``year``)
    category : str        category name (from the paragraph table), or ``topic <n>`` for topics
    estimate : float      log rate ratio (categories) or difference in share (topics); NaN if not
                          estimable
    std_error : float     cluster-robust standard error (categories) or SD of the pooled draws
    ci_low, ci_high : float  interval at `ci_level`
    p : float             two-sided p-value
    method : str          "negbin", "poisson" or "composition"
    n_clusters : int      documents in the model
    warning : str         "" or why the number is missing or fragile

Columns of the marginal-means table (one row per category, covariate and level):
    covariate : str       a covariate of the formula (a documents column)
    level : str           one of its values among the documents
    category : str        as above
    estimate : float      rate per 1,000 tokens (categories; token-weighted mean over all
                          paragraphs with the covariate set to `level`) or mean topic share
    ci_low, ci_high : float  interval at `ci_level` (from `n_draws` coefficient draws)
    unit : str            "per 1,000 tokens" or "share"
    method, n_clusters, warning  as above
"""
from __future__ import annotations

import re
import warnings
import zlib

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import ParameterError, SchemaError

EFFECT_COLUMNS = ["term", "category", "estimate", "std_error", "ci_low", "ci_high", "p", "method",
                  "n_clusters", "warning"]
MEAN_COLUMNS = ["covariate", "level", "category", "estimate", "ci_low", "ci_high", "unit", "method",
                "n_clusters", "warning"]
METHODS = ("negbin", "poisson")
#: Below this many documents, cluster-robust intervals are reported with a warning.
MIN_CLUSTERS = 20


def _rng(seed: int, key: str) -> np.random.Generator:
    """Return a random stream for one category/topic, independent of which others exist."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(key.encode("utf-8"))]))


def formula_covariates(formula: str, documents: pd.DataFrame) -> list[str]:
    """Return the documents columns a formula uses, in order of first appearance.

    Raises
    ------
    ParameterError
        If the formula has a left-hand side or names no documents column.
    """
    if not isinstance(formula, str) or not formula.strip().startswith("~"):
        raise ParameterError("effects", "formula", f"must be a right-hand side such as '~ genre + year'; got {formula!r}")
    names = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula)
    found = [n for n in dict.fromkeys(names) if n in documents.columns]
    if not found:
        raise ParameterError("effects", "formula", f"names no documents column; got {formula!r}; "
                             f"columns: {', '.join(map(str, documents.columns))}")
    return found


def _documents(documents: pd.DataFrame, doc_ids, covariates: list[str], drop_versions: bool) -> pd.DataFrame:
    docs = documents.copy()
    if drop_versions and "version_of" in docs.columns:
        version = docs["version_of"].fillna("").astype(str).str.strip()
        docs = docs[version == ""]
    docs = docs[docs["doc_id"].isin(set(doc_ids))].sort_values("doc_id").reset_index(drop=True)
    for c in covariates:
        if docs[c].isna().any():
            raise SchemaError(f"effects: documents column {c!r} is empty for "
                              f"{', '.join(docs.loc[docs[c].isna(), 'doc_id'])}")
    return docs


def document_design(documents: pd.DataFrame, formula: str):
    """Return the document-level design matrix of `formula` (patsy DataFrame, one row per document)."""
    import patsy

    try:
        return patsy.dmatrix(formula, documents, return_type="dataframe", NA_action="raise")
    except patsy.PatsyError as exc:
        raise ParameterError("effects", "formula", f"cannot be built from the documents ({str(exc).splitlines()[0]}); "
                             f"got {formula!r}") from None


def identification(design: pd.DataFrame, covariates: list[str]) -> str:
    """Return "" when the document-level design identifies every effect, else the reason it does not.

    Parameters
    ----------
    design : pandas.DataFrame
        Document-level design matrix (one row per document), from `document_design`.
    covariates : list of str
        The formula's covariates, named in the message.
    """
    x = design.to_numpy(dtype=float)
    n_docs, n_par = x.shape
    rank = int(np.linalg.matrix_rank(x))
    if rank < n_par:
        _, s, vt = np.linalg.svd(x, full_matrices=True)
        null = vt[rank:]
        aliased = [design.columns[j] for j in range(n_par) if np.abs(null[:, j]).max() > 1e-8]
        involved = [c for c in covariates if any(re.search(rf"\b{re.escape(c)}\b", a) for a in aliased)]
        names = " and ".join(involved) if len(involved) > 1 else (involved[0] if involved else ", ".join(aliased))
        return (f"not estimable: {names} cannot be separated; across the {n_docs} documents they are collinear "
                f"(document-level design rank {rank} < {n_par} parameters: {', '.join(aliased)})")
    if n_docs <= n_par:
        return (f"not estimable: {n_docs} documents for {n_par} parameters; the covariates "
                f"({', '.join(covariates)}) are collinear with the document itself, so no between-document "
                "replication is left to estimate effects or their errors")
    if n_docs < MIN_CLUSTERS:
        return (f"few clusters: {n_docs} documents; cluster-robust intervals (t, {n_docs - 1} df) may be too narrow")
    return ""


def _blocked(reason: str) -> bool:
    return reason.startswith("not estimable")


def _levels(docs: pd.DataFrame, covariate: str) -> list:
    return sorted(docs[covariate].unique().tolist(), key=lambda v: (str(type(v)), v))


def _counterfactual(design: pd.DataFrame, docs: pd.DataFrame, rows: pd.Series, covariate: str, level):
    """Return the paragraph design with `covariate` set to `level` in every document."""
    import patsy

    changed = docs.copy()
    changed[covariate] = level
    (x,) = patsy.build_design_matrices([design.design_info], changed, return_type="dataframe")
    return x.to_numpy(dtype=float)[rows.to_numpy()]


def _conditioning(x: np.ndarray) -> np.ndarray:
    """Return A such that x @ A has centred, unit-scale columns (beside a column of ones, if any)."""
    k = x.shape[1]
    a = np.eye(k)
    ones = [j for j in range(k) if np.allclose(x[:, j], 1.0)]
    for j in range(k):
        if j in ones:
            continue
        centre = x[:, j].mean() if ones else 0.0
        scale = x[:, j].std() or 1.0
        a[j, j] = 1 / scale
        if ones:
            a[ones[0], j] = -centre / scale
    return a


def _fit_counts(y, x, offset, groups, method: str):
    """Fit one count model; return (params, covariance, converged) of the design columns.

    The fit runs on centred and scaled columns (a year of 2023 beside an intercept would
    stall the optimiser) and is transformed back: beta = A beta_s, cov = A cov_s A'.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
    )

    a = _conditioning(x)
    xs = x @ a
    k = x.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", (ConvergenceWarning, HessianInversionWarning, RuntimeWarning))
        poisson = sm.GLM(y, xs, family=sm.families.Poisson(), offset=offset)
        if method == "negbin":
            model = sm.NegativeBinomial(y, xs, offset=offset, loglike_method="nb2")
            start = np.append(poisson.fit().params, 0.5)
            fit = model.fit(start_params=start, method="bfgs", maxiter=1000, disp=0, cov_type="cluster",
                            cov_kwds={"groups": groups})
            params, cov = np.asarray(fit.params)[:k], np.asarray(fit.cov_params())[:k, :k]
            converged = bool(fit.mle_retvals.get("converged", False))
        else:
            fit = poisson.fit(cov_type="cluster", cov_kwds={"groups": groups})
            params, cov, converged = np.asarray(fit.params), np.asarray(fit.cov_params()), bool(fit.converged)
    return a @ params, a @ cov @ a.T, converged


def _categories(paragraph_table: pd.DataFrame, categories) -> list[str]:
    found = [c[len("count_"):] for c in paragraph_table.columns if c.startswith("count_")]
    if categories is None:
        if "theme" in paragraph_table.columns:     # label order of the table, then the rest
            labelled = [t for t in dict.fromkeys(paragraph_table["theme"].astype(str)) if t in found]
            return sorted(labelled, key=found.index) + [c for c in found if c not in labelled]
        return found
    missing = [c for c in categories if c not in found]
    if missing:
        raise SchemaError(f"category_effects: the paragraph table has no count_ column for {', '.join(missing)}")
    return list(categories)


def category_effects(paragraph_table: pd.DataFrame, documents: pd.DataFrame, formula: str = "~ genre + year",
                     method: str = "negbin", categories=None, ci_level: float = 0.95, n_draws: int = 2000,
                     seed: int = 12345, drop_versions: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimate the effect of document covariates on each category's match rate.

    Parameters
    ----------
    paragraph_table : pandas.DataFrame
        One row per analysed paragraph: doc_id, n_tokens (word tokens) and one ``count_<category>``
        column per category (`analysis.themes.score_paragraphs`).
    documents : pandas.DataFrame
        The documents table; the formula's covariates are its columns.
    formula : str, default "~ genre + year"
        patsy right-hand side; numeric columns enter linearly (write ``C(year)`` for levels).
    method : {"negbin", "poisson"}, default "negbin"
        NB2 GLM, or Poisson GLM with cluster-robust errors (quasi-Poisson).
    categories : list of str, optional
        Default: every ``count_`` column of the table.
    ci_level : float, default 0.95
    n_draws : int, default 2000
        Coefficient draws for the marginal means' intervals.
    seed : int, default 12345
        Seeds the draws (one stream per category).
    drop_versions : bool, default True
        Leave out documents that are another version of one in the table (``version_of`` set), so
        that no text counts twice.

    Returns
    -------
    effects, means : pandas.DataFrame
        Columns in the module docstring; estimates are natural-log rate ratios, means are
        matches per 1,000 tokens.
    """
    _check_category_args(paragraph_table, method, ci_level)
    cats = _categories(paragraph_table, categories)
    covariates = formula_covariates(formula, documents)
    docs = _documents(documents, paragraph_table["doc_id"], covariates, drop_versions)
    paras = paragraph_table[paragraph_table["doc_id"].isin(set(docs["doc_id"])) & (paragraph_table["n_tokens"] > 0)]
    if paras.empty:
        raise SchemaError("category_effects: no paragraph with tokens belongs to the documents")
    design = document_design(docs, formula)
    reason = identification(design, covariates)
    rows = paras["doc_id"].map(dict(zip(docs["doc_id"], range(len(docs))))).reset_index(drop=True)
    x = design.to_numpy(dtype=float)[rows.to_numpy()]
    tokens = paras["n_tokens"].to_numpy(dtype=float)
    crit = stats.t.ppf(0.5 + ci_level / 2, max(len(docs) - 1, 1))
    effect_rows, mean_rows = [], []
    for cat in cats:
        params, cov, note = _fit_category(paras[f"count_{cat}"].to_numpy(dtype=float), x, np.log(tokens),
                                          rows.to_numpy(), method, cat, reason)
        effect_rows += _count_effect_rows(design.columns, params, cov, crit, cat, method, len(docs), note)
        draws = None
        if not _blocked(note):
            draws = _rng(seed, cat).multivariate_normal(params, cov, size=n_draws, method="svd")
        mean_rows += _rate_means(design, docs, rows, tokens, covariates, params, draws, ci_level,
                                 (cat, method, len(docs), note))
    return (pd.DataFrame(effect_rows, columns=EFFECT_COLUMNS), pd.DataFrame(mean_rows, columns=MEAN_COLUMNS))


def _check_category_args(paragraph_table: pd.DataFrame, method: str, ci_level: float) -> None:
    """Check `category_effects`'s method, ci_level and the paragraph table's doc_id and n_tokens columns."""
    if method not in METHODS:
        raise ParameterError("category_effects", "method", f"must be one of {', '.join(METHODS)}; got {method!r}")
    if not 0 < ci_level < 1:
        raise ParameterError("category_effects", "ci_level", f"must be in (0, 1); got {ci_level!r}")
    for col in ("doc_id", "n_tokens"):
        if col not in paragraph_table.columns:
            raise SchemaError(f"category_effects: the paragraph table lacks column {col!r}")


def _fit_category(y, x, offset, groups, method: str, cat: str, reason: str):
    """Return (params, covariance, warning) of one category's count model: NaN where it is not estimable
    (`reason` blocks it, no match, or no finite estimate), the warning saying why or that it did not converge."""
    note = reason
    if not _blocked(reason) and y.sum() == 0:
        note = f"not estimable: no match of {cat} in these documents"
    if _blocked(note):
        return np.full(x.shape[1], np.nan), np.full((x.shape[1], x.shape[1]), np.nan), note
    params, cov, converged = _fit_counts(y, x, offset, groups, method)
    if not (np.isfinite(params).all() and np.isfinite(cov).all()):
        # e.g. a category matched at one level of a covariate only: the estimate runs to infinity
        note = f"not estimable: the {method} fit gave no finite estimate for {cat}"
        return np.full(x.shape[1], np.nan), np.full((x.shape[1], x.shape[1]), np.nan), note
    if not converged:
        note = "; ".join(filter(None, [note, f"the {method} fit did not converge"]))
    return params, cov, note


def _count_effect_rows(terms, params, cov, crit: float, cat: str, method: str, n_clusters: int,
                       note: str) -> list[dict]:
    """Return the effects rows of one category: one per design column but the intercept, the interval
    params +- crit x SE and p from Student's t with n_clusters - 1 degrees of freedom."""
    se = np.sqrt(np.diag(cov))
    tval = params / se
    out = []
    for j, term in enumerate(terms):
        if term == "Intercept":
            continue
        out.append({"term": term, "category": cat, "estimate": params[j], "std_error": se[j],
                    "ci_low": params[j] - crit * se[j], "ci_high": params[j] + crit * se[j],
                    "p": 2 * stats.t.sf(np.abs(tval[j]), max(n_clusters - 1, 1)),
                    "method": method, "n_clusters": n_clusters, "warning": note})
    return out


def _rate_means(design, docs, rows, tokens, covariates, params, draws, ci_level: float, row_facts) -> list[dict]:
    """Return the marginal-means rows of one category (matches per 1,000 tokens per covariate level; NaN
    without `draws`); `row_facts` is (category, method, n_clusters, warning)."""
    cat, method, n_clusters, note = row_facts
    out = []
    for covariate in covariates:
        for level in _levels(docs, covariate):
            est = low = high = np.nan
            if draws is not None:
                xc = _counterfactual(design, docs, rows, covariate, level)
                rate = lambda b: 1000 * (tokens[:, None] * np.exp(xc @ b)).sum(axis=0) / tokens.sum()  # noqa: E731
                est = float(rate(params[:, None])[0])
                low, high = np.quantile(rate(draws.T), [0.5 - ci_level / 2, 0.5 + ci_level / 2])
            out.append({"covariate": covariate, "level": str(level), "category": cat, "estimate": est,
                        "ci_low": low, "ci_high": high, "unit": "per 1,000 tokens", "method": method,
                        "n_clusters": n_clusters, "warning": note})
    return out


def topic_effects(doc_topics: pd.DataFrame, documents: pd.DataFrame, formula: str = "~ genre + year",
                  fixed_topics=(), ci_level: float = 0.95, n_draws: int = 500, seed: int = 12345,
                  drop_versions: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimate covariate effects on topic prevalence by the method of composition (stm).

    Parameters
    ----------
    doc_topics : pandas.DataFrame
        `TopicsResult.doc_topics` of ONE model and K (columns model, k, seed, doc_id, para_id,
        topic, share), with two or more seeds for the composition to mean anything.
    documents : pandas.DataFrame
    formula : str, default "~ genre + year"
    fixed_topics : sequence of int, default ()
        Topics that keep their index across seeds (the seeded topics of a keyword-seeded model);
        the others are matched to the first seed's (`analysis.topics.align_topics`).
    ci_level : float, default 0.95
    n_draws : int, default 500
        Coefficient draws per seed and topic.
    seed : int, default 12345
    drop_versions : bool, default True

    Returns
    -------
    effects, means : pandas.DataFrame
        Columns in the module docstring; estimates are differences in mean topic share (0-1) and
        means are topic shares.
    """
    from analysis.topics import align_topics

    if doc_topics[["model", "k"]].drop_duplicates().shape[0] != 1:
        raise ParameterError("topic_effects", "doc_topics", "must hold one model and one K; "
                             "filter it first (e.g. doc_topics.query(\"model == 'seeded' and k == 6\"))")
    covariates = formula_covariates(formula, documents)
    aligned = align_topics(doc_topics, fixed=fixed_topics)
    docs = _documents(documents, aligned["doc_id"], covariates, drop_versions)
    aligned = aligned[aligned["doc_id"].isin(set(docs["doc_id"]))]
    design = document_design(docs, formula)
    reason = identification(design, covariates)
    seeds = sorted(aligned["seed"].unique())
    q = [0.5 - ci_level / 2, 0.5 + ci_level / 2]
    effect_rows, mean_rows = [], []
    for topic in sorted(aligned["topic"].unique()):
        name = f"topic {topic}"
        pooled, mean_draws = [], {}
        if not _blocked(reason):
            pooled, mean_draws = _composition_draws(aligned, topic, name, design, docs, covariates, seeds, seed,
                                                    n_draws)
        row_facts = (name, len(docs), reason)
        effect_rows += _composition_effects(design.columns, np.vstack(pooled) if pooled else None, q, row_facts)
        mean_rows += _composition_means(docs, covariates, mean_draws, q, row_facts)
    return (pd.DataFrame(effect_rows, columns=EFFECT_COLUMNS), pd.DataFrame(mean_rows, columns=MEAN_COLUMNS))


def _composition_draws(aligned, topic, name: str, design, docs, covariates, seeds, seed: int,
                       n_draws: int) -> tuple[list[np.ndarray], dict]:
    """Return one topic's coefficient draws per fit seed (`n_draws` x design columns each, from a cluster-robust
    OLS of the paragraph's share, stream `_rng(seed, "<name>/<fit seed>")`) and, per (covariate, level), the
    draws of the mean share with the covariate set to that level (one array per fit seed)."""
    import statsmodels.api as sm

    index = {d: i for i, d in enumerate(docs["doc_id"])}
    pooled, mean_draws = [], {}
    for s in seeds:
        part = aligned[(aligned["seed"] == s) & (aligned["topic"] == topic)].sort_values(["doc_id", "para_id"])
        rows = part["doc_id"].map(index).reset_index(drop=True)
        x = design.to_numpy(dtype=float)[rows.to_numpy()]
        fit = sm.OLS(part["share"].to_numpy(dtype=float), x).fit(cov_type="cluster",
                                                                  cov_kwds={"groups": rows.to_numpy()})
        draws = _rng(seed, f"{name}/{s}").multivariate_normal(np.asarray(fit.params), np.asarray(fit.cov_params()),
                                                              size=n_draws, method="svd")
        pooled.append(draws)
        for covariate in covariates:
            for level in _levels(docs, covariate):
                xc = _counterfactual(design, docs, rows, covariate, level)
                mean_draws.setdefault((covariate, level), []).append((xc @ draws.T).mean(axis=0))
    return pooled, mean_draws


def _composition_effects(terms, pooled, q: list[float], row_facts) -> list[dict]:
    """Return the effects rows of one topic from its pooled draws (None: NaN): mean, SD, percentile interval
    at `q`, p twice the smaller tail share; `row_facts` is (category, n_clusters, warning)."""
    name, n_clusters, reason = row_facts
    out = []
    for j, term in enumerate(terms):
        if term == "Intercept":
            continue
        if pooled is None:
            est = sd = low = high = p = np.nan
        else:
            d = pooled[:, j]
            est, sd = float(d.mean()), float(d.std(ddof=1))
            low, high = np.quantile(d, q)
            p = float(min(1.0, 2 * min((d > 0).mean(), (d < 0).mean()) + 1 / len(d)))
        out.append({"term": term, "category": name, "estimate": est, "std_error": sd, "ci_low": low,
                    "ci_high": high, "p": p, "method": "composition", "n_clusters": n_clusters,
                    "warning": reason})
    return out


def _composition_means(docs, covariates, mean_draws: dict, q: list[float], row_facts) -> list[dict]:
    """Return the marginal-means rows of one topic (mean share per covariate level, percentile interval at `q`;
    NaN without draws); `row_facts` is (category, n_clusters, warning)."""
    name, n_clusters, reason = row_facts
    out = []
    for covariate in covariates:
        for level in _levels(docs, covariate):
            est = low = high = np.nan
            if (covariate, level) in mean_draws:
                d = np.concatenate(mean_draws[(covariate, level)])
                est, (low, high) = float(d.mean()), np.quantile(d, q)
            out.append({"covariate": covariate, "level": str(level), "category": name, "estimate": est,
                        "ci_low": low, "ci_high": high, "unit": "share", "method": "composition",
                        "n_clusters": n_clusters, "warning": reason})
    return out

