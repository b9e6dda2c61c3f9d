"""Validation of the dictionary labels: structure labels, versions, entry counts, leave-one-out."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.corpus import Corpus, require_columns
from analysis.query import column_values
from analysis.themes.lexicon import THEMES, Lexicon
from analysis.themes.matching import match_lexicon

# --------------------------------------------------------------------------- validation


def structure_labels(paragraphs: pd.DataFrame) -> pd.DataFrame:
    """Return the analysed paragraphs whose section says which theme they are about.

    The 2023 report (``report-2023``; ``report-2023-xinhua`` as a secondary check), part "Review
    of the work ...", sections 1-4 -> security, development, livelihood, supervision; the 2021
    Opinions (``opinions-2021``) items 1, 2, 3 -> security, development, livelihood and items 5-13
    -> supervision.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, section_theme.
    """
    rows = paragraphs[paragraphs["kind"].isin(("body", "list"))]
    rows = rows.assign(section_theme="")
    report = rows["doc_id"].isin(("report-2023", "report-2023-xinhua")) & \
        rows["part"].str.lower().str.startswith("review of") & rows["section_no"].isin(("1", "2", "3", "4"))
    rows.loc[report, "section_theme"] = rows.loc[report, "section_no"].map(
        {str(k + 1): t for k, t in enumerate(THEMES)})
    item_map = {"1": "security", "2": "development", "3": "livelihood",
                **{str(k): "supervision" for k in range(5, 14)}}
    opinions = (rows["doc_id"] == "opinions-2021") & rows["item_no"].isin(item_map)
    rows.loc[opinions, "section_theme"] = rows.loc[opinions, "item_no"].map(item_map)
    return rows.loc[rows["section_theme"] != "", ["doc_id", "para_id", "section_theme"]].reset_index(drop=True)


def validate_structure(paragraph_themes: pd.DataFrame, paragraphs: pd.DataFrame,
                       primary: tuple[str, ...] = ("report-2023", "opinions-2021")) -> pd.DataFrame:
    """Score paragraph labels against the section themes: precision, recall, F1 per theme and macro.

    Labels come from body text only (headings carry no tokens). A paragraph labelled "none" counts
    as a miss of its section theme. Scores use `sklearn.metrics.precision_recall_fscore_support`
    over the four themes.

    Parameters
    ----------
    paragraph_themes : DataFrame
        The result of `score_paragraphs`.
    paragraphs : DataFrame
        The corpus paragraph table (kind, part, section_no, item_no).
    primary : tuple of str
        Documents of the main check; ``report-2023-xinhua`` is scored separately as "secondary".

    Returns
    -------
    DataFrame
        Columns check ({"primary", "secondary"}), theme (a theme or "macro"), precision, recall,
        f1, support (paragraphs with that section theme), n (paragraphs scored).
    """
    from sklearn.metrics import precision_recall_fscore_support

    require_columns(paragraph_themes, {"doc_id": "object", "para_id": "int64", "theme": "object"}, stage="validate_structure")
    require_columns(paragraphs, {"doc_id": "object", "para_id": "int64", "kind": "object", "part": "object", "section_no": "object",
                                 "item_no": "object"}, stage="validate_structure")
    gold = structure_labels(paragraphs)
    merged = gold.merge(paragraph_themes[["doc_id", "para_id", "theme"]], on=["doc_id", "para_id"], how="left")
    merged["theme"] = merged["theme"].fillna("none")
    out = []
    for check, mask in (("primary", merged["doc_id"].isin(primary)),
                        ("secondary", ~merged["doc_id"].isin(primary))):
        sub = merged[mask]
        if sub.empty:
            continue
        p, r, f, s = precision_recall_fscore_support(sub["section_theme"], sub["theme"], labels=list(THEMES),
                                                     zero_division=0)
        for k, theme in enumerate(THEMES):
            out.append({"check": check, "theme": theme, "precision": p[k], "recall": r[k], "f1": f[k],
                        "support": int(s[k]), "n": len(sub)})
        mp, mr, mf, _ = precision_recall_fscore_support(sub["section_theme"], sub["theme"], labels=list(THEMES),
                                                        average="macro", zero_division=0)
        out.append({"check": check, "theme": "macro", "precision": mp, "recall": mr, "f1": mf,
                    "support": len(sub), "n": len(sub)})
    return pd.DataFrame(out, columns=["check", "theme", "precision", "recall", "f1", "support", "n"])


def compare_versions(document_themes: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Compare each document with the document it is another English version of (``version_of``).

    Returns
    -------
    DataFrame
        Columns doc_id, version_of, theme, share, share_ci_low, share_ci_high, other_share,
        other_ci_low, other_ci_high, share_difference (share of `doc_id` minus share of
        `version_of`), intervals_overlap (bool).
    """
    require_columns(document_themes, {"doc_id": "object", "theme": "object", "share": "float64",
                                      "share_ci_low": "float64", "share_ci_high": "float64"}, stage="compare_versions")
    require_columns(documents, {"doc_id": "object", "version_of": "object"}, stage="compare_versions")
    pairs = documents.loc[documents["version_of"].fillna("").astype(str) != "", ["doc_id", "version_of"]]
    cols = ["share", "share_ci_low", "share_ci_high"]
    rows = []
    table = document_themes.set_index(["doc_id", "theme"])
    for doc_id, other in pairs.itertuples(index=False):
        for theme in THEMES:
            if (doc_id, theme) not in table.index or (other, theme) not in table.index:
                continue
            a, b = table.loc[(doc_id, theme), cols], table.loc[(other, theme), cols]
            rows.append({"doc_id": doc_id, "version_of": other, "theme": theme,
                         "share": a["share"], "share_ci_low": a["share_ci_low"], "share_ci_high": a["share_ci_high"],
                         "other_share": b["share"], "other_ci_low": b["share_ci_low"],
                         "other_ci_high": b["share_ci_high"], "share_difference": a["share"] - b["share"],
                         "intervals_overlap": bool(a["share_ci_low"] <= b["share_ci_high"]
                                                   and b["share_ci_low"] <= a["share_ci_high"])})
    return pd.DataFrame(rows, columns=["doc_id", "version_of", "theme", "share", "share_ci_low", "share_ci_high",
                                       "other_share", "other_ci_low", "other_ci_high", "share_difference",
                                       "intervals_overlap"])


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
        share_change (after - before), max_abs_change (largest absolute change over the four
        themes), most_changed_theme; sorted by max_abs_change, largest first.
    """
    if matches is None:
        matches = match_lexicon(corpus.tokens, lexicon)
    themed = matches[matches["theme"].isin(THEMES)]
    base = themed.groupby(["doc_id", "theme"]).size().unstack("theme").reindex(columns=list(THEMES)).fillna(0)
    base.loc["all"] = base.sum(axis=0)
    tokens = corpus.tokens
    doc_arr = column_values(tokens["doc_id"])
    para_arr = tokens["para_id"].to_numpy()
    boundary = np.ones(len(tokens) + 1, dtype=bool)
    if len(tokens) > 1:
        boundary[1:len(tokens)] = (doc_arr[1:] != doc_arr[:-1]) | (para_arr[1:] != para_arr[:-1])
    cut = np.flatnonzero(boundary)
    span = {(doc_arr[a], int(para_arr[a])): (a, b) for a, b in zip(cut[:-1], cut[1:])}
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
        delta = (new[new["theme"].isin(THEMES)].groupby(["doc_id", "theme"]).size()
                 .sub(old[old["theme"].isin(THEMES)].groupby(["doc_id", "theme"]).size(), fill_value=0)
                 .unstack("theme").reindex(columns=list(THEMES)).fillna(0))
        delta.loc["all"] = delta.sum(axis=0)
        n_hit = hit.groupby("doc_id").size()
        n_hit.loc["all"] = len(hit)
        for doc_id in delta.index:
            before = base.loc[doc_id].to_numpy(dtype=float)
            after = before + delta.loc[doc_id].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                s0 = before / before.sum() if before.sum() else np.full(4, np.nan)
                s1 = after / after.sum() if after.sum() else np.full(4, np.nan)
            change = np.nan_to_num(s1 - s0)
            k = THEMES.index(entry.theme) if entry.theme in THEMES else int(np.argmax(np.abs(change)))
            j = int(np.argmax(np.abs(change)))
            rows.append({"theme": entry.theme, "entry": entry.pattern, "doc_id": doc_id,
                         "matches": int(n_hit.get(doc_id, 0)), "share_before": s0[k], "share_after": s1[k],
                         "share_change": s1[k] - s0[k], "max_abs_change": abs(change[j]),
                         "most_changed_theme": THEMES[j]})
    out = pd.DataFrame(rows, columns=["theme", "entry", "doc_id", "matches", "share_before", "share_after",
                                      "share_change", "max_abs_change", "most_changed_theme"])
    return out.sort_values(["max_abs_change", "entry", "doc_id"], ascending=[False, True, True],
                           kind="stable", ignore_index=True)
