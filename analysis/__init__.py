"""Topic modelling and discourse analysis of Chinese official legal documents in English.

Data flows one way: seeds -> `corpus` -> `tokens` -> `themes`, `topics`, `discourse` -> `pipeline`
-> `figures` / `explore` -> `cli`. A module imports only from modules upstream of it, plus
`config`, `errors` and `io`.

Where a new function goes:
- it reads or cleans files into the paragraph table: `corpus`; it turns paragraphs into tokens or
  queries the token table (patterns, matches, concordance rows): `tokens` or `query`;
- it computes results of one method family from tokens: the stage package (`themes`, `topics`,
  `discourse`), in the module named after its family of results (one module per family);
- it chains stages for a command or a figure: `pipeline`; it draws: `figures`; it touches the disk:
  `io` or `cli`. Facts about one corpus (doc_ids, section numbers, captions) go in data files or
  the config, never in code.

>>> import analysis
>>> corpus = analysis.load_corpus()
>>> int(corpus.documents["n_paragraphs"].gt(0).sum())
5
"""
from __future__ import annotations

from analysis.errors import (
    AnalysisError,
    ConfigError,
    CorpusError,
    ParameterError,
    SchemaError,
)
from analysis.lazy import lazy_exports

try:
    from importlib.metadata import version as _version

    __version__ = _version("spp-discourse")
except Exception:  # not installed (a source checkout on sys.path)
    __version__ = "0+unknown"

#: Submodules and names loaded on first use, so `import analysis` stays cheap (no gensim,
#: scikit-learn or matplotlib until a stage needs them).
_SUBMODULES = ("config", "corpus", "tokens", "query", "themes", "topics", "discourse", "pipeline", "figures",
               "io", "cli")
_EXPORTS = {"load_corpus": "analysis.tokens", **{name: f"analysis.{name}" for name in _SUBMODULES}}

__all__ = ["load_corpus", "AnalysisError", "ConfigError", "CorpusError", "ParameterError", "SchemaError",
           "__version__", *_SUBMODULES]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
