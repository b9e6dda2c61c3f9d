"""Kept topic models: saved in their libraries' formats, loaded only when every hash matches, applied
to new documents; exports for pyLDAvis and R."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.io import mmread

from analysis import topics
from analysis.cli import main
from analysis.config import TopicsConfig
from analysis.tokens import load_corpus
from tests.conftest import write_corpus

MODELS = ("gensim", "sklearn", "tomotopy")


@pytest.fixture(scope="module")
def saved(corpus, tmp_path_factory):
    config = TopicsConfig(k_values=(4,), n_seeds=1, models=MODELS, gibbs_iterations=50, n_jobs=1)
    result = topics.run_topics(corpus, config)
    folder = tmp_path_factory.mktemp("models") / "m"
    topics.save_models(list(result.fits), result.bag, folder, {"topics": {"k_values": [4]}}, corpus.documents)
    return result, folder


def test_saved_models_reload_and_reproduce_the_fit(saved, corpus):
    result, folder = saved
    loaded = topics.load_models(folder)
    assert [f["model"] for f in loaded.fits] == list(MODELS)
    shares = topics.transform(loaded, corpus.tokens)
    assert np.allclose(shares.groupby(["model", "doc_id", "para_id"])["share"].sum(), 1.0)
    pd.testing.assert_frame_equal(shares, topics.transform(topics.load_models(folder), corpus.tokens))
    key = pd.MultiIndex.from_frame(result.bag.paragraphs[["doc_id", "para_id"]].astype({"doc_id": str}))
    for fit in result.fits:
        again = shares[shares["model"] == fit.model].pivot_table(
            index=["doc_id", "para_id"], columns="topic", values="share").reindex(key).to_numpy()
        # scikit-learn's variational inference is deterministic; gensim's and tomotopy's start from
        # random points, so the shares of the same paragraphs agree closely, not exactly
        tolerance = {"sklearn": 1e-12, "gensim": 0.01, "tomotopy": 0.08}[fit.model]
        assert np.abs(again - fit.doc_topic).mean() <= tolerance, fit.model
        assert np.allclose(np.load(folder / f"{fit.model}-k4-seed{fit.seed}" / "topic_word.npy"), fit.topic_word)


def test_a_fresh_process_applies_the_models_to_a_new_document(saved, tmp_path):
    _, folder = saved
    manifest = write_corpus(tmp_path / "new", {"report-2026": ("2026-03-08", (
        "Procuratorial organs strengthened legal supervision of trials and enforcement.\n\n"
        "We cracked down on telecom fraud and protected the lawful rights of minors.\n"))})
    out = tmp_path / "applied"
    proc = subprocess.run([sys.executable, "-m", "analysis", "topics-apply", "--models", str(folder),
                           "--manifest", str(manifest), "--out", str(out), "--no-cache"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    paragraphs = pd.read_csv(out / "paragraph_topics.csv")
    assert set(paragraphs["doc_id"]) == {"report-2026"} and set(paragraphs["model"]) == set(MODELS)
    assert np.allclose(paragraphs.groupby(["model", "para_id"])["share"].sum(), 1.0)
    documents = pd.read_csv(out / "document_topics.csv")
    assert np.allclose(documents.groupby("model")["share"].sum(), 1.0)
    assert json.loads((out / "run.json").read_text())["command"] == "topics-apply"


@pytest.mark.parametrize("damage, message", [
    (lambda f: (f / "dictionary.txt").write_text("0\tx\t1\n"), "dictionary.txt: sha256 differs"),
    (lambda f: next(f.glob("sklearn-*/model.npz")).unlink(), "model.npz: missing"),
    (lambda f: (f / "models.json").write_text(json.dumps({**json.loads((f / "models.json").read_text()),
                                                          "format": 99})), "field 'format' is 99"),
    (lambda f: (f / "models.json").unlink(), "not a models folder"),
])
def test_altered_models_folder_is_refused_with_one_line(saved, tmp_path, capsys, damage, message):
    import shutil
    _, folder = saved
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    damage(copy)
    with pytest.raises(topics.ModelsError, match=message):
        topics.load_models(copy)
    assert main(["topics-apply", "--models", str(copy), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and not (tmp_path / "o").exists()


def test_no_shared_vocabulary_is_an_error(saved, tmp_path):
    _, folder = saved
    manifest = write_corpus(tmp_path / "foreign", {"x-2026": ("2026-01-01", "Zebras quagga okapi.\n")})
    tokens = load_corpus(manifest).tokens
    with pytest.raises(topics.ModelsError, match="share no term"):
        topics.transform(topics.load_models(folder), tokens)


def test_exports_for_pyldavis_and_r(saved):
    result, folder = saved
    matrix = mmread(str(folder / "dtm" / "dtm.mtx")).tocsr()
    assert (matrix != result.bag.matrix).nnz == 0
    vocab = (folder / "dtm" / "vocab.txt").read_text().splitlines()
    assert vocab == list(map(str, result.bag.vocab))
    docvars = pd.read_csv(folder / "dtm" / "docvars.csv")
    assert len(docvars) == matrix.shape[0] and {"doc_id", "para_id", "year", "genre"} <= set(docvars.columns)
    pyldavis = pytest.importorskip("pyLDAvis")
    fit = result.fits[0]
    inputs = json.loads((folder / "ldavis" / f"{fit.model}-k4-seed{fit.seed}.json").read_text())
    prepared = pyldavis.prepare(**inputs, sort_topics=False, n_jobs=1)
    assert len(prepared.topic_coordinates) == 4


def test_save_refuses_a_folder_it_did_not_write(tmp_path, capsys):
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["topics", "--quick", "--models", "sklearn", "--k", "4", "--out", str(tmp_path / "t"),
                 "--save", str(target)]) == 2
    assert "not a models folder" in capsys.readouterr().err
    assert (target / "notes.txt").read_text() == "mine"


def _copy_with(folder, tmp_path, change_files=None, change_record=None):
    """Copy a models folder, apply `change_files(copy)`, re-record the hashes (as a folder saved by
    another library version would have them) and apply `change_record(record)`."""
    import hashlib
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    if change_files:
        change_files(copy)
    record = json.loads((copy / "models.json").read_text())
    record["files"] = {name: hashlib.sha256((copy / name).read_bytes()).hexdigest() for name in record["files"]}
    if change_record:
        change_record(record)
    (copy / "models.json").write_text(json.dumps(record))
    return copy


def test_a_model_its_library_reads_as_other_topics_is_refused(saved, tmp_path):
    _, folder = saved

    def shift(copy):
        path = next(copy.glob("sklearn-*/native.npy"))
        np.save(path, np.load(path) * 1.01)

    with pytest.raises(topics.ModelsError, match="reads this model as other topics"):
        topics.load_models(_copy_with(folder, tmp_path, shift))


def test_a_model_file_its_library_cannot_read_is_refused_with_one_line(saved, tmp_path, capsys):
    _, folder = saved
    copy = _copy_with(folder, tmp_path, lambda c: next(c.glob("sklearn-*/model.npz")).write_bytes(b"not a model"))
    with pytest.raises(topics.ModelsError, match="scikit-learn .* cannot read this model"):
        topics.load_models(copy)
    assert main(["topics-apply", "--models", str(copy), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_another_library_version_warns_naming_both_versions(saved, tmp_path):
    from analysis.errors import AnalysisWarning
    _, folder = saved

    def older(record):
        record["libraries"]["scikit-learn"] = "0.0.1"

    with pytest.warns(AnalysisWarning, match="saved with scikit-learn 0.0.1, loaded with"):
        loaded = topics.load_models(_copy_with(folder, tmp_path, change_record=older))
    assert len(loaded.fits) == len(MODELS)


def test_tomotopy_of_another_release_is_not_opened(saved, tmp_path):
    # tomotopy aborts the process on a binary it cannot read, so another release is refused unread
    _, folder = saved

    def other(record):
        record["libraries"]["tomotopy"] = "0.1.0"

    with pytest.raises(topics.ModelsError, match="saved with tomotopy 0.1.0"):
        topics.load_models(_copy_with(folder, tmp_path, change_record=other))
