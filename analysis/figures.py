"""Result tables -> matplotlib Figures for print, and the table each figure shows.

Each ``plot_*`` function takes result tables (and an optional ``ax`` where one panel suffices),
returns the `Figure`, and never saves or shows it. A plotting function refuses a table without
interval columns: every estimate is drawn with its interval. `make_figures` computes every result
from a corpus and returns, per figure, the Figure, the exact numbers it shows and what the sidecar
records; `analysis figures` writes them (PNG, SVG, CSV, JSON).

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies); each category
of the lexicon has one colour and marker in every figure (`category_colours`, `category_markers`):
the four default themes keep theirs, other categories take the free colours in palette order.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from analysis.errors import SchemaError  # noqa: E402

OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "grey": "#999999",
             "black": "#000000"}
THEME_COLOURS = {"security": OKABE_ITO["blue"], "development": OKABE_ITO["green"],
                 "livelihood": OKABE_ITO["orange"], "supervision": OKABE_ITO["purple"],
                 "other": OKABE_ITO["grey"], "none": OKABE_ITO["grey"]}
MARKERS = {"security": "o", "development": "s", "livelihood": "D", "supervision": "^"}
#: Colours and markers given, in order, to categories without one of their own.
CATEGORY_PALETTE = tuple(OKABE_ITO[c] for c in ("blue", "green", "orange", "purple", "sky", "vermillion",
                                                "yellow", "black")) + tuple(matplotlib.colormaps["tab20"].colors)
CATEGORY_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "*", "h", "p", "<", ">")
RESIDUAL = ("other", "none")


def category_colours(categories) -> dict[str, object]:
    """Return a colour per category (and grey for "other" and "none").

    A default theme keeps its colour (`THEME_COLOURS`); the other categories take, in order, the
    colours of `CATEGORY_PALETTE` that no category present uses (cycling after 28).

    Examples
    --------
    >>> category_colours(["courts", "security"])["courts"]
    '#009E73'
    """
    categories = [c for c in categories if c not in RESIDUAL]
    taken = {THEME_COLOURS[c] for c in categories if c in THEME_COLOURS}
    free = [c for c in CATEGORY_PALETTE if c not in taken]
    out, k = {}, 0
    for c in categories:
        if c in THEME_COLOURS:
            out[c] = THEME_COLOURS[c]
        else:
            out[c] = free[k % len(free)]
            k += 1
    return {**out, "other": OKABE_ITO["grey"], "none": OKABE_ITO["grey"]}


def category_markers(categories) -> dict[str, str]:
    """Return a marker per category: a default theme keeps its own (`MARKERS`), the others take
    the free markers of `CATEGORY_MARKERS` in order (cycling)."""
    categories = [c for c in categories if c not in RESIDUAL]
    taken = {MARKERS[c] for c in categories if c in MARKERS}
    free = [m for m in CATEGORY_MARKERS if m not in taken]
    out, k = {}, 0
    for c in categories:
        if c in MARKERS:
            out[c] = MARKERS[c]
        else:
            out[c] = free[k % len(free)]
            k += 1
    return out


def _categories(table: pd.DataFrame, column: str = "theme") -> list[str]:
    """Return the categories of a result table in order of first appearance ("other"/"none" left out)."""
    return [c for c in dict.fromkeys(map(str, table[column])) if c not in RESIDUAL]


def _n_categories(n: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
    return "the theme" if n == 1 else f"the {words.get(n, n)} themes"

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
                         documents: pd.DataFrame | None = None, ci_level: float = 0.95) -> plt.Figure:
    """Return a 2 x 2 figure: rate per 1,000 tokens and share of each category (theme), by document
    and by year, each with its interval (`analysis.themes.theme_rates`, level `ci_level`). The year
    axis is a time axis: a year without documents is a gap, not a neighbour.

    Rows flagged ``small_sample`` (too few paragraphs for the interval to reach its level) are
    drawn with hollow markers, and the legend says so.
    """
    for t in (document_themes, year_themes):
        require_intervals(t, ("rate_ci_low", "rate_ci_high"), ("share_ci_low", "share_ci_high"),
                          what="plot_theme_attention")
    with style():
        fig, axes = plt.subplots(2, 2, figsize=(10, 6.2), gridspec_kw={"width_ratios": [5, 4]})
        docs = _doc_order(document_themes, documents)
        years = sorted(year_themes["year"].unique())
        categories = _categories(document_themes)
        colours, markers = category_colours(categories), category_markers(categories)
        width = 0.68 / len(categories)
        for col, (table, key, labels) in enumerate([(document_themes, "doc_id", docs),
                                                    (year_themes, "year", years)]):
            # documents are categories; years are time, so a year without documents is a gap
            x = np.arange(len(labels)) if col == 0 else np.asarray(labels, dtype=float)
            for row, (est, lo, hi, ylabel) in enumerate([
                    ("rate_per_1k", "rate_ci_low", "rate_ci_high", "matches per 1,000 tokens"),
                    ("share", "share_ci_low", "share_ci_high", f"share of {_n_categories(len(categories))}")]):
                ax = axes[row, col]
                for k, theme in enumerate(categories):
                    sub = table[table["theme"] == theme].set_index(key).reindex(labels)
                    small = (sub["small_sample"].fillna(False).astype(bool).to_numpy() if "small_sample" in sub
                             else np.zeros(len(sub), dtype=bool))
                    for part, face in ((~small, colours[theme]), (small, "white")):
                        if part.any():
                            _errorbar(ax, (x + (k - (len(categories) - 1) / 2) * width)[part], sub[est][part],
                                      sub[lo][part], sub[hi][part], fmt=markers[theme], color=colours[theme],
                                      mfc=face)
                ax.set_xticks(x, [str(v) for v in labels], rotation=20 if col == 0 else 0, ha="right" if col == 0 else "center")
                if col == 1 and len(labels):
                    ax.set_xlim(min(labels) - 0.6, max(labels) + 0.6)
                ax.set_ylabel(ylabel)
                ax.set_ylim(bottom=0)
                if row == 0:
                    ax.set_title("by document" if col == 0 else "by year")
        handles = [plt.Line2D([], [], ls="", marker=markers[c], color=colours[c]) for c in categories]
        labels = list(categories)
        if any(bool(t.get("small_sample", pd.Series(dtype=bool)).any()) for t in (document_themes, year_themes)):
            handles.append(plt.Line2D([], [], ls="", marker="o", mfc="white", color=OKABE_ITO["black"]))
            labels.append("hollow: small_sample (too few paragraphs for the interval)")
        fig.legend(handles, labels, ncol=min(5, len(labels)), loc="upper center", frameon=False)
        fig.text(0.01, 0.005, f"Dictionary model. Points: estimates; bars: {ci_level:.0%} intervals (design-effect-adjusted "
                 "exact intervals over paragraphs). Years pool their documents, leaving out second versions of a "
                 "text (documents with version_of).", fontsize=7)
        fig.tight_layout(rect=(0, 0.02, 1, 0.95))
    return fig


def plot_translation_robustness(versions: pd.DataFrame, ax=None) -> plt.Figure:
    """Return a dot plot of each theme's share in the official 2023 report against its Xinhua
    version, with 95% intervals; a table of `analysis.themes.compare_versions`."""
    require_intervals(versions, ("share_ci_low", "share_ci_high"), ("other_ci_low", "other_ci_high"),
                      what="plot_translation_robustness")
    with style():
        fig, ax = (plt.subplots(figsize=(6, 3.4)) if ax is None else (ax.figure, ax))
        themes = _categories(versions)
        y = np.arange(len(themes))
        v = versions.set_index("theme").reindex(themes)
        version, original = versions["doc_id"].iloc[0], versions["version_of"].iloc[0]
        ax.errorbar(v["other_share"], y + 0.12, xerr=[v["other_share"] - v["other_ci_low"], v["other_ci_high"] - v["other_share"]],
                    fmt="o", color=OKABE_ITO["black"], capsize=2, lw=1, ms=4, label=f"{original} (official translation)")
        ax.errorbar(v["share"], y - 0.12, xerr=[v["share"] - v["share_ci_low"], v["share_ci_high"] - v["share"]],
                    fmt="s", mfc="white", color=OKABE_ITO["vermillion"], capsize=2, lw=1, ms=4,
                    label=f"{version} (machine-translated summary)")
        for yi, (theme, row) in zip(y, v.iterrows()):
            text = f"diff {row['share_difference']:+.3f}"
            if "difference_ci_low" in row and np.isfinite(row["difference_ci_low"]):
                text += f" [{row['difference_ci_low']:+.2f}, {row['difference_ci_high']:+.2f}]"
            ax.annotate(text, (max(row["share_ci_high"], row["other_ci_high"]) + 0.01, yi),
                        va="center", fontsize=7)
        ax.set_yticks(y, themes)
        ax.set_xlabel(f"share of {_n_categories(len(themes))}' matches (95% bootstrap interval)")
        ax.set_xlim(0, min(1, float(np.nanmax(v[["share_ci_high", "other_ci_high"]].to_numpy())) + 0.15))
        ax.invert_yaxis()
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=7)
        ax.set_title("Translation robustness: one report, two English versions")
        fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- discourse


def plot_keyness(table: pd.DataFrame, title: str, target: str, reference: str, top: int = 12,
                 alpha: float = 0.05) -> plt.Figure:
    """Return a bar chart of the `top` key terms each way: Hardie's log ratio with its confidence
    interval; filled bars are significant after Benjamini-Hochberg (p_adj < `alpha`), hollow ones
    are not. `table` is a `analysis.discourse.keyness` table (module `keyterms`), already ranked."""
    require_intervals(table, ("log_ratio_ci_low", "log_ratio_ci_high"), what="plot_keyness")
    with style():
        fig, ax = plt.subplots(figsize=(7, 0.28 * 2 * top + 1.4))
        rows = table.iloc[::-1]
        y = np.arange(len(rows))
        colours = [OKABE_ITO["vermillion"] if lr > 0 else OKABE_ITO["blue"] for lr in rows["log_ratio"]]
        significant = (rows["p_adj"] < alpha).to_numpy()
        ax.barh(y, rows["log_ratio"], color=[c if s else "white" for c, s in zip(colours, significant)],
                edgecolor=colours, height=0.7, lw=1)
        ax.errorbar(rows["log_ratio"], y, xerr=[rows["log_ratio"] - rows["log_ratio_ci_low"],
                                                 rows["log_ratio_ci_high"] - rows["log_ratio"]],
                    fmt="none", ecolor=OKABE_ITO["black"], capsize=2, lw=0.8)
        ax.set_yticks(y, [f"{t}  ({a}/{b})" for t, a, b in zip(rows["term"], rows["freq_target"], rows["freq_reference"])])
        ax.axvline(0, color=OKABE_ITO["black"], lw=0.6)
        ax.set_xlabel(f"log ratio (log2 of per-token frequency, {target} / {reference}), 95% CI")
        ax.set_title(title)
        n_t, n_r = int(table["n_target"].iloc[0]), int(table["n_reference"].iloc[0])
        fig.text(0.01, 0.005, f"Vermillion: key for {target}; blue: key for {reference}; ranked by G2 within each side. "
                 f"Filled: p_adj < {alpha} (Benjamini-Hochberg); hollow: not significant.\n"
                 f"Counts target/reference in brackets; n = {n_t:,} / {n_r:,} tokens.",
                 fontsize=6.5)
        fig.tight_layout(rect=(0, 0.045, 1, 1))
    return fig


def plot_formulations(counts: pd.DataFrame, documents: pd.DataFrame | None = None, top: int = 25) -> plt.Figure:
    """Return a heatmap of official formulations (rows) by document (columns): rate per 10,000
    tokens, each cell annotated with its count; the CSV carries exact Poisson 95% intervals."""
    require_intervals(counts, ("rate_ci_low", "rate_ci_high"), what="plot_formulations")
    docs = _doc_order(counts, documents)
    wide = counts.pivot_table(index="formulation_id", columns="doc_id", values="rate_per_10k", aggfunc="sum").reindex(columns=docs)
    n = counts.pivot_table(index="formulation_id", columns="doc_id", values="count", aggfunc="sum").reindex(columns=docs)
    order = n.sum(axis=1).sort_values(ascending=False).index[:top]
    wide, n = wide.loc[order], n.loc[order]
    with style():
        fig, ax = plt.subplots(figsize=(7.5, 0.26 * len(order) + 1.8))
        im = ax.imshow(wide.to_numpy(dtype=float), aspect="auto", cmap="viridis")
        for (i, j), value in np.ndenumerate(n.to_numpy()):
            if value:
                shade = wide.to_numpy(dtype=float)[i, j] > np.nanmax(wide.to_numpy(dtype=float)) * 0.6
                ax.text(j, i, int(value), ha="center", va="center", fontsize=6.5, color="black" if shade else "white")
        years = (documents.set_index("doc_id")["year"] if documents is not None else pd.Series(dtype=int))
        ax.set_xticks(range(len(docs)), [f"{d}\n({years.get(d, '')})" for d in docs], rotation=0, fontsize=7)
        ax.set_yticks(range(len(order)), order, fontsize=7)
        fig.colorbar(im, ax=ax, label="rate per 10,000 tokens", shrink=0.8)
        ax.set_title("Official formulations (tifa) across documents")
        fig.text(0.01, 0.005, "Cells: count of matches of any English variant; colour: rate per 10,000 tokens. "
                 "Exact Poisson 95% intervals in the CSV.", fontsize=6.5)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


def plot_collocation_network(edges: pd.DataFrame, node: str, seed: int) -> plt.Figure:
    """Return a network of the collocates of `node` (first ring) and their own strongest collocates
    (second ring); edge width grows with G2, solid edges are significant (p < 0.05, G2 > 3.84).
    `edges` has columns source, target, count, g2, pmi, p. The layout is networkx's spring layout
    with the given seed."""
    import networkx as nx

    if "p" not in edges.columns:
        raise SchemaError("plot_collocation_network: the edge table has no p column (significance)")
    graph = nx.Graph()
    for e in edges.itertuples():
        graph.add_edge(e.source, e.target, weight=float(e.g2), significant=bool(e.p < 0.05))
    with style():
        fig, ax = plt.subplots(figsize=(7.5, 6))
        pos = nx.spring_layout(graph, seed=seed, weight="weight", k=0.9)
        first = set(edges.loc[edges["source"] == node, "target"])
        colours = [OKABE_ITO["vermillion"] if v == node else OKABE_ITO["sky"] if v in first else OKABE_ITO["yellow"]
                   for v in graph.nodes]
        g2 = np.array([graph.edges[e]["weight"] for e in graph.edges])
        widths = 0.5 + 3.5 * (g2 / g2.max() if len(g2) and g2.max() > 0 else g2)
        styles = ["solid" if graph.edges[e]["significant"] else "dashed" for e in graph.edges]
        nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, style=styles, edge_color=OKABE_ITO["grey"])
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=[500 if v == node else 160 for v in graph.nodes],
                               edgecolors=OKABE_ITO["black"], linewidths=0.5)
        nx.draw_networkx_labels(graph, pos, ax=ax, font_size=7)
        ax.set_axis_off()
        ax.set_title(f"Collocation network around '{node}'")
        fig.text(0.01, 0.005, "Red: node; blue: its collocates; yellow: collocates of those. Edge width: G2 "
                 "(log-likelihood); dashed: p >= 0.05. Window and minimum count in the sidecar.", fontsize=6.5)
        fig.tight_layout(rect=(0, 0.03, 1, 1))
    return fig


# ----------------------------------------------------------------------------- topics

MODEL_STYLE = {"dictionary": (OKABE_ITO["black"], "o"), "gensim": (OKABE_ITO["blue"], "s"),
               "sklearn": (OKABE_ITO["orange"], "D"), "seeded": (OKABE_ITO["vermillion"], "^"),
               "tomotopy": (OKABE_ITO["green"], "v")}


def plot_method_agreement(theme_shares: pd.DataFrame, agreement: pd.DataFrame,
                          documents: pd.DataFrame | None = None) -> plt.Figure:
    """Return one panel per document: each theme's share from the dictionary model and from each
    topic model, with intervals (paragraph bootstrap; seed range for topic models); the legend gives
    each model's Cohen's kappa against the dictionary labels."""
    require_intervals(theme_shares, ("share_ci_low", "share_ci_high"), what="plot_method_agreement")
    categories = _categories(theme_shares)
    shares = theme_shares[(theme_shares["level"] == "document") & theme_shares["theme"].isin(categories)]
    docs = [d for d in _doc_order(shares.rename(columns={"unit": "doc_id"}), documents)]
    models = [m for m in MODEL_STYLE if m in set(shares["model"])]
    pooled = agreement[(agreement["level"] == "all") & (agreement["theme"] == "all")].set_index("model")
    kappa = pooled["kappa"]

    def kappa_label(model: str) -> str:
        text = f"kappa {kappa.get(model, np.nan):.2f}"
        if "kappa_ci_low" in pooled and model in pooled.index:
            text += f" [{pooled.loc[model, 'kappa_ci_low']:.2f}, {pooled.loc[model, 'kappa_ci_high']:.2f}]"
        if model == "seeded":
            text += "; not independent: seeded from the lexicon"
        return text

    with style():
        fig, axes = plt.subplots(1, len(docs), figsize=(2.2 * len(docs) + 1, 3.6), sharey=True, squeeze=False)
        for ax, doc in zip(axes[0], docs):
            sub = shares[shares["unit"] == doc]
            for j, model in enumerate(models):
                m = sub[sub["model"] == model].set_index("theme").reindex(categories)
                colour, marker = MODEL_STYLE[model]
                label = model if model == "dictionary" else f"{model} ({kappa_label(model)})"
                _errorbar(ax, np.arange(len(categories)) + (j - (len(models) - 1) / 2) * 0.14, m["share"],
                          m["share_ci_low"], m["share_ci_high"], fmt=marker, color=colour, label=label)
            ax.set_xticks(range(len(categories)), [t if len(t) <= 6 else t[:5] + "." for t in categories],
                          rotation=30)
            ax.set_title(doc, fontsize=8)
        axes[0, 0].set_ylabel("share of the document (token-weighted)")
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=len(models), frameon=False)
        fig.text(0.01, 0.005, "Dictionary: share of paragraphs labelled with the theme, 95% bootstrap interval. Topic models: "
                 "mapped topic mass, mean over seeds, 95% paragraph-bootstrap interval. Kappa: paragraph labels vs dictionary.",
                 fontsize=6.5)
        fig.tight_layout(rect=(0, 0.04, 1, 0.9))
    return fig


def plot_topic_diagnostics(selection: pd.DataFrame, stability: pd.DataFrame) -> plt.Figure:
    """Return coherence (c_v, c_npmi, u_mass) and held-out perplexity against K (mean over seeds,
    bars from the lowest to the highest seed), and each topic's stability across seeds; `stability`
    holds one K per model (the K the other figures use)."""
    with style():
        fig, axes = plt.subplots(2, 3, figsize=(10, 6))
        panels = [("c_v", "coherence c_v (higher is better)"), ("c_npmi", "coherence c_npmi (higher is better)"),
                  ("u_mass", "coherence u_mass (higher is better)"),
                  ("perplexity", "held-out perplexity per word (lower is better)")]
        for ax, (measure, label) in zip(axes.flat, panels):
            for model in [m for m in MODEL_STYLE if m in set(selection["model"])]:
                g = selection[selection["model"] == model].groupby("k")[measure].agg(["mean", "min", "max"])
                colour, marker = MODEL_STYLE[model]
                _errorbar(ax, g.index, g["mean"], g["min"], g["max"], fmt=marker + "-", color=colour, label=model)
            ax.set_xlabel("number of topics K")
            ax.set_ylabel(label, fontsize=7.5)
        axes[0, 0].legend(frameon=False)
        ax = fig.add_subplot(2, 3, (5, 6))
        axes[1, 1].remove()
        axes[1, 2].remove()
        models = [m for m in MODEL_STYLE if m in set(stability["model"])]
        offset = 0
        ticks, labels = [], []
        for model in models:
            sub = stability[stability["model"] == model].sort_values("similarity", ascending=False)
            x = offset + np.arange(len(sub))
            colour, _ = MODEL_STYLE[model]
            ax.bar(x, sub["similarity"], color=[colour if s else "white" for s in sub["stable"]], edgecolor=colour)
            ax.vlines(x, sub["similarity_min"], sub["similarity"], color=OKABE_ITO["black"], lw=0.8)
            ticks.append(offset + (len(sub) - 1) / 2)
            labels.append(f"{model} (K={int(sub['k'].iloc[0])})")
            offset += len(sub) + 1
        ax.set_xticks(ticks, labels)
        ax.set_ylabel("similarity to matched topics\nof other seeds (1 - JS distance)", fontsize=7.5)
        ax.set_ylim(0, 1)
        ax.set_title("Stability per topic: mean over seed pairs (line down to the minimum); hollow = unstable", fontsize=8)
        fig.tight_layout()
    return fig


def plot_topic_terms(topic_terms: pd.DataFrame, topic_themes: pd.DataFrame, n_terms: int = 8) -> plt.Figure:
    """Return small multiples of the top terms (by p(term | topic)) of one fit, each topic titled
    with the theme it maps to and the mapping's lift."""
    k = int(topic_terms["topic"].max()) + 1
    cols = 4
    rows = int(np.ceil(k / cols))
    themes = topic_themes.set_index("topic")
    colours = category_colours([c[len("mass_"):] for c in topic_themes.columns if str(c).startswith("mass_")]
                               or _categories(topic_themes))
    with style():
        fig, axes = plt.subplots(rows, cols, figsize=(10, 1.9 * rows + 0.6), squeeze=False)
        for topic, ax in zip(range(k), axes.flat):
            sub = topic_terms[topic_terms["topic"] == topic].sort_values("rank").head(n_terms).iloc[::-1]
            theme = themes.loc[topic, "theme"]
            ax.barh(sub["term"], sub["weight"], color=colours.get(theme, OKABE_ITO["grey"]))
            seeded = " (seeded)" if bool(themes.loc[topic, "seeded"]) else ""
            ax.set_title(f"topic {topic}: {theme}{seeded}, lift {themes.loc[topic, 'lift']:.1f}", fontsize=7.5)
            ax.tick_params(labelsize=6.5)
            ax.set_xlabel("p(term | topic)", fontsize=6.5)
        for ax in list(axes.flat)[k:]:
            ax.remove()
        fig.tight_layout()
    return fig


def plot_document_topics(table: pd.DataFrame, documents: pd.DataFrame | None = None) -> plt.Figure:
    """Return a heatmap of mean topic shares per document (mean over seeds), annotated with the
    lowest and highest seed's value; `table` has doc_id, topic, label, share, seed_min, seed_max."""
    require_intervals(table, ("seed_min", "seed_max"), what="plot_document_topics")
    docs = _doc_order(table, documents)
    wide = table.pivot_table(index="doc_id", columns="label", values="share").reindex(docs)
    lo = table.pivot_table(index="doc_id", columns="label", values="seed_min").reindex(index=docs, columns=wide.columns)
    hi = table.pivot_table(index="doc_id", columns="label", values="seed_max").reindex(index=docs, columns=wide.columns)
    with style():
        fig, ax = plt.subplots(figsize=(1.0 * len(wide.columns) + 2.5, 0.55 * len(docs) + 2.2))
        im = ax.imshow(wide.to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0)
        vmax = np.nanmax(wide.to_numpy(dtype=float))
        for (i, j), v in np.ndenumerate(wide.to_numpy(dtype=float)):
            ax.text(j, i, f"{v:.2f}\n[{lo.iat[i, j]:.2f}-{hi.iat[i, j]:.2f}]", ha="center", va="center", fontsize=5.5,
                    color="black" if v > 0.6 * vmax else "white")
        ax.set_xticks(range(len(wide.columns)), wide.columns, rotation=35, ha="right", fontsize=7)
        ax.set_yticks(range(len(docs)), docs, fontsize=7)
        fig.colorbar(im, ax=ax, label="mean topic share of the document's paragraphs")
        ax.set_title("Documents by topic (seeded LDA; mean over seeds, [lowest-highest seed])", fontsize=8)
        fig.tight_layout()
    return fig
