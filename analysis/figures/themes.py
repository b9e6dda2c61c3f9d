"""Figures of the dictionary model: attention by document and year, two versions of one text."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from analysis.figures.base import (
    _category_legend,
    _doc_order,
    _errorbar,
    _figure,
    _legend,
    _panel_letters,
    categories_of,
    doc_labels,
    require_intervals,
    style,
    width_inches,
)
from analysis.palette import (
    INK,
    category_colours,
    category_label,
    category_markers,
)


def plot_theme_attention(document_themes: pd.DataFrame, year_themes: pd.DataFrame,
                         documents: pd.DataFrame | None = None, n_boot: int | None = None,
                         width: str | float = "double", names: dict | None = None,
                         ci_level: float = 0.95) -> plt.Figure:
    """Return a 2 x 2 figure: rate per 1,000 tokens (a, b) and share of the categories' matches
    (c, d), by document (a, c) and by year on a time axis (b, d: a year without documents is a
    gap), with 95% bootstrap intervals.

    Categories are the tables' ``theme`` values; `names` maps them to display names. Intervals are
    the tables' (level `ci_level`, said in the caption, not drawn). Rows flagged ``small_sample``
    (too few paragraphs for any interval to reach its level) are drawn hollow, and the legend says
    so. `n_boot` is accepted for callers that pass it.
    """
    for t in (document_themes, year_themes):
        require_intervals(t, ("rate_ci_low", "rate_ci_high"), ("share_ci_low", "share_ci_high"),
                          what="plot_theme_attention")
    categories = categories_of(document_themes)
    colours, markers = category_colours(categories), category_markers(categories)
    labels = doc_labels(documents)
    with style():
        w = width_inches(width)
        fig, axes = _figure(w, 4.4 if w > 5 else 5.2, 2, 2, gridspec_kw={"width_ratios": [5, 4]})
        docs = _doc_order(document_themes, documents)
        years = sorted(year_themes["year"].astype(int).unique())
        step = 0.8 / max(len(categories), 1)
        for col, (table, key, units) in enumerate([(document_themes, "doc_id", docs), (year_themes, "year", years)]):
            x = np.arange(len(units), dtype=float) if col == 0 else np.asarray(units, dtype=float)
            spread = step if col == 0 else step * 0.6
            for row, (est, lo, hi, ylabel) in enumerate([
                    ("rate_per_1k", "rate_ci_low", "rate_ci_high", "matches per 1,000 tokens"),
                    ("share", "share_ci_low", "share_ci_high", "share of the categories' matches")]):
                ax = axes[row, col]
                for k, cat in enumerate(categories):
                    sub = table[table["theme"] == cat].set_index(key).reindex(units)
                    small = (sub["small_sample"].fillna(False).astype(bool).to_numpy() if "small_sample" in sub
                             else np.zeros(len(sub), dtype=bool))
                    for part, filled in ((~small, True), (small, False)):
                        if part.any():
                            _errorbar(ax, (x + (k - (len(categories) - 1) / 2) * spread)[part], sub[est][part],
                                      sub[lo][part], sub[hi][part], (est, lo, hi), fmt=markers[cat],
                                      color=colours[cat], filled=filled)
                if col == 0:
                    ax.set_xticks(x, [labels.get(d, d) for d in units], rotation=30, ha="right")
                else:
                    ax.set_xticks(x, [str(u) for u in units], rotation=0 if w > 5 else 45)
                    ax.set_xlim(min(x) - 0.6, max(x) + 0.6)
                    ax.set_xlabel("year")
                ax.set_ylabel(ylabel)
                ax.set_ylim(bottom=0)
        axes[0, 0].set_title("by document")
        axes[0, 1].set_title("by year")
        _panel_letters([axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]])
        small = any(bool(t["small_sample"].any()) for t in (document_themes, year_themes) if "small_sample" in t)
        _category_legend(fig, categories, names, colours, markers,
                         extra=[Line2D([], [], ls="none", marker="o", mfc="white", color=INK, ms=4,
                                       label="hollow: small_sample (too few paragraphs for the interval)")] if small else ())
    return fig


def plot_translation_robustness(versions: pd.DataFrame, documents: pd.DataFrame | None = None,
                                width: str | float = "single", names: dict | None = None, ax=None) -> plt.Figure:
    """Return a dot plot of each category's share in one document against another English version
    of it, with 95% intervals; a table of `analysis.themes.compare_versions`."""
    require_intervals(versions, ("share_ci_low", "share_ci_high"), ("other_ci_low", "other_ci_high"),
                      what="plot_translation_robustness")
    labels = doc_labels(documents)
    with style():
        own = ax is None
        fig, ax = (_figure(width, 2.6) if own else (ax.figure, ax))
        categories = categories_of(versions)
        y = np.arange(len(categories))
        v = versions.set_index("theme").reindex(categories)
        version, original = versions["doc_id"].iloc[0], versions["version_of"].iloc[0]
        _errorbar(ax, y - 0.15, v["other_share"], v["other_ci_low"], v["other_ci_high"],
                  ("other_share", "other_ci_low", "other_ci_high"), horizontal=True, fmt="o", color=INK,
                  label=labels.get(original, original))
        _errorbar(ax, y + 0.15, v["share"], v["share_ci_low"], v["share_ci_high"],
                  ("share", "share_ci_low", "share_ci_high"), horizontal=True, fmt="s", color=INK, filled=False,
                  label=labels.get(version, version))
        ax.set_yticks(y, [category_label(c, names) for c in categories])
        ax.set_xlabel("share of the categories' matches")
        ax.set_xlim(0, min(1, float(np.nanmax(v[["share_ci_high", "other_ci_high"]].to_numpy())) + 0.05))
        ax.invert_yaxis()
        if own:
            _legend(fig, ax.get_legend_handles_labels()[0], "outside upper center", 2)
        else:
            ax.legend(frameon=False, loc="best", fontsize=7)
    return fig


