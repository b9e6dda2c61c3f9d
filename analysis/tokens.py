"""Cut analysed paragraphs into sentences and tokens: lower-cased lemmas, stop words, multi-word terms.

A token is a run of letters with inner hyphens ("high-quality"); numbers and the possessive "'s"
are not tokens. Lemmas come from simplemma (its English dictionary ships inside the pip package),
corrected by `data/lemma_overrides.csv`; compounds ending in a participle stay whole ("state-owned").
Stop words are gensim's English list, less the words in `data/stopwords_keep.csv`, plus the domain
words in `data/stopwords_domain.csv`. Multi-word terms
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
import sys
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
    read_corpus,
    require_columns,
    warn_left_out,
    warn_scripts,
)
from analysis.errors import CorpusError

#: The token table's columns (documented above) and the dtype family `require_columns` checks.
TOKEN_COLUMNS = {"doc_id": "object", "para_id": "int64", "sent_id": "int64", "position": "int64", "start": "int64",
                 "end": "int64", "line": "int64", "lemma": "object", "stop": "bool", "term": "object"}
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
#: While a corpus is built, every word type lemmatized and its lemma (see `_recording_lemmas`).
_RECORDED: dict[str, str] | None = None


def known_lemmas(table: pd.DataFrame) -> None:
    """Add the (word, lemma) rows of `table` (from `word_lemmas`) to the lemmas `lemmatize` knows."""
    _KNOWN_LEMMAS.update(zip(table["word"].astype(str), table["lemma"].astype(str)))


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
_WORD_BREAK = re.compile(r"[^\w'-]")      # a token never spans it, nor starts right after "'" or \w
_HASH_WEIGHTS = np.random.default_rng(20260101).integers(1, 2**63, size=4096, dtype=np.uint64) | np.uint64(1)


def _word_hashes(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Return a 64-bit hash of each word, the same for words that differ only in ASCII letter case.

    Each word is hashed from its code points with fixed random 64-bit weights per position (a
    universal hash; two different words collide with probability about 2**-64), one character
    position at a time, so memory stays proportional to the number of words.
    """
    lengths = ends - starts
    hashes = lengths.astype(np.uint64)
    if not len(starts):
        return hashes
    order = np.argsort(-lengths, kind="stable")
    sorted_lengths = lengths[order]
    with np.errstate(over="ignore"):
        for k in range(int(sorted_lengths[0])):
            active = order[: np.searchsorted(-sorted_lengths, -k, side="left")]
            chars = points[starts[active] + k].astype(np.uint64)
            chars |= np.uint64(0x20) * ((chars >= 65) & (chars <= 90))   # ASCII lower case
            hashes[active] += chars * _HASH_WEIGHTS[min(k, len(_HASH_WEIGHTS) - 1)]
    return hashes


def _factorize_hashes(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(hashes)           # a hash table: linear time, no sort
    first = np.empty(len(uniques), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)   # the last write is the first occurrence
    return codes.astype(np.int64, copy=False), first


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def word_span_arrays(text: str, points: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the 0-based start and end (exclusive) offsets of the word tokens of `text`.

    The same tokens as `TOKEN_PATTERN`, found with numpy over the text's code points (four times
    faster than the regular expression on large texts).
    """
    c = _code_points(text) if points is None else points
    letter = ((c >= 65) & (c <= 90)) | ((c >= 97) & (c <= 122))
    word = letter.copy()
    if len(c) > 2:
        word[1:-1] |= (c[1:-1] == 45) & letter[:-2] & letter[2:]
    prev = np.concatenate([[False], word[:-1]])
    nxt = np.concatenate([word[1:], [False]])
    starts = np.flatnonzero(word & ~prev)
    ends = np.flatnonzero(word & ~nxt) + 1
    bad = _bad_start(c, starts)
    if bad.any():
        # As the pattern does: a run that may not start where it does ("5G-enabled": "G" follows a
        # digit) still yields its part after its first inner hyphen ("enabled"), which follows "-".
        hyphen_after = np.flatnonzero(c == 45)
        k = np.searchsorted(hyphen_after, starts[bad])
        has = k < len(hyphen_after)
        has[has] = hyphen_after[k[has]] < ends[bad][has]
        retry = np.flatnonzero(bad)[has]
        starts[retry] = hyphen_after[k[has]] + 1
        bad[retry] = False
    return starts[~bad].astype(np.int64), ends[~bad].astype(np.int64)


def _bad_start(c: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return True where a word run starting at `starts` follows an apostrophe or a word character
    (a digit, "_", or a letter or number of another script), where the pattern may not start."""
    before = np.where(starts > 0, c[np.maximum(starts - 1, 0)], 32)
    bad = (before == 39) | ((before >= 48) & (before <= 57)) | (before == 95)
    wide = np.flatnonzero(before > 127)
    if len(wide):
        bad[wide] = [chr(int(x)).isalnum() for x in before[wide]]
    return bad


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


_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_LAST_WORD = re.compile(r"([A-Za-z.]+)[.!?][\"')\]]*\s+$")


def sentence_starts(text: str) -> np.ndarray:
    """Return the 0-based offsets where sentences start in `text` (0 first).

    A sentence ends at ".", "!" or "?" (and any closing quotes or brackets) followed by white space
    and a capital letter, digit or opening quote, unless the word before the stop is in the
    abbreviation list ("No.", "Jan.", ...) or a single letter ("U.S."). This is the rule nltk's
    Punkt applies without a trained model; `tests/test_tokens.py` checks the two agree on the
    seeds. It is a regular expression over the whole text, 20 times faster than Punkt.
    """
    starts = [0]
    for m in _SENTENCE_END.finditer(text):
        before = _LAST_WORD.search(text, max(0, m.start() - 40), m.end())
        word = before.group(1).lower().rstrip(".") if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()) or "." in word:
            continue
        starts.append(m.end())
    return np.array(starts, dtype=np.int64)


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
    lemma_codes : ndarray of int64
        Index of each token's lemma in `lemmas`.
    lemmas : pandas.Index of str
        The lemma types, sorted.
    stop : ndarray of bool
        True where the token is a stop word.

    Each word type is lemmatized once, however often it occurs.
    """
    # Work through the text in blocks of about a million characters, cut at white space, so the
    # arrays of one block stay in the processor's cache and the time grows linearly with the text.
    spans, hashes, pos = [], [], 0
    while pos < len(text):
        end = min(len(text), pos + _BLOCK_CHARS)
        if end < len(text):
            cut = max(text.rfind("\n", pos, end), text.rfind(" ", pos, end))
            if cut > pos:
                end = cut + 1
            else:       # no space in the block: end it after the next character that ends a word
                after = _WORD_BREAK.search(text, end)
                end = after.end() if after else len(text)
        block = text[pos:end]
        points = _code_points(block)
        block_starts, block_ends = word_span_arrays(block, points)
        hashes.append(_word_hashes(points, block_starts, block_ends))
        spans.append((block_starts + pos, block_ends + pos))
        pos = end
    starts = np.concatenate([a for a, _ in spans]) if spans else np.array([], dtype=np.int64)
    ends = np.concatenate([b for _, b in spans]) if spans else np.array([], dtype=np.int64)
    word_codes, first_of_type = _factorize_hashes(np.concatenate(hashes) if hashes else np.array([], dtype=np.uint64))
    types = [text[a:b] for a, b in zip(starts[first_of_type].tolist(), ends[first_of_type].tolist())]
    lemma_of_type = [lemmatize(w) for w in types]
    if _RECORDED is not None:
        _RECORDED.update(zip((w.lower() for w in types), lemma_of_type))
    codes_of_type, lemmas = pd.factorize(pd.Series(lemma_of_type, dtype=object), sort=True)
    lemma_codes = codes_of_type[word_codes] if len(word_codes) else np.array([], dtype=np.int64)
    lemmas = pd.Index(lemmas, dtype=object)
    stops = stopwords()
    stop_of_lemma = np.fromiter((c in stops for c in lemmas), dtype=bool, count=len(lemmas))
    return starts, ends, lemma_codes, lemmas, stop_of_lemma[lemma_codes]


def tokenize(paragraphs: pd.DataFrame, line_maps: dict | None = None, config: TokensConfig | None = None,
             progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return `(tokens, sentences, phrases)` for the analysed paragraphs (kinds body and list).

    The work is done once over the joined text of all paragraphs: one regular-expression pass for
    the tokens, one for the sentence ends, a lemma per word type (not per token), and numpy for the
    rest, so the time grows linearly with the corpus.

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
    rows = paragraphs[paragraphs["kind"].isin(ANALYSED_KINDS)].reset_index(drop=True)
    texts = rows["text"].tolist()
    para_len = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    para_start = np.concatenate([[0], np.cumsum(para_len + 1)[:-1]]).astype(np.int64)
    joined = "\n".join(texts)

    say(f"splitting {len(texts)} paragraphs into words")
    g_start, g_end, lemma_codes, categories, stop = lemmatize_text(joined)
    para_of = _bin_of(g_start, para_start)
    stops = stopwords()
    term_of_lemma = ["" if (c in stops or len(c) < 2) else c for c in categories]

    say("joining multi-word terms")
    matches = _curated_matches(lemma_codes, para_of, categories, curated_terms())
    # terms as integer codes into a sorted list of names: no hashing of millions of strings
    names = np.array(sorted(set(term_of_lemma) | {name for _, _, name in matches} | {""}), dtype=object)
    code_of = {t: i for i, t in enumerate(names)}
    term = np.array([code_of[t] for t in term_of_lemma], dtype=np.int32)[lemma_codes]
    for first, size, name in matches:
        term[first] = code_of[name]
        term[first + 1: first + size] = code_of[""]
    term = _categorical(term, names)

    # Positions within paragraphs, source lines and sentences. Token-level columns are made as
    # int32 in one step each (a 5M-word corpus makes arrays of 20 MB, not 40 MB, and no temporaries:
    # arrays above glibc's 32 MB mmap threshold are fresh pages on every allocation).
    first_token = np.searchsorted(para_of, np.arange(len(texts)), side="left")
    position = np.arange(len(g_start), dtype=np.int32)
    position -= first_token.astype(np.int32)[para_of]
    piece_offsets, piece_lines = [], []
    maps = line_maps or {}
    for i, (doc_id, para_id, line_start) in enumerate(rows[["doc_id", "para_id", "line_start"]].itertuples(index=False, name=None)):
        for offset, line in maps.get((doc_id, para_id)) or [(0, line_start)]:
            piece_offsets.append(para_start[i] + offset)
            piece_lines.append(line)
    piece_offsets = np.array(piece_offsets, dtype=np.int64)
    piece_lines = np.array(piece_lines, dtype=np.int64)
    line = piece_lines.astype(np.int32)[_bin_of(g_start, piece_offsets)]

    say("splitting sentences")
    sent_global = np.union1d(sentence_starts(joined), para_start) if texts else np.array([], dtype=np.int64)
    sent_para = np.searchsorted(para_start, sent_global, side="right") - 1
    sent_rel = sent_global - para_start[sent_para]
    sent_of_tok = _bin_of(g_start, sent_global)
    first_sent = np.searchsorted(sent_para, np.arange(len(texts)), side="left")
    sent_id = np.subtract(sent_of_tok, first_sent.astype(np.int32)[para_of], dtype=np.int32)
    sent_id += 1

    doc_codes, doc_categories = pd.factorize(rows["doc_id"], sort=True)
    offset = para_start[para_of]
    start = np.subtract(g_start, offset, dtype=np.int32)
    end = np.subtract(g_end, offset, dtype=np.int32)
    del offset
    tokens = pd.DataFrame({
        "doc_id": pd.Categorical.from_codes(doc_codes.astype(np.int32)[para_of], categories=doc_categories),
        "para_id": rows["para_id"].to_numpy(dtype=np.int32)[para_of],
        "sent_id": sent_id,
        "position": position,
        "start": start,
        "end": end,
        "line": line,
        "lemma": pd.Categorical.from_codes(lemma_codes, categories=categories),
        "stop": stop,
        "term": term,
    }, copy=False)     # every column is a new array of this call: no copy into one block
    phrases = pd.DataFrame({"term": pd.Series(dtype=object), "count": pd.Series(dtype="int64"),
                            "npmi": pd.Series(dtype="float64")})
    if config.phrases and len(tokens):
        say("detecting phrases (gensim Phrases)")
        tokens, phrases = _detect_phrases(tokens, config)

    sent_end = np.append(sent_rel[1:], 0)
    last_of_para = np.append(sent_para[1:] != sent_para[:-1], True)
    sent_end = np.where(last_of_para, para_len[sent_para], sent_end)
    sent_texts = [texts[p][a:b].rstrip() for p, a, b in zip(sent_para, sent_rel, sent_end)]
    sentences = pd.DataFrame({
        "doc_id": rows["doc_id"].to_numpy()[sent_para],
        "para_id": rows["para_id"].to_numpy()[sent_para],
        "sent_id": (np.arange(len(sent_para)) - first_sent[sent_para] + 1),
        "start": sent_rel,
        "end": sent_rel + np.fromiter(map(len, sent_texts), dtype=np.int64, count=len(sent_texts)),
        "line": piece_lines[np.searchsorted(piece_offsets, sent_global, side="right") - 1],
        "n_tokens": np.bincount(sent_of_tok, minlength=len(sent_para)),
        "text": sent_texts,
    })
    return tokens, sentences, phrases


def _bin_of(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Return ``np.searchsorted(edges, values, side="right") - 1`` for sorted `values` and `edges`,
    in time linear in ``len(values)`` (a binary search per value misses the cache on large corpora)."""
    cuts = np.searchsorted(values, edges, side="left")        # first value at or after each edge
    bins = np.bincount(cuts, minlength=len(values) + 1)[: len(values)]
    np.cumsum(bins, out=bins)                                  # in place: one token-length array
    bins -= 1
    return bins


def _detect_phrases(tokens: pd.DataFrame, config: TokensConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Merge bigram phrases found by gensim `Phrases` within runs of non-stop terms of one sentence.

    A run breaks at a new sentence and wherever a stop word stood between two terms. `Phrases`
    learns from the first `config.phrases_max_words` terms (all of them in a corpus of that size);
    the phrases it exports are then applied to the whole corpus, left to right, as gensim does.
    """
    term = tokens["term"].to_numpy(dtype=object)
    idx = np.flatnonzero(term != "")
    empty = pd.DataFrame({"term": pd.Series(dtype=object), "count": pd.Series(dtype="int64"),
                          "npmi": pd.Series(dtype="float64")})
    if len(idx) < 2:
        return tokens, empty
    sent_key = (tokens["doc_id"].cat.codes.to_numpy().astype(np.int64) * 1_000_000
                + tokens["para_id"].to_numpy().astype(np.int64) * 1000 + tokens["sent_id"].to_numpy())
    stop_cum = np.cumsum(tokens["stop"].to_numpy())
    cont = (sent_key[idx[1:]] == sent_key[idx[:-1]]) & (stop_cum[idx[1:] - 1] - stop_cum[idx[:-1]] == 0)
    starts = np.concatenate([[0], np.flatnonzero(~cont) + 1])
    bounds = np.append(starts, len(idx))
    limit = np.searchsorted(bounds, min(config.phrases_max_words, len(idx)), side="left")
    words = term[idx]
    training = (list(words[bounds[r]:bounds[r + 1]]) for r in range(max(limit, 1)))
    from gensim.models.phrases import Phrases

    model = Phrases(training, min_count=config.phrases_min_count, threshold=config.phrases_threshold,
                    scoring="npmi", delimiter=_PHRASE_DELIM, connector_words=frozenset())
    grams = model.export_phrases()
    if not grams:
        return tokens, empty
    firsts = {g.split(_PHRASE_DELIM, 1)[0] for g in grams}
    left, right = words[:-1], words[1:]
    cand = np.flatnonzero(cont & pd.Series(left).isin(firsts).to_numpy())
    keys = pd.Series(left[cand], dtype=object) + _PHRASE_DELIM + pd.Series(right[cand], dtype=object)
    scores = keys.map(grams).to_numpy(dtype=float)
    hit = ~np.isnan(scores)
    cand, scores = cand[hit], scores[hit]
    chosen, last = [], -2
    for j in cand:                      # left to right: a pair overlapping the one before is skipped
        if j != last + 1:
            chosen.append(j)
            last = j
    chosen = np.array(chosen, dtype=np.int64)
    joined = pd.Series(left[chosen], dtype=object) + "_" + pd.Series(right[chosen], dtype=object)
    names = tokens["term"].cat.categories
    new_names = np.array(sorted(set(names) | set(joined.unique())), dtype=object)
    codes = new_names.searchsorted(np.asarray(names, dtype=object))[tokens["term"].cat.codes.to_numpy()]
    codes[idx[chosen]] = new_names.searchsorted(joined.to_numpy(dtype=object))
    codes[idx[chosen + 1]] = new_names.searchsorted("")
    score_of = dict(zip(joined, scores[np.searchsorted(cand, chosen)]))
    counts = joined.value_counts()
    phrases = pd.DataFrame({"term": counts.index.astype(object), "count": counts.to_numpy().astype("int64"),
                            "npmi": [float(score_of[t]) for t in counts.index]})
    phrases = phrases.sort_values(["count", "term"], ascending=[False, True], ignore_index=True)
    return tokens.assign(term=_categorical(codes, new_names)), phrases


def _categorical(codes: np.ndarray, names: np.ndarray) -> pd.Categorical:
    """Return the categorical of `codes` into the sorted `names`, keeping only the names used (as
    ``pd.Categorical`` of the strings would, without hashing every row)."""
    used = np.bincount(codes, minlength=len(names)) > 0
    remap = (np.cumsum(used) - 1).astype(np.int32)
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(names[used]))


def load_corpus(manifest: str | Path | None = None, config: Config | None = None,
                progress: bool = False, cache: str | Path | None = None) -> Corpus:
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
        tokenised tables are stored there as Parquet, keyed by `corpus_key`, and read back when
        the manifest, every input file, the corpus and tokens settings and the code are unchanged;
        an entry whose files do not match their recorded sha256 is rebuilt. None: no cache.

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
    key = None
    if cache is not None:
        from analysis import io

        key = corpus_key(manifest, config)
        hit = io.read_cache_entry(cache, key)
        if hit is not None:
            tables, _ = hit
            known_lemmas(tables.pop("word_lemmas"))
            warn_left_out(tables["cleaning_log"])     # the warnings of the run that built the entry, again
            corpus = Corpus(manifest=manifest, config=config, **tables)
            warn_scripts(corpus)
            return corpus
    global _RECORDED
    _RECORDED = {}
    try:
        corpus = _build_corpus(manifest, config, progress)
        words = sorted(_RECORDED)
        word_lemmas = pd.DataFrame({"word": words, "lemma": [_RECORDED[w] for w in words]}, dtype=object)
    finally:
        _RECORDED = None
    if key is not None:
        io.write_cache_entry(cache, key, {**{name: getattr(corpus, name) for name in CACHED_TABLES},
                                          "word_lemmas": word_lemmas}, meta={"manifest": str(manifest)})
    return corpus


#: The tables of a tokenised `Corpus` that the cache stores.
CACHED_TABLES = ("documents", "paragraphs", "cleaning_log", "sentences", "tokens", "phrases")


def corpus_key(manifest: Path, config: Config) -> str:
    """Return the cache key (sha256 hex) of a tokenised corpus: the manifest's bytes (which hold
    every input file's sha256, checked here by `read_manifest`), the corpus and tokens settings,
    the data files and code that shape tokens, and the package version."""
    import dataclasses
    import hashlib

    import analysis
    from analysis import io
    from analysis.corpus import read_manifest

    read_manifest(manifest, config.corpus)
    shaping = [Path(__file__), *(Path(__file__).with_name(n)
                                 for n in ("corpus.py", "manifest.py", "readers.py", "repeats.py"))]
    data = resources.files("analysis.data")
    shaping += [Path(str(data.joinpath(n))) for n in ("stopwords_keep.csv", "stopwords_domain.csv",
                                                     "lemma_overrides.csv", "mwe.csv")]
    return io.cache_key({"manifest": hashlib.sha256(Path(manifest).read_bytes()).hexdigest(),
                         "corpus": dataclasses.asdict(config.corpus), "tokens": dataclasses.asdict(config.tokens),
                         "code": {p.name: io.sha256_file(p) for p in shaping}, "version": analysis.__version__})


def _build_corpus(manifest: Path, config: Config, progress: bool) -> Corpus:
    """Return the tokenised corpus, built from the files (no cache)."""
    raw, line_maps = read_corpus(manifest, config.corpus)
    paragraphs = raw.paragraphs.copy()
    toks, sentences, phrases = tokenize(paragraphs, line_maps, config.tokens, progress=progress)
    counts = toks.groupby(["doc_id", "para_id"], observed=True).size()
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "para_id"]])
    analysed = paragraphs["kind"].isin(ANALYSED_KINDS).to_numpy()
    in_tokens = counts.reindex(key, fill_value=0).to_numpy()
    by_words = np.zeros(len(paragraphs), dtype=np.int64)
    by_words[~analysed] = [len(TOKEN_PATTERN.findall(t)) for t in paragraphs["text"].to_numpy()[~analysed]]
    paragraphs["n_tokens"] = np.where(analysed, in_tokens, by_words).astype("int64")
    documents = raw.documents.copy()
    documents["n_paragraphs"] = documents["doc_id"].map(paragraphs.groupby("doc_id").size()).astype("int64")
    documents["n_tokens"] = documents["doc_id"].map(
        paragraphs[analysed].groupby("doc_id")["n_tokens"].sum()).fillna(0).astype("int64")
    return replace(raw, documents=documents, paragraphs=paragraphs, sentences=sentences, tokens=toks,
                   phrases=phrases, config=config)
