"""A keyed cache of topic fits, so that a second run with nothing changed fits nothing again.

An entry is keyed by the sha256 (`analysis.io.cache_key`) of: the bag's digest (`bag_digest`: its
vocabulary, paragraph term lists and counts; for held-out scores also the held-out bag's), the
settings a fit reads (`FIT_FIELDS`), model, K, seed, the seed terms of a seeded fit, the versions of
the fitting libraries and the sha256 of the fitting code (`analysis/topics/models.py`). Any change
to one of them gives another key, so a stale entry is never read.

An entry is a folder ``<cache>/fits/<key>/``: ``entry.json`` (format, key, the fit's facts or the
held-out scores, and the sha256 of every other file), ``topic_word.npy`` and ``doc_topic.npy``
(``allow_pickle=False``) and the library model in its own format (`persist.write_model`). A file
whose sha256 differs from the record makes the whole entry a miss, before any model file is opened
(gensim's format pickles). Entries are written to a temporary sibling and renamed into place; a
folder that cannot be written is skipped (a cache is an optimisation).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from analysis import io
from analysis.topics.bag import BagOfWords
from analysis.topics.models import TopicFit
from analysis.topics.persist import read_model, write_model

#: Bumped when an entry's layout changes; entries of another format are misses.
FORMAT = 1
#: The `TopicsConfig` fields a fit or its held-out score reads (the bag's filters enter through its digest).
FIT_FIELDS = ("passes", "iterations", "estep_tolerance", "max_iter", "gibbs_iterations", "tolerance", "seed_weight",
              "seed_other_factor")
#: Libraries whose version enters the key.
LIBRARIES = ("spp-discourse", "gensim", "scikit-learn", "numpy", "scipy", "tomotopy")
_FACTS = ("model", "k", "seed", "converged", "n_passes", "last_change")


def bag_digest(bag: BagOfWords) -> str:
    """Return the sha256 (hex) of a bag's vocabulary, paragraph term lists (reading order) and counts."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, bag.vocab)).encode("utf-8"))
    h.update(b"\x1e")
    h.update("\x1e".join("\x1f".join(t) for t in bag.texts).encode("utf-8"))
    m = bag.matrix.tocsr()
    for part in (np.asarray(m.shape, dtype=np.int64), m.indptr.astype(np.int64), m.indices.astype(np.int64),
                 m.data.astype(np.float64)):
        h.update(part.tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=None)
def environment(code: str = "models.py") -> str:
    """Return the libraries' versions and the sha256 of the module `code` of `analysis.topics` that
    computes the cached values (read once per process)."""
    return json.dumps({"versions": io.package_versions(LIBRARIES),
                       "code": io.sha256_file(Path(__file__).with_name(code))}, sort_keys=True)


def fit_key(digest: str, model: str, k: int, seed: int, config, theme_terms=None, heldout: str | None = None) -> str:
    """Return the cache key of one fit (`heldout`: the held-out bag's digest, for a held-out score)."""
    return io.cache_key({"fits": FORMAT, "bag": digest, "heldout": heldout, "model": model, "k": int(k),
                         "seed": int(seed), "settings": {f: getattr(config, f) for f in FIT_FIELDS},
                         "theme_terms": theme_terms if model == "seeded" else None,
                         "environment": environment()})


def store(folder: str | Path | None, key: str, fit: TopicFit | None = None, scores: dict | None = None) -> None:
    """Write one entry: a fit (arrays and library model) or held-out `scores`; nothing when `folder` is None
    or cannot be written."""
    if folder is None:
        return
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=folder))
        record = {"format": FORMAT, "key": key, "scores": None if scores is None else list(scores.items())}
        if fit is not None:
            record["fit"] = {**{f: getattr(fit, f) for f in _FACTS}, "seeded_themes": list(fit.seeded_themes)}
            np.save(tmp / "topic_word.npy", fit.topic_word, allow_pickle=False)
            np.save(tmp / "doc_topic.npy", fit.doc_topic, allow_pickle=False)
            if fit.fitted is not None:
                write_model(fit, tmp)
        record["files"] = {p.name: io.sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        (tmp / "entry.json").write_text(json.dumps(record, sort_keys=True) + "\n", encoding="utf-8")
        shutil.rmtree(folder / key, ignore_errors=True)
        os.replace(tmp, folder / key)
    except OSError:
        shutil.rmtree(locals().get("tmp", folder / ".none"), ignore_errors=True)


def load(folder: str | Path | None, key: str) -> dict | None:
    """Return ``{"fit": TopicFit or None, "scores": dict or None}`` of entry `key`, or None when it is
    missing, of another format or key, or any file's sha256 differs from its record."""
    if folder is None:
        return None
    entry = Path(folder) / key
    try:
        record = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        if record.get("format") != FORMAT or record.get("key") != key:
            return None
        names = set(record["files"])
        if any(Path(n).name != n for n in names) or names != {p.name for p in entry.iterdir()} - {"entry.json"}:
            return None
        if any(io.sha256_file(entry / n) != digest for n, digest in record["files"].items()):
            return None
        fit = None
        if record.get("fit") is not None:
            facts = record["fit"]
            fitted = read_model(entry, facts["model"]) if names - {"topic_word.npy", "doc_topic.npy"} else None
            fit = TopicFit(facts["model"], int(facts["k"]), int(facts["seed"]),
                           np.load(entry / "topic_word.npy", allow_pickle=False),
                           np.load(entry / "doc_topic.npy", allow_pickle=False), tuple(facts["seeded_themes"]),
                           fitted=fitted, converged=bool(facts["converged"]), n_passes=int(facts["n_passes"]),
                           last_change=float(facts["last_change"]))
        scores = record.get("scores")
        return {"fit": fit, "scores": None if scores is None else {str(n): v if isinstance(v, bool) else float(v)
                                                                   for n, v in scores}}
    except (OSError, ValueError, KeyError, TypeError):
        return None
