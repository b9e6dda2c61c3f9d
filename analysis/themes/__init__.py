"""Dictionary model of a lexicon's categories (by default the four themes: security, development,
livelihood, supervision).

A lexicon (``data/themes.yaml`` by default, or the user's own file: the package's YAML format, a
quanteda YAML dictionary or a LIWC ``.dic`` file, see `analysis.themes.lexicon`) defines any
number of categories (`Lexicon.categories`, called themes in the tables) and lists, per category,
entries ``{pattern, rationale}``. A pattern is one lemma ("terrorism"), a multi-word expression ("national
security", matched as a sequence of lemmas over every token of the paragraph, stop words included,
each word lemmatized with `analysis.tokens.lemmatize`) or contains glob words (``secur*``, matched
with `fnmatch` against single lemmas). The top-level ``exclude`` list holds expressions that claim
their tokens for no theme ("supervisory commission", the anti-corruption commissions).

Matching runs left to right over each analysed paragraph; at each token the LONGEST matching entry
wins (so "social security" is claimed for livelihood before "security" can match, and "supervisory
commission" is claimed for nothing before "supervision"-like entries); equal lengths prefer an
exact entry over a glob entry, then the entry listed first. Matched tokens are consumed.

Score and label of a paragraph: ``score_<theme>`` = matches of the theme per 100 word tokens of
the paragraph (all tokens, stop words included). The label ``theme`` is the theme with the highest
score, or "none" when that score is below `ThemesConfig.min_score` (default 2.25, i.e. fewer than
2.25 matches per 100 tokens) or the paragraph has no match. Ties between themes go to the tied theme
whose first match comes earliest in the paragraph (these texts open a paragraph with its topic
sentence).

Columns of `match_lexicon` (one row per match):
    doc_id, para_id       paragraph
    position : int        0-based token number of the match's first token in the paragraph
    length : int          number of tokens matched
    start, end : int      0-based, half-open character offsets of the match in the paragraph text
    line : int            1-based seed-file line of the first token
    theme : str           a category of the lexicon, or "exclude"
    entry : str           the lexicon pattern as written

Columns of `score_paragraphs` (one row per analysed paragraph):
    doc_id, para_id, line_start, line_end
    score_<theme> : float matches per 100 tokens, one column per category (lexicon order)
    theme : str           label: a category or "none"
    n_tokens : int        word tokens of the paragraph
    count_<theme> : int   matches, one column per theme

Columns of `theme_rates` for documents (one row per document and theme; for years ``year``
replaces ``doc_id`` and ``n_documents`` is added):
    doc_id : str, year : int
    theme : str
    count : int           matches of the theme
    rate_per_1k : float   matches per 1,000 word tokens
    rate_ci_low, rate_ci_high : float    interval of rate_per_1k at level ``ci_level`` (default 95%):
                          design-effect-adjusted Garwood interval (`analysis.themes.rates`)
    share : float         count / matches of all categories (NaN when there are none)
    share_ci_low, share_ci_high : float  interval of share: design-effect-adjusted Clopper-Pearson
                          ([0, 1] when the group has no match)
    n_tokens : int        word tokens of the analysed paragraphs
    n_paragraphs : int    analysed paragraphs (the units whose spread sets the design effect)
    small_sample : bool   n_paragraphs < `ThemesConfig.min_paragraphs` (15): the interval may
                          cover less than its level (``benchmarks/coverage.py``)
"""
from __future__ import annotations

from analysis.lazy import lazy_exports

#: Each name and the module that defines it. Modules load on first use, so importing
#: `analysis.themes` costs nothing until a name is needed.
_EXPORTS = {
    "_FALSE": "analysis.themes.audit",
    "_TRUE": "analysis.themes.audit",
    "audit_precision": "analysis.themes.audit",
    "audit_sample": "analysis.themes.audit",
    "concordance": "analysis.themes.audit",
    "read_audit": "analysis.themes.audit",
    "CONFUSION_COLUMNS": "analysis.themes.gold",
    "SCORE_COLUMNS": "analysis.themes.gold",
    "SHEET_COLUMNS": "analysis.themes.gold",
    "coding_sheet": "analysis.themes.gold",
    "complete_labels": "analysis.themes.gold",
    "read_gold": "analysis.themes.gold",
    "score_labels": "analysis.themes.gold",
    "_GLOB_WORD": "analysis.themes.lexicon",
    "EXCLUDE": "analysis.themes.lexicon",
    "THEMES": "analysis.themes.lexicon",
    "LEXICON_FORMATS": "analysis.themes.lexicon",
    "RESERVED_NAMES": "analysis.themes.lexicon",
    "export_lexicon": "analysis.themes.lexicon",
    "export_note": "analysis.themes.lexicon",
    "lexicon_format": "analysis.themes.lexicon",
    "Entry": "analysis.themes.lexicon",
    "Lexicon": "analysis.themes.lexicon",
    "_pattern_words": "analysis.themes.lexicon",
    "default_lexicon_path": "analysis.themes.lexicon",
    "load_lexicon": "analysis.themes.lexicon",
    "MATCH_COLUMNS": "analysis.themes.matching",
    "TOKEN_COLUMNS": "analysis.query",
    "_paragraph_frame": "analysis.themes.matching",
    "match_lexicon": "analysis.themes.matching",
    "match_lexicon_parts": "analysis.themes.matching",
    "score_paragraphs": "analysis.themes.matching",
    "ThemeResult": "analysis.themes.pipeline",
    "analyse_themes": "analysis.themes.pipeline",
    "RATE_COLUMNS": "analysis.themes.rates",
    "_bootstrap": "analysis.themes.rates",
    "_rate_rows": "analysis.themes.rates",
    "categories_of": "analysis.themes.rates",
    "rate_intervals": "analysis.themes.rates",
    "share_intervals": "analysis.themes.rates",
    "theme_rates": "analysis.themes.rates",
    "compare_versions": "analysis.themes.validation",
    "default_structure_path": "analysis.themes.validation",
    "read_structure": "analysis.themes.validation",
    "entry_counts": "analysis.themes.validation",
    "leave_one_out": "analysis.themes.validation",
    "structure_labels": "analysis.themes.validation",
    "validate_structure": "analysis.themes.validation",
    "ThemeMethodsResult": "analysis.themes.classifier",
    "analyse_theme_methods": "analysis.themes.classifier",
    "classify_paragraphs": "analysis.themes.classifier",
    "calibrate_min_score": "analysis.themes.heldout",
    "gold_labels": "analysis.themes.heldout",
    "leave_one_document_out": "analysis.themes.heldout",
    "heldout_summary": "analysis.themes.heldout",
    "heldout_tables": "analysis.themes.heldout",
}

__all__ = [
    "CONFUSION_COLUMNS", "EXCLUDE", "Entry", "LEXICON_FORMATS", "Lexicon", "MATCH_COLUMNS",
    "RATE_COLUMNS", "RESERVED_NAMES", "SCORE_COLUMNS", "SHEET_COLUMNS", "THEMES", "TOKEN_COLUMNS",
    "ThemeMethodsResult", "ThemeResult", "analyse_theme_methods", "analyse_themes", "audit_precision",
    "audit_sample", "calibrate_min_score", "categories_of", "classify_paragraphs", "coding_sheet",
    "compare_versions", "complete_labels", "concordance", "default_lexicon_path",
    "default_structure_path", "entry_counts", "export_lexicon", "export_note", "gold_labels",
    "heldout_summary", "heldout_tables", "leave_one_document_out", "leave_one_out", "lexicon_format",
    "load_lexicon", "match_lexicon", "match_lexicon_parts", "rate_intervals", "read_audit", "read_gold",
    "read_structure",
    "score_labels", "score_paragraphs", "share_intervals", "structure_labels", "theme_rates",
    "validate_structure",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
