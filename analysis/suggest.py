"""Lexicon expansion for a person to review: rank candidate terms for a category, merge accepted ones.

`suggest_terms` ranks the corpus's terms (non-stop lemmas and multi-word terms, as in
`analysis.tokens`) that the lexicon does not yet hold, by two pieces of evidence:

- similarity: cosine similarity of the term's Word2Vec vector to the centroid of the category's
  entries' vectors (unit vectors averaged). The vectors are trained on the user's own corpus
  (gensim skip-gram, one worker thread, a fixed string hash and `SuggestConfig.seed`, so a run
  repeats byte for byte); nothing is downloaded.
- keyness: G2 and log ratio (base 2) of the term's frequency in the paragraphs the dictionary
  labels with the category against all other analysed paragraphs
  (`analysis.discourse.keyness_statistics`).

A candidate's rank is the mean of its percentile rank by similarity and by G2 (G2 counts only when
the term is more frequent in the category's paragraphs, log_ratio > 0; else its G2 rank is 0).

Columns of `suggest_terms` (one row per candidate, best first):
    category : str          the category the terms are suggested for
    term : str              the term, words separated by spaces (a lexicon pattern as is)
    similarity : float      cosine similarity to the category centroid, in [-1, 1]
    g2 : float              log-likelihood G2 of category paragraphs vs the rest
    log_ratio : float       log2 of the relative frequencies (category / rest; 0.5 for a zero)
    n_occurrences : int     occurrences in the corpus
    n_category : int        occurrences in the category's paragraphs
    score : float           the combined percentile rank, in [0, 1]
    kwic : str              up to `SuggestConfig.kwic_lines` concordance lines, each
                            "doc_id:line: left [match] right", joined by " || "
    accept : str            empty, for the reviewer (y/yes/1/true accept)

`merge_suggestions` appends the accepted rows to a lexicon file's text under their category, each
with the rationale "suggested by similarity/keyness; accepted by reviewer".
"""
from __future__ import annotations

import fnmatch
import zlib

import numpy as np
import pandas as pd
import yaml

from analysis.config import SuggestConfig, ThemesConfig
from analysis.corpus import Corpus
from analysis.discourse import keyness_statistics
from analysis.errors import AnalysisError, ConfigError
from analysis.query import column_values, concordance_rows, paragraph_key
from analysis.themes import Lexicon, score_paragraphs
from analysis.themes.lexicon import _pattern_words

SUGGEST_COLUMNS = ("category", "term", "similarity", "g2", "log_ratio", "n_occurrences", "n_category", "score",
                   "kwic", "accept")
ACCEPT_VALUES = ("y", "yes", "1", "true")
MERGE_RATIONALE = "suggested by similarity/keyness; accepted by reviewer"


def _stable_hash(text: str) -> int:
    """Hash for gensim's vector initialisation that does not change between processes."""
    return zlib.crc32(text.encode("utf-8"))


def term_stream(corpus: Corpus) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the token indices that start a term, the term at each, and its sentence key (corpus order)."""
    tokens = corpus.tokens
    term = column_values(tokens["term"]).astype(str)
    at = np.flatnonzero((term != "") & (term != "nan"))
    sentence = (column_values(tokens["doc_id"]).astype(str)[at] + "\x1f"
                + tokens["para_id"].to_numpy()[at].astype(str) + "\x1f" + tokens["sent_id"].to_numpy()[at].astype(str))
    return at, term[at], sentence


def _word2vec(terms: np.ndarray, sentence: np.ndarray, config: SuggestConfig):
    from gensim.models import Word2Vec

    cut = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1], True])
    sentences = [list(terms[a:b]) for a, b in zip(cut[:-1], cut[1:])]
    return Word2Vec(sentences, vector_size=config.vector_size, window=config.window, min_count=config.min_count,
                    sg=1, workers=1, seed=config.seed, epochs=config.epochs, hashfxn=_stable_hash)


class _EntryIndex:
    """Which terms a lexicon's entries match, whole or in part (exact entries by lookup, globs by fnmatch)."""

    def __init__(self, entries) -> None:
        self.exact = {e.words for e in entries if not e.is_glob}
        self.globs = [e.words for e in entries if e.is_glob]

    def _match(self, words: tuple[str, ...]) -> bool:
        return words in self.exact or any(
            len(g) == len(words) and all(fnmatch.fnmatchcase(w, p) for w, p in zip(words, g)) for g in self.globs)

    def equals(self, term: str) -> bool:
        """Return True when an entry matches the whole term."""
        return self._match(_pattern_words(term.replace("_", " ")))

    def within(self, term: str) -> bool:
        """Return True when an entry matches the term or a run of its words (the lexicon counts it already)."""
        words = _pattern_words(term.replace("_", " "))      # lemmatised: "cultural_relics" -> cultural relic
        return any(self._match(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1))


def _percentile(values: np.ndarray) -> np.ndarray:
    return pd.Series(values).rank(method="average", pct=True).to_numpy() if len(values) else values


def suggest_terms(corpus: Corpus, lexicon: Lexicon, category: str, config: SuggestConfig | None = None,
                  themes_config: ThemesConfig | None = None) -> pd.DataFrame:
    """Rank candidate terms for one category of the lexicon (see the module docstring).

    Parameters
    ----------
    corpus : Corpus
    lexicon : Lexicon
    category : str
        One of the lexicon's categories.
    config : SuggestConfig, optional
    themes_config : ThemesConfig, optional
        Settings of the dictionary labels that define the category's paragraphs.

    Returns
    -------
    DataFrame
        At most `config.n` rows; columns `SUGGEST_COLUMNS`.

    Raises
    ------
    ConfigError
        If `category` is not a category of the lexicon.
    AnalysisError
        If no entry of the category occurs `config.min_count` times in the corpus (no centroid), or
        the dictionary labels no paragraph with it.
    """
    config = config or SuggestConfig()
    names = tuple(lexicon.categories)
    if category not in names:
        raise ConfigError(f"lexicon suggest: category {category!r} is not in {lexicon.source}; "
                          f"choose from {', '.join(names)}")
    at, terms, sentence = term_stream(corpus)
    model = _word2vec(terms, sentence, config)
    candidates, similarity = _similar_candidates(model.wv, lexicon, category, config.min_count)
    if not candidates:
        return pd.DataFrame(columns=list(SUGGEST_COLUMNS))
    n_all, n_target, g2, log_ratio = _category_keyness(corpus, lexicon, category, themes_config, at, terms,
                                                       candidates)
    score = (_percentile(similarity) + np.where(log_ratio > 0, _percentile(np.where(log_ratio > 0, g2, -1.0)), 0.0)) / 2
    table = pd.DataFrame({"category": category, "term": [t.replace("_", " ") for t in candidates],
                          "similarity": np.round(similarity, 6), "g2": np.round(g2, 6),
                          "log_ratio": np.round(log_ratio, 6), "n_occurrences": n_all, "n_category": n_target,
                          "score": np.round(score, 6), "_key": candidates})
    table = table.sort_values(["score", "term"], ascending=[False, True], kind="stable").head(config.n)
    table["kwic"] = [_kwic_lines(corpus, at, terms, key, config.kwic_lines) for key in table["_key"]]
    table["accept"] = ""
    return table.drop(columns="_key").reset_index(drop=True)[list(SUGGEST_COLUMNS)]


def _similar_candidates(vectors, lexicon: Lexicon, category: str, min_count: int) -> tuple[list[str], np.ndarray]:
    """Return the model's terms no lexicon entry covers and their cosine with the centroid of the category's own
    terms (unit vectors); raise AnalysisError when no term of the category is in the model."""
    vocab = sorted(vectors.key_to_index)
    mine = _EntryIndex([e for e in lexicon.entries if e.theme == category])
    own = [t for t in vocab if mine.equals(t)]
    if not own:
        raise AnalysisError(f"lexicon suggest: no entry of {category!r} occurs {min_count} times in the "
                            "corpus; nothing to compare candidates with (lower suggest.min_count)")
    unit = np.stack([vectors.get_vector(t, norm=True) for t in own])
    centroid = unit.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    held = _EntryIndex(lexicon.entries)
    candidates = [t for t in vocab if not held.within(t)]
    return candidates, np.array([float(vectors.get_vector(t, norm=True) @ centroid) for t in candidates])


def _category_keyness(corpus: Corpus, lexicon: Lexicon, category: str, themes_config: ThemesConfig | None,
                      at: np.ndarray, terms, candidates: list[str]) -> tuple[np.ndarray, ...]:
    """Return, per candidate, its occurrences (all, in the paragraphs the dictionary labels `category`) and its
    keyness there against the other paragraphs (G2, log ratio)."""
    labels = score_paragraphs(corpus, lexicon, themes_config or ThemesConfig())
    in_category = labels.loc[labels["theme"] == category, ["doc_id", "para_id"]]
    if in_category.empty:
        raise AnalysisError(f"lexicon suggest: the dictionary labels no paragraph {category!r}; keyness needs some")
    tokens = corpus.tokens
    para_of = pd.MultiIndex.from_arrays([column_values(tokens["doc_id"]).astype(str)[at],
                                         tokens["para_id"].to_numpy()[at].astype(np.int64)])
    target = para_of.isin(pd.MultiIndex.from_frame(in_category.astype({"doc_id": str, "para_id": np.int64})))
    counts = pd.DataFrame({"term": terms, "target": target}).groupby("term")["target"].agg(["size", "sum"])
    counts = counts.reindex(candidates)
    n_all = counts["size"].to_numpy(dtype=np.int64)
    n_target = counts["sum"].to_numpy(dtype=np.int64)
    stats = keyness_statistics(n_target, n_all - n_target, int(target.sum()), int((~target).sum()))
    return n_all, n_target, stats["g2"].to_numpy(), stats["log_ratio"].to_numpy()


def _kwic_lines(corpus: Corpus, at: np.ndarray, terms: np.ndarray, term: str, n: int) -> str:
    starts = at[terms == term][:n]
    ends = starts + len(term.split("_"))
    rows = concordance_rows(corpus.tokens, corpus.paragraphs, starts, ends, window=6,
                            para_key=paragraph_key(corpus.tokens))
    return " || ".join(f"{r.doc_id}:{r.line_start}: {r.left} [{r.match}] {r.right}".strip()
                       for r in rows.itertuples(index=False))


def accepted_rows(suggestions: pd.DataFrame, source: str = "suggestions") -> pd.DataFrame:
    """Return the rows whose ``accept`` is y, yes, 1 or true (any case); check the columns.

    Raises
    ------
    AnalysisError
        If a column (category, term, accept) is missing, or an accepted row has an empty term or
        category; the message names the file and the 1-based CSV line.
    """
    missing = [c for c in ("category", "term", "accept") if c not in suggestions.columns]
    if missing:
        raise AnalysisError(f"{source}: missing column(s) {', '.join(missing)}; expected the columns of "
                            "`analysis lexicon suggest` (category, term, ..., accept)")
    accept = suggestions["accept"].fillna("").astype(str).str.strip().str.lower()
    rows = suggestions[accept.isin(ACCEPT_VALUES)]
    for i, row in rows.iterrows():
        for field in ("category", "term"):
            if not isinstance(row[field], str) or not row[field].strip():
                raise AnalysisError(f"{source}:{int(i) + 2}: field {field!r} is empty in an accepted row")
    return rows


def merge_suggestions(suggestions: pd.DataFrame, lexicon_text: str, source: str = "suggestions",
                      lexicon_source: str = "lexicon") -> tuple[str, int, int]:
    """Add the accepted suggestions to a lexicon file's text.

    Each accepted row becomes ``{pattern: term, rationale: MERGE_RATIONALE}`` at the end of its
    category's list; a term whose lemmas any list already holds is skipped (so the result loads
    with `load_lexicon` when the input did). The text is edited in place, so the file's comments
    stay; if the result would not parse to the expected lexicon, the lexicon is written out by the
    YAML library instead (comments lost).

    Returns
    -------
    (str, int, int)
        The new text, the number of entries added and the number skipped as already present.

    Raises
    ------
    AnalysisError
        If the lexicon text is not a lexicon mapping, or an accepted row names a category the
        lexicon does not have or a term without a word (message names the CSV line).
    """
    rows = accepted_rows(suggestions, source)
    data = yaml.safe_load(lexicon_text)
    if not isinstance(data, dict) or not isinstance(data.get("themes"), dict):
        raise AnalysisError(f"{lexicon_source}: not a lexicon (a mapping with 'themes')")
    # compared as the lexicon compares patterns (lemmas), so "minors" is already there when "minor" is
    present = {_pattern_words(str(e.get("pattern", "")))
               for items in [*data["themes"].values(), data.get("exclude") or []] for e in items or []}
    additions: dict[str, list[dict]] = {}
    skipped = 0
    for i, row in rows.iterrows():
        category, term = row["category"].strip(), " ".join(row["term"].split())
        if category not in data["themes"]:
            raise AnalysisError(f"{source}:{int(i) + 2}: category {category!r} is not in {lexicon_source}; "
                                f"its categories: {', '.join(data['themes'])}")
        words = _pattern_words(term)
        if not words:
            raise AnalysisError(f"{source}:{int(i) + 2}: term {term!r} has no word (letters, '-', glob '*?[]')")
        if words in present:
            skipped += 1
            continue
        present.add(words)
        additions.setdefault(category, []).append({"pattern": term, "rationale": MERGE_RATIONALE})
    expected = yaml.safe_load(lexicon_text)
    for category, items in additions.items():
        expected["themes"][category] = list(expected["themes"][category] or []) + items
    text = lexicon_text
    for category, items in additions.items():
        text = _insert_entries(text, category, items)
    if yaml.safe_load(text) != expected:
        text = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True, width=116)
    return text, sum(len(v) for v in additions.values()), skipped


def _insert_entries(text: str, category: str, items: list[dict]) -> str:
    """Insert list items at the end of ``themes: <category>:`` in block-style YAML text."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    in_themes, start, indent = False, None, None
    for k, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        level = len(line) - len(line.lstrip(" "))
        if level == 0:
            if start is not None:
                break
            in_themes = stripped == "themes:"
            continue
        if in_themes and start is None and stripped == f"{category}:":
            start, indent = k, level
            continue
        if start is not None and level <= indent and not stripped.startswith("- "):
            break
        if start is not None and level < indent:
            break
    else:
        k = len(lines)
    if start is None:
        return text
    end = k if start is not None else len(lines)
    # back up over trailing blank and comment lines that belong to what follows
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    item_indent = next((len(l) - len(l.lstrip(" ")) for l in lines[start + 1:end] if l.lstrip().startswith("- ")),
                       indent + 2)
    block = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=116)
    block = "".join(" " * item_indent + l if l.strip() else l for l in block.splitlines(keepends=True))
    return "".join(lines[:end]) + block + "".join(lines[end:])
