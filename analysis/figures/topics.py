"""Figures of the topic models: agreement with the dictionary, selection diagnostics, terms, document topics."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from analysis.figures.base import (
    _doc_order,
    _errorbar,
    _figure,
    _legend,
    _letter,
    _panel_letters,
    _record,
    categories_of,
    doc_labels,
    require_intervals,
    style,
    width_inches,
)
from analysis.palette import (
    INK,
    MISSING,
    MODEL_STYLE,
    NOT_A_CATEGORY,
    SEQUENTIAL,
    category_colours,
    category_label,
)


def plot_method_agreement(theme_shares: pd.DataFrame, agreement: pd.DataFrame,
                          documents: pd.DataFrame | None = None, width: str | float = "double",
                          names: dict | None = None) -> plt.Figure:
    """Return one panel per document: each category's share from the dictionary model and from
    each topic model, with intervals (paragraph bootstrap); the legend gives each model's Cohen's
    kappa against the dictionary labels. A category no topic of a model maps to (``mapped`` False,
    share NaN) is drawn as a grey cross on the axis and named "not mapped", never as a zero."""
    require_intervals(theme_shares, ("share_ci_low", "share_ci_high"), what="plot_method_agreement")
    shares = theme_shares[(theme_shares["level"] == "document")]
    categories = categories_of(shares)
    shares = shares[shares["theme"].isin(categories)]
    docs = _doc_order(shares, documents, key="unit")
    labels = doc_labels(documents)
    models = [m for m in MODEL_STYLE if m in set(shares["model"])] + sorted(set(shares["model"]) - set(MODEL_STYLE))
    pooled = agreement[(agreement["level"] == "all") & (agreement["theme"] == "all")].set_index("model")
    kappa = pooled["kappa"]
    with style():
        fig, axes = _figure(width, 2.6, 1, len(docs), sharey=True, squeeze=False)
        unmapped = False
        for ax, doc in zip(axes[0], docs):
            sub = shares[shares["unit"] == doc]
            for j, model in enumerate(models):
                m = sub[sub["model"] == model].set_index("theme").reindex(categories)
                colour, marker, filled = MODEL_STYLE.get(model, (INK, "x", True))
                x = np.arange(len(categories)) + (j - (len(models) - 1) / 2) * 0.16
                _errorbar(ax, x, m["share"], m["share_ci_low"], m["share_ci_high"], ("share", "share_ci_low", "share_ci_high"),
                          fmt=marker, color=colour, filled=filled)
                gap = m["share"].isna().to_numpy()
                if gap.any():
                    unmapped = True
                    ax.plot(x[gap], np.zeros(gap.sum()), ls="none", marker="x", color=NOT_A_CATEGORY, ms=4, clip_on=False)
            ax.set_xticks(range(len(categories)), [category_label(c, names) for c in categories], rotation=60, ha="right")
            ax.set_title(labels.get(doc, doc), fontsize=7)
            ax.set_ylim(bottom=0)
        axes[0, 0].set_ylabel("share of the document's mass\n(token-weighted)")
        handles = []
        for model in models:
            colour, marker, filled = MODEL_STYLE.get(model, (INK, "x", True))
            k = kappa.get(model, np.nan)
            label = model if model == "dictionary" or not np.isfinite(k) else f"{model} (kappa {k:.2f}"
            if model != "dictionary" and np.isfinite(k) and "kappa_ci_low" in pooled and model in pooled.index:
                label += f" [{pooled.loc[model, 'kappa_ci_low']:.2f}, {pooled.loc[model, 'kappa_ci_high']:.2f}]"
            if model != "dictionary" and np.isfinite(k):
                label += "; not independent: seeded from the lexicon)" if model == "seeded" else ")"
            handles.append(Line2D([], [], color=colour, marker=marker, mfc=colour if filled else "white", ls="none",
                                  ms=4, label=label))
        if unmapped:
            handles.append(Line2D([], [], color=NOT_A_CATEGORY, marker="x", ls="none", ms=4, label="not mapped (no topic)"))
        _legend(fig, handles, "outside upper center", 3)
    return fig


def plot_topic_diagnostics(selection: pd.DataFrame, stability: pd.DataFrame, width: str | float = "double") -> plt.Figure:
    """Return coherence (c_v, c_npmi, u_mass) and held-out perplexity against K (mean over seeds,
    bars from the lowest to the highest seed), and each topic's stability across seeds; `stability`
    holds one K per model (the K the other figures use)."""
    with style():
        fig = plt.figure(figsize=(width_inches(width), 4.6), layout="constrained")
        grid = fig.add_gridspec(2, 4)
        panels = [("c_v", "coherence c_v"), ("c_npmi", "coherence c_npmi"), ("u_mass", "coherence u_mass"),
                  ("perplexity", "held-out perplexity per word")]
        axes = [fig.add_subplot(grid[0, i]) for i in range(4)]
        models = [m for m in MODEL_STYLE if m in set(selection["model"])]
        for ax, (measure, label) in zip(axes, panels):
            for model in models:
                g = selection[selection["model"] == model].groupby("k")[measure].agg(["mean", "min", "max"])
                colour, marker, filled = MODEL_STYLE[model]
                _errorbar(ax, g.index.to_numpy(dtype=float), g["mean"], g["min"], g["max"], (measure, measure, measure),
                          fmt=marker + "-", color=colour, filled=filled)
            ax.set_xlabel("topics K")
            ax.set_ylabel(label + ("\n(lower is better)" if measure == "perplexity" else "\n(higher is better)"))
        ax = fig.add_subplot(grid[1, :])
        offset, ticks, tick_labels = 0, [], []
        for model in [m for m in MODEL_STYLE if m in set(stability["model"])]:
            sub = stability[stability["model"] == model].sort_values("similarity", ascending=False)
            x = offset + np.arange(len(sub))
            bars = ax.bar(x, sub["similarity"], color=["#555555" if s else "white" for s in sub["stable"]],
                          edgecolor=INK, lw=0.6)
            _record(fig, "similarity", [b.get_height() for b in bars])
            ax.vlines(x, sub["similarity_min"], sub["similarity"], color=INK, lw=0.8)
            _record(fig, "similarity_min", sub["similarity_min"])
            ticks.append(offset + (len(sub) - 1) / 2)
            tick_labels.append(f"{model} (K = {int(sub['k'].iloc[0])})")
            offset += len(sub) + 1
        ax.set_xticks(ticks, tick_labels)
        ax.set_ylabel("similarity to the matched\ntopic of other seeds")
        ax.set_ylim(0, 1)
        _panel_letters(axes + [ax])
        handles = [Line2D([], [], color=MODEL_STYLE[m][0], marker=MODEL_STYLE[m][1], ls="-",
                          mfc=MODEL_STYLE[m][0] if MODEL_STYLE[m][2] else "white", ms=4, label=m) for m in models]
        handles += [Patch(facecolor="#555555", edgecolor=INK, label="stable topic"),
                    Patch(facecolor="white", edgecolor=INK, label="unstable topic"),
                    Line2D([], [], color=INK, lw=0.8, label="down to the least similar seed pair")]
        _legend(fig, handles, "outside upper center", 4)
    return fig


def plot_topic_terms(topic_terms: pd.DataFrame, topic_themes: pd.DataFrame, n_terms: int = 8,
                     width: str | float = "double", names: dict | None = None) -> plt.Figure:
    """Return small multiples of the top terms (by p(term | topic)) of one fit, each topic titled
    with the category it maps to and the mapping's lift, its bars in the category's colour."""
    k = int(topic_terms["topic"].max()) + 1
    w = width_inches(width)
    cols = 3 if w > 5 else 2
    rows = int(np.ceil(k / cols))
    themes = topic_themes.set_index("topic")
    colours = category_colours(list(dict.fromkeys(themes["theme"].astype(str))))
    with style():
        fig, axes = _figure(w, 1.45 * rows + 0.2, rows, cols, squeeze=False)
        for topic, ax in zip(range(k), axes.flat):
            sub = topic_terms[topic_terms["topic"] == topic].sort_values("rank").head(n_terms).iloc[::-1]
            theme = str(themes.loc[topic, "theme"])
            bars = ax.barh([t.replace("_", " ") for t in sub["term"]], sub["weight"], color=colours.get(theme, NOT_A_CATEGORY))
            _record(fig, "weight", [b.get_width() for b in bars])
            seeded = "seeded, " if bool(themes.loc[topic, "seeded"]) else ""
            ax.set_title(rf"$\bf{{{_letter(topic)}}}$  {topic}: {category_label(theme, names)}"
                         f"\n{seeded}lift {themes.loc[topic, 'lift']:.1f}", fontsize=7, loc="left")
            ax.set_xlabel("p(term | topic)")
            ax.xaxis.set_major_locator(MaxNLocator(nbins=2))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        for ax in list(axes.flat)[k:]:
            ax.remove()
    return fig


def plot_document_topics(table: pd.DataFrame, documents: pd.DataFrame | None = None,
                         width: str | float = "double") -> plt.Figure:
    """Return a heatmap of mean topic shares per document (mean over seeds, after matching the
    topics of every seed to the first seed's), annotated with the lowest and highest seed's value;
    `table` has doc_id, topic, label, share, seed_min, seed_max. A missing cell is hatched."""
    require_intervals(table, ("seed_min", "seed_max"), what="plot_document_topics")
    docs = _doc_order(table, documents)
    labels = doc_labels(documents)
    wide = table.pivot_table(index="doc_id", columns="label", values="share", dropna=False).reindex(docs)
    lo = table.pivot_table(index="doc_id", columns="label", values="seed_min").reindex(index=docs, columns=wide.columns)
    hi = table.pivot_table(index="doc_id", columns="label", values="seed_max").reindex(index=docs, columns=wide.columns)
    with style():
        fig, ax = _figure(width, 0.42 * len(docs) + 1.7)
        values = wide.to_numpy(dtype=float)
        ax.add_patch(plt.Rectangle((-0.5, -0.5), values.shape[1], values.shape[0], zorder=0, **MISSING))
        im = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=SEQUENTIAL, vmin=0, zorder=1)
        _record(fig, "share", np.ma.filled(im.get_array().astype(float), np.nan))
        vmax = np.nanmax(values)
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.2f}\n{lo.iat[i, j]:.2f}-{hi.iat[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if v > 0.6 * vmax else "white", zorder=2)
        ax.set_xticks(range(len(wide.columns)), wide.columns, rotation=30, ha="right")
        ax.set_yticks(range(len(docs)), [labels.get(d, d) for d in docs])
        ax.spines[:].set_visible(False)
        fig.colorbar(im, ax=ax, label="mean topic share of the\ndocument's paragraphs", shrink=0.8)
    return fig


