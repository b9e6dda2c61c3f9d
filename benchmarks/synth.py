"""Make a large corpus from the seeds, deterministically, for the benchmark.

Paragraphs of the seed corpus are resampled with a fixed seed until the target word count is
reached. To make the vocabulary grow as real text does (Heaps' law), a share of content words is
replaced by a synthetic variant: the word plus a letter suffix whose number is drawn from a Zipf
distribution, so new types keep appearing at a falling rate (about 30k types at 1M words and
80-90k at 5M with the defaults).
"""
from __future__ import annotations

import hashlib
import re
import string
from pathlib import Path

import numpy as np

import analysis
from analysis.tokens import stopwords

WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
WORDS_PER_DOC = 20_000  # below the seeds' size, so a document never repeats a paragraph


def _suffix(k: int) -> str:
    letters = string.ascii_lowercase
    out = ""
    while True:
        k, r = divmod(k, 26)
        out = letters[r] + out
        if k == 0:
            return "x" + out


def make_corpus(folder: Path, n_words: int, seed: int = 20260101, variant_share: float = 0.16,
                zipf_a: float = 1.55) -> Path:
    """Write about `n_words` words of resampled seed paragraphs into `folder`; return its manifest.

    Parameters
    ----------
    n_words : int
        Target size in word tokens.
    seed : int
        Seeds every draw (paragraph choice, which words vary, variant numbers).
    variant_share : float
        Share of content-word tokens replaced by a synthetic variant, in [0, 1].
    zipf_a : float
        Exponent of the Zipf law of variant numbers (> 1; smaller grows the vocabulary faster).
    """
    rng = np.random.default_rng(seed)
    corpus = analysis.load_corpus()
    texts = corpus.analysed["text"].tolist()
    lengths = np.array([len(WORD.findall(t)) for t in texts])
    stops = stopwords()
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["doc_id,file,sha256,title,date,year,genre,translation,version_of,source\n"]
    written, doc = 0, 0
    while written < n_words:
        doc += 1
        year = 2010 + doc % 16
        lines, words_in_doc = [], 0
        order = iter(rng.permutation(len(texts)))
        while words_in_doc < min(WORDS_PER_DOC, n_words - written):
            i = int(next(order))
            text = texts[i]

            def vary(m: re.Match) -> str:
                w = m.group(0)
                if w.lower() in stops or rng.random() >= variant_share:
                    return w
                return w + _suffix(int(rng.zipf(zipf_a)))

            lines.append(WORD.sub(vary, text))
            words_in_doc += int(lengths[i])
        body = "\n\n".join(lines) + "\n"
        name = f"synth-{doc:04d}.txt"
        (folder / name).write_text(body, encoding="utf-8")
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        rows.append(f"synth-{doc:04d},{name},{digest},Synthetic document {doc},{year}-03-01,{year},"
                    f"work_report,machine,,resampled seeds (seed {seed})\n")
        written += words_in_doc
    manifest = folder / "manifest.csv"
    manifest.write_text("".join(rows), encoding="utf-8")
    return manifest
