"""Cut analysed paragraphs into sentences and tokens: lower-cased lemmas, stop words, multi-word terms.

A token is a run of letters with inner hyphens ("high-quality"); numbers and the possessive "'s"
are not tokens. Lemmas come from simplemma (its English dictionary ships inside the pip package),
corrected by `data/lemma_overrides.csv`. Stop words are gensim's English list, less the words in
`data/stopwords_keep.csv`, plus the domain words in `data/stopwords_domain.csv`. Multi-word terms
come from the curated `data/mwe.csv` (every English variant of one official term maps to one
canonical term), then from gensim `Phrases` (normalised PMI) on the rest.

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

Columns of `phrases` (multi-word terms found by gensim `Phrases`, not in the curated list):
    term : str            the phrase, words joined by "_"
    count : int           occurrences in the corpus
    npmi : float          normalised PMI score, in (-1, 1]
"""
from __future__ import annotations

import csv
import re
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from gensim.models.phrases import ENGLISH_CONNECTOR_WORDS, Phrases
from gensim.parsing.preprocessing import STOPWORDS
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
from scipy import sparse
from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy

from analysis.config import default_manifest, Config, TokensConfig
from analysis.corpus import ANALYSED_KINDS, PARAGRAPH_COLUMNS, Corpus, read_corpus, require_columns
from analysis.errors import CorpusError

TOKEN_PATTERN = re.compile(r"(?<!['\w])[A-Za-z]+(?:-[A-Za-z]+)*")
_PHRASE_DELIM = "\u241f"
_ABBREVIATIONS = {"no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
                  "mr", "mrs", "ms", "dr", "st", "etc", "e.g", "i.e", "vs", "u.s", "art", "para", "prc",
                  "cpc", "spp"}


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
    return frozenset((set(STOPWORDS) - keep) | domain)


@lru_cache(maxsize=1)
def _overrides() -> dict[str, str]:
    return {r["word"]: r["lemma"] for r in _data_rows("lemma_overrides.csv")}


_LEMMATIZER = Lemmatizer(lemmatization_strategy=DefaultStrategy(greedy=False))


@lru_cache(maxsize=1 << 18)
def lemmatize(word: str) -> str:
    """Return the lower-cased lemma of one word (hyphenated words: the last part is lemmatised)."""
    low = word.lower()
    if low in _overrides():
        return _overrides()[low]
    head, sep, tail = low.rpartition("-")
    if sep:
        return f"{head}-{lemmatize(tail)}"
    lemma = _LEMMATIZER.lemmatize(low, "en").lower()
    return lemma if lemma.isalpha() else low


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


def _sentence_splitter() -> PunktSentenceTokenizer:
    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def _merge_curated(lemmas: list[str], table: dict[tuple[str, ...], str], max_len: int) -> list[tuple[int, int, str]]:
    """Return (first, length, term) for the longest curated matches, left to right."""
    found, i, n = [], 0, len(lemmas)
    while i < n:
        for size in range(min(max_len, n - i), 1, -1):
            term = table.get(tuple(lemmas[i:i + size]))
            if term:
                found.append((i, size, term))
                i += size
                break
        else:
            i += 1
    return found


def tokenize(paragraphs: pd.DataFrame, line_maps: dict | None = None, config: TokensConfig | None = None,
             progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return `(tokens, sentences, phrases)` for the analysed paragraphs (kinds body and list).

    Parameters
    ----------
    paragraphs : DataFrame
        The paragraph table of `analysis.corpus` (at least doc_id, para_id, kind, line_start, text).
    line_maps : dict, optional
        (doc_id, para_id) -> list of (character offset, source line) pairs, from `read_corpus`;
        without it every token gets its paragraph's ``line_start``.
    config : TokensConfig, optional
    progress : bool, default False
        Show a progress bar on stderr.
    """
    require_columns(paragraphs, {k: PARAGRAPH_COLUMNS[k] for k in
                                 ("doc_id", "para_id", "kind", "line_start", "text")}, stage="tokenize")
    config = config or TokensConfig()
    stops = stopwords()
    curated = curated_terms()
    max_len = max((len(k) for k in curated), default=2)
    splitter = _sentence_splitter()
    rows = paragraphs[paragraphs["kind"].isin(ANALYSED_KINDS)]
    iterator = rows[["doc_id", "para_id", "line_start", "text"]].itertuples(index=False, name=None)
    if progress:
        from tqdm import tqdm
        iterator = tqdm(iterator, total=len(rows), desc="tokens", unit="para", leave=False)

    cols: dict[str, list] = {k: [] for k in ("doc_id", "para_id", "sent_id", "position", "start", "end",
                                             "line", "lemma", "stop", "term")}
    sent_rows = []
    for doc_id, para_id, line_start, text in iterator:
        spans = word_spans(text)
        pieces = (line_maps or {}).get((doc_id, para_id)) or [(0, line_start)]
        offsets = np.array([o for o, _ in pieces])
        piece_lines = np.array([ln for _, ln in pieces])
        starts = np.array([s for s, _ in spans], dtype=np.int64)
        sent_spans = list(splitter.span_tokenize(text))
        sent_starts = np.array([s for s, _ in sent_spans])
        sent_of_tok = np.searchsorted(sent_starts, starts, side="right")
        for k, (s, e) in enumerate(sent_spans, start=1):
            sent_rows.append((doc_id, para_id, k, s, e, int(piece_lines[np.searchsorted(offsets, s, side="right") - 1]),
                              int(np.sum(sent_of_tok == k)), text[s:e]))
        lemmas = [lemmatize(text[s:e]) for s, e in spans]
        terms = [("" if lem in stops or len(lem) < 2 else lem) for lem in lemmas]
        for first, size, term in _merge_curated(lemmas, curated, max_len):
            terms[first] = term
            for j in range(first + 1, first + size):
                terms[j] = ""
        n = len(spans)
        cols["doc_id"] += [doc_id] * n
        cols["para_id"] += [para_id] * n
        cols["sent_id"].append(sent_of_tok)
        cols["position"].append(np.arange(n))
        cols["start"].append(starts)
        cols["end"].append(np.array([e for _, e in spans], dtype=np.int64))
        cols["line"].append(piece_lines[np.searchsorted(offsets, starts, side="right") - 1] if n else starts)
        cols["lemma"] += lemmas
        cols["stop"] += [lem in stops for lem in lemmas]
        cols["term"] += terms

    tokens = pd.DataFrame({
        "doc_id": pd.Categorical(cols["doc_id"]),
        "para_id": np.array(cols["para_id"], dtype=np.int32),
        "sent_id": np.concatenate(cols["sent_id"] or [[]]).astype(np.int32),
        "position": np.concatenate(cols["position"] or [[]]).astype(np.int32),
        "start": np.concatenate(cols["start"] or [[]]).astype(np.int32),
        "end": np.concatenate(cols["end"] or [[]]).astype(np.int32),
        "line": np.concatenate(cols["line"] or [[]]).astype(np.int32),
        "lemma": pd.Categorical(cols["lemma"]),
        "stop": np.array(cols["stop"], dtype=bool),
        "term": cols["term"],
    })
    phrases = pd.DataFrame(columns=["term", "count", "npmi"])
    if config.phrases and len(tokens):
        tokens, phrases = _detect_phrases(tokens, config)
    tokens["term"] = pd.Categorical(tokens["term"])
    sentences = pd.DataFrame(sent_rows, columns=["doc_id", "para_id", "sent_id", "start", "end", "line",
                                                 "n_tokens", "text"])
    return tokens, sentences, phrases


def _detect_phrases(tokens: pd.DataFrame, config: TokensConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge bigram phrases found by gensim `Phrases` within runs of non-stop terms of one sentence."""
    term = tokens["term"].to_numpy(dtype=object)
    keep = term != ""
    idx = np.flatnonzero(keep)
    # A run breaks at a new sentence, and wherever tokens between two kept terms were dropped
    # (a stop word), unless the dropped token is inside a curated multi-word term.
    sent_key = tokens["doc_id"].cat.codes.to_numpy().astype(np.int64) * 1_000_000 + \
        tokens["para_id"].to_numpy().astype(np.int64) * 1000 + tokens["sent_id"].to_numpy()
    stop = tokens["stop"].to_numpy()
    stop_cum = np.cumsum(stop)
    breaks = np.ones(len(idx), dtype=bool)
    if len(idx) > 1:
        same_sent = sent_key[idx[1:]] == sent_key[idx[:-1]]
        no_stop_between = stop_cum[idx[1:] - 1] - stop_cum[idx[:-1]] == 0
        breaks[1:] = ~(same_sent & no_stop_between)
    run_id = np.cumsum(breaks)
    runs = np.split(idx, np.flatnonzero(breaks)[1:])
    sentences = [[term[i] for i in run] for run in runs]
    model = Phrases(sentences, min_count=config.phrases_min_count, threshold=config.phrases_threshold,
                    scoring="npmi", delimiter=_PHRASE_DELIM, connector_words=ENGLISH_CONNECTOR_WORDS)
    frozen = model.freeze()
    counts: dict[str, int] = {}
    scores: dict[str, float] = {}
    for run in runs:
        words = [term[i] for i in run]
        pos = 0
        for unit, score in frozen.analyze_sentence(words):
            size = unit.count(_PHRASE_DELIM) + 1
            if score is not None:
                joined = unit.replace(_PHRASE_DELIM, "_")
                term[run[pos]] = joined
                for j in run[pos + 1: pos + size]:
                    term[j] = ""
                counts[joined] = counts.get(joined, 0) + 1
                scores[joined] = float(score)
            pos += size
    tokens = tokens.assign(term=term)
    phrases = pd.DataFrame({"term": list(counts), "count": list(counts.values()),
                            "npmi": [scores[t] for t in counts]})
    phrases = phrases.sort_values(["count", "term"], ascending=[False, True], ignore_index=True)
    return tokens, phrases


def load_corpus(manifest: str | Path | None = None, config: Config | None = None,
                progress: bool = False) -> Corpus:
    """Return the tokenised `Corpus` of the documents a manifest lists.

    Parameters
    ----------
    manifest : path, optional
        A manifest CSV; default the repository's ``seeds/manifest.csv``.
    config : Config, optional
        Settings of the corpus and tokens stages; default `Config()`.
    progress : bool, default False
        Show a progress bar on stderr while tokenising.

    Returns
    -------
    Corpus
        With `documents`, `paragraphs` (``n_tokens`` filled), `cleaning_log`, `sentences`,
        `tokens` and `phrases`.

    Examples
    --------
    >>> corpus = load_corpus()
    >>> sorted(corpus.documents["doc_id"])[:2]
    ['conference-2025', 'opinions-2021']
    """
    config = config or Config()
    raw, line_maps = read_corpus(manifest if manifest is not None else default_manifest(), config.corpus)
    paragraphs = raw.paragraphs.copy()
    toks, sentences, phrases = tokenize(paragraphs, line_maps, config.tokens, progress=progress)
    counts = toks.groupby(["doc_id", "para_id"], observed=True).size()
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "para_id"]])
    analysed = paragraphs["kind"].isin(ANALYSED_KINDS).to_numpy()
    in_tokens = counts.reindex(key, fill_value=0).to_numpy()
    by_words = paragraphs["text"].map(lambda t: len(word_spans(t))).to_numpy()
    paragraphs["n_tokens"] = np.where(analysed, in_tokens, by_words).astype("int64")
    documents = raw.documents.copy()
    documents["n_paragraphs"] = documents["doc_id"].map(paragraphs.groupby("doc_id").size()).astype("int64")
    documents["n_tokens"] = documents["doc_id"].map(
        paragraphs[analysed].groupby("doc_id")["n_tokens"].sum()).fillna(0).astype("int64")
    return replace(raw, documents=documents, paragraphs=paragraphs, sentences=sentences, tokens=toks,
                   phrases=phrases, config=config)


def count_matrix(tokens: pd.DataFrame, by: list[str] | tuple[str, ...] = ("doc_id", "para_id"),
                 column: str = "term") -> tuple[sparse.csr_matrix, pd.DataFrame, np.ndarray]:
    """Return a count matrix of `column` values per group of tokens.

    Parameters
    ----------
    tokens : DataFrame
        The token table.
    by : list of str, default ("doc_id", "para_id")
        Token columns that define one row of the matrix.
    column : {"term", "lemma"}, default "term"
        What is counted; empty strings (stop words, inner tokens of multi-word terms) are skipped.

    Returns
    -------
    counts : scipy.sparse.csr_matrix of int64, shape (n_groups, n_types)
    rows : DataFrame
        The `by` values of each matrix row, sorted.
    vocab : ndarray of str
        The type of each column, sorted alphabetically.
    """
    by = list(by)
    values = tokens[column].astype(str).to_numpy()
    mask = values != ""
    sub = tokens.loc[mask, by]
    vocab, col = np.unique(values[mask], return_inverse=True)
    rows = tokens[by].drop_duplicates().sort_values(by, ignore_index=True)
    if len(by) == 1:
        row = pd.Index(rows[by[0]]).get_indexer(sub[by[0]])
    else:
        row = pd.MultiIndex.from_frame(rows).get_indexer(pd.MultiIndex.from_frame(sub))
    matrix = sparse.csr_matrix((np.ones(len(row), dtype=np.int64), (row, col)), shape=(len(rows), len(vocab)))
    matrix.sum_duplicates()
    return matrix, rows, vocab


def paragraph_terms(tokens: pd.DataFrame) -> pd.Series:
    """Return each analysed paragraph's list of terms in reading order, indexed by (doc_id, para_id)."""
    sub = tokens[tokens["term"].astype(str) != ""]
    return sub.groupby(["doc_id", "para_id"], observed=True, sort=True)["term"].agg(lambda s: list(map(str, s)))


def find_phrase(tokens: pd.DataFrame, phrase: str | list[str]) -> np.ndarray:
    """Return the row numbers (0-based, into `tokens`) where the lemma sequence of `phrase` starts.

    `phrase` is text ("plead guilty and accept punishment") lemmatised like the corpus, or a list
    of lemmas. A match never crosses a paragraph. Matching compares category codes with numpy, so it
    costs one pass over the tokens per word of the phrase.
    """
    words = [lemmatize(w) for w in TOKEN_PATTERN.findall(phrase)] if isinstance(phrase, str) else list(phrase)
    if not words:
        return np.array([], dtype=np.int64)
    lemma = tokens["lemma"]
    categories = pd.Index(lemma.cat.categories)
    codes = lemma.cat.codes.to_numpy()
    wanted = categories.get_indexer(words)
    if (wanted < 0).any():
        return np.array([], dtype=np.int64)
    n, m = len(codes), len(words)
    hits = np.flatnonzero(codes[: n - m + 1] == wanted[0]) if n >= m else np.array([], dtype=np.int64)
    para = tokens["para_id"].to_numpy()
    doc = tokens["doc_id"].cat.codes.to_numpy()
    for k in range(1, m):
        nxt = hits + k
        ok = (codes[nxt] == wanted[k]) & (para[nxt] == para[hits]) & (doc[nxt] == doc[hits])
        hits = hits[ok]
    return hits
