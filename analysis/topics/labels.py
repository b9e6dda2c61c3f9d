"""Topic labels: top terms, FREX and typical paragraphs."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from analysis.topics.models import TopicFit

SNIPPET_CHARS = 160


# --------------------------------------------------------------------------- labels

def frex(topic_word: np.ndarray, weight: float = 0.5, word_counts: np.ndarray | None = None) -> np.ndarray:
    """Return stm's FREX score of every term in every topic (k x V, each value in (0, 1]).

    FREX = 1 / (weight / ECDF(exclusivity) + (1 - weight) / ECDF(frequency)), with frequency
    = p(term | topic), exclusivity = p(term | topic) / sum over topics of p(term | topic) and
    ECDF(x_v) = (number of the topic's V values <= x_v) / V (stm ``calcfrex``). With
    `word_counts` (corpus count of each term) each term's exclusivity is shrunk towards the
    uniform 1 / k by stm's James-Stein estimate (``js.estimate``, what ``labelTopics`` does):
    lambda = sum(p (1 - p) / (count - 1)) / sum((p - 1/k)^2), clipped to [0, 1]; a term seen once
    gets the uniform value. Rare terms then stop looking exclusive by chance.

    Examples
    --------
    >>> s = frex(np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]))
    >>> [int(np.argmax(r)) for r in s]
    [0, 2]
    >>> b = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])     # the last term is seen twice
    >>> float(frex(b)[1, 3]), round(float(frex(b, word_counts=np.array([100, 100, 100, 2]))[1, 3]), 3)
    (1.0, 0.857)
    """
    beta = np.asarray(topic_word, dtype=np.float64)
    excl = beta / beta.sum(axis=0, keepdims=True)
    if word_counts is not None:
        excl = _js_shrink(excl, np.asarray(word_counts, dtype=np.float64))
    v = beta.shape[1]
    freq_rank = np.vstack([rankdata(row, method="max") / v for row in beta])
    excl_rank = np.vstack([rankdata(row, method="max") / v for row in excl])
    return 1.0 / (weight / excl_rank + (1 - weight) / freq_rank)


def _js_shrink(excl: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """stm's ``js.estimate`` applied to every column (term) of a k x V exclusivity matrix."""
    k = excl.shape[0]
    unif = 1.0 / k
    with np.errstate(divide="ignore", invalid="ignore"):
        mlvar = (excl * (1 - excl)).sum(axis=0) / (counts - 1)
        deviation = ((excl - unif) ** 2).sum(axis=0)
        lam = np.clip(mlvar / deviation, 0, 1)
    lam = np.where(np.isnan(lam), 1.0, lam)
    lam = np.where(deviation == 0, 0.0, lam)
    lam = np.where(counts <= 1, 1.0, lam)
    return lam * unif + (1 - lam) * excl


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest scores per row, ties broken by term id (stable)."""
    return np.argsort(-scores, axis=1, kind="stable")[:, :n]


def topic_term_table(fit: TopicFit, vocab, n: int) -> pd.DataFrame:
    """Return the top `n` terms of each topic by probability (columns: module docstring)."""
    vocab = np.asarray(vocab, dtype=object)
    top = _top(fit.topic_word, n)
    topics = np.repeat(np.arange(fit.k), top.shape[1])
    return pd.DataFrame({"model": fit.model, "k": fit.k, "seed": fit.seed, "topic": topics,
                         "rank": np.tile(np.arange(1, top.shape[1] + 1), fit.k),
                         "term": vocab[top.ravel()],
                         "weight": fit.topic_word[topics, top.ravel()]})


def typical_paragraphs(fit: TopicFit, paragraphs: pd.DataFrame, n: int) -> pd.DataFrame:
    """Return the `n` paragraphs with the highest share of each topic (columns: module docstring)."""
    top = _top(fit.doc_topic.T, n)
    rows = []
    for topic in range(fit.k):
        for rank, i in enumerate(top[topic], start=1):
            p = paragraphs.iloc[i]
            rows.append({"model": fit.model, "k": fit.k, "seed": fit.seed, "topic": topic, "rank": rank,
                         "doc_id": p["doc_id"], "para_id": int(p["para_id"]),
                         "line_start": int(p["line_start"]), "line_end": int(p["line_end"]),
                         "share": float(fit.doc_topic[i, topic]), "snippet": str(p["text"])[:SNIPPET_CHARS]})
    return pd.DataFrame(rows)
