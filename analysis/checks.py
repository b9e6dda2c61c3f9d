"""Type and range checks shared by the configuration dataclasses of `analysis.config`.

Every message names the setting as ``section.field`` (the TOML key), the value found and what was
expected.
"""
from __future__ import annotations

import dataclasses
import math
import re

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


#: Keys of one keyness comparison in ``[[figures.keyness]]``.
KEYNESS_PAIR_KEYS = ("label", "target", "reference", "title", "target_name", "reference_name")


def keyness_pair(pair: object, where: str) -> dict:
    """Return one checked keyness comparison: label, target and reference as lists of FIELD=VALUE
    strings (reference ["rest"] by default), and the display names."""
    _check(isinstance(pair, dict), where, "a table with keys " + ", ".join(KEYNESS_PAIR_KEYS), pair)
    unknown = sorted(set(pair) - set(KEYNESS_PAIR_KEYS))
    _check(not unknown, where, "a table with keys from " + ", ".join(KEYNESS_PAIR_KEYS), unknown)
    label = pair.get("label")
    _check(isinstance(label, str) and bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", label)), f"{where}.label",
           "a name of letters, digits, '_' and '-' (the figure is keyness_<label>)", label)
    out = {"label": label}
    for side in ("target", "reference"):
        value = pair.get(side, "rest" if side == "reference" else None)
        value = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else value
        ok = (isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value)
              and all("=" in v for v in value) or value == ["rest"] and side == "reference")
        _check(ok, f"{where}.{side}", "FIELD=VALUE or a list of them" + (" or 'rest'" if side == "reference" else ""),
               pair.get(side))
        out[side] = list(value)
    for key, default in (("title", f"Key terms: {label}"), ("target_name", " ".join(out["target"])),
                         ("reference_name", " ".join(out["reference"]))):
        value = pair.get(key, default)
        _check(isinstance(value, str) and bool(value.strip()), f"{where}.{key}", "a non-empty string", value)
        out[key] = value
    return out


#: The figures `analysis figures` makes, in order (see `analysis.pipeline.make_figures`); the keyness
#: figures, one per comparison and named ``keyness_<label>``, come in place of "keyness".
FIGURE_NAMES = ("theme_attention", "translation_robustness", "method_agreement", "topic_diagnostics",
                "topic_terms", "document_topics", "keyness", "formulations", "collocation_network", "effects")
def figure_names(keyness_labels=()) -> tuple[str, ...]:
    """Return the figure names in drawing order, with ``keyness_<label>`` for each label given."""
    names: list[str] = []
    for name in FIGURE_NAMES:
        names += [f"keyness_{label}" for label in keyness_labels] if name == "keyness" else [name]
    return tuple(names)


def _tuples(value):
    """Return `value` with JSON lists turned back into the tuples the dataclasses hold."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


#: A corpus's own settings: a TOML file of this name beside its manifest is read when no config is given.
