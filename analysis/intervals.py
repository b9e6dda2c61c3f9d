"""Interval statistics shared by the stages: bootstrap intervals of kappa, F1 and paired differences.

Every bootstrap resamples paragraphs (the units labels and counts come in) with replacement,
B >= 1000 replicates, and returns the percentile interval at the run's ``ci_level``; its random
stream is `analysis.streams.group_rng` keyed by what is resampled.
"""
from __future__ import annotations

import numpy as np


def _codes(values, categories) -> np.ndarray:
    index = {c: i for i, c in enumerate(categories)}
    return np.array([index[v] for v in values], dtype=np.int64)


def kappa_from_codes(a: np.ndarray, b: np.ndarray, n_cat: int) -> np.ndarray:
    """Return Cohen's kappa of label codes `a` vs `b` (arrays of shape (..., n)); NaN when undefined.

    Examples
    --------
    >>> float(kappa_from_codes(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), 2))
    0.5
    """
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    n = a.shape[-1]
    cells = a * n_cat + b + (np.arange(a.shape[0]) * n_cat * n_cat)[:, None]
    table = np.bincount(cells.ravel(), minlength=a.shape[0] * n_cat * n_cat).reshape(a.shape[0], n_cat, n_cat) / n
    observed = np.trace(table, axis1=1, axis2=2)
    expected = (table.sum(axis=2) * table.sum(axis=1)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(expected < 1, (observed - expected) / (1 - expected), np.nan)
    return kappa if kappa.shape[0] > 1 else kappa[0]


def kappa_interval(a, b, categories, rng: np.random.Generator, n_boot: int = 1000,
                   ci_level: float = 0.95) -> tuple[float, float, float]:
    """Return (kappa, low, high): Cohen's kappa of two labellings and its paragraph-bootstrap interval.

    Parameters
    ----------
    a, b : sequences of labels, one per paragraph (same order)
    categories : list
        All labels.
    rng : numpy.random.Generator
    n_boot : int, default 1000
    ci_level : float, default 0.95
    """
    ca, cb = _codes(a, categories), _codes(b, categories)
    if len(ca) == 0:
        return float("nan"), float("nan"), float("nan")
    kappa = float(kappa_from_codes(ca, cb, len(categories)))
    draws = rng.integers(0, len(ca), size=(n_boot, len(ca)))
    boot = kappa_from_codes(ca[draws], cb[draws], len(categories))
    return (kappa, *_percentiles(boot, ci_level))


def _percentiles(boot: np.ndarray, ci_level: float) -> tuple[float, float]:
    boot = boot[np.isfinite(boot)]
    if len(boot) == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(boot, [(1 - ci_level) / 2, (1 + ci_level) / 2])
    return float(low), float(high)


def f1_interval(gold, predicted, labels, rng: np.random.Generator, n_boot: int = 1000,
                ci_level: float = 0.95) -> dict[str, tuple[float, float]]:
    """Return {label or "macro": (low, high)}: paragraph-bootstrap intervals of per-label and macro F1.

    F1 of a label = 2 TP / (2 TP + FP + FN) (0 when the label is neither gold nor predicted);
    predictions outside `labels` (e.g. "none") count as misses.
    """
    labels = list(labels)
    extra = sorted((set(map(str, predicted)) | set(map(str, gold))) - set(labels))
    cats = labels + extra
    g, p = _codes(list(map(str, gold)), cats), _codes(list(map(str, predicted)), cats)
    draws = rng.integers(0, len(g), size=(n_boot, len(g)))
    gd, pd_ = g[draws], p[draws]
    out, f1s = {}, []
    for i, label in enumerate(labels):
        tp = ((gd == i) & (pd_ == i)).sum(axis=1)
        fp = ((gd != i) & (pd_ == i)).sum(axis=1)
        fn = ((gd == i) & (pd_ != i)).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        f1s.append(f1)
        out[label] = _percentiles(f1, ci_level)
    out["macro"] = _percentiles(np.mean(f1s, axis=0), ci_level)
    return out
