"""The offline explorer: a self-contained HTML site over the result tables (`analysis explore`).

`collect_tables` (module `tables`) computes the tables from a corpus with the themes, topics and
discourse stages, as `analysis.pipeline.make_figures` does for the figures. `build_data` (module
`site`) turns them into the JSON-serialisable dict the page reads as ``window.DATA``, and
`site_files` returns every file of the site (name -> bytes); both are pure. The command (module
`command`) writes the files through `analysis.io`. Only `analysis.cli` imports this package; its
modules load on first use, so registering the command costs nothing.
"""
from __future__ import annotations

from analysis.lazy import lazy_exports

_EXPORTS = {
    **{name: "analysis.explore.site" for name in (
        "LAMBDA_STEPS", "MARKER", "RELEVANCE_TERMS", "build_data", "classical_mds", "data_script", "relevance",
        "relevance_terms", "site_files", "topic_distances")},
    **{name: "analysis.explore.tables" for name in ("ExploreTables", "collect_tables", "keyness_comparisons")},
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
