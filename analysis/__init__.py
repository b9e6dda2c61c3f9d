"""Topic modelling and discourse analysis of Chinese official legal documents in English.

Data flows one way: seeds -> `corpus` -> `tokens` -> `themes`, `topics`, `discourse` -> `figures`.

>>> import analysis
>>> corpus = analysis.load_corpus()
>>> int(corpus.documents["n_paragraphs"].gt(0).sum())
5
"""
from analysis.errors import AnalysisError, ConfigError, CorpusError, SchemaError
from analysis.tokens import load_corpus

__version__ = "0.1.0"
__all__ = ["load_corpus", "AnalysisError", "ConfigError", "CorpusError", "SchemaError", "__version__"]
