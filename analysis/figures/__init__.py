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
from analysis.figures.base import (  # noqa: F401  (the module's names before it became a package)
    DRAWN,
    LINE_ART,
    MIN_FONT_PT,
    STYLE,
    WIDTHS,
    _legend,
    _panel_letters,
    categories_of,
    doc_labels,
    drawn_values,
    plt,
    require_intervals,
    smallest_text,
    style,
    width_inches,
)
from analysis.figures.discourse import (  # noqa: F401
    _place_labels,
    plot_collocation_network,
    plot_formulations,
    plot_keyness,
)
from analysis.figures.effects import plot_effects  # noqa: F401
from analysis.figures.themes import plot_theme_attention, plot_translation_robustness  # noqa: F401
from analysis.figures.topics import (  # noqa: F401
    plot_document_topics,
    plot_method_agreement,
    plot_topic_diagnostics,
    plot_topic_terms,
)
from analysis.palette import (  # noqa: F401  (the palette's names are the figures' too)
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
