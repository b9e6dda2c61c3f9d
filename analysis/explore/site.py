"""Tables -> the data of the offline explorer, and the explorer's files (pure functions).

The explorer is one HTML page with its script, style and data beside it (``index.html``,
``explorer.js``, ``explorer.css``, ``data.js``); ``data.js`` sets ``window.DATA`` because a page
opened from ``file://`` cannot fetch JSON. No file refers to the network.

Layout of ``window.DATA`` (`build_data`; offsets into paragraph texts are 0-based, half-open and
counted in UTF-16 code units, as JavaScript strings count them; lines are 1-based seed-file lines):
    run        the run record (config, git_commit, versions, inputs_sha256, seeds, ...)
    documents  one record per document (documents.csv columns, plus n_analysed, n_chars), by date
    cleaning   rules (name -> description) and the cleaning-log rows (rule, doc, line, changed)
    paragraphs columns of the analysed paragraphs in reading order: doc (index into documents),
               para_id, line_start, line_end, section, text, tok (index of its first token;
               the last entry closes the last paragraph)
    tokens     lemmas (sorted), forms (lower-cased word -> lemma, where they differ and the lemma is
               in the corpus), and per token: lem (index into lemmas), start, end, line (minus the
               paragraph's line_start)
    themes     names, entries, document and year rows (theme_rates columns), year_docs, per
               paragraph label and count_<theme>, and the matches (paragraph, start, end, theme,
               entry)
    topics     vocab and its counts in the bag of words, one record per fit (model, k, seed) with
               the intertopic map, prevalence, the relevance candidates, FREX terms and typical
               paragraphs of each topic, and p(topic | term) of every term it can list
    keyness    one record per comparison with its strongest rows
    formulations  the list, counts per document and per year, and every match's concordance row
"""
from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

MARKER = ".analysis-explore"
#: Terms listed per topic in the topic browser (LDAvis shows 30).
RELEVANCE_TERMS = 30
#: The relevance slider moves lambda in steps of 1 / LAMBDA_STEPS over [0, 1].
LAMBDA_STEPS = 100
DEFAULT_LAMBDA = 0.6
#: Keyness rows kept per side (target, reference), strongest G2 first.
KEYNESS_ROWS = 150
#: Typical paragraphs kept per topic.
TYPICAL_PARAGRAPHS = 5
STATIC_FILES = ("index.html", "explorer.js", "explorer.css")


# ----------------------------------------------------------------------------- topic geometry


def topic_distances(topic_word: np.ndarray) -> np.ndarray:
    """Return the k x k Jensen-Shannon distances (base 2, in [0, 1]) between topic-word rows."""
    from analysis.topics.matching import topic_similarity

    phi = np.asarray(topic_word, dtype=np.float64)
    out = 1.0 - topic_similarity(phi, phi)
    np.fill_diagonal(out, 0.0)
    return (out + out.T) / 2


def classical_mds(distances: np.ndarray, dims: int = 2) -> np.ndarray:
    """Return n x `dims` coordinates whose Euclidean distances approximate `distances`.

    Classical (Torgerson) scaling, as LDAvis's ``jsPCA``: the doubly centred matrix
    B = -1/2 J D^2 J, its largest eigenvalues' eigenvectors scaled by their square roots (negative
    eigenvalues give 0). Each axis is signed so that its largest absolute coordinate is positive,
    which makes the layout deterministic. Units: those of `distances`.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    >>> d = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    >>> xy = classical_mds(d)
    >>> round(float(np.linalg.norm(xy[1] - xy[2])), 6)
    5.0
    """
    d = np.asarray(distances, dtype=np.float64)
    n = len(d)
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d ** 2) @ j
    values, vectors = np.linalg.eigh((b + b.T) / 2)
    order = np.argsort(-values, kind="stable")[:dims]
    coords = vectors[:, order] * np.sqrt(np.clip(values[order], 0, None))
    if coords.shape[1] < dims:
        coords = np.hstack([coords, np.zeros((n, dims - coords.shape[1]))])
    for a in range(dims):
        col = coords[:, a]
        if len(col) and col[np.argmax(np.abs(col))] < 0:
            coords[:, a] = -col
    return coords + 0.0      # no negative zeros


def relevance(topic_word: np.ndarray, term_share: np.ndarray, lam: float) -> np.ndarray:
    """Return LDAvis relevance (Sievert & Shirley 2014) of every term in every topic (k x V):
    lam * log(phi) + (1 - lam) * log(phi / p(w)), natural logarithms, where p(w) = `term_share`
    is the term's share of all tokens of the bag of words."""
    phi = np.asarray(topic_word, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return lam * np.log(phi) + (1 - lam) * np.log(phi / np.asarray(term_share, dtype=np.float64))


def top_by_relevance(scores: np.ndarray, n: int) -> np.ndarray:
    """Return the indices of the `n` highest scores of each row, highest first, ties by index (NaN
    counts as -inf); the same as ``np.argsort(-scores, kind="stable")[:, :n]``, in linear time."""
    scores = np.where(np.isnan(scores), -np.inf, np.asarray(scores, dtype=np.float64))
    v = scores.shape[1]
    if n >= v:
        return np.argsort(-scores, axis=1, kind="stable")
    out = np.empty((len(scores), n), dtype=np.int64)
    for t, row in enumerate(scores):
        kth = np.partition(row, v - n)[v - n]          # the n-th largest value
        idx = np.flatnonzero(row >= kth)               # it and everything above, ties included
        out[t] = idx[np.lexsort((idx, -row[idx]))][:n]
    return out


def relevance_terms(topic_word: np.ndarray, term_share: np.ndarray, n: int = RELEVANCE_TERMS,
                    steps: int = LAMBDA_STEPS) -> list[np.ndarray]:
    """Return, per topic, the sorted term ids that are among its `n` most relevant terms at some
    lambda = i / `steps` (i = 0 .. steps): the only terms the slider can show, so shipping them
    (with their phi and p(w)) lets the page rank exactly what the whole vocabulary would give."""
    k = len(topic_word)
    found = [set() for _ in range(k)]
    for i in range(steps + 1):
        top = top_by_relevance(relevance(topic_word, term_share, i / steps), n)
        for t in range(k):
            found[t].update(top[t].tolist())
    return [np.array(sorted(s), dtype=np.int64) for s in found]


# ----------------------------------------------------------------------------- building the data


def _clean(value):
    """Return `value` as plain JSON: numpy scalars to Python, NaN and infinities to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if not math.isfinite(value) else value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _short(x) -> float | None:
    """Return a display number rounded to 6 significant digits (None when not finite)."""
    x = float(x)
    return float(f"{x:.6g}") if math.isfinite(x) else None


def _columns(table: pd.DataFrame, columns, shorten=()) -> dict[str, list]:
    """Return `columns` of `table` as lists (column-oriented JSON)."""
    out = {}
    for c in columns:
        values = table[c].tolist()
        out[c] = [_short(v) for v in values] if c in shorten else _clean(values)
    return out


def _utf16_offsets(text: str) -> np.ndarray | None:
    """Return code point offset -> UTF-16 offset for `text`, or None when they are the same."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return None
    widths = np.array([2 if ord(ch) > 0xFFFF else 1 for ch in text], dtype=np.int64)
    return np.r_[0, np.cumsum(widths)]


def _paragraph_block(corpus, doc_index: dict[str, int]):
    """Return the paragraphs and tokens blocks of the data, (doc_id, para_id) -> paragraph index, and
    paragraph index -> UTF-16 offset map for the paragraphs where code points and UTF-16 differ."""
    from analysis.tokens import lemmatize

    tokens = corpus.tokens
    analysed = corpus.analysed.reset_index(drop=True)
    doc = tokens["doc_id"].astype(str).to_numpy()
    para = tokens["para_id"].to_numpy().astype(np.int64)
    change = np.flatnonzero(np.r_[True, (doc[1:] != doc[:-1]) | (para[1:] != para[:-1])]) if len(doc) else \
        np.zeros(0, dtype=np.int64)
    keys = list(zip(doc[change].tolist(), para[change].tolist()))
    # analysed paragraphs without a word token have no tokens; the others come in the tokens' order
    order = list(zip(analysed["doc_id"].astype(str), analysed["para_id"].astype(int)))
    with_tokens = set(keys)
    if [k for k in order if k in with_tokens] != keys:
        raise RuntimeError("explore: the token table is not in the paragraphs' reading order")
    position = tokens["position"].to_numpy().astype(np.int64)
    if not np.array_equal(position, np.arange(len(tokens)) - np.repeat(change, np.diff(np.r_[change, len(tokens)]))):
        raise RuntimeError("explore: token positions are not 0, 1, 2, ... within each paragraph")
    first = dict(zip(keys, change.tolist()))
    bounds = dict(zip(keys, np.r_[change[1:], len(tokens)].tolist()))
    index = {k: i for i, k in enumerate(order)}
    starts = tokens["start"].to_numpy().astype(np.int64).copy()
    ends = tokens["end"].to_numpy().astype(np.int64).copy()
    lines = tokens["line"].to_numpy().astype(np.int64).copy()
    texts = analysed["text"].astype(str).tolist()
    line_start = analysed["line_start"].astype(int).tolist()
    tok, shifts, cursor = [], {}, 0
    for i, key in enumerate(order):
        lo, hi = (first[key], bounds[key]) if key in first else (cursor, cursor)
        cursor = hi
        tok.append(lo)
        lines[lo:hi] -= line_start[i]
        shift = _utf16_offsets(texts[i])
        if shift is not None:
            shifts[i] = shift
            starts[lo:hi], ends[lo:hi] = shift[starts[lo:hi]], shift[ends[lo:hi]]
    tok.append(len(tokens))
    lemma_col = tokens["lemma"].astype(str)
    lemmas = sorted(set(lemma_col))
    lemma_id = {lem: i for i, lem in enumerate(lemmas)}
    paragraphs = {"doc": [doc_index[d] for d, _ in order], "para_id": [p for _, p in order],
                  "line_start": line_start, "line_end": analysed["line_end"].astype(int).tolist(),
                  "section": analysed["section"].fillna("").astype(str).tolist(), "text": texts, "tok": tok}
    block = {"lemmas": lemmas, "forms": lemma_forms(corpus, lemmas, lemmatize),
             "lem": [lemma_id[v] for v in lemma_col], "start": starts.tolist(), "end": ends.tolist(),
             "line": lines.tolist()}
    return paragraphs, block, index, shifts


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers")


@lru_cache(maxsize=1)
def _dictionary_entries() -> tuple[tuple[str, str], ...]:
    """Return (lower-cased word, lower-cased lemma) of simplemma's English dictionary for the words
    a pattern can hold (letters and inner hyphens); empty if that dictionary is not reachable."""
    try:
        from simplemma.strategies.dictionaries import DefaultDictionaryFactory

        entries = DefaultDictionaryFactory().get_dictionary("en")
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        return ()
    return tuple((w, str(lemma).lower()) for w, lemma in ((str(w).lower(), lemma) for w, lemma in entries.items())
                 if _WORD.fullmatch(w))


def _dictionary_words(lemma_set: set[str]) -> set[str]:
    """Return the words of simplemma's English dictionary listed under one of `lemma_set` (irregular
    forms: "went" -> "go", "children" -> "child")."""
    return {w for w, lemma in _dictionary_entries() if lemma in lemma_set}


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")


def lemma_forms(corpus, lemmas: list[str], lemmatize) -> dict[str, str]:
    """Return lower-cased word -> lemma for the words whose lemma differs from the word itself and
    is a lemma of the corpus: every word form of the corpus, and the regular inflections of each
    lemma ("-s", "-es", "-ed", "-ing", "-ies", a doubled consonant, ...) and the words of simplemma's
    English dictionary listed under it (irregular forms) that lemmatise to it.

    A concordance pattern word is accepted as its lemma or as itself (`analysis.discourse.kwic`);
    the page looks the lemma up here and takes the word itself where it is missing, which gives
    the same matches for any word listed and for any word that is its own lemma.
    """
    lemma_set = set(lemmas)
    words = set()
    texts = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]
    texts = texts[~texts.index.duplicated()]
    tok = corpus.tokens
    keyed = texts.reindex(pd.MultiIndex.from_arrays([tok["doc_id"].astype(str), tok["para_id"].astype(int)]))
    for t, a, b in zip(keyed.tolist(), tok["start"].tolist(), tok["end"].tolist()):
        words.add(t[a:b].lower())
    words.update(_dictionary_words(lemma_set))
    for lem in lemmas:
        stem = lem[:-1]
        words.update(lem + s for s in _SUFFIXES)
        words.update((stem + "ies", stem + "ied", stem + "ing", stem + "ed", stem + "er"))
        if lem and lem[-1] not in "aeiouwxy":
            words.update((lem + lem[-1] + "ed", lem + lem[-1] + "ing"))
    out = {}
    for w in sorted(words):
        lem = lemmatize(w)
        if lem != w and lem in lemma_set:
            out[w] = lem
    return out


def _documents_block(corpus) -> tuple[list[dict], dict[str, int]]:
    """Return the documents by date (then doc_id) with their sizes, and doc_id -> index."""
    docs = corpus.documents.assign(doc_id=corpus.documents["doc_id"].astype(str))
    docs = docs.sort_values(["date", "doc_id"], kind="stable").reset_index(drop=True)
    paragraphs = corpus.paragraphs.assign(doc_id=corpus.paragraphs["doc_id"].astype(str))
    analysed = corpus.analysed.assign(doc_id=corpus.analysed["doc_id"].astype(str))
    n_analysed = analysed.groupby("doc_id").size()
    n_chars = paragraphs.groupby("doc_id")["text"].agg(lambda t: int(t.str.len().sum()))
    kinds = paragraphs.groupby(["doc_id", "kind"]).size().unstack(fill_value=0)
    records = []
    for row in docs.to_dict("records"):
        d = row["doc_id"]
        kind = kinds.loc[d].to_dict() if d in kinds.index else {}
        version_of = row.get("version_of")
        records.append({**_clean(row), "version_of": "" if pd.isna(version_of) else str(version_of or ""),
                        "n_analysed": int(n_analysed.get(d, 0)), "n_chars": int(n_chars.get(d, 0)),
                        "kinds": {k: int(v) for k, v in kind.items() if v}})
    return records, {r["doc_id"]: i for i, r in enumerate(records)}


def _themes_block(result, corpus, config, doc_index: dict[str, int], para_index: dict, shifts: dict) -> dict:
    """Return the themes block: rates by document and year, paragraph labels and counts, matches."""
    pt = result.paragraph_themes
    names = [c[len("count_"):] for c in pt.columns if c.startswith("count_")]      # the lexicon's categories
    rate_cols = ["theme", "count", "rate_per_1k", "rate_ci_low", "rate_ci_high", "share", "share_ci_low",
                 "share_ci_high", "n_tokens", "n_paragraphs"]
    floats = {"rate_per_1k", "rate_ci_low", "rate_ci_high", "share", "share_ci_low", "share_ci_high"}
    doc_rows = result.document_themes.assign(doc_id=result.document_themes["doc_id"].astype(str))
    # the documents of each year row: as theme_rates groups them, checked against its counts
    docs = corpus.documents.assign(doc_id=corpus.documents["doc_id"].astype(str)).set_index("doc_id")
    known = set(docs.index)
    year_docs: dict[int, list[str]] = {}
    for d in sorted(set(doc_rows["doc_id"])):
        version_of = str(docs.loc[d, "version_of"] or "")
        if config.themes.year_include_versions or not version_of or version_of not in known:
            year_docs.setdefault(int(docs.loc[d, "year"]), []).append(d)
    per_doc = doc_rows.set_index(["doc_id", "theme"])["count"]
    for row in result.year_themes.itertuples(index=False):
        total = sum(int(per_doc.get((d, row.theme), 0)) for d in year_docs.get(int(row.year), []))
        if total != int(row.count):
            raise RuntimeError(f"explore: year {row.year} {row.theme}: documents add up to {total}, "
                               f"the year table says {row.count}")
    index = [para_index[(str(d), int(p))] for d, p in zip(pt["doc_id"], pt["para_id"])]
    order = np.argsort(index, kind="stable")
    counts = [pt[f"count_{t}"].to_numpy()[order].astype(int).tolist() for t in names]
    labels = pt["theme"].astype(str).to_numpy()[order].tolist()
    if sorted(index) != list(range(len(para_index))):
        raise RuntimeError("explore: the paragraph theme table does not cover the analysed paragraphs")
    m = result.matches
    theme_id = {t: i for i, t in enumerate([*names, "exclude"])}
    entries = sorted(set(m["entry"].astype(str)))
    entry_id = {e: i for i, e in enumerate(entries)}
    m_index = [para_index[(str(d), int(p))] for d, p in zip(m["doc_id"], m["para_id"])]
    starts, ends = m["start"].astype(int).tolist(), m["end"].astype(int).tolist()
    for j, p in enumerate(m_index):
        if p in shifts:
            starts[j], ends[j] = int(shifts[p][starts[j]]), int(shifts[p][ends[j]])
    return {
        "names": names,
        "doc": {"doc": [doc_index[d] for d in doc_rows["doc_id"]], "year": _clean(doc_rows["year"].tolist()),
                **_columns(doc_rows, rate_cols, floats)},
        "year": _columns(result.year_themes, ["year", *rate_cols, "n_documents"], floats),
        "year_docs": {str(y): [doc_index[d] for d in ds] for y, ds in year_docs.items()},
        "para": {"label": labels, "counts": counts},
        "entries": entries,
        "matches": {"para": m_index, "start": starts, "end": ends,
                    "theme": [theme_id[t] for t in m["theme"].astype(str)],
                    "entry": [entry_id[e] for e in m["entry"].astype(str)]},
        "n_boot": config.themes.n_boot, "ci_level": config.themes.ci_level, "seed": config.themes.seed,
        "min_score": config.themes.min_score,
    }


def _topics_block(tables, para_index: dict) -> dict:
    """Return the topics block: the shared vocabulary and one record per fit."""
    result, bag, cfg = tables.topics, tables.bag, tables.config.topics
    counts = np.asarray(bag.matrix.sum(axis=0)).ravel().astype(np.int64)
    total = int(counts.sum())
    share = counts / total
    doc_len = np.asarray(bag.matrix.sum(axis=1)).ravel().astype(np.float64)
    used: set[int] = set()
    selection = result.model_selection.set_index(["model", "k", "seed"])
    first_seed = tables.fits[0].seed if tables.fits else None     # stability's topics are this seed's
    fits = [_fit_record(fit, tables, share, doc_len, para_index, selection, first_seed, used) for fit in tables.fits]
    vocab_ids = sorted(used)
    remap = {v: i for i, v in enumerate(vocab_ids)}
    for f in fits:
        f["term_topics"]["terms"] = [remap[v] for v in f["term_topics"]["terms"]]
        for t in f["topics"]:
            t["terms"] = [remap[v] for v in t["terms"]]
            t["frex"] = [remap[v] for v in t["frex"]]
    return {"vocab": [str(bag.vocab[v]) for v in vocab_ids], "counts": counts[vocab_ids].tolist(),
            "total": total, "n_paragraphs": len(bag.bow), "fits": fits, "n_terms": int(len(bag.vocab)),
            "relevance_terms": RELEVANCE_TERMS, "lambda_steps": LAMBDA_STEPS, "default_lambda": DEFAULT_LAMBDA,
            "analysis_k": _clean(result.facts["analysis_k"]), "first_seed": first_seed,
            "stability_threshold": cfg.stability_threshold}


def _fit_record(fit, tables, share: np.ndarray, doc_len: np.ndarray, para_index: dict, selection: pd.DataFrame,
                first_seed, used: set[int]) -> dict:
    """Return one fit's record of the topics block (term ids in the bag's vocabulary; every id shown is added
    to `used`): per topic its map position, prevalence, relevance and FREX terms, typical paragraphs, theme
    and stability; the term-topic view; the fit's scores."""
    from analysis.topics import frex, typical_paragraphs

    result, bag = tables.topics, tables.bag
    themes, stab = result.topic_themes, result.stability
    phi = fit.topic_word
    cand = relevance_terms(phi, share)
    fx = top_by_relevance(frex(phi), tables.config.topics.top_n)
    xy = classical_mds(topic_distances(phi))
    prevalence = doc_len @ fit.doc_topic / doc_len.sum()
    typ = typical_paragraphs(fit, bag.paragraphs, TYPICAL_PARAGRAPHS)
    tt = themes[(themes["model"] == fit.model) & (themes["k"] == fit.k) & (themes["seed"] == fit.seed)]
    tt = tt.set_index("topic") if len(tt) else None
    st = stab[(stab["model"] == fit.model) & (stab["k"] == fit.k)].set_index("topic") \
        if fit.seed == first_seed else None
    topics = []
    for t in range(fit.k):
        used.update(cand[t].tolist())
        used.update(fx[t].tolist())
        rows = typ[typ["topic"] == t]
        topics.append({
            "x": float(xy[t, 0]), "y": float(xy[t, 1]), "prevalence": float(prevalence[t]),
            "terms": cand[t].tolist(), "phi": [float(v) for v in phi[t, cand[t]]],
            "frex": fx[t].tolist(),
            "typical": [[para_index[(str(r.doc_id), int(r.para_id))], float(r.share)]
                        for r in rows.itertuples(index=False)],
            "theme": str(tt.loc[t, "theme"]) if tt is not None else "",
            "lift": _short(tt.loc[t, "lift"]) if tt is not None else None,
            "similarity": _short(st.loc[t, "similarity"]) if st is not None and t in st.index else None,
            "stable": bool(st.loc[t, "stable"]) if st is not None and t in st.index else None})
    key = (fit.model, fit.k, fit.seed)
    sel = selection.loc[key] if key in selection.index else None
    return {"model": fit.model, "k": fit.k, "seed": fit.seed, "topics": topics,
            "term_topics": _term_topics(phi, cand, prevalence),
            "scores": {c: _short(sel[c]) for c in ("c_v", "c_npmi", "u_mass", "perplexity")}
            if sel is not None else {},
            "analysis_k": int(result.facts["analysis_k"].get(fit.model, -1)) == fit.k}


def _term_topics(phi: np.ndarray, cand: np.ndarray, prevalence: np.ndarray) -> dict:
    """Return LDAvis's term view: p(topic | term), proportional to phi[topic, term] * p(topic), for every
    term the page lists (`cand`), in units of 1/10,000 (drawn, not ranked)."""
    shown = np.array(sorted(set().union(*(set(c.tolist()) for c in cand))), dtype=np.int64)
    joint = phi[:, shown] * prevalence[:, None]
    cond = joint / joint.sum(axis=0, keepdims=True)
    return {"terms": shown.tolist(), "per_10k": np.rint(cond.T * 1e4).astype(np.int64).tolist()}


def _keyness_block(tables) -> list[dict]:
    columns = ["term", "freq_target", "freq_reference", "per_10k_target", "per_10k_reference", "g2", "p_adj",
               "log_ratio", "log_ratio_ci_low", "log_ratio_ci_high", "key_for", "para_target",
               "para_reference", "docs_target", "docs_reference"]
    floats = {"per_10k_target", "per_10k_reference", "g2", "p_adj", "log_ratio", "log_ratio_ci_low",
              "log_ratio_ci_high"}
    out = []
    for spec, table in tables.keyness:
        parts = [table[table["key_for"] == side].sort_values(["g2", "term"], ascending=[False, True])
                 .head(KEYNESS_ROWS) for side in ("target", "reference")]
        rows = pd.concat(parts, ignore_index=True)
        n_t = int(table["n_target"].iloc[0]) if len(table) else 0
        n_r = int(table["n_reference"].iloc[0]) if len(table) else 0
        out.append({**_clean(spec), "n_target": n_t, "n_reference": n_r, "n_tested": len(table),
                    "rows": _columns(rows, columns, floats)})
    return out


def _formulations_block(tables, doc_index: dict[str, int], para_index: dict) -> dict:
    flist = tables.formulations.drop_duplicates("formulation_id")
    variants = tables.formulations.groupby("formulation_id", sort=False)["variant"].agg(list)
    counts = tables.formulation_counts.assign(doc_id=tables.formulation_counts["doc_id"].astype(str))
    totals = counts.groupby("formulation_id")["count"].sum()
    found = [f for f in flist["formulation_id"] if totals.get(f, 0) > 0]
    counts = counts[counts["formulation_id"].isin(found)]
    by_year = tables.formulations_by_year[tables.formulations_by_year["formulation_id"].isin(found)]
    conc = tables.formulation_concordance
    meta = flist.set_index("formulation_id")
    return {
        "list": [{"id": f, "category": str(meta.loc[f, "category"]), "canonical": str(meta.loc[f, "canonical"]),
                  "variants": list(variants.loc[f]), "total": int(totals.get(f, 0))} for f in found],
        "n_listed": int(len(flist)),
        "doc": {"formulation_id": counts["formulation_id"].tolist(),
                "doc": [doc_index[d] for d in counts["doc_id"]],
                **_columns(counts, ["count", "rate_per_10k", "rate_ci_low", "rate_ci_high", "first_line"],
                           {"rate_per_10k", "rate_ci_low", "rate_ci_high"})},
        "year": _columns(by_year, ["formulation_id", "year", "count", "rate_per_10k", "n_docs"], {"rate_per_10k"}),
        "concordance": {"formulation_id": conc["formulation_id"].tolist(), "variant": conc["variant"].tolist(),
                        "para": [para_index[(str(d), int(p))] for d, p in zip(conc["doc_id"], conc["para_id"])],
                        **_columns(conc, ["line_start", "line_end", "left", "match", "right"])},
    }


def build_data(tables, run: dict) -> dict:
    """Return the explorer's data (``window.DATA``; layout in the module docstring).

    Parameters
    ----------
    tables : analysis.explore.tables.ExploreTables
        From `analysis.explore.collect_tables`.
    run : dict
        The run record (`analysis.io.run_record`): config, git_commit, versions, seeds.
    """
    from analysis.corpus import RULES

    corpus = tables.corpus
    documents, doc_index = _documents_block(corpus)
    paragraphs, tokens, para_index, shifts = _paragraph_block(corpus, doc_index)
    log = corpus.cleaning_log
    return {
        "run": _clean(run),
        "documents": documents,
        "cleaning": {"rules": dict(RULES), "rule": log["rule"].astype(str).tolist(),
                     "doc_id": log["doc_id"].astype(str).tolist(), "line": _clean(log["line"].tolist()),
                     "changed": log["changed"].astype(str).tolist()},
        "paragraphs": paragraphs,
        "tokens": tokens,
        "window": tables.config.discourse.window,
        "themes": _themes_block(tables.themes, corpus, tables.config, doc_index, para_index, shifts),
        "topics": _topics_block(tables, para_index),
        "keyness": _keyness_block(tables),
        "formulations": _formulations_block(tables, doc_index, para_index),
    }


def data_script(data: dict) -> str:
    """Return the text of ``data.js``: ``window.DATA = {...};`` (compact JSON, no NaN)."""
    return "window.DATA = " + json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + ";\n"


def site_files(data: dict) -> dict[str, bytes]:
    """Return every file of the site, name -> bytes: the page, its script and style (shipped in
    ``analysis/explore/static``) and ``data.js``."""
    static = resources.files("analysis.explore").joinpath("static")
    files = {name: static.joinpath(name).read_bytes() for name in STATIC_FILES}
    files["data.js"] = data_script(data).encode("utf-8")
    return files
