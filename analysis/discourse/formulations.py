"""The Party's fixed formulations: curated list, matching, counts, discovery."""
from __future__ import annotations

import csv
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analysis.corpus import require_columns
from analysis.errors import CorpusError, ParameterError
from analysis.query import (
    TOKEN_COLUMNS,
    check_window,
    column_values,
    concordance_rows,
    document_parts,
    lemma_codes,
    match_sequences,
    paragraph_key,
)
from analysis.tokens import TOKEN_PATTERN, lemmatize

FORMULATION_COLUMNS = ("formulation_id", "category", "canonical", "variant", "chinese", "where", "note")


FORMULATION_CATEGORIES = ("political", "legal_policy", "procuratorial", "criminal_policy", "security",
                          "development", "livelihood")


_NUMBERS = ("Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")


# ----------------------------------------------------------------------------- formulations

def read_formulations(path: str | Path | None = None) -> pd.DataFrame:
    """Return the curated formulation list, one row per English variant, with its lemma sequence.

    Parameters
    ----------
    path : path, optional
        A CSV with columns formulation_id, category, canonical, variant, chinese, where, note;
        default the package's ``analysis/data/formulations.csv``.

    Returns
    -------
    DataFrame
        The file's columns plus ``lemmas`` (tuple of str: the variant's words lemmatized as the
        corpus is) and ``row`` (1-based line of the file).

    Raises
    ------
    CorpusError
        Naming the file and line: a missing column, an empty formulation_id / category /
        canonical / variant, an id not of a-z, 0-9 and "_", an unknown category, a variant
        without a word, a formulation whose rows disagree on category or canonical.
    """
    source, handle = _open_formulations(path)
    with handle as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in FORMULATION_COLUMNS[:4] if c not in header]
        if missing:
            raise CorpusError(f"{source}:1: missing column(s) {', '.join(missing)}; "
                              f"expected {', '.join(FORMULATION_COLUMNS)}")
        records, seen = [], {}
        for line, row in enumerate(reader, start=2):
            records.append(_formulation_record(f"{source}:{line}", line, row, header, seen))
    if not records:
        raise CorpusError(f"{source}: no formulation rows")
    return pd.DataFrame(records)


def _open_formulations(path: str | Path | None) -> tuple[str, object]:
    """Return the formulation file's name for messages and an open text handle (default: the package's file)."""
    if path is None:
        source = "analysis/data/formulations.csv"
        return source, resources.files("analysis.data").joinpath("formulations.csv").open(encoding="utf-8",
                                                                                          newline="")
    source = str(path)
    try:
        return source, open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise CorpusError(f"{source}: formulation file not found") from None
    except IsADirectoryError:
        raise CorpusError(f"{source}: formulation file is a folder; expected a CSV file") from None


def _formulation_record(where: str, line: int, row: dict, header: list[str], seen: dict) -> dict:
    """Return one checked row of the formulation file with its ``lemmas`` and ``row`` (the 1-based line);
    `seen` maps each formulation_id to its first (line, category, canonical)."""
    if None in row:
        raise CorpusError(f"{where}: more fields than the header's {len(header)}")
    row = {c: (row.get(c) or "").strip() for c in FORMULATION_COLUMNS}
    for col in FORMULATION_COLUMNS[:4]:
        if not row[col]:
            raise CorpusError(f"{where}: field '{col}' is empty")
    if not re.fullmatch(r"[a-z0-9_]+", row["formulation_id"]):
        raise CorpusError(f"{where}: field 'formulation_id' is {row['formulation_id']!r}; "
                          "expected a-z, 0-9 and '_'")
    if row["category"] not in FORMULATION_CATEGORIES:
        raise CorpusError(f"{where}: field 'category' is {row['category']!r}; expected one of "
                          f"{', '.join(FORMULATION_CATEGORIES)}")
    lemmas = tuple(lemmatize(w) for w in TOKEN_PATTERN.findall(row["variant"]))
    if not lemmas:
        raise CorpusError(f"{where}: field 'variant' is {row['variant']!r}; expected words")
    first = seen.setdefault(row["formulation_id"], (line, row["category"], row["canonical"]))
    if (row["category"], row["canonical"]) != first[1:]:
        raise CorpusError(f"{where}: formulation {row['formulation_id']!r} has category/canonical "
                          f"{row['category']!r}/{row['canonical']!r}, but line {first[0]} has "
                          f"{first[1]!r}/{first[2]!r}")
    return {**row, "lemmas": lemmas, "row": line}


def match_formulations(tokens: pd.DataFrame, formulations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return every match of a formulation variant on the token lemma stream (stop words included).

    Matches of one formulation that overlap (a variant inside a longer one) are counted once:
    the earliest, then the longest, is kept. Variants of one formulation that lemmatize to the
    same sequence match as one, and ``variant`` names them all ("Four Confidences / Four Confidence").

    Returns
    -------
    DataFrame
        formulation_id, variant, doc_id, para_id, line (1-based seed line of the first token),
        token (row index into `tokens` of the first token), n_words.
    """
    require_columns(tokens, TOKEN_COLUMNS, stage="formulations")
    formulations = read_formulations() if formulations is None else formulations
    codes, categories = lemma_codes(tokens)
    para_key = paragraph_key(tokens)
    pieces = []
    # variants of one formulation with the same lemma sequence ("Four Confidence", "Four Confidences")
    # are one pattern, labelled with all their names
    patterns = formulations.groupby(["formulation_id", "lemmas"], sort=False)["variant"].agg(" / ".join)
    for (fid, lemmas), variant in patterns.items():
        starts, ends = match_sequences(codes, categories, para_key, list(lemmas), exact=True)
        if len(starts):
            pieces.append(pd.DataFrame({"formulation_id": fid, "variant": variant, "token": starts,
                                        "end": ends}))
    columns = ["formulation_id", "variant", "doc_id", "para_id", "line", "token", "n_words"]
    if not pieces:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    found = pd.concat(pieces, ignore_index=True)
    found["n_words"] = found["end"] - found["token"]
    found = found.sort_values(["formulation_id", "token", "n_words"], ascending=[True, True, False])
    # drop matches overlapping an earlier kept match of the same formulation
    fid = found["formulation_id"].to_numpy()
    start = found["token"].to_numpy()
    end = found["end"].to_numpy()
    keep = np.ones(len(found), dtype=bool)
    last_end, last_fid = -1, None
    for i in range(len(found)):
        if fid[i] == last_fid and start[i] < last_end:
            keep[i] = False
            continue
        last_fid, last_end = fid[i], end[i]
    found = found[keep]
    tok = found["token"].to_numpy()
    found = found.assign(doc_id=column_values(tokens["doc_id"])[tok],
                         para_id=tokens["para_id"].to_numpy()[tok].astype(np.int64),
                         line=tokens["line"].to_numpy()[tok].astype(np.int64))
    return found[columns].reset_index(drop=True)


def match_formulations_parts(tokens: pd.DataFrame, formulations: pd.DataFrame | None = None, client=None,
                             partitions: int | None = None) -> pd.DataFrame:
    """Return `match_formulations(tokens, formulations)`, matched in `partitions` blocks of whole
    documents in this process or (`client`) on Dask workers: each block's ``token`` row numbers are
    shifted by the block's first row and the blocks' matches put in the whole table's order
    (a match never crosses a paragraph, so the rows are the same). `partitions` defaults to 1 in this
    process and 4 per Dask worker."""
    from analysis.engine import default_partitions, gather

    require_columns(tokens, TOKEN_COLUMNS, stage="formulations")
    formulations = read_formulations() if formulations is None else formulations
    if partitions is None:
        partitions = 1 if client is None else default_partitions(client)
    ranges = document_parts(tokens, partitions, "count_formulations")
    parts = [tokens.iloc[a:b] for a, b in ranges]
    if client is None:
        found = [match_formulations(part, formulations) for part in parts]
    else:
        found = gather(client, client.map(match_formulations, parts, formulations=formulations, pure=False))
    if len(found) == 1:
        return found[0]
    found = pd.concat([f.assign(token=f["token"].astype(np.int64) + a) for f, (a, _) in zip(found, ranges)],
                      ignore_index=True)
    found = found.sort_values(["formulation_id", "token", "n_words"], ascending=[True, True, False], kind="stable")
    return found.reset_index(drop=True)


def count_formulations(tokens: pd.DataFrame, documents: pd.DataFrame,
                       formulations: pd.DataFrame | None = None, client=None,
                       partitions: int | None = None) -> pd.DataFrame:
    """Return the count and rate per 10,000 tokens of every formulation in every document.

    Parameters
    ----------
    tokens, documents : DataFrame
        The token and document tables.
    formulations : DataFrame, optional
        From `read_formulations` (default: the package's list).
    client, partitions : optional
        Match in blocks of documents, on Dask workers with a `client` (`match_formulations_parts`);
        the same table.

    Returns
    -------
    DataFrame
        formulation_id, doc_id, year, count, rate_per_10k, n_tokens, category, canonical,
        variants, first_line; one row per formulation x document (zeros included), in the list's
        order of formulations and the documents' order.
    """
    formulations = read_formulations() if formulations is None else formulations
    matches = match_formulations_parts(tokens, formulations, client, partitions)
    n_tokens = tokens.groupby(tokens["doc_id"].astype(str)).size()
    docs = documents[["doc_id", "year"]].assign(doc_id=documents["doc_id"].astype(str))
    meta = formulations.drop_duplicates("formulation_id")[["formulation_id", "category", "canonical"]]
    grid = meta.merge(docs, how="cross")
    counts = matches.groupby(["formulation_id", "doc_id"]).agg(count=("token", "size"), first_line=("line", "min"))
    per_variant = matches.groupby(["formulation_id", "doc_id", "variant"], sort=False).size().reset_index(name="n")
    per_variant["text"] = per_variant["variant"] + "=" + per_variant["n"].astype(str)
    variants = per_variant.groupby(["formulation_id", "doc_id"])["text"].agg("; ".join)
    grid = grid.join(counts, on=["formulation_id", "doc_id"]).join(variants.rename("variants"),
                                                                   on=["formulation_id", "doc_id"])
    grid["count"] = grid["count"].fillna(0).astype(np.int64)
    grid["first_line"] = grid["first_line"].fillna(0).astype(np.int64)
    grid["variants"] = grid["variants"].fillna("")
    grid["n_tokens"] = grid["doc_id"].map(n_tokens).fillna(0).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        grid["rate_per_10k"] = np.where(grid["n_tokens"] > 0, grid["count"] / grid["n_tokens"] * 1e4, 0.0)
        low, high = poisson_interval(grid["count"].to_numpy())
        per = np.where(grid["n_tokens"] > 0, 1e4 / grid["n_tokens"].clip(lower=1), 0.0)
        grid["rate_ci_low"], grid["rate_ci_high"] = low * per, high * per
    return grid[["formulation_id", "doc_id", "year", "count", "rate_per_10k", "rate_ci_low", "rate_ci_high",
                 "n_tokens", "category", "canonical", "variants", "first_line"]].reset_index(drop=True)


def poisson_interval(count, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Return the exact (Garwood) confidence interval of a Poisson count, as (low, high) counts.

    >>> [round(float(v), 3) for v in np.ravel(poisson_interval([0, 10]))]
    [0.0, 4.795, 3.689, 18.39]
    """
    count = np.asarray(count, dtype=float)
    a = 1 - level
    low = np.where(count > 0, stats.chi2.ppf(a / 2, 2 * count) / 2, 0.0)
    high = stats.chi2.ppf(1 - a / 2, 2 * (count + 1)) / 2
    return low, high


def formulations_by_year(counts: pd.DataFrame, documents: pd.DataFrame, exclude_versions: bool = True) -> pd.DataFrame:
    """Return formulation counts and rates per 10,000 tokens per year: `formulations_by` with
    ``by="year"``."""
    return formulations_by(counts, documents, "year", exclude_versions)


def formulations_by(counts: pd.DataFrame, documents: pd.DataFrame, by: str = "year",
                    exclude_versions: bool = True) -> pd.DataFrame:
    """Return formulation counts and rates per 10,000 tokens per group of documents.

    Parameters
    ----------
    counts : DataFrame
        From `count_formulations`.
    documents : DataFrame
        The documents table (doc_id, version_of and the column `by`).
    by : str, default "year"
        A column of `documents`: year, genre, translation or any column the manifest adds.
    exclude_versions : bool, default True
        Leave out documents that are another English version of a document (``version_of`` set),
        so one text is not counted twice in its group.

    Returns
    -------
    DataFrame
        formulation_id, <by>, count, n_tokens, rate_per_10k, n_docs.

    Raises
    ------
    ParameterError
        If `by` is not a column of `documents`.
    """
    require_columns(counts, {"formulation_id": "object", "doc_id": "object", "count": "int64",
                             "n_tokens": "int64"}, stage="formulations_by")
    require_columns(documents, {"doc_id": "object"}, stage="formulations_by")
    if by not in documents.columns or by == "doc_id":
        raise ParameterError("formulations_by", "by", f"{by!r}: not a group column of the documents table; "
                             f"choose from {', '.join(c for c in map(str, documents.columns) if c != 'doc_id')}")
    rows = counts
    if exclude_versions and "version_of" in documents.columns:
        versions = documents.loc[documents["version_of"].fillna("").astype(str) != "", "doc_id"].astype(str)
        rows = rows[~rows["doc_id"].isin(list(versions))]
    if by not in rows.columns:
        rows = rows.assign(**{by: rows["doc_id"].map(documents.set_index(documents["doc_id"].astype(str))[by])})
    out = rows.groupby(["formulation_id", by], sort=False).agg(
        count=("count", "sum"), n_tokens=("n_tokens", "sum"), n_docs=("doc_id", "nunique")).reset_index()
    out["rate_per_10k"] = np.where(out["n_tokens"] > 0, out["count"] / out["n_tokens"].clip(lower=1) * 1e4, 0.0)
    return out[["formulation_id", by, "count", "n_tokens", "rate_per_10k", "n_docs"]]


def first_appearances(tokens: pd.DataFrame, documents: pd.DataFrame,
                      formulations: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return, per formulation found, its first appearance: earliest document by date, then line.

    On the same date an original text comes before another English version of it (a document
    whose ``version_of`` is set), then documents sort by doc_id.

    Returns
    -------
    DataFrame
        formulation_id, canonical, category, doc_id, date, year, line, para_id, variant,
        total_count (matches in the corpus), n_docs (documents with a match).
    """
    require_columns(documents, {"doc_id": "object", "date": "object", "year": "int64"}, stage="first_appearances")
    formulations = read_formulations() if formulations is None else formulations
    matches = match_formulations(tokens, formulations)
    meta = formulations.drop_duplicates("formulation_id").set_index("formulation_id")
    dates = documents.assign(doc_id=documents["doc_id"].astype(str)).set_index("doc_id")
    is_version = (dates["version_of"].fillna("").astype(str) != "") if "version_of" in dates else \
        pd.Series(False, index=dates.index)
    matches = matches.assign(date=matches["doc_id"].map(dates["date"]).astype(str),
                             year=matches["doc_id"].map(dates["year"]),
                             _version=matches["doc_id"].map(is_version).astype(bool))
    ordered = matches.sort_values(["formulation_id", "date", "_version", "doc_id", "line", "para_id"])
    first = ordered.drop_duplicates("formulation_id").set_index("formulation_id")
    totals = matches.groupby("formulation_id").agg(total_count=("token", "size"), n_docs=("doc_id", "nunique"))
    out = first.join(totals)
    out["canonical"] = meta["canonical"].reindex(out.index)
    out["category"] = meta["category"].reindex(out.index)
    out = out.reset_index()
    return out[["formulation_id", "canonical", "category", "doc_id", "date", "year", "line", "para_id",
                "variant", "total_count", "n_docs"]].sort_values(["date", "line", "formulation_id"],
                                                                 ignore_index=True)


def formulation_concordance(tokens: pd.DataFrame, paragraphs: pd.DataFrame, formulation_id: str | None = None,
                            formulations: pd.DataFrame | None = None, window: int = 5) -> pd.DataFrame:
    """Return KWIC rows of every match of one formulation (or of all), with formulation_id and variant.

    Raises
    ------
    ConfigError
        If `formulation_id` is not in the list, or `window` < 1.
    """
    check_window(window, "formulation_concordance")
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "text": "object"}, stage="formulation_concordance")
    formulations = read_formulations() if formulations is None else formulations
    if formulation_id is not None:
        known = sorted(formulations["formulation_id"].unique())
        if formulation_id not in known:
            raise ParameterError("formulation_concordance", "formulation_id", f"{formulation_id!r}: unknown formulation; known: {', '.join(known)}")
        formulations = formulations[formulations["formulation_id"] == formulation_id]
    matches = match_formulations(tokens, formulations)
    starts = matches["token"].to_numpy(dtype=np.int64)
    rows = concordance_rows(tokens, paragraphs, starts, starts + matches["n_words"].to_numpy(dtype=np.int64), window)
    rows.insert(0, "variant", matches["variant"].to_numpy())
    rows.insert(0, "formulation_id", matches["formulation_id"].to_numpy())
    return rows


_NUMBER_WORDS = "|".join(_NUMBERS)
_NUMBERED = re.compile(r"\b(?:%s)(?:\s+(?:[A-Z][A-Za-z-]*|[Mm]ajor|[Bb]ig))+" % _NUMBER_WORDS)
_NUMBERED_QUOTED = re.compile(r'"((?:%s)\b[^"]{2,80})"' % _NUMBER_WORDS, re.IGNORECASE)
_QUOTED = re.compile(r'"([^"]{3,80})"')
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z-]+(?:'s)?"
                          r"(?:\s+(?:(?:of|and|the|on|for|with|in)\s+)*[A-Z][A-Za-z-]+(?:'s)?)+")
#: Last words (lemmas) that make a capitalised n-gram a name of an organ, place or law, not a slogan.
NAME_HEADS = frozenset({
    "ministry", "procuratorate", "province", "provincial", "river", "lake", "basin", "university",
    "commission", "committee", "court", "congress", "conference", "code", "law", "session", "federation",
    "delta", "canal", "wall", "mongolia", "kong", "jinping", "china", "cpc", "npc", "belt", "bureau",
    "administration", "office", "council", "association", "daily", "corps", "army", "league", "city",
    "county", "region", "area", "mountain", "sea", "ocean", "park", "group", "department", "plan",
    "rule", "regulation", "opinion", "provision", "interpretation", "notice",
})
#: First words (lemmas) that make a capitalised n-gram a name.
NAME_FIRSTS = frozenset({"ministry", "all-china", "china", "supreme", "state", "people's"})


def discover_formulations(paragraphs: pd.DataFrame, tokens: pd.DataFrame, formulations: pd.DataFrame | None = None,
                          min_paragraphs: int = 2, max_words: int = 8) -> pd.DataFrame:
    """Return candidate formulations the list lacks, ranked for a person to review.

    Candidates come from the analysed paragraphs' text (straight quotes after cleaning):

    - ``numbered``: a quoted phrase starting with a number word, Two to Ten ("four comprehensive"),
      or a number word followed by capitalised words ("Four Major Procuratorial Functions");
    - ``quoted``: other quoted phrases of 2 to `max_words` words;
    - ``capitalised``: runs of capitalised words inside a sentence (after a lower-case word or
      a comma: "Fengqiao Experience"), less names of organs, places and laws (last word in
      `NAME_HEADS`, first word in `NAME_FIRSTS`).

    Candidates are grouped by their lemma sequence (``key``); a key containing a listed variant,
    or equal to a curated multi-word term of `analysis.tokens`, is dropped. Numbered slogans are kept
    from one occurrence on; the others must recur in `min_paragraphs` paragraphs. Rows are
    ranked by kind (numbered, quoted, capitalised), then by documents, then by count.

    Returns
    -------
    DataFrame
        candidate (the most frequent surface form), key (lemmas joined by spaces), kind
        {"numbered", "quoted", "capitalised"}, count, n_paragraphs, n_docs, doc_ids, first_where
        ("doc_id:line" of the first occurrence).
    """
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "text": "object"}, stage="discover_formulations")
    formulations = read_formulations() if formulations is None else formulations
    analysed = paragraphs[paragraphs["kind"].isin(("body", "list"))] if "kind" in paragraphs else paragraphs
    hits = _candidate_hits(analysed, max_words)
    columns = ["candidate", "key", "kind", "count", "n_paragraphs", "n_docs", "doc_ids", "first_where"]
    if not hits:
        return pd.DataFrame(columns=columns)
    found = _new_candidates(hits, formulations)
    table = _candidate_table(found, min_paragraphs)
    if table.empty:
        return pd.DataFrame(columns=columns)
    first = found.sort_values(["doc_id", "para_id", "offset"]).drop_duplicates("key").set_index("key")
    lines = _lines_at(tokens, first["doc_id"].to_numpy(), first["para_id"].to_numpy(), first["offset"].to_numpy())
    first_where = pd.Series([f"{d}:{ln}" for d, ln in zip(first["doc_id"], lines)], index=first.index)
    table["first_where"] = table["key"].map(first_where)
    table = table.assign(rank=table["kind"].map(_KIND_ORDER)).sort_values(
        ["rank", "n_docs", "count", "key"], ascending=[True, False, False, True]).drop(columns="rank")
    return table[columns].reset_index(drop=True)


#: Rank of each kind of candidate (the first kind wins a place in the text; rows are ranked by it).
_KIND_ORDER = {"numbered": 0, "quoted": 1, "capitalised": 2}


def _candidate_hits(analysed: pd.DataFrame, max_words: int) -> list[tuple]:
    """Return every candidate occurrence in the paragraphs' text, pattern by pattern, as (kind, key, surface,
    doc_id, para_id, character offset in the paragraph, 0-based)."""
    hits = []
    patterns = (("numbered", _NUMBERED_QUOTED), ("numbered", _NUMBERED), ("quoted", _QUOTED),
                ("capitalised", _CAPITALISED))
    for kind, regex in patterns:
        for doc_id, para_id, text in analysed[["doc_id", "para_id", "text"]].itertuples(index=False):
            for m in regex.finditer(text):
                group = m.group(1) if regex.groups else m.group(0)
                surface = group.strip(" ,.;:")
                words = TOKEN_PATTERN.findall(surface)
                lemmas = [lemmatize(w) for w in words]
                if not words or len(words) > max_words or (kind != "capitalised" and len(words) < 2):
                    continue
                if kind == "capitalised":
                    before = text[:m.start()].rstrip(' "(')
                    if not before or not (before[-1].islower() or before[-1] in ",;:") or \
                            lemmas[-1] in NAME_HEADS or lemmas[0] in NAME_FIRSTS:
                        continue
                hits.append((kind, " ".join(lemmas), surface, str(doc_id), int(para_id),
                             m.start(1) if regex.groups else m.start()))
    return hits


def _new_candidates(hits: list[tuple], formulations: pd.DataFrame) -> pd.DataFrame:
    """Return the hits as a table, one per place in the text (the first kind, then the longest), less keys that
    contain a listed variant or equal a curated multi-word term."""
    from analysis.tokens import curated_terms

    found = pd.DataFrame(hits, columns=["kind", "key", "surface", "doc_id", "para_id", "offset"])
    # one candidate per place in the text: the first kind, then the longest
    found = found.assign(rank=found["kind"].map(_KIND_ORDER), length=found["key"].str.len())
    found = found.sort_values(["rank", "length"], ascending=[True, False])
    found = found.drop_duplicates(["doc_id", "para_id", "offset"])
    variants = [" ".join(lem) for lem in formulations["lemmas"]]
    curated = {" ".join(k) for k in curated_terms()}
    return found[~found["key"].map(lambda k: k in curated or any(f" {v} " in f" {k} " for v in variants))]


def _candidate_table(found: pd.DataFrame, min_paragraphs: int) -> pd.DataFrame:
    """Return one row per key (candidate, key, kind, count, n_paragraphs, n_docs, doc_ids): numbered ones, and
    the others found in at least `min_paragraphs` paragraphs."""
    kind = found.sort_values("rank").groupby("key")["kind"].first()
    grouped = found.groupby("key")
    table = pd.DataFrame({
        "candidate": grouped["surface"].agg(lambda s: s.value_counts().index[0]),
        "kind": kind, "count": grouped.size(),
        "n_paragraphs": found.drop_duplicates(["key", "doc_id", "para_id"]).groupby("key").size(),
        "n_docs": grouped["doc_id"].nunique(),
        "doc_ids": grouped["doc_id"].agg(lambda s: ";".join(sorted(set(s)))),
    }).rename_axis("key").reset_index()
    return table[(table["kind"] == "numbered") | (table["n_paragraphs"] >= min_paragraphs)]


def _lines_at(tokens: pd.DataFrame, doc_ids, para_ids, offsets) -> list[int]:
    """Return the seed line of the first token at or after each character offset of a paragraph."""
    key = pd.MultiIndex.from_arrays([tokens["doc_id"].astype(str), tokens["para_id"].astype(np.int64)])
    out = []
    groups = pd.Series(np.arange(len(tokens))).groupby(key).agg(["min", "max"])
    bounds = dict(zip(groups.index, zip(groups["min"], groups["max"])))
    start, line = tokens["start"].to_numpy(), tokens["line"].to_numpy()
    for d, p, off in zip(doc_ids, para_ids, offsets):
        lo, hi = bounds[(d, int(p))]
        i = lo + int(np.searchsorted(start[lo:hi + 1], off))
        out.append(int(line[min(i, hi)]))
    return out
