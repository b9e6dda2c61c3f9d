"""Out-of-document checks of the theme measures: the `none` threshold by measurement, leave one document out.

Gold labels are the documents' own structure (`structure_labels`, the structure mapping) plus the
sections the codebook (THEMES.md) codes "other", listed in ``analysis/data/structure_seeds_other.csv``
(in the seeds: the 2023 report's review section 6 on discipline and the procuratorial force, in both
English versions, and the 2021 Opinions' items 14-19 on the team, judicial responsibility and
organisational guarantees); or the user's hand coding (`analysis.themes.read_gold`). An "other"
paragraph has gold label "none", so a threshold that labels everything pays in precision.

Scores: precision, recall and F1 of each theme over the paragraphs with a gold label (a theme or
"none"; sklearn ``precision_recall_fscore_support`` with ``labels`` = the themes), and their macro
mean. A paragraph predicted "none" is a miss of its theme; a "none" paragraph predicted a theme is a
false positive of that theme. The macro mean runs over the themes found in the gold labels or the
predictions.

Leave one document out: the documents with gold labels are grouped with their other English
versions (``version_of``), and each group is held out in turn. The threshold is calibrated without
the group; the classifier is trained without any paragraph of the group (its training labels come
from the dictionary with that threshold). The held-out predictions of all groups are pooled and
scored once. The lexicon itself cannot be rebuilt without a document (it was written by people who
read them all); the report says so.
"""
from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import ClassifierConfig, ThemesConfig
from analysis.corpus import Corpus
from analysis.errors import AnalysisError, ConfigError
from analysis.themes.classifier import NONE, classify_paragraphs
from analysis.themes.lexicon import Lexicon, load_lexicon
from analysis.themes.matching import match_lexicon, score_paragraphs
from analysis.themes.validation import read_structure, structure_labels

#: Thresholds tried (matches per 100 tokens): 0 (any match labels) to 5 in steps of 0.25.
MIN_SCORE_GRID = tuple(np.round(np.arange(0.0, 5.0001, 0.25), 2))

#: Macro F1 differences below this count as ties when calibrating (see `calibrate_min_score`).
TIE_TOLERANCE = 0.01

SCORE_COLUMNS = ["method", "setting", "theme", "precision", "recall", "f1", "f1_ci_low", "f1_ci_high", "support", "n",
                 "min_score"]


def default_other_path() -> Path:
    """Return the path of the seeds' "other" sections (``analysis/data/structure_seeds_other.csv``)."""
    return Path(str(resources.files("analysis.data").joinpath("structure_seeds_other.csv")))


def gold_labels(paragraphs: pd.DataFrame, mapping: pd.DataFrame | None = None,
                other: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the structure labels plus "none" for the sections the codebook codes as other.

    Parameters
    ----------
    paragraphs : DataFrame
        The corpus paragraph table.
    mapping : DataFrame, optional
        A structure mapping (`read_structure`); default the seeds'.
    other : DataFrame, optional
        A structure mapping whose rows mark "other" sections (its category column is ignored);
        default ``analysis/data/structure_seeds_other.csv``, its rules for the corpus's documents.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, gold (a category or "none").
    """
    docs = set(paragraphs["doc_id"].astype(str))
    if other is None:
        other = read_structure(default_other_path())
        other = other[other["doc_id"].isin(docs)]
    themed = structure_labels(paragraphs, mapping)[["doc_id", "para_id", "section_theme"]]
    rest = structure_labels(paragraphs, other.assign(category=NONE))[["doc_id", "para_id", "section_theme"]]
    table = pd.concat([themed, rest], ignore_index=True).drop_duplicates(["doc_id", "para_id"])
    return table.rename(columns={"section_theme": "gold"}).reset_index(drop=True)


def from_coding(gold: pd.DataFrame) -> pd.DataFrame:
    """Return a coder's table (`analysis.themes.read_gold`: doc_id, para_id, category) as gold labels
    (doc_id, para_id, gold), "other" read as "none"."""
    return pd.DataFrame({"doc_id": gold["doc_id"].astype(str), "para_id": gold["para_id"].astype("int64"),
                         "gold": gold["category"].astype(str).replace({"other": NONE})})


def f1_scores(predicted: pd.DataFrame, gold: pd.DataFrame, themes: tuple[str, ...], n_boot: int = 0,
                 seed: int = 0, ci_level: float = 0.95) -> pd.DataFrame:
    """Return precision, recall, F1 and support per theme and "macro" for predicted vs gold labels.

    Parameters
    ----------
    predicted : DataFrame
        doc_id, para_id, theme.
    gold : DataFrame
        doc_id, para_id, gold.
    n_boot : int, default 0
        With n_boot > 0, add f1_ci_low and f1_ci_high: the percentile interval of F1 over n_boot
        bootstrap resamples of the gold paragraphs (seeded with `seed`; paragraphs, not documents,
        are resampled, so the interval is too narrow where a document's paragraphs err together).

    Returns
    -------
    DataFrame
        theme (each theme, then "macro"), precision, recall, f1, support, n [, f1_ci_low, f1_ci_high].
    """
    from sklearn.metrics import precision_recall_fscore_support

    merged = gold.merge(predicted[["doc_id", "para_id", "theme"]], on=["doc_id", "para_id"], how="left")
    y_pred = merged["theme"].fillna(NONE).astype(str)
    y_true = merged["gold"].astype(str)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(themes), zero_division=0)
    rows = [{"theme": t, "precision": p[k], "recall": r[k], "f1": f[k], "support": int(s[k]), "n": len(merged)}
            for k, t in enumerate(themes)]
    # macro over the themes that occur in the gold labels or the predictions (all four on the seeds)
    used = (s > 0) | np.isin(list(themes), y_pred.to_numpy())
    used = used if used.any() else np.ones(len(themes), dtype=bool)
    rows.append({"theme": "macro", "precision": float(np.mean(p[used])), "recall": float(np.mean(r[used])),
                 "f1": float(np.mean(f[used])), "support": int(s.sum()), "n": len(merged)})
    table = pd.DataFrame(rows)
    if n_boot:
        low, high = _f1_intervals(y_true.to_numpy(), y_pred.to_numpy(), themes, used, n_boot, seed, ci_level)
        table["f1_ci_low"], table["f1_ci_high"] = low, high
    return table


def _f1_intervals(y_true: np.ndarray, y_pred: np.ndarray, themes: tuple[str, ...], used: np.ndarray,
                  n_boot: int, seed: int, ci_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of each theme's F1 and the macro F1 (paragraphs resampled)."""
    gold = np.stack([y_true == t for t in themes], axis=1).astype(float)         # paragraphs x themes
    pred = np.stack([y_pred == t for t in themes], axis=1).astype(float)
    rng = np.random.default_rng(seed)
    n = len(y_true)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(float)  # replicates x paragraphs
    tp, n_gold, n_pred = weights @ (gold * pred), weights @ gold, weights @ pred
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(n_gold + n_pred > 0, 2 * tp / (n_gold + n_pred), 0.0)
    values = np.column_stack([f1, f1[:, used].mean(axis=1)])
    alpha = (1 - ci_level) / 2
    low, high = np.quantile(values, [alpha, 1 - alpha], axis=0)
    return np.round(low, 6), np.round(high, 6)


def _macro(predicted, gold, themes) -> float:
    table = f1_scores(predicted, gold, themes)
    return float(table.loc[table["theme"] == "macro", "f1"].iloc[0])


def _relabel(scores: pd.DataFrame, themes: tuple[str, ...], min_score: float) -> pd.DataFrame:
    """Return `scores` (a `score_paragraphs` table) relabelled with another threshold."""
    matrix = scores[[f"score_{t}" for t in themes]].to_numpy()
    keep = scores["theme"].isin(themes).to_numpy()
    top = matrix.max(axis=1) if len(matrix) else np.zeros(0)
    # the tie-break of score_paragraphs is kept: a paragraph that had a label keeps that theme
    label = np.where(keep, scores["theme"].to_numpy(), np.array(themes)[matrix.argmax(axis=1)]
                     if len(matrix) else np.zeros(0, dtype=object))
    return scores.assign(theme=np.where((top >= min_score) & (top > 0), label, NONE))


def calibrate_min_score(scores: pd.DataFrame, gold: pd.DataFrame, themes: tuple[str, ...],
                        grid: tuple[float, ...] = MIN_SCORE_GRID, tolerance: float = TIE_TOLERANCE
                        ) -> tuple[float, pd.DataFrame]:
    """Choose the `none` threshold that maximises macro F1 against `gold`.

    `scores` must come from `score_paragraphs` with ``min_score=0`` (every paragraph with a match
    has its top theme). Thresholds within `tolerance` of the best macro F1 count as tied (on ~70
    gold paragraphs one paragraph moves macro F1 by more than 0.01); the choice is the middle of
    the longest run of consecutive tied thresholds (the most room on both sides).

    Returns
    -------
    (float, DataFrame)
        The chosen threshold, and the curve: min_score, macro_f1.
    """
    curve = pd.DataFrame({"min_score": list(grid),
                          "macro_f1": [_macro(_relabel(scores, themes, m), gold, themes) for m in grid]})
    best = curve["macro_f1"].max()
    top = np.flatnonzero(curve["macro_f1"].to_numpy() >= best - tolerance - 1e-12)
    # the longest run of consecutive best thresholds, then its middle
    runs = np.split(top, np.flatnonzero(np.diff(top) > 1) + 1)
    run = max(runs, key=len)
    return float(curve["min_score"].iloc[run[len(run) // 2]]), curve


def _groups(documents: pd.DataFrame, doc_ids) -> dict[str, list[str]]:
    """Group documents with their other English versions; key = the original's doc_id."""
    version_of = documents.set_index("doc_id")["version_of"].fillna("").astype(str)
    groups: dict[str, list[str]] = {}
    for d in sorted(set(doc_ids)):
        root = version_of.get(d, "") or d
        root = root if root in version_of.index else d
        groups.setdefault(root, []).append(d)
    for d in version_of.index:          # versions without gold labels go with their original too
        root = version_of[d]
        if root in groups and d not in groups[root]:
            groups[root].append(d)
    return groups


def leave_one_document_out(corpus: Corpus, lexicon: Lexicon | None = None, config: ThemesConfig | None = None,
                           classifier: ClassifierConfig | None = None,
                           grid: tuple[float, ...] = MIN_SCORE_GRID,
                           gold: pd.DataFrame | None = None, mapping: pd.DataFrame | None = None
                           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score the dictionary and the classifier in sample and leaving one document (group) out.

    In sample: the dictionary at ``config.min_score``, the dictionary at the threshold calibrated
    on all gold labels, and the classifier trained on the whole corpus (with ``config.min_score``).
    Left out: for each group, the threshold calibrated on the other groups' gold labels, and the
    classifier trained without the group's paragraphs; the held-out labels are pooled and scored.

    gold : DataFrame, optional
        Gold labels (doc_id, para_id, gold: a category or "none") to use instead of `gold_labels`,
        e.g. the user's own coding (`from_coding`).
    mapping : DataFrame, optional
        The structure mapping of `gold_labels` (default the seeds').

    Returns
    -------
    (DataFrame, DataFrame)
        Scores: method ("dictionary", "classifier", and "classifier_alone": the model labelling
        every paragraph, ``fallback_only=False``), setting ("in_sample", "in_sample_calibrated",
        "leave_one_out"), theme (a theme or "macro"), precision, recall, f1, f1_ci_low, f1_ci_high
        (95% bootstrap interval over the gold paragraphs, `config.n_boot` resamples), support, n, min_score
        (the threshold used; for leave_one_out the thresholds of the folds joined by "/").
        Folds: held_out (the group's doc_ids joined by "+"), min_score, n_gold, n_train
        (classifier training paragraphs). When the classifier cannot be trained (too few confident
        paragraphs, `AnalysisError`) its rows are left out (all its left-out rows if one fold fails).
    """
    config = config or ThemesConfig()
    classifier = classifier or ClassifierConfig()
    lexicon = lexicon or load_lexicon()
    themes = tuple(lexicon.categories)
    gold = gold_labels(corpus.paragraphs, mapping) if gold is None else gold
    if gold.empty:
        raise ConfigError("leave_one_document_out: no paragraph of the corpus has a gold label")
    matches = match_lexicon(corpus.tokens, lexicon, warn_unmatched=False)
    raw = score_paragraphs(corpus, lexicon, dataclasses.replace(config, min_score=0.0), matches=matches)
    rows, variants = _in_sample_scores(corpus, lexicon, config, classifier, raw, gold, themes, grid)
    held_rows, folds = _left_out_scores(corpus, lexicon, config, variants, raw, gold, themes, grid)
    scores = pd.concat([*rows, *held_rows], ignore_index=True)[SCORE_COLUMNS]
    return scores, pd.DataFrame(folds, columns=["held_out", "min_score", "n_gold", "n_train"])


def _scored(method: str, setting: str, predicted: pd.DataFrame, gold: pd.DataFrame, min_score: str,
            themes: tuple[str, ...], config: ThemesConfig) -> pd.DataFrame:
    """Return `f1_scores` of `predicted` against `gold`, with columns method, setting and min_score added."""
    table = f1_scores(predicted, gold, themes, config.n_boot, config.seed, config.ci_level)
    return table.assign(method=method, setting=setting, min_score=min_score)


def _in_sample_scores(corpus, lexicon, config, classifier, raw, gold, themes, grid) -> tuple[list, dict]:
    """Return the in-sample score tables (dictionary at ``config.min_score`` and calibrated, each classifier
    variant that can be trained) and the classifier variants that could be (name -> settings)."""
    dictionary = _relabel(raw, themes, config.min_score)
    rows = [_scored("dictionary", "in_sample", dictionary, gold, f"{config.min_score:g}", themes, config)]
    chosen, _ = calibrate_min_score(raw, gold, themes, grid)
    rows.append(_scored("dictionary", "in_sample_calibrated", _relabel(raw, themes, chosen), gold, f"{chosen:g}",
                        themes, config))
    variants = {"classifier": classifier,
                "classifier_alone": dataclasses.replace(classifier, fallback_only=False)}
    for name, settings in list(variants.items()):
        try:
            in_sample = classify_paragraphs(corpus, lexicon, config, settings, paragraph_themes=dictionary)
        except AnalysisError:           # too few confident paragraphs to train on: dictionary rows only
            variants.pop(name)
            continue
        rows.append(_scored(name, "in_sample", in_sample, gold, f"{config.min_score:g}", themes, config))
    return rows, variants


def _left_out_scores(corpus, lexicon, config, variants, raw, gold, themes, grid) -> tuple[list, list[dict]]:
    """Hold out each group of documents with gold labels in turn (threshold calibrated and classifiers trained
    without it); return the score tables of the pooled held-out labels ("leave_one_out"; a classifier variant
    none of whose folds could train has none) and one row per fold."""
    folds, held_dict = [], []
    held_clf: dict[str, list[pd.DataFrame] | None] = {name: [] for name in variants}
    key = raw["doc_id"].astype(str).to_numpy()
    for root, members in _groups(corpus.documents, gold["doc_id"]).items():
        out_gold = gold[~gold["doc_id"].isin(members)]
        if out_gold.empty:
            continue
        threshold, _ = calibrate_min_score(raw[~raw["doc_id"].isin(members)], out_gold, themes, grid)
        labelled = _relabel(raw, themes, threshold)
        mask = ~np.isin(key, members)
        n_train = 0
        for name, settings in variants.items():
            try:
                clf = classify_paragraphs(corpus, lexicon, dataclasses.replace(config, min_score=threshold),
                                          settings, paragraph_themes=labelled, train_mask=mask)
            except AnalysisError:       # this fold cannot train: no pooled left-out score for the method
                held_clf[name] = None
                continue
            if held_clf[name] is not None:
                held_clf[name].append(clf[~mask])
            n_train = int((clf["training"] != "").sum())
        held_dict.append(labelled[~mask])
        folds.append({"held_out": "+".join(members), "min_score": threshold,
                      "n_gold": int(gold["doc_id"].isin(members).sum()), "n_train": n_train})
    thresholds = "/".join(f"{f['min_score']:g}" for f in folds)
    rows = []
    if held_dict:
        rows.append(_scored("dictionary", "leave_one_out", pd.concat(held_dict), gold, thresholds, themes, config))
        for name in variants:
            if held_clf[name]:
                rows.append(_scored(name, "leave_one_out", pd.concat(held_clf[name]), gold, thresholds, themes,
                                    config))
    return rows, folds


def heldout_tables(corpus: Corpus, lexicon: Lexicon, config: ThemesConfig, classifier: ClassifierConfig,
                   coding: pd.DataFrame | None = None, mapping: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Return `leave_one_document_out` against a coder's table (`analysis.themes.read_gold`) or the
    structure labels; None when there is no gold label at all (no mapped section and no coding)."""
    gold = from_coding(coding) if coding is not None else gold_labels(corpus.paragraphs, mapping)
    if gold.empty:
        return None
    return leave_one_document_out(corpus, lexicon, config, classifier, gold=gold)


def heldout_summary(scores: pd.DataFrame) -> str:
    """Return "; leave-one-document-out macro F1: <method> <f1>, ..." for a terminal line ("" if none)."""
    loo = scores[(scores["theme"] == "macro") & (scores["setting"] == "leave_one_out")]
    return ("; leave-one-document-out macro F1: " + ", ".join(f"{r.method} {r.f1:.3f}" for r in loo.itertuples())
            if len(loo) else "")
