"""Type and range checks shared by the configuration dataclasses of `analysis.config`.

Every message names the setting as ``section.field`` (the TOML key), the value found and what was
expected.
"""
from __future__ import annotations

import dataclasses
import math

from analysis.errors import ConfigError


def _check(cond: bool, name: str, expected: str, value: object) -> None:
    if not cond:
        raise ConfigError(f"{name} must be {expected}; got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str_tuple(values: object, name: str) -> tuple[str, ...]:
    """Return `values` (a list of non-empty strings without repeats) as a tuple, or raise ConfigError."""
    ok = isinstance(values, (list, tuple)) and all(isinstance(v, str) and v.strip() for v in values)
    _check(ok and len(set(values)) == len(values), name, "a list of distinct non-empty strings", values)
    return tuple(values)


#: Largest seed: numpy's legacy RandomState, gensim and scikit-learn take seeds below 2**32.
MAX_SEED = 2**32 - 1

_TYPES = {
    "bool": ("a boolean (true or false)", lambda v: isinstance(v, bool)),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "float": ("a finite number", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
              and math.isfinite(v)),
    "str": ("a string", lambda v: isinstance(v, str)),
}


def _check_types(config, section: str) -> None:
    """Check every field of the dataclass `config` against its annotation ("int", "float", "bool",
    "str", "tuple[int, ...]", "tuple[str, ...]"), naming ``section.field`` in the message.

    Booleans are not integers here, integers are numbers but floats are not integers, and
    numbers must be finite: TOML's ``phrases = "no"``, ``min_doc_count = 2.5``, ``seed = true``
    and ``n_bootstrap = inf`` are all refused.
    """
    for f in dataclasses.fields(config):
        value, kind = getattr(config, f.name), str(f.type)
        name = f"{section}.{f.name}"
        if kind.startswith("tuple["):
            inner = kind[len("tuple["):].split(",")[0].strip()
            expected, ok = _TYPES[inner]
            plural = f"{expected.removeprefix('an ').removeprefix('a ')}s"
            if inner == "str":
                plural, ok = "non-empty strings", (lambda v: isinstance(v, str) and v.strip() != "")
            _check(isinstance(value, (tuple, list)) and all(ok(v) for v in value) and len(set(value)) == len(value),
                   name, f"a list of distinct {plural}", value)
        elif kind in _TYPES:
            expected, ok = _TYPES[kind]
            _check(ok(value), name, expected, value)


def _check_seed(value: int, name: str) -> None:
    _check(0 <= value <= MAX_SEED, name, f"an integer >= 0 and <= {MAX_SEED}", value)


def _check_ints(obj, section: str, **lows: int) -> None:
    """Check that each named field of `obj` is an integer (not a bool) at least its low bound."""
    for name, low in lows.items():
        value = getattr(obj, name)
        _check(isinstance(value, int) and not isinstance(value, bool) and value >= low, f"{section}.{name}",
               f"an integer >= {low}", value)
