"""Kept topic models: save fitted models in their libraries' own formats, load them back only when
every file matches the sha256 this toolkit recorded, and apply them to new paragraphs.

A models folder holds:
    models.json         format, package version, topics settings, one record per fit (model, k,
                        seed, seeded themes, its files) and the sha256 of every file
    dictionary.txt      the bag of words' vocabulary (gensim ``Dictionary.save_as_text``: plain text)
    <fit>/              one folder per fit: gensim ``LdaModel.save`` files, tomotopy ``save``, or for
                        scikit-learn its fitted arrays as ``.npz`` (no pickle) plus ``params.json``;
                        ``topic_word.npy`` for every fit, and ``native.npy``: the topic-word
                        array as the library itself reports it, to check a reload against
    ldavis/<fit>.json   the inputs of ``pyLDAvis.prepare`` (topic_term_dists, doc_topic_dists,
                        doc_lengths, vocab, term_frequency)
    dtm/                the document-term matrix for R: ``dtm.mtx`` (MatrixMarket, paragraphs x
                        terms), ``vocab.txt``, ``docvars.csv`` (doc_id, para_id, lines, year and
                        the manifest's columns)

gensim's own format pickles its model object, so `load_models` opens a gensim file only after its
sha256 matched `models.json`, and `models.json` only names files inside the folder. A model saved by
other versions of its library is loaded only if it still reports the topics it was saved with
(``native.npy``); a version difference alone is a warning naming both versions. Writing model
files is this module's job because each library saves itself; everything else goes through `io`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, AnalysisWarning
from analysis.topics.bag import BagOfWords
from analysis.topics.models import TopicFit

#: Bumped when the folder's layout changes; a folder of another format is refused.
FORMAT = 2
#: The libraries whose versions are recorded with the models and compared on loading.
LIBRARIES = {"gensim": "gensim", "seeded": "gensim", "sklearn": "scikit-learn", "tomotopy": "tomotopy"}
SKLEARN_ARRAYS = ("components_", "exp_dirichlet_component_")
SKLEARN_PARAMS = ("n_components", "doc_topic_prior_", "topic_word_prior_", "max_doc_update_iter",
                  "mean_change_tol", "n_features_in_", "learning_method", "random_state")


class ModelsError(AnalysisError):
    """A models folder that is incomplete, altered, of another format or not applicable."""


@dataclass(frozen=True)
class SavedModels:
    """Models loaded from a folder by `load_models`.

    Attributes
    ----------
    folder : Path
    dictionary : gensim.corpora.Dictionary
        The vocabulary the models were fitted on.
    fits : tuple of dict
        Per fit: model, k, seed, seeded_themes, topic_word (k x V array) and fitted (the library's
        model object).
    record : dict
        The folder's `models.json`.
    """

    folder: Path
    dictionary: object
    fits: tuple
    record: dict


def _fit_name(fit: TopicFit) -> str:
    return f"{fit.model}-k{fit.k}-seed{fit.seed}"


def native_topic_word(model: str, fitted) -> np.ndarray:
    """Return the topics x terms array the library reports for its fitted model (gensim
    ``get_topics``, scikit-learn ``components_``, tomotopy ``get_topic_word_dist`` over its own
    vocabulary), unnormalised as the library gives it."""
    if model in ("gensim", "seeded"):
        return np.asarray(fitted.get_topics(), dtype=np.float64)
    if model == "sklearn":
        return np.asarray(fitted.components_, dtype=np.float64)
    return np.array([fitted.get_topic_word_dist(t) for t in range(fitted.k)], dtype=np.float64)


def _sha256(path: Path) -> str:
    from analysis.io import sha256_file

    return sha256_file(path)


def save_models(fits: list[TopicFit], bag: BagOfWords, folder: str | Path, settings: dict,
                documents: pd.DataFrame | None = None) -> Path:
    """Write `fits` (each with its fitted model object), the bag's dictionary and the exports to
    `folder`; return the path of its `models.json`.

    Parameters
    ----------
    fits : list of TopicFit
        Fits whose `fitted` holds the library's model (as `fit_topics` returns them).
    bag : BagOfWords
        The bag the fits were made on (vocabulary, paragraphs, counts).
    folder : path
        An empty or new folder.
    settings : dict
        The configuration to record (e.g. ``dataclasses.asdict(config)``).
    documents : DataFrame, optional
        The documents table; its columns become document variables of the R export.
    """
    from scipy.io import mmwrite

    import analysis

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    bag.dictionary.save_as_text(str(folder / "dictionary.txt"))
    records = []
    for fit in fits:
        if fit.fitted is None:
            raise ModelsError(f"save_models: the {_fit_name(fit)} fit holds no model object")
        sub = folder / _fit_name(fit)
        sub.mkdir(exist_ok=True)
        np.save(sub / "topic_word.npy", fit.topic_word, allow_pickle=False)
        np.save(sub / "native.npy", native_topic_word(fit.model, fit.fitted), allow_pickle=False)
        write_model(fit, sub)
        ldavis = folder / "ldavis"
        ldavis.mkdir(exist_ok=True)
        (ldavis / f"{_fit_name(fit)}.json").write_text(json.dumps(ldavis_inputs(fit, bag)) + "\n")
        records.append({"model": fit.model, "k": fit.k, "seed": fit.seed, "seeded_themes": list(fit.seeded_themes),
                        "folder": _fit_name(fit)})
    dtm = folder / "dtm"
    dtm.mkdir(exist_ok=True)
    mmwrite(str(dtm / "dtm.mtx"), bag.matrix.astype(np.int64), field="integer")
    (dtm / "vocab.txt").write_text("\n".join(map(str, bag.vocab)) + "\n", encoding="utf-8")
    docvars = bag.paragraphs[["doc_id", "para_id", "line_start", "line_end", "year"]]
    if documents is not None:
        extra = [c for c in documents.columns if c not in docvars.columns and c not in ("file", "sha256")]
        docvars = docvars.merge(documents[["doc_id", *extra]].astype({"doc_id": str}), on="doc_id", how="left")
    docvars.to_csv(dtm / "docvars.csv", index=False, lineterminator="\n")
    files = {str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*"))
             if p.is_file() and p.name != "models.json"}
    from analysis.io import package_versions

    libraries = package_versions(tuple(sorted({LIBRARIES[f.model] for f in fits})))
    record = {"format": FORMAT, "version": analysis.__version__, "settings": settings, "fits": records,
              "libraries": libraries, "files": files}
    path = folder / "models.json"
    path.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def ldavis_inputs(fit: TopicFit, bag: BagOfWords) -> dict:
    """Return the keyword arguments of ``pyLDAvis.prepare`` for one fit, as JSON-ready lists."""
    return {"topic_term_dists": fit.topic_word.tolist(), "doc_topic_dists": fit.doc_topic.tolist(),
            "doc_lengths": np.asarray(bag.matrix.sum(axis=1)).ravel().astype(int).tolist(),
            "vocab": [str(v) for v in bag.vocab],
            "term_frequency": np.asarray(bag.matrix.sum(axis=0)).ravel().astype(int).tolist()}


def _verified(folder: Path) -> dict:
    """Return `models.json` after checking its format and every file's sha256."""
    index = folder / "models.json"
    if not index.is_file():
        raise ModelsError(f"{index}: not found; not a models folder written by `analysis topics --save`")
    try:
        record = json.loads(index.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelsError(f"{index}: not valid JSON ({exc})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ModelsError(f"{index}: field 'format' is {record.get('format') if isinstance(record, dict) else None!r};"
                          f" this version reads format {FORMAT}; save the models again with it")
    root = folder.resolve()
    for name, digest in sorted(record.get("files", {}).items()):
        path = (folder / name).resolve()
        if not path.is_relative_to(root):
            raise ModelsError(f"{index}: file {name!r} lies outside the models folder")
        if not path.is_file():
            raise ModelsError(f"{folder / name}: missing (listed in models.json)")
        if _sha256(path) != digest:
            raise ModelsError(f"{folder / name}: sha256 differs from models.json; the file was altered "
                              "after it was saved, so it is not loaded")
    for fit in record.get("fits", []):
        if not any(n.startswith(f"{fit['folder']}/") for n in record["files"]):
            raise ModelsError(f"{index}: fit {fit['folder']!r} has no file")
    return record


def load_models(folder: str | Path) -> SavedModels:
    """Return the models of a folder written by `save_models`.

    Every file is checked against the sha256 in `models.json` before anything is opened; a
    missing or altered file, or a folder of another format, raises `ModelsError` naming the file.
    """
    from gensim.corpora import Dictionary

    folder = Path(folder)
    record = _verified(folder)
    dictionary = Dictionary.load_from_text(str(folder / "dictionary.txt"))
    fits = []
    for meta in record["fits"]:
        sub = folder / meta["folder"]
        fitted = _checked_model(sub, meta["model"], record.get("libraries", {}))
        fits.append({**meta, "topic_word": np.load(sub / "topic_word.npy", allow_pickle=False),
                     "fitted": fitted})
    return SavedModels(folder, dictionary, tuple(fits), record)


def _checked_model(sub: Path, model: str, saved_versions: dict):
    """Return the fitted model of folder `sub`, loaded by its library; raise `ModelsError` if the
    installed library cannot read it or reads it as other topics than were saved (``native.npy``),
    and warn if the library's version differs from the one that saved it."""
    import warnings

    from analysis.io import package_versions

    library = LIBRARIES.get(model)
    if library is None:
        raise ModelsError(f"{sub}: model {model!r} is not one this version saves ({', '.join(LIBRARIES)})")
    saved, installed = saved_versions.get(library), package_versions((library,))[library]
    where = f"{library} {installed}" + (f", saved with {saved}" if saved != installed else "")
    if library == "tomotopy" and _release(saved) != _release(installed):
        # tomotopy aborts the whole process on a binary it cannot read, so it is not tried
        raise ModelsError(f"{sub}: saved with tomotopy {saved}, whose binary format tomotopy {installed} may not "
                          f"read; install tomotopy {saved} or fit the models again")
    try:
        fitted = read_model(sub, model)
    except ModelsError:
        raise
    except Exception as exc:  # the library's own error when its format changed
        raise ModelsError(f"{sub}: {library} {installed} cannot read this model (saved with {saved}): "
                          f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    native = np.load(sub / "native.npy", allow_pickle=False)
    again = native_topic_word(model, fitted)
    if again.shape != native.shape or not np.allclose(again, native, rtol=1e-9, atol=1e-12):
        raise ModelsError(f"{sub}: {where} reads this model as other topics than it was saved with; "
                          f"install the saving version or fit the models again")
    if saved != installed:
        warnings.warn(f"{sub}: saved with {library} {saved}, loaded with {installed}; its topics reload "
                      "unchanged, but inference on new text may differ slightly", AnalysisWarning, stacklevel=3)
    return fitted


def _release(version: str | None) -> tuple[str, ...]:
    """Return the major and minor parts of a version string ('0.12.7' -> ('0', '12'))."""
    return tuple(str(version).split(".")[:2])


def write_model(fit: TopicFit, sub: Path) -> None:
    """Write the library model of `fit` into the folder `sub` in its library's own format (gensim
    ``save``, tomotopy ``save``; scikit-learn: its arrays as ``.npz`` and ``params.json``, no pickle)."""
    if fit.model in ("gensim", "seeded"):
        fit.fitted.save(str(sub / "model"))
    elif fit.model == "tomotopy":
        fit.fitted.save(str(sub / "model.bin"))
    else:
        np.savez(sub / "model.npz", **{a: getattr(fit.fitted, a) for a in SKLEARN_ARRAYS})
        params = {p: getattr(fit.fitted, p) for p in SKLEARN_PARAMS}
        (sub / "params.json").write_text(json.dumps(params, default=int, indent=2, sort_keys=True) + "\n")


def read_model(sub: Path, model: str):
    """Return the library's model object `write_model` stored in `sub`; call only after its files'
    sha256 matched the record this toolkit wrote (gensim's format pickles)."""
    if model in ("gensim", "seeded"):
        from gensim.models import LdaModel

        return LdaModel.load(str(sub / "model"))
    if model == "tomotopy":
        import tomotopy as tp

        return tp.LDAModel.load(str(sub / "model.bin"))
    return _load_sklearn(sub)


def _load_sklearn(sub: Path):
    """Return a scikit-learn LDA rebuilt from its arrays and parameters (no pickle)."""
    from sklearn.decomposition import LatentDirichletAllocation

    params = json.loads((sub / "params.json").read_text(encoding="utf-8"))
    lda = LatentDirichletAllocation(n_components=params["n_components"], learning_method=params["learning_method"],
                                    max_doc_update_iter=params["max_doc_update_iter"],
                                    mean_change_tol=params["mean_change_tol"], random_state=params["random_state"])
    with np.load(sub / "model.npz", allow_pickle=False) as arrays:
        for name in SKLEARN_ARRAYS:
            setattr(lda, name, arrays[name])
    lda.doc_topic_prior_ = params["doc_topic_prior_"]
    lda.topic_word_prior_ = params["topic_word_prior_"]
    lda.n_features_in_ = params["n_features_in_"]
    return lda


def transform(saved: SavedModels, tokens: pd.DataFrame) -> pd.DataFrame:
    """Return the topic shares of every paragraph of `tokens` under every saved model.

    Terms are the token table's ``term`` column, mapped through the saved dictionary; terms the
    models never saw are dropped (a paragraph with none keeps the models' prior shares).

    Returns
    -------
    DataFrame
        model, k, seed, doc_id, para_id, topic (0-based), share (rows of one paragraph and fit sum
        to 1), n_terms (the paragraph's terms known to the models).

    Raises
    ------
    ModelsError
        If no term of the new paragraphs is in the models' vocabulary.
    """
    from scipy import sparse

    terms = tokens[tokens["term"].astype(str) != ""]
    groups = terms.assign(doc_id=terms["doc_id"].astype(str), term=terms["term"].astype(str)).groupby(
        ["doc_id", "para_id"], sort=True)["term"].agg(list)
    token2id = saved.dictionary.token2id
    texts = [[t for t in words if t in token2id] for words in groups]
    if not any(texts):
        raise ModelsError(f"{saved.folder}: the new paragraphs share no term with the models' vocabulary "
                          f"({len(token2id)} terms)")
    bows = [saved.dictionary.doc2bow(t) for t in texts]
    rows = np.repeat(np.arange(len(bows)), [len(b) for b in bows])
    cols = np.array([i for b in bows for i, _ in b], dtype=np.int64)
    vals = np.array([c for b in bows for _, c in b], dtype=np.int64)
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(bows), len(token2id)))
    index = groups.index.to_frame(index=False)
    out = []
    for fit in saved.fits:
        shares = _infer(fit, bows, texts, matrix)
        k = shares.shape[1]
        out.append(pd.DataFrame({"model": fit["model"], "k": fit["k"], "seed": fit["seed"],
                                 "doc_id": np.repeat(index["doc_id"].to_numpy(), k),
                                 "para_id": np.repeat(index["para_id"].to_numpy(), k).astype("int64"),
                                 "topic": np.tile(np.arange(k), len(index)), "share": shares.ravel(),
                                 "n_terms": np.repeat([len(t) for t in texts], k)}))
    return pd.concat(out, ignore_index=True)


def _infer(fit: dict, bows: list, texts: list, matrix) -> np.ndarray:
    """Return paragraphs x topics shares (rows sum to 1) of one saved fit."""
    model = fit["fitted"]
    if fit["model"] in ("gensim", "seeded"):
        # gensim draws each paragraph's starting point from the model's generator: seed it, so the
        # same paragraphs get the same shares in every run
        model.random_state = np.random.RandomState(int(fit["seed"]))
        shares = model.inference(bows)[0]
    elif fit["model"] == "sklearn":
        shares = model.transform(matrix)
    else:
        import tomotopy as tp

        used = set(model.used_vocabs)
        docs = [model.make_doc([t for t in text if t in used]) for text in texts]
        dists, _ = model.infer(docs, workers=1, parallel=tp.ParallelScheme.NONE)
        shares = np.array([d.get_topic_dist() if hasattr(d, "get_topic_dist") else d for d in dists])
    shares = np.asarray(shares, dtype=np.float64)
    return shares / shares.sum(axis=1, keepdims=True)
