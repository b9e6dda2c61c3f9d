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

from analysis.themes.audit import (  # noqa: F401
    _FALSE,
    _TRUE,
    audit_precision,
    audit_sample,
    concordance,
    read_audit,
)
from analysis.themes.lexicon import (  # noqa: F401
    _GLOB_CHARS,
    _GLOB_WORD,
    EXCLUDE,
    THEMES,
    Entry,
    Lexicon,
    _pattern_words,
    default_lexicon_path,
    load_lexicon,
)
from analysis.themes.matching import (  # noqa: F401
    MATCH_COLUMNS,
    TOKEN_COLUMNS,
    _check_tokens,
    _paragraph_frame,
    match_lexicon,
    score_paragraphs,
)
from analysis.themes.pipeline import ThemeResult, analyse_themes  # noqa: F401
from analysis.themes.rates import (  # noqa: F401
    RATE_COLUMNS,
    _bootstrap,
    _group_seed,
    _rate_rows,
    theme_rates,
)
from analysis.themes.validation import (  # noqa: F401
    compare_versions,
    entry_counts,
    leave_one_out,
    structure_labels,
    validate_structure,
)

__all__ = [
    "EXCLUDE", "Entry", "Lexicon", "MATCH_COLUMNS", "RATE_COLUMNS", "THEMES", "TOKEN_COLUMNS",
    "ThemeResult", "analyse_themes", "audit_precision", "audit_sample", "compare_versions",
    "concordance", "default_lexicon_path", "entry_counts", "leave_one_out", "load_lexicon",
    "match_lexicon", "read_audit", "score_paragraphs", "structure_labels", "theme_rates",
    "validate_structure",
]
