"""The corpus cache's key and what a load reads back from it.

`analysis.tokens.load_corpus` stores a tokenised corpus under `corpus_key` (partitioned Parquet,
`analysis.io.write_cache_entry`) and reads it back with `cached_tables`, whole or only the tables
and columns a command needs.
"""
from __future__ import annotations

import dataclasses
import hashlib
from importlib import resources
from pathlib import Path

from analysis import io
from analysis.config import Config

#: The tables of a tokenised `Corpus` that the cache stores.
CACHED_TABLES = ("documents", "paragraphs", "cleaning_log", "sentences", "tokens", "phrases")
#: Tables a load reads whole whatever it asks for: the warnings of the build are replayed from them.
ALWAYS_READ = ("documents", "cleaning_log")


def corpus_key(manifest: Path, config: Config) -> str:
    """Return the cache key (sha256 hex) of a tokenised corpus: the manifest's bytes (which hold
    every input file's sha256, checked here by `read_manifest`), the corpus and tokens settings,
    the data files and code that shape tokens, and the package version."""
    import analysis
    from analysis.corpus import read_manifest

    read_manifest(manifest, config.corpus)
    here = Path(__file__)
    shaping = [here.with_name(n) for n in ("tokens.py", "corpus.py", "cleaning.py", "manifest.py", "phrases.py",
                                           "readers.py", "repeats.py", "scan.py")]
    data = resources.files("analysis.data")
    shaping += [Path(str(data.joinpath(n))) for n in ("stopwords_keep.csv", "stopwords_domain.csv",
                                                     "lemma_overrides.csv", "mwe.csv")]
    return io.cache_key({"manifest": hashlib.sha256(Path(manifest).read_bytes()).hexdigest(),
                         "corpus": dataclasses.asdict(config.corpus), "tokens": dataclasses.asdict(config.tokens),
                         "code": {p.name: io.sha256_file(p) for p in shaping}, "version": analysis.__version__})


def cached_tables(cache: str | Path, key: str, columns: dict[str, list[str] | None] | None = None) -> dict | None:
    """Return the tables of the entry `key` in `cache` (name -> DataFrame, with ``word_lemmas``),
    or None when it is missing or not trusted (`analysis.io.read_cache_entry`).

    `columns` (table -> columns, None: all) reads only the tables and columns it names, and
    `ALWAYS_READ` whole; ``sentences``, ``tokens`` and ``phrases`` it leaves out are None, and
    ``paragraphs`` left out is read whole. None: every table whole.
    """
    if columns is None:
        wanted = dict.fromkeys((*CACHED_TABLES, "word_lemmas"))
    else:
        unknown = sorted(set(columns) - set(CACHED_TABLES))
        if unknown:
            from analysis.errors import ParameterError

            raise ParameterError("load_corpus", "columns", f"names no cached table: {', '.join(unknown)}; "
                                 f"available: {', '.join(CACHED_TABLES)}")
        wanted = {"paragraphs": None, **columns, **dict.fromkeys((*ALWAYS_READ, "word_lemmas"))}
    hit = io.read_cache_entry(cache, key, wanted)
    if hit is None:
        return None
    tables, _ = hit
    return {**dict.fromkeys(CACHED_TABLES), **tables}
