"""Fitting topic models (gensim, scikit-learn, seeded, tomotopy) and held-out perplexity."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from gensim.models import LdaModel
from gensim.models.ldamodel import dirichlet_expectation
from scipy import sparse
from sklearn.decomposition import LatentDirichletAllocation

from analysis.config import TOPIC_MODELS, TopicsConfig
from analysis.errors import ConfigError
from analysis.topics.bag import BagOfWords


@dataclass(frozen=True)
class TopicFit:
    """One fitted topic model.

    Attributes
    ----------
    model : str
        {"gensim", "sklearn", "seeded", "tomotopy"}.
    k : int
        Number of topics.
    seed : int
        Seed of the fit.
    topic_word : numpy.ndarray
        k x V, p(term | topic); rows sum to 1.
    doc_topic : numpy.ndarray
        n_paragraphs x k, topic shares of each paragraph; rows sum to 1.
    seeded_themes : tuple of str
        For "seeded": the theme of topics 0 .. len-1 (the rest are free); empty otherwise.
    fitted : object
        The library's fitted model (gensim ``LdaModel``, scikit-learn
        ``LatentDirichletAllocation``, tomotopy ``LDAModel``), for `analysis.topics.save_models`.
    converged : bool
        The stopping rule was met (False when it is off, ``tolerance = 0``).
    n_passes : int
        Passes (gensim, seeded), EM iterations (scikit-learn) or Gibbs sweeps (tomotopy) run.
    last_change : float
        The stopping-rule statistic at the last check (see `fit_topics`; NaN when the rule is off
        or too few passes ran).
    """

    model: str
    k: int
    seed: int
    topic_word: np.ndarray
    doc_topic: np.ndarray
    seeded_themes: tuple = ()
    fitted: object = field(default=None, compare=False, repr=False)
    converged: bool = True
    n_passes: int = 0
    last_change: float = float("nan")


# --------------------------------------------------------------------------- fitting

def _normalise(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a / a.sum(axis=1, keepdims=True)


def check_k(k: int, n_paragraphs: int, option: str = "k") -> None:
    """Raise ConfigError unless 2 <= k <= n_paragraphs, naming `option`."""
    if not isinstance(k, (int, np.integer)) or k < 2 or k > n_paragraphs:
        raise ConfigError(f"topics.{option} must be an integer in [2, {n_paragraphs}] (the number of "
                          f"paragraphs); got {k!r}")


def seeded_eta(vocab, theme_terms: dict[str, list[str]], k: int, config: TopicsConfig) -> np.ndarray:
    """Return the k x V ``eta`` prior of the seeded model.

    Topic i < len(themes) is theme i's topic. Every cell starts at gensim's symmetric default
    ``1 / k``. A seed term of theme i gets ``config.seed_weight`` in topic i and
    ``1 / k * config.seed_other_factor`` in the other themes' seeded topics (free topics keep
    ``1 / k``). A term seeding two themes gets `seed_weight` in both.

    Raises
    ------
    ConfigError
        If k is smaller than the number of themes, or a theme has no term in the vocabulary.
    """
    themes = list(theme_terms)
    if k < len(themes):
        raise ConfigError(f"topics.k_values: the seeded model needs k >= {len(themes)} (one topic per "
                          f"theme); got {k}")
    index = {t: i for i, t in enumerate(map(str, vocab))}
    base = 1.0 / k
    eta = np.full((k, len(index)), base)
    seeds = {theme: [index[t] for t in terms if t in index] for theme, terms in theme_terms.items()}
    for theme, ids in seeds.items():
        if not ids:
            raise ConfigError(f"theme lexicon: theme {theme!r} has no term in the topic vocabulary")
    for i, theme in enumerate(themes):
        others = [j for j in range(len(themes)) if j != i]
        eta[np.ix_(others, seeds[theme])] = base * config.seed_other_factor
    for i, theme in enumerate(themes):
        eta[i, seeds[theme]] = config.seed_weight
    return eta


@dataclass(frozen=True)
class _Engine:
    """A fitted model and what scoring it needs (not pickled: it stays in the fitting process)."""

    fit: TopicFit
    infer: Callable[[list], np.ndarray]           # term lists -> topic shares (rows sum to 1)
    bound: Callable[[BagOfWords], float] | None   # held-out bag -> library per-word bound perplexity


def _relative_change(old: float, new: float) -> float:
    return abs(new - old) / max(abs(old), 1e-12)


#: Checks the stopping rule looks back over: the criterion's relative change across the last
#: `WINDOW` checks, divided by `WINDOW`, must be below the tolerance (one quiet step on a plateau
#: between two phases of learning does not stop a fit).
WINDOW = 5


def _topic_step(previous: np.ndarray | None, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Return the normalised topic-word matrix and its mean L1 distance per topic to `previous`."""
    current = _normalise(weights)
    step = float(np.abs(current - previous).sum(axis=1).mean()) if previous is not None else float("inf")
    return current, step


def _mean_step(trace: list[float]) -> float:
    """Return the mean of the last `WINDOW` steps (NaN if fewer)."""
    return float(np.mean(trace[-WINDOW:])) if len(trace) >= WINDOW and np.isfinite(trace[-WINDOW]) else float("nan")


def _change(trace: list[float]) -> float:
    """Return the mean relative change per check over the last `WINDOW` checks (NaN if too few)."""
    if len(trace) <= WINDOW:
        return float("nan")
    return _relative_change(trace[-1 - WINDOW], trace[-1]) / WINDOW


def _fit_gensim(bag: BagOfWords, k: int, seed: int, config: TopicsConfig, eta=None, seeded: tuple = ()) -> _Engine:
    """gensim ``LdaModel`` as batch variational EM (one chunk, ``decay=0``: each pass replaces the
    topics by the M-step's), one pass per `update`, until the topic-word distributions' mean L1
    step per pass over the last `WINDOW` passes is below `config.tolerance` (or `config.passes`).

    One chunk on purpose: batch EM fed in chunks (``update_every=0``) is the same computation, and
    gensim's online chunks (``chunksize=2000, decay=0.5``) shrink every step by a falling learning
    rate, so a step rule would be met by the schedule rather than by the topics; neither converges
    sooner (`benchmarks/lda_engines.py`: at 1M words both still moved 2-3e-4 per pass after 100
    passes of about 2.7 CPU s, where tomotopy meets its rule in 350 sweeps, 12.6 CPU s)."""
    lda = LdaModel(None, num_topics=k, id2word=bag.dictionary, chunksize=len(bag.bow), passes=1,
                   iterations=config.iterations, gamma_threshold=config.estep_tolerance, alpha="symmetric",
                   eta=eta, eval_every=None, decay=0.0,
                   random_state=seed, dtype=np.float64)
    if eta is not None:
        # gensim starts the first E-step from the random sufficient statistics alone, without
        # eta; start it from the prior too (eta + random statistics), so the seed terms
        # steer the first assignment of words to topics, as in keyATM / seeded LDA
        lda.expElogbeta = np.exp(dirichlet_expectation(lda.state.get_lambda()))
    trace = _batch_passes(lda, bag.bow, config)
    fit = TopicFit("seeded" if eta is not None else "gensim", int(k), seed, _normalise(lda.get_topics()),
                   _normalise(lda.inference(bag.bow)[0]), seeded, fitted=lda,
                   **_convergence(trace, config.tolerance, config.passes))

    def infer(texts):
        return _normalise(lda.inference([bag.dictionary.doc2bow(t) for t in texts])[0])

    def bound(held):
        return float(np.exp(-lda.log_perplexity(held.bow)))

    # the bound's prior term is meaningless for the seeded prior
    return _Engine(fit, infer, bound if eta is None else None)


def _batch_passes(lda: LdaModel, corpus, config: TopicsConfig) -> list[float]:
    """Run `lda` over `corpus` (a list of gensim documents, or a streamed corpus such as `MmCorpus`
    read in ``lda.chunksize`` chunks) one batch EM pass per `update`, until the stopping rule of
    `_fit_gensim` is met or `config.passes` ran; return the per-pass steps (empty when
    ``tolerance = 0``)."""
    trace, previous = [], None
    for _ in range(config.passes):
        # each `update` adds the corpus to the documents seen and scales the new statistics by
        # seen / corpus, as if every pass were more data; reset, so the M-step is batch EM's
        # (lambda = eta + statistics of one pass), as gensim's own ``passes=N`` computes it
        lda.state.numdocs = 0
        lda.update(corpus, passes=1)
        if config.tolerance > 0:
            previous, step = _topic_step(previous, lda.get_topics())
            trace.append(step)
            if _mean_step(trace) < config.tolerance:
                break
    return trace


def _fit_seeded(bag: BagOfWords, k: int, seed: int, config: TopicsConfig, theme_terms=None) -> _Engine:
    """gensim with the `seeded_eta` prior (one topic per theme, then free topics)."""
    if not theme_terms:
        raise ConfigError("topics.models: 'seeded' needs the theme lexicon")
    return _fit_gensim(bag, k, seed, config, seeded_eta(bag.vocab, theme_terms, k, config), tuple(theme_terms))


def _fit_sklearn(bag: BagOfWords, k: int, seed: int, config: TopicsConfig, theme_terms=None) -> _Engine:
    """scikit-learn batch variational EM, one iteration at a time, until the topic-word
    distributions' mean L1 step per iteration over the last `WINDOW` iterations is below
    `config.tolerance` (or `config.max_iter` iterations).

    The loop is scikit-learn's own ``fit`` loop (``_em_step`` with ``batch_update=True``) with a
    check between steps; a test shows N steps equal ``LatentDirichletAllocation(max_iter=N).fit``.
    """
    lda = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=1, random_state=seed,
                                    max_doc_update_iter=config.iterations, mean_change_tol=config.estep_tolerance)
    matrix = bag.matrix.astype(np.float64)
    trace, previous = [], None
    for i in range(config.max_iter):
        if i == 0:
            lda.fit(matrix)                        # checks, initialises and runs the first EM step
        else:                                      # the next step of scikit-learn's own batch loop
            lda._em_step(matrix, total_samples=matrix.shape[0], batch_update=True, parallel=None)
            lda.n_iter_ = i + 1
        if config.tolerance > 0:
            previous, step = _topic_step(previous, lda.components_)
            trace.append(step)
            if _mean_step(trace) < config.tolerance:
                break
    fit = TopicFit("sklearn", int(k), seed, _normalise(lda.components_), _normalise(lda.transform(matrix)),
                   (), fitted=lda, **_convergence(trace, config.tolerance, config.max_iter))

    def infer(texts):
        return _normalise(lda.transform(_texts_matrix(texts, bag)))

    return _Engine(fit, infer, lambda held: float(lda.perplexity(held.matrix)))


def _convergence(trace: list[float], tolerance: float, limit: int, steps: bool = True) -> dict:
    """Return converged, n_passes and last_change of a fit from its per-pass trace (`steps`: the
    trace holds per-pass parameter steps, else values of a criterion)."""
    if tolerance <= 0:
        return {"converged": False, "n_passes": limit, "last_change": float("nan")}
    last = _mean_step(trace) if steps else _change(trace)
    return {"converged": bool(last < tolerance), "n_passes": len(trace), "last_change": last}


#: One fit function per model family: (bag, k, seed, config, theme_terms) -> _Engine.
FITTERS: dict[str, Callable[..., _Engine]] = {
    "gensim": lambda bag, k, seed, config, theme_terms=None: _fit_gensim(bag, k, seed, config),
    "seeded": _fit_seeded,
    "sklearn": _fit_sklearn,
    "tomotopy": lambda bag, k, seed, config, theme_terms=None: _fit_tomotopy(bag, k, seed, config),
}


def _engine(bag: BagOfWords, model: str, k: int, seed: int, config: TopicsConfig | None,
            theme_terms: dict[str, list[str]] | None) -> _Engine:
    config = config or TopicsConfig()
    if model not in FITTERS:
        raise ConfigError(f"topics.models: unknown model {model!r}; expected one of: "
                          f"{', '.join(TOPIC_MODELS)}")
    check_k(k, len(bag.bow), "k_values")
    return FITTERS[model](bag, k, int(seed), config, theme_terms)


def fit_topics(bag: BagOfWords, model: str, k: int, seed: int, config: TopicsConfig | None = None,
               theme_terms: dict[str, list[str]] | None = None, warn: bool = True) -> TopicFit:
    """Fit one topic model on the bag until it converges; return the fit.

    Parameters
    ----------
    bag : BagOfWords
        Training paragraphs.
    model : {"gensim", "sklearn", "seeded", "tomotopy"}
        gensim ``LdaModel`` (single core, ``random_state=seed``, symmetric priors, one pass per
        update), scikit-learn ``LatentDirichletAllocation(learning_method="batch")``, seeded =
        gensim with the `seeded_eta` prior, tomotopy ``LDAModel(k, seed=seed)`` (collapsed Gibbs,
        one worker: with two, fits of one seed differed between runs, as did gensim
        ``LdaMulticore``'s; `benchmarks/lda_engines.py --determinism`). One fit function per
        family in `FITTERS`.
    k : int
        Number of topics, in [2, number of paragraphs].
    seed : int
        Seed of every random step of the fit.
    config : TopicsConfig, optional
        Stopping rule (variational engines): after each pass (gensim, seeded) or EM iteration
        (scikit-learn) the L1 distance between the old and new p(term | topic) of each topic is
        averaged over topics; the fit stops when the mean of the last `WINDOW` such steps is
        below `tolerance`, or after `passes` / `max_iter`. tomotopy (Gibbs sampling, whose topics
        never stop moving) checks its log-likelihood per word every `GIBBS_BLOCK` sweeps and
        stops when its relative change over the last `WINDOW` checks, per check, is below
        ``tolerance * GIBBS_BLOCK`` (or after `gibbs_iterations`). ``tolerance = 0`` runs exactly
        the maximum, computing nothing, and reports the fit unconverged.
    theme_terms : dict of str to list of str, optional
        Theme -> vocabulary terms (`lexicon_terms`); required for "seeded".
    warn : bool, default True
        Warn (`UserWarning`) when the fit stops unconverged.

    Returns
    -------
    TopicFit
        With ``converged``, ``n_passes`` (passes, iterations or sweeps used) and ``last_change``.

    Raises
    ------
    ConfigError
        Unknown model, k out of range, or "seeded" without a usable lexicon.
    """
    fit = _engine(bag, model, k, seed, config, theme_terms).fit
    if warn and not fit.converged:
        warnings.warn(unconverged_message([fit]), UserWarning, stacklevel=2)
    return fit


def unconverged_message(fits: list[TopicFit]) -> str:
    """Return a one-line warning naming the fits that stopped before their stopping rule was met."""
    names = ", ".join(f"{f.model} k={f.k} seed={f.seed} ({f.n_passes} passes, "
                      + (f"last change {f.last_change:.2g})" if np.isfinite(f.last_change) else "too few to judge)")
                      for f in fits)
    return (f"{len(fits)} topic fit(s) stopped unconverged: {names}; raise topics.passes / max_iter / "
            "gibbs_iterations (or set topics.tolerance > 0)")


def heldout_scores(train: BagOfWords, heldout: BagOfWords, model: str, k: int, seed: int,
                   config: TopicsConfig | None = None,
                   theme_terms: dict[str, list[str]] | None = None) -> dict[str, float]:
    """Fit on `train` and score `heldout`; return ``{"perplexity": p, "bound_perplexity": b,
    "heldout_converged": bool, "heldout_n_passes": float, "heldout_last_change": float}`` (the fit on
    `train`'s convergence, as `TopicFit` reports it; a warning when it stopped unconverged).

    ``perplexity``: `completion_perplexity` per word (natural log; same computation for every
    family, so comparable across models; lower is better). ``bound_perplexity``: the library's
    own bound-based perplexity per word (gensim ``exp(-log_perplexity)``, scikit-learn
    ``perplexity``; NaN for tomotopy and "seeded"); it includes the corpus-level topic-word prior
    term, so it grows with K and is not comparable across models.
    """
    engine = _engine(train, model, k, seed, config, theme_terms)
    if not engine.fit.converged:
        warnings.warn("held-out scoring: " + unconverged_message([engine.fit]), UserWarning, stacklevel=2)
    return {"perplexity": completion_perplexity(engine.fit.topic_word, engine.infer, heldout.texts, train.vocab),
            "bound_perplexity": engine.bound(heldout) if engine.bound else float("nan"),
            "heldout_converged": bool(engine.fit.converged), "heldout_n_passes": float(engine.fit.n_passes),
            "heldout_last_change": float(engine.fit.last_change)}


def _texts_matrix(texts: list, bag: BagOfWords) -> sparse.csr_matrix:
    """Return term lists as a count matrix over the bag's vocabulary ids."""
    bows = [bag.dictionary.doc2bow(t) for t in texts]
    rows = np.repeat(np.arange(len(bows)), [len(b) for b in bows])
    cols = np.array([i for b in bows for i, _ in b], dtype=np.int64)
    vals = np.array([c for b in bows for _, c in b], dtype=np.float64)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(bows), len(bag.vocab)))


def completion_perplexity(topic_word: np.ndarray, infer, texts: list, vocab) -> float:
    """Return the document-completion perplexity per word of held-out paragraphs.

    Each held-out paragraph's in-vocabulary terms are cut in two in reading order; the model
    infers the paragraph's topic shares from the first half (``ceil(n / 2)`` terms) and the
    second half is scored: perplexity = exp(-sum log p(term) / number of scored terms), with
    p(term) = sum over topics of share x p(term | topic) (natural log; Wallach et al. 2009,
    "document completion"). Paragraphs of one term are skipped. The same computation for every
    model family, so values compare across models; lower is better.
    """
    firsts, seconds = [], []
    for text in texts:
        if len(text) < 2:
            continue
        half = (len(text) + 1) // 2
        firsts.append(text[:half])
        seconds.append(text[half:])
    theta = infer(firsts)
    index = {str(t): i for i, t in enumerate(vocab)}
    loglik, n = 0.0, 0
    for d, words in enumerate(seconds):
        ids = [index[w] for w in words]
        loglik += float(np.log(theta[d] @ topic_word[:, ids]).sum())
        n += len(ids)
    return float(np.exp(-loglik / n))


#: tomotopy sweeps between two checks of the stopping rule.
GIBBS_BLOCK = 50


def _fit_tomotopy(bag: BagOfWords, k: int, seed: int, config: TopicsConfig) -> _Engine:
    import tomotopy as tp

    lda = tp.LDAModel(k=k, seed=seed, min_cf=0, rm_top=0)
    for text in bag.texts:
        lda.add_doc(text)
    trace, done = [], 0
    while done < config.gibbs_iterations:
        step = min(GIBBS_BLOCK, config.gibbs_iterations - done)
        lda.train(step, workers=1, show_progress=False)
        done += step
        if config.tolerance > 0:
            trace.append(float(lda.ll_per_word))
            if _change(trace) < config.tolerance * GIBBS_BLOCK:
                break
    used = {t: i for i, t in enumerate(lda.used_vocabs)}
    # tomotopy's p(term | topic) = (n_kw + eta) / (n_k + V_used * eta) over the terms it saw;
    # recover n_kw and smooth over the whole vocabulary, so unseen terms keep eta / (n_k + V eta)
    n_k = np.asarray(lda.get_count_by_topics(), dtype=np.float64)[:, None]
    raw = np.array([lda.get_topic_word_dist(t) for t in range(k)], dtype=np.float64)
    n_kw = np.clip(raw * (n_k + len(used) * lda.eta) - lda.eta, 0, None)
    column = pd.Index(list(lda.used_vocabs)).get_indexer(list(bag.vocab))   # -1: unseen term
    counts = np.zeros((k, len(bag.vocab)))
    counts[:, column >= 0] = n_kw[:, column[column >= 0]]
    topic_word = _normalise(counts + lda.eta)
    doc_topic = _normalise(np.array([d.get_topic_dist() for d in lda.docs]))
    state = _convergence(trace, config.tolerance * GIBBS_BLOCK, config.gibbs_iterations, steps=False)
    state["n_passes"] = done if config.tolerance > 0 else config.gibbs_iterations

    def infer(texts):
        docs = [lda.make_doc([t for t in text if t in used]) for text in texts]
        dists, _ = lda.infer(docs, workers=1, parallel=tp.ParallelScheme.NONE)
        return _normalise(np.array([d.get_topic_dist() if hasattr(d, "get_topic_dist") else d
                                    for d in dists]))

    return _Engine(TopicFit("tomotopy", int(k), seed, topic_word, doc_topic, (), fitted=lda, **state), infer, None)
