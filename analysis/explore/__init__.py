"""The offline explorer: a self-contained HTML site over the result tables (`analysis explore`).

`collect_tables` (module `tables`) computes the tables from a corpus with the themes, topics and
discourse stages, as `analysis.pipeline.make_figures` does for the figures. `build_data` (module
`site`) turns them into the JSON-serialisable dict the page reads as ``window.DATA``, and
`site_files` returns every file of the site (name -> bytes). Nothing here writes to disk:
`analysis.cli` does. Only `analysis.cli` imports this package.
"""
from analysis.explore.site import (LAMBDA_STEPS, MARKER, RELEVANCE_TERMS, build_data, classical_mds,
                                   data_script, relevance, relevance_terms, site_files, topic_distances)
from analysis.explore.tables import ExploreTables, collect_tables, keyness_comparisons

__all__ = ["ExploreTables", "LAMBDA_STEPS", "MARKER", "RELEVANCE_TERMS", "build_data", "classical_mds",
           "collect_tables", "data_script", "keyness_comparisons", "relevance", "relevance_terms", "site_files",
           "topic_distances"]
