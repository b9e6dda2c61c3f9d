"""A placebo for the seeded model: the same fit seeded with random words of matched frequency.

The seeded model always returns one topic per theme, whatever its seed words: part of its share
and of its agreement with the dictionary comes from the seeding itself. `seeded_placebo` refits it
with seed words drawn at random from the vocabulary, each matched in corpus frequency to one real
seed word, and reports each theme topic's share and the agreement beside the real seeding's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import TopicsConfig
from analysis.intervals import kappa_from_codes
from analysis.streams import group_rng
from analysis.topics.bag import BagOfWords
from analysis.topics.mapping import OTHER, label_mass, topic_theme_table
from analysis.topics.models import TopicFit, fit_topics

PLACEBO_COLUMNS = ["model", "k", "source", "draw", "seed", "theme", "seed_terms", "topic_share", "kappa",
                   "theme_kappa"]

#: Frequency bins of the matching: deciles of log corpus frequency.
N_BINS = 10


def placebo_terms(bag: BagOfWords, theme_terms: dict[str, list[str]], rng: np.random.Generator) -> dict[str, list[str]]:
    """Return random seed terms: for each real seed term, a term of the same frequency decile.

    Candidates are vocabulary terms that seed no theme; each is used at most once per draw (when a
    decile runs out, the nearest decile with candidates left is used).
    """
    freq = np.asarray(bag.matrix.sum(axis=0)).ravel().astype(float)
    edges = np.quantile(np.log(freq), np.linspace(0, 1, N_BINS + 1)[1:-1])
    bins = np.searchsorted(edges, np.log(freq), side="right")
    vocab = [str(t) for t in bag.vocab]
    index = {t: i for i, t in enumerate(vocab)}
    real = {t for terms in theme_terms.values() for t in terms}
    pools = {b: [i for i in rng.permutation(np.flatnonzero(bins == b)) if vocab[i] not in real] for b in range(N_BINS)}
    out: dict[str, list[str]] = {}
    for theme, terms in theme_terms.items():
        chosen = []
        for term in terms:
            if term not in index:
                continue
            b = int(bins[index[term]])
            near = sorted((abs(c - b), c) for c in pools if pools[c])
            if near:
                chosen.append(vocab[pools[near[0][1]].pop()])
        out[theme] = sorted(chosen)
    return out


def _rows(fit: TopicFit, bag: BagOfWords, theme_terms, used_terms, dictionary: np.ndarray, once: np.ndarray,
          config: TopicsConfig, source: str, draw: int) -> list[dict]:
    """Rows of one fit: each theme topic's share, and agreement of its labels with the dictionary's."""
    categories = [*theme_terms, OTHER]
    themes_of_topics = topic_theme_table(fit, bag, theme_terms, config)["theme"].tolist()
    labels = np.argmax(label_mass(fit, themes_of_topics, categories), axis=1)
    weights = bag.paragraphs["n_terms"].to_numpy(dtype=float)
    share = weights[once] @ fit.doc_topic[once] / weights[once].sum()
    known = once & (dictionary >= 0)
    kappa = float(kappa_from_codes(dictionary[known], labels[known], len(categories)))
    rows = []
    for i, theme in enumerate(theme_terms):
        binary = float(kappa_from_codes((dictionary[known] == i).astype(int), (labels[known] == i).astype(int), 2))
        rows.append({"model": "seeded", "k": fit.k, "source": source, "draw": draw, "seed": fit.seed,
                     "theme": theme, "seed_terms": "; ".join(used_terms[theme]), "topic_share": float(share[i]),
                     "kappa": kappa, "theme_kappa": binary})
    return rows


def seeded_placebo(bag: BagOfWords, theme_terms: dict[str, list[str]], dictionary_labels: pd.DataFrame,
                   k: int, seeds: list[int], n_draws: int, config: TopicsConfig, root_seed: int) -> pd.DataFrame:
    """Return the seeded model's theme-topic shares and agreement, real seeding beside placebo draws.

    The real seeding is fitted once per fit seed in `seeds`; placebo draw d (1..n_draws) draws
    its seed words with ``group_rng(root_seed, "placebo:<d>")`` (`placebo_terms`) and is fitted
    with fit seed ``seeds[(d - 1) % len(seeds)]``. Topics are mapped and paragraphs labelled
    exactly as for the real seeded model (seeded topics by construction, free topics by lift on
    the real lexicon). Shares and kappas pool the paragraphs that count once (version rule).

    Returns
    -------
    DataFrame
        Columns `PLACEBO_COLUMNS` (documented in the package docstring).
    """
    real = [fit_topics(bag, "seeded", k, seed, config, theme_terms, warn=False) for seed in seeds]
    seedings = placebo_seedings(bag, theme_terms, n_draws, root_seed)
    fits = [fit_topics(bag, "seeded", k, seeds[(d - 1) % len(seeds)], config, fake, warn=False)
            for d, fake in enumerate(seedings, start=1)]
    return placebo_table(bag, theme_terms, dictionary_labels, real, fits, seedings, config)


def placebo_seedings(bag: BagOfWords, theme_terms: dict[str, list[str]], n_draws: int,
                     root_seed: int) -> list[dict[str, list[str]]]:
    """Return the seed terms of placebo draws 1..n_draws (`placebo_terms` on ``group_rng(root_seed, "placebo:<d>")``)."""
    return [placebo_terms(bag, theme_terms, group_rng(root_seed, f"placebo:{d}")) for d in range(1, n_draws + 1)]


def placebo_table(bag: BagOfWords, theme_terms: dict[str, list[str]], dictionary_labels: pd.DataFrame,
                  real: list[TopicFit], draws: list[TopicFit], seedings: list[dict[str, list[str]]],
                  config: TopicsConfig) -> pd.DataFrame:
    """Return the `seeded_placebo` table of fits already made: `real` (the lexicon's seeding, one per
    fit seed) and `draws` (draw d seeded with ``seedings[d - 1]``)."""
    categories = [*theme_terms, OTHER]
    dic = dictionary_labels.assign(doc_id=dictionary_labels["doc_id"].astype(str))
    key = bag.paragraphs[["doc_id", "para_id"]].merge(dic[["doc_id", "para_id", "theme"]], on=["doc_id", "para_id"],
                                                      how="left")
    theme = key["theme"].astype(object).where(key["theme"].isin(categories), OTHER).where(key["theme"].notna(), None)
    dictionary = np.array([categories.index(t) if t is not None else -1 for t in theme], dtype=np.int64)
    once = bag.paragraphs["counts_once"].to_numpy(dtype=bool) if "counts_once" in bag.paragraphs \
        else np.ones(len(bag.paragraphs), dtype=bool)
    rows = []
    for fit in real:
        rows += _rows(fit, bag, theme_terms, theme_terms, dictionary, once, config, "lexicon", 0)
    for draw, (fit, fake) in enumerate(zip(draws, seedings), start=1):
        rows += _rows(fit, bag, theme_terms, fake, dictionary, once, config, "placebo", draw)
    return pd.DataFrame(rows, columns=PLACEBO_COLUMNS)


def placebo_summary(placebo: pd.DataFrame) -> pd.DataFrame:
    """Return per theme the lexicon seeding's mean share and kappas beside the placebo draws' mean and range."""
    agg = placebo.groupby(["source", "theme"], sort=False)[["topic_share", "kappa", "theme_kappa"]].agg(["mean", "min", "max"])
    agg.columns = [f"{a}_{b}" for a, b in agg.columns]
    wide = agg.reset_index().pivot(index="theme", columns="source")
    wide.columns = [f"{source}_{name}" for name, source in wide.columns]
    return wide.reindex(list(dict.fromkeys(placebo["theme"]))).reset_index()
