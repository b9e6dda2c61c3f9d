"""Topic models of the analysed paragraphs: gensim, scikit-learn and keyword-seeded LDA.

Paragraphs are the documents. One bag of words is built once (`build_bag`): a gensim
`Dictionary` of the paragraph terms with ``filter_extremes(no_below=min_doc_count,
no_above=max_doc_share, keep_n=None)``, term ids in sorted term order, and from it both the gensim
corpus and a scipy CSR matrix with the same ids for scikit-learn. `fit_topics` fits one model
(`TopicFit`: topic-word and doc-topic matrices, rows summing to 1); `run_topics` fits the grid of
K x seeds x models and returns every table (`TopicsResult`).

Definitions (all documented again where computed):
    coherence    gensim `CoherenceModel` c_v, c_npmi (sliding windows over the paragraph term lists)
                 and u_mass (paragraph co-occurrence), on each topic's `top_n` terms; mean over topics.
    perplexity   held-out document-completion perplexity per word (natural log) of a model fitted
                 on the other paragraphs (`holdout_share` left out, seeded split): topic shares
                 inferred from the first half of each held-out paragraph, the second half scored
                 (`completion_perplexity`). Lower is better. `bound_perplexity` is the library's
                 own per-word value (gensim ``exp(-log_perplexity)``, scikit-learn
                 ``perplexity``), which includes the topic-word prior term (see `fit_topics`;
                 NaN for "seeded" and "tomotopy").
    similarity   1 - Jensen-Shannon distance (base 2) between two topic-word distributions, in [0, 1].
    FREX         stm's frequency-exclusivity (Roberts et al.; stm ``calcfrex``, w = 0.5): per topic,
                 FREX = 1 / (w / ECDF(exclusivity) + (1 - w) / ECDF(p(term | topic))), where
                 exclusivity = p(term | topic) / sum over topics of p(term | topic) and ECDF ranks a
                 value among that topic's V values (share of values <= it).
    lift         a topic's probability mass on a theme's lexicon terms divided by those terms'
                 share of all tokens of the bag; a topic maps to the theme of largest lift when it is
                 >= `theme_min_lift` and beats the runner-up by `theme_margin`, else to "other".
                 Seeded topics map to their own theme by construction.
    mapped mass  per paragraph, the doc-topic shares summed over the topics mapped to each
                 category (four themes and "other"); document/year shares are token-weighted means
                 of it (weight: the paragraph's in-vocabulary term count), averaged over seeds.
    label        per paragraph, the theme of largest mapped mass (averaged over the seeds), where
                 the unmapped topics compete one by one ("other" = the largest single unmapped
                 topic's share, `label_mass`), not pooled. Dictionary labels outside the four
                 themes (e.g. "none") count as "other" in the agreement.
    analysis K   the K of each model whose fits feed `typical`, `doc_topics`, `theme_shares`,
                 `paragraph_themes` and `agreement`: `TopicsConfig.analysis_k`, or when 0 the K
                 of highest mean c_v for that model (for "seeded" among K > number of themes, so
                 that at least one free topic can take "other" content, when the grid has such
                 a K); recorded in `facts["analysis_k"]`.

Columns of the tables of `TopicsResult` (``k`` topics, ``seed`` the fit seed, ``topic`` 0-based):
    topic_terms       model, k, seed, topic, rank (1-based), term, weight (p(term | topic))
    topic_labels      model, k, seed, topic, prob_terms, frex_terms (top `top_n`, "; "-joined)
    typical           model, k, seed, topic, rank, doc_id, para_id, line_start, line_end, share
                      (doc-topic share), snippet (first 160 characters of the paragraph)
    doc_topics        model, k, seed, doc_id, para_id, line_start, line_end, topic, share
                      (fits at the analysis K only)
    model_selection   model, k, seed, c_v, c_npmi, u_mass, perplexity, bound_perplexity, n_train,
                      n_heldout
    preferred_k       model, criterion, k, value (mean over seeds), better ("max" or "min")
    stability         model, k, topic (of the first seed's fit), similarity (mean over seed pairs),
                      similarity_min, n_pairs, stable (bool)
    topic_themes      model, k, seed, topic, theme, score (mass on the mapped theme's terms; 0 for
                      "other"), lift, one ``mass_<theme>`` and ``lift_<theme>`` column per theme,
                      seeded (bool: a seeded topic), top_terms
    theme_shares      model, k, level ("document" or "year"), unit, theme, share (mean over seeds),
                      seed_min, seed_max, share_ci_low, share_ci_high (95% percentile paragraph
                      bootstrap of the seed-mean), n_paragraphs, n_terms; with dictionary labels,
                      also rows of model "dictionary" (one-hot labels, seed_min = seed_max = share)
    paragraph_themes  model, doc_id, para_id, line_start, line_end, theme (label from the mapped
                      mass averaged over the seeds at the analysis K)
    agreement         model, k, level ("all" or "document"), unit, theme ("all" or a theme),
                      n_paragraphs, agreement (share of paragraphs with equal labels), kappa
                      (Cohen's, over the four themes and "other"), dictionary_share and model_share
                      (per document and theme: token-weighted share of paragraphs given that label)
"""
from __future__ import annotations

import fnmatch
import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from gensim.models import CoherenceModel, LdaModel
from gensim.models.ldamodel import dirichlet_expectation
from joblib import Parallel, delayed
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import jensenshannon
from scipy.stats import rankdata
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.metrics import cohen_kappa_score
from threadpoolctl import threadpool_limits

from analysis.config import TOPIC_MODELS, TopicsConfig
from analysis.corpus import Corpus, require_columns
from analysis.errors import ConfigError
from analysis.tokens import TOKEN_PATTERN, group_rows, lemmatize

OTHER = "other"
THEME_SHARE_COLUMNS = ["model", "k", "level", "unit", "theme", "share", "seed_min", "seed_max",
                       "share_ci_low", "share_ci_high", "n_paragraphs", "n_terms"]
AGREEMENT_COLUMNS = ["model", "k", "level", "unit", "theme", "n_paragraphs", "agreement", "kappa",
                     "dictionary_share", "model_share"]
PARAGRAPH_THEME_COLUMNS = ["model", "doc_id", "para_id", "line_start", "line_end", "theme"]
COHERENCE_MEASURES = ("c_v", "c_npmi", "u_mass")
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class BagOfWords:
    """The paragraphs as a bag of words, shared by every model.

    Attributes
    ----------
    dictionary : gensim.corpora.Dictionary
        Filtered vocabulary; ids follow sorted term order.
    bow : list of list of (int, int)
        gensim corpus: per paragraph, (term id, count).
    matrix : scipy.sparse.csr_matrix
        The same counts, paragraphs x terms, for scikit-learn.
    vocab : numpy.ndarray of str
        Terms by id.
    texts : list of list of str
        Per paragraph, its in-vocabulary terms in reading order (for coherence).
    paragraphs : pandas.DataFrame
        doc_id, para_id, line_start, line_end, year, n_terms (in-vocabulary term count), text.
    n_dropped : int
        Analysed paragraphs left out because no term survived the filter.
    """

    dictionary: Dictionary
    bow: list
    matrix: sparse.csr_matrix
    vocab: np.ndarray
    texts: list
    paragraphs: pd.DataFrame
    n_dropped: int = 0


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
    """

    model: str
    k: int
    seed: int
    topic_word: np.ndarray
    doc_topic: np.ndarray
    seeded_themes: tuple = ()


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


# --------------------------------------------------------------------------- bag of words

def build_bag(corpus: Corpus, config: TopicsConfig | None = None) -> BagOfWords:
    """Return the analysed paragraphs as one bag of words for every model.

    Parameters
    ----------
    corpus : Corpus
        From `analysis.load_corpus`.
    config : TopicsConfig, optional
        `min_doc_count` (gensim ``no_below``, a paragraph count) and `max_doc_share` (gensim
        ``no_above``, a share of paragraphs) filter the vocabulary; ``keep_n=None``.

    Raises
    ------
    ConfigError
        If no term survives the filter (naming both options).
    """
    config = config or TopicsConfig()
    require_columns(corpus.tokens, {"doc_id": "object", "para_id": "int64", "term": "object"},
                    stage="topics")
    require_columns(corpus.paragraphs, {"doc_id": "object", "para_id": "int64", "line_start": "int64",
                                        "line_end": "int64", "text": "object"}, stage="topics")
    tokens = corpus.tokens
    term = tokens["term"] if isinstance(tokens["term"].dtype, pd.CategoricalDtype) else tokens["term"].astype("category")
    names = np.asarray(term.cat.categories.astype(str), dtype=object)
    codes = term.cat.codes.to_numpy().astype(np.int64)
    mask = codes >= 0
    mask[mask] = (names != "")[codes[mask]]        # compare the categories, not every token
    rows, keys = group_rows(tokens, ("doc_id", "para_id"), mask)    # paragraphs with a term, sorted
    keys["doc_id"] = keys["doc_id"].astype(str)
    paras = corpus.paragraphs.assign(doc_id=corpus.paragraphs["doc_id"].astype(str))
    paras = keys.merge(paras[["doc_id", "para_id", "line_start", "line_end", "text"]],
                       on=["doc_id", "para_id"], how="left")
    years = corpus.documents.assign(doc_id=corpus.documents["doc_id"].astype(str)).set_index("doc_id")["year"]
    paras["year"] = paras["doc_id"].map(years).astype("int64")
    return _bag_from_stream(rows, codes[mask], names, paras, config)


def bag_from_texts(texts: list[list[str]], paragraphs: pd.DataFrame | None = None,
                   config: TopicsConfig | None = None) -> BagOfWords:
    """Return the bag of words of term lists (one per paragraph); see `build_bag`.

    Parameters
    ----------
    texts : list of list of str
        Terms of each paragraph, in reading order.
    paragraphs : pandas.DataFrame, optional
        One row per text: doc_id, para_id, line_start, line_end, year, text. Default: doc_id
        "doc", para_id and lines 1..n, year 0, text the joined terms.
    config : TopicsConfig, optional

    Raises
    ------
    ConfigError
        If no term survives the filter.
    """
    if paragraphs is None:
        n = len(texts)
        paragraphs = pd.DataFrame({"doc_id": "doc", "para_id": np.arange(1, n + 1),
                                   "line_start": np.arange(1, n + 1), "line_end": np.arange(1, n + 1),
                                   "year": 0, "text": [" ".join(t) for t in texts]})
    flat = [str(t) for text in texts for t in text]
    codes, names = pd.factorize(pd.Series(flat, dtype=object), sort=True)
    rows = np.repeat(np.arange(len(texts)), [len(t) for t in texts])
    return _bag_from_stream(rows, codes.astype(np.int64), np.asarray(names, dtype=object),
                            paragraphs.reset_index(drop=True), config)


@contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while millions of acyclic lists and tuples are built:
    each collection would walk every object the process holds (measured: 40% of `build_bag` at 5M words)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_gc_paused()
def _bag_from_stream(rows: np.ndarray, cols: np.ndarray, names: np.ndarray, paragraphs: pd.DataFrame,
                     config: TopicsConfig | None) -> BagOfWords:
    """Return the bag of a token stream: `rows[i]` is the paragraph (row of `paragraphs`, in
    reading order) and `cols[i]` the term (index into `names`) of token i.

    The vocabulary filter is gensim's ``filter_extremes(no_below=min_doc_count,
    no_above=max_doc_share, keep_n=None)``, computed on the count matrix in one pass.
    """
    config = config or TopicsConfig()
    n_docs = len(paragraphs)
    counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64), (rows, cols)), shape=(n_docs, len(names)))
    counts.sum_duplicates()
    dfs = np.bincount(counts.indices, minlength=len(names))
    cfs = np.bincount(cols, minlength=len(names))
    keep = np.flatnonzero((dfs >= config.min_doc_count) & (dfs <= int(config.max_doc_share * n_docs)))
    if not len(keep):
        raise ConfigError(
            f"topics: no terms remain after filtering (topics.min_doc_count={config.min_doc_count}, "
            f"topics.max_doc_share={config.max_doc_share}, {n_docs} paragraphs); "
            "try a lower min_doc_count or a higher max_doc_share")
    keep = keep[np.argsort(names[keep].astype(str), kind="stable")]  # ids in sorted term order
    vocab = names[keep]
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    matrix = counts[:, keep].tocsr()
    matrix.sort_indices()
    nonempty = np.flatnonzero(matrix.getnnz(axis=1))
    matrix = matrix[nonempty]
    # texts: in-vocabulary terms in reading order, one list per non-empty paragraph
    inside = np.flatnonzero(remap[cols] >= 0)
    inside = inside[np.argsort(rows[inside], kind="stable")]  # paragraph by paragraph, reading order within
    flat = vocab[remap[cols[inside]]].tolist()
    bounds = np.r_[0, np.cumsum(np.bincount(rows[inside], minlength=n_docs)[nonempty])]
    texts = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    # bow: one tuple object per distinct (term id, count) pair, shared by every paragraph holding it
    # (gensim only reads them): 36k tuples at 5M words, not 2M to allocate and garbage-collect
    base = int(matrix.data.max(initial=0)) + 1
    pair_code, pair_value = pd.factorize(matrix.indices.astype(np.int64) * base + matrix.data.astype(np.int64))
    shared = np.fromiter(zip((pair_value // base).tolist(), (pair_value % base).tolist()), dtype=object,
                         count=len(pair_value))
    pairs, indptr = shared[pair_code].tolist(), matrix.indptr.tolist()
    bow = [pairs[a:b] for a, b in zip(indptr[:-1], indptr[1:])]
    dictionary = Dictionary([vocab.tolist()])
    dictionary.dfs = dict(enumerate(dfs[keep].tolist()))
    dictionary.cfs = dict(enumerate(cfs[keep].tolist()))
    dictionary.num_docs = n_docs
    dictionary.num_pos = len(flat)
    dictionary.num_nnz = int(matrix.nnz)
    paras = paragraphs.iloc[nonempty].reset_index(drop=True).copy()
    paras["n_terms"] = np.diff(bounds).astype("int64")
    paras = paras[["doc_id", "para_id", "line_start", "line_end", "year", "n_terms", "text"]]
    return BagOfWords(dictionary, bow, matrix, vocab, texts, paras, n_dropped=n_docs - len(nonempty))


def subset_bag(bag: BagOfWords, index: np.ndarray) -> BagOfWords:
    """Return the bag restricted to the paragraphs at `index` (same vocabulary and ids)."""
    index = np.asarray(index)
    return BagOfWords(bag.dictionary, [bag.bow[i] for i in index], bag.matrix[index], bag.vocab,
                      [bag.texts[i] for i in index], bag.paragraphs.iloc[index].reset_index(drop=True))


# --------------------------------------------------------------------------- lexicon

def theme_words(lexicon) -> dict[str, list[str]]:
    """Return theme -> patterns of an `analysis.themes.Lexicon` (exclude entries left out)."""
    words: dict[str, list[str]] = {}
    for entry in lexicon.entries:
        if entry.theme != "exclude":
            words.setdefault(entry.theme, []).append(entry.pattern)
    return words


def lexicon_terms(lexicon: dict[str, list[str]], vocab) -> dict[str, list[str]]:
    """Return each theme's lexicon patterns resolved to terms of the vocabulary.

    A pattern is split into words the way the corpus is tokenised (`TOKEN_PATTERN`); each word
    without a glob is lemmatised, and the words are joined with "_" as multi-word terms are
    ("public interest litigation" -> ``public_interest_litigation``). A pattern with a glob
    (``*``, ``?``, ``[``) is matched with `fnmatch` against the vocabulary. Patterns not in the
    vocabulary are dropped.

    Parameters
    ----------
    lexicon : dict of str to list of str
        Theme -> patterns.
    vocab : iterable of str
        The terms of the bag.

    Returns
    -------
    dict of str to list of str
        Theme -> sorted, de-duplicated vocabulary terms (in the lexicon's theme order).

    Examples
    --------
    >>> lexicon_terms({"security": ["secur*", "national security", "crimes"]},
    ...               ["crime", "national_security", "securities", "secure", "trial"])
    {'security': ['crime', 'national_security', 'secure', 'securities']}
    """
    vocab = sorted(set(map(str, vocab)))
    in_vocab = set(vocab)
    out: dict[str, list[str]] = {}
    for theme, patterns in lexicon.items():
        found: set[str] = set()
        for pattern in patterns:
            raw = str(pattern).lower().strip()
            if any(ch in raw for ch in "*?["):
                words = raw.replace("-", " ").split() if " " in raw else [raw]
                glob = "_".join(words)
                found.update(fnmatch.filter(vocab, glob))
                continue
            words = [lemmatize(m.group()) for m in TOKEN_PATTERN.finditer(raw)]
            term = "_".join(words)
            if term in in_vocab:
                found.add(term)
        out[str(theme)] = sorted(found)
    return out


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
        topic_word, doc_topic, infer = _fit_tomotopy(bag, k, seed, config)
        bound = None
    fit = TopicFit(model, int(k), seed, topic_word, doc_topic, seeded)
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

    return topic_word, doc_topic, infer


# --------------------------------------------------------------------------- labels

def frex(topic_word: np.ndarray, weight: float = 0.5) -> np.ndarray:
    """Return stm's FREX score of every term in every topic (k x V, each value in (0, 1]).

    FREX = 1 / (weight / ECDF(exclusivity) + (1 - weight) / ECDF(frequency)), with frequency
    = p(term | topic), exclusivity = p(term | topic) / sum over topics of p(term | topic), and
    ECDF(x_v) = (number of the topic's V values <= x_v) / V (stm ``calcfrex``).

    Examples
    --------
    >>> s = frex(np.array([[0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]))
    >>> [int(np.argmax(r)) for r in s]
    [0, 2]
    """
    beta = np.asarray(topic_word, dtype=np.float64)
    excl = beta / beta.sum(axis=0, keepdims=True)
    v = beta.shape[1]
    freq_rank = np.vstack([rankdata(row, method="max") / v for row in beta])
    excl_rank = np.vstack([rankdata(row, method="max") / v for row in excl])
    return 1.0 / (weight / excl_rank + (1 - weight) / freq_rank)


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
    """Return per model and criterion the K with the best mean over seeds.

    Coherence (c_v, c_npmi, u_mass): highest is best; perplexity: lowest is best.
    """
    rows = []
    for model, sub in selection.groupby("model", sort=False):
        means = sub.groupby("k")[[*COHERENCE_MEASURES, "perplexity"]].mean()
        for criterion in [*COHERENCE_MEASURES, "perplexity"]:
            col = means[criterion].dropna()
            if col.empty:
                continue
            better = "min" if criterion == "perplexity" else "max"
            k = int(col.idxmin() if better == "min" else col.idxmax())
            rows.append({"model": model, "criterion": criterion, "k": k, "value": float(col[k]),
                         "better": better})
    return pd.DataFrame(rows, columns=["model", "criterion", "k", "value", "better"])


# --------------------------------------------------------------------------- stability

def topic_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the k_a x k_b matrix of 1 - Jensen-Shannon distance (base 2) between topic rows."""
    return 1.0 - jensenshannon(a[:, None, :], b[None, :, :], axis=2, base=2)


def match_topics(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Return, for each reference topic, the index of its one-to-one match in `other`.

    Hungarian assignment (`scipy.optimize.linear_sum_assignment`) maximising the summed
    `topic_similarity`.
    """
    sim = topic_similarity(reference, other)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    match = np.empty(len(reference), dtype=int)
    match[rows] = cols
    return match


def stability(fits: list[TopicFit], threshold: float = 0.5) -> pd.DataFrame:
    """Return per topic of the first fit its mean matched similarity across all seed pairs.

    Every fit is aligned to the first one (`match_topics`); for each pair of fits (i < j) the
    similarity of the aligned topics is taken; a topic's `similarity` is the mean over pairs and
    it is `stable` when that mean is >= `threshold`. With one fit the table is empty.

    Parameters
    ----------
    fits : list of TopicFit
        Fits of one model and one K with different seeds.
    threshold : float, default 0.5
        In similarity units (1 - JS distance, base 2).
    """
    columns = ["model", "k", "topic", "similarity", "similarity_min", "n_pairs", "stable"]
    if len(fits) < 2:
        return pd.DataFrame(columns=columns)
    ref = fits[0].topic_word
    aligned = [f.topic_word[match_topics(ref, f.topic_word)] for f in fits]
    sims = np.array([np.diag(topic_similarity(aligned[i], aligned[j]))
                     for i, j in combinations(range(len(fits)), 2)])
    mean = sims.mean(axis=0)
    return pd.DataFrame({"model": fits[0].model, "k": fits[0].k, "topic": np.arange(fits[0].k),
                         "similarity": mean, "similarity_min": sims.min(axis=0), "n_pairs": len(sims),
                         "stable": mean >= threshold}, columns=columns)


# --------------------------------------------------------------------------- themes

def topic_theme_table(fit: TopicFit, bag: BagOfWords, theme_terms: dict[str, list[str]],
                      config: TopicsConfig) -> pd.DataFrame:
    """Return each topic's theme, mass and lift on every theme's lexicon terms.

    mass = sum of p(term | topic) over the theme's terms; lift = mass / (the theme terms' share
    of all tokens of the bag). A topic maps to the theme of largest lift if that lift is
    >= `theme_min_lift` and beats the second largest by `theme_margin`, else to "other"; seeded
    topics map to their theme by construction. `score` is the mass on the mapped theme (0 for
    "other").
    """
    themes = list(theme_terms)
    index = {t: i for i, t in enumerate(map(str, bag.vocab))}
    totals = np.asarray(bag.matrix.sum(axis=0)).ravel()
    totals = totals / totals.sum()
    mass = np.zeros((fit.k, len(themes)))
    lift = np.zeros((fit.k, len(themes)))
    for j, theme in enumerate(themes):
        ids = [index[t] for t in theme_terms[theme] if t in index]
        mass[:, j] = fit.topic_word[:, ids].sum(axis=1)
        base = totals[ids].sum()
        lift[:, j] = mass[:, j] / base if base > 0 else 0.0
    labels, scores = [], []
    for t in range(fit.k):
        if t < len(fit.seeded_themes):
            j = themes.index(fit.seeded_themes[t])
        else:
            order = np.argsort(-lift[t], kind="stable")
            best = order[0]
            second = lift[t, order[1]] if len(order) > 1 else 0.0
            ok = lift[t, best] >= config.theme_min_lift and lift[t, best] - second >= config.theme_margin
            j = best if ok else None
        labels.append(themes[j] if j is not None else OTHER)
        scores.append((float(mass[t, j]), float(lift[t, j])) if j is not None else (0.0, 0.0))
    table = pd.DataFrame({"model": fit.model, "k": fit.k, "seed": fit.seed, "topic": np.arange(fit.k),
                          "theme": labels, "score": [s[0] for s in scores], "lift": [s[1] for s in scores]})
    for j, theme in enumerate(themes):
        table[f"mass_{theme}"] = mass[:, j]
    for j, theme in enumerate(themes):
        table[f"lift_{theme}"] = lift[:, j]
    table["seeded"] = np.arange(fit.k) < len(fit.seeded_themes)
    return table


def mapped_mass(fit: TopicFit, topic_themes: list[str], categories: list[str]) -> np.ndarray:
    """Return n_paragraphs x len(categories): doc-topic shares summed over each category's topics."""
    onehot = np.zeros((fit.k, len(categories)))
    for t, theme in enumerate(topic_themes):
        onehot[t, categories.index(theme)] = 1.0
    return fit.doc_topic @ onehot


def label_mass(fit: TopicFit, topic_themes: list[str], categories: list[str]) -> np.ndarray:
    """Return n_paragraphs x len(categories) masses for labelling paragraphs.

    As `mapped_mass` for the themes, but the "other" column holds the largest share of any
    single unmapped topic, not their sum: pooled, the unmapped topics (often most of the K) would
    win by their number alone.
    """
    out = mapped_mass(fit, topic_themes, categories)
    other = [t for t, theme in enumerate(topic_themes) if theme == OTHER]
    j = categories.index(OTHER)
    out[:, j] = fit.doc_topic[:, other].max(axis=1) if other else 0.0
    return out


def _weighted_share(values: np.ndarray, weights: np.ndarray, groups: np.ndarray, units) -> np.ndarray:
    """Token-weighted mean of `values` (n x c) within each unit: len(units) x c."""
    out = np.zeros((len(units), values.shape[1]))
    for u, unit in enumerate(units):
        m = groups == unit
        out[u] = weights[m] @ values[m] / weights[m].sum()
    return out


def theme_shares(masses: list[np.ndarray], bag: BagOfWords, categories: list[str], model: str, k: int,
                 n_bootstrap: int, rng: np.random.Generator) -> pd.DataFrame:
    """Return document- and year-level theme shares with seed range and bootstrap interval.

    Parameters
    ----------
    masses : list of numpy.ndarray
        One n_paragraphs x categories mapped-mass matrix per seed (one entry for a dictionary).
    bag : BagOfWords
        Paragraph keys and weights (`n_terms`).
    categories : list of str
        Column names of the masses (themes then "other").
    n_bootstrap : int
        Paragraph bootstrap resamples within each unit, of the seed-mean masses; the interval is
        the 2.5 and 97.5 percentiles.
    rng : numpy.random.Generator
    """
    weights = bag.paragraphs["n_terms"].to_numpy(dtype=np.float64)
    mean_mass = np.mean(masses, axis=0)
    rows = []
    for level, column in (("document", "doc_id"), ("year", "year")):
        groups = bag.paragraphs[column].to_numpy()
        units = sorted(set(groups.tolist()))
        per_seed = np.array([_weighted_share(m, weights, groups, units) for m in masses])
        share = _weighted_share(mean_mass, weights, groups, units)
        for u, unit in enumerate(units):
            idx = np.flatnonzero(groups == unit)
            draws = rng.integers(0, len(idx), size=(n_bootstrap, len(idx)))
            w = weights[idx][draws]
            boot = np.einsum("bn,bnc->bc", w, mean_mass[idx][draws]) / w.sum(axis=1, keepdims=True)
            low, high = np.percentile(boot, [2.5, 97.5], axis=0)
            for c, theme in enumerate(categories):
                rows.append({"model": model, "k": k, "level": level, "unit": str(unit), "theme": theme,
                             "share": share[u, c], "seed_min": per_seed[:, u, c].min(),
                             "seed_max": per_seed[:, u, c].max(), "share_ci_low": low[c],
                             "share_ci_high": high[c], "n_paragraphs": len(idx),
                             "n_terms": int(weights[idx].sum())})
    return pd.DataFrame(rows, columns=THEME_SHARE_COLUMNS)


def agreement(labels: pd.DataFrame, dictionary_labels: pd.DataFrame, bag: BagOfWords,
              categories: list[str], k_by_model: dict[str, int]) -> pd.DataFrame:
    """Return Cohen's kappa and raw agreement of each model's paragraph labels with the dictionary's.

    Dictionary labels outside the categories (e.g. "none") count as "other"; paragraphs missing
    from either side are left out. Per document: kappa, agreement, and per theme the token-weighted
    share of paragraphs the dictionary labels with it (`dictionary_share`) beside the same share of
    the model's labels (`model_share`).

    Parameters
    ----------
    labels : pandas.DataFrame
        model, doc_id, para_id, theme (`paragraph_themes`).
    dictionary_labels : pandas.DataFrame
        doc_id, para_id, theme.
    """
    dic = dictionary_labels[["doc_id", "para_id", "theme"]].copy()
    dic["doc_id"] = dic["doc_id"].astype(str)
    dic["para_id"] = dic["para_id"].astype("int64")
    dic["theme"] = dic["theme"].astype(str).where(dic["theme"].astype(str).isin(categories), OTHER)
    weights = bag.paragraphs[["doc_id", "para_id", "n_terms"]]
    rows = []

    def kappa(a, b) -> float:
        return float(cohen_kappa_score(a, b, labels=categories)) if len(set(a) | set(b)) > 1 else float("nan")

    for model, sub in labels.groupby("model", sort=False):
        both = sub.merge(dic, on=["doc_id", "para_id"], suffixes=("_model", "_dictionary")).merge(
            weights, on=["doc_id", "para_id"])
        a, b = both["theme_dictionary"].to_numpy(), both["theme_model"].to_numpy()
        rows.append({"model": model, "k": k_by_model[model], "level": "all", "unit": "all", "theme": "all",
                     "n_paragraphs": len(both), "agreement": float(np.mean(a == b)) if len(both) else np.nan,
                     "kappa": kappa(a, b) if len(both) else np.nan})
        for doc_id, d in both.groupby("doc_id", sort=True):
            a, b = d["theme_dictionary"].to_numpy(), d["theme_model"].to_numpy()
            rows.append({"model": model, "k": k_by_model[model], "level": "document", "unit": doc_id,
                         "theme": "all", "n_paragraphs": len(d), "agreement": float(np.mean(a == b)),
                         "kappa": kappa(a, b)})
            w = d["n_terms"].to_numpy(dtype=np.float64)
            for theme in categories:
                rows.append({"model": model, "k": k_by_model[model], "level": "document", "unit": doc_id,
                             "theme": theme, "n_paragraphs": len(d),
                             "dictionary_share": float(w @ (a == theme) / w.sum()),
                             "model_share": float(w @ (b == theme) / w.sum())})
    return pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)


# --------------------------------------------------------------------------- the run

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
               dictionary_labels: pd.DataFrame | None = None, progress: bool = False) -> TopicsResult:
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

    Raises
    ------
    ConfigError
        K outside [2, number of paragraphs], an empty vocabulary, "seeded" without a lexicon.
    SchemaError
        If the tokens, paragraphs or dictionary labels lack a column.
    """
    from tqdm import tqdm

    config = config or TopicsConfig()
    if dictionary_labels is not None:
        require_columns(dictionary_labels, {"doc_id": "object", "para_id": "int64", "theme": "object"},
                        stage="topics (dictionary labels)")
    bag = build_bag(corpus, config)
    n = len(bag.bow)
    for k in config.k_values:
        check_k(k, n, "k_values")
    seeds = derived_seeds(config)
    theme_terms = lexicon_terms(theme_words, bag.vocab) if theme_words else None
    if "seeded" in config.models and not theme_terms:
        raise ConfigError("topics.models: 'seeded' needs the theme lexicon (theme_words)")
    split_rng = np.random.default_rng(seeds["split"])
    heldout_idx = np.sort(split_rng.permutation(n)[:max(1, int(round(config.holdout_share * n)))])
    train_idx = np.setdiff1d(np.arange(n), heldout_idx)
    train, heldout = subset_bag(bag, train_idx), subset_bag(bag, heldout_idx)

    grid = [(m, k, s) for m in config.models for k in sorted(config.k_values) for s in seeds["fit"]]
    jobs = Parallel(n_jobs=config.n_jobs, return_as="generator")(
        delayed(_fit_pair)(bag, train, heldout, m, k, s, config, theme_terms) for m, k, s in grid)
    fits: list[TopicFit] = []
    selection_rows = []
    for fit, scores in tqdm(jobs, total=len(grid), desc="topic models", disable=not progress, unit="fit"):
        fits.append(fit)
        selection_rows.append({"model": fit.model, "k": fit.k, "seed": fit.seed, **scores,
                               "n_train": len(train_idx), "n_heldout": len(heldout_idx)})
    selection = coherence(fits, bag, config.top_n).merge(pd.DataFrame(selection_rows),
                                                         on=["model", "k", "seed"])
    preferred = preferred_k(selection)

    key = {(f.model, f.k, f.seed): f for f in fits}
    topic_terms = pd.concat([topic_term_table(f, bag.vocab, config.top_n) for f in fits], ignore_index=True)
    frex_rows = []
    for f in fits:
        fx = _top(frex(f.topic_word), config.top_n)
        pr = _top(f.topic_word, config.top_n)
        for t in range(f.k):
            frex_rows.append({"model": f.model, "k": f.k, "seed": f.seed, "topic": t,
                              "prob_terms": "; ".join(bag.vocab[pr[t]]),
                              "frex_terms": "; ".join(bag.vocab[fx[t]])})
    topic_labels = pd.DataFrame(frex_rows)
    stab = pd.concat([stability([key[(m, k, s)] for s in seeds["fit"]], config.stability_threshold)
                      for m in config.models for k in sorted(config.k_values)], ignore_index=True)

    analysis_k = {}
    for m in config.models:
        if config.analysis_k:
            analysis_k[m] = config.analysis_k
        else:
            analysis_k[m] = _best_k(selection, m, len(theme_terms or {}))
    chosen = [f for f in fits if f.k == analysis_k[f.model]]
    typical = pd.concat([typical_paragraphs(f, bag.paragraphs, config.n_typical) for f in chosen],
                        ignore_index=True)
    keys = bag.paragraphs[["doc_id", "para_id", "line_start", "line_end"]]
    doc_topics = pd.concat([
        pd.DataFrame({"model": f.model, "k": f.k, "seed": f.seed,
                      **{c: np.repeat(keys[c].to_numpy(), f.k) for c in keys.columns},
                      "topic": np.tile(np.arange(f.k), n), "share": f.doc_topic.ravel()})
        for f in chosen], ignore_index=True)

    topic_themes = pd.DataFrame(columns=["model", "k", "seed", "topic", "theme", "score", "lift"])
    shares = pd.DataFrame(columns=THEME_SHARE_COLUMNS)
    para_themes = pd.DataFrame(columns=PARAGRAPH_THEME_COLUMNS)
    agree = pd.DataFrame(columns=AGREEMENT_COLUMNS)
    if theme_terms:
        categories = [*theme_terms, OTHER]
        prob = topic_terms.groupby(["model", "k", "seed", "topic"], sort=False)["term"].agg("; ".join)
        topic_themes = pd.concat([topic_theme_table(f, bag, theme_terms, config) for f in fits],
                                 ignore_index=True)
        topic_themes["top_terms"] = prob.reindex(
            pd.MultiIndex.from_frame(topic_themes[["model", "k", "seed", "topic"]])).to_numpy()
        share_tables, label_tables = [], []
        for m in config.models:
            masses, for_labels = [], []
            for f in (f for f in chosen if f.model == m):
                rows = topic_themes[(topic_themes["model"] == m) & (topic_themes["k"] == f.k)
                                    & (topic_themes["seed"] == f.seed)]
                masses.append(mapped_mass(f, rows["theme"].tolist(), categories))
                for_labels.append(label_mass(f, rows["theme"].tolist(), categories))
            share_tables.append(theme_shares(masses, bag, categories, m, analysis_k[m], config.n_bootstrap,
                                             _bootstrap_rng(seeds["bootstrap"], m)))
            label = np.array(categories)[np.argmax(np.mean(for_labels, axis=0), axis=1)]
            label_tables.append(keys.assign(model=m, theme=label))
        if dictionary_labels is not None:
            dic_mass = _dictionary_mass(dictionary_labels, bag, categories)
            share_tables.append(theme_shares([dic_mass], bag, categories, "dictionary", 0, config.n_bootstrap,
                                             _bootstrap_rng(seeds["bootstrap"], "dictionary")))
        shares = pd.concat(share_tables, ignore_index=True)
        para_themes = pd.concat(label_tables, ignore_index=True)[PARAGRAPH_THEME_COLUMNS]
        if dictionary_labels is not None:
            agree = agreement(para_themes, dictionary_labels, bag, categories, analysis_k)
    facts = {"seeds": seeds, "analysis_k": analysis_k, "n_paragraphs": n, "n_dropped": bag.n_dropped,
             "n_terms": len(bag.vocab), "n_tokens": int(bag.matrix.sum()),
             "heldout": {"n_train": len(train_idx), "n_heldout": len(heldout_idx)},
             "theme_terms": theme_terms or {}}
    return TopicsResult(topic_terms, topic_labels, typical, doc_topics, selection, preferred, stab,
                        topic_themes, shares, para_themes, agree, facts)


def _best_k(selection: pd.DataFrame, model: str, n_themes: int) -> int:
    """Return the K of highest mean c_v of a model; for "seeded", among K with a free topic
    (K > number of themes) when the grid has one, so that "other" content has a topic to go to."""
    means = selection[selection["model"] == model].groupby("k")["c_v"].mean()
    if model == "seeded" and (means.index > n_themes).any():
        means = means[means.index > n_themes]
    return int(means.idxmax())


def _bootstrap_rng(seed: int, model: str) -> np.random.Generator:
    """Return the bootstrap generator of one model, independent of which other models run."""
    names = [*TOPIC_MODELS, "dictionary"]
    return np.random.default_rng([seed, names.index(model)])


def _fit_pair(bag, train, heldout, model, k, seed, config, theme_terms):
    """Fit on all paragraphs (the fit) and on the training split (held-out scores)."""
    with threadpool_limits(1):
        return _fit_pair_unlimited(bag, train, heldout, model, k, seed, config, theme_terms)


def _fit_pair_unlimited(bag, train, heldout, model, k, seed, config, theme_terms):
    fit, _ = fit_topics(bag, model, k, seed, config, theme_terms)
    _, scores = fit_topics(train, model, k, seed, config, theme_terms, heldout=heldout)
    return fit, scores


def _dictionary_mass(dictionary_labels: pd.DataFrame, bag: BagOfWords, categories: list[str]) -> np.ndarray:
    """Return the dictionary labels as one-hot masses aligned to the bag (unlabelled: "other")."""
    dic = dictionary_labels.assign(doc_id=dictionary_labels["doc_id"].astype(str))
    key = bag.paragraphs[["doc_id", "para_id"]].merge(dic[["doc_id", "para_id", "theme"]],
                                                      on=["doc_id", "para_id"], how="left")
    theme = key["theme"].astype(object).where(key["theme"].isin(categories), OTHER)
    out = np.zeros((len(bag.bow), len(categories)))
    out[np.arange(len(out)), [categories.index(t) for t in theme]] = 1.0
    return out
