"""Hand-coded paragraphs: the coding sheet, reading a coder's file back, and scoring labels against it.

A coder's file (``--gold``) has one row per coded paragraph: ``doc_id``, the paragraph as
``para_id`` or as ``line`` (a 1-based line of the source file inside the paragraph; ``para_id``
wins when both are filled), and ``category`` (a category of the lexicon, or ``other``/``none``
for a paragraph about none of them; an empty cell means not coded). Other columns are ignored.

Scoring (`score_labels`) puts ``none`` and ``other`` together as "other", in the coder's labels and
in the predicted ones (the dictionary says "none", the topic models "other"). Per category:
precision = TP / predicted, recall = TP / support, F1 = 2 TP / (support + predicted), NaN when the
denominator is 0 (as `sklearn.metrics.precision_recall_fscore_support` with ``zero_division=nan``:
a category nobody coded has no recall, one never predicted no precision, and a bootstrap replicate
where a measure is undefined does not count towards its interval); macro = the unweighted mean over
the lexicon's categories where the measure is defined ("other" left out). Cohen's kappa
(po - pe) / (1 - pe) over the categories and "other". Intervals: percentile intervals of a
bootstrap of the coded paragraphs (resampled with replacement, `n_boot` replicates from a
generator seeded with ``seed``; every method is scored on the same replicates).

Columns of the scores table (`SCORE_COLUMNS`, one row per method and category, then a row
``category = "macro"`` per method):
    method : str           "dictionary", a topic model's name, or "coder2" (a second coder
                           scored against the first: the inter-coder ceiling)
    category : str         a category, "other", or "macro"
    precision, recall, f1 (each with _ci_low, _ci_high) : float in [0, 1]
    support : int          coded paragraphs of the category (macro row: all scored paragraphs)
    predicted : int        paragraphs the method gives the category (macro row: all)
    n : int                paragraphs scored
    kappa, kappa_ci_low, kappa_ci_high, accuracy, accuracy_ci_low, accuracy_ci_high : float
                           macro row only (NaN elsewhere)

Columns of the confusion table (`CONFUSION_COLUMNS`): method, gold, predicted, count (every cell,
zeros included; categories then "other").
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.corpus import Corpus
from analysis.errors import AnalysisError, ParameterError
from analysis.io import read_text_csv
from analysis.streams import group_rng

OTHER = "other"


RESIDUAL = ("other", "none")


SCORE_COLUMNS = ["method", "category", "precision", "precision_ci_low", "precision_ci_high", "recall",
                 "recall_ci_low", "recall_ci_high", "f1", "f1_ci_low", "f1_ci_high", "support", "predicted", "n",
                 "kappa", "kappa_ci_low", "kappa_ci_high", "accuracy", "accuracy_ci_low", "accuracy_ci_high"]


CONFUSION_COLUMNS = ["method", "gold", "predicted", "count"]


SHEET_COLUMNS = ["doc_id", "para_id", "line", "line_end", "text", "category", "note"]


# --------------------------------------------------------------------------- coding sheet


def _allocate(sizes: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return how many units to draw from each stratum: n in all, each stratum at most its size.

    One per stratum first (when n allows; otherwise n strata picked at random get one), the rest
    in proportion to what each stratum has left (largest remainder, ties to the earlier stratum).
    """
    alloc = np.zeros(len(sizes), dtype=np.int64)
    if n >= sizes.sum():
        return sizes.astype(np.int64).copy()
    if n < len(sizes):
        alloc[np.sort(rng.permutation(len(sizes))[:n])] = 1
        return alloc
    alloc[:] = np.minimum(1, sizes)
    while alloc.sum() < n:
        room = sizes - alloc
        left = n - alloc.sum()
        quota = left * room / room.sum()
        add = np.minimum(np.floor(quota).astype(np.int64), room)
        if add.sum() == 0:
            order = np.lexsort((np.arange(len(sizes)), -(quota - np.floor(quota))))
            add[order[:left]] = 1
            add = np.minimum(add, room)
        alloc += add
    return alloc


def coding_sheet(corpus: Corpus, paragraph_themes: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Return a coding sheet: a seeded sample of analysed paragraphs, stratified by document and label.

    The strata are (document, predicted label of `paragraph_themes`). Each stratum gets one
    paragraph when `n` allows, the rest in proportion to its size; within a stratum the paragraphs
    are the first of a permutation drawn from a generator seeded with `seed` and the stratum, so a
    larger `n` keeps the smaller sample's paragraphs in most strata. The label is not shown to the
    coder.

    Parameters
    ----------
    corpus : Corpus
    paragraph_themes : DataFrame
        The result of `score_paragraphs` (doc_id, para_id, theme).
    n : int
        Paragraphs to draw (all of them when the corpus has fewer); >= 1.
    seed : int

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line (1-based first line of the paragraph), line_end, text,
        category (empty, for the coder), note (empty); in corpus order.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ParameterError("coding_sheet", "n", f"must be an integer >= 1; got {n!r}")
    labels = paragraph_themes[["doc_id", "para_id", "theme"]].reset_index(drop=True)
    strata = list(labels.groupby(["doc_id", "theme"], sort=True).groups.items())
    sizes = np.array([len(idx) for _, idx in strata], dtype=np.int64)
    alloc = _allocate(sizes, int(n), group_rng(seed, "sheet"))
    picks = []
    for ((doc_id, label), idx), take in zip(strata, alloc):
        if take:
            rng = group_rng(seed, f"sheet:{doc_id}:{label}")
            picks.append(np.asarray(idx)[rng.permutation(len(idx))[:take]])
    chosen = labels.iloc[np.sort(np.concatenate(picks))] if picks else labels.iloc[:0]
    paragraphs = corpus.analysed[["doc_id", "para_id", "line_start", "line_end", "text"]]
    sheet = chosen[["doc_id", "para_id"]].merge(paragraphs, on=["doc_id", "para_id"], how="left")
    sheet = sheet.rename(columns={"line_start": "line"}).assign(category="", note="")
    return sheet[SHEET_COLUMNS].reset_index(drop=True)


# --------------------------------------------------------------------------- reading a coder's file


def read_gold(path: str | Path, corpus: Corpus, categories) -> pd.DataFrame:
    """Read a coder's file and return one row per coded paragraph.

    Parameters
    ----------
    path : path
        CSV with ``doc_id``, ``para_id`` or ``line``, ``category`` (module docstring).
    corpus : Corpus
        The corpus coded (its paragraph table places each line).
    categories : iterable of str
        The lexicon's categories; ``other`` and ``none`` are allowed besides.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, category ("none" read as "other"), row (1-based row of the file,
        the header being row 1); rows with an empty category are left out.

    Raises
    ------
    AnalysisError
        If the file is missing or not CSV, lacks a column, or a row names an unknown doc_id, a
        para_id or line outside any analysed paragraph, an unknown category, or codes a paragraph
        that an earlier row gave another category (the message names file, row and field).
    """
    path = Path(path)
    categories = list(categories)
    table = read_text_csv(path, "coded file")
    missing = [c for c in ("doc_id", "category") if c not in table.columns]
    if "para_id" not in table.columns and "line" not in table.columns:
        missing.append("para_id or line")
    if missing:
        raise AnalysisError(f"{path}: coded file has no column(s) {', '.join(missing)}; expected doc_id, "
                            "para_id or line, category")
    analysed = set(zip(corpus.analysed["doc_id"], corpus.analysed["para_id"].astype(int)))
    by_doc = {d: g for d, g in corpus.paragraphs.groupby("doc_id", sort=False)}
    allowed = [*categories, *RESIDUAL]
    rows, first_row = [], {}
    for row_no, r in enumerate(table.to_dict("records"), start=2):
        coded = _coded_row(f"{path}:{row_no}", r, by_doc, analysed, allowed)
        if coded is None:
            continue
        doc_id, para_id, category = coded
        key = (doc_id, para_id)
        if key in first_row and first_row[key][1] != category:
            raise AnalysisError(f"{path}:{row_no}: field 'category' is {category!r}; row {first_row[key][0]} "
                                f"codes the same paragraph ({doc_id!r} {para_id}) as {first_row[key][1]!r}")
        if key not in first_row:
            first_row[key] = (row_no, category)
            rows.append({"doc_id": doc_id, "para_id": para_id, "category": category, "row": row_no})
    if not rows:
        raise AnalysisError(f"{path}: no row has a category; nothing to score")
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "category", "row"])


def _coded_row(where: str, r: dict, by_doc: dict, analysed: set, allowed: list[str]) -> tuple[str, int, str] | None:
    """Return one row of a coder's file as (doc_id, para_id, category; "none" read as "other"), None when its
    category is empty, after checking its doc_id, category and paragraph (by para_id, else by line)."""
    category = str(r["category"]).strip()
    if not category:
        return None
    doc_id = str(r["doc_id"]).strip()
    if doc_id not in by_doc:
        raise AnalysisError(f"{where}: field 'doc_id' is {doc_id!r}; not a document of the corpus")
    if category not in allowed:
        raise AnalysisError(f"{where}: field 'category' is {category!r}; expected one of "
                            f"{', '.join(allowed)}")
    doc = by_doc[doc_id]
    para_raw = str(r.get("para_id", "")).strip()
    field, raw = ("para_id", para_raw) if para_raw else ("line", str(r.get("line", "")).strip())
    if not raw.isdigit():
        raise AnalysisError(f"{where}: field {field!r} is {raw!r}; expected a positive integer "
                            "(para_id, or line: a 1-based line of the source file)")
    value = int(raw)
    if field == "para_id":
        hit = doc[doc["para_id"] == value]
    else:
        hit = doc[(doc["line_start"] <= value) & (doc["line_end"] >= value)]
    if hit.empty:
        raise AnalysisError(f"{where}: field {field!r} is {value}; no paragraph of {doc_id!r} "
                            f"{'has that id' if field == 'para_id' else 'holds that line'}")
    para_id = int(hit["para_id"].iloc[0])
    if (doc_id, para_id) not in analysed:
        raise AnalysisError(f"{where}: field {field!r} is {value}: paragraph {para_id} of {doc_id!r} "
                            f"is a {hit['kind'].iloc[0]}, not analysed")
    return doc_id, para_id, OTHER if category in RESIDUAL else category


def complete_labels(labels: pd.DataFrame, paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Return `labels` (doc_id, para_id, theme) over every paragraph of `paragraphs`; a paragraph
    without a label (e.g. left out of a topic model's bag: no term) gets "other"."""
    keys = paragraphs[["doc_id", "para_id"]].astype({"doc_id": str, "para_id": "int64"})
    given = labels[["doc_id", "para_id", "theme"]].astype({"doc_id": str, "para_id": "int64", "theme": str})
    out = keys.merge(given, on=["doc_id", "para_id"], how="left")
    out["theme"] = out["theme"].fillna(OTHER)
    return out


# --------------------------------------------------------------------------- scoring


def _confusions(gold: np.ndarray, pred: np.ndarray, idx: np.ndarray, c: int) -> np.ndarray:
    """Return the c x c confusion counts (gold rows, predicted columns) of each row of `idx`."""
    b = idx.shape[0]
    flat = (np.arange(b)[:, None] * c * c + gold[idx] * c + pred[idx]).ravel()
    return np.bincount(flat, minlength=b * c * c).reshape(b, c, c)


def _measures(conf: np.ndarray) -> dict[str, np.ndarray]:
    """Return per-category precision, recall, F1 (..., c) and kappa, accuracy (...) of confusion counts."""
    with np.errstate(divide="ignore", invalid="ignore"):
        tp = np.diagonal(conf, axis1=-2, axis2=-1).astype(float)
        support, predicted = conf.sum(axis=-1), conf.sum(axis=-2)
        n = conf.sum(axis=(-2, -1)).astype(float)
        precision = np.where(predicted > 0, tp / predicted, np.nan)
        recall = np.where(support > 0, tp / support, np.nan)
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), np.nan)
        po = tp.sum(axis=-1) / n
        pe = (support * predicted).sum(axis=-1) / n ** 2
        kappa = np.where(pe < 1, (po - pe) / (1 - pe), np.nan)
    return {"precision": precision, "recall": recall, "f1": f1, "kappa": kappa, "accuracy": po}


def _nanmean(values: np.ndarray, axis=None):
    """Mean over the defined (non-NaN) values; NaN where none is defined (no warning)."""
    defined = np.isfinite(values)
    total = np.where(defined, values, 0.0).sum(axis=axis)
    count = defined.sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return float(out) if np.ndim(out) == 0 else out


def score_labels(gold: pd.DataFrame, predictions: dict[str, pd.DataFrame], categories, n_boot: int = 2000,
                 seed: int = 12345, ci_level: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each method's paragraph labels against hand-coded ones (module docstring).

    Parameters
    ----------
    gold : DataFrame
        The result of `read_gold` (doc_id, para_id, category).
    predictions : dict of str to DataFrame
        Method -> labels (doc_id, para_id, theme; a label outside the categories counts as
        "other"). Only paragraphs both coded and labelled are scored (`n`).
    categories : iterable of str
        The lexicon's categories.
    n_boot : int, default 2000
        Bootstrap replicates; >= 1000.
    seed : int, default 12345
    ci_level : float, default 0.95

    Returns
    -------
    scores, confusion : DataFrame
        Columns `SCORE_COLUMNS` and `CONFUSION_COLUMNS`.
    """
    if not isinstance(n_boot, int) or n_boot < 1000:
        raise ParameterError("score_labels", "n_boot", f"must be an integer >= 1000; got {n_boot!r}")
    labels = [*categories, OTHER]
    code = {c: i for i, c in enumerate(labels)}
    scores, confusion = [], []
    gold = gold.astype({"doc_id": str, "para_id": "int64"})
    for method, table in predictions.items():
        pred = table[["doc_id", "para_id", "theme"]].astype({"doc_id": str, "para_id": "int64", "theme": str})
        both = gold.merge(pred, on=["doc_id", "para_id"], how="inner")
        g = both["category"].map(code).fillna(code[OTHER]).to_numpy(dtype=np.int64)
        p = both["theme"].map(code).fillna(code[OTHER]).to_numpy(dtype=np.int64)
        if len(both) == 0:
            raise AnalysisError(f"score_labels: no coded paragraph has a label of {method!r}")
        method_scores, conf = _method_scores(method, g, p, labels, n_boot, seed, (1 - ci_level) / 2)
        scores.extend(method_scores)
        for i, a in enumerate(labels):
            for j, b in enumerate(labels):
                confusion.append({"method": method, "gold": a, "predicted": b, "count": int(conf[i, j])})
    return pd.DataFrame(scores, columns=SCORE_COLUMNS), pd.DataFrame(confusion, columns=CONFUSION_COLUMNS)


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """Return the (alpha, 1 - alpha) quantiles of the defined bootstrap values (NaN, NaN if none is defined)."""
    lo, hi = np.nanquantile(values, [alpha, 1 - alpha]) if np.isfinite(values).any() else (np.nan, np.nan)
    return float(lo), float(hi)


def _method_scores(method: str, g: np.ndarray, p: np.ndarray, labels: list[str], n_boot: int, seed: int,
                   alpha: float) -> tuple[list[dict], np.ndarray]:
    """Return one method's score rows (per label, then "macro" with kappa and accuracy; bootstrap intervals from
    the stream ``group_rng(seed, "gold")``) and its confusion counts (gold rows, predicted columns) of the
    gold and predicted label codes `g`, `p`."""
    n, c = len(g), len(labels)
    point = _measures(_confusions(g, p, np.arange(n)[None, :], c)[0])
    rng = group_rng(seed, "gold")
    boot = _measures(_confusions(g, p, rng.integers(0, n, size=(n_boot, n)), c))
    conf = _confusions(g, p, np.arange(n)[None, :], c)[0]
    scores = []
    for k, label in enumerate(labels):
        row = {"method": method, "category": label, "support": int(conf[k].sum()),
               "predicted": int(conf[:, k].sum()), "n": n}
        for m in ("precision", "recall", "f1"):
            row[m] = float(point[m][k])
            row[f"{m}_ci_low"], row[f"{m}_ci_high"] = _interval(boot[m][:, k], alpha)
        scores.append(row)
    macro = {"method": method, "category": "macro", "support": n, "predicted": n, "n": n}
    for m in ("precision", "recall", "f1"):
        macro[m] = _nanmean(point[m][:-1])
        macro[f"{m}_ci_low"], macro[f"{m}_ci_high"] = _interval(_nanmean(boot[m][:, :-1], axis=1), alpha)
    for m in ("kappa", "accuracy"):
        macro[m] = float(point[m])
        macro[f"{m}_ci_low"], macro[f"{m}_ci_high"] = _interval(boot[m], alpha)
    scores.append(macro)
    return scores, conf
