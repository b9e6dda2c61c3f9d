"""KWIC: keyword-in-context concordances of a word, lemma, phrase or glob."""
from __future__ import annotations

import pandas as pd

from analysis.corpus import require_columns
from analysis.errors import ConfigError
from analysis.query import (
    LEMMA_COLUMNS,
    TOKEN_COLUMNS,
    check_window,
    concordance_rows,
    lemma_codes,
    match_sequences,
    paragraph_key,
    parse_pattern,
)

#: The tables and columns `kwic` reads (for `analysis.tokens.load_corpus(columns=...)`).
KWIC_COLUMNS = {"tokens": list(LEMMA_COLUMNS), "paragraphs": ["doc_id", "para_id", "text"]}


def kwic(tokens: pd.DataFrame, paragraphs: pd.DataFrame, pattern: str, window: int = 5) -> pd.DataFrame:
    """Return the concordance (key word in context) of a word, lemma, phrase or glob.

    Parameters
    ----------
    tokens : DataFrame
        The token table, in reading order (doc_id, para_id, position, start, end, line, lemma).
    paragraphs : DataFrame
        The paragraph table (doc_id, para_id, text): left, match and right are cut from its text.
    pattern : str
        A word (``"supervisions"``: matches tokens whose lemma is the word's lemma or the word
        lower-cased), a phrase (several words: consecutive tokens of one paragraph, stop words
        included, matched word by word as above) or a glob on lemmas (``"supervis*"``, also
        inside a phrase: ``"public interest *"``).
    window : int, default 5
        Context on each side, in word tokens, clipped at the paragraph's edges.

    Returns
    -------
    DataFrame
        doc_id, para_id, line_start, left, match, right, line_end, token_start, token_end.

    Raises
    ------
    ConfigError
        If `window` < 1 or the pattern has no word.

    Examples
    --------
    >>> import analysis
    >>> corpus = analysis.load_corpus()
    >>> rows = kwic(corpus.tokens, corpus.paragraphs, "Fengqiao Experience", window=3)
    >>> rows["match"].iloc[0], int(rows["doc_id"].nunique()) >= 1
    ('Fengqiao Experience', True)
    """
    check_window(window)
    require_columns(tokens, {**TOKEN_COLUMNS, "lemma": "object"}, stage="kwic")
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "text": "object"}, stage="kwic")
    words = parse_pattern(pattern)
    if not words:
        raise ConfigError(f"kwic: pattern {pattern!r} has no word to match")
    codes, categories = lemma_codes(tokens)
    para_key = paragraph_key(tokens)
    starts, ends = match_sequences(codes, categories, para_key, words)
    return concordance_rows(tokens, paragraphs, starts, ends, window, para_key)
