"""Exceptions for bad input. Bugs raise whatever they raise; these name the file, row and field."""


class AnalysisError(Exception):
    """Base class of every error caused by bad input (files, manifests, lexicons, options)."""


class CorpusError(AnalysisError):
    """A seed file or manifest row that cannot be read or does not match its description."""


class ConfigError(AnalysisError):
    """A configuration value or command-line option outside its allowed range."""


class SchemaError(AnalysisError):
    """A table passed between stages lacks a column or has a column of the wrong type."""
