"""The bag of words built per partition of the corpus into a Matrix Market file, and LDA fitted from it.

`stream_bag` counts each part of the corpus (a block of whole documents: the Parquet parts of a
corpus cache entry, `cache_parts`, or blocks of a loaded corpus, `corpus_parts`) into a sparse
partial table of term counts per paragraph, in this process (engine "local") or on Dask workers
("dask"). The client merges only the parts' vocabularies (term, paragraph count, token count),
keeps the terms `analysis.topics.bag.kept_terms` keeps, numbers them in sorted term order, and
the parts write their rows; the client joins them in paragraph order into one gensim `MmCorpus`.
The whole bag is never in one process's memory: a part's partial table is spooled to disk
between the steps. The result equals `analysis.topics.build_bag` (vocabulary, ids, counts,
paragraph order) for any number of parts or workers.

A bag folder holds ``corpus.mm`` (Matrix Market coordinate, 1-based paragraph rows x term
columns, integer counts; readable by `gensim.corpora.MmCorpus` and `scipy.io.mmread`),
``vocabulary.tsv`` (id, term, df: paragraphs holding the term, cf: its tokens; tab-separated, one
header line), ``paragraphs.parquet`` (`PARAGRAPH_COLUMNS`) and ``bag.json`` (counts, settings and
the sha256 of the other three files; written last).

`fit_streamed_lda` fits the toolkit's gensim model (batch variational EM, the stopping rule of
`analysis.topics.fit_topics`) reading ``corpus.mm`` in chunks: memory is the topic-word matrix
and one chunk. Batch EM summed over chunks is the same computation as over all paragraphs at
once, so the fit equals ``fit_topics(bag, "gensim", k, seed, config)`` (to float rounding).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.config import TopicsConfig
from analysis.corpus import Corpus, primary_documents
from analysis.errors import ParameterError

MM_FILE, VOCABULARY_FILE, PARAGRAPHS_FILE, RECORD_FILE = "corpus.mm", "vocabulary.tsv", "paragraphs.parquet", "bag.json"
#: Columns of `StreamedBag.paragraphs`: those of `BagOfWords.paragraphs` but the text.
PARAGRAPH_COLUMNS = ["doc_id", "para_id", "line_start", "line_end", "year", "n_terms", "counts_once"]
_MM_HEADER = "%%MatrixMarket matrix coordinate real general\n"


@dataclass(frozen=True)
class Part:
    """One block of whole documents: its tokens (doc_id, para_id, term) and paragraphs (doc_id,
    para_id, line_start, line_end) as tables, or as Parquet files of a cache entry with their sha256."""

    tokens: pd.DataFrame | None = None
    paragraphs: pd.DataFrame | None = None
    files: tuple = ()          # ((tokens path, sha256), (paragraphs path, sha256))


@dataclass(frozen=True)
class StreamedBag:
    """A bag of words on disk (see the module docstring).

    Attributes
    ----------
    folder : pathlib.Path
    paragraphs : pandas.DataFrame
        `PARAGRAPH_COLUMNS`, one row per row of the Matrix Market file, in its order.
    record : dict
        ``bag.json``: num_docs (paragraphs with a term before the filter), n_paragraphs, n_terms,
        num_pos (in-vocabulary tokens), num_nnz, n_dropped, min_doc_count, max_doc_share, n_parts,
        sha256 (file name -> hex digest).
    """

    folder: Path
    paragraphs: pd.DataFrame
    record: dict

    @property
    def path(self) -> Path:
        """The Matrix Market file."""
        return self.folder / MM_FILE

    def corpus(self):
        """Return the file as a `gensim.corpora.MmCorpus` (paragraphs streamed from disk)."""
        from gensim.corpora import MmCorpus

        return MmCorpus(str(self.path))

    def dictionary(self):
        """Return the vocabulary as a gensim `Dictionary` (ids, dfs, cfs, num_docs, num_pos, num_nnz)."""
        from gensim.corpora import Dictionary

        table = read_vocabulary(self.folder / VOCABULARY_FILE)
        dictionary = Dictionary([table["term"].tolist()])
        dictionary.dfs = dict(zip(table["id"].tolist(), table["df"].tolist()))
        dictionary.cfs = dict(zip(table["id"].tolist(), table["cf"].tolist()))
        dictionary.num_docs, dictionary.num_pos = self.record["num_docs"], self.record["num_pos"]
        dictionary.num_nnz = self.record["num_nnz"]
        return dictionary


def read_vocabulary(path: str | Path) -> pd.DataFrame:
    """Return a ``vocabulary.tsv`` as a table: id, term (every term a string, "nan" and "null" too), df, cf."""
    import csv

    return pd.read_csv(path, sep="\t", dtype={"id": "int64", "term": object, "df": "int64", "cf": "int64"},
                       keep_default_na=False, na_filter=False, quoting=csv.QUOTE_NONE, encoding="utf-8")


def read_bag(folder: str | Path) -> StreamedBag:
    """Return the bag written by `stream_bag` into `folder`.

    Raises
    ------
    ParameterError
        If ``bag.json`` is missing or a file's sha256 differs from the one it records.
    """
    folder = Path(folder)
    try:
        record = json.loads((folder / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ParameterError("read_bag", "folder", f"{folder} holds no complete bag of words ({RECORD_FILE})") from None
    for name, digest in record["sha256"].items():
        if _sha256(folder / name) != digest:
            raise ParameterError("read_bag", "folder", f"{folder / name} does not match the sha256 in {RECORD_FILE}")
    return StreamedBag(folder, pd.read_parquet(folder / PARAGRAPHS_FILE), record)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- parts

def corpus_parts(corpus: Corpus, partitions: int) -> list[Part]:
    """Return the tokens and paragraphs of a loaded corpus in `partitions` blocks of whole
    documents (consecutive in the token table's order; fewer when there are fewer documents)."""
    from analysis.engine import blocks

    tokens, paragraphs = corpus.tokens, corpus.paragraphs
    doc_codes, docs = pd.factorize(tokens["doc_id"].astype(str))
    out = []
    for a, b in blocks(len(docs), partitions):
        inside = set(docs[a:b])
        mask = (doc_codes >= a) & (doc_codes < b)
        out.append(Part(tokens=tokens.loc[mask, ["doc_id", "para_id", "term"]].reset_index(drop=True),
                        paragraphs=paragraphs.loc[paragraphs["doc_id"].astype(str).isin(inside),
                                                  ["doc_id", "para_id", "line_start", "line_end"]]))
    return out


def cache_parts(entry: str | Path) -> list[Part]:
    """Return the parts of a corpus cache entry (the folder holding ``entry.json``, written by
    `analysis.load_corpus(cache=...)`): part i of its tokens and part i of its paragraphs, which
    hold the same documents, each with the sha256 the entry records (checked where it is read).

    Raises
    ------
    ParameterError
        If the entry is unreadable or its tokens and paragraphs have different numbers of parts.
    """
    entry = Path(entry)
    try:
        files = json.loads((entry / "entry.json").read_text(encoding="utf-8"))["files"]
        tokens, paragraphs = sorted(files["tokens"].items()), sorted(files["paragraphs"].items())
    except (OSError, ValueError, KeyError):
        raise ParameterError("stream_bag", "source", f"{entry} is not a readable corpus cache entry") from None
    if len(tokens) != len(paragraphs):
        raise ParameterError("stream_bag", "source", f"{entry}: {len(tokens)} parts of tokens but "
                             f"{len(paragraphs)} of paragraphs; rebuild the cache entry")
    return [Part(files=((str(entry / "tokens" / t), td), (str(entry / "paragraphs" / p), pd_)))
            for (t, td), (p, pd_) in zip(tokens, paragraphs)]


def _read_part(part: Part) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return a part's tokens and paragraphs, reading its Parquet files (sha256 checked on the bytes parsed)."""
    if not part.files:
        return part.tokens, part.paragraphs
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for (path, digest), columns in zip(part.files, (["doc_id", "para_id", "term"],
                                                     ["doc_id", "para_id", "line_start", "line_end"])):
        data = Path(path).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise ParameterError("stream_bag", "source", f"{path} does not match the sha256 of its cache entry")
        tables.append(pq.ParquetFile(pa.BufferReader(data)).read(columns=columns).to_pandas())
    return tables[0], tables[1]


# --------------------------------------------------------------------------- work on one part

def _count_part(part: Part, spool: str, index: int) -> dict:
    """Count one part into a partial table spooled in `spool` (CSR of term counts, rows its
    paragraphs with a term in (doc_id, para_id) order, columns its terms in sorted order; and
    the rows' keys); return its vocabulary: terms, df, cf, and n_rows."""
    from analysis.query import group_rows

    tokens, paragraphs = _read_part(part)
    term = tokens["term"] if isinstance(tokens["term"].dtype, pd.CategoricalDtype) else tokens["term"].astype("category")
    categories = np.asarray(term.cat.categories.astype(str), dtype=object)      # the categories, not every token
    codes = term.cat.codes.to_numpy().astype(np.int64)
    keep = codes >= 0
    keep[keep] = (categories != "")[codes[keep]]
    used = np.unique(codes[keep])
    used = used[np.argsort(categories[used].astype(str), kind="stable")]        # the part's terms, sorted
    local = np.full(len(categories), -1, dtype=np.int64)
    local[used] = np.arange(len(used))
    codes, names = local[codes[keep]], categories[used]
    rows, keys = group_rows(tokens, ("doc_id", "para_id"), keep)
    counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, codes)), shape=(len(keys), len(names)))
    counts.sum_duplicates()
    keys["doc_id"] = keys["doc_id"].astype(str)
    lines = paragraphs.assign(doc_id=paragraphs["doc_id"].astype(str))
    keys = keys.merge(lines, on=["doc_id", "para_id"], how="left")
    folder = Path(spool) / f"part-{index:05d}"
    folder.mkdir(exist_ok=True)          # a task retried after its worker died writes again
    sparse.save_npz(folder / "counts.npz", counts, compressed=False)
    np.save(folder / "terms.npy", np.asarray(names, dtype=object).astype(str), allow_pickle=False)
    keys.to_parquet(folder / "rows.parquet", index=False)
    return {"terms": np.asarray(names, dtype=object), "df": np.bincount(counts.indices, minlength=len(names)),
            "cf": np.bincount(codes, minlength=len(names)), "n_rows": len(keys)}


def _spooled(spool: str, index: int, vocab: np.ndarray) -> tuple[sparse.csr_matrix, pd.DataFrame]:
    """Return a spooled part's counts over the merged vocabulary (sorted terms `vocab`; other
    terms dropped), with only its rows that keep a term, and those rows' keys."""
    folder = Path(spool) / f"part-{index:05d}"
    counts = sparse.load_npz(folder / "counts.npz").tocsr()
    keys = pd.read_parquet(folder / "rows.parquet")
    terms = np.load(folder / "terms.npy", allow_pickle=False)
    at = np.searchsorted(vocab, terms)
    found = at < len(vocab)
    found[found] = vocab[at[found]] == terms[found]
    remap = np.where(found, at, -1)
    counts = counts[:, np.flatnonzero(found)]          # sorted terms: global ids keep the local order
    counts = sparse.csr_matrix((counts.data, remap[found][counts.indices], counts.indptr),
                               shape=(counts.shape[0], len(vocab)))
    nonempty = np.flatnonzero(counts.getnnz(axis=1))
    return counts[nonempty], keys.iloc[nonempty].reset_index(drop=True).assign(
        n_terms=np.asarray(counts[nonempty].sum(axis=1)).ravel().astype("int64"))


def _filter_part(index: int, spool: str, vocab: np.ndarray) -> pd.DataFrame:
    """Return the keys (doc_id, para_id, line_start, line_end, n_terms) of a spooled part's rows
    that keep a term of `vocab`, in the part's order."""
    return _spooled(spool, index, vocab)[1]


def _write_part(index: int, spool: str, vocab: np.ndarray, first_row: dict) -> dict:
    """Write a spooled part's Matrix Market lines (1-based row, column, count; a document's rows
    numbered from `first_row[doc_id]`, 0-based) to ``part-i.mm`` in `spool`; return ``ranges``,
    each document's (doc_id, first byte, end byte) in the file, and ``nnz``, its lines."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    counts, keys = _spooled(spool, index, vocab)
    doc = keys["doc_id"].to_numpy()
    starts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if len(doc) else np.array([], dtype=np.int64)
    row = np.empty(len(doc), dtype=np.int64)
    for a, b in zip(starts, np.r_[starts[1:], len(doc)]):
        row[a:b] = first_row[doc[a]] + np.arange(b - a)
    lines = pa.table({"row": np.repeat(row + 1, np.diff(counts.indptr)), "col": counts.indices.astype(np.int64) + 1,
                      "count": counts.data.astype(np.int64)})
    options = pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none")
    ranges = []
    with open(Path(spool) / f"part-{index:05d}.mm", "wb") as handle:
        for a, b in zip(starts, np.r_[starts[1:], len(doc)]):
            begin = handle.tell()
            lo, hi = int(counts.indptr[a]), int(counts.indptr[b])
            pacsv.write_csv(lines.slice(lo, hi - lo), handle, options)
            ranges.append((str(doc[a]), begin, handle.tell()))
    return {"ranges": ranges, "nnz": int(counts.nnz)}


# --------------------------------------------------------------------------- the bag

def _run(client, function, items: list, *args) -> list:
    """Return `function(item, *args)` for each item: in this process (`client` None) or as Dask tasks."""
    if client is None:
        return [function(item, *args) for item in items]
    from analysis.engine import gather

    shared = [client.scatter(a, broadcast=True, hash=False) if isinstance(a, (np.ndarray, dict)) else a for a in args]
    return gather(client, client.map(function, items, *[[a] * len(items) for a in shared], pure=False))


def stream_bag(source, folder: str | Path, config: TopicsConfig | None = None, engine: str = "local",
               client=None, partitions: int | None = None) -> StreamedBag:
    """Build the bag of words of `source` part by part and write it into `folder`; return it.

    Parameters
    ----------
    source : Corpus or path
        A loaded corpus (cut into `partitions` blocks of whole documents, `corpus_parts`), or a
        corpus cache entry folder (its Parquet parts, `cache_parts`; only the documents table is
        read here). The corpus must hold its tokens, paragraphs and documents.
    folder : path
        Where ``corpus.mm``, ``vocabulary.tsv``, ``paragraphs.parquet`` and ``bag.json`` go
        (created; a spool folder inside it is removed at the end). With engine "dask" the
        workers write into it, so it must be on a file system they share.
    config : TopicsConfig, optional
        `min_doc_count` and `max_doc_share`, as `analysis.topics.build_bag`.
    engine : {"local", "dask"}
        Where the parts are counted and written; `client` implies "dask" (without one, a
        `LocalCluster` of this machine for the call).
    partitions : int, optional
        Blocks of a loaded corpus (default: 1 locally, 4 per Dask worker); ignored for an entry.

    Returns
    -------
    StreamedBag
        Equal to `build_bag(corpus, config)`: same terms and ids, counts, paragraphs and order.

    Raises
    ------
    ConfigError
        If no term survives the filter.
    ParameterError
        Unknown engine, a source that is neither, a cache part whose sha256 differs.
    """
    if engine not in ("local", "dask"):
        raise ParameterError("stream_bag", "engine", f"must be 'local' or 'dask'; got {engine!r}")
    if (engine == "dask") and client is None:
        from analysis.engine import dask_client

        with dask_client() as own:
            return stream_bag(source, folder, config, "dask", own, partitions)
    config = config or TopicsConfig()
    parts, documents = _source_parts(source, client, partitions)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD_FILE).unlink(missing_ok=True)          # the folder holds no complete bag until the end
    spool = tempfile.mkdtemp(prefix=".spool-", dir=folder)
    try:
        return _stream(parts, documents, folder, spool, config, client)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _source_parts(source, client, partitions: int | None) -> tuple[list[Part], pd.DataFrame]:
    """Return the parts and the documents table of `source` (see `stream_bag`)."""
    if isinstance(source, Corpus):
        if partitions is None:
            from analysis.engine import default_partitions

            partitions = 1 if client is None else default_partitions(client)
        return corpus_parts(source, partitions), source.documents
    if isinstance(source, (str, Path)):
        from analysis import io

        parts, entry = cache_parts(source), Path(source)
        hit = io.read_cache_entry(entry.parent, entry.name, {"documents": None})
        if hit is None:
            raise ParameterError("stream_bag", "source", f"{entry}: its documents table does not match its sha256")
        return parts, hit[0]["documents"]
    raise ParameterError("stream_bag", "source", f"must be a Corpus or a cache entry folder; got {type(source).__name__}")


def _stream(parts: list[Part], documents: pd.DataFrame, folder: Path, spool: str, config: TopicsConfig,
            client) -> StreamedBag:
    """Count, merge, filter and write the parts (see `stream_bag`)."""
    from analysis.topics.bag import kept_terms

    indexes = list(range(len(parts)))
    counted = _run(client, _count_indexed, list(zip(parts, indexes)), spool)
    none = [{"terms": np.empty(0, dtype=object), "df": np.empty(0, dtype=np.int64), "cf": np.empty(0, dtype=np.int64)}]
    terms, where = np.unique(np.concatenate([c["terms"] for c in none + counted]).astype(str), return_inverse=True)
    dfs, cfs = (np.bincount(where, weights=np.concatenate([c[name] for c in none + counted]),
                            minlength=len(terms)).astype(np.int64) for name in ("df", "cf"))
    n_docs = sum(c["n_rows"] for c in counted)
    keep = kept_terms(dfs, n_docs, config)                  # np.unique sorted the terms: ids in sorted order
    vocab = terms[keep]
    kept = _run(client, _filter_part, indexes, spool, vocab)
    rows = pd.concat(kept, ignore_index=True).sort_values(["doc_id", "para_id"], kind="stable", ignore_index=True)
    doc = rows["doc_id"].to_numpy()
    firsts = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]]) if len(doc) else np.array([], dtype=np.int64)
    first_row = dict(zip(doc[firsts].tolist(), firsts.tolist()))
    written = _run(client, _write_part, indexes, spool, vocab, first_row)
    n_nnz = sum(w["nnz"] for w in written)
    _join(folder / MM_FILE, spool, [w["ranges"] for w in written], f"{len(rows)} {len(vocab)} {n_nnz}",
          doc[firsts].tolist())
    pd.DataFrame({"id": np.arange(len(vocab)), "term": vocab.astype(object), "df": dfs[keep],
                  "cf": cfs[keep]}).to_csv(folder / VOCABULARY_FILE, sep="\t", index=False, encoding="utf-8")
    years = documents.assign(doc_id=documents["doc_id"].astype(str)).set_index("doc_id")["year"]
    paragraphs = rows.assign(year=rows["doc_id"].map(years).astype("int64"),
                             counts_once=rows["doc_id"].isin(primary_documents(documents)))[PARAGRAPH_COLUMNS]
    paragraphs.to_parquet(folder / PARAGRAPHS_FILE, index=False)
    record = {"num_docs": int(n_docs), "n_paragraphs": len(rows), "n_terms": len(vocab),
              "num_pos": int(cfs[keep].sum()), "num_nnz": int(n_nnz), "n_dropped": int(n_docs - len(rows)),
              "min_doc_count": config.min_doc_count, "max_doc_share": config.max_doc_share, "n_parts": len(parts),
              "sha256": {name: _sha256(folder / name) for name in (MM_FILE, VOCABULARY_FILE, PARAGRAPHS_FILE)}}
    (folder / RECORD_FILE).write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    return StreamedBag(folder, paragraphs, record)


def _count_indexed(item: tuple[Part, int], spool: str) -> dict:
    return _count_part(item[0], spool, item[1])


def _join(path: Path, spool: str, ranges: list[list[tuple[str, int, int]]], size: str, order: list[str]) -> None:
    """Write the Matrix Market file `path`: the header (`size`: "rows columns entries"), then each
    document's lines (from the parts' files, `ranges` per part) in the order of `order`."""
    where = {doc: (i, a, b) for i, part in enumerate(ranges) for doc, a, b in part}
    pieces = []                                  # (part, start, end), adjacent ranges of one part merged
    for doc in order:
        i, a, b = where[doc]
        if pieces and pieces[-1][0] == i and pieces[-1][2] == a:
            pieces[-1] = (i, pieces[-1][1], b)
        else:
            pieces.append((i, a, b))
    sources = [Path(spool) / f"part-{i:05d}.mm" for i in range(len(ranges))]
    with open(path, "wb") as out:
        out.write(f"{_MM_HEADER}{size}\n".encode())
        handles = {}
        try:
            for i, a, b in pieces:
                handle = handles.get(i) or handles.setdefault(i, open(sources[i], "rb"))
                handle.seek(a)
                left = b - a
                while left:
                    block = handle.read(min(left, 1 << 22))
                    out.write(block)
                    left -= len(block)
        finally:
            for handle in handles.values():
                handle.close()


# --------------------------------------------------------------------------- LDA from disk

def fit_streamed_lda(bag: StreamedBag | str | Path, k: int, seed: int, config: TopicsConfig | None = None,
                     chunksize: int = 2000):
    """Fit the toolkit's gensim model on a bag on disk, reading it in chunks; return the `TopicFit`.

    The fit is `fit_topics(bag, "gensim", k, seed, config)`'s (``LdaModel``, symmetric priors,
    ``decay=0``, ``random_state=seed``, float64; one batch variational EM pass per update until
    the mean L1 step of p(term | topic) over the last `WINDOW` passes is below
    `config.tolerance`, or `config.passes`) with ``update_every=0``: each pass's sufficient
    statistics are summed over chunks of `chunksize` paragraphs read from ``corpus.mm``, then one
    M-step. The doc-topic shares are inferred chunk by chunk too (the same random draws in the
    same order as over all paragraphs at once). Memory: the k x V topic-word matrices, one chunk,
    and the n_paragraphs x k shares returned.

    Parameters
    ----------
    bag : StreamedBag or path
        From `stream_bag`, or its folder (`read_bag`: sha256 checked).
    k : int
        Topics, in [2, number of paragraphs].
    seed : int
    config : TopicsConfig, optional
        passes, iterations, estep_tolerance, tolerance (as `fit_topics`).
    chunksize : int, default 2000
        Paragraphs per chunk (>= 1); the result does not depend on it beyond float rounding.

    Returns
    -------
    TopicFit
        model "gensim"; ``fitted`` the gensim ``LdaModel``.
    """
    from gensim import utils
    from gensim.models import LdaModel

    from analysis.topics.models import TopicFit, _batch_passes, _convergence, _normalise, check_k

    if not isinstance(chunksize, (int, np.integer)) or chunksize < 1:
        raise ParameterError("fit_streamed_lda", "chunksize", f"must be an integer >= 1; got {chunksize!r}")
    config = config or TopicsConfig()
    bag = bag if isinstance(bag, StreamedBag) else read_bag(bag)
    check_k(k, bag.record["n_paragraphs"], "k_values")
    corpus = bag.corpus()
    lda = LdaModel(None, num_topics=k, id2word=bag.dictionary(), chunksize=chunksize, passes=1, update_every=0,
                   iterations=config.iterations, gamma_threshold=config.estep_tolerance, alpha="symmetric",
                   eval_every=None, decay=0.0, random_state=int(seed), dtype=np.float64)
    trace = _batch_passes(lda, corpus, config)
    shares = np.vstack([lda.inference(chunk)[0] for chunk in utils.grouper(corpus, chunksize)])
    return TopicFit("gensim", int(k), int(seed), _normalise(lda.get_topics()), _normalise(shares), (), fitted=lda,
                    **_convergence(trace, config.tolerance, config.passes))


def _grid_fit(spec: tuple[int, int], folder: str, config: TopicsConfig, chunksize: int):
    from dataclasses import replace

    return replace(fit_streamed_lda(folder, spec[0], spec[1], config, chunksize), fitted=None)


def streamed_grid(bag: StreamedBag, config: TopicsConfig | None = None, client=None,
                  chunksize: int = 2000) -> tuple[list, dict[str, pd.DataFrame]]:
    """Fit `fit_streamed_lda` for every K of `config.k_values` and seed of `config.fit_seeds`, in
    this process or (`client`) one fit per Dask task reading the bag's folder; return the fits
    (``fitted`` None) and the tables ``topic_terms``, ``doc_topics`` (every fit) and ``fits``
    (model, k, seed, converged, n_passes, last_change), with the columns of `run_topics`' tables."""
    from analysis.topics.labels import topic_term_table

    config = config or TopicsConfig()
    specs = [(int(k), int(s)) for k in sorted(config.k_values) for s in config.fit_seeds]
    fits = _run(client, _grid_fit, specs, str(bag.folder), config, chunksize)
    vocab = read_vocabulary(bag.folder / VOCABULARY_FILE)["term"].to_numpy()
    keys = bag.paragraphs[["doc_id", "para_id", "line_start", "line_end"]]
    doc_topics = pd.concat([pd.DataFrame({"model": f.model, "k": f.k, "seed": f.seed,
                                          **{c: np.repeat(keys[c].to_numpy(), f.k) for c in keys.columns},
                                          "topic": np.tile(np.arange(f.k), len(keys)), "share": f.doc_topic.ravel()})
                            for f in fits], ignore_index=True)
    table = pd.DataFrame([{"model": f.model, "k": f.k, "seed": f.seed, "converged": f.converged,
                           "n_passes": f.n_passes, "last_change": f.last_change} for f in fits])
    return fits, {"topic_terms": pd.concat([topic_term_table(f, vocab, config.top_n) for f in fits], ignore_index=True),
                  "doc_topics": doc_topics, "fits": table}
