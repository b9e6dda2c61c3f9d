"""The topic grid runner: every model x K x seed, then the tables at the chosen K."""
from __future__ import annotations

import warnings
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from threadpoolctl import threadpool_limits

from analysis import io
from analysis.config import TopicsConfig
from analysis.corpus import VERSION_RULE, Corpus, require_columns
from analysis.errors import ConfigError, ParameterError
from analysis.topics import fitcache
from analysis.topics.bag import BagOfWords, build_bag, subset_bag
from analysis.topics.labels import _top, frex, topic_term_table, typical_paragraphs
from analysis.topics.mapping import (
    AGREEMENT_COLUMNS,
    OTHER,
    THEME_SHARE_COLUMNS,
    agreement,
    label_mass,
    mapped_mass,
    theme_shares,
    topic_theme_table,
)
from analysis.topics.matching import stability
from analysis.topics.models import (
    TopicFit,
    check_k,
    fit_topics,
    heldout_scores,
    unconverged_message,
)
from analysis.topics.placebo import PLACEBO_COLUMNS, placebo_seedings, placebo_table
from analysis.topics.seeding import lexicon_terms
from analysis.topics.selection import coherence, preferred_k

PARAGRAPH_THEME_COLUMNS = ["model", "doc_id", "para_id", "line_start", "line_end", "theme"]


@dataclass(frozen=True)
class TopicsResult:
    """All tables of `run_topics` (columns in the module docstring) and the run's facts."""

    topic_terms: pd.DataFrame
    topic_labels: pd.DataFrame
    typical: pd.DataFrame
    doc_topics: pd.DataFrame
    model_selection: pd.DataFrame
    preferred_k: pd.DataFrame
    stability: pd.DataFrame
    topic_themes: pd.DataFrame
    theme_shares: pd.DataFrame
    paragraph_themes: pd.DataFrame
    agreement: pd.DataFrame
    facts: dict = field(default_factory=dict)
    fits: tuple = ()
    bag: object = None
    placebo: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PLACEBO_COLUMNS))


# --------------------------------------------------------------------------- the run

@contextmanager
def _backend(engine: str, client):
    """Run joblib's `Parallel` in the block on Dask (engine "dask" or a `client`: yield -1, every
    worker) or as configured (yield None: `TopicsConfig.n_jobs`)."""
    if engine == "local" and client is None:
        yield None
        return
    from joblib import parallel_backend

    from analysis.engine import dask_client

    with ExitStack() as stack:
        client = client if client is not None else stack.enter_context(dask_client())
        stack.enter_context(parallel_backend("dask", client=client))
        yield -1


def derived_seeds(config: TopicsConfig) -> dict[str, object]:
    """Return the fit seeds and the seeds of the held-out split and of the bootstrap.

    ``np.random.SeedSequence(config.seed).spawn(3)`` gives three children: fits (spawned again
    `n_seeds` times, unless `seeds` is given), the held-out split, the bootstrap.
    """
    _, split_ss, boot_ss = np.random.SeedSequence(config.seed).spawn(3)
    return {"fit": list(config.fit_seeds), "split": int(split_ss.generate_state(1)[0]),
            "bootstrap": int(boot_ss.generate_state(1)[0])}


def run_topics(corpus: Corpus, config: TopicsConfig | None = None,
               theme_words: dict[str, list[str]] | None = None,
               dictionary_labels: pd.DataFrame | None = None, progress: bool = False,
               engine: str = "local", client=None, workers: int | None = None, cache=None,
               placebo: bool = True) -> TopicsResult:
    """Fit the grid of models x K x seeds and return every table (see the module docstring).

    Parameters
    ----------
    corpus : Corpus
    config : TopicsConfig, optional
    theme_words : dict of str to list of str, optional
        Theme -> lexicon patterns (globs allowed), resolved with `lexicon_terms`. Needed for
        "seeded" and for the theme mapping; without it `topic_themes`, `theme_shares`,
        `paragraph_themes` and `agreement` are empty.
    dictionary_labels : pandas.DataFrame, optional
        doc_id, para_id, theme: the dictionary model's paragraph labels, for `agreement`.
    progress : bool, default False
        Show a tqdm bar on stderr over the fits.
    engine : {"local", "dask"}
        "dask": the grid's fits run as joblib tasks on Dask workers (`client`, or a `LocalCluster`
        of this machine for the call); every fit is seeded, so the tables equal the local engine's.
    client : distributed.Client, optional
        Implies engine "dask".
    workers : int, optional
        Worker processes of the local engine (default `config.n_jobs`). Every fit runs in one
        process with its own seed, so the tables do not depend on it.
    cache : path, optional
        Folder of the fit cache (`analysis.topics.fitcache`): fits and held-out scores found there
        under their key are read instead of fitted, new ones are stored. None: no cache.
    placebo : bool, default True
        Compute the seeded model's `placebo` table (when the config asks for draws); False leaves
        it empty (the figures draw nothing from it).

    Raises
    ------
    ConfigError
        K outside [2, number of paragraphs], an empty vocabulary, "seeded" without a lexicon.
    SchemaError
        If the tokens, paragraphs or dictionary labels lack a column.
    """
    config, bag, seeds, theme_terms = _prepare(corpus, config, theme_words, dictionary_labels, engine, workers)
    runner = _Runner(engine, client, workers or config.n_jobs, cache, bag, config, progress)
    fits, selection, split = _fit_grid(runner, bag, config, seeds["fit"], seeds["split"], theme_terms)
    at_k, analysis_k, chosen = _tables_at_k(fits, bag, config, seeds["fit"], selection, len(theme_terms or {}))
    themed = _theme_tables(runner, fits, chosen, at_k["topic_terms"], bag, config, seeds, analysis_k, theme_terms,
                           dictionary_labels, placebo)
    facts = {"seeds": seeds, "analysis_k": analysis_k, "n_paragraphs": len(bag.bow), "n_dropped": bag.n_dropped,
             "n_terms": len(bag.vocab), "n_tokens": int(bag.matrix.sum()), "heldout": split,
             "theme_terms": theme_terms or {}, "version_rule": VERSION_RULE,
             "frex": "stm calcfrex, w = 0.5, " + ("with" if config.frex_shrinkage else "without")
                     + " James-Stein shrinkage of exclusivity (stm labelTopics)"}
    return TopicsResult(**at_k, model_selection=selection, preferred_k=preferred_k(selection), **themed,
                        facts=facts, fits=tuple(chosen), bag=bag)


def _prepare(corpus: Corpus, config: TopicsConfig | None, theme_words, dictionary_labels, engine: str, workers):
    """Check `run_topics`'s arguments; return the config (default `TopicsConfig()`), the bag of words, the
    `derived_seeds` and the theme terms resolved in the bag's vocabulary (None without `theme_words`)."""
    if engine not in ("local", "dask"):
        raise ParameterError("run_topics", "engine", f"must be 'local' or 'dask'; got {engine!r}")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 1):
        raise ParameterError("run_topics", "workers", f"must be an integer >= 1; got {workers!r}")
    config = config or TopicsConfig()
    if dictionary_labels is not None:
        require_columns(dictionary_labels, {"doc_id": "object", "para_id": "int64", "theme": "object"},
                        stage="topics (dictionary labels)")
    bag = build_bag(corpus, config)
    for k in config.k_values:
        check_k(k, len(bag.bow), "k_values")
    seeds = derived_seeds(config)
    theme_terms = lexicon_terms(theme_words, bag.vocab) if theme_words else None
    if "seeded" in config.models and not theme_terms:
        raise ConfigError("topics.models: 'seeded' needs the theme lexicon (theme_words)")
    return config, bag, seeds, theme_terms


def _fit_grid(runner: _Runner, bag: BagOfWords, config: TopicsConfig, fit_seeds: list[int], split_seed: int,
              theme_terms) -> tuple[list[TopicFit], pd.DataFrame, dict[str, int]]:
    """Fit models x K x seeds on all paragraphs and score each on a held-out split (drawn with `split_seed`,
    `config.holdout_share` of the paragraphs); return the fits, the model-selection table (one row per fit:
    coherence, held-out scores, convergence) and the split's sizes {"n_train", "n_heldout"} (paragraphs).
    Warns (`UserWarning`, at `run_topics`'s caller) when a fit did not converge."""
    n = len(bag.bow)
    split_rng = np.random.default_rng(split_seed)
    heldout_idx = np.sort(split_rng.permutation(n)[:max(1, int(round(config.holdout_share * n)))])
    train_idx = np.setdiff1d(np.arange(n), heldout_idx)
    train, heldout = subset_bag(bag, train_idx), subset_bag(bag, heldout_idx)

    grid = [(m, k, s) for m in config.models for k in sorted(config.k_values) for s in fit_seeds]
    fits, scores = runner.grid(grid, train, heldout, theme_terms)
    selection_rows = [{"model": f.model, "k": f.k, "seed": f.seed, **sc, "n_train": len(train_idx),
                       "n_heldout": len(heldout_idx), "converged": f.converged, "n_passes": f.n_passes,
                       "last_change": f.last_change} for f, sc in zip(fits, scores)]
    unconverged = [f for f in fits if not f.converged]
    if unconverged:
        warnings.warn(unconverged_message(unconverged), UserWarning, stacklevel=3)
    selection = runner.coherence(fits, config.top_n).merge(pd.DataFrame(selection_rows), on=["model", "k", "seed"])
    return fits, selection, {"n_train": len(train_idx), "n_heldout": len(heldout_idx)}


def _tables_at_k(fits: list[TopicFit], bag: BagOfWords, config: TopicsConfig, fit_seeds: list[int],
                 selection: pd.DataFrame, n_themes: int) -> tuple[dict[str, pd.DataFrame], dict[str, int], list]:
    """Return the topic tables ({"topic_terms", "topic_labels", "stability"} of every fit; {"typical",
    "doc_topics"} of the fits at the analysis K), the analysis K per model and the fits at it."""
    key = {(f.model, f.k, f.seed): f for f in fits}
    topic_terms = pd.concat([topic_term_table(f, bag.vocab, config.top_n) for f in fits], ignore_index=True)
    topic_labels = _topic_labels(fits, bag, config)
    stab = pd.concat([stability([key[(m, k, s)] for s in fit_seeds], config.stability_threshold)
                      for m in config.models for k in sorted(config.k_values)], ignore_index=True)
    analysis_k = {m: config.analysis_k if config.analysis_k else _best_k(selection, m, n_themes)
                  for m in config.models}
    chosen = [f for f in fits if f.k == analysis_k[f.model]]
    typical = pd.concat([typical_paragraphs(f, bag.paragraphs, config.n_typical) for f in chosen],
                        ignore_index=True)
    tables = {"topic_terms": topic_terms, "topic_labels": topic_labels, "typical": typical,
              "doc_topics": _doc_topics(chosen, bag), "stability": stab}
    return tables, analysis_k, chosen


def _topic_labels(fits: list[TopicFit], bag: BagOfWords, config: TopicsConfig) -> pd.DataFrame:
    """Return one row per topic of `fits`: its `config.top_n` terms by probability and by FREX ("; "-joined)."""
    frex_rows = []
    word_counts = np.asarray(bag.matrix.sum(axis=0)).ravel()
    for f in fits:
        fx = _top(frex(f.topic_word, word_counts=word_counts if config.frex_shrinkage else None), config.top_n)
        pr = _top(f.topic_word, config.top_n)
        for t in range(f.k):
            frex_rows.append({"model": f.model, "k": f.k, "seed": f.seed, "topic": t,
                              "prob_terms": "; ".join(bag.vocab[pr[t]]),
                              "frex_terms": "; ".join(bag.vocab[fx[t]])})
    return pd.DataFrame(frex_rows)


def _doc_topics(chosen: list[TopicFit], bag: BagOfWords) -> pd.DataFrame:
    """Return the paragraph x topic shares of the fits `chosen`, one row per (fit, paragraph, topic)."""
    keys = bag.paragraphs[["doc_id", "para_id", "line_start", "line_end"]]
    return pd.concat([
        pd.DataFrame({"model": f.model, "k": f.k, "seed": f.seed,
                      **{c: np.repeat(keys[c].to_numpy(), f.k) for c in keys.columns},
                      "topic": np.tile(np.arange(f.k), len(bag.bow)), "share": f.doc_topic.ravel()})
        for f in chosen], ignore_index=True)


def _theme_tables(runner: _Runner, fits: list[TopicFit], chosen: list[TopicFit], topic_terms: pd.DataFrame,
                  bag: BagOfWords, config: TopicsConfig, seeds: dict, analysis_k: dict[str, int], theme_terms,
                  dictionary_labels: pd.DataFrame | None, placebo: bool) -> dict[str, pd.DataFrame]:
    """Return {"topic_themes", "theme_shares", "paragraph_themes", "agreement", "placebo"}: empty tables with
    their columns without `theme_terms`; agreement and placebo also need `dictionary_labels`."""
    tables = {"topic_themes": pd.DataFrame(columns=["model", "k", "seed", "topic", "theme", "score", "lift"]),
              "theme_shares": pd.DataFrame(columns=THEME_SHARE_COLUMNS),
              "paragraph_themes": pd.DataFrame(columns=PARAGRAPH_THEME_COLUMNS),
              "agreement": pd.DataFrame(columns=AGREEMENT_COLUMNS),
              "placebo": pd.DataFrame(columns=PLACEBO_COLUMNS)}
    if not theme_terms:
        return tables
    categories = [*theme_terms, OTHER]
    prob = topic_terms.groupby(["model", "k", "seed", "topic"], sort=False)["term"].agg("; ".join)
    topic_themes = pd.concat([topic_theme_table(f, bag, theme_terms, config) for f in fits], ignore_index=True)
    topic_themes["top_terms"] = prob.reindex(
        pd.MultiIndex.from_frame(topic_themes[["model", "k", "seed", "topic"]])).to_numpy()
    share_tables, label_tables = _model_theme_shares(chosen, topic_themes, bag, categories, config, analysis_k,
                                                     seeds["bootstrap"])
    if dictionary_labels is not None:
        dic_mass = _dictionary_mass(dictionary_labels, bag, categories)
        share_tables.append(theme_shares([dic_mass], bag, categories, "dictionary", 0, config.n_bootstrap,
                                         seeds["bootstrap"], config.ci_level))
    tables.update(topic_themes=topic_themes, theme_shares=pd.concat(share_tables, ignore_index=True),
                  paragraph_themes=pd.concat(label_tables, ignore_index=True)[PARAGRAPH_THEME_COLUMNS])
    if dictionary_labels is not None:
        tables["agreement"] = agreement(tables["paragraph_themes"], dictionary_labels, bag, categories, analysis_k,
                                        seeds["bootstrap"], config.n_bootstrap, config.ci_level)
        if placebo and "seeded" in config.models and config.placebo_draws:
            key = {(f.model, f.k, f.seed): f for f in fits}
            real = [key[("seeded", analysis_k["seeded"], s)] for s in seeds["fit"]]
            tables["placebo"] = runner.placebo(real, theme_terms, dictionary_labels, seeds["fit"], config.seed)
    return tables


def _model_theme_shares(chosen: list[TopicFit], topic_themes: pd.DataFrame, bag: BagOfWords, categories: list[str],
                        config: TopicsConfig, analysis_k: dict[str, int], bootstrap_seed: int) -> tuple[list, list]:
    """Return, per model of `config.models`, its `theme_shares` table (mapped mass of its fits at the analysis K)
    and its paragraph labels (the category of highest label mass averaged over seeds)."""
    keys = bag.paragraphs[["doc_id", "para_id", "line_start", "line_end"]]
    share_tables, label_tables = [], []
    for m in config.models:
        masses, for_labels = [], []
        for f in (f for f in chosen if f.model == m):
            rows = topic_themes[(topic_themes["model"] == m) & (topic_themes["k"] == f.k)
                                & (topic_themes["seed"] == f.seed)]
            masses.append(mapped_mass(f, rows["theme"].tolist(), categories))
            for_labels.append(label_mass(f, rows["theme"].tolist(), categories))
        share_tables.append(theme_shares(masses, bag, categories, m, analysis_k[m], config.n_bootstrap,
                                         bootstrap_seed, config.ci_level))
        label = np.array(categories)[np.argmax(np.mean(for_labels, axis=0), axis=1)]
        label_tables.append(keys.assign(model=m, theme=label))
    return share_tables, label_tables


def _best_k(selection: pd.DataFrame, model: str, n_themes: int) -> int:
    """Return the K of highest mean c_v of a model; for "seeded", among K with a free topic
    (K > number of themes) when the grid has one, so that "other" content has a topic to go to."""
    means = selection[selection["model"] == model].groupby("k")["c_v"].mean()
    if model == "seeded" and (means.index > n_themes).any():
        means = means[means.index > n_themes]
    return int(means.idxmax())


class _Runner:
    """Runs fits and held-out scores: read from the fit cache, else as joblib tasks (`_backend`),
    each in one process with its own seed, stored in the cache as they arrive."""

    def __init__(self, engine, client, workers, cache, bag, config, progress):
        self.engine, self.client, self.workers, self.bag, self.config = engine, client, workers, bag, config
        self.cache = None if cache is None else Path(cache) / "fits"
        self.progress, self.digests = progress, {"all": fitcache.bag_digest(bag)}

    def grid(self, grid, train, heldout, theme_terms) -> tuple[list[TopicFit], list[dict]]:
        """Return the fit on all paragraphs and the held-out scores of each (model, k, seed) of `grid`."""
        self.digests.update(train=fitcache.bag_digest(train), heldout=fitcache.bag_digest(heldout))
        self.train, self.heldout = train, heldout
        specs = [(kind, m, k, s, theme_terms) for m, k, s in grid for kind in ("fit", "heldout")]
        out = self.run(specs, "topic models")
        self.fit_keys = self.keys[::2]
        return out[::2], out[1::2]

    def coherence(self, fits, top_n) -> pd.DataFrame:
        """Return `coherence` of the grid's fits (scored together), from the cache when the same fits were."""
        folder = None if self.cache is None else self.cache.parent / "coherence"
        key = io.cache_key({"coherence": self.fit_keys, "top_n": top_n,
                            "environment": fitcache.environment("selection.py")})
        hit = io.read_cache_entry(folder, key) if folder is not None else None
        if hit is not None:
            return hit[0]["coherence"]
        table = coherence(fits, self.bag, top_n)
        if folder is not None:
            io.write_cache_entry(folder, key, {"coherence": table})
        return table

    def placebo(self, real, theme_terms, dictionary_labels, seeds, root_seed) -> pd.DataFrame:
        """Return the `seeded_placebo` table, reusing the grid's seeded fits `real` for the lexicon rows."""
        k, draws = real[0].k, self.config.placebo_draws
        seedings = placebo_seedings(self.bag, theme_terms, draws, root_seed)
        fits = self.run([("fit", "seeded", k, seeds[(d - 1) % len(seeds)], fake)
                         for d, fake in enumerate(seedings, start=1)], "placebo fits")
        return placebo_table(self.bag, theme_terms, dictionary_labels, real, fits, seedings, self.config)

    def run(self, specs, desc) -> list:
        """Return, per spec (kind "fit" or "heldout", model, k, seed, theme_terms), the fit or the scores."""
        from tqdm import tqdm

        keys = [fitcache.fit_key(self.digests["all" if kind == "fit" else "train"], m, k, s, self.config, terms,
                                 None if kind == "fit" else self.digests["heldout"])
                for kind, m, k, s, terms in specs]
        self.keys, out = keys, []
        for (kind, *_), key in zip(specs, keys):
            hit = fitcache.load(self.cache, key)
            out.append(None if hit is None else hit[kind if kind == "fit" else "scores"])
        # the largest K first, so that no worker is left alone with a slow fit at the end
        todo = sorted((i for i, value in enumerate(out) if value is None), key=lambda i: -specs[i][2])
        if todo:
            with _backend(self.engine, self.client) as n_jobs:
                jobs = Parallel(n_jobs=n_jobs or self.workers, return_as="generator")(
                    delayed(_task)(self.bag if specs[i][0] == "fit" else self.train,
                                   None if specs[i][0] == "fit" else self.heldout, *specs[i][1:], self.config)
                    for i in todo)
                for i, value in zip(todo, tqdm(jobs, total=len(todo), desc=desc, disable=not self.progress,
                                               unit="fit")):
                    if specs[i][0] == "fit":
                        out[i] = _portable(value)
                        fitcache.store(self.cache, keys[i], fit=out[i])
                    else:
                        out[i] = value
                        fitcache.store(self.cache, keys[i], scores=value)
        return out


def _task(bag, heldout, model, k, seed, theme_terms, config):
    """Fit on `bag` (`heldout` None: return the fit) or on the training split `bag` and score
    `heldout` (return the held-out scores), single-threaded.

    A tomotopy model cannot cross a process boundary as an object: it travels as the bytes of
    its own format (`LDAModel.saves`), which `_portable` turns back into a model.
    """
    # one chunk of paragraphs in scikit-learn's E-step, as in this process: inside a Dask task
    # joblib's nested backend would be Dask again, and each chunk draws its own random start
    with threadpool_limits(1), parallel_config(backend="sequential"):
        if heldout is not None:
            return heldout_scores(bag, heldout, model, k, seed, config, theme_terms)
        fit = fit_topics(bag, model, k, seed, config, theme_terms, warn=False)
    if model == "tomotopy" and fit.fitted is not None:
        fit = replace(fit, fitted=fit.fitted.saves(full=True))
    return fit


def _portable(fit: TopicFit) -> TopicFit:
    """Return `fit` with a tomotopy model given as bytes loaded back into a model object."""
    if isinstance(fit.fitted, bytes):
        import tomotopy as tp

        return replace(fit, fitted=tp.LDAModel.loads(fit.fitted))
    return fit


def _dictionary_mass(dictionary_labels: pd.DataFrame, bag: BagOfWords, categories: list[str]) -> np.ndarray:
    """Return the dictionary labels as one-hot masses aligned to the bag (unlabelled: "other")."""
    dic = dictionary_labels.assign(doc_id=dictionary_labels["doc_id"].astype(str))
    key = bag.paragraphs[["doc_id", "para_id"]].merge(dic[["doc_id", "para_id", "theme"]],
                                                      on=["doc_id", "para_id"], how="left")
    theme = key["theme"].astype(object).where(key["theme"].isin(categories), OTHER)
    out = np.zeros((len(bag.bow), len(categories)))
    out[np.arange(len(out)), [categories.index(t) for t in theme]] = 1.0
    return out
