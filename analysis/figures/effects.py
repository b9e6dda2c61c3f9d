"""The figure of covariate effects: fitted marginal means per level, or why they are not estimable."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.figures.base import (
    _category_legend,
    _errorbar,
    _figure,
    _panel_letters,
    _wrap,
    require_intervals,
    style,
    width_inches,
)
from analysis.palette import (
    category_colours,
    category_markers,
)


def plot_effects(means: pd.DataFrame, effects: pd.DataFrame, width: str | float = "double",
                 names: dict | None = None) -> plt.Figure:
    """Return one panel per covariate: the fitted marginal mean of each category at each level
    with its interval (`analysis.effects` tables), a year axis as time. Where the effects are not
    estimable the panel says why in words and draws no number."""
    require_intervals(means, ("ci_low", "ci_high"), what="plot_effects")
    covariates = list(dict.fromkeys(means["covariate"]))
    categories = list(dict.fromkeys(means["category"].astype(str)))
    colours, markers = category_colours(categories), category_markers(categories)
    unit = str(means["unit"].iloc[0]) if len(means) else ""
    with style():
        w = width_inches(width)
        fig, axes = _figure(w, 2.6 if w > 5 else 2.4 * len(covariates), 1 if w > 5 else len(covariates),
                            len(covariates) if w > 5 else 1, squeeze=False)
        axes = list(axes.flat)
        for ax, covariate in zip(axes, covariates):
            sub = means[means["covariate"] == covariate]
            levels = list(dict.fromkeys(sub["level"]))
            numeric = all(lv.lstrip("-").replace(".", "", 1).isdigit() for lv in levels)
            x = np.asarray([float(lv) for lv in levels]) if numeric else np.arange(len(levels), dtype=float)
            spread = (0.6 if numeric else 0.8) / max(len(categories), 1)
            if sub["estimate"].isna().all():
                note = str(sub["warning"].iloc[0]) or "not estimated"
                head, _, detail = note.partition(";")
                ax.text(0.5, 0.55, _wrap(head[:1].upper() + head[1:] + ".", 40), transform=ax.transAxes, ha="center",
                        va="center", fontsize=8, fontweight="bold")
                ax.text(0.5, 0.3, _wrap(detail.strip(), 60), transform=ax.transAxes, ha="center", va="center", fontsize=7)
                ax.set_yticks([])
                ax.spines["left"].set_visible(False)
            else:
                for k, cat in enumerate(categories):
                    c = sub[sub["category"].astype(str) == cat].set_index("level").reindex(levels)
                    _errorbar(ax, x + (k - (len(categories) - 1) / 2) * spread, c["estimate"], c["ci_low"], c["ci_high"],
                              ("estimate", "ci_low", "ci_high"), fmt=markers[cat], color=colours[cat])
                ax.set_ylabel(f"fitted matches {unit}" if unit.startswith("per") else f"fitted mean topic {unit}")
                ax.set_ylim(bottom=0)
                warning = str(sub["warning"].iloc[0])
                if warning:
                    ax.set_title(_wrap(warning, 50), fontsize=7, loc="right")
            ax.set_xlim(x.min() - (0.6 if numeric else 0.5), x.max() + (0.6 if numeric else 0.5))
            ax.set_xticks(x, [lv.replace("_", " ") for lv in levels], rotation=0 if numeric else 30,
                          ha="center" if numeric else "right")
            ax.set_xlabel(covariate)
        _panel_letters(axes)
        _category_legend(fig, categories, names, colours, markers, ncol=min(len(categories), 4))
    return fig
