"""Selecting documents into target and reference groups."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from analysis.errors import ParameterError

# ----------------------------------------------------------------------------- group selection

def parse_filters(specs: str | Sequence[str] | Mapping | None, option: str,
                  function: str = "keyness") -> dict[str, list[str]]:
    """Return ``{field: [values]}`` from ``FIELD=VALUE`` strings (or a mapping, passed through).

    Repeated fields collect their values (OR); different fields are combined with AND by
    `select_documents`.

    Raises
    ------
    ConfigError
        If a string has no ``=`` or an empty field or value; the message names `function` and the
        parameter `option`.
    """
    if specs is None:
        return {}
    if isinstance(specs, Mapping):
        return {str(k): [str(v)] if isinstance(v, (str, int)) else [str(x) for x in v] for k, v in specs.items()}
    if isinstance(specs, str):
        specs = [specs]
    filters: dict[str, list[str]] = {}
    for spec in specs:
        field, sep, value = str(spec).partition("=")
        if not sep or not field.strip() or not value.strip():
            raise ParameterError(function, option, f"{spec!r}: expected FIELD=VALUE, e.g. year=2023 or genre=speech")
        filters.setdefault(field.strip(), []).append(value.strip())
    return filters


def select_documents(documents: pd.DataFrame, filters: Mapping[str, Sequence[str]], option: str,
                     function: str = "keyness") -> list[str]:
    """Return the doc_ids whose metadata match `filters` (values of one field OR, fields AND).

    Raises
    ------
    ConfigError
        If `filters` is empty, names a field the documents table lacks, or a value no document has.
    """
    if not filters:
        raise ParameterError(function, option, "is empty: give at least one FIELD=VALUE")
    keep = np.ones(len(documents), dtype=bool)
    for field, values in filters.items():
        if field not in documents.columns:
            raise ParameterError(function, option, f"{field}=...: unknown field {field!r}; allowed: "
                              f"{', '.join(map(str, documents.columns))}")
        column = documents[field].astype(str)
        known = sorted(set(column))
        for value in values:
            if value not in known:
                raise ParameterError(function, option, f"{field}={value}: no document has {field} {value!r}; "
                                  f"values: {', '.join(known)}")
        keep &= column.isin(list(values)).to_numpy()
    return sorted(documents.loc[keep, "doc_id"].astype(str))


def rest_documents(documents: pd.DataFrame, target_docs: Sequence[str]) -> list[str]:
    """Return the doc_ids of the "rest" of a comparison: every document outside `target_docs`, less
    the documents that are another version of a text (``version_of`` set) and the texts the
    target documents are versions of, so that no text counts twice (or on both sides)."""
    doc_ids = documents["doc_id"].astype(str)
    version_of = (documents["version_of"].fillna("").astype(str) if "version_of" in documents.columns
                  else pd.Series("", index=documents.index))
    target = set(map(str, target_docs))
    originals_of_target = set(version_of[doc_ids.isin(target)]) - {""}
    keep = ~doc_ids.isin(target) & (version_of == "") & ~doc_ids.isin(originals_of_target)
    return sorted(doc_ids[keep])
