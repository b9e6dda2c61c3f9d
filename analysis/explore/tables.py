"""The tables the explorer shows, computed from a tokenised corpus by the themes, topics and
discourse stages (as `analysis.pipeline.make_figures` computes the figures' tables)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ExploreTables:
    """Every table the explorer shows (see `collect_tables`).

    Attributes
    ----------
    corpus : Corpus
        The tokenised corpus (documents, paragraphs, tokens, cleaning log).
    config : analysis.config.Config
    themes : analysis.themes.ThemeResult
        Matches, paragraph labels, document and year rates with bootstrap intervals.
    topics : analysis.topics.TopicsResult
        The tables of the topic grid.
    fits : list of analysis.topics.TopicFit
        Every fit of the grid (model, K, seed order), with its topic-word and doc-topic matrices.
    bag : analysis.topics.BagOfWords
        The bag of words the fits share.
    keyness : list of (dict, DataFrame)
        Per comparison (`keyness_comparisons`): label, target, reference, title; and its
        `analysis.discourse.keyness` table.
    formulations, formulation_counts, formulations_by_year, formulation_concordance : DataFrame
        The formulation list and `count_formulations`, `formulations_by_year`,
        `formulation_concordance` (every formulation) tables.
    """

    corpus: object
    config: object
    themes: object
    topics: object
    fits: list
    bag: object
    keyness: list = field(default_factory=list)
    formulations: pd.DataFrame | None = None
    formulation_counts: pd.DataFrame | None = None
    formulations_by_year: pd.DataFrame | None = None
    formulation_concordance: pd.DataFrame | None = None


def keyness_comparisons(documents: pd.DataFrame, configured=()) -> list[dict]:
    """Return the keyness comparisons of the explorer: those of the figures
    (`analysis.pipeline.keyness_pairs`: `FiguresConfig.keyness`, or derived from the corpus), then
    each document against the rest.

    Returns
    -------
    list of dict
        label, target, reference (lists of ``FIELD=VALUE``, or ["rest"]), title.
    """
    from analysis.pipeline import keyness_pairs

    pairs = [{k: p[k] for k in ("label", "target", "reference", "title")}
             for p in keyness_pairs(documents, configured)]
    seen = {(tuple(p["target"]), tuple(p["reference"])) for p in pairs}
    for d in documents["doc_id"].astype(str):
        if ((f"doc_id={d}",), ("rest",)) not in seen:
            pairs.append({"label": f"{d}_vs_rest", "target": [f"doc_id={d}"], "reference": ["rest"],
                          "title": f"Key terms: {d} vs the other documents"})
    return pairs


def collect_tables(corpus, config=None, lexicon=None, progress=None, client=None) -> ExploreTables:
    """Return every table of the explorer, computed from a tokenised corpus.

    The same stages as `analysis figures`: `analysis.themes.analyse_themes`,
    `analysis.topics.run_topics` (the grid of `config.topics`; the run keeps the fits of the
    analysis K, the others are fitted again on the whole bag to keep their topic-word and
    doc-topic matrices, and every fit must reproduce the grid's top terms), keyness, formulation counts and concordances from `analysis.discourse`.

    Parameters
    ----------
    corpus : Corpus
        From `analysis.load_corpus`.
    config : analysis.config.Config, optional
    lexicon : analysis.themes.Lexicon, optional
        Default: the package's lexicon.
    progress : callable, optional
        Called with a short message before each slow step.
    client : distributed.Client, optional
        Match the lexicon and formulations and fit the topic grid on these Dask workers; the same tables.
    """
    from analysis.config import Config
    from analysis.discourse import (
        count_formulations,
        formulation_concordance,
        formulations_by_year,
        read_formulations,
    )
    from analysis.themes import analyse_themes, load_lexicon
    from analysis.topics import run_topics, theme_words

    config = config or Config()
    say = progress or (lambda message: None)
    lexicon = lexicon or load_lexicon()
    say("themes: dictionary model and bootstrap")
    theme_result = analyse_themes(corpus, lexicon, config.themes, client=client)
    say("topics: the grid of models, K and seeds")
    words = theme_words(lexicon)
    topic_result = run_topics(corpus, config.topics, words,
                              theme_result.paragraph_themes[["doc_id", "para_id", "theme"]], client=client)
    bag, fits = _grid_fits(corpus, config.topics, words, topic_result, say)
    say("keyness and formulations")
    docs = corpus.documents
    comparisons = _keyness_tables(corpus, config, say)
    flist = read_formulations()
    counts = count_formulations(corpus.tokens, docs, flist, client=client)
    return ExploreTables(corpus=corpus, config=config, themes=theme_result, topics=topic_result, fits=fits,
                         bag=bag, keyness=comparisons, formulations=flist, formulation_counts=counts,
                         formulations_by_year=formulations_by_year(counts, docs),
                         formulation_concordance=formulation_concordance(corpus.tokens, corpus.paragraphs, None,
                                                                         flist, config.discourse.window))


def _grid_fits(corpus, topics_config, words, topic_result, say) -> tuple[object, list]:
    """Return the bag of words and every fit of the grid (model, K, seed order): the run's fits at the analysis
    K, the others fitted again; raise RuntimeError when a refit does not reproduce the grid's top terms."""
    from joblib import Parallel, delayed

    from analysis.topics import build_bag, derived_seeds, lexicon_terms

    bag = topic_result.bag if topic_result.bag is not None else build_bag(corpus, topics_config)
    theme_terms = lexicon_terms(words, bag.vocab)
    grid = [(m, k, s) for m in topics_config.models for k in sorted(topics_config.k_values)
            for s in derived_seeds(topics_config)["fit"]]
    kept = {(f.model, f.k, f.seed): f for f in topic_result.fits}      # the analysis K's fits
    missing = [key for key in grid if key not in kept]
    say(f"topics: refitting {len(missing)} of {len(grid)} fits to keep their matrices")
    kept.update({(f.model, f.k, f.seed): f for f in
                 Parallel(n_jobs=topics_config.n_jobs)(delayed(_refit)(bag, m, k, s, topics_config, theme_terms)
                                                       for m, k, s in missing)})
    fits = [kept[key] for key in grid]
    terms = topic_result.topic_terms.groupby(["model", "k", "seed"])["term"].agg(list)
    for fit in fits:
        top = np.argsort(-fit.topic_word, axis=1, kind="stable")[:, :topics_config.top_n]
        if list(bag.vocab[top.ravel()]) != terms.loc[(fit.model, fit.k, fit.seed)]:
            raise RuntimeError(f"explore: refitting {fit.model} K={fit.k} seed={fit.seed} did not reproduce "
                               "the grid's top terms")
    return bag, fits


def _refit(bag, model: str, k: int, seed: int, topics_config, theme_terms):
    """Return one fit of the grid, single-threaded as `run_topics` fits (the same numbers)."""
    from threadpoolctl import threadpool_limits

    from analysis.topics import fit_topics

    with threadpool_limits(1):
        return fit_topics(bag, model, k, seed, topics_config, theme_terms, warn=False)


def _keyness_tables(corpus, config, say) -> list[tuple[dict, pd.DataFrame]]:
    """Return (comparison, `keyness` table) per `keyness_comparisons`; a comparison that fails (e.g. an empty
    group in this corpus) is skipped with a message, as the figures do."""
    from analysis.discourse import keyness
    from analysis.errors import AnalysisError

    docs = corpus.documents
    comparisons = []
    for pair in keyness_comparisons(docs, config.figures.keyness):
        try:
            table = keyness(corpus.tokens, docs, pair["target"], pair["reference"], config.discourse)
        except AnalysisError as exc:           # e.g. an empty group in this corpus: as the figures do
            say(f"skipping keyness {pair['label']}: {exc}")
            continue
        comparisons.append((pair, table))
    return comparisons
