"""Lexical profile of documents: sizes, type-token ratios, MATTR."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.config import DiscourseConfig
from analysis.corpus import require_columns
from analysis.errors import ParameterError
from analysis.query import column_values, lemma_codes

# ----------------------------------------------------------------------------- lexical profile

def mattr(codes: np.ndarray, window: int) -> float:
    """Return the moving-average type-token ratio of a sequence of type codes.

    The mean, over every window of `window` consecutive tokens, of distinct types / `window`
    (Covington and McFall 2010). Computed in O(n): token j is new in window [i, i + window)
    when its previous occurrence lies before i. A sequence shorter than the window gives its
    plain type-token ratio.
    """
    codes = np.asarray(codes)
    n = len(codes)
    if n == 0:
        return float("nan")
    if n <= window:
        return len(np.unique(codes)) / n
    idx = np.arange(n)
    order = np.lexsort((idx, codes))
    prev = np.full(n, -1, dtype=np.int64)
    same = codes[order][1:] == codes[order][:-1]
    prev[order[1:][same]] = order[:-1][same]
    lo = np.maximum(prev + 1, idx - window + 1)
    hi = np.minimum(idx, n - window)
    return float(np.clip(hi - lo + 1, 0, None).sum() / (window * (n - window + 1)))


def lexical_profile(tokens: pd.DataFrame, sentences: pd.DataFrame, config: DiscourseConfig | None = None,
                    window: int | None = None) -> pd.DataFrame:
    """Return tokens, types, TTR, MATTR and sentence length of each document.

    Types are distinct lemmas; tokens, types and MATTR count every word token of the analysed
    paragraphs, stop words included. MATTR uses a window of `window` tokens (default
    `DiscourseConfig.mattr_window`, 500); a document shorter than the window (the 2025
    conference has about 1,300 tokens, so it is not) gets its plain TTR, ``mattr_window`` says
    which window was used and ``mattr_short`` flags it: TTR falls with length, so a flagged
    MATTR is not comparable with the others (choose a window every document fills to compare
    them all). Sentence length is tokens per sentence (`sentences.n_tokens`).

    Returns
    -------
    DataFrame
        doc_id, n_tokens, n_types, ttr, mattr, mattr_window, n_sentences, mean_sentence_length,
        sd_sentence_length (tokens; sample standard deviation), mattr_short (bool: the document is
        shorter than the window, its mattr is its plain TTR).
    """
    config = config or DiscourseConfig()
    window = config.mattr_window if window is None else window
    if window < 2:
        raise ParameterError("lexical_profile", "window", f"must be >= 2 for MATTR; got {window!r}")
    require_columns(tokens, {"doc_id": "object", "lemma": "object"}, stage="lexical_profile")
    require_columns(sentences, {"doc_id": "object", "n_tokens": "int64"}, stage="lexical_profile")
    codes, _ = lemma_codes(tokens)
    doc = column_values(tokens["doc_id"])
    rows = []
    sent = sentences.assign(doc_id=sentences["doc_id"].astype(str))
    sent_stats = sent.groupby("doc_id")["n_tokens"].agg(["size", "mean", "std"])
    positions = pd.Series(np.arange(len(doc))).groupby(doc, sort=False).indices
    for doc_id, where in positions.items():
        c = codes[where]
        s = sent_stats.loc[doc_id] if doc_id in sent_stats.index else None
        rows.append({"doc_id": doc_id, "n_tokens": len(c), "n_types": len(np.unique(c)),
                     "ttr": len(np.unique(c)) / len(c), "mattr": mattr(c, window),
                     "mattr_window": min(window, len(c)),
                     "n_sentences": int(s["size"]) if s is not None else 0,
                     "mean_sentence_length": float(s["mean"]) if s is not None else float("nan"),
                     "sd_sentence_length": float(s["std"]) if s is not None else float("nan"),
                     "mattr_short": len(c) < window})
    return pd.DataFrame(rows)
