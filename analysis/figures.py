"""Result tables -> matplotlib Figures for print, and the table each figure shows.

Each ``plot_*`` function takes result tables (and an optional ``ax`` where one panel suffices),
returns the `Figure`, and never saves or shows it. A plotting function refuses a table without
interval columns: every estimate is drawn with its interval. `make_figures` computes every result
from a corpus and returns, per figure, the Figure, the exact numbers it shows and what the sidecar
records; `analysis figures` writes them (PNG, SVG, CSV, JSON).

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); each theme has
one colour in every figure.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.errors import SchemaError  # noqa: E402

THEMES = ("security", "development", "livelihood", "supervision")
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
             "black": "#000000"}
THEME_COLOURS = {"security": OKABE_ITO["blue"], "development": OKABE_ITO["green"],
                 "livelihood": OKABE_ITO["orange"], "supervision": OKABE_ITO["purple"],
                 "other": OKABE_ITO["grey"], "none": OKABE_ITO["grey"]}
MARKERS = {"security": "o", "development": "s", "livelihood": "D", "supervision": "^"}

STYLE = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
         "ytick.labelsize": 8, "legend.fontsize": 8, "axes.spines.top": False,
         "axes.spines.right": False, "figure.dpi": 100, "savefig.dpi": 200, "font.family": "DejaVu Sans",
         "svg.hashsalt": "analysis", "axes.grid": False}


@contextmanager
def style() -> Iterator[None]:
    """Apply the print style of every figure of this module within a block."""
    with plt.rc_context(STYLE):
        yield


def require_intervals(table: pd.DataFrame, *pairs: tuple[str, str], what: str) -> None:
    """Raise SchemaError unless `table` has each (low, high) interval column pair."""
    missing = [c for pair in pairs for c in pair if c not in table.columns]
    if missing:
        raise SchemaError(f"{what}: the table has no interval column(s) {', '.join(missing)}; "
                          "every plotted estimate needs its interval")


def _errorbar(ax, x, y, low, high, **kw):
    y, low, high = (np.asarray(v, dtype=float) for v in (y, low, high))
    err = np.vstack([np.clip(y - low, 0, None), np.clip(high - y, 0, None)])
    return ax.errorbar(x, y, yerr=err, fmt=kw.pop("fmt", "o"), capsize=2, lw=1, ms=4, **kw)


def _doc_order(table: pd.DataFrame, documents: pd.DataFrame | None) -> list[str]:
    if documents is not None:
        order = documents.sort_values(["date", "doc_id"])["doc_id"].tolist()
        return [d for d in order if d in set(table["doc_id"])]
    return sorted(table["doc_id"].unique())


# ----------------------------------------------------------------------------- themes


def plot_theme_attention(document_themes: pd.DataFrame, year_themes: pd.DataFrame,
                         documents: pd.DataFrame | None = None, n_boot: int | str = "?") -> plt.Figure:
    """Return a 2 x 2 figure: rate per 1,000 tokens and share of the four themes, by document and by
    year, each with its 95% bootstrap interval."""
    for t in (document_themes, year_themes):
        require_intervals(t, ("rate_ci_low", "rate_ci_high"), ("share_ci_low", "share_ci_high"),
                          what="plot_theme_attention")
    with style():
        fig, axes = plt.subplots(2, 2, figsize=(10, 6.2), gridspec_kw={"width_ratios": [5, 4]})
        docs = _doc_order(document_themes, documents)
        years = sorted(year_themes["year"].unique())
        for col, (table, key, labels) in enumerate([(document_themes, "doc_id", docs),
                                                    (year_themes, "year", years)]):
            x = np.arange(len(labels))
            for row, (est, lo, hi, ylabel) in enumerate([
                    ("rate_per_1k", "rate_ci_low", "rate_ci_high", "matches per 1,000 tokens"),
                    ("share", "share_ci_low", "share_ci_high", "share of the four themes")]):
                ax = axes[row, col]
                for k, theme in enumerate(THEMES):
                    sub = table[table["theme"] == theme].set_index(key).reindex(labels)
                    _errorbar(ax, x + (k - 1.5) * 0.17, sub[est], sub[lo], sub[hi], fmt=MARKERS[theme],
                              color=THEME_COLOURS[theme], label=theme)
                ax.set_xticks(x, [str(v) for v in labels], rotation=20 if col == 0 else 0, ha="right" if col == 0 else "center")
                ax.set_ylabel(ylabel)
                ax.set_ylim(bottom=0)
                if row == 0:
                    ax.set_title("by document" if col == 0 else "by year")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, ncol=4, loc="upper center", frameon=False)
        fig.text(0.01, 0.005, "Dictionary model. Points: estimates; bars: 95% bootstrap intervals over paragraphs "
                 f"(B = {n_boot}). Years pool their documents (n tokens per document in the CSV).", fontsize=7)
        fig.tight_layout(rect=(0, 0.02, 1, 0.95))
    return fig


def plot_translation_robustness(versions: pd.DataFrame, ax=None) -> plt.Figure:
    """Return a dot plot of each theme's share in the official 2023 report against its Xinhua
    version, with 95% intervals; a table of `analysis.themes.compare_versions`."""
    require_intervals(versions, ("share_ci_low", "share_ci_high"), ("other_ci_low", "other_ci_high"),
                      what="plot_translation_robustness")
    with style():
        fig, ax = (plt.subplots(figsize=(6, 3.4)) if ax is None else (ax.figure, ax))
        themes = [t for t in THEMES if t in set(versions["theme"])]
        y = np.arange(len(themes))
        v = versions.set_index("theme").reindex(themes)
        version, original = versions["doc_id"].iloc[0], versions["version_of"].iloc[0]
        ax.errorbar(v["other_share"], y + 0.12, xerr=[v["other_share"] - v["other_ci_low"], v["other_ci_high"] - v["other_share"]],
                    fmt="o", color=OKABE_ITO["black"], capsize=2, lw=1, ms=4, label=f"{original} (official translation)")
        ax.errorbar(v["share"], y - 0.12, xerr=[v["share"] - v["share_ci_low"], v["share_ci_high"] - v["share"]],
                    fmt="s", mfc="white", color=OKABE_ITO["vermillion"], capsize=2, lw=1, ms=4,
                    label=f"{version} (machine-translated summary)")
        for yi, (theme, row) in zip(y, v.iterrows()):
            ax.annotate(f"diff {row['share_difference']:+.3f}", (max(row["share_ci_high"], row["other_ci_high"]) + 0.01, yi),
                        va="center", fontsize=7)
        ax.set_yticks(y, themes)
        ax.set_xlabel("share of the four themes' matches (95% bootstrap interval)")
        ax.set_xlim(0, min(1, float(np.nanmax(v[["share_ci_high", "other_ci_high"]].to_numpy())) + 0.15))
        ax.invert_yaxis()
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=7)
        ax.set_title("Translation robustness: one report, two English versions")
        fig.tight_layout()
    return fig
