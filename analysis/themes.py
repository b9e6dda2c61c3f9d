"""Dictionary model of the four themes (security, development, livelihood, supervision).

A lexicon (``data/themes.yaml`` by default, or the user's own YAML file) lists, per theme, entries
``{pattern, rationale}``. A pattern is one lemma ("terrorism"), a multi-word expression ("national
security", matched as a sequence of lemmas over every token of the paragraph, stop words included,
each word lemmatised with `analysis.tokens.lemmatize`) or contains glob words (``secur*``, matched
with `fnmatch` against single lemmas). The top-level ``exclude`` list holds expressions that claim
their tokens for no theme ("supervisory commission", the anti-corruption commissions).

Matching runs left to right over each analysed paragraph; at each token the LONGEST matching entry
wins (so "social security" is claimed for livelihood before "security" can match, and "supervisory
commission" is claimed for nothing before "supervision"-like entries); equal lengths prefer an
exact entry over a glob entry, then the entry listed first. Matched tokens are consumed.

Score and label of a paragraph: ``score_<theme>`` = matches of the theme per 100 word tokens of
the paragraph (all tokens, stop words included). The label ``theme`` is the theme with the highest
score, or "none" when that score is below `ThemesConfig.min_score` (default 2.0, i.e. fewer than
two matches per 100 tokens) or the paragraph has no match. Ties between themes go to the tied theme
whose first match comes earliest in the paragraph (these texts open a paragraph with its topic
sentence).

Columns of `match_lexicon` (one row per match):
    doc_id, para_id       paragraph
    position : int        0-based token number of the match's first token in the paragraph
    length : int          number of tokens matched
    start, end : int      0-based, half-open character offsets of the match in the paragraph text
    line : int            1-based seed-file line of the first token
    theme : str           one of THEMES, or "exclude"
    entry : str           the lexicon pattern as written

Columns of `score_paragraphs` (one row per analysed paragraph):
    doc_id, para_id, line_start, line_end
    score_<theme> : float matches per 100 tokens, one column per theme (THEMES order)
    theme : str           label: one of THEMES or "none"
    n_tokens : int        word tokens of the paragraph
    count_<theme> : int   matches, one column per theme

Columns of `theme_rates` for documents (one row per document and theme; for years ``year``
replaces ``doc_id`` and ``n_documents`` is added):
    doc_id : str, year : int
    theme : str
    count : int           matches of the theme
    rate_per_1k : float   matches per 1,000 word tokens
    rate_ci_low, rate_ci_high : float    95% bootstrap percentile interval of rate_per_1k
    share : float         count / matches of all four themes (NaN when there are none)
    share_ci_low, share_ci_high : float  95% bootstrap percentile interval of share
    n_tokens : int        word tokens of the analysed paragraphs
    n_paragraphs : int    analysed paragraphs (the bootstrap's resampling units)
"""
from __future__ import annotations

import fnmatch
import re
import warnings
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.config import ThemesConfig
from analysis.corpus import Corpus, require_columns
from analysis.errors import AnalysisError, ConfigError
from analysis.tokens import TOKEN_PATTERN, column_values, lemmatize

THEMES = ("security", "development", "livelihood", "supervision")
EXCLUDE = "exclude"
_GLOB_CHARS = re.compile(r"[*?\[]")
_GLOB_WORD = re.compile(r"[a-z*?\[\]-]+")
TOKEN_COLUMNS = {"doc_id": "object", "para_id": "int64", "position": "int64", "start": "int64",
                 "end": "int64", "line": "int64", "lemma": "object"}
MATCH_COLUMNS = ("doc_id", "para_id", "position", "length", "start", "end", "line", "theme", "entry")
RATE_COLUMNS = ("theme", "count", "rate_per_1k", "rate_ci_low", "rate_ci_high", "share", "share_ci_low",
                "share_ci_high", "n_tokens", "n_paragraphs")


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Entry:
    """One lexicon entry.

    Attributes
    ----------
    theme : str           one of THEMES or "exclude"
    pattern : str         as written in the lexicon
    words : tuple of str  lemmas and glob words to match, in order
    rationale : str
    order : int           0-based position in the lexicon file (tie-breaker)
    """

    theme: str
    pattern: str
    words: tuple[str, ...]
    rationale: str
    order: int

    @property
    def is_glob(self) -> bool:
        """Return True when any word of the pattern is a glob."""
        return any(_GLOB_CHARS.search(w) for w in self.words)


@dataclass(frozen=True)
class Lexicon:
    """The entries of a lexicon file and where it came from."""

    entries: tuple[Entry, ...]
    source: str

    def table(self) -> pd.DataFrame:
        """Return the entries as a table (theme, entry, lemmas, glob, rationale)."""
        return pd.DataFrame({"theme": [e.theme for e in self.entries],
                             "entry": [e.pattern for e in self.entries],
                             "lemmas": [" ".join(e.words) for e in self.entries],
                             "glob": [e.is_glob for e in self.entries],
                             "rationale": [e.rationale for e in self.entries]})

    def without(self, pattern: str) -> "Lexicon":
        """Return the lexicon without the entry whose pattern is `pattern`."""
        return Lexicon(tuple(e for e in self.entries if e.pattern != pattern), self.source)


def _pattern_words(pattern: str) -> tuple[str, ...]:
    words: list[str] = []
    for piece in pattern.lower().split():
        if _GLOB_CHARS.search(piece):
            if not _GLOB_WORD.fullmatch(piece):
                return ()
            words.append(piece)
        else:
            words.extend(lemmatize(w) for w in TOKEN_PATTERN.findall(piece))
    return tuple(words)


def default_lexicon_path() -> Path:
    """Return the path of the lexicon shipped with the package (``analysis/data/themes.yaml``)."""
    return Path(str(resources.files("analysis.data").joinpath("themes.yaml")))


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read and check a theme lexicon (YAML).

    The file has a mapping ``themes`` of theme name -> list of entries, and an optional list
    ``exclude``; an entry is a mapping with ``pattern`` (str) and ``rationale`` (str).

    Parameters
    ----------
    path : path, optional
        The YAML file; default the package's ``data/themes.yaml``.

    Returns
    -------
    Lexicon

    Raises
    ------
    ConfigError
        If the file is missing or not YAML, names an unknown theme, lacks a theme or has an empty one,
        has an entry without pattern or rationale, or lists one pattern twice (under one or two themes).
        The message names the file and the entry.

    Examples
    --------
    >>> lexicon = load_lexicon()
    >>> table = lexicon.table()
    >>> table.loc[table["entry"] == "social security", "theme"].item()
    'livelihood'
    >>> table.loc[table["entry"] == "supervisory commission", "theme"].item()
    'exclude'
    """
    path = Path(path) if path is not None else default_lexicon_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: lexicon file not found") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: lexicon is not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict) or "themes" not in data:
        raise ConfigError(f"{path}: lexicon must be a mapping with a 'themes' key (and optional 'exclude')")
    unknown_keys = sorted(set(data) - {"themes", EXCLUDE})
    if unknown_keys:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(map(repr, unknown_keys))}; "
                          "allowed: 'themes', 'exclude'")
    themes = data["themes"]
    if not isinstance(themes, dict):
        raise ConfigError(f"{path}: 'themes' must map theme names to lists of entries")
    for name in themes:
        if name not in THEMES:
            raise ConfigError(f"{path}: unknown theme {name!r}; expected one of "
                              f"{', '.join(map(repr, THEMES))}")
    groups = [(name, themes.get(name)) for name in THEMES] + [(EXCLUDE, data.get(EXCLUDE) or [])]
    entries: list[Entry] = []
    seen: dict[tuple[str, ...], tuple[str, str]] = {}
    for theme, items in groups:
        if theme != EXCLUDE and not items:
            raise ConfigError(f"{path}: theme {theme!r} is missing or empty; every theme needs entries")
        if not isinstance(items, list):
            raise ConfigError(f"{path}: theme {theme!r} must be a list of entries; got {type(items).__name__}")
        for k, item in enumerate(items, start=1):
            where = f"{path}: {theme} entry {k}"
            if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
                raise ConfigError(f"{where}: expected a mapping with 'pattern' and 'rationale'; got {item!r}")
            pattern = item["pattern"].strip()
            extra = sorted(set(item) - {"pattern", "rationale"})
            if extra:
                raise ConfigError(f"{where} ({pattern!r}): unknown field(s) {', '.join(extra)}; "
                                  "allowed: pattern, rationale")
            rationale = item.get("rationale")
            if not isinstance(rationale, str) or not rationale.strip():
                raise ConfigError(f"{where} ({pattern!r}): field 'rationale' is missing or empty")
            words = _pattern_words(pattern)
            if not words:
                raise ConfigError(f"{where}: pattern {pattern!r} has no word (letters, '-', glob '*?[]')")
            if words in seen:
                other_theme, other = seen[words]
                raise ConfigError(f"{where}: pattern {pattern!r} is already listed under {other_theme!r} "
                                  f"as {other!r}; an entry may appear under one theme only")
            seen[words] = (theme, pattern)
            entries.append(Entry(theme, pattern, words, rationale.strip(), len(entries)))
    return Lexicon(tuple(entries), str(path))


# --------------------------------------------------------------------------- matching


def _check_tokens(tokens: pd.DataFrame) -> None:
    missing = [c for c in TOKEN_COLUMNS if c not in tokens.columns]
    if missing:
        raise AnalysisError(f"themes: token table has no column(s) {', '.join(missing)}")


def match_lexicon(tokens: pd.DataFrame, lexicon: Lexicon, warn_unmatched: bool = True) -> pd.DataFrame:
    """Return every match of the lexicon in the token table (longest match first, left to right).

    Parameters
    ----------
    tokens : DataFrame
        The token table of `analysis.tokens` (doc_id, para_id, position, start, end, line, lemma).
    lexicon : Lexicon
    warn_unmatched : bool, default True
        Warn (`UserWarning`) for each glob entry that matches no lemma of the corpus.

    Returns
    -------
    DataFrame
        Columns as listed in the module docstring, in reading order.
    """
    _check_tokens(tokens)
    lemma_col = tokens["lemma"]
    if isinstance(lemma_col.dtype, pd.CategoricalDtype):
        codes, names = lemma_col.cat.codes.to_numpy(), lemma_col.cat.categories.astype(str)
    else:
        codes, names = pd.factorize(lemma_col.astype(str))
        names = pd.Index(names).astype(str)
    codes = codes.astype(np.int64)
    present = np.zeros(len(names) + 1, dtype=bool)        # last slot: code -1 (no lemma)
    present[codes] = True
    vocab = sorted(names[present[:-1]])
    if warn_unmatched:
        for entry in lexicon.entries:
            if entry.is_glob and not any(fnmatch.fnmatchcase(v, entry.words[0]) for v in vocab):
                warnings.warn(f"{lexicon.source}: {entry.theme} entry {entry.pattern!r} matches no lemma "
                              "of the corpus", UserWarning, stacklevel=2)

    doc_arr = column_values(tokens["doc_id"])
    para_arr = tokens["para_id"].to_numpy()
    n = len(codes)
    # Paragraph boundaries: a new paragraph starts wherever doc_id or para_id changes.
    boundary = np.ones(n + 1, dtype=bool)
    if n > 1:
        boundary[1:n] = (doc_arr[1:] != doc_arr[:-1]) | (para_arr[1:] != para_arr[:-1])
    cut = np.flatnonzero(boundary)
    para_end = np.repeat(cut[1:], np.diff(cut))        # per token: end (exclusive) of its paragraph

    accepts: dict[str, np.ndarray] = {}

    def accepted(word: str) -> np.ndarray:
        """Which lemma codes a lexicon word accepts (a bool per code; the last slot is code -1)."""
        if word not in accepts:
            mask = np.zeros(len(names) + 1, dtype=bool)
            if _GLOB_CHARS.search(word):
                mask[names.get_indexer(fnmatch.filter(vocab, word))] = True
            elif word in names:
                mask[names.get_loc(word)] = True
            accepts[word] = mask
        return accepts[word]

    # Every place each entry matches (numpy, word by word), then longest match first, left to
    # right: at each token the first entry in (longest, not a glob, lexicon order) that matches.
    by_code = np.argsort(codes, kind="stable")
    code_starts = np.searchsorted(codes[by_code], np.arange(-1, len(names) + 1))
    ranked = sorted(lexicon.entries, key=lambda e: (-len(e.words), e.is_glob, e.order))
    hit_pos, hit_rank = [], []
    for rank, entry in enumerate(ranked):
        first = np.flatnonzero(accepted(entry.words[0])[:-1])
        pos = np.sort(np.concatenate([by_code[code_starts[c + 1]:code_starts[c + 2]] for c in first])
                      if len(first) else np.zeros(0, dtype=np.int64))
        size = len(entry.words)
        pos = pos[pos + size <= para_end[pos]]
        for j in range(1, size):
            pos = pos[accepted(entry.words[j])[codes[pos + j]]]
        hit_pos.append(pos)
        hit_rank.append(np.full(len(pos), rank))
    pos = np.concatenate(hit_pos) if hit_pos else np.zeros(0, dtype=np.int64)
    rank = np.concatenate(hit_rank) if hit_rank else np.zeros(0, dtype=np.int64)
    order = np.lexsort((rank, pos))
    pos, rank = pos[order], rank[order]
    best = np.r_[True, pos[1:] != pos[:-1]] if len(pos) else np.zeros(0, dtype=bool)
    found = []
    next_free = 0
    for i, r in zip(pos[best].tolist(), rank[best].tolist()):
        if i >= next_free:                         # not inside the previous match
            entry = ranked[r]
            found.append((i, len(entry.words), entry.theme, entry.pattern))
            next_free = i + len(entry.words)
    first = np.array([f[0] for f in found], dtype=np.int64)
    size = np.array([f[1] for f in found], dtype=np.int64)
    return pd.DataFrame({
        "doc_id": doc_arr[first].astype(object) if len(first) else np.array([], dtype=object),
        "para_id": para_arr[first].astype("int64"),
        "position": tokens["position"].to_numpy()[first].astype("int64"),
        "length": size,
        "start": tokens["start"].to_numpy()[first].astype("int64"),
        "end": tokens["end"].to_numpy()[first + size - 1].astype("int64") if len(first) else first,
        "line": tokens["line"].to_numpy()[first].astype("int64"),
        "theme": [f[2] for f in found],
        "entry": [f[3] for f in found],
    }, columns=list(MATCH_COLUMNS))


def _paragraph_frame(corpus: Corpus) -> pd.DataFrame:
    paragraphs = corpus.analysed
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "line_start": "int64",
                                 "line_end": "int64", "n_tokens": "int64"}, stage="themes")
    return paragraphs


def score_paragraphs(corpus: Corpus, lexicon: Lexicon | None = None, config: ThemesConfig | None = None,
                     matches: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return each analysed paragraph's theme scores and label.

    Parameters
    ----------
    corpus : Corpus
        A tokenised corpus (`analysis.load_corpus`).
    lexicon : Lexicon, optional
        Default `load_lexicon()`.
    config : ThemesConfig, optional
        Supplies `min_score` (matches per 100 tokens below which the label is "none").
    matches : DataFrame, optional
        The result of `match_lexicon`, if already computed.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line_start, line_end, score_<theme> (matches per 100 tokens),
        theme, n_tokens, count_<theme>; one row per analysed paragraph, in corpus order.
    """
    config = config or ThemesConfig()
    lexicon = lexicon or load_lexicon()
    if matches is None:
        matches = match_lexicon(corpus.tokens, lexicon)
    paragraphs = _paragraph_frame(corpus)
    key = pd.MultiIndex.from_frame(paragraphs[["doc_id", "para_id"]])
    themed = matches[matches["theme"].isin(THEMES)]
    counts = (themed.groupby(["doc_id", "para_id", "theme"]).size().unstack("theme")
              .reindex(columns=list(THEMES)).reindex(key).fillna(0).astype("int64"))
    first = (themed.groupby(["doc_id", "para_id", "theme"])["position"].min().unstack("theme")
             .reindex(columns=list(THEMES)).reindex(key))
    n_tokens = paragraphs["n_tokens"].to_numpy()
    count_arr = counts.to_numpy()
    scores = np.where(n_tokens[:, None] > 0, 100.0 * count_arr / np.maximum(n_tokens, 1)[:, None], 0.0)
    # Highest score; ties go to the tied theme whose first match is earliest in the paragraph.
    first_arr = first.to_numpy(dtype=float)
    top = scores.max(axis=1) if len(scores) else np.zeros(0)
    tied_first = np.where(scores == top[:, None], np.nan_to_num(first_arr, nan=np.inf), np.inf)
    best = tied_first.argmin(axis=1) if len(scores) else np.zeros(0, dtype=int)
    labels = np.where((top >= config.min_score) & (top > 0), np.array(THEMES)[best], "none")
    table = paragraphs[["doc_id", "para_id", "line_start", "line_end"]].reset_index(drop=True).copy()
    for k, theme in enumerate(THEMES):
        table[f"score_{theme}"] = np.round(scores[:, k], 6)
    table["theme"] = labels
    table["n_tokens"] = n_tokens.astype("int64")
    for k, theme in enumerate(THEMES):
        table[f"count_{theme}"] = count_arr[:, k]
    return table


# --------------------------------------------------------------------------- rates and bootstrap


def _group_seed(seed: int, key: str) -> np.random.SeedSequence:
    """Return an independent seed sequence for one group, stable whatever other groups exist."""
    return np.random.SeedSequence([seed, zlib.crc32(key.encode("utf-8"))])


def _bootstrap(strata: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator, n_boot: int,
               chunk_cells: int = 5_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Resample paragraphs with replacement within each stratum; return (counts, tokens) per replicate.

    `strata` holds (counts: paragraphs x themes, tokens: paragraphs) per stratum (a document).
    Returns counts of shape (n_boot, themes) and tokens of shape (n_boot,), summed over strata.
    """
    n_themes = strata[0][0].shape[1]
    counts = np.zeros((n_boot, n_themes), dtype=np.int64)
    tokens = np.zeros(n_boot, dtype=np.int64)
    for count_matrix, token_vec in strata:
        n_par = len(token_vec)
        if n_par == 0:
            continue
        step = max(1, chunk_cells // n_par)
        for b0 in range(0, n_boot, step):
            b1 = min(n_boot, b0 + step)
            idx = rng.integers(0, n_par, size=(b1 - b0, n_par))
            # times each paragraph is drawn in each replicate, then one product (not a gather of
            # replicates x paragraphs x themes)
            idx += (np.arange(b1 - b0) * n_par)[:, None]
            weights = np.bincount(idx.ravel(), minlength=(b1 - b0) * n_par).reshape(b1 - b0, n_par)
            counts[b0:b1] += weights @ count_matrix
            tokens[b0:b1] += weights @ token_vec
    return counts, tokens


def _rate_rows(strata, seed_seq, config: ThemesConfig) -> list[dict]:
    count_total = sum(s[0].sum(axis=0) for s in strata)
    token_total = int(sum(s[1].sum() for s in strata))
    n_par = int(sum(len(s[1]) for s in strata))
    rng = np.random.default_rng(seed_seq)
    boot_counts, boot_tokens = _bootstrap(strata, rng, config.n_boot)
    alpha = (1 - config.ci_level) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        boot_rate = 1000.0 * boot_counts / boot_tokens[:, None]
        boot_share = boot_counts / boot_counts.sum(axis=1, keepdims=True)
    rows = []
    all_matches = int(count_total.sum())
    for k, theme in enumerate(THEMES):
        rate = 1000.0 * count_total[k] / token_total if token_total else np.nan
        share = count_total[k] / all_matches if all_matches else np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            rate_lo, rate_hi = np.nanquantile(boot_rate[:, k], [alpha, 1 - alpha]) if token_total else (np.nan,) * 2
            share_lo, share_hi = (np.nanquantile(boot_share[:, k], [alpha, 1 - alpha])
                                  if all_matches else (np.nan, np.nan))
        rows.append({"theme": theme, "count": int(count_total[k]), "rate_per_1k": rate,
                     "rate_ci_low": rate_lo, "rate_ci_high": rate_hi, "share": share,
                     "share_ci_low": share_lo, "share_ci_high": share_hi,
                     "n_tokens": token_total, "n_paragraphs": n_par})
    return rows


def theme_rates(paragraph_themes: pd.DataFrame, documents: pd.DataFrame, by: str = "doc_id",
                config: ThemesConfig | None = None) -> pd.DataFrame:
    """Return count, rate per 1,000 tokens and share of each theme, with bootstrap intervals.

    The interval is the percentile interval of `config.n_boot` bootstrap replicates; a replicate
    resamples the analysed paragraphs of each document with replacement (a paragraph x theme count
    matrix, never the text), so a year's interval keeps its documents' sizes fixed. Each group
    (document or year) draws from its own generator, seeded from ``config.seed`` and the group's
    key, so its numbers do not depend on the other groups.

    Parameters
    ----------
    paragraph_themes : DataFrame
        The result of `score_paragraphs` (needs doc_id, n_tokens and count_<theme> columns).
    documents : DataFrame
        The corpus's document table (doc_id, year, version_of).
    by : {"doc_id", "year"}, default "doc_id"
        Group by document, or by year. Year groups leave out documents that are another English
        version of a document in the corpus (``version_of`` not empty, e.g. the Xinhua 2023 summary)
        unless `config.year_include_versions` is True, so one text is not counted twice.
    config : ThemesConfig, optional

    Returns
    -------
    DataFrame
        One row per group and theme; columns as in the module docstring.
    """
    config = config or ThemesConfig()
    if by not in ("doc_id", "year"):
        raise ConfigError(f"theme_rates: by must be one of 'doc_id', 'year'; got {by!r}")
    needed = {"doc_id": "object", "n_tokens": "int64", **{f"count_{t}": "int64" for t in THEMES}}
    require_columns(paragraph_themes, needed, stage="theme_rates")
    docs = documents.set_index("doc_id")
    count_cols = [f"count_{t}" for t in THEMES]
    per_doc = {d: (g[count_cols].to_numpy(dtype=np.int64), g["n_tokens"].to_numpy(dtype=np.int64))
               for d, g in paragraph_themes.groupby("doc_id", sort=True)}
    unknown = sorted(set(per_doc) - set(docs.index))
    if unknown:
        raise AnalysisError(f"theme_rates: doc_id {unknown[0]!r} of the paragraph table is not in the documents table")
    rows = []
    if by == "doc_id":
        for doc_id in sorted(per_doc):
            year = int(docs.loc[doc_id, "year"])
            for row in _rate_rows([per_doc[doc_id]], _group_seed(config.seed, f"doc:{doc_id}"), config):
                rows.append({"doc_id": doc_id, "year": year, **row})
        columns = ["doc_id", "year", *RATE_COLUMNS]
    else:
        known = set(docs.index)
        keep = [d for d in per_doc if (config.year_include_versions
                                                       or not str(docs.loc[d, "version_of"] or "")
                                                       or docs.loc[d, "version_of"] not in known)]
        years: dict[int, list[str]] = {}
        for d in sorted(keep):
            years.setdefault(int(docs.loc[d, "year"]), []).append(d)
        for year in sorted(years):
            strata = [per_doc[d] for d in years[year]]
            for row in _rate_rows(strata, _group_seed(config.seed, f"year:{year}"), config):
                rows.append({"year": year, **row, "n_documents": len(years[year])})
        columns = ["year", *RATE_COLUMNS, "n_documents"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------- concordance and audit


def concordance(corpus: Corpus, matches: pd.DataFrame, entry: str | None = None, theme: str | None = None,
                window: int = 60) -> pd.DataFrame:
    """Return matches in context (key word in context), for checking an entry by eye.

    Parameters
    ----------
    corpus : Corpus
    matches : DataFrame
        The result of `match_lexicon`.
    entry, theme : str, optional
        Keep only this entry's (pattern as written) or this theme's matches.
    window : int, default 60
        Characters of context on each side (cut from the paragraph text).

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line, left, match, right, theme, entry.
    """
    sub = matches
    if entry is not None:
        sub = sub[sub["entry"] == entry]
    if theme is not None:
        sub = sub[sub["theme"] == theme]
    texts = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]
    rows = []
    for m in sub.itertuples(index=False):
        text = texts.loc[(m.doc_id, m.para_id)]
        rows.append({"doc_id": m.doc_id, "para_id": m.para_id, "line": m.line,
                     "left": text[max(0, m.start - window):m.start], "match": text[m.start:m.end],
                     "right": text[m.end:m.end + window], "theme": m.theme, "entry": m.entry})
    return pd.DataFrame(rows, columns=["doc_id", "para_id", "line", "left", "match", "right", "theme", "entry"])


def audit_sample(corpus: Corpus, matches: pd.DataFrame, config: ThemesConfig | None = None) -> pd.DataFrame:
    """Return a coding sheet: a seeded sample of each theme entry's matches in context.

    Stratified by entry: up to `config.audit_per_entry` matches of every entry of the four themes
    (all of them when it has fewer), drawn without replacement from a generator seeded with
    ``config.seed`` and the entry, so adding an entry does not change the others' samples.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line, left, match, right, theme, entry, correct (empty, for the
        coder: 1 if the match speaks of its theme in this context, 0 if not).
    """
    config = config or ThemesConfig()
    themed = matches[matches["theme"].isin(THEMES)].reset_index(drop=True)
    picks = []
    for entry, group in sorted(themed.groupby("entry").groups.items()):
        idx = np.asarray(group)
        if len(idx) > config.audit_per_entry:
            rng = np.random.default_rng(_group_seed(config.seed, f"audit:{entry}"))
            idx = np.sort(rng.choice(idx, size=config.audit_per_entry, replace=False))
        picks.append(idx)
    chosen = themed.iloc[np.concatenate(picks)] if picks else themed.iloc[:0]
    sheet = concordance(corpus, chosen)
    sheet = sheet.sort_values(["theme", "entry", "doc_id", "para_id", "line"], kind="stable", ignore_index=True)
    sheet["theme"] = pd.Categorical(sheet["theme"], categories=list(THEMES))
    sheet = sheet.sort_values(["theme", "entry"], kind="stable", ignore_index=True)
    sheet["theme"] = sheet["theme"].astype(str)
    sheet["correct"] = ""
    return sheet


_TRUE = {"1", "y", "yes", "true", "t"}
_FALSE = {"0", "n", "no", "false", "f"}


def read_audit(path: str | Path) -> pd.DataFrame:
    """Read a marked coding sheet and return its rows with a boolean-or-missing `correct` column.

    Accepted marks: 1/0, yes/no, y/n, true/false (any case); an empty cell means not coded.

    Raises
    ------
    AnalysisError
        If the file is missing or not CSV, lacks a column, or has another value in `correct`
        (the message names the file, the 1-based row number counting the header as row 1, and the value).
    """
    path = Path(path)
    try:
        sheet = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise AnalysisError(f"{path}: coding sheet not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{path}: coding sheet is not a readable CSV ({exc})") from None
    missing = [c for c in ("doc_id", "para_id", "theme", "entry", "correct") if c not in sheet.columns]
    if missing:
        raise AnalysisError(f"{path}: coding sheet has no column(s) {', '.join(missing)}")
    marks = []
    for row_no, (value, theme) in enumerate(zip(sheet["correct"], sheet["theme"]), start=2):
        v = value.strip().lower()
        if theme not in THEMES:
            raise AnalysisError(f"{path}:{row_no}: field 'theme' is {theme!r}; expected one of "
                                f"{', '.join(THEMES)}")
        if v in _TRUE:
            marks.append(True)
        elif v in _FALSE:
            marks.append(False)
        elif v == "":
            marks.append(pd.NA)
        else:
            raise AnalysisError(f"{path}:{row_no}: field 'correct' is {value!r}; expected 1/0, yes/no, "
                                "true/false or empty (not coded)")
    sheet["correct"] = pd.array(marks, dtype="boolean")
    return sheet


def audit_precision(sheet: pd.DataFrame, alpha: float = 0.05) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return per-entry and per-theme precision of a marked coding sheet, with Wilson intervals.

    Parameters
    ----------
    sheet : DataFrame
        The result of `read_audit` (rows with an empty mark are left out).
    alpha : float, default 0.05
        1 - confidence level of the Wilson interval (statsmodels `proportion_confint`).

    Returns
    -------
    by_entry, by_theme : DataFrame
        Columns theme, [entry,] n_coded, n_correct, precision, precision_ci_low, precision_ci_high.

    Raises
    ------
    AnalysisError
        If no row is coded.
    """
    from statsmodels.stats.proportion import proportion_confint

    coded = sheet[sheet["correct"].notna()].copy()
    if coded.empty:
        raise AnalysisError("audit_precision: no row of the coding sheet is marked in 'correct'")
    coded["correct"] = coded["correct"].astype(bool)

    def summarise(keys):
        out = coded.groupby(keys, sort=True)["correct"].agg(n_coded="size", n_correct="sum").reset_index()
        out["n_correct"] = out["n_correct"].astype("int64")
        out["precision"] = out["n_correct"] / out["n_coded"]
        lo, hi = proportion_confint(out["n_correct"], out["n_coded"], alpha=alpha, method="wilson")
        out["precision_ci_low"], out["precision_ci_high"] = np.asarray(lo), np.asarray(hi)
        return out

    rank = {t: k for k, t in enumerate(THEMES)}
    by_entry, by_theme = summarise(["theme", "entry"]), summarise(["theme"])
    by_entry = by_entry.sort_values(["theme", "entry"], key=lambda s: s.map(rank) if s.name == "theme" else s,
                                    ignore_index=True)
    by_theme = by_theme.sort_values("theme", key=lambda s: s.map(rank), ignore_index=True)
    return by_entry, by_theme


# --------------------------------------------------------------------------- validation


def structure_labels(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Return the analysed paragraphs whose section says which theme they are about.

    The 2023 report (``report-2023``; ``report-2023-xinhua`` as a secondary check), part "Review
    of the work ...", sections 1-4 -> security, development, livelihood, supervision; the 2021
    Opinions (``opinions-2021``) items 1, 2, 3 -> security, development, livelihood and items 5-13
    -> supervision.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, section_theme.
    """
    rows = paragraphs[paragraphs["kind"].isin(("body", "list"))]
    rows = rows.assign(section_theme="")
    report = rows["doc_id"].isin(("report-2023", "report-2023-xinhua")) & \
        rows["part"].str.lower().str.startswith("review of") & rows["section_no"].isin(("1", "2", "3", "4"))
    rows.loc[report, "section_theme"] = rows.loc[report, "section_no"].map(
        {str(k + 1): t for k, t in enumerate(THEMES)})
    item_map = {"1": "security", "2": "development", "3": "livelihood",
                **{str(k): "supervision" for k in range(5, 14)}}
    opinions = (rows["doc_id"] == "opinions-2021") & rows["item_no"].isin(item_map)
    rows.loc[opinions, "section_theme"] = rows.loc[opinions, "item_no"].map(item_map)
    return rows.loc[rows["section_theme"] != "", ["doc_id", "para_id", "section_theme"]].reset_index(drop=True)


def validate_structure(paragraph_themes: pd.DataFrame, paragraphs: pd.DataFrame,
                       primary: tuple[str, ...] = ("report-2023", "opinions-2021")) -> pd.DataFrame:
    """Score paragraph labels against the section themes: precision, recall, F1 per theme and macro.

    Labels come from body text only (headings carry no tokens). A paragraph labelled "none" counts
    as a miss of its section theme. Scores use `sklearn.metrics.precision_recall_fscore_support`
    over the four themes.

    Parameters
    ----------
    paragraph_themes : DataFrame
        The result of `score_paragraphs`.
    paragraphs : DataFrame
        The corpus paragraph table (kind, part, section_no, item_no).
    primary : tuple of str
        Documents of the main check; ``report-2023-xinhua`` is scored separately as "secondary".

    Returns
    -------
    DataFrame
        Columns check ({"primary", "secondary"}), theme (a theme or "macro"), precision, recall,
        f1, support (paragraphs with that section theme), n (paragraphs scored).
    """
    from sklearn.metrics import precision_recall_fscore_support

    gold = structure_labels(paragraphs)
    merged = gold.merge(paragraph_themes[["doc_id", "para_id", "theme"]], on=["doc_id", "para_id"], how="left")
    merged["theme"] = merged["theme"].fillna("none")
    out = []
    for check, mask in (("primary", merged["doc_id"].isin(primary)),
                        ("secondary", ~merged["doc_id"].isin(primary))):
        sub = merged[mask]
        if sub.empty:
            continue
        p, r, f, s = precision_recall_fscore_support(sub["section_theme"], sub["theme"], labels=list(THEMES),
                                                     zero_division=0)
        for k, theme in enumerate(THEMES):
            out.append({"check": check, "theme": theme, "precision": p[k], "recall": r[k], "f1": f[k],
                        "support": int(s[k]), "n": len(sub)})
        mp, mr, mf, _ = precision_recall_fscore_support(sub["section_theme"], sub["theme"], labels=list(THEMES),
                                                        average="macro", zero_division=0)
        out.append({"check": check, "theme": "macro", "precision": mp, "recall": mr, "f1": mf,
                    "support": len(sub), "n": len(sub)})
    return pd.DataFrame(out, columns=["check", "theme", "precision", "recall", "f1", "support", "n"])


def compare_versions(document_themes: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Compare each document with the document it is another English version of (``version_of``).

    Returns
    -------
    DataFrame
        Columns doc_id, version_of, theme, share, share_ci_low, share_ci_high, other_share,
        other_ci_low, other_ci_high, share_difference (share of `doc_id` minus share of
        `version_of`), intervals_overlap (bool).
    """
    pairs = documents.loc[documents["version_of"].fillna("").astype(str) != "", ["doc_id", "version_of"]]
    cols = ["share", "share_ci_low", "share_ci_high"]
    rows = []
    table = document_themes.set_index(["doc_id", "theme"])
    for doc_id, other in pairs.itertuples(index=False):
        for theme in THEMES:
            if (doc_id, theme) not in table.index or (other, theme) not in table.index:
                continue
            a, b = table.loc[(doc_id, theme), cols], table.loc[(other, theme), cols]
            rows.append({"doc_id": doc_id, "version_of": other, "theme": theme,
                         "share": a["share"], "share_ci_low": a["share_ci_low"], "share_ci_high": a["share_ci_high"],
                         "other_share": b["share"], "other_ci_low": b["share_ci_low"],
                         "other_ci_high": b["share_ci_high"], "share_difference": a["share"] - b["share"],
                         "intervals_overlap": bool(a["share_ci_low"] <= b["share_ci_high"]
                                                   and b["share_ci_low"] <= a["share_ci_high"])})
    return pd.DataFrame(rows, columns=["doc_id", "version_of", "theme", "share", "share_ci_low", "share_ci_high",
                                       "other_share", "other_ci_low", "other_ci_high", "share_difference",
                                       "intervals_overlap"])


def entry_counts(matches: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Return each lexicon entry's matches per document (zeros included), plus a ``total`` column.

    Returns
    -------
    DataFrame
        Columns theme, entry, one column per doc_id (counts), total; in lexicon order.
    """
    table = lexicon.table()[["theme", "entry"]]
    wide = matches.groupby(["entry", "doc_id"]).size().unstack("doc_id", fill_value=0)
    wide = wide.reindex(table["entry"]).fillna(0).astype("int64")
    wide = wide.reindex(columns=sorted(wide.columns))
    out = pd.concat([table.reset_index(drop=True), wide.reset_index(drop=True)], axis=1)
    out["total"] = wide.sum(axis=1).to_numpy()
    return out


def leave_one_out(corpus: Corpus, lexicon: Lexicon, matches: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return how much each theme's share moves when one entry is removed from the lexicon.

    Removing an entry can let a shorter entry match the freed tokens, so the paragraphs where the
    entry matched are matched again without it (only those: the rest cannot change).

    Returns
    -------
    DataFrame
        One row per (entry, document; doc_id "all" pools the corpus) where the entry matched:
        theme, entry, doc_id, matches, share_before, share_after (of the entry's own theme),
        share_change (after - before), max_abs_change (largest absolute change over the four
        themes), most_changed_theme; sorted by max_abs_change, largest first.
    """
    if matches is None:
        matches = match_lexicon(corpus.tokens, lexicon)
    themed = matches[matches["theme"].isin(THEMES)]
    base = themed.groupby(["doc_id", "theme"]).size().unstack("theme").reindex(columns=list(THEMES)).fillna(0)
    base.loc["all"] = base.sum(axis=0)
    tokens = corpus.tokens
    doc_arr = column_values(tokens["doc_id"])
    para_arr = tokens["para_id"].to_numpy()
    boundary = np.ones(len(tokens) + 1, dtype=bool)
    if len(tokens) > 1:
        boundary[1:len(tokens)] = (doc_arr[1:] != doc_arr[:-1]) | (para_arr[1:] != para_arr[:-1])
    cut = np.flatnonzero(boundary)
    span = {(doc_arr[a], int(para_arr[a])): (a, b) for a, b in zip(cut[:-1], cut[1:])}
    rows = []
    for entry in lexicon.entries:
        hit = matches[matches["entry"] == entry.pattern]
        if hit.empty:
            continue
        paras = hit[["doc_id", "para_id"]].drop_duplicates()
        take = np.concatenate([np.arange(*span[(d, int(p))]) for d, p in paras.itertuples(index=False)])
        sub_tokens = tokens.iloc[take]
        old = matches.merge(paras, on=["doc_id", "para_id"])
        new = match_lexicon(sub_tokens, lexicon.without(entry.pattern), warn_unmatched=False)
        delta = (new[new["theme"].isin(THEMES)].groupby(["doc_id", "theme"]).size()
                 .sub(old[old["theme"].isin(THEMES)].groupby(["doc_id", "theme"]).size(), fill_value=0)
                 .unstack("theme").reindex(columns=list(THEMES)).fillna(0))
        delta.loc["all"] = delta.sum(axis=0)
        n_hit = hit.groupby("doc_id").size()
        n_hit.loc["all"] = len(hit)
        for doc_id in delta.index:
            before = base.loc[doc_id].to_numpy(dtype=float)
            after = before + delta.loc[doc_id].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                s0 = before / before.sum() if before.sum() else np.full(4, np.nan)
                s1 = after / after.sum() if after.sum() else np.full(4, np.nan)
            change = np.nan_to_num(s1 - s0)
            k = THEMES.index(entry.theme) if entry.theme in THEMES else int(np.argmax(np.abs(change)))
            j = int(np.argmax(np.abs(change)))
            rows.append({"theme": entry.theme, "entry": entry.pattern, "doc_id": doc_id,
                         "matches": int(n_hit.get(doc_id, 0)), "share_before": s0[k], "share_after": s1[k],
                         "share_change": s1[k] - s0[k], "max_abs_change": abs(change[j]),
                         "most_changed_theme": THEMES[j]})
    out = pd.DataFrame(rows, columns=["theme", "entry", "doc_id", "matches", "share_before", "share_after",
                                      "share_change", "max_abs_change", "most_changed_theme"])
    return out.sort_values(["max_abs_change", "entry", "doc_id"], ascending=[False, True, True],
                           kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- one call


@dataclass(frozen=True)
class ThemeResult:
    """Everything `analyse_themes` computes (tables as documented in the module docstring)."""

    matches: pd.DataFrame
    paragraph_themes: pd.DataFrame
    document_themes: pd.DataFrame
    year_themes: pd.DataFrame
    entry_counts: pd.DataFrame


def analyse_themes(corpus: Corpus, lexicon: Lexicon | None = None,
                   config: ThemesConfig | None = None) -> ThemeResult:
    """Match the lexicon, label the paragraphs and estimate the rates and shares per document and year."""
    config = config or ThemesConfig()
    lexicon = lexicon or load_lexicon()
    matches = match_lexicon(corpus.tokens, lexicon)
    paragraph_themes = score_paragraphs(corpus, lexicon, config, matches=matches)
    document_themes = theme_rates(paragraph_themes, corpus.documents, by="doc_id", config=config)
    year_themes = theme_rates(paragraph_themes, corpus.documents, by="year", config=config)
    return ThemeResult(matches, paragraph_themes, document_themes, year_themes, entry_counts(matches, lexicon))
