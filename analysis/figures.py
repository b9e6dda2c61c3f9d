"""Result tables -> matplotlib Figures at a journal's print size, and what each figure draws.

Each ``plot_*`` function takes result tables (and the figure's width in inches: `WIDTHS`), returns
the `Figure`, and never saves or shows it. A plotting function refuses a table without interval
columns: every estimate is drawn with its interval.

Print rules (checked by the tests): the figure is drawn at its print width (3.5 in single column,
7.2 in double) with constrained layout, so its saved size is its print size; no text is smaller
than `MIN_FONT_PT` (7 pt); text stays text in SVG (``svg.fonttype: none``) and PDF (TrueType,
``pdf.fonttype: 42``); panels carry letters (a, b, ...); documents are labelled by the manifest's
``short_title`` and categories by their names; every colour means one thing in every figure
(`analysis.palette`); captions are not drawn: they go to the sidecar and ``captions.md``.

What is drawn is recorded on the figure as it is drawn (read back from the artists: the points,
interval ends, bar lengths and cells), by the CSV column each number comes from;
`drawn_values(fig)` returns it, and ``analysis figures --check`` compares it with the CSV.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, MaxNLocator  # noqa: E402

from analysis.errors import SchemaError  # noqa: E402
from analysis.palette import (  # noqa: E402, F401  (the palette's names are the figures' too)
    CATEGORY_PALETTE,
    INK,
    KEYNESS_SIDES,
    MARKERS,
    MISSING,
    MODEL_STYLE,
    NETWORK_RINGS,
    NOT_A_CATEGORY,
    OKABE_ITO,
    SEQUENTIAL,
    THEME_COLOURS,
    category_colours,
    category_label,
    category_markers,
)

#: Print widths in inches (single and double column of most journals).
WIDTHS = {"single": 3.5, "double": 7.2}
MIN_FONT_PT = 7.0
STYLE = {"font.size": 7.5, "axes.titlesize": 8, "axes.labelsize": 7.5, "xtick.labelsize": 7,
         "ytick.labelsize": 7, "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8,
         "axes.spines.top": False, "axes.spines.right": False, "axes.linewidth": 0.6,
         "xtick.major.width": 0.6, "ytick.major.width": 0.6, "lines.linewidth": 0.9,
         "figure.dpi": 100, "savefig.dpi": 300, "font.family": "DejaVu Sans", "svg.fonttype": "none",
         "pdf.fonttype": 42, "svg.hashsalt": "analysis", "axes.grid": False, "hatch.linewidth": 0.5}
#: Figures drawn only with lines, points and flat fills (PNG at 600 dpi); the rest hold images.
LINE_ART = {"theme_attention", "translation_robustness", "method_agreement", "topic_diagnostics", "topic_terms",
            "collocation_network", "effects"}
DRAWN = "_analysis_drawn"


@contextmanager
def style() -> Iterator[None]:
    """Apply the print style of every figure of this module within a block."""
    with plt.rc_context(STYLE):
        yield


def width_inches(width: str | float) -> float:
    """Return a print width in inches from "single", "double" or a number of inches."""
    return float(WIDTHS.get(width, width)) if isinstance(width, str) else float(width)


def _figure(width, height, nrows=1, ncols=1, **kw):
    return plt.subplots(nrows, ncols, figsize=(width_inches(width), height), layout="constrained", **kw)


def require_intervals(table: pd.DataFrame, *pairs: tuple[str, str], what: str) -> None:
    """Raise SchemaError unless `table` has each (low, high) interval column pair."""
    missing = [c for pair in pairs for c in pair if c not in table.columns]
    if missing:
        raise SchemaError(f"{what}: the table has no interval column(s) {', '.join(missing)}; "
                          "every plotted estimate needs its interval")


# ----------------------------------------------------------------------------- what is drawn


def _record(fig, column: str, values) -> None:
    """Add numbers drawn from CSV column `column` to the figure's record (NaN = not drawn)."""
    store = getattr(fig, DRAWN, None)
    if store is None:
        store = {}
        setattr(fig, DRAWN, store)
    vals = np.asarray(values, dtype=float).ravel()
    store.setdefault(column, []).extend(float(v) for v in vals[np.isfinite(vals)])


def drawn_values(fig) -> dict[str, list[float]]:
    """Return the numbers a figure draws, by the CSV column each comes from (sorted, rounded to 12
    significant digits so that the record is stable)."""
    store = getattr(fig, DRAWN, {}) or {}
    return {c: sorted(float(f"{v:.12g}") for v in vals) for c, vals in sorted(store.items())}


def smallest_text(fig) -> float:
    """Return the smallest font size (points) of any visible, non-empty text of the figure."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return float(min(sizes)) if sizes else float("nan")


def _errorbar(ax, x, y, low, high, columns: tuple[str, str, str], horizontal: bool = False, **kw):
    """Draw points with intervals; record the drawn estimate and interval ends under `columns`."""
    y, low, high = (np.asarray(v, dtype=float) for v in (y, low, high))
    err = np.vstack([y - low, high - y])
    args = dict(xerr=err) if horizontal else dict(yerr=err)
    pos = (y, x) if horizontal else (x, y)
    filled = kw.pop("filled", True)
    colour = kw.get("color", INK)
    container = ax.errorbar(*pos, fmt=kw.pop("fmt", "o"), capsize=1.5, lw=0.8, ms=3.5, mew=0.8,
                            mfc=colour if filled else "white", **args, **kw)
    data_line, _, bar_lines = container.lines
    if data_line is not None:
        _record(ax.figure, columns[0], data_line.get_xdata() if horizontal else data_line.get_ydata())
    for segs in (b.get_segments() for b in bar_lines):
        axis = 0 if horizontal else 1
        ends = np.array([[s[0][axis], s[1][axis]] for s in segs if len(s) == 2]).reshape(-1, 2)
        _record(ax.figure, columns[1], ends.min(axis=1))
        _record(ax.figure, columns[2], ends.max(axis=1))
    return container


def _panel_letters(axes) -> None:
    """Title each of `axes` at its left with its panel letter: a, b, ..., z, aa, ab, ..."""
    for i, ax in enumerate(axes):
        ax.set_title(_letter(i), loc="left", fontweight="bold", fontsize=8)


def _letter(i: int) -> str:
    """Return the panel letter of the i-th panel (from 0): a, b, ..., z, aa, ab, ..."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]


def doc_labels(documents: pd.DataFrame | None) -> dict[str, str]:
    """Return doc_id -> display label: the manifest's ``short_title`` where given, else the doc_id."""
    if documents is None:
        return {}
    if "short_title" not in documents.columns:
        return {d: d for d in documents["doc_id"]}
    short = documents["short_title"].fillna("").astype(str).str.strip()
    return {d: (s or d) for d, s in zip(documents["doc_id"], short)}


def _doc_order(table: pd.DataFrame, documents: pd.DataFrame | None, key: str = "doc_id") -> list[str]:
    present = set(table[key].astype(str))
    if documents is not None:
        order = documents.sort_values(["date", "doc_id"])["doc_id"].tolist()
        return [d for d in order if d in present]
    return sorted(present)


def categories_of(table: pd.DataFrame, column: str = "theme", leave_out=("none", "other")) -> list[str]:
    """Return the categories of a table's `column` in order of first appearance."""
    return [c for c in dict.fromkeys(table[column].astype(str)) if c not in leave_out]


def _legend(fig, handles, loc: str, most: int):
    """Draw a figure legend in at most `most` columns, fewer while it is wider than the figure (measured)."""
    for ncol in range(max(1, min(most, len(handles))), 0, -1):
        legend = fig.legend(handles=handles, loc=loc, ncol=ncol, frameon=False)
        if ncol == 1 or legend.get_window_extent(fig.canvas.get_renderer()).width <= fig.bbox.width:
            return legend
        legend.remove()


def _category_legend(fig, categories, names, colours, markers, ncol=None, anchor_top=True, extra=()):
    handles = [Line2D([], [], color=colours[c], marker=markers[c], ls="none", ms=4, label=category_label(c, names))
               for c in categories] + list(extra)
    if fig.get_size_inches()[0] < 5:
        ncol = min(ncol or len(handles), 2)
    _legend(fig, handles, "outside upper center" if anchor_top else "outside lower center", ncol or len(handles))


# ----------------------------------------------------------------------------- themes


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


# ----------------------------------------------------------------------------- discourse


def plot_keyness(table: pd.DataFrame, title: str, target: str, reference: str, top: int = 12,
                 alpha: float = 0.05, width: str | float = "double") -> plt.Figure:
    """Return a bar chart of key terms: Hardie's log ratio with its 95% confidence interval.

    A bar is filled when its drawn interval excludes 0 (the test the interval shows) and hollow
    when it does not; an asterisk after the term marks G2 significance after Benjamini-Hochberg
    (``p_adj < alpha``), a different test, drawn separately and named in the legend. Vermillion
    bars are key for the target, sky-blue ones for the reference. `table` is an
    `analysis.discourse.keyness` table (module `keyterms`), ranked (top first).
    """
    require_intervals(table, ("log_ratio_ci_low", "log_ratio_ci_high"), what="plot_keyness")
    with style():
        rows = table.iloc[::-1]
        fig, ax = _figure(width, 0.16 * len(rows) + 1.0)
        y = np.arange(len(rows))
        colours = [KEYNESS_SIDES["target"] if lr > 0 else KEYNESS_SIDES["reference"] for lr in rows["log_ratio"]]
        excludes = ((rows["log_ratio_ci_low"] > 0) | (rows["log_ratio_ci_high"] < 0)).to_numpy()
        bars = ax.barh(y, rows["log_ratio"], color=[c if s else "white" for c, s in zip(colours, excludes)],
                       edgecolor=colours, height=0.7, lw=0.8)
        _record(fig, "log_ratio", [b.get_width() for b in bars])
        _errorbar(ax, y, rows["log_ratio"], rows["log_ratio_ci_low"], rows["log_ratio_ci_high"],
                  ("log_ratio", "log_ratio_ci_low", "log_ratio_ci_high"), horizontal=True, fmt="none", color=INK)
        starred = (rows["p_adj"] < alpha).to_numpy()
        ax.set_yticks(y, [f"{str(t).replace('_', ' ')}{' *' if s else ''}  ({a}/{b})" for t, s, a, b in
                          zip(rows["term"], starred, rows["freq_target"], rows["freq_reference"])])
        ax.axvline(0, color=INK, lw=0.6)
        narrow = width_inches(width) < 5
        ax.set_xlabel(_wrap(f"log ratio (log2 of relative frequency, {target} / {reference})", 28 if narrow else 100))
        fig.suptitle(_wrap(title, 55 if narrow else 110))
        handles = [Patch(facecolor=KEYNESS_SIDES["target"], edgecolor=KEYNESS_SIDES["target"], label=f"key for {target}"),
                   Patch(facecolor=KEYNESS_SIDES["reference"], edgecolor=KEYNESS_SIDES["reference"],
                         label=f"key for {reference}"),
                   Patch(facecolor="white", edgecolor=INK, label="hollow: 95% CI includes 0"),
                   Line2D([], [], ls="none", marker="$*$", color=INK, label=f"*: G2 p_adj < {alpha} (BH)")]
        fig.legend(handles=handles, loc="outside lower center", ncol=1 if narrow else 2, frameon=False)
    return fig


def plot_formulations(counts: pd.DataFrame, documents: pd.DataFrame | None = None, top: int = 25,
                      width: str | float = "double") -> plt.Figure:
    """Return a heatmap of official formulations (rows, by canonical English form) by document
    (columns): rate per 10,000 tokens, each cell annotated with its count; the CSV carries exact
    Poisson 95% intervals."""
    require_intervals(counts, ("rate_ci_low", "rate_ci_high"), what="plot_formulations")
    docs = _doc_order(counts, documents)
    labels = doc_labels(documents)
    wide = counts.pivot_table(index="formulation_id", columns="doc_id", values="rate_per_10k", aggfunc="sum").reindex(columns=docs)
    n = counts.pivot_table(index="formulation_id", columns="doc_id", values="count", aggfunc="sum").reindex(columns=docs)
    order = n.sum(axis=1).sort_values(ascending=False, kind="stable").index[:top]
    wide, n = wide.loc[order], n.loc[order]
    names = (counts.drop_duplicates("formulation_id").set_index("formulation_id")["canonical"]
             if "canonical" in counts.columns else pd.Series(dtype=object))
    with style():
        fig, ax = _figure(width, (0.15 if width_inches(width) > 5 else 0.27) * len(order) + 1.5)
        values = wide.to_numpy(dtype=float)
        im = ax.imshow(values, aspect="auto", cmap=SEQUENTIAL)
        _record(fig, "rate_per_10k", im.get_array())
        vmax = np.nanmax(values) if np.isfinite(values).any() else 1
        for (i, j), value in np.ndenumerate(n.to_numpy()):
            if value:
                ax.text(j, i, int(value), ha="center", va="center", fontsize=7,
                        color="black" if values[i, j] > vmax * 0.6 else "white")
        ax.set_xticks(range(len(docs)), [labels.get(d, d) for d in docs], rotation=20, ha="right")
        wrap = 60 if width_inches(width) > 5 else 26
        ax.set_yticks(range(len(order)), [_wrap(str(names.get(f, f)), wrap) for f in order])
        ax.spines[:].set_visible(False)
        fig.colorbar(im, ax=ax, label="rate per 10,000 tokens", shrink=0.6)
    return fig


#: Where a node's label may go, tried in this order: (dx, dy) in points from the node, and the
#: label's alignment there.
_LABEL_SPOTS = [((0, 5), "center", "bottom"), ((0, -5), "center", "top"), ((6, 0), "left", "center"),
                ((-6, 0), "right", "center"), ((5, 4), "left", "bottom"), ((-5, 4), "right", "bottom"),
                ((5, -4), "left", "top"), ((-5, -4), "right", "top"), ((0, 14), "center", "bottom"),
                ((0, -14), "center", "top")]


def _place_labels(fig: plt.Figure, ax, pos: dict, bold: str | None = None) -> list:
    """Label every node of `pos` (name -> (x, y) in data units) at the first spot of `_LABEL_SPOTS`
    whose box overlaps no label placed before and no node, the node `bold` first; where no spot is
    free, at the spot with the least overlap. Return the text artists."""
    fig.canvas.draw()                                 # settle the layout, so data -> pixels is final
    renderer = fig.canvas.get_renderer()
    centres = ax.transData.transform(np.array(list(pos.values()), dtype=float))
    radius = 3.0 * fig.dpi / 72                       # a node marker's half-width, in pixels
    nodes = np.column_stack([centres - radius, centres + radius])
    placed: list[np.ndarray] = []
    texts = []
    names = list(pos)
    for v in sorted(names, key=lambda name: (name != bold, names.index(name))):
        own = np.array(names) == v
        best = None
        for (dx, dy), ha, va in _LABEL_SPOTS:
            text = ax.annotate(v.replace("_", " "), pos[v], xytext=(dx * (1.6 if v == bold else 1), dy), ha=ha, va=va,
                               textcoords="offset points", fontsize=7, fontweight="bold" if v == bold else "normal",
                               bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8})
            box = text.get_window_extent(renderer)
            box = np.array([box.x0, box.y0, box.x1, box.y1])
            overlap = _overlap(box, np.array(placed).reshape(-1, 4)) + _overlap(box, nodes[~own])
            if best is None or overlap < best[1]:
                if best is not None:
                    best[0].remove()
                best = (text, overlap, box)
            else:
                text.remove()
            if overlap == 0:
                break
        placed.append(best[2])
        texts.append(best[0])
    return texts


def _overlap(box: np.ndarray, boxes: np.ndarray) -> float:
    """Return the summed area (pixels^2) of `box` (x0, y0, x1, y1) shared with each row of `boxes`."""
    if not len(boxes):
        return 0.0
    w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    return float((w * h).sum())


def plot_collocation_network(edges: pd.DataFrame, node: str, seed: int, width: str | float = "double") -> plt.Figure:
    """Return a network of the collocates of `node` (first ring) and their own strongest collocates
    (second ring); edge width grows with G2, solid edges are significant (p < 0.05), dashed are not.
    `edges` has columns source, target, count, g2, pmi, p. Layout: networkx's spring layout with
    the given seed."""
    import networkx as nx

    if "p" not in edges.columns:
        raise SchemaError("plot_collocation_network: the edge table has no p column (significance)")
    graph = nx.Graph()
    for e in edges.itertuples():
        graph.add_edge(e.source, e.target, weight=float(e.g2), significant=bool(e.p < 0.05))
    with style():
        w = width_inches(width)
        fig, ax = _figure(w, max(w * 0.7, 3.8))
        pos = nx.spring_layout(graph, seed=seed, weight=None, k=1.6 / np.sqrt(max(len(graph), 1)), iterations=200)
        first = set(edges.loc[edges["source"] == node, "target"])
        ring = {v: "node" if v == node else "first" if v in first else "second" for v in graph.nodes}
        g2 = np.array([graph.edges[e]["weight"] for e in graph.edges])
        _record(fig, "g2", g2)
        widths = 0.4 + 2.6 * (g2 / g2.max() if len(g2) and g2.max() > 0 else g2)
        styles = ["solid" if graph.edges[e]["significant"] else "dashed" for e in graph.edges]
        nx.draw_networkx_edges(graph, pos, ax=ax, width=widths, style=styles, edge_color=OKABE_ITO["grey"])
        nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=[NETWORK_RINGS[ring[v]] for v in graph.nodes],
                               node_size=[160 if v == node else 40 for v in graph.nodes], edgecolors=INK, linewidths=0.5)
        xs = np.array([p[0] for p in pos.values()])
        ax.set_xlim(xs.min() - 0.15, xs.max() + 0.15)
        ax.set_axis_off()
        _place_labels(fig, ax, pos, bold=node)
        handles = [Line2D([], [], ls="none", marker="o", mfc=NETWORK_RINGS[r], mec=INK, ms=5, label=lab)
                   for r, lab in (("node", f"'{node}'"), ("first", "its collocates"), ("second", "their collocates"))]
        handles += [Line2D([], [], color=OKABE_ITO["grey"], lw=1.5, label="p < 0.05 (width: G2)"),
                    Line2D([], [], color=OKABE_ITO["grey"], lw=1.5, ls="--", label="p >= 0.05")]
        _legend(fig, handles, "outside lower center", 3)
    return fig


# ----------------------------------------------------------------------------- topics


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


# ----------------------------------------------------------------------------- effects


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


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
