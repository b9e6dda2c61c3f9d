"""Shared fixtures: the seed corpus (loaded once) and a tiny hand-made corpus in a temporary folder."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

import analysis

REPO = Path(__file__).resolve().parent.parent
MANIFEST_HEADER = "doc_id,file,sha256,title,date,year,genre,translation,version_of,source\n"


@pytest.fixture(scope="session")
def corpus():
    """The seed corpus, tokenised with the default configuration."""
    return analysis.load_corpus()


def write_corpus(folder: Path, docs: dict[str, tuple[str, str]], extra_rows: str = "") -> Path:
    """Write `docs` (doc_id -> (date, text)) and a manifest into `folder`; return the manifest path."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [MANIFEST_HEADER]
    for doc_id, (date, text) in docs.items():
        name = f"{doc_id}.txt"
        (folder / name).write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        rows.append(f"{doc_id},{name},{digest},Title of {doc_id},{date},{date[:4]},report,official,,test\n")
    manifest = folder / "manifest.csv"
    manifest.write_text("".join(rows) + extra_rows, encoding="utf-8")
    return manifest


@pytest.fixture
def tiny_manifest(tmp_path):
    """Three short documents with planted themes, in a temporary folder."""
    return write_corpus(tmp_path / "tiny", {
        "alpha-2020": ("2020-03-01", "I. Security\n\nWe cracked down on telecom fraud and gang crime to keep national security.\n\n"
                                     "We punished terrorism and kept social stability.\n"),
        "beta-2021": ("2021-03-01", "We served high-quality development and protected private enterprises.\n\n"
                                    "Intellectual property of market entities was protected.\n"),
        "gamma-2022": ("2022-03-01", "We protected minors and food and drug safety.\n\n"
                                     "Procuratorial suggestions supervised trials and the enforcement of judgments.\n"),
    })


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Point the corpus cache of every command at a folder of this test session."""
    import os
    folder = tmp_path_factory.mktemp("cache")
    old = os.environ.get("ANALYSIS_CACHE")
    os.environ["ANALYSIS_CACHE"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("ANALYSIS_CACHE", None)
    else:
        os.environ["ANALYSIS_CACHE"] = old
