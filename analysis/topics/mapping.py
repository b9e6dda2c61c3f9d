"""Mapping topics to themes, theme shares and agreement with the dictionary."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import TopicsConfig
from analysis.intervals import kappa_interval
from analysis.streams import group_rng
from analysis.topics.bag import BagOfWords
from analysis.topics.models import TopicFit

OTHER = "other"


THEME_SHARE_COLUMNS = ["model", "k", "level", "unit", "theme", "share", "seed_min", "seed_max",
                       "share_ci_low", "share_ci_high", "n_paragraphs", "n_terms"]


AGREEMENT_COLUMNS = ["model", "k", "level", "unit", "theme", "n_paragraphs", "agreement", "kappa",
                     "dictionary_share", "model_share", "kappa_ci_low", "kappa_ci_high", "note"]

#: The note on every agreement row of the seeded model.
NOT_INDEPENDENT = "not independent validation: the seeded model is seeded with the dictionary's lexicon"


# --------------------------------------------------------------------------- themes

def topic_theme_table(fit: TopicFit, bag: BagOfWords, theme_terms: dict[str, list[str]],
                      config: TopicsConfig) -> pd.DataFrame:
    """Return each topic's theme, mass and lift on every theme's lexicon terms.

    mass = sum of p(term | topic) over the theme's terms; lift = mass / (the theme terms' share
    of all tokens of the bag). A topic maps to the theme of largest lift if that lift is
    >= `theme_min_lift` and beats the second largest by `theme_margin`, else to "other"; seeded
    topics map to their theme by construction. `score` is the mass on the mapped theme (0 for
    "other").
    """
    themes = list(theme_terms)
    index = {t: i for i, t in enumerate(map(str, bag.vocab))}
    totals = np.asarray(bag.matrix.sum(axis=0)).ravel()
    totals = totals / totals.sum()
    mass = np.zeros((fit.k, len(themes)))
    lift = np.zeros((fit.k, len(themes)))
    for j, theme in enumerate(themes):
        ids = [index[t] for t in theme_terms[theme] if t in index]
        mass[:, j] = fit.topic_word[:, ids].sum(axis=1)
        base = totals[ids].sum()
        lift[:, j] = mass[:, j] / base if base > 0 else 0.0
    labels, scores = [], []
    for t in range(fit.k):
        if t < len(fit.seeded_themes):
            j = themes.index(fit.seeded_themes[t])
        else:
            order = np.argsort(-lift[t], kind="stable")
            best = order[0]
            second = lift[t, order[1]] if len(order) > 1 else 0.0
            ok = lift[t, best] >= config.theme_min_lift and lift[t, best] - second >= config.theme_margin
            j = best if ok else None
        labels.append(themes[j] if j is not None else OTHER)
        scores.append((float(mass[t, j]), float(lift[t, j])) if j is not None else (0.0, 0.0))
    table = pd.DataFrame({"model": fit.model, "k": fit.k, "seed": fit.seed, "topic": np.arange(fit.k),
                          "theme": labels, "score": [s[0] for s in scores], "lift": [s[1] for s in scores]})
    for j, theme in enumerate(themes):
        table[f"mass_{theme}"] = mass[:, j]
    for j, theme in enumerate(themes):
        table[f"lift_{theme}"] = lift[:, j]
    table["seeded"] = np.arange(fit.k) < len(fit.seeded_themes)
    return table


def mapped_mass(fit: TopicFit, topic_themes: list[str], categories: list[str]) -> np.ndarray:
    """Return n_paragraphs x len(categories): doc-topic shares summed over each category's topics."""
    onehot = np.zeros((fit.k, len(categories)))
    for t, theme in enumerate(topic_themes):
        onehot[t, categories.index(theme)] = 1.0
    return fit.doc_topic @ onehot


def label_mass(fit: TopicFit, topic_themes: list[str], categories: list[str]) -> np.ndarray:
    """Return n_paragraphs x len(categories) masses for labelling paragraphs.

    As `mapped_mass` for the themes, but the "other" column holds the largest share of any
    single unmapped topic, not their sum: pooled, the unmapped topics (often most of the K) would
    win by their number alone.
    """
    out = mapped_mass(fit, topic_themes, categories)
    other = [t for t, theme in enumerate(topic_themes) if theme == OTHER]
    j = categories.index(OTHER)
    out[:, j] = fit.doc_topic[:, other].max(axis=1) if other else 0.0
    return out


def _weighted_share(values: np.ndarray, weights: np.ndarray, groups: np.ndarray, units) -> np.ndarray:
    """Token-weighted mean of `values` (n x c) within each unit: len(units) x c."""
    out = np.zeros((len(units), values.shape[1]))
    for u, unit in enumerate(units):
        m = groups == unit
        out[u] = weights[m] @ values[m] / weights[m].sum()
    return out


def theme_shares(masses: list[np.ndarray], bag: BagOfWords, categories: list[str], model: str, k: int,
                 n_bootstrap: int, seed: int, ci_level: float = 0.95) -> pd.DataFrame:
    """Return document- and year-level theme shares with seed range and bootstrap interval.

    Year rows pool only paragraphs with ``counts_once`` (`analysis.corpus.VERSION_RULE`).

    Parameters
    ----------
    masses : list of numpy.ndarray
        One n_paragraphs x categories mapped-mass matrix per seed (one entry for a dictionary).
    bag : BagOfWords
        Paragraph keys and weights (`n_terms`).
    categories : list of str
        Column names of the masses (themes then "other").
    n_bootstrap : int
        Paragraph bootstrap resamples within each unit, of the seed-mean masses (>= 1000); the
        interval is the percentile interval at `ci_level`. A year's resamples are stratified by
        document (each document keeps its number of paragraphs), as the dictionary's year rows are.
    seed : int
        Each unit draws from its own stream, ``group_rng(seed, "theme_shares:<model>:<level>:<unit>")``,
        so a unit's interval does not move when documents are added or removed.
    """

    weights = bag.paragraphs["n_terms"].to_numpy(dtype=np.float64)
    mean_mass = np.mean(masses, axis=0)
    rows = []
    once = bag.paragraphs["counts_once"].to_numpy(dtype=bool) if "counts_once" in bag.paragraphs \
        else np.ones(len(bag.paragraphs), dtype=bool)
    documents = bag.paragraphs["doc_id"].to_numpy().astype(str)
    for level, column in (("document", "doc_id"), ("year", "year")):
        groups = bag.paragraphs[column].to_numpy().astype(object)
        if level == "year":                       # one text counts once (analysis.corpus.VERSION_RULE)
            groups = np.where(once, groups, None)
        units = sorted(set(groups.tolist()) - {None})
        per_seed = np.array([_weighted_share(m, weights, groups, units) for m in masses])
        share = _weighted_share(mean_mass, weights, groups, units)
        for u, unit in enumerate(units):
            idx = np.flatnonzero(groups == unit)
            rng = group_rng(seed, f"theme_shares:{model}:{level}:{unit}")
            drawn = _stratified_draws(rng, idx, documents[idx], n_bootstrap)
            w = weights[drawn]
            boot = np.einsum("bn,bnc->bc", w, mean_mass[drawn]) / w.sum(axis=1, keepdims=True)
            low, high = np.percentile(boot, [50 * (1 - ci_level), 50 * (1 + ci_level)], axis=0)
            for c, theme in enumerate(categories):
                rows.append({"model": model, "k": k, "level": level, "unit": str(unit), "theme": theme,
                             "share": share[u, c], "seed_min": per_seed[:, u, c].min(),
                             "seed_max": per_seed[:, u, c].max(), "share_ci_low": low[c],
                             "share_ci_high": high[c], "n_paragraphs": len(idx),
                             "n_terms": int(weights[idx].sum())})
    return pd.DataFrame(rows, columns=THEME_SHARE_COLUMNS)


def _stratified_draws(rng: np.random.Generator, idx: np.ndarray, strata: np.ndarray, n_boot: int) -> np.ndarray:
    """Return an n_boot x len(idx) array of row numbers: each stratum's rows resampled with replacement
    within the stratum (strata in sorted order, one `rng` call each; one stratum: one call over `idx`)."""
    parts = []
    for stratum in sorted(set(strata.tolist())):
        rows = idx[strata == stratum]
        parts.append(rows[rng.integers(0, len(rows), size=(n_boot, len(rows)))])
    return np.concatenate(parts, axis=1)


def agreement(labels: pd.DataFrame, dictionary_labels: pd.DataFrame, bag: BagOfWords,
              categories: list[str], k_by_model: dict[str, int], seed: int = 0, n_boot: int = 1000,
              ci_level: float = 0.95) -> pd.DataFrame:
    """Return Cohen's kappa and raw agreement of each model's paragraph labels with the dictionary's.

    Dictionary labels outside the categories (e.g. "none") count as "other"; paragraphs missing
    from either side are left out. The pooled row (level "all") leaves out second versions of a
    text (``bag.paragraphs.counts_once``, `analysis.corpus.VERSION_RULE`); per-document rows keep them. Per document: kappa, agreement, and per theme the token-weighted
    share of paragraphs the dictionary labels with it (`dictionary_share`) beside the same share of
    the model's labels (`model_share`).

    Kappa rows carry a paragraph-bootstrap interval (`analysis.intervals.kappa_interval`,
    `n_boot` replicates, level `ci_level`, stream ``group_rng(seed, "kappa:<model>:<unit>")``).
    Rows of the seeded model carry `NOT_INDEPENDENT` in ``note``.

    Parameters
    ----------
    labels : pandas.DataFrame
        model, doc_id, para_id, theme (`paragraph_themes`).
    dictionary_labels : pandas.DataFrame
        doc_id, para_id, theme.
    """
    dic = dictionary_labels[["doc_id", "para_id", "theme"]].copy()
    dic["doc_id"] = dic["doc_id"].astype(str)
    dic["para_id"] = dic["para_id"].astype("int64")
    dic["theme"] = dic["theme"].astype(str).where(dic["theme"].astype(str).isin(categories), OTHER)
    weights = bag.paragraphs[["doc_id", "para_id", "n_terms", *(["counts_once"] if "counts_once" in bag.paragraphs else [])]]
    rows = []

    def kappa(a, b, model, unit) -> dict:
        k, low, high = kappa_interval(a, b, categories, group_rng(seed, f"kappa:{model}:{unit}"), n_boot, ci_level)
        return {"kappa": k, "kappa_ci_low": low, "kappa_ci_high": high,
                "note": NOT_INDEPENDENT if model == "seeded" else ""}

    for model, sub in labels.groupby("model", sort=False):
        both = sub.merge(dic, on=["doc_id", "para_id"], suffixes=("_model", "_dictionary")).merge(
            weights, on=["doc_id", "para_id"])
        pooled = both[both["counts_once"]] if "counts_once" in both else both   # VERSION_RULE
        a, b = pooled["theme_dictionary"].to_numpy(), pooled["theme_model"].to_numpy()
        rows.append({"model": model, "k": k_by_model[model], "level": "all", "unit": "all", "theme": "all",
                     "n_paragraphs": len(pooled), "agreement": float(np.mean(a == b)) if len(pooled) else np.nan,
                     **kappa(a, b, model, "all")})
        for doc_id, d in both.groupby("doc_id", sort=True):
            a, b = d["theme_dictionary"].to_numpy(), d["theme_model"].to_numpy()
            rows.append({"model": model, "k": k_by_model[model], "level": "document", "unit": doc_id,
                         "theme": "all", "n_paragraphs": len(d), "agreement": float(np.mean(a == b)),
                         **kappa(a, b, model, doc_id)})
            w = d["n_terms"].to_numpy(dtype=np.float64)
            for theme in categories:
                rows.append({"model": model, "k": k_by_model[model], "level": "document", "unit": doc_id,
                             "theme": theme, "n_paragraphs": len(d),
                             "dictionary_share": float(w @ (a == theme) / w.sum()),
                             "model_share": float(w @ (b == theme) / w.sum())})
    table = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    table["note"] = np.where(table["model"] == "seeded", NOT_INDEPENDENT, "")
    return table
