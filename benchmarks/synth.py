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


#: Lines that set off every cleaning rule (headings, list items, boilerplate, captions, broken
#: numbers and lines, open quotations, stage directions, speaker labels, odd characters, other
#: scripts); `make_messy_corpus` draws documents from them, and the corpus tests draw text from them.
MESSY_LINES = (
    "I. Maintaining Security and Stability", "II、Serving High-quality Development", "2023 Work Proposals",
    "1. Strengthen the supervision of criminal trials.", "12. Improve public interest litigation;",
    "First, we improved the handling of cases involving minors.", "The first is to protect people's livelihood.",
    "Fellow Deputies,", "Back to top", "Copyright 2023 Xinhua News Agency", "All rights reserved.",
    "Procurator-General Ying Yong addresses the meeting in Beijing", "Leaders of the courts attended the meeting.",
    "The approval rate of arrests rose to 99%.", "5%.", "It rose to 97% in 2021.",
    'He said "we will protect the lawful rights', 'of the people and serve the overall situation." he added.',
    "The procuratorates handled public interest litigation cases concerning ecological protection and food safety",
    "and drug safety across the country with the courts and administrative organs in every province",
    "THE PRESIDENT: Thank you all for coming today. (Applause.)", "(Laughter.)", "[Cheers, applause]",
    "AUDIENCE MEMBERS: Yes, we can!", "MS. SMITH: The rule of law protects everyone.",
    "\u00a0\u00a0Indented\tparagraph starts here, with \u201ccurly\u201d quotes and \u2018marks\u2019.",
    "   An indented line of the Xinhua summary begins a paragraph.", "an unindented line continues it.",
    "Trailing spaces   ", "Double  spaces  inside  a line.", "Form\ffeed and vertical\x0btab and NUL\x00 here.",
    "Caf\u0065\u0301 e\u0301te\u0301 in decomposed form, 5G-enabled and it's fine.",
    "\u68c0\u5bdf\u9662 supervision \u6cd5\u5f8b\u76d1\u7763 work continued.",
    "\u0413\u0435\u043d\u0435\u0440\u0430\u043b\u044c\u043d\u0430\u044f \u043f\u0440\u043e\u043a\u0443\u0440\u0430"
    "\u0442\u0443\u0440\u0430 reported progress.",
    "The procuratorates handled 12,345 cases of public interest litigation in 2022, up 5.2 percent year on year.",
    "The procuratorates handled 12,345 cases of public interest litigation in 2022, up 5.2 percent on last year.",
    "We will keep national security, social stability and the lawful rights of the people at the heart of our work.",
    "", "", "",
)


def make_messy_corpus(folder: Path, n_docs: int = 40, lines_per_doc: int = 120, seed: int = 20260101) -> Path:
    """Write `n_docs` documents of lines drawn from `MESSY_LINES` (with repeated runs of 2-4 lines,
    every genre kind, translation kind and segmentation) into `folder`; return its manifest."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["doc_id,file,sha256,title,date,year,genre,translation,version_of,source,segmentation\n"]
    for doc in range(1, n_docs + 1):
        lines: list[str] = []
        while len(lines) < lines_per_doc:
            if lines and rng.random() < 0.08:
                start = int(rng.integers(0, len(lines)))
                lines += lines[start: start + int(rng.integers(2, 5))]
            else:
                lines.append(MESSY_LINES[int(rng.integers(0, len(MESSY_LINES)))])
        body = "\n".join(lines) + "\n"
        name = f"messy-{doc:04d}.txt"
        (folder / name).write_text(body, encoding="utf-8")
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        genre = ("speech", "work_report")[doc % 2]
        translation = ("news", "official", "machine")[doc % 3]
        segmentation = ("line", "indent", "blank")[doc % 5 % 3]
        rows.append(f"messy-{doc:04d},{name},{digest},Messy document {doc},2020-03-01,2020,{genre},{translation},,"
                    f"lines drawn from synth.MESSY_LINES (seed {seed}),{segmentation}\n")
    manifest = folder / "manifest.csv"
    manifest.write_text("".join(rows), encoding="utf-8")
    return manifest
