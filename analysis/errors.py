"""Exceptions for bad input. Bugs raise whatever they raise; these name the file, row and field."""
from __future__ import annotations


class AnalysisError(Exception):
    """Base class of every error caused by bad input (files, manifests, lexicons, options)."""


class CorpusError(AnalysisError):
    """A seed file or manifest row that cannot be read or does not match its description."""


class ConfigError(AnalysisError):
    """A configuration value or function argument outside its allowed range."""


class ParameterError(ConfigError):
    """A library function's argument outside its allowed range.

    The message names the function and the parameter (``kwic: window must be >= 1; got 0``); the
    command line reports the same error with its flag (``--window must be >= 1; got 0``).

    Parameters
    ----------
    function : str
        The public function that refused the value.
    param : str
        The parameter's name, as in the function's signature.
    text : str
        What is wrong, starting after the parameter's name.
    """

    def __init__(self, function: str, param: str, text: str) -> None:
        self.function, self.param, self.text = function, param, text
        super().__init__(f"{function}: {param} {text}")

    def as_flag(self, flag: str | None = None) -> str:
        """Return the message with the command-line flag in place of the parameter."""
        return f"{flag or '--' + self.param.replace('_', '-')} {self.text}"


class SchemaError(AnalysisError):
    """A table passed between stages lacks a column or has a column of the wrong type."""


class AnalysisWarning(UserWarning):
    """Input the toolkit reads but may misread (e.g. a document mostly outside the Latin script)."""


class CorpusWarning(AnalysisWarning):
    """A document the corpus leaves out or reads in part (e.g. no body paragraph after cleaning);
    the run goes on, and the cleaning log has a row for it."""
