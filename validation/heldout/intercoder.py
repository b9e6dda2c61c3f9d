"""Agreement of the two independent codings of the held-out set (no texts needed).

    python validation/heldout/intercoder.py --out intercoder.csv

Reads ``coding.csv`` (coder 1) and ``coding_coder2.csv`` (coder 2) beside this script: the same
paragraphs (``doc_id``, ``para_no``), each coded by the construct definitions of THEMES.md alone, neither
coder seeing the other's codes. Scores coder 2 against coder 1 with `analysis.themes.score_labels` (the
toolkit's paragraph bootstrap: 2,000 replicates, seed 12345, 95% intervals), so Cohen's kappa and each
category's F1 (the specific agreement, symmetric in the two coders) come with the same intervals as the
methods' scores. ``split`` restricts to the ``test`` or ``development`` texts of ``sources.csv``.

Writes ``subset`` (all, test, development) plus the columns of `analysis.themes.SCORE_COLUMNS` (method
``coder2``; kappa and accuracy on the macro rows) and prints kappa and raw agreement per subset.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis import themes

HERE = Path(__file__).resolve().parent
CATEGORIES = ("security", "development", "livelihood", "supervision")


def read_coding(path: Path) -> pd.DataFrame:
    """Return doc_id, para_id (= para_no), category of a coding file; ValueError naming a bad row."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"doc_id", "para_no", "category"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: no column(s) {', '.join(sorted(missing))}")
    bad = ~table["category"].isin([*CATEGORIES, "none"])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise ValueError(f"{path}:{row + 2}: category {table['category'].iloc[row]!r} is not one of "
                         f"{', '.join(CATEGORIES)}, none")
    return pd.DataFrame({"doc_id": table["doc_id"], "para_id": table["para_no"].astype("int64"),
                         "category": table["category"]})


def agreement(first: pd.DataFrame, second: pd.DataFrame, splits: dict[str, str] | None = None,
              n_boot: int = 2000, seed: int = 12345) -> pd.DataFrame:
    """Return the scores of `second` against `first` (module docstring), per subset of texts.

    `splits` maps doc_id -> "test" or "development"; ValueError if the codings cover other paragraphs.
    """
    keys = ["doc_id", "para_id"]
    if not first[keys].sort_values(keys).reset_index(drop=True).equals(
            second[keys].sort_values(keys).reset_index(drop=True)):
        raise ValueError("the two codings do not cover the same paragraphs (doc_id, para_no)")
    labels = second.rename(columns={"category": "theme"})
    subsets = {"all": first}
    for split in ("test", "development"):
        if splits:
            subsets[split] = first[first["doc_id"].map(splits) == split]
    tables = []
    for subset, gold in subsets.items():
        table, _ = themes.score_labels(gold.reset_index(drop=True), {"coder2": labels}, list(CATEGORIES),
                                       n_boot=n_boot, seed=seed)
        tables.append(table.assign(subset=subset))
    out = pd.concat(tables, ignore_index=True)
    return out[["subset", *themes.SCORE_COLUMNS]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=Path, default=HERE / "coding.csv", help="coder 1's file")
    parser.add_argument("--second", type=Path, default=HERE / "coding_coder2.csv", help="coder 2's file")
    parser.add_argument("--sources", type=Path, default=HERE / "sources.csv", help="sources.csv with a split column")
    parser.add_argument("--out", type=Path, required=True, help="CSV to write")
    args = parser.parse_args(argv)
    try:
        sources = pd.read_csv(args.sources, dtype=str, keep_default_na=False)
        splits = dict(zip(sources["doc_id"], sources["split"])) if "split" in sources.columns else None
        table = agreement(read_coding(args.first), read_coding(args.second), splits)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table.to_csv(args.out, index=False, lineterminator="\n")
    macro = table[table["category"] == "macro"]
    print("; ".join(f"{r.subset}: kappa {r.kappa:.3f} [{r.kappa_ci_low:.3f}, {r.kappa_ci_high:.3f}], "
                    f"agreement {r.accuracy:.3f}, n {r.n}" for r in macro.itertuples()) + f" -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
