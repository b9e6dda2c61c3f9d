"""Matching topics across fits: similarity, Hungarian matching, and stability across seeds."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon

from analysis.topics.models import TopicFit

# --------------------------------------------------------------------------- stability

def topic_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the k_a x k_b matrix of 1 - Jensen-Shannon distance (base 2) between topic rows.

    Two (nearly) equal rows can give a divergence a rounding error below zero, whose square root scipy
    returns as NaN (topics left at their prior on a small corpus do this); their distance is 0."""
    with np.errstate(invalid="ignore"):
        distance = jensenshannon(a[:, None, :], b[None, :, :], axis=2, base=2)
    return 1.0 - np.nan_to_num(distance, nan=0.0)


def match_topics(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Return, for each reference topic, the index of its one-to-one match in `other`.

    Hungarian assignment (`scipy.optimize.linear_sum_assignment`) maximising the summed
    `topic_similarity`.
    """
    sim = topic_similarity(reference, other)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    match = np.empty(len(reference), dtype=int)
    match[rows] = cols
    return match


def stability(fits: list[TopicFit], threshold: float = 0.5) -> pd.DataFrame:
    """Return per topic of the first fit its mean matched similarity across all seed pairs.

    Every fit is aligned to the first one (`match_topics`); for each pair of fits (i < j) the
    similarity of the aligned topics is taken; a topic's `similarity` is the mean over pairs and
    it is `stable` when that mean is >= `threshold`; `similarity_min`, `similarity_max` and
    `similarity_sd` (sample SD; NaN with one pair) give its spread over the `n_pairs` seed pairs.
    With one fit the table is empty.

    Parameters
    ----------
    fits : list of TopicFit
        Fits of one model and one K with different seeds.
    threshold : float, default 0.5
        In similarity units (1 - JS distance, base 2).
    """
    columns = ["model", "k", "topic", "similarity", "similarity_min", "n_pairs", "stable", "similarity_max",
               "similarity_sd"]
    if len(fits) < 2:
        return pd.DataFrame(columns=columns)
    ref = fits[0].topic_word
    aligned = [f.topic_word[match_topics(ref, f.topic_word)] for f in fits]
    sims = np.array([np.diag(topic_similarity(aligned[i], aligned[j]))
                     for i, j in combinations(range(len(fits)), 2)])
    mean = sims.mean(axis=0)
    return pd.DataFrame({"model": fits[0].model, "k": fits[0].k, "topic": np.arange(fits[0].k),
                         "similarity": mean, "similarity_min": sims.min(axis=0), "n_pairs": len(sims),
                         "stable": mean >= threshold, "similarity_max": sims.max(axis=0),
                         "similarity_sd": sims.std(axis=0, ddof=1) if len(sims) > 1 else np.nan},
                        columns=columns)


def align_topics(doc_topics: pd.DataFrame, fixed=()) -> pd.DataFrame:
    """Return `doc_topics` with each seed's topics renumbered to match the first seed's.

    A topic's profile is its share over the paragraphs (normalised to sum 1); the topics of every
    later seed are matched one to one to the first seed's by `match_topics` (Hungarian assignment
    on 1 - Jensen-Shannon distance of the profiles). Topics in `fixed` (the seeded topics of a
    keyword-seeded model) keep their number and take no part in the matching.

    Parameters
    ----------
    doc_topics : pandas.DataFrame
        Columns seed, doc_id, para_id, topic, share (one model and one K).
    fixed : sequence of int, default ()
        Topic numbers that mean the same in every seed.

    Returns
    -------
    pandas.DataFrame
        The same rows with ``topic`` renumbered and the fit's own number in ``topic_fit``.
    """
    table = doc_topics.copy()
    table["topic_fit"] = table["topic"]
    seeds = sorted(table["seed"].unique())
    if len(seeds) < 2:
        return table
    fixed = set(int(t) for t in fixed)

    def profiles(seed):
        wide = (table[table["seed"] == seed].pivot_table(index=["doc_id", "para_id"], columns="topic", values="share")
                .sort_index())
        free = [t for t in wide.columns if int(t) not in fixed]
        m = wide[free].to_numpy(dtype=float).T
        return free, m / np.clip(m.sum(axis=1, keepdims=True), 1e-300, None)

    ref_topics, ref = profiles(seeds[0])
    mapping = {}
    for seed in seeds[1:]:
        topics, other = profiles(seed)
        match = match_topics(ref, other)
        mapping.update({(seed, topics[m]): ref_topics[i] for i, m in enumerate(match)})
    table["topic"] = [mapping.get((s, t), t) for s, t in zip(table["seed"], table["topic_fit"])]
    return table
