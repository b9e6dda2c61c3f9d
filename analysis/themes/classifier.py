"""A second theme measure beside the dictionary: a regularised linear classifier over every term.

The dictionary only sees its own entries. The classifier is trained on the paragraphs the dictionary
labels with high confidence, and on paragraphs it finds no theme in (class "none"); its features are
all the paragraph's non-stop lemmas and multi-word terms, so it learns the vocabulary that co-occurs
with the lexicon's entries and can label a paragraph that uses none of them.

Training examples (from `score_paragraphs`):
    a theme    the dictionary's label is that theme, its top theme has at least
               `ClassifierConfig.min_count` matches, and those are at least `min_purity` of the
               paragraph's theme matches;
    "none"     the dictionary's label is "none" and the paragraph has at most
               `none_max_matches` theme matches.

Model: term counts -> sublinear tf-idf (l2-normalised) -> scikit-learn `LogisticRegression`
(L2 penalty, inverse strength `ClassifierConfig.c`, balanced class weights, lbfgs, ``random_state=seed``). The
vocabulary is sorted, so the same corpus and seed give the same labels. A training paragraph is
labelled by a model fitted without it (`ClassifierConfig.folds`-fold cross-fitting, seeded), so a
paragraph without any lexicon match, a "none" example, is not predicted "none" merely because it
trained that class.

Columns of `classify_paragraphs` (one row per analysed paragraph, corpus order):
    doc_id, para_id, line_start, line_end
    prob_<class> : float  predicted probability of each class (the themes, then "none"; a class
                          with no training example has no column)
    theme : str           the most probable class: a theme or "none"
    n_tokens : int        word tokens of the paragraph
    count_<theme> : int   n_tokens when the paragraph is labelled <theme>, else 0: `theme_rates`
                          on this table gives each theme's share of the tokens of themed
                          paragraphs (and tokens of <theme> paragraphs per 1,000 tokens), not
                          matches as for the dictionary
    training : str        the paragraph's training label, or "" when it was not a training example
    source : str          "dictionary" when the label is the dictionary's, "classifier" when the model's

Labels (`ClassifierConfig.fallback_only`, default True): a paragraph the dictionary labels with a
theme keeps that label; a paragraph the dictionary leaves "none" gets the model's most probable
class when its probability is at least `min_proba` (else "none"). With ``fallback_only = False``
every paragraph gets the model's label (the model alone; on the seeds, left one document out, it
does much worse than the dictionary: README, "Validation").

`analyse_theme_methods` returns the paragraph, document and year tables of several methods stacked,
with a first column ``method`` ("dictionary", "classifier").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.config import ClassifierConfig, ThemesConfig
from analysis.corpus import Corpus
from analysis.errors import AnalysisError, ConfigError
from analysis.query import column_values
from analysis.themes.lexicon import Lexicon, load_lexicon
from analysis.themes.matching import _paragraph_frame, score_paragraphs
from analysis.themes.rates import theme_rates

METHODS = ("dictionary", "classifier")
NONE = "none"


def paragraph_features(corpus: Corpus) -> tuple[pd.DataFrame, list[list[str]]]:
    """Return the analysed paragraphs' keys and, per paragraph, its features in reading order.

    A paragraph's features are its non-stop lemmas and its multi-word terms (``legal_supervision``).
    """
    paragraphs = _paragraph_frame(corpus)
    tokens = corpus.tokens
    lemma = column_values(tokens["lemma"]).astype(str)
    term = column_values(tokens["term"]).astype(str)
    stop = tokens["stop"].to_numpy(dtype=bool)
    keep_lemma = ~stop & (lemma != "") & (lemma != "nan")
    multi = np.char.find(term.astype(str), "_") >= 0
    doc = column_values(tokens["doc_id"]).astype(str)
    para = tokens["para_id"].to_numpy()
    per_para: dict[tuple[str, int], list[str]] = {}
    for i in np.flatnonzero(keep_lemma | multi):
        items = per_para.setdefault((doc[i], int(para[i])), [])
        if keep_lemma[i]:
            items.append(lemma[i])
        if multi[i]:
            items.append(term[i])
    keys = paragraphs[["doc_id", "para_id", "line_start", "line_end", "n_tokens"]].reset_index(drop=True)
    features = [per_para.get((str(d), int(p)), []) for d, p in zip(keys["doc_id"], keys["para_id"])]
    return keys, features


def training_labels(paragraph_themes: pd.DataFrame, themes: tuple[str, ...],
                    config: ClassifierConfig) -> np.ndarray:
    """Return each paragraph's training label (a theme, "none") or "" when it is not an example."""
    counts = paragraph_themes[[f"count_{t}" for t in themes]].to_numpy(dtype=np.int64)
    total = counts.sum(axis=1)
    top = counts.max(axis=1) if len(counts) else np.zeros(0, dtype=np.int64)
    label = paragraph_themes["theme"].astype(str).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        purity = np.where(total > 0, top / np.maximum(total, 1), 0.0)
    themed = np.isin(label, themes) & (top >= config.min_count) & (purity >= config.min_purity)
    empty = (label == NONE) & (total <= config.none_max_matches)
    return np.where(themed, label, np.where(empty, NONE, ""))


def _pipeline(config: ClassifierConfig):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        CountVectorizer(analyzer=_identity, min_df=config.min_df, lowercase=False),
        TfidfTransformer(sublinear_tf=True),
        LogisticRegression(C=config.c, class_weight="balanced", max_iter=5000, random_state=config.seed))


def _identity(items):
    return items


def fit_classifier(features: list[list[str]], labels: np.ndarray, config: ClassifierConfig):
    """Fit the classifier on the paragraphs whose label is not ""; return the fitted scikit-learn pipeline.

    Raises
    ------
    AnalysisError
        If the training examples hold fewer than two classes, or no feature occurs in
        `config.min_df` training paragraphs.
    """
    train = np.flatnonzero(labels != "")
    classes = sorted(set(labels[train]))
    if len(classes) < 2:
        raise AnalysisError(f"classifier: the dictionary labels give {len(train)} training paragraph(s) in "
                            f"{len(classes)} class(es) ({', '.join(classes) or 'none'}); at least two classes are "
                            "needed: add documents, or lower classifier.min_count / min_purity")
    from threadpoolctl import threadpool_limits

    model = _pipeline(config)
    try:
        # one BLAS thread: the problem is small, and threads fighting over shared cores made fits 4x slower
        with threadpool_limits(limits=1, user_api="blas"):
            model.fit([features[i] for i in train], labels[train])
    except ValueError as exc:
        raise AnalysisError(f"classifier: cannot fit on {len(train)} training paragraphs ({exc}); "
                            "lower classifier.min_df") from None
    return model


def classify_paragraphs(corpus: Corpus, lexicon: Lexicon | None = None, config: ThemesConfig | None = None,
                        classifier: ClassifierConfig | None = None,
                        paragraph_themes: pd.DataFrame | None = None,
                        train_mask: np.ndarray | None = None) -> pd.DataFrame:
    """Label every analysed paragraph with the classifier trained on the dictionary's confident labels.

    Parameters
    ----------
    corpus : Corpus
    lexicon : Lexicon, optional
        Default `load_lexicon()`.
    config : ThemesConfig, optional
        The dictionary's settings (its `min_score` decides which paragraphs are "none").
    classifier : ClassifierConfig, optional
    paragraph_themes : DataFrame, optional
        The dictionary's `score_paragraphs` table, if already computed.
    train_mask : array of bool, optional
        Paragraphs (in corpus order) that may serve as training examples; default all. Used to
        leave a document out.

    Returns
    -------
    DataFrame
        Columns as in the module docstring.
    """
    config = config or ThemesConfig()
    classifier = classifier or ClassifierConfig()
    lexicon = lexicon or load_lexicon()
    themes = tuple(lexicon.categories)
    if paragraph_themes is None:
        paragraph_themes = score_paragraphs(corpus, lexicon, config)
    keys, features = paragraph_features(corpus)
    labels = training_labels(paragraph_themes, themes, classifier)
    if train_mask is not None:
        labels = np.where(np.asarray(train_mask, dtype=bool), labels, "")
    model = fit_classifier(features, labels, classifier)
    classes = list(model.classes_)
    order = [c for c in (*themes, NONE) if c in classes]
    proba = _aligned(model, features, order) if features else np.zeros((0, len(order)))
    _cross_fit(proba, features, labels, order, classifier)
    return _label_table(keys, proba, order, paragraph_themes, labels, themes, classifier)


def _cross_fit(proba: np.ndarray, features: list[list[str]], labels: np.ndarray, order: list[str],
               classifier: ClassifierConfig) -> None:
    """Replace, in `proba`, the probabilities of each training paragraph by those of a model fitted without
    its fold (`classifier.folds` shuffled folds, seeded by `classifier.seed`)."""
    # A training paragraph is labelled by a model that did not see it (cross-fitting): else every
    # paragraph without a lexicon match, a "none" example, would be predicted "none" by itself.
    train = np.flatnonzero(labels != "")
    from sklearn.model_selection import KFold

    folds = KFold(n_splits=min(classifier.folds, len(train)), shuffle=True, random_state=classifier.seed)
    for keep, held in folds.split(train):
        fold_labels = labels.copy()
        fold_labels[train[held]] = ""
        try:        # a fold too small to fit (one class, no feature) keeps the full model's labels
            fold_model = fit_classifier(features, fold_labels, classifier)
        except AnalysisError:
            continue
        proba[train[held]] = _aligned(fold_model, [features[i] for i in train[held]], order)


def _label_table(keys: pd.DataFrame, proba: np.ndarray, order: list[str], paragraph_themes: pd.DataFrame,
                 labels: np.ndarray, themes: tuple[str, ...], classifier: ClassifierConfig) -> pd.DataFrame:
    """Return the classifier's table (module docstring): the model's label (only for the dictionary's "none"
    paragraphs, and when sure enough, with `classifier.fallback_only`), "none" for a paragraph without tokens."""
    model_label = np.array(order, dtype=object)[proba.argmax(axis=1)] if len(proba) else np.zeros(0, dtype=object)
    n_tokens = keys["n_tokens"].to_numpy(dtype=np.int64)
    dictionary = paragraph_themes["theme"].astype(str).to_numpy()
    if classifier.fallback_only:
        from_model = dictionary == NONE
        sure = proba.max(axis=1) >= classifier.min_proba if len(proba) else np.zeros(0, dtype=bool)
        best = np.where(from_model, np.where(sure, model_label, NONE), dictionary)
    else:
        from_model = np.ones(len(model_label), dtype=bool)
        best = model_label
    best = np.where(n_tokens > 0, best, NONE)
    table = keys[["doc_id", "para_id", "line_start", "line_end"]].copy()
    for k, c in enumerate(order):
        table[f"prob_{c}"] = np.round(proba[:, k], 6)
    table["theme"] = best.astype(str)
    table["n_tokens"] = n_tokens
    for t in themes:
        table[f"count_{t}"] = np.where(best == t, n_tokens, 0).astype(np.int64)
    table["training"] = labels
    table["source"] = np.where(from_model, "classifier", "dictionary")
    return table


def _aligned(model, features: list[list[str]], order: list[str]) -> np.ndarray:
    """Return the model's class probabilities in `order` (0 for a class the model lacks)."""
    proba = model.predict_proba(features)
    classes = list(model.classes_)
    out = np.zeros((len(features), len(order)))
    for k, c in enumerate(order):
        if c in classes:
            out[:, k] = proba[:, classes.index(c)]
    return out


@dataclass(frozen=True)
class ThemeMethodsResult:
    """Paragraph, document and year tables of several methods, stacked with a first column ``method``."""

    paragraph_themes: pd.DataFrame
    document_themes: pd.DataFrame
    year_themes: pd.DataFrame


def analyse_theme_methods(corpus: Corpus, lexicon: Lexicon | None = None, config: ThemesConfig | None = None,
                          classifier: ClassifierConfig | None = None,
                          methods: tuple[str, ...] = METHODS) -> ThemeMethodsResult:
    """Label paragraphs and estimate rates and shares with each method; return the tables stacked.

    Parameters
    ----------
    methods : tuple of {"dictionary", "classifier"}
        The dictionary's rows count lexicon matches; the classifier's count tokens of labelled
        paragraphs (see the module docstring). Both use the same bootstrap (`config`).

    Returns
    -------
    ThemeMethodsResult
        Each table has ``method`` as its first column, then the columns of `score_paragraphs` /
        `classify_paragraphs` / `theme_rates` (a column one method lacks is empty for its rows).
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ConfigError(f"themes: method must be one of {', '.join(map(repr, METHODS))}; got "
                          f"{', '.join(map(repr, unknown)) or 'nothing'}")
    config = config or ThemesConfig()
    lexicon = lexicon or load_lexicon()
    dictionary = score_paragraphs(corpus, lexicon, config)
    tables = {"dictionary": dictionary}
    if "classifier" in methods:
        tables["classifier"] = classify_paragraphs(corpus, lexicon, config, classifier, paragraph_themes=dictionary)
    out: dict[str, list[pd.DataFrame]] = {"paragraph": [], "doc_id": [], "year": []}
    for method in methods:
        para = tables[method]
        out["paragraph"].append(para.assign(method=method))
        for by in ("doc_id", "year"):
            out[by].append(theme_rates(para, corpus.documents, by=by, config=config,
                                       categories=list(lexicon.categories)).assign(method=method))
    stacked = [pd.concat(out[k], ignore_index=True) for k in ("paragraph", "doc_id", "year")]
    stacked = [t[["method", *[c for c in t.columns if c != "method"]]] for t in stacked]
    return ThemeMethodsResult(*stacked)
