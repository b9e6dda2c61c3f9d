"""Figures of how the texts speak: keyness, formulations, the collocation network."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from analysis.errors import SchemaError
from analysis.figures.base import (
    _doc_order,
    _errorbar,
    _figure,
    _legend,
    _record,
    _wrap,
    doc_labels,
    require_intervals,
    style,
    width_inches,
)
from analysis.palette import (
    INK,
    KEYNESS_SIDES,
    NETWORK_RINGS,
    OKABE_ITO,
    SEQUENTIAL,
)


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


