"""The theme lexicon: entries, loading and checking a lexicon file."""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import ConfigError
from analysis.query import GLOB, parse_pattern
from analysis.tokens import lemmatize

THEMES = ("security", "development", "livelihood", "supervision")


EXCLUDE = "exclude"




_GLOB_WORD = re.compile(r"[a-z*?\[\]-]+")


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Entry:
    """One lexicon entry.

    Attributes
    ----------
    theme : str           one of THEMES or "exclude"
    pattern : str         as written in the lexicon
    words : tuple of str  lemmas and glob words to match, in order
    rationale : str
    order : int           0-based position in the lexicon file (tie-breaker)
    """

    theme: str
    pattern: str
    words: tuple[str, ...]
    rationale: str
    order: int

    @property
    def is_glob(self) -> bool:
        """Return True when any word of the pattern is a glob."""
        return any(GLOB.search(w) for w in self.words)


@dataclass(frozen=True)
class Lexicon:
    """The entries of a lexicon file and where it came from."""

    entries: tuple[Entry, ...]
    source: str

    def table(self) -> pd.DataFrame:
        """Return the entries as a table (theme, entry, lemmas, glob, rationale)."""
        return pd.DataFrame({"theme": [e.theme for e in self.entries],
                             "entry": [e.pattern for e in self.entries],
                             "lemmas": [" ".join(e.words) for e in self.entries],
                             "glob": [e.is_glob for e in self.entries],
                             "rationale": [e.rationale for e in self.entries]})

    def without(self, pattern: str) -> "Lexicon":
        """Return the lexicon without the entry whose pattern is `pattern`."""
        return Lexicon(tuple(e for e in self.entries if e.pattern != pattern), self.source)


#: A glob word must keep this many letters outside its wildcards ("gang*"), or it matches almost
#: every word ("*", "**", "a*") and assigns the corpus to one theme.
MIN_GLOB_LETTERS = 3


class _DuplicateKey(Exception):
    """A YAML mapping key given twice (message: "<line>: key ... appears twice ...")."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a mapping key given twice (PyYAML keeps the last silently)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise _DuplicateKey(f"{key_node.start_mark.line + 1}: key {key!r} appears twice "
                                f"(first on line {seen[key] + 1}); YAML would keep only the last")
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping)


def _glob_letters(word: str) -> int:
    """Return the number of literal letters of a glob word, outside its ``[...]`` sets."""
    return len(re.findall(r"[a-z]", re.sub(r"\[[^\]]*\]", "", word)))


def _pattern_words(pattern: str) -> tuple[str, ...]:
    """Return the pattern's words as the lexicon matches them: lemmas, glob words kept whole;
    () when a glob word has characters other than letters, '-' and '*?[]'."""
    words = parse_pattern(pattern.lower())
    if any(GLOB.search(w) and not _GLOB_WORD.fullmatch(w) for w in words):
        return ()
    return tuple(w if GLOB.search(w) else lemmatize(w) for w in words)


def default_lexicon_path() -> Path:
    """Return the path of the lexicon shipped with the package (``analysis/data/themes.yaml``)."""
    return Path(str(resources.files("analysis.data").joinpath("themes.yaml")))


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Read and check a theme lexicon (YAML).

    The file has a mapping ``themes`` of theme name -> list of entries, and an optional list
    ``exclude``; an entry is a mapping with ``pattern`` (str) and ``rationale`` (str).

    Parameters
    ----------
    path : path, optional
        The YAML file; default the package's ``data/themes.yaml``.

    Returns
    -------
    Lexicon

    Raises
    ------
    ConfigError
        If the file is missing or not YAML, names an unknown theme, lacks a theme or has an empty one,
        has an entry without pattern or rationale, or lists one pattern twice (under one or two themes).
        The message names the file and the entry.

    Examples
    --------
    >>> lexicon = load_lexicon()
    >>> table = lexicon.table()
    >>> table.loc[table["entry"] == "social security", "theme"].item()
    'livelihood'
    >>> table.loc[table["entry"] == "supervisory commission", "theme"].item()
    'exclude'
    """
    path = Path(path) if path is not None else default_lexicon_path()
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: lexicon file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: lexicon file is a folder; expected a YAML file") from None
    except _DuplicateKey as exc:
        raise ConfigError(f"{path}:{exc}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: lexicon is not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict) or "themes" not in data:
        raise ConfigError(f"{path}: lexicon must be a mapping with a 'themes' key (and optional 'exclude')")
    unknown_keys = sorted(set(data) - {"themes", EXCLUDE})
    if unknown_keys:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(map(repr, unknown_keys))}; "
                          "allowed: 'themes', 'exclude'")
    themes = data["themes"]
    if not isinstance(themes, dict):
        raise ConfigError(f"{path}: 'themes' must map theme names to lists of entries")
    for name in themes:
        if name not in THEMES:
            raise ConfigError(f"{path}: unknown theme {name!r}; expected one of "
                              f"{', '.join(map(repr, THEMES))}")
    groups = [(name, themes.get(name)) for name in THEMES] + [(EXCLUDE, data.get(EXCLUDE) or [])]
    entries: list[Entry] = []
    seen: dict[tuple[str, ...], tuple[str, str]] = {}
    for theme, items in groups:
        if theme != EXCLUDE and not items:
            raise ConfigError(f"{path}: theme {theme!r} is missing or empty; every theme needs entries")
        if not isinstance(items, list):
            raise ConfigError(f"{path}: theme {theme!r} must be a list of entries; got {type(items).__name__}")
        for k, item in enumerate(items, start=1):
            where = f"{path}: {theme} entry {k}"
            if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
                raise ConfigError(f"{where}: expected a mapping with 'pattern' and 'rationale'; got {item!r}")
            pattern = item["pattern"].strip()
            extra = sorted(set(item) - {"pattern", "rationale"})
            if extra:
                raise ConfigError(f"{where} ({pattern!r}): unknown field(s) {', '.join(extra)}; "
                                  "allowed: pattern, rationale")
            rationale = item.get("rationale")
            if not isinstance(rationale, str) or not rationale.strip():
                raise ConfigError(f"{where} ({pattern!r}): field 'rationale' is missing or empty")
            words = _pattern_words(pattern)
            if not words:
                raise ConfigError(f"{where}: pattern {pattern!r} has no word (letters, '-', glob '*?[]')")
            broad = [w for w in words if GLOB.search(w) and _glob_letters(w) < MIN_GLOB_LETTERS]
            if broad:
                raise ConfigError(f"{where}: pattern {pattern!r} matches almost every word ({broad[0]!r}); "
                                  f"a glob word needs at least {MIN_GLOB_LETTERS} letters outside its wildcards")
            if words in seen:
                other_theme, other = seen[words]
                raise ConfigError(f"{where}: pattern {pattern!r} is already listed under {other_theme!r} "
                                  f"as {other!r}; an entry may appear under one theme only")
            seen[words] = (theme, pattern)
            entries.append(Entry(theme, pattern, words, rationale.strip(), len(entries)))
    return Lexicon(tuple(entries), str(path))
