"""What every figure shares: print style and sizes, the record of what is drawn, intervals, panel letters,
labels and legends."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from analysis.errors import SchemaError  # noqa: E402
from analysis.palette import INK, category_label  # noqa: E402

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


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))
