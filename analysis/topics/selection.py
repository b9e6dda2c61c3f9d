"""Choosing the number of topics: coherence and the preferred K."""
from __future__ import annotations

import numpy as np
import pandas as pd
from gensim.models import CoherenceModel

from analysis.topics.bag import BagOfWords
from analysis.topics.labels import _top
from analysis.topics.models import TopicFit

COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")


# --------------------------------------------------------------------------- selection

def coherence(fits: list[TopicFit], bag: BagOfWords, top_n: int) -> pd.DataFrame:
    """Return the mean topic coherence of each fit (columns model, k, seed, c_v, c_npmi, u_mass).

    One gensim `CoherenceModel` per measure scores the `top_n` terms of all topics of all fits at
    once (c_v and c_npmi on sliding windows of the paragraph term lists, u_mass on paragraph
    co-occurrence in the bag); a fit's value is the mean over its topics.
    """
    topics = [[str(bag.vocab[i]) for i in row] for f in fits for row in _top(f.topic_word, top_n)]
    per_topic = {}
    for measure in COHERENCE_MEASURES:
        cm = CoherenceModel(topics=topics, texts=bag.texts, corpus=bag.bow, dictionary=bag.dictionary,
                            coherence=measure, topn=top_n, processes=1)
        per_topic[measure] = np.asarray(cm.get_coherence_per_topic(), dtype=np.float64)
    rows, start = [], 0
    for f in fits:
        row = {"model": f.model, "k": f.k, "seed": f.seed}
        for measure in COHERENCE_MEASURES:
            row[measure] = float(np.nanmean(per_topic[measure][start:start + f.k]))
        rows.append(row)
        start += f.k
    return pd.DataFrame(rows)


def preferred_k(selection: pd.DataFrame) -> pd.DataFrame:
    """Return per model and criterion the K with the best mean over seeds, with its spread over seeds.

    ``value`` is the mean over the fit seeds at that K; ``value_sd`` (sample standard deviation),
    ``value_min``, ``value_max`` its spread and ``n_seeds`` how many seeds it rests on.

    Coherence (c_v, c_npmi, u_mass): highest is best; perplexity: lowest is best.
    """
    rows = []
    for model, sub in selection.groupby("model", sort=False):
        grouped = sub.groupby("k")[[*COHERENCE_MEASURES, "perplexity"]]
        means, spread = grouped.mean(), grouped.agg(["std", "min", "max", "count"])
        for criterion in [*COHERENCE_MEASURES, "perplexity"]:
            col = means[criterion].dropna()
            if col.empty:
                continue
            better = "min" if criterion == "perplexity" else "max"
            k = int(col.idxmin() if better == "min" else col.idxmax())
            rows.append({"model": model, "criterion": criterion, "k": k, "value": float(col[k]),
                         "better": better, "value_sd": float(spread.loc[k, (criterion, "std")]),
                         "value_min": float(spread.loc[k, (criterion, "min")]),
                         "value_max": float(spread.loc[k, (criterion, "max")]),
                         "n_seeds": int(spread.loc[k, (criterion, "count")])})
    return pd.DataFrame(rows, columns=PREFERRED_COLUMNS)


PREFERRED_COLUMNS = ["model", "criterion", "k", "value", "better", "value_sd", "value_min", "value_max", "n_seeds"]
