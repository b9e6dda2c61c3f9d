"""Score the dictionary and the classifier against the held-out coding, out of sample.

    python validation/heldout/score.py --manifest CORPUS/manifest.csv --out heldout_scores.csv

`CORPUS` is the folder `build.py` wrote (its ``gold.csv`` is the coding). The corpus's own
``analysis.toml`` is read as every command reads it; the lexicon is the package default and the
`none` threshold its default `[themes] min_score` (never calibrated on this set). Methods:
``dictionary``; ``classifier`` (the dictionary's labels, its ``none`` filled in by the model trained
on the dictionary's confident labels of this corpus, `[classifier]` settings); ``classifier_alone``
(the model labels every paragraph). No method sees the coding.

Two scorings, each by `analysis.themes.score_labels` (bootstrap of the coded paragraphs, the
`[themes]` seed and ``n_boot``): ``strict`` against the primary category; ``lenient`` where a
prediction equal to the coder's secondary category counts as right (the gold label of that
paragraph becomes the prediction for that method only).

Two subsets: ``all`` coded paragraphs, and ``unseen``: those of documents whose manifest column
``seen_by_lexicon`` is empty (the lexicon's issue-20 revision read the other documents, or another
version of them; ``sources.csv`` names the page). The models are the same in both (trained without
the coding); only the paragraphs scored differ.

Writes one CSV: ``subset``, ``scoring``, then the columns of `analysis.themes.SCORE_COLUMNS` (F1 etc. in [0, 1],
kappa on the macro rows), and prints the macro F1 of each method and scoring.
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import pandas as pd

import analysis
from analysis import themes
from analysis.config import load_config
from analysis.errors import AnalysisError

METHODS = ("dictionary", "classifier", "classifier_alone")


def label_paragraphs(corpus, lexicon, config) -> dict[str, pd.DataFrame]:
    """Return method -> labels (doc_id, para_id, theme) of every analysed paragraph."""
    dictionary = themes.score_paragraphs(corpus, lexicon, config.themes)
    alone = dataclasses.replace(config.classifier, fallback_only=False)
    return {"dictionary": dictionary,
            "classifier": themes.classify_paragraphs(corpus, lexicon, config.themes, config.classifier,
                                                     paragraph_themes=dictionary),
            "classifier_alone": themes.classify_paragraphs(corpus, lexicon, config.themes, alone,
                                                           paragraph_themes=dictionary)}


def lenient_gold(gold: pd.DataFrame, secondary: pd.Series, labels: pd.DataFrame) -> pd.DataFrame:
    """Return `gold` with the category of each paragraph whose predicted label equals its secondary code
    replaced by that label (`secondary` aligned with `gold`'s rows; empty = none given)."""
    merged = gold.merge(labels[["doc_id", "para_id", "theme"]], on=["doc_id", "para_id"], how="left")
    hit = (secondary.to_numpy() != "") & (merged["theme"].to_numpy() == secondary.to_numpy())
    return gold.assign(category=gold["category"].where(~hit, merged["theme"]))


def score(manifest: Path, gold_path: Path | None = None) -> pd.DataFrame:
    """Return the scores table (module docstring) of the corpus at `manifest` against its coding."""
    config = load_config(manifest=manifest)
    corpus = analysis.load_corpus(manifest, config)
    lexicon = themes.load_lexicon()
    categories = list(lexicon.categories)
    gold_path = gold_path or manifest.parent / "gold.csv"
    gold = themes.read_gold(gold_path, corpus, categories)
    coding = pd.read_csv(gold_path, dtype=str, keep_default_na=False)
    secondary = coding.iloc[gold["row"].to_numpy() - 2]["secondary"].reset_index(drop=True)
    labels = label_paragraphs(corpus, lexicon, config)
    subsets = {"all": gold}
    if "seen_by_lexicon" in corpus.documents.columns:
        seen = corpus.documents["seen_by_lexicon"].fillna("").astype(str).str.strip() != ""
        subsets["unseen"] = gold[~gold["doc_id"].isin(corpus.documents.loc[seen, "doc_id"])]
    tables = []
    for subset, part in subsets.items():
        tables.append(_scores(part, secondary[part.index], labels, categories, config).assign(subset=subset))
    out = pd.concat(tables, ignore_index=True)
    return out[["subset", "scoring", *themes.SCORE_COLUMNS]]


def _scores(gold: pd.DataFrame, secondary: pd.Series, labels: dict[str, pd.DataFrame], categories: list[str],
            config) -> pd.DataFrame:
    """Return the strict and lenient scores (module docstring) of every method against `gold`."""
    gold, secondary = gold.reset_index(drop=True), secondary.reset_index(drop=True)
    settings = {"n_boot": config.themes.n_boot, "seed": config.themes.seed, "ci_level": config.themes.ci_level}
    strict, _ = themes.score_labels(gold, labels, categories, **settings)
    tables = [strict.assign(scoring="strict")]
    for method in METHODS:
        table, _ = themes.score_labels(lenient_gold(gold, secondary, labels[method]), {method: labels[method]},
                                       categories, **settings)
        tables.append(table.assign(scoring="lenient"))
    return pd.concat(tables, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, required=True, help="the manifest build.py wrote")
    parser.add_argument("--gold", type=Path, default=None, help="the coding (default: gold.csv beside the manifest)")
    parser.add_argument("--out", type=Path, required=True, help="CSV to write")
    args = parser.parse_args(argv)
    try:
        table = score(args.manifest, args.gold)
    except (AnalysisError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    table.to_csv(args.out, index=False, lineterminator="\n")
    macro = table[table["category"] == "macro"]
    print("; ".join(f"{r.subset} {r.method} {r.scoring} macro F1 {r.f1:.3f} [{r.f1_ci_low:.3f}, {r.f1_ci_high:.3f}]"
                    for r in macro.itertuples()) + f" -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
