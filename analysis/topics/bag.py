"""The paragraphs as a bag of words shared by every topic model."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from gensim.corpora import Dictionary
from scipy import sparse

from analysis.config import TopicsConfig
from analysis.corpus import Corpus, primary_documents, require_columns
from analysis.errors import ConfigError
from analysis.query import group_rows


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
        doc_id, para_id, line_start, line_end, year, n_terms (in-vocabulary term count), text,
        counts_once (bool: the paragraph's document counts in year and pooled tables,
        `analysis.corpus.VERSION_RULE`).
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
    codes = term.cat.codes.to_numpy()      # int32 as pandas keeps them: no token-length int64 copy
    mask = codes >= 0
    mask[mask] = (names != "")[codes[mask]]        # compare the categories, not every token
    rows, keys = group_rows(tokens, ("doc_id", "para_id"), mask)    # paragraphs with a term, sorted
    keys["doc_id"] = keys["doc_id"].astype(str)
    paras = corpus.paragraphs.assign(doc_id=corpus.paragraphs["doc_id"].astype(str))
    paras = keys.merge(paras[["doc_id", "para_id", "line_start", "line_end", "text"]],
                       on=["doc_id", "para_id"], how="left")
    years = corpus.documents.assign(doc_id=corpus.documents["doc_id"].astype(str)).set_index("doc_id")["year"]
    paras["year"] = paras["doc_id"].map(years).astype("int64")
    paras["counts_once"] = paras["doc_id"].isin(primary_documents(corpus.documents))
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
    if "counts_once" not in paragraphs:
        paragraphs = paragraphs.assign(counts_once=True)
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


def kept_terms(dfs: np.ndarray, n_docs: int, config: TopicsConfig) -> np.ndarray:
    """Return the indexes of the terms of paragraph counts `dfs` (out of `n_docs` paragraphs) that
    gensim's ``filter_extremes(no_below=min_doc_count, no_above=max_doc_share, keep_n=None)`` keeps.

    Raises
    ------
    ConfigError
        If no term is kept (naming both options).
    """
    keep = np.flatnonzero((dfs >= config.min_doc_count) & (dfs <= int(config.max_doc_share * n_docs)))
    if not len(keep):
        raise ConfigError(
            f"topics: no terms remain after filtering (topics.min_doc_count={config.min_doc_count}, "
            f"topics.max_doc_share={config.max_doc_share}, {n_docs} paragraphs); "
            "try a lower min_doc_count or a higher max_doc_share")
    return keep


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
    index_type = np.int32 if max(n_docs, len(names)) < np.iinfo(np.int32).max else np.int64
    counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float64),
                                (rows.astype(index_type, copy=False), cols.astype(index_type, copy=False))),
                               shape=(n_docs, len(names)))
    counts.sum_duplicates()
    dfs = np.bincount(counts.indices, minlength=len(names))
    cfs = np.bincount(cols, minlength=len(names))
    keep = kept_terms(dfs, n_docs, config)
    keep = keep[np.argsort(names[keep].astype(str), kind="stable")]  # ids in sorted term order
    vocab = names[keep]
    remap = np.full(len(names), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    matrix = counts[:, keep].tocsr()
    del counts
    matrix.sort_indices()
    nonempty = np.flatnonzero(matrix.getnnz(axis=1))
    matrix = matrix[nonempty]
    # texts: in-vocabulary terms in reading order, one list per non-empty paragraph
    inside = np.flatnonzero(remap[cols] >= 0)
    inside = inside[np.argsort(rows[inside], kind="stable")]  # paragraph by paragraph, reading order within
    flat = vocab[remap[cols[inside]]].tolist()
    bounds = np.r_[0, np.cumsum(np.bincount(rows[inside], minlength=n_docs)[nonempty])]
    del inside, remap
    texts = [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    n_pos = len(flat)
    del flat                    # the texts hold their own lists
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
    dictionary.num_pos = n_pos
    dictionary.num_nnz = int(matrix.nnz)
    paras = paragraphs.iloc[nonempty].reset_index(drop=True).copy()
    paras["n_terms"] = np.diff(bounds).astype("int64")
    paras = paras[["doc_id", "para_id", "line_start", "line_end", "year", "n_terms", "text", "counts_once"]]
    return BagOfWords(dictionary, bow, matrix, vocab, texts, paras, n_dropped=n_docs - len(nonempty))


def subset_bag(bag: BagOfWords, index: np.ndarray) -> BagOfWords:
    """Return the bag restricted to the paragraphs at `index` (same vocabulary and ids)."""
    index = np.asarray(index)
    return BagOfWords(bag.dictionary, [bag.bow[i] for i in index], bag.matrix[index], bag.vocab,
                      [bag.texts[i] for i in index], bag.paragraphs.iloc[index].reset_index(drop=True))
