"""Cut analysed paragraphs into sentences and tokens: lower-cased lemmas, stop words, multi-word terms.

A token is a run of letters with inner hyphens ("high-quality"); numbers and the possessive "'s"
are not tokens. Lemmas come from simplemma (its English dictionary ships inside the pip package),
corrected by `data/lemma_overrides.csv`; compounds ending in a participle stay whole ("state-owned").
Stop words are gensim's English list, less the words in `data/stopwords_keep.csv`, plus the domain
words in `data/stopwords_domain.csv`. Multi-word terms
come from the curated `data/mwe.csv` (every English variant of one official term maps to one
canonical term), then by gensim `Phrases`' rule (normalised PMI) on the rest, counted on term codes
(`analysis.phrases`).

Columns of `tokens` (one row per word token of an analysed paragraph, in reading order):
    doc_id : category     document
    para_id : int32       1-based paragraph number (joins `paragraphs`)
    sent_id : int32       1-based sentence number within the paragraph
    position : int32      0-based token number within the paragraph
    start : int32         0-based offset of the token's first character in the paragraph text
    end : int32           0-based offset one past its last character (half-open)
    line : int32          1-based line of the seed file the token stands on
    lemma : category      lower-cased lemma
    stop : bool           True for stop words
    term : category       the token's analysis term: the lemma, or a multi-word term (on the
                          first token of the expression, "" on the others), or "" for stop words

Columns of `sentences`:
    doc_id, para_id       paragraph
    sent_id : int         1-based sentence number within the paragraph
    start, end : int      0-based, half-open character offsets in the paragraph text
    line : int            1-based source line where the sentence starts
    n_tokens : int        word tokens in the sentence
    text : str            sentence text

Columns of `phrases` (multi-word terms found by `Phrases`' rule, not in the curated list):
    term : str            the phrase, words joined by "_"
    count : int           occurrences in the corpus
    npmi : float          normalised PMI score, in (-1, 1]
"""
from __future__ import annotations

import csv
import re
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import Config, TokensConfig, default_manifest
from analysis.corpus import (
    ANALYSED_KINDS,
    PARAGRAPH_COLUMNS,
    Corpus,
    build_paragraphs,
    read_corpus,
    require_columns,
    warn_left_out,
    warn_scripts,
)
from analysis.corpus_cache import CACHED_TABLES, cached_tables, corpus_key  # noqa: F401 (re-exported)
from analysis.errors import CorpusError, CorpusWarning, ParameterError
from analysis.phrases import detect_phrases
from analysis.scan import (  # noqa: F401 (re-exported)
    _ABBREVIATIONS,
    _bad_start,
    _bin_of,
    _categorical,
    _code_points,
    _factorize_hashes,
    _word_hashes,
    _word_types,
    sentence_starts,
    word_span_arrays,
)

#: The token table's columns (documented above) and the dtype family `require_columns` checks.
TOKEN_COLUMNS = {"doc_id": "object", "para_id": "int64", "sent_id": "int64", "position": "int64", "start": "int64",
                 "end": "int64", "line": "int64", "lemma": "object", "stop": "bool", "term": "object"}
TOKEN_PATTERN = re.compile(r"(?<!['\w])[A-Za-z]+(?:-[A-Za-z]+)*")


def _data_rows(name: str) -> list[dict]:
    """Return the rows of a CSV file shipped in `analysis/data`, checking its header."""
    with resources.files("analysis.data").joinpath(name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return the stop-word set: gensim's English list, less `stopwords_keep.csv`, plus
    `stopwords_domain.csv`."""
    keep = {r["word"] for r in _data_rows("stopwords_keep.csv")}
    domain = {r["word"] for r in _data_rows("stopwords_domain.csv")}
    from gensim.parsing.preprocessing import STOPWORDS

    return frozenset((set(STOPWORDS) - keep) | domain)


@lru_cache(maxsize=1)
def _overrides() -> dict[str, str]:
    return {r["word"]: r["lemma"] for r in _data_rows("lemma_overrides.csv")}


# `lemmatize` below caches each word once; simplemma's own cache (65,536 words by default) would
# hold the same words a second time and thrash on vocabularies larger than itself.
@lru_cache(maxsize=1)
def _lemmatizer():
    """Return simplemma's lemmatizer (imported on first use: it compiles many patterns)."""
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy

    return Lemmatizer(cache_max_size=0, lemmatization_strategy=DefaultStrategy(greedy=False))


# prefixes that make verbs ("re-examined" -> "re-examine"); after any other head, a participle
# ends a compound adjective or noun ("state-owned", "well-being", "law-based") and is kept
_VERB_PREFIXES = frozenset({"re", "co", "pre", "de", "un", "mis", "over", "under", "out", "cross"})


#: Lemmas already known for lower-cased words (from a cached corpus), consulted before simplemma,
#: whose dictionary takes about half a second to load.
_KNOWN_LEMMAS: dict[str, str] = {}
#: While a corpus is built, ``words``: every word type lemmatized in this thread and its lemma
#: (see `_recording_lemmas`; per thread, so blocks tokenised by threads of one process stay apart).
_RECORDING = threading.local()


@contextmanager
def _recording_lemmas():
    """Yield a dict that collects (lower-cased word -> lemma) of every word type `lemmatize_text`
    lemmatizes in this thread until the block ends."""
    _RECORDING.words = {}
    try:
        yield _RECORDING.words
    finally:
        _RECORDING.words = None


def _word_lemma_table(recorded: dict[str, str]) -> pd.DataFrame:
    words = sorted(recorded)
    return pd.DataFrame({"word": words, "lemma": [recorded[w] for w in words]}, dtype=object)


def known_lemmas(table: pd.DataFrame) -> None:
    """Add the (word, lemma) rows of `table` (from `word_lemmas`) to the lemmas `lemmatize` knows."""
    _KNOWN_LEMMAS.update(zip(table["word"].astype(str).tolist(), table["lemma"].astype(str).tolist()))


def lemmatize(word: str) -> str:
    """Return the lower-cased lemma of one word (see `_lemmatize`)."""
    known = _KNOWN_LEMMAS.get(word.lower())
    return known if known is not None else _lemmatize(word)


@lru_cache(maxsize=1 << 18)
def _lemmatize(word: str) -> str:
    """Return the lower-cased lemma of one word.

    Hyphenated words: the last part is lemmatized ("e-sports" -> "e-sport"), except a participle
    ending a compound ("state-owned", "well-being", "people-centered" stay whole) unless the head
    is a verb prefix ("re-examined" -> "re-examine").
    """
    low = word.lower()
    if low in _overrides():
        return _overrides()[low]
    head, sep, tail = low.rpartition("-")
    if sep:
        lemma = lemmatize(tail)
        if lemma != tail and tail.endswith(("ed", "ing")) and head not in _VERB_PREFIXES:
            return low
        return f"{head}-{lemma}"
    lemma = _lemmatizer().lemmatize(low, "en").lower()
    return lemma if lemma.isalpha() else low


_BLOCK_CHARS = 1 << 20
def word_spans(text: str) -> list[tuple[int, int]]:
    """Return the 0-based, half-open character spans of the word tokens of `text`."""
    return [m.span() for m in TOKEN_PATTERN.finditer(text)]


@lru_cache(maxsize=1)
def curated_terms() -> dict[tuple[str, ...], str]:
    """Return the curated multi-word terms: lemma sequence of each variant -> canonical term."""
    table: dict[tuple[str, ...], str] = {}
    for i, row in enumerate(_data_rows("mwe.csv"), start=2):
        words = tuple(lemmatize(w) for w in TOKEN_PATTERN.findall(row["variant"]))
        if len(words) < 2 or not re.fullmatch(r"[a-z0-9_-]+", row["term"]):
            raise CorpusError(f"analysis/data/mwe.csv:{i}: row {row['term']!r} / {row['variant']!r} "
                              "needs a term of a-z, 0-9, '_' and a variant of two words or more")
        if words in table:
            raise CorpusError(f"analysis/data/mwe.csv:{i}: variant {row['variant']!r} has the same lemmas "
                              f"as an earlier row of {table[words]!r}")
        table[words] = row["term"]
    return table


def _curated_matches(codes: np.ndarray, para: np.ndarray, categories: pd.Index,
                     table: dict[tuple[str, ...], str]) -> list[tuple[int, int, str]]:
    """Return (first token, length, term) of the curated multi-word terms, longest first, left to
    right, never overlapping and never crossing a paragraph."""
    found = []
    n = len(codes)
    patterns = [(categories.get_indexer(list(words)), term) for words, term in table.items()]
    patterns = [(w, t) for w, t in patterns if (w >= 0).all() and len(w) <= n]
    if not patterns:
        return []
    firsts = np.unique([w[0] for w, _ in patterns])
    candidates = np.flatnonzero(np.isin(codes, firsts))
    first_code = codes[candidates]
    for wanted, term in patterns:
        hits = candidates[(first_code == wanted[0]) & (candidates <= n - len(wanted))]
        for k in range(1, len(wanted)):
            hits = hits[(codes[hits + k] == wanted[k]) & (para[hits + k] == para[hits])]
        found += [(int(h), len(wanted), term) for h in hits]
    found.sort(key=lambda f: (f[0], -f[1]))
    chosen, last_end = [], -1
    for first, size, term in found:
        if first >= last_end:
            chosen.append((first, size, term))
            last_end = first + size
    return chosen


def lemmatize_text(text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index, np.ndarray]:
    """Return the word tokens of `text` with their lemmas and stop-word flags.

    Returns
    -------
    starts, ends : ndarray of int64
        0-based, half-open character offsets of each token.
    lemma_codes : ndarray of int32
        Index of each token's lemma in `lemmas`.
    lemmas : pandas.Index of str
        The lemma types, sorted.
    stop : ndarray of bool
        True where the token is a stop word.

    Each word type (words equal but for letter case) is lemmatized once across the text, however
    often it occurs: the tokens are factorised into integer type codes, the types lemmatized, and
    the lemmas mapped back through the codes.
    """
    starts, ends, word_codes, first_of_type = _word_types(text, _BLOCK_CHARS)
    types = [text[a:b] for a, b in zip(starts[first_of_type].tolist(), ends[first_of_type].tolist())]
    lemma_of_type = [lemmatize(w) for w in types]
    recorded = getattr(_RECORDING, "words", None)
    if recorded is not None:
        recorded.update(zip((w.lower() for w in types), lemma_of_type))
    codes_of_type, lemmas = pd.factorize(pd.Series(lemma_of_type, dtype=object), sort=True)
    lemma_codes = codes_of_type.astype(np.int32)[word_codes]
    del word_codes
    lemmas = pd.Index(lemmas, dtype=object)
    stops = stopwords()
    stop_of_lemma = np.fromiter((c in stops for c in lemmas), dtype=bool, count=len(lemmas))
    return starts, ends, lemma_codes, lemmas, stop_of_lemma[lemma_codes]


def tokenize(paragraphs: pd.DataFrame, line_maps: dict | None = None, config: TokensConfig | None = None,
             progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return `(tokens, sentences, phrases)` for the analysed paragraphs (kinds body and list).

    The work is done once over the joined text of all paragraphs: one scan for the tokens, one
    regular-expression pass for the sentence ends, a lemma per word type (not per token), and numpy
    on integer codes for the rest, so the time grows linearly with the corpus. Token-level arrays
    are int32 where the table keeps them and are freed as soon as the step that needs them ends.

    Parameters
    ----------
    paragraphs : DataFrame
        The paragraph table of `analysis.corpus` (at least doc_id, para_id, kind, line_start, text).
    line_maps : dict, optional
        (doc_id, para_id) -> list of (character offset, source line) pairs, from `read_corpus`;
        without it every token gets its paragraph's ``line_start``.
    config : TokensConfig, optional
    progress : bool, default False
        Report the steps on stderr.
    """
    require_columns(paragraphs, {k: PARAGRAPH_COLUMNS[k] for k in
                                 ("doc_id", "para_id", "kind", "line_start", "text")}, stage="tokenize")
    config = config or TokensConfig()
    say = (lambda msg: print(f"tokens: {msg}", file=sys.stderr, flush=True)) if progress else (lambda msg: None)
    analysed = paragraphs["kind"].isin(ANALYSED_KINDS).to_numpy()
    rows = paragraphs.loc[analysed, ["doc_id", "para_id", "line_start"]].reset_index(drop=True)
    texts = paragraphs["text"].to_numpy()[analysed].tolist()
    para_len = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    para_start = np.concatenate([[0], np.cumsum(para_len + 1)[:-1]]).astype(np.int64)
    joined = "\n".join(texts)
    n_paras = len(texts)
    del texts                   # the joined text holds them (sentences are cut from it)

    say(f"splitting {n_paras} paragraphs into words")
    g_start, g_end, lemma_codes, categories, stop = lemmatize_text(joined)
    para_of = _bin_of(g_start, para_start).astype(np.int32)
    say("joining multi-word terms")
    term = _term_column(lemma_codes, para_of, categories)
    lemma = pd.Categorical.from_codes(lemma_codes, categories=categories)
    del lemma_codes
    say("splitting sentences")
    sent_global = np.union1d(sentence_starts(joined), para_start) if n_paras else np.array([], dtype=np.int64)
    pieces = _line_pieces(rows, para_start, line_maps)
    tokens, n_tokens = _token_table(rows, para_start, para_of, g_start, g_end, sent_global, pieces,
                                    {"lemma": lemma, "stop": stop, "term": term})
    del g_start, g_end, para_of, lemma, stop, term
    phrases = pd.DataFrame({"term": pd.Series(dtype=object), "count": pd.Series(dtype="int64"),
                            "npmi": pd.Series(dtype="float64")})
    if config.phrases and len(tokens):
        say("detecting phrases")
        tokens, phrases = detect_phrases(tokens, config)
    return tokens, _sentence_table(rows, joined, para_len, para_start, sent_global, pieces, n_tokens), phrases


def _term_column(lemma_codes: np.ndarray, para_of: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """Return each token's term (see the module's column list): its lemma, "" for a stop word or a
    one-letter lemma, the curated multi-word term on the first token of one and "" on the others."""
    stops = stopwords()
    term_of_lemma = ["" if (c in stops or len(c) < 2) else c for c in categories]
    matches = _curated_matches(lemma_codes, para_of, categories, curated_terms())
    # terms as integer codes into a sorted list of names: no hashing of millions of strings
    names = np.array(sorted(set(term_of_lemma) | {name for _, _, name in matches} | {""}), dtype=object)
    code_of = {t: i for i, t in enumerate(names)}
    term = np.array([code_of[t] for t in term_of_lemma], dtype=np.int32)[lemma_codes]
    for first, size, name in matches:
        term[first] = code_of[name]
        term[first + 1: first + size] = code_of[""]
    return _categorical(term, names)


def _line_pieces(rows: pd.DataFrame, para_start: np.ndarray, line_maps: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Return the offsets in the joined text (int64, ascending) where a source line starts and the
    1-based number of that line (int32)."""
    offsets, lines = [], []
    maps = line_maps or {}
    for i, (doc_id, para_id, line_start) in enumerate(rows[["doc_id", "para_id", "line_start"]].itertuples(index=False, name=None)):
        for offset, line in maps.get((doc_id, para_id)) or [(0, line_start)]:
            offsets.append(para_start[i] + offset)
            lines.append(line)
    return np.array(offsets, dtype=np.int64), np.array(lines, dtype=np.int32)


def _token_table(rows: pd.DataFrame, para_start: np.ndarray, para_of: np.ndarray, g_start: np.ndarray,
                 g_end: np.ndarray, sent_global: np.ndarray, pieces: tuple[np.ndarray, np.ndarray],
                 columns: dict) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the token table (before phrases) and the number of tokens of each sentence (int64).

    `g_start`, `g_end` are the tokens' offsets in the joined text, `para_of` their row in `rows`,
    `sent_global` the sentence starts and `pieces` the line starts there (`_line_pieces`);
    `columns` holds the finished lemma, stop and term columns. Each int32 column is made in one
    step with no token-length temporaries of int64 left behind (at 5M words an int64 array is 40 MB).
    """
    n_paras = len(rows)
    first_token = np.searchsorted(para_of, np.arange(n_paras), side="left").astype(np.int32)
    position = np.arange(len(g_start), dtype=np.int32)
    position -= first_token[para_of]
    piece_offsets, piece_lines = pieces
    line = piece_lines[_bin_of(g_start, piece_offsets)]
    sent_of_tok = _bin_of(g_start, sent_global)
    n_tokens = np.bincount(sent_of_tok, minlength=len(sent_global))
    sent_para = np.searchsorted(para_start, sent_global, side="right") - 1
    first_sent = np.searchsorted(sent_para, np.arange(n_paras), side="left").astype(np.int32)
    sent_id = np.subtract(sent_of_tok, first_sent[para_of], dtype=np.int32)
    del sent_of_tok
    sent_id += 1
    offset = para_start[para_of]
    start = np.subtract(g_start, offset, dtype=np.int32)
    end = np.subtract(g_end, offset, dtype=np.int32)
    del offset
    doc_codes, doc_categories = pd.factorize(rows["doc_id"], sort=True)
    tokens = pd.DataFrame({
        "doc_id": pd.Categorical.from_codes(doc_codes.astype(np.int32)[para_of], categories=doc_categories),
        "para_id": rows["para_id"].to_numpy(dtype=np.int32)[para_of],
        "sent_id": sent_id,
        "position": position,
        "start": start,
        "end": end,
        "line": line,
        **columns,
    }, copy=False)     # every column is a new array of this call: no copy into one block
    return tokens, n_tokens


def _sentence_table(rows: pd.DataFrame, joined: str, para_len: np.ndarray, para_start: np.ndarray,
                    sent_global: np.ndarray, pieces: tuple[np.ndarray, np.ndarray],
                    n_tokens: np.ndarray) -> pd.DataFrame:
    """Return the sentence table (see the module's column list) of the sentences starting at the
    offsets `sent_global` of the `joined` text of the paragraphs, with `n_tokens` word tokens each."""
    sent_para = np.searchsorted(para_start, sent_global, side="right") - 1
    sent_rel = sent_global - para_start[sent_para]
    first_sent = np.searchsorted(sent_para, np.arange(len(rows)), side="left")
    sent_end = np.append(sent_rel[1:], 0)
    last_of_para = np.append(sent_para[1:] != sent_para[:-1], True)
    sent_end = np.where(last_of_para, para_len[sent_para], sent_end)
    sent_texts = [joined[g:g + b - a].rstrip() for g, a, b in
                  zip(sent_global.tolist(), sent_rel.tolist(), sent_end.tolist())]
    piece_offsets, piece_lines = pieces
    return pd.DataFrame({
        "doc_id": rows["doc_id"].to_numpy()[sent_para],
        "para_id": rows["para_id"].to_numpy()[sent_para],
        "sent_id": (np.arange(len(sent_para)) - first_sent[sent_para] + 1),
        "start": sent_rel,
        "end": sent_rel + np.fromiter(map(len, sent_texts), dtype=np.int64, count=len(sent_texts)),
        "line": piece_lines.astype(np.int64)[np.searchsorted(piece_offsets, sent_global, side="right") - 1],
        "n_tokens": n_tokens,
        "text": sent_texts,
    })


def load_corpus(manifest: str | Path | None = None, config: Config | None = None,
                progress: bool = False, cache: str | Path | None = None, engine: str = "local",
                client=None, partitions: int | None = None, columns: dict | None = None) -> Corpus:
    """Return the tokenised `Corpus` of the documents a manifest lists.

    Parameters
    ----------
    manifest : path, optional
        A manifest CSV; default the repository's ``seeds/manifest.csv``.
    config : Config, optional
        Settings of the corpus and tokens stages; default `Config()`.
    progress : bool, default False
        Show a progress bar on stderr while tokenising.
    cache : path, optional
        A cache folder (e.g. `analysis.io.default_cache_dir()`). The cleaned, segmented and
        tokenised tables are stored there as partitioned Parquet (a dataset folder per table, parts
        of whole documents: `analysis.io.write_cache_entry`), keyed by `corpus_key`, read back when
        the manifest, every input file, the corpus and tokens settings and the code are unchanged;
        an entry whose files do not match their recorded sha256 is rebuilt. None: no cache.
    engine : {"local", "dask"}
        "dask": the documents are read, cleaned and tokenised in blocks on Dask workers (`client`,
        or a `LocalCluster` of this machine for the call), phrases detected here; same tables.
    client : distributed.Client, optional
        Implies engine "dask".
    partitions : int, optional
        Blocks of documents for engine "dask", in manifest order (default: 4 per worker).
    columns : dict, optional
        From a warm `cache`, read only these tables and columns (table -> list of columns, None:
        all; see `analysis.corpus_cache.cached_tables`: sentences, tokens, phrases not named are
        None). A cold load builds and returns every table.

    Returns
    -------
    Corpus
        With `documents`, `paragraphs` (``n_tokens`` filled), `cleaning_log`, `sentences`,
        `tokens` and `phrases`.

    Examples
    --------
    >>> corpus = load_corpus()
    >>> len(corpus.documents), int(corpus.documents["year"].min())
    (5, 2021)
    """
    config = config or Config()
    manifest = Path(manifest) if manifest is not None else default_manifest()
    return_freed_arrays()
    key = corpus_key(manifest, config) if cache is not None else None
    if key is not None and (corpus := _from_cache(cache, key, columns, manifest, config)) is not None:
        return corpus
    if engine not in ("local", "dask"):
        raise ParameterError("load_corpus", "engine", f"must be 'local' or 'dask'; got {engine!r}")
    corpus, word_lemmas = _build(manifest, config, progress, engine == "dask" or client is not None, client, partitions)
    if key is not None:
        from analysis import io

        io.write_cache_entry(cache, key, {**{name: getattr(corpus, name) for name in CACHED_TABLES},
                                          "word_lemmas": word_lemmas}, meta={"manifest": str(manifest)})
    return corpus


def _build(manifest: Path, config: Config, progress: bool, on_dask: bool, client, partitions: int | None
           ) -> tuple[Corpus, pd.DataFrame]:
    """Return the corpus built from the files (here, or on Dask workers) and its word lemmas."""
    if not on_dask:
        with _recording_lemmas() as recorded:
            corpus = _build_corpus(manifest, config, progress)
        return corpus, _word_lemma_table(recorded)
    if client is not None:
        return _build_on_dask(manifest, config, client, partitions)
    from analysis.engine import dask_client

    with dask_client() as own:
        return _build_on_dask(manifest, config, own, partitions)


def _from_cache(cache: str | Path, key: str, columns: dict | None, manifest: Path, config: Config) -> Corpus | None:
    """Return the corpus of the cache entry `key` (only `columns`), or None if there is none."""
    tables = cached_tables(cache, key, columns)
    if tables is None:
        return None
    known_lemmas(tables.pop("word_lemmas"))
    warn_left_out(tables["cleaning_log"])     # the warnings of the run that built the entry, again
    corpus = Corpus(manifest=manifest, config=config, **tables)
    warn_scripts(corpus)
    return corpus


#: Blocks of this size or more are mapped on their own and returned to the system when freed
#: (glibc's ``M_MMAP_THRESHOLD``); see `return_freed_arrays`.
MMAP_THRESHOLD = 4 << 20


@lru_cache(maxsize=1)
def return_freed_arrays() -> bool:
    """Fix glibc's mmap threshold at `MMAP_THRESHOLD` (4 MiB) for this process; return True if set.

    By default glibc raises the threshold to the size of the largest block freed so far (up to
    32 MiB), so the token-length arrays that building a corpus and the later stages allocate and
    free (5-40 MB each at 5M words) are carved from the heap, and the holes they leave stay
    resident. Measured at 5M words (`benchmarks/memory.py`, the same code with and without the
    fixed threshold): what stays resident after `load_corpus` fell from 732 to 676 MiB and the
    peak of the stages through the bag of words from 921 to 876 MiB. Smaller blocks are
    untouched. No-op (False) where the C library is not glibc.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(-3, MMAP_THRESHOLD))        # -3: M_MMAP_THRESHOLD (malloc.h)


def _build_corpus(manifest: Path, config: Config, progress: bool) -> Corpus:
    """Return the tokenised corpus, built from the files (no cache)."""
    raw, line_maps = read_corpus(manifest, config.corpus)
    paragraphs = raw.paragraphs.copy()
    toks, sentences, phrases = tokenize(paragraphs, line_maps, config.tokens, progress=progress)
    paragraphs["n_tokens"] = _paragraph_tokens(paragraphs, toks)
    return replace(raw, documents=_document_counts(raw.documents, paragraphs), paragraphs=paragraphs,
                   sentences=sentences, tokens=toks, phrases=phrases, config=config)


def _paragraph_tokens(paragraphs: pd.DataFrame, toks: pd.DataFrame) -> np.ndarray:
    """Return the word tokens of each paragraph (int64): its rows of `toks` if analysed, else its words."""
    doc, para = toks["doc_id"].cat.codes.to_numpy(), toks["para_id"].to_numpy()
    # counted per run of one paragraph's rows (tokens come in reading order), then summed per paragraph
    firsts = np.flatnonzero(np.concatenate([[len(doc) > 0], (doc[1:] != doc[:-1]) | (para[1:] != para[:-1])]))
    runs = pd.DataFrame({"doc_id": toks["doc_id"].cat.categories[doc[firsts]].astype(object), "para_id": para[firsts],
                         "n": np.diff(np.append(firsts, len(doc)))})
    counts = runs.groupby(["doc_id", "para_id"])["n"].sum()
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "para_id"]])
    analysed = paragraphs["kind"].isin(ANALYSED_KINDS).to_numpy()
    in_tokens = counts.reindex(key, fill_value=0).to_numpy()
    by_words = np.zeros(len(paragraphs), dtype=np.int64)
    by_words[~analysed] = [len(TOKEN_PATTERN.findall(t)) for t in paragraphs["text"].to_numpy()[~analysed]]
    return np.where(analysed, in_tokens, by_words).astype("int64")


def _document_counts(documents: pd.DataFrame, paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Return `documents` with ``n_paragraphs`` and ``n_tokens`` (analysed paragraphs) added."""
    documents = documents.copy()
    analysed = paragraphs[paragraphs["kind"].isin(ANALYSED_KINDS)]
    documents["n_paragraphs"] = documents["doc_id"].map(paragraphs.groupby("doc_id").size()).astype("int64")
    documents["n_tokens"] = documents["doc_id"].map(
        analysed.groupby("doc_id")["n_tokens"].sum()).fillna(0).astype("int64")
    return documents


def _tokenised_block(rows: pd.DataFrame, config: Config) -> dict:
    """Return the tables of one block of manifest rows (from `read_manifest`), read, cleaned,
    segmented and tokenised without phrase detection (which needs the whole corpus): paragraphs
    (with n_tokens), cleaning_log, tokens and sentences (None when no document of the block has
    an analysed paragraph), and word_lemmas. Runs on a Dask worker."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)     # the client warns once, for the whole corpus
        paragraphs, log, line_maps = build_paragraphs(rows, config.corpus)
    out = {"cleaning_log": log, "paragraphs": paragraphs, "tokens": None, "sentences": None,
           "word_lemmas": _word_lemma_table({})}
    if len(paragraphs):
        with _recording_lemmas() as recorded:
            out["tokens"], out["sentences"], _ = tokenize(paragraphs, line_maps, replace(config.tokens, phrases=False))
        paragraphs["n_tokens"] = _paragraph_tokens(paragraphs, out["tokens"])
        out["word_lemmas"] = _word_lemma_table(recorded)
    return out


def _build_on_dask(manifest: Path, config: Config, client, partitions: int | None) -> tuple[Corpus, pd.DataFrame]:
    """Return the corpus built in blocks of documents on the workers of `client`, and its word lemmas."""
    from analysis import engine
    from analysis.corpus import read_manifest

    table = read_manifest(manifest, config.corpus)
    ranges = engine.blocks(len(table), partitions if partitions is not None else engine.default_partitions(client))
    futures = client.map(_tokenised_block, [table.iloc[a:b] for a, b in ranges], config=config)
    parts = engine.gather(client, futures)
    log = _concat([b["cleaning_log"] for b in parts])
    warn_left_out(log)
    parts = [b for b in parts if b["tokens"] is not None]
    if not parts:
        raise CorpusError(f"{manifest}: no document of the manifest has a body or list paragraph after cleaning "
                          f"(left out: {', '.join(table['doc_id'])})")
    paragraphs = _concat([b["paragraphs"] for b in parts])
    toks = _concat([b["tokens"] for b in parts])
    phrases = pd.DataFrame({"term": pd.Series(dtype=object), "count": pd.Series(dtype="int64"),
                            "npmi": pd.Series(dtype="float64")})
    if config.tokens.phrases and len(toks):
        toks, phrases = detect_phrases(toks, config.tokens)
    documents = table[table["doc_id"].isin(set(paragraphs["doc_id"]))].reset_index(drop=True)
    documents = _document_counts(documents.drop(columns=["manifest_line", "path"]), paragraphs)
    lemmas = pd.concat([b["word_lemmas"] for b in parts], ignore_index=True).drop_duplicates("word")
    lemmas = lemmas.sort_values("word", ignore_index=True)
    corpus = Corpus(documents=documents, paragraphs=paragraphs, cleaning_log=log, manifest=manifest,
                    sentences=_concat([b["sentences"] for b in parts]), tokens=toks, phrases=phrases, config=config)
    warn_scripts(corpus)
    return corpus, lemmas


def _concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Return the rows of `tables` in order, with the dtypes one table of all rows would have:
    empty tables left out (their object columns would widen the others), categoricals united
    with sorted categories (as `tokenize` makes them)."""
    full = [t for t in tables if len(t)] or tables[:1]
    if len(full) == 1:
        return full[0].reset_index(drop=True)
    columns = {}
    for name in full[0].columns:
        if isinstance(full[0][name].dtype, pd.CategoricalDtype):
            united = pd.api.types.union_categoricals([t[name] for t in full], sort_categories=True)
            kind = full[0][name].cat.categories.dtype          # union_categoricals may turn object into str
            columns[name] = pd.Categorical.from_codes(united.codes, categories=united.categories.astype(kind))
        else:
            columns[name] = pd.concat([t[name] for t in full], ignore_index=True)
    return pd.DataFrame(columns)
