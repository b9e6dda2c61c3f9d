"""Validation of the dictionary labels: structure labels (from a mapping file), versions, entry counts,
leave-one-out."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import ThemesConfig
from analysis.corpus import Corpus, require_columns
from analysis.errors import ConfigError
from analysis.intervals import f1_interval
from analysis.io import read_text_csv
from analysis.query import column_values
from analysis.streams import group_rng
from analysis.themes.lexicon import Lexicon
from analysis.themes.matching import match_lexicon
from analysis.themes.rates import share_difference

# --------------------------------------------------------------------------- validation


STRUCTURE_CHECKS = ("primary", "secondary")


def default_structure_path() -> Path:
    """Return the path of the seed corpus's structure mapping (``analysis/data/structure_seeds.csv``)."""
    return Path(str(resources.files("analysis.data").joinpath("structure_seeds.csv")))


def read_structure(path: str | Path | None = None, doc_ids=None, categories=None) -> pd.DataFrame:
    """Read a structure mapping: which sections or items of which documents are about which category.

    The CSV has one row per rule, columns ``doc_id`` and ``category`` and any of ``part`` (the
    paragraph's part starts with this text, any case), ``section`` (its ``section_no``), ``item``
    (its ``item_no``) and ``check`` ({"primary", "secondary"}, default "primary": secondary rows,
    e.g. a second translation, are scored apart); an empty cell matches anything. Extra columns
    are ignored.

    Parameters
    ----------
    path : path, optional
        Default the seed corpus's mapping (`default_structure_path`); its rules for documents
        not in `doc_ids`, or for categories not in `categories`, are dropped.
    doc_ids, categories : iterable of str, optional
        The corpus's documents and the lexicon's categories; a user's file naming another is an error.

    Returns
    -------
    DataFrame
        Columns doc_id, part, section, item, category, check, row (1-based row of the file,
        the header being row 1).

    Raises
    ------
    ConfigError
        If the file is missing or not CSV, lacks ``doc_id`` or ``category``, or a row names an
        unknown document, category or check (the message names the file, row and field).
    """
    default = path is None
    path = Path(path) if path is not None else default_structure_path()
    table = read_text_csv(path, "structure mapping", ConfigError)
    missing = [c for c in ("doc_id", "category") if c not in table.columns]
    if missing:
        raise ConfigError(f"{path}: structure mapping has no column(s) {', '.join(missing)}; expected doc_id, "
                          "category and any of part, section, item, check")
    table = table.assign(**{c: table[c] if c in table.columns else "" for c in ("part", "section", "item")})
    table["check"] = table["check"].replace("", "primary") if "check" in table.columns else "primary"
    table = table.apply(lambda col: col.str.strip())
    table["row"] = np.arange(2, len(table) + 2)
    known_docs = set(map(str, doc_ids)) if doc_ids is not None else None
    known_categories = list(categories) if categories is not None else None
    keep = np.ones(len(table), dtype=bool)
    for i, r in enumerate(table.itertuples(index=False)):
        bad = None
        if known_docs is not None and r.doc_id not in known_docs:
            bad = ("doc_id", r.doc_id, "a doc_id of the corpus")
        elif known_categories is not None and r.category not in known_categories:
            bad = ("category", r.category, f"one of {', '.join(known_categories)}")
        elif r.check not in STRUCTURE_CHECKS:
            bad = ("check", r.check, "primary or secondary")
        if bad and default:
            keep[i] = False
        elif bad:
            raise ConfigError(f"{path}:{r.row}: field {bad[0]!r} is {bad[1]!r}; expected {bad[2]}")
    return table.loc[keep, ["doc_id", "part", "section", "item", "category", "check", "row"]].reset_index(drop=True)


def structure_labels(paragraphs: pd.DataFrame, mapping: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return the analysed paragraphs whose section or item says which category they are about.

    Body and list paragraphs only. The first rule of `mapping` that matches a paragraph gives its
    category. The seed corpus's mapping is the default (``analysis/data/structure_seeds.csv``: the
    sections of the 2023 report's review of the work, its Xinhua version as a secondary check, and
    the items of the 2021 Opinions).

    Parameters
    ----------
    paragraphs : DataFrame
        The corpus paragraph table (doc_id, para_id, kind, part, section_no, item_no).
    mapping : DataFrame, optional
        The result of `read_structure`; default `read_structure()` for the paragraphs' documents.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, section_theme (the category), check.
    """
    if mapping is None:
        mapping = read_structure(doc_ids=paragraphs["doc_id"].unique())
    rows = paragraphs[paragraphs["kind"].isin(("body", "list"))].reset_index(drop=True)
    label = np.full(len(rows), "", dtype=object)
    check = np.full(len(rows), "", dtype=object)
    part = rows["part"].fillna("").astype(str).str.lower()
    section = rows["section_no"].fillna("").astype(str)
    item = rows["item_no"].fillna("").astype(str)
    doc = rows["doc_id"].astype(str)
    for r in mapping.itertuples(index=False):
        mask = (doc == r.doc_id).to_numpy() & (label == "")
        if r.part:
            mask &= part.str.startswith(r.part.lower()).to_numpy()
        if r.section:
            mask &= (section == r.section).to_numpy()
        if r.item:
            mask &= (item == r.item).to_numpy()
        label[mask] = r.category
        check[mask] = r.check
    out = rows.assign(section_theme=label, check=check)
    return out.loc[out["section_theme"] != "", ["doc_id", "para_id", "section_theme", "check"]].reset_index(drop=True)


def validate_structure(paragraph_themes: pd.DataFrame, paragraphs: pd.DataFrame,
                       primary: tuple[str, ...] | None = None, mapping: pd.DataFrame | None = None,
                       categories: list[str] | None = None, config: ThemesConfig | None = None) -> pd.DataFrame:
    """Score paragraph labels against the section categories: precision, recall, F1 per category and macro.

    Labels come from body text only (headings carry no tokens). A paragraph labelled "none" counts
    as a miss of its section category. Scores use `sklearn.metrics.precision_recall_fscore_support`
    over the lexicon's categories.

    Parameters
    ----------
    paragraph_themes : DataFrame
        The result of `score_paragraphs`.
    paragraphs : DataFrame
        The corpus paragraph table (kind, part, section_no, item_no).
    primary : tuple of str, optional
        Documents of the main check, the others being "secondary"; default the mapping's ``check``.
    mapping : DataFrame, optional
        The result of `read_structure`; default the seed corpus's mapping.
    categories : list of str, optional
        Default the ``count_<category>`` columns of `paragraph_themes`.

    config : ThemesConfig, optional
        ``n_boot``, ``ci_level`` and ``seed`` of the F1 intervals.

    Returns
    -------
    DataFrame
        Columns check ({"primary", "secondary"}), theme (a category or "macro"), precision, recall,
        f1, support (paragraphs with that section category), n (paragraphs scored), f1_ci_low,
        f1_ci_high (paragraph bootstrap, `analysis.intervals.f1_interval`, ``config.n_boot``
        replicates, stream ``group_rng(config.seed, "f1:<check>")``).
    """
    from analysis.themes.rates import categories_of

    config = config or ThemesConfig()
    require_columns(paragraph_themes, {"doc_id": "object", "para_id": "int64", "theme": "object"},
                    stage="validate_structure")
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "kind": "object", "part": "object",
                                 "section_no": "object", "item_no": "object"}, stage="validate_structure")
    categories = list(categories) if categories is not None else categories_of(paragraph_themes)
    gold = structure_labels(paragraphs, mapping)
    if primary is not None:
        gold["check"] = np.where(gold["doc_id"].isin(primary), "primary", "secondary")
    merged = gold.merge(paragraph_themes[["doc_id", "para_id", "theme"]], on=["doc_id", "para_id"], how="left")
    merged["theme"] = merged["theme"].fillna("none")
    out = []
    for check in STRUCTURE_CHECKS:
        sub = merged[merged["check"] == check]
        if sub.empty:
            continue
        out.extend(_check_scores(check, sub, categories, config))
    return pd.DataFrame(out, columns=["check", "theme", "precision", "recall", "f1", "support", "n",
                                      "f1_ci_low", "f1_ci_high"])


def _check_scores(check: str, sub: pd.DataFrame, categories: list[str], config: ThemesConfig) -> list[dict]:
    """Return the rows of one check (per category, then "macro") scoring ``theme`` against ``section_theme``."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(sub["section_theme"], sub["theme"], labels=categories,
                                                 zero_division=0)
    ci = f1_interval(sub["section_theme"].tolist(), sub["theme"].tolist(), categories,
                     group_rng(config.seed, f"f1:{check}"), config.n_boot, config.ci_level)
    out = []
    for k, theme in enumerate(categories):
        out.append({"check": check, "theme": theme, "precision": p[k], "recall": r[k], "f1": f[k],
                    "support": int(s[k]), "n": len(sub), "f1_ci_low": ci[theme][0], "f1_ci_high": ci[theme][1]})
    mp, mr, mf, _ = precision_recall_fscore_support(sub["section_theme"], sub["theme"], labels=categories,
                                                    average="macro", zero_division=0)
    out.append({"check": check, "theme": "macro", "precision": mp, "recall": mr, "f1": mf,
                "support": len(sub), "n": len(sub), "f1_ci_low": ci["macro"][0], "f1_ci_high": ci["macro"][1]})
    return out


VERSION_COLUMNS = ["doc_id", "version_of", "theme", "share", "share_ci_low", "share_ci_high", "other_share",
                   "other_ci_low", "other_ci_high", "share_difference", "intervals_overlap", "difference_ci_low",
                   "difference_ci_high", "equivalent", "equivalence_margin"]


def compare_versions(document_themes: pd.DataFrame, documents: pd.DataFrame,
                     paragraph_themes: pd.DataFrame | None = None, config: ThemesConfig | None = None) -> pd.DataFrame:
    """Compare each document with the document it is another English version of (``version_of``).

    With `paragraph_themes`, the difference of shares gets an interval and an equivalence test
    (`analysis.themes.rates.share_difference`: Agresti-Caffo on the design-effect-adjusted
    effective counts, level ``config.ci_level``; equivalent when the two one-sided tests reject at
    ``(1 - ci_level) / 2``, i.e. the 90% interval lies inside +- ``config.equivalence_margin``).
    The two versions are treated as independent samples of paragraphs; translations of one text
    are positively correlated, so the interval errs on the wide side.

    Returns
    -------
    DataFrame
        Columns `VERSION_COLUMNS`: doc_id, version_of, theme, share, share_ci_low, share_ci_high,
        other_share, other_ci_low, other_ci_high, share_difference (share of `doc_id` minus share
        of `version_of`), intervals_overlap (bool), difference_ci_low, difference_ci_high,
        equivalent (bool), equivalence_margin (NaN / missing without `paragraph_themes`).
    """
    require_columns(document_themes, {"doc_id": "object", "theme": "object", "share": "float64",
                                      "share_ci_low": "float64", "share_ci_high": "float64"}, stage="compare_versions")
    require_columns(documents, {"doc_id": "object", "version_of": "object"}, stage="compare_versions")
    config = config or ThemesConfig()
    pairs = documents.loc[documents["version_of"].fillna("").astype(str) != "", ["doc_id", "version_of"]]
    cols = ["share", "share_ci_low", "share_ci_high"]
    rows = []
    table = document_themes.set_index(["doc_id", "theme"])
    categories = list(dict.fromkeys(document_themes["theme"]))
    count_cols = [f"count_{t}" for t in categories]
    for doc_id, other in pairs.itertuples(index=False):
        diff = None
        if paragraph_themes is not None:
            a = paragraph_themes.loc[paragraph_themes["doc_id"] == doc_id, count_cols].to_numpy()
            b = paragraph_themes.loc[paragraph_themes["doc_id"] == other, count_cols].to_numpy()
            if len(a) and len(b):
                diff = share_difference(a, b, config.ci_level, config.equivalence_margin)
        for k, theme in enumerate(categories):
            if (doc_id, theme) not in table.index or (other, theme) not in table.index:
                continue
            a, b = table.loc[(doc_id, theme), cols], table.loc[(other, theme), cols]
            rows.append({"doc_id": doc_id, "version_of": other, "theme": theme,
                         "share": a["share"], "share_ci_low": a["share_ci_low"], "share_ci_high": a["share_ci_high"],
                         "other_share": b["share"], "other_ci_low": b["share_ci_low"],
                         "other_ci_high": b["share_ci_high"], "share_difference": a["share"] - b["share"],
                         "intervals_overlap": bool(a["share_ci_low"] <= b["share_ci_high"]
                                                   and b["share_ci_low"] <= a["share_ci_high"]),
                         "difference_ci_low": diff["low"][k] if diff else np.nan,
                         "difference_ci_high": diff["high"][k] if diff else np.nan,
                         "equivalent": bool(diff["equivalent"][k]) if diff else None,
                         "equivalence_margin": config.equivalence_margin if diff else np.nan})
    return pd.DataFrame(rows, columns=VERSION_COLUMNS)


def entry_counts(matches: pd.DataFrame, lexicon: Lexicon) -> pd.DataFrame:
    """Return each lexicon entry's matches per document (zeros included), plus a ``total`` column.

    Returns
    -------
    DataFrame
        Columns theme, entry, one column per doc_id (counts), total; in lexicon order.
    """
    table = lexicon.table()[["theme", "entry"]]
    wide = matches.groupby(["entry", "doc_id"]).size().unstack("doc_id", fill_value=0)
    wide = wide.reindex(table["entry"]).fillna(0).astype("int64")
    wide = wide.reindex(columns=sorted(wide.columns))
    out = pd.concat([table.reset_index(drop=True), wide.reset_index(drop=True)], axis=1)
    out["total"] = wide.sum(axis=1).to_numpy()
    return out


def leave_one_out(corpus: Corpus, lexicon: Lexicon, matches: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return how much each theme's share moves when one entry is removed from the lexicon.

    Removing an entry can let a shorter entry match the freed tokens, so the paragraphs where the
    entry matched are matched again without it (only those: the rest cannot change).

    Returns
    -------
    DataFrame
        One row per (entry, document; doc_id "all" pools the corpus) where the entry matched:
        theme, entry, doc_id, matches, share_before, share_after (of the entry's own theme),
        share_change (after - before), max_abs_change (largest absolute change over the
        categories), most_changed_theme; sorted by max_abs_change, largest first.
    """
    if matches is None:
        matches = match_lexicon(corpus.tokens, lexicon)
    categories = list(lexicon.categories)
    themed = matches[matches["theme"].isin(categories)]
    base = themed.groupby(["doc_id", "theme"]).size().unstack("theme").reindex(columns=categories).fillna(0)
    base.loc["all"] = base.sum(axis=0)
    tokens = corpus.tokens
    span = _paragraph_spans(tokens)
    rows = []
    for entry in lexicon.entries:
        hit = matches[matches["entry"] == entry.pattern]
        if hit.empty:
            continue
        paras = hit[["doc_id", "para_id"]].drop_duplicates()
        take = np.concatenate([np.arange(*span[(d, int(p))]) for d, p in paras.itertuples(index=False)])
        sub_tokens = tokens.iloc[take]
        old = matches.merge(paras, on=["doc_id", "para_id"])
        new = match_lexicon(sub_tokens, lexicon.without(entry.pattern), warn_unmatched=False)
        delta = (new[new["theme"].isin(categories)].groupby(["doc_id", "theme"]).size()
                 .sub(old[old["theme"].isin(categories)].groupby(["doc_id", "theme"]).size(), fill_value=0)
                 .unstack("theme").reindex(columns=categories).fillna(0))
        delta.loc["all"] = delta.sum(axis=0)
        n_hit = hit.groupby("doc_id").size()
        n_hit.loc["all"] = len(hit)
        rows.extend(_entry_changes(entry, base, delta, n_hit, categories))
    out = pd.DataFrame(rows, columns=["theme", "entry", "doc_id", "matches", "share_before", "share_after",
                                      "share_change", "max_abs_change", "most_changed_theme"])
    return out.sort_values(["max_abs_change", "entry", "doc_id"], ascending=[False, True, True],
                           kind="stable", ignore_index=True)


def _paragraph_spans(tokens: pd.DataFrame) -> dict[tuple, tuple[int, int]]:
    """Return (doc_id, para_id) -> (first, end) rows of the paragraph in the token table (0-based, half-open)."""
    doc_arr = column_values(tokens["doc_id"])
    para_arr = tokens["para_id"].to_numpy()
    boundary = np.ones(len(tokens) + 1, dtype=bool)
    if len(tokens) > 1:
        boundary[1:len(tokens)] = (doc_arr[1:] != doc_arr[:-1]) | (para_arr[1:] != para_arr[:-1])
    cut = np.flatnonzero(boundary)
    return {(doc_arr[a], int(para_arr[a])): (a, b) for a, b in zip(cut[:-1], cut[1:])}


def _entry_changes(entry, base: pd.DataFrame, delta: pd.DataFrame, n_hit: pd.Series,
                   categories: list[str]) -> list[dict]:
    """Return one entry's rows, one per document of `delta` (match counts after - before, per theme): the
    entry's theme's share before and after, and the largest absolute change of any theme's share."""
    rows = []
    for doc_id in delta.index:
        before = base.loc[doc_id].to_numpy(dtype=float)
        after = before + delta.loc[doc_id].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            s0 = before / before.sum() if before.sum() else np.full(len(categories), np.nan)
            s1 = after / after.sum() if after.sum() else np.full(len(categories), np.nan)
        change = np.nan_to_num(s1 - s0)
        k = categories.index(entry.theme) if entry.theme in categories else int(np.argmax(np.abs(change)))
        j = int(np.argmax(np.abs(change)))
        rows.append({"theme": entry.theme, "entry": entry.pattern, "doc_id": doc_id,
                     "matches": int(n_hit.get(doc_id, 0)), "share_before": s0[k], "share_after": s1[k],
                     "share_change": s1[k] - s0[k], "max_abs_change": abs(change[j]),
                     "most_changed_theme": categories[j]})
    return rows
