"""The lexicon: categories and their entries, read from (and written to) dictionary files.

A lexicon defines any number (>= 1) of categories with any names (`Lexicon.categories`, in file
order); every table downstream has one row or column per category, in that order. The package's
lexicon (``data/themes.yaml``) defines the four themes of THEMES.md.

Formats read by `load_lexicon` (told from the file, or given as ``format``):

``analysis`` (``.yaml``/``.yml`` with a top-level ``themes`` key)
    ``themes: {<category>: [{pattern, rationale}, ...]}`` and an optional ``exclude`` list of
    ``{pattern, rationale}``: expressions that claim their tokens for no category.
``quanteda`` (any other ``.yaml``/``.yml``)
    quanteda's YAML dictionary: ``<category>: [pattern, ...]``; a category may hold nested
    categories instead of a list, which are flattened with a dot (``politics: {domestic: [...]}``
    -> ``politics.domestic``, the name quanteda's ``as.list(flatten = TRUE)`` gives). A category
    with both its own patterns and subcategories is refused (quanteda keeps such words in the
    parent; here every pattern belongs to exactly one category).
``liwc`` (``.dic``)
    LIWC's dictionary: a header between two lines holding ``%`` of ``<number> <name>`` lines,
    then one ``<pattern> <number> [<number> ...]`` line per entry (tab-separated when the pattern
    holds spaces). An entry listed under two categories is refused: categories here are
    exclusive (each token counts for one category at most).

Patterns in every format mean the same: words are lemmatised (`analysis.tokens.lemmatize`) and
matched as a lemma sequence; a word holding ``*``, ``?`` or ``[...]`` is a glob matched against
single lemmas. A glob word without a letter (``*``, ``**``) would match every word and is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import ConfigError
from analysis.query import GLOB, parse_pattern
from analysis.tokens import lemmatize

#: The categories of the package's default lexicon (``data/themes.yaml``). Code reads the
#: categories from the lexicon (`Lexicon.categories`); this tuple only names the default ones.
THEMES = ("security", "development", "livelihood", "supervision")


EXCLUDE = "exclude"


#: Names a category may not take: label values and column names of the tables downstream.
RESERVED_NAMES = frozenset({
    "doc_id", "para_id", "line", "line_start", "line_end", "n_tokens", "n_paragraphs", "theme", "category",
    "entry", "none", "other", "exclude", "all", "macro", "model", "k", "seed", "topic", "total", "year",
    "count", "share", "unit", "level", "method", "gold", "predicted",
})


LEXICON_FORMATS = ("analysis", "quanteda", "liwc")


_CATEGORY_NAME = re.compile(r"\w[^,\"\x00-\x1f\x7f]*")




_GLOB_WORD = re.compile(r"[a-z*?\[\]-]+")


# --------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class Entry:
    """One lexicon entry.

    Attributes
    ----------
    theme : str           the entry's category (one of `Lexicon.categories`) or "exclude"
    pattern : str         as written in the lexicon
    words : tuple of str  lemmas and glob words to match, in order
    rationale : str       why the entry is there ("" when the format has no place for it)
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
    """The entries of a lexicon file, its categories (in file order) and where it came from.

    `categories` defaults to the entries' categories in order of first appearance.
    """

    entries: tuple[Entry, ...]
    source: str
    categories: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.categories:
            seen = dict.fromkeys(e.theme for e in self.entries if e.theme != EXCLUDE)
            object.__setattr__(self, "categories", tuple(seen))

    def table(self) -> pd.DataFrame:
        """Return the entries as a table (theme, entry, lemmas, glob, rationale)."""
        return pd.DataFrame({"theme": [e.theme for e in self.entries],
                             "entry": [e.pattern for e in self.entries],
                             "lemmas": [" ".join(e.words) for e in self.entries],
                             "glob": [e.is_glob for e in self.entries],
                             "rationale": [e.rationale for e in self.entries]})

    def without(self, pattern: str) -> "Lexicon":
        """Return the lexicon without the entry whose pattern is `pattern` (same categories)."""
        return Lexicon(tuple(e for e in self.entries if e.pattern != pattern), self.source, self.categories)


#: A glob word must keep this many letters outside its wildcards ("gang*"), or it matches almost
#: every word ("*", "**", "a*") and assigns the corpus to one theme.
MIN_GLOB_LETTERS = 3


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


def _check_pattern(pattern: str, where: str) -> tuple[str, ...]:
    """Return the words of `pattern`; raise ConfigError (prefixed with `where`) if it has none or
    a glob word without a letter (it would match every word)."""
    words = _pattern_words(pattern)
    if not words:
        raise ConfigError(f"{where}: pattern {pattern!r} has no word (letters, '-', glob '*?[]')")
    for word in words:
        letters = _glob_letters(word) if GLOB.search(word) else MIN_GLOB_LETTERS
        if letters == 0:
            raise ConfigError(f"{where}: pattern {pattern!r}: glob word {word!r} has no letter and would "
                              "match every word")
        if letters < MIN_GLOB_LETTERS:
            raise ConfigError(f"{where}: pattern {pattern!r}: glob word {word!r} matches almost every word; "
                              f"a glob word needs at least {MIN_GLOB_LETTERS} letters outside its wildcards")
    return words


def _check_category(name, where: str) -> str:
    """Return the category name stripped; raise ConfigError if it is not a usable name."""
    if not isinstance(name, str) or not _CATEGORY_NAME.fullmatch(name.strip()):
        raise ConfigError(f"{where}: category name {name!r} must start with a letter or digit and hold no "
                          "comma, double quote or control character")
    name = name.strip()
    if name.lower() in RESERVED_NAMES:
        raise ConfigError(f"{where}: category name {name!r} collides with a table column or label; reserved: "
                          f"{', '.join(sorted(RESERVED_NAMES))}")
    return name


def default_lexicon_path() -> Path:
    """Return the path of the lexicon shipped with the package (``analysis/data/themes.yaml``)."""
    return Path(str(resources.files("analysis.data").joinpath("themes.yaml")))


# --------------------------------------------------------------------------- YAML with lines


class _DuplicateKey(Exception):
    def __init__(self, key, line: int, first: int) -> None:
        super().__init__(key)
        self.key, self.line, self.first = key, line, first


class _Map(dict):
    """A YAML mapping that remembers the 1-based line of itself and of each key."""

    line = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict = {}


class _Seq(list):
    """A YAML sequence that remembers the 1-based line of itself and of each item."""

    line = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys and records line numbers (`_Map`, `_Seq`)."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    out = _Map()
    out.line = node.start_mark.line + 1
    yield out
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            duplicate = key in out
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a scalar",
                                                    key_node.start_mark) from None
        if duplicate:
            raise _DuplicateKey(key, line, out.lines[key])
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = line


def _construct_seq(loader: _LineLoader, node: yaml.SequenceNode):
    out = _Seq()
    out.line = node.start_mark.line + 1
    yield out
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.lines.append(item.start_mark.line + 1)


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


def _read_yaml(path: Path):
    """Return the YAML document of `path` (mappings as `_Map`, lists as `_Seq`)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 (a SafeLoader)
    except _DuplicateKey as exc:
        raise ConfigError(f"{path}:{exc.line}: key {exc.key!r} appears twice in one mapping "
                          f"(first at line {exc.first})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: lexicon is not valid YAML ({' '.join(str(exc).split())})") from None


def _line_of(container, key, default: int) -> int:
    lines = getattr(container, "lines", None)
    try:
        return int(lines[key]) if lines is not None else default
    except (KeyError, IndexError, TypeError):
        return default


# --------------------------------------------------------------------------- reading


class _Builder:
    """Collect entries and categories, refusing a pattern listed twice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[Entry] = []
        self.categories: list[str] = []
        self.seen: dict[tuple[str, ...], tuple[str, str]] = {}

    def category(self, name, line: int) -> str:
        name = _check_category(name, f"{self.path}:{line}")
        if name in self.categories:
            raise ConfigError(f"{self.path}:{line}: category {name!r} is defined twice")
        self.categories.append(name)
        return name

    def add(self, theme: str, pattern: str, rationale: str, where: str) -> None:
        words = _check_pattern(pattern, where)
        if words in self.seen:
            other_theme, other = self.seen[words]
            raise ConfigError(f"{where}: pattern {pattern!r} is already listed under {other_theme!r} "
                              f"as {other!r}; an entry may appear under one category only")
        self.seen[words] = (theme, pattern)
        self.entries.append(Entry(theme, pattern, words, rationale, len(self.entries)))

    def lexicon(self) -> Lexicon:
        if not self.categories:
            raise ConfigError(f"{self.path}: lexicon defines no category; at least one is needed")
        return Lexicon(tuple(self.entries), str(self.path), tuple(self.categories))


def _read_analysis(path: Path, data) -> Lexicon:
    unknown_keys = sorted(map(str, set(data) - {"themes", EXCLUDE}))
    if unknown_keys:
        raise ConfigError(f"{path}: unknown top-level key(s) {', '.join(map(repr, unknown_keys))}; "
                          "allowed: 'themes', 'exclude'")
    themes = data["themes"]
    if not isinstance(themes, dict) or not themes:
        raise ConfigError(f"{path}:{_line_of(data, 'themes', 1)}: 'themes' must map category names to lists "
                          "of entries (at least one category)")
    build = _Builder(path)
    groups = [(build.category(name, _line_of(themes, name, 1)), themes[name], _line_of(themes, name, 1))
              for name in themes]
    groups.append((EXCLUDE, data.get(EXCLUDE) or [], _line_of(data, EXCLUDE, 1)))
    for theme, items, line in groups:
        if theme != EXCLUDE and not items:
            raise ConfigError(f"{path}:{line}: category {theme!r} is empty; every category needs entries")
        if not isinstance(items, list):
            raise ConfigError(f"{path}:{line}: category {theme!r} must be a list of entries; "
                              f"got {type(items).__name__}")
        for k, item in enumerate(items, start=1):
            where = f"{path}:{_line_of(items, k - 1, line)}: {theme} entry {k}"
            if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
                raise ConfigError(f"{where}: expected a mapping with 'pattern' and 'rationale'; got {item!r}")
            pattern = item["pattern"].strip()
            extra = sorted(map(str, set(item) - {"pattern", "rationale"}))
            if extra:
                raise ConfigError(f"{where} ({pattern!r}): unknown field(s) {', '.join(extra)}; "
                                  "allowed: pattern, rationale")
            rationale = item.get("rationale")
            if not isinstance(rationale, str) or not rationale.strip():
                raise ConfigError(f"{where} ({pattern!r}): field 'rationale' is missing or empty")
            build.add(theme, pattern, rationale.strip(), where)
    return build.lexicon()


def _read_quanteda(path: Path, data, separator: str = ".") -> Lexicon:
    build = _Builder(path)

    def walk(mapping, prefix: str) -> None:
        for key in mapping:
            line = _line_of(mapping, key, 1)
            if not isinstance(key, str):
                raise ConfigError(f"{path}:{line}: category name {key!r} must be a string")
            value = mapping[key]
            if isinstance(value, dict):
                if not value:
                    raise ConfigError(f"{path}:{line}: category {prefix + key!r} is empty")
                walk(value, prefix + key + separator)
                continue
            name = build.category(prefix + key, line)
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not items:
                raise ConfigError(f"{path}:{line}: category {name!r} is empty or not a list of patterns")
            for k, item in enumerate(items):
                where = f"{path}:{_line_of(items, k, line)}: {name} entry {k + 1}"
                if not isinstance(item, str):
                    raise ConfigError(f"{where}: expected a pattern (a string); got {item!r}")
                build.add(name, item.strip(), "", where)

    walk(data, "")
    return build.lexicon()


def _read_liwc(path: Path) -> Lexicon:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: LIWC dictionary is not UTF-8 text ({exc.reason})") from None
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered or numbered[0][1].strip() != "%":
        where = numbered[0][0] if numbered else 1
        raise ConfigError(f"{path}:{where}: LIWC header must start with a line holding only '%'")
    close = next((i for i, (_, line) in enumerate(numbered[1:], start=1) if line.strip() == "%"), None)
    if close is None:
        raise ConfigError(f"{path}:{numbered[0][0]}: LIWC header is not closed by a second '%' line")
    build = _Builder(path)
    ids: dict[str, str] = {}
    for n, line in numbered[1:close]:
        parts = line.split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit():
            raise ConfigError(f"{path}:{n}: LIWC header line {line.strip()!r}: expected '<number> <category>'")
        if parts[0] in ids:
            raise ConfigError(f"{path}:{n}: LIWC category number {parts[0]} is defined twice")
        ids[parts[0]] = build.category(parts[1], n)
    if not ids:
        raise ConfigError(f"{path}:{numbered[0][0]}: LIWC header defines no category")
    for n, line in numbered[close + 1:]:
        if "\t" in line:
            pattern, *rest = line.split("\t")
            numbers = " ".join(rest).split()
        else:
            words = line.split()
            cut = len(words)
            while cut > 1 and words[cut - 1].isdigit():
                cut -= 1
            pattern, numbers = " ".join(words[:cut]), words[cut:]
        where = f"{path}:{n}"
        if not numbers or any(not x.isdigit() for x in numbers):
            raise ConfigError(f"{where}: LIWC entry {line.strip()!r}: expected a pattern then category numbers "
                              "(conditional LIWC entries are not supported)")
        unknown = [x for x in numbers if x not in ids]
        if unknown:
            raise ConfigError(f"{where}: LIWC entry {pattern.strip()!r}: category number {unknown[0]} is not in "
                              f"the header (known: {', '.join(ids)})")
        if len(set(numbers)) > 1:
            raise ConfigError(f"{where}: LIWC entry {pattern.strip()!r} is listed under "
                              f"{', '.join(ids[x] for x in dict.fromkeys(numbers))}; categories here are "
                              "exclusive, list it under one")
        build.add(ids[numbers[0]], pattern.strip(), "", where)
    for number, name in ids.items():
        if not any(e.theme == name for e in build.entries):
            raise ConfigError(f"{path}: LIWC category {number} {name!r} has no entry")
    return build.lexicon()


def lexicon_format(path: str | Path) -> str:
    """Return the format of a lexicon file told from its name and content.

    Returns
    -------
    {"analysis", "quanteda", "liwc"}
        ``liwc`` for a ``.dic`` file or one whose first non-blank line is ``%``; otherwise YAML:
        ``analysis`` when the top level has a ``themes`` key holding a mapping, else ``quanteda``.
    """
    path = Path(path)
    if path.suffix.lower() == ".dic":
        return "liwc"
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            first = next((line.strip() for line in fh if line.strip()), "")
    except FileNotFoundError:
        raise ConfigError(f"{path}: lexicon file not found") from None
    if first == "%":
        return "liwc"
    data = _read_yaml(path)
    return "analysis" if isinstance(data, dict) and isinstance(data.get("themes"), dict) else "quanteda"


def load_lexicon(path: str | Path | None = None, format: str | None = None) -> Lexicon:
    """Read and check a lexicon: the package's format, a quanteda YAML or a LIWC ``.dic`` dictionary.

    Parameters
    ----------
    path : path, optional
        The lexicon file; default the package's ``data/themes.yaml``.
    format : {None, "analysis", "quanteda", "liwc"}, default None
        None tells the format from the file (`lexicon_format`); see the module docstring.

    Returns
    -------
    Lexicon

    Raises
    ------
    ConfigError
        If the file is missing or unreadable, has a duplicate YAML key, defines no category, an
        empty category or one whose name collides with a table column or label (`RESERVED_NAMES`),
        a pattern without a word or matching every word, a pattern listed twice, an entry without
        pattern or (in the package's format) rationale, or a bad LIWC header. The message names the
        file, the line and the entry.

    Examples
    --------
    >>> lexicon = load_lexicon()
    >>> lexicon.categories
    ('security', 'development', 'livelihood', 'supervision')
    >>> table = lexicon.table()
    >>> table.loc[table["entry"] == "social security", "theme"].item()
    'livelihood'
    >>> table.loc[table["entry"] == "supervisory commission", "theme"].item()
    'exclude'
    """
    path = Path(path) if path is not None else default_lexicon_path()
    if format is not None and format not in LEXICON_FORMATS:
        raise ConfigError(f"load_lexicon: format must be one of {', '.join(LEXICON_FORMATS)}; got {format!r}")
    if path.is_dir():
        raise ConfigError(f"{path}: lexicon file is a folder; expected a YAML or LIWC .dic file")
    if not path.is_file():
        raise ConfigError(f"{path}: lexicon file not found")
    format = format or lexicon_format(path)
    if format == "liwc":
        return _read_liwc(path)
    data = _read_yaml(path)
    if format == "analysis":
        if not isinstance(data, dict) or "themes" not in data:
            raise ConfigError(f"{path}: lexicon must be a mapping with a 'themes' key (and optional 'exclude')")
        return _read_analysis(path, data)
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: lexicon must be a mapping: a 'themes' key (the package's format) or category "
                          "names to lists of patterns (a quanteda dictionary)")
    return _read_quanteda(path, data)


# --------------------------------------------------------------------------- writing


def export_note(lexicon: Lexicon, format: str) -> str:
    """Return what the export of `lexicon` to `format` does not carry over, as lines of text."""
    n_exclude = sum(e.theme == EXCLUDE for e in lexicon.entries)
    lines = [f"Exported from {Path(lexicon.source).name} for {format}. What does not carry over:",
             "- lemma matching: here each word of a pattern is lemmatised and matched against lemmas "
             "('crimes' matches 'crime'); other tools match the pattern against word forms.",
             "- longest first: here the longest entry claims its tokens first and a token counts once "
             "('social security' before 'security'); other tools count every entry that matches.",
             f"- excludes: {n_exclude} exclude entr{'y' if n_exclude == 1 else 'ies'} (expressions that claim "
             "their tokens for no category) are left out.",
             "- rationales are left out."]
    if format == "liwc":
        lines.append("- globs other than a final '*' are not LIWC syntax.")
    return "\n".join(lines)


def export_lexicon(lexicon: Lexicon, format: str) -> str:
    """Return the lexicon as the text of a quanteda YAML or LIWC ``.dic`` dictionary.

    Categories keep their order and names (a dotted name stays one flat key); exclude entries and
    rationales are left out (`export_note` says what else does not carry over). The quanteda text
    starts with the note as YAML comments.

    Parameters
    ----------
    lexicon : Lexicon
    format : {"quanteda", "liwc"}

    Returns
    -------
    str
        The file's text, ending with a newline.
    """
    from analysis.errors import ParameterError

    if format not in ("quanteda", "liwc"):
        raise ParameterError("export_lexicon", "format", f"must be one of quanteda, liwc; got {format!r}")
    by_category = {c: [e.pattern for e in lexicon.entries if e.theme == c] for c in lexicon.categories}
    if format == "liwc":
        header = [f"{k}\t{name}" for k, name in enumerate(lexicon.categories, start=1)]
        body = [f"{pattern}\t{k}" for k, name in enumerate(lexicon.categories, start=1)
                for pattern in by_category[name]]
        return "\n".join(["%", *header, "%", *body]) + "\n"
    note = "".join(f"# {line}\n" for line in export_note(lexicon, format).splitlines())
    return note + yaml.safe_dump(by_category, sort_keys=False, allow_unicode=True, width=1000)
