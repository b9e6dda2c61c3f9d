"""Seed terms for the keyword-seeded model, from the theme lexicon."""
from __future__ import annotations

import fnmatch

from analysis.tokens import TOKEN_PATTERN, lemmatize

# --------------------------------------------------------------------------- lexicon

def theme_words(lexicon) -> dict[str, list[str]]:
    """Return category -> patterns of an `analysis.themes.Lexicon`, in `lexicon.categories` order
    (exclude entries left out): the seed topics of the seeded model and the theme mapping."""
    words: dict[str, list[str]] = {c: [] for c in lexicon.categories}
    for entry in lexicon.entries:
        if entry.theme in words:
            words[entry.theme].append(entry.pattern)
    return words


def lexicon_terms(lexicon: dict[str, list[str]], vocab) -> dict[str, list[str]]:
    """Return each theme's lexicon patterns resolved to terms of the vocabulary.

    A pattern is split into words the way the corpus is tokenised (`TOKEN_PATTERN`); each word
    without a glob is lemmatized, and the words are joined with "_" as multi-word terms are
    ("public interest litigation" -> ``public_interest_litigation``). A pattern with a glob
    (``*``, ``?``, ``[``) is matched with `fnmatch` against the vocabulary. Patterns not in the
    vocabulary are dropped.

    Parameters
    ----------
    lexicon : dict of str to list of str
        Theme -> patterns.
    vocab : iterable of str
        The terms of the bag.

    Returns
    -------
    dict of str to list of str
        Theme -> sorted, de-duplicated vocabulary terms (in the lexicon's theme order).

    Examples
    --------
    >>> lexicon_terms({"security": ["secur*", "national security", "crimes"]},
    ...               ["crime", "national_security", "securities", "secure", "trial"])
    {'security': ['crime', 'national_security', 'secure', 'securities']}
    """
    vocab = sorted(set(map(str, vocab)))
    in_vocab = set(vocab)
    out: dict[str, list[str]] = {}
    for theme, patterns in lexicon.items():
        found: set[str] = set()
        for pattern in patterns:
            raw = str(pattern).lower().strip()
            if any(ch in raw for ch in "*?["):
                words = raw.replace("-", " ").split() if " " in raw else [raw]
                glob = "_".join(words)
                found.update(fnmatch.filter(vocab, glob))
                continue
            words = [lemmatize(m.group()) for m in TOKEN_PATTERN.finditer(raw)]
            term = "_".join(words)
            if term in in_vocab:
                found.add(term)
        out[str(theme)] = sorted(found)
    return out
