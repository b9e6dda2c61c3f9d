"""Concordance of matches and the precision audit (sample, read back, score)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.config import ThemesConfig
from analysis.corpus import Corpus, require_columns
from analysis.errors import AnalysisError
from analysis.query import check_window, concordance_rows
from analysis.streams import group_rng
from analysis.themes.lexicon import EXCLUDE

# --------------------------------------------------------------------------- concordance and audit


def concordance(corpus: Corpus, matches: pd.DataFrame, entry: str | None = None, theme: str | None = None,
                window: int = 10) -> pd.DataFrame:
    """Return matches in context (key word in context), for checking an entry by eye.

    Built by `analysis.query.concordance_rows`, the same concordance `kwic` gives.

    Parameters
    ----------
    corpus : Corpus
    matches : DataFrame
        The result of `match_lexicon`.
    entry, theme : str, optional
        Keep only this entry's (pattern as written) or this theme's matches.
    window : int, default 10
        Word tokens of context on each side, clipped at the paragraph's edges.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line, left, match, right, theme, entry (``line``: 1-based source
        line of the match's first token).
    """
    check_window(window, "concordance")
    sub = matches
    if entry is not None:
        sub = sub[sub["entry"] == entry]
    if theme is not None:
        sub = sub[sub["theme"] == theme]
    tokens = corpus.tokens
    row_of = pd.Series(np.arange(len(tokens), dtype=np.int64), index=pd.MultiIndex.from_arrays(
        [tokens["doc_id"].astype(str), tokens["para_id"].astype("int64"), tokens["position"].astype("int64")]))
    starts = row_of.reindex(pd.MultiIndex.from_arrays(
        [sub["doc_id"].astype(str), sub["para_id"].astype("int64"), sub["position"].astype("int64")])).to_numpy()
    rows = concordance_rows(tokens, corpus.paragraphs, starts, starts + sub["length"].to_numpy(dtype=np.int64), window)
    rows = rows.rename(columns={"line_start": "line"}).assign(theme=sub["theme"].to_numpy(),
                                                              entry=sub["entry"].to_numpy())
    return rows[["doc_id", "para_id", "line", "left", "match", "right", "theme", "entry"]]


def _categories(themes, categories) -> list[str]:
    """Return `categories`, or the themes in order of first appearance (exclude left out)."""
    if categories is not None:
        return list(categories)
    return [t for t in dict.fromkeys(map(str, themes)) if t != EXCLUDE]


def audit_sample(corpus: Corpus, matches: pd.DataFrame, config: ThemesConfig | None = None,
                 categories: list[str] | None = None) -> pd.DataFrame:
    """Return a coding sheet: a seeded sample of each category entry's matches in context.

    Stratified by entry: up to `config.audit_per_entry` matches of every entry of the categories
    (all of them when it has fewer), drawn without replacement from a generator seeded with
    ``config.seed`` and the entry, so adding an entry does not change the others' samples.

    Parameters
    ----------
    categories : list of str, optional
        The lexicon's categories (`Lexicon.categories`), which also give the sheet's order;
        default the matches' categories in order of first appearance.

    Returns
    -------
    DataFrame
        Columns doc_id, para_id, line, left, match, right, theme, entry, correct (empty, for the
        coder: 1 if the match speaks of its theme in this context, 0 if not).
    """
    config = config or ThemesConfig()
    categories = _categories(matches["theme"], categories)
    themed = matches[matches["theme"].isin(categories)].reset_index(drop=True)
    picks = []
    for entry, group in sorted(themed.groupby("entry").groups.items()):
        idx = np.asarray(group)
        if len(idx) > config.audit_per_entry:
            rng = group_rng(config.seed, f"audit:{entry}")
            idx = np.sort(rng.choice(idx, size=config.audit_per_entry, replace=False))
        picks.append(idx)
    chosen = themed.iloc[np.concatenate(picks)] if picks else themed.iloc[:0]
    sheet = concordance(corpus, chosen)
    sheet = sheet.sort_values(["theme", "entry", "doc_id", "para_id", "line"], kind="stable", ignore_index=True)
    sheet["theme"] = pd.Categorical(sheet["theme"], categories=categories)
    sheet = sheet.sort_values(["theme", "entry"], kind="stable", ignore_index=True)
    sheet["theme"] = sheet["theme"].astype(str)
    sheet["correct"] = ""
    return sheet


_TRUE = {"1", "y", "yes", "true", "t"}
_FALSE = {"0", "n", "no", "false", "f"}


def read_audit(path: str | Path, categories: list[str] | None = None, entries: dict[str, str] | None = None,
               doc_ids: set[str] | None = None) -> pd.DataFrame:
    """Read a marked coding sheet and return its rows with a boolean-or-missing `correct` column.

    Accepted marks: 1/0, yes/no, y/n, true/false (any case); an empty cell means not coded. A row
    repeating an earlier one (every column but `correct` equal, e.g. pasted twice) counts once,
    with an `AnalysisWarning`; repeats marked differently are an error.

    Parameters
    ----------
    path : path
        The sheet (as written by `audit_sample`, with `correct` filled in).
    categories : list of str, optional
        The lexicon's categories: the allowed values of ``theme``; default any non-empty value.
    entries : dict of str to str, optional
        Lexicon entry (pattern as written) -> its theme; when given, every row's entry must be one
        of them, under its theme.
    doc_ids : set of str, optional
        When given, every row's doc_id must be one of them.

    Raises
    ------
    AnalysisError
        If the file is missing or not CSV, lacks a column, has a row without a doc_id, a 1-based
        para_id or an entry (or naming one not in `doc_ids` / `entries`), repeats marked
        differently, or another value in `correct` (the message names the file, the 1-based row
        number counting the header as row 1, the field and the value).
    """
    path = Path(path)
    try:
        sheet = pd.read_csv(path, dtype=str, keep_default_na=False)
    except IsADirectoryError:
        raise AnalysisError(f"{path}: coding sheet is a folder; expected a CSV file") from None
    except FileNotFoundError:
        raise AnalysisError(f"{path}: coding sheet not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{path}: coding sheet is not a readable CSV ({exc})") from None
    missing = [c for c in ("doc_id", "para_id", "theme", "entry", "correct") if c not in sheet.columns]
    if missing:
        raise AnalysisError(f"{path}: coding sheet has no column(s) {', '.join(missing)}")
    marks = []
    for row_no, (value, theme, doc_id, para_id, entry) in enumerate(
            zip(sheet["correct"], sheet["theme"], sheet["doc_id"], sheet["para_id"], sheet["entry"]), start=2):
        v = value.strip().lower()
        allowed = theme in categories if categories is not None else bool(theme.strip()) and theme != EXCLUDE
        if not allowed:
            raise AnalysisError(f"{path}:{row_no}: field 'theme' is {theme!r}; expected one of "
                                f"{', '.join(categories) if categories is not None else 'the lexicon categories'}")
        _check_audit_row(f"{path}:{row_no}", doc_id, para_id, entry, theme, entries, doc_ids)
        if v in _TRUE:
            marks.append(True)
        elif v in _FALSE:
            marks.append(False)
        elif v == "":
            marks.append(pd.NA)
        else:
            raise AnalysisError(f"{path}:{row_no}: field 'correct' is {value!r}; expected 1/0, yes/no, "
                                "true/false or empty (not coded)")
    sheet["correct"] = pd.array(marks, dtype="boolean")
    return _drop_repeated_rows(sheet, path)


def _check_audit_row(where: str, doc_id: str, para_id: str, entry: str, theme: str,
                     entries: dict[str, str] | None, doc_ids: set[str] | None) -> None:
    """Raise AnalysisError unless a coding-sheet row names a document, a paragraph and an entry."""
    if not doc_id.strip():
        raise AnalysisError(f"{where}: field 'doc_id' is empty; every coded row names its document")
    if doc_ids is not None and doc_id not in doc_ids:
        raise AnalysisError(f"{where}: field 'doc_id' is {doc_id!r}, which is not a document of the corpus")
    if not para_id.strip().isdigit() or int(para_id) < 1:
        raise AnalysisError(f"{where}: field 'para_id' is {para_id!r}; expected a paragraph number >= 1")
    if not entry.strip():
        raise AnalysisError(f"{where}: field 'entry' is empty; every coded row names its lexicon entry")
    if entries is not None and entries.get(entry) != theme:
        found = f"listed under {entries[entry]!r}" if entry in entries else "not an entry of the lexicon"
        raise AnalysisError(f"{where}: field 'entry' is {entry!r} with theme {theme!r}; it is {found}")


def _drop_repeated_rows(sheet: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Return `sheet` with rows repeating an earlier one (all columns but `correct`) left out."""
    import warnings

    from analysis.errors import AnalysisWarning

    key = [c for c in sheet.columns if c != "correct"]
    repeated = sheet.duplicated(key, keep="first")
    if not repeated.any():
        return sheet
    marks = sheet.assign(_mark=sheet["correct"].astype("string").fillna("")).groupby(key)["_mark"].nunique()
    if (marks > 1).any():
        clash = sheet.set_index(key).index.isin(marks[marks > 1].index)
        rows = [i + 2 for i in range(len(sheet)) if clash[i]]
        raise AnalysisError(f"{path}:{rows[1]}: field 'correct' differs from row {rows[0]}, which codes the "
                            "same match; code each match once")
    rows = [i + 2 for i in range(len(sheet)) if repeated.iloc[i]]
    warnings.warn(f"{path}: {len(rows)} row(s) repeat an earlier row and count once (rows "
                  f"{', '.join(map(str, rows[:5]))}{', ...' if len(rows) > 5 else ''})", AnalysisWarning,
                  stacklevel=3)
    return sheet[~repeated].reset_index(drop=True)


def audit_precision(sheet: pd.DataFrame, alpha: float = 0.05,
                    categories: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return per-entry and per-theme precision of a marked coding sheet, with Wilson intervals.

    Parameters
    ----------
    sheet : DataFrame
        The result of `read_audit` (rows with an empty mark are left out).
    alpha : float, default 0.05
        1 - confidence level of the Wilson interval (statsmodels `proportion_confint`).
    categories : list of str, optional
        Order of the rows; default the sheet's themes in order of first appearance.

    Returns
    -------
    by_entry, by_theme : DataFrame
        Columns theme, [entry,] n_coded, n_correct, precision, precision_ci_low, precision_ci_high.

    Raises
    ------
    AnalysisError
        If no row is coded.
    """
    from statsmodels.stats.proportion import proportion_confint

    require_columns(sheet, {"theme": "object", "entry": "object", "correct": "object"}, stage="audit_precision")
    coded = sheet[sheet["correct"].notna()].copy()
    if coded.empty:
        raise AnalysisError("audit_precision: no row of the coding sheet is marked in 'correct'")
    coded["correct"] = coded["correct"].astype(bool)

    def summarise(keys):
        out = coded.groupby(keys, sort=True)["correct"].agg(n_coded="size", n_correct="sum").reset_index()
        out["n_correct"] = out["n_correct"].astype("int64")
        out["precision"] = out["n_correct"] / out["n_coded"]
        lo, hi = proportion_confint(out["n_correct"], out["n_coded"], alpha=alpha, method="wilson")
        out["precision_ci_low"], out["precision_ci_high"] = np.asarray(lo), np.asarray(hi)
        return out

    rank = {t: k for k, t in enumerate(_categories(sheet["theme"], categories))}
    by_entry, by_theme = summarise(["theme", "entry"]), summarise(["theme"])
    by_entry = by_entry.sort_values(["theme", "entry"], key=lambda s: s.map(rank) if s.name == "theme" else s,
                                    ignore_index=True)
    by_theme = by_theme.sort_values("theme", key=lambda s: s.map(rank), ignore_index=True)
    return by_entry, by_theme
