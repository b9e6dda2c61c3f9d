"""Rebuild the held-out validation corpus from your own copies of its source pages.

The coding (``coding.csv``) and the sources (``sources.csv``) are in the repository; the texts are
not (the pages are third-party material, cited in ``sources.csv``). Save the text of each page in
``sources.csv`` as ``PAGES/<doc_id>.txt`` (UTF-8, as the browser shows it: one paragraph a line, or
paragraphs separated by blank lines), then run

    python validation/heldout/build.py --pages PAGES --out CORPUS

It finds every coded paragraph by its fingerprint (``sha256`` of the paragraph after `normalise`),
writes ``CORPUS/<doc_id>.txt`` with the coded paragraphs of that page, one a line in ``para_no``
order (so ``line`` = ``para_no``), ``CORPUS/manifest.csv``, ``CORPUS/gold.csv`` (the coding, read
by ``analysis themes-validate --gold``) and ``CORPUS/analysis.toml`` (near-duplicate removal off:
every line is a paragraph coded on its own). A paragraph that cannot be found is a one-line error naming
the document and ``para_no``; exit 2. Nothing is downloaded.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES_COLUMNS = ["doc_id", "title", "organ", "date", "year", "genre", "translation", "url", "n_paragraphs",
                   "seen_by_lexicon"]
CODING_COLUMNS = ["doc_id", "para_no", "line", "sha256", "n_words", "category", "secondary", "reason"]
CATEGORIES = ("security", "development", "livelihood", "supervision", "none")
MANIFEST_COLUMNS = ["doc_id", "file", "sha256", "title", "date", "year", "genre", "translation", "version_of",
                    "source", "segmentation", "short_title", "seen_by_lexicon"]
CORPUS_CONFIG = "[corpus]\nnear_duplicate_similarity = 1.0\n"
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
                         "\u2009": " ", "\u202f": " "})


def normalise(text: str) -> str:
    """Return `text` as fingerprinted: NFC, curly quotes straight, every run of white space one space, stripped."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).translate(_QUOTES)).strip()


def fingerprint(text: str) -> str:
    """Return the first 16 hex digits of the sha256 of the normalised paragraph (UTF-8)."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def read_csv(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """Return the rows of a UTF-8 CSV that has at least `columns` (ValueError naming the missing ones)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: no column(s) {', '.join(missing)}")
        return list(reader)


def candidates(page: str) -> dict[str, str]:
    """Return fingerprint -> paragraph for every non-empty line and every blank-line block of `page`."""
    found = {}
    lines = page.splitlines()
    blocks = re.split(r"\n\s*\n", page)
    for piece in [*lines, *(" ".join(b.splitlines()) for b in blocks)]:
        if piece.strip():
            found.setdefault(fingerprint(piece), normalise(piece))
    return found


def build(pages: Path, out: Path, here: Path = HERE) -> int:
    """Write the corpus, manifest and gold file to `out`; return the number of coded paragraphs written.

    Raises ValueError naming the document and para_no of a paragraph not found in `pages`.
    """
    sources = read_csv(here / "sources.csv", SOURCES_COLUMNS)
    coding = read_csv(here / "coding.csv", CODING_COLUMNS)
    out.mkdir(parents=True, exist_ok=True)
    manifest, written = [], 0
    for source in sources:
        doc_id = source["doc_id"]
        rows = sorted((r for r in coding if r["doc_id"] == doc_id), key=lambda r: int(r["para_no"]))
        page_path = pages / f"{doc_id}.txt"
        if not page_path.is_file():
            raise ValueError(f"{page_path}: missing; save the text of {source['url']} there")
        found = candidates(page_path.read_text(encoding="utf-8"))
        paragraphs = []
        for row in rows:
            if row["sha256"] not in found:
                raise ValueError(f"{page_path}: paragraph {row['para_no']} of {doc_id} (sha256 {row['sha256']}, "
                                 f"{row['n_words']} words) not found; is it the page in sources.csv?")
            paragraphs.append(found[row["sha256"]])
        text = "\n".join(paragraphs) + "\n"
        (out / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        written += len(paragraphs)
        manifest.append({"doc_id": doc_id, "file": f"{doc_id}.txt",
                         "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "title": source["title"],
                         "date": source["date"], "year": source["year"], "genre": source["genre"],
                         "translation": source["translation"], "version_of": "", "source": source["url"],
                         "segmentation": "line", "short_title": doc_id,
                         "seen_by_lexicon": source["seen_by_lexicon"]})
    # every line is a paragraph coded on its own: the seeds' rule that drops a near copy of the line
    # before it (a repeated lead) would drop coded paragraphs such as two parallel count sentences
    (out / "analysis.toml").write_text(CORPUS_CONFIG, encoding="utf-8")
    for name, columns, rows in (("manifest.csv", MANIFEST_COLUMNS, manifest),
                                ("gold.csv", CODING_COLUMNS, coding)):
        with (out / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=Path, required=True, help="folder of <doc_id>.txt page copies")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the corpus to")
    args = parser.parse_args(argv)
    try:
        n = build(args.pages, args.out)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{n} coded paragraphs -> {args.out / 'manifest.csv'}, {args.out / 'gold.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
