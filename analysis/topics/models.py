"""Fitting topic models (gensim, scikit-learn, seeded, tomotopy) and held-out perplexity."""
from __future__ import annotations

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
    """

    model: str
    k: int
    seed: int
    topic_word: np.ndarray
    doc_topic: np.ndarray
    seeded_themes: tuple = ()
    fitted: object = field(default=None, compare=False, repr=False)


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


def fit_topics(bag: BagOfWords, model: str, k: int, seed: int, config: TopicsConfig | None = None,
               theme_terms: dict[str, list[str]] | None = None, heldout: BagOfWords | None = None
               ) -> tuple[TopicFit, float]:
    """Fit one topic model on the bag; return the fit and its held-out perplexity.

    Parameters
    ----------
    bag : BagOfWords
        Training paragraphs.
    model : {"gensim", "sklearn", "seeded", "tomotopy"}
        gensim ``LdaModel`` (single core, ``random_state=seed``, `passes`, `iterations`,
        symmetric priors), scikit-learn ``LatentDirichletAllocation(learning_method="batch",
        max_iter=max_iter, random_state=seed)``, seeded = gensim with the `seeded_eta` prior,
        tomotopy ``LDAModel(k, seed=seed)`` (collapsed Gibbs, `gibbs_iterations` sweeps, one
        worker).
    k : int
        Number of topics, in [2, number of paragraphs].
    seed : int
        Seed of every random step of the fit.
    config : TopicsConfig, optional
    theme_terms : dict of str to list of str, optional
        Theme -> vocabulary terms (`lexicon_terms`); required for "seeded".
    heldout : BagOfWords, optional
        Paragraphs to score; the perplexity is NaN without them.

    Returns
    -------
    (TopicFit, dict)
        The fit, and ``{"perplexity": ..., "bound_perplexity": ...}`` for `heldout` (NaN without
        it): `completion_perplexity`, and the library's own bound-based perplexity per word
        (gensim ``exp(-log_perplexity)``, scikit-learn ``perplexity``; NaN for tomotopy and
        "seeded"). The library value includes the corpus-level topic-word prior term, so it grows
        with K, is not comparable across models, and is meaningless under the seeded prior.

    Raises
    ------
    ConfigError
        Unknown model, k out of range, or "seeded" without a usable lexicon.
    """
    config = config or TopicsConfig()
    if model not in TOPIC_MODELS:
        raise ConfigError(f"topics.models: unknown model {model!r}; expected one of: "
                          f"{', '.join(TOPIC_MODELS)}")
    check_k(k, len(bag.bow), "k_values")
    seed = int(seed)
    seeded: tuple = ()
    if model in ("gensim", "seeded"):
        eta = None
        if model == "seeded":
            if not theme_terms:
                raise ConfigError("topics.models: 'seeded' needs the theme lexicon")
            eta = seeded_eta(bag.vocab, theme_terms, k, config)
            seeded = tuple(theme_terms)
        lda = LdaModel(None, num_topics=k, id2word=bag.dictionary, chunksize=len(bag.bow),
                       passes=config.passes, iterations=config.iterations, alpha="symmetric",
                       eta=eta, eval_every=None, random_state=seed, dtype=np.float64)
        if eta is not None:
            # gensim starts the first E-step from the random sufficient statistics alone, without
            # eta; start it from the prior too (eta + random statistics), so the seed terms
            # steer the first assignment of words to topics, as in keyATM / seeded LDA
            lda.expElogbeta = np.exp(dirichlet_expectation(lda.state.get_lambda()))
        lda.update(bag.bow)
        topic_word = _normalise(lda.get_topics())
        doc_topic = _normalise(lda.inference(bag.bow)[0])

        def infer(texts):
            return _normalise(lda.inference([bag.dictionary.doc2bow(t) for t in texts])[0])

        def bound(held):
            if eta is not None:  # the bound's prior term is meaningless for the seeded prior
                return float("nan")
            return float(np.exp(-lda.log_perplexity(held.bow)))
    elif model == "sklearn":
        lda = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=config.max_iter,
                                        random_state=seed)
        doc_topic = _normalise(lda.fit_transform(bag.matrix))
        topic_word = _normalise(lda.components_)

        def infer(texts):
            return _normalise(lda.transform(_texts_matrix(texts, bag)))

        def bound(held):
            return float(lda.perplexity(held.matrix))
    else:
        topic_word, doc_topic, infer, lda = _fit_tomotopy(bag, k, seed, config)
        bound = None
    fit = TopicFit(model, int(k), seed, topic_word, doc_topic, seeded, fitted=lda)
    if heldout is None:
        return fit, {"perplexity": float("nan"), "bound_perplexity": float("nan")}
    return fit, {"perplexity": completion_perplexity(topic_word, infer, heldout.texts, bag.vocab),
                 "bound_perplexity": bound(heldout) if bound else float("nan")}


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


def _fit_tomotopy(bag: BagOfWords, k: int, seed: int, config: TopicsConfig):
    import tomotopy as tp

    lda = tp.LDAModel(k=k, seed=seed, min_cf=0, rm_top=0)
    for text in bag.texts:
        lda.add_doc(text)
    lda.train(config.gibbs_iterations, workers=1, show_progress=False)
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

    def infer(texts):
        docs = [lda.make_doc([t for t in text if t in used]) for text in texts]
        dists, _ = lda.infer(docs, workers=1, parallel=tp.ParallelScheme.NONE)
        return _normalise(np.array([d.get_topic_dist() if hasattr(d, "get_topic_dist") else d
                                    for d in dists]))

    return topic_word, doc_topic, infer, lda
