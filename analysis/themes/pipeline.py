"""One call: tokens -> matches, paragraph labels, rates, validation."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.config import ThemesConfig
from analysis.corpus import PARAGRAPH_COLUMNS, Corpus, require_columns
from analysis.themes.lexicon import Lexicon, load_lexicon
from analysis.themes.matching import match_lexicon, match_lexicon_parts, score_paragraphs
from analysis.themes.rates import theme_rates
from analysis.themes.validation import entry_counts

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
                   config: ThemesConfig | None = None, client=None, partitions: int | None = None) -> ThemeResult:
    """Match the lexicon, label the paragraphs and estimate the rates and shares per document and year.

    Every table has one column (paragraphs) or row (rates) per category of `lexicon`, in its order.
    With a Dask `client` (or `partitions`), the lexicon is matched in blocks of whole documents
    (`match_lexicon_parts`, on the workers); every table is the same.
    """
    config = config or ThemesConfig()
    lexicon = lexicon or load_lexicon()
    require_columns(corpus.paragraphs, PARAGRAPH_COLUMNS, stage="analyse_themes")
    require_columns(corpus.documents, {"doc_id": "object", "year": "int64"}, stage="analyse_themes")
    if client is None and partitions is None:
        matches = match_lexicon(corpus.tokens, lexicon)
    else:
        matches = match_lexicon_parts(corpus.tokens, lexicon, client, partitions)
    paragraph_themes = score_paragraphs(corpus, lexicon, config, matches=matches)
    categories = list(lexicon.categories)
    document_themes = theme_rates(paragraph_themes, corpus.documents, by="doc_id", config=config,
                                  categories=categories)
    year_themes = theme_rates(paragraph_themes, corpus.documents, by="year", config=config, categories=categories)
    return ThemeResult(matches, paragraph_themes, document_themes, year_themes, entry_counts(matches, lexicon))
