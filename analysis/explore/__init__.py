"""The offline explorer: a self-contained HTML site over the result tables (`analysis explore`).

`collect_tables` computes the tables from a corpus (the themes, topics and discourse stages, as
`analysis.figures.make_figures` does); `build_data` turns them into the JSON-serialisable dict the
page reads as ``window.DATA``; `site_files` returns every file of the site (name -> bytes). Nothing
here writes to disk: `analysis.cli` does. Only `analysis.cli` imports this package.
"""
from analysis.explore.site import (ExploreTables, LAMBDA_STEPS, MARKER, RELEVANCE_TERMS, build_data,
                                   classical_mds, collect_tables, data_script, relevance,
                                   relevance_terms, site_files, topic_distances)

__all__ = ["ExploreTables", "LAMBDA_STEPS", "MARKER", "RELEVANCE_TERMS", "build_data", "classical_mds",
           "collect_tables", "data_script", "relevance", "relevance_terms", "site_files", "topic_distances"]
