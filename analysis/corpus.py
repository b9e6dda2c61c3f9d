"""Read the seed texts named by a manifest, clean them by named rules, and cut them into paragraphs.

The manifest (``seeds/manifest.csv``) has one row per document; ``file`` is relative to the
manifest's folder and may not leave it. Cleaning never edits a seed file: every rule works on the
text in memory and writes one row per change to the cleaning log.

Columns of `documents` (one row per document):
    doc_id : str          stable readable slug, unique (e.g. "court-report-2019")
    file : str            seed file name, relative to the manifest's folder
    sha256 : str          hex sha256 of the seed file's bytes (checked on load)
    title : str           document title
    date : str            ISO date (YYYY-MM-DD) the text was issued or delivered
    year : int            year of `date`
    genre : str           kind of document (opinions, review, work_report, conference, ...)
    translation : str     {"official", "machine", "news"}: how the English was made
    version_of : str      doc_id this text is another English version of, or ""
    source : str          where the text comes from
    segmentation : str    {"line", "indent"}: how paragraphs are marked in the file
    short_title : str     optional display label of figures (manifest column; default: the doc_id)
    n_paragraphs : int    paragraphs kept (all kinds)
    n_tokens : int        word tokens in the analysed paragraphs (kinds body and list)

Columns of `paragraphs` (one row per paragraph, in reading order):
    doc_id : str          document
    para_id : int         1-based paragraph number within the document (after cleaning)
    kind : str            {"heading", "body", "list", "caption", "boilerplate"}
    part : str            unnumbered heading the paragraph sits under ("" if none), e.g. "2023 Work Proposals"
    section : str         nearest numbered heading above ("" if none), e.g. "I. Maintaining Security ..."
    section_no : str      that heading's own number, e.g. "I", "2" ("" if none)
    item_no : str         number of the list item the paragraph is or sits under: "1".."19" for
                          "1." items, ordinals as digits ("First," and "The first is" -> "1"); "" if none
    line_start : int      1-based line of the seed file where the paragraph starts
    line_end : int        1-based line where it ends (inclusive)
    text : str            cleaned text (NFC, non-breaking spaces and curly quotes normalised,
                          whitespace collapsed, repairs applied)
    n_tokens : int        word tokens in `text` (as `analysis.tokens` counts them)

Columns of `cleaning_log` (one row per change):
    rule : str            name of the rule (see `RULES`)
    doc_id : str          document
    line : int            1-based line of the seed file the change concerns
    changed : str         what changed, readable ("'5%.' joined to line 77: '99%' -> '99.5%'")

Kinds "body" and "list" are analysed; headings, captions and boilerplate are kept for reference
but carry no tokens.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import readers
from analysis.config import CorpusConfig, default_manifest
from analysis.errors import CorpusError, CorpusWarning, SchemaError
from analysis.manifest import (  # noqa: F401 (re-exported)
    MANIFEST_COLUMNS,
    OPTIONAL_MANIFEST_COLUMNS,
    SEGMENTATIONS,
    TRANSLATIONS,
    read_manifest,
)
from analysis.cleaning import (  # noqa: F401 (re-exported)
    CONTROLS as _CONTROLS,
    LINE_SEPARATORS as _LINE_SEPARATORS,
    SIGNATURE_WORD as _SIGNATURE_WORD,
    SPACES as _SPACES,
    WORD as _WORD,
    normalise_line,
    normalise_lines,
    paragraph_words,
)
from analysis.readers import line_of_offset, script_share, split_lines  # noqa: F401 (re-exported)
from analysis.repeats import _shingle_matrix, _similar_pairs, find_repeats  # noqa: F401 (re-exported)

ANALYSED_KINDS = ("body", "list")
KINDS = ("heading", "body", "list", "caption", "boilerplate")

DOCUMENT_COLUMNS = {"doc_id": "object", "file": "object", "sha256": "object", "title": "object",
                    "date": "object", "year": "int64", "genre": "object", "translation": "object",
                    "version_of": "object", "source": "object", "segmentation": "object",
                    "short_title": "object", "n_paragraphs": "int64", "n_tokens": "int64"}
PARAGRAPH_COLUMNS = {"doc_id": "object", "para_id": "int64", "kind": "object", "part": "object",
                     "section": "object", "section_no": "object", "item_no": "object",
                     "line_start": "int64", "line_end": "int64", "text": "object", "n_tokens": "int64"}
CLEANING_LOG_COLUMNS = {"rule": "object", "doc_id": "object", "line": "int64", "changed": "object"}

#: Each cleaning rule, with what it does. The names appear in the cleaning log.
RULES = {
    "line_separator": "form feed, vertical tab, NEL, U+2028/U+2029 and the C0 file/group/record separators "
                      "inside a line become a space (editors and sed do not break lines there)",
    "control_character": "NUL and other control characters (but tab) are removed",
    "unicode": "NFC normalisation; non-breaking and other exotic spaces to a space; curly quotes to straight ones",
    "whitespace": "strip the line and collapse runs of white space (indentation is remembered first)",
    "web_boilerplate": "'Back to top', copyright and 'All rights reserved' lines become kind boilerplate",
    "salutation": "'Fellow Deputies,' and similar lines become kind boilerplate",
    "caption": "photo captions (one present-tense sentence: 'is held', 'addresses', 'attend') in news texts become kind caption",
    "attendance_list": "closing sentences that only list who attended become kind boilerplate",
    "broken_number": "a line holding only the decimals of a number ('5%.') is joined back ('99%' -> '99.5%')",
    "unclosed_quote": "a line ending inside an open quotation is joined to the next line",
    "broken_line": "a long unnumbered line without final punctuation is joined to the next line",
    "indent_block": "in 'indent' documents, unindented lines continue the paragraph begun by the last indented line",
    "blank_block": "in 'blank' documents, the lines between two blank lines are joined into one paragraph",
    "stage_direction": "in transcripts (genre in corpus.transcript_genres), stage directions such as "
                       "'(Applause.)' or '[Laughter]' are cut from the text; a line holding nothing else "
                       "becomes kind boilerplate",
    "speaker_label": "in transcripts, a speaker label such as 'THE PRESIDENT:' is cut from the start of a line; "
                     "a turn of the audience ('AUDIENCE MEMBERS:', 'CROWD:') becomes kind boilerplate",
    "heading": "a short line without final punctuation (at most corpus.heading_max_words words) becomes kind "
               "heading: numbered, or before the first body line, or with few content words",
    "script": "a document whose letters are mostly outside A-Z (Cyrillic, CJK, ...) is reported, with a "
              "warning: the tokeniser reads only Latin letters, so it gets few or no tokens",
    "exact_duplicate": "a paragraph repeated word for word in one document is kept once (the first); "
                       "with corpus.duplicate_scope 'block', only a long one in a repeated lead or block; "
                       "a paragraph without a word (letters of any script, or numbers) is never a repeat",
    "near_duplicate": "of two paragraphs of one document that are near copies, the fuller is kept; "
                      "with corpus.duplicate_scope 'block', only in a repeated lead or block",
    "html_extract": "an HTML page becomes one line per text element; scripts, navigation, headers, "
                    "footers and forms are left out (one row per document)",
    "pdf_page": "a PDF's text layer, pages one after the other (one row per page with its line range)",
    "no_paragraph": "a document left without any body or list paragraph after cleaning is left out of the "
                    "corpus (with a warning); the run goes on",
}

_NUMBERED = re.compile(r"^(?P<num>[IVXL]+|\d{1,2})\s*[.、]\s*(?P<rest>\S.*)$")
_ORDINALS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth".split(), start=1)}
_ORDINAL_ITEM = re.compile(
    r"^(?:(?P<a>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(?:ly)?,\s"
    r"|the (?P<b>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth) is\b"
    r"|(?P<c>one) is\b)", re.IGNORECASE)
_FINAL_PUNCT = tuple('.!?;:"\'')
_WEB_BOILERPLATE = re.compile(r"^(back to top|copyright\b.*|.*\ball rights reserved\.?)$", re.IGNORECASE)
_SALUTATION = re.compile(r"^(fellow (deputies|delegates)|dear [\w ]+|ladies and gentlemen),?$", re.IGNORECASE)
_CAPTION = re.compile(r"\b(is held|are held|addresses|attend|attends|are in attendance|are present|"
                      r"is present|presides over|speaks at|pose for)\b")
_ATTENDANCE = re.compile(r"\battended the (meeting|conference|ceremony)\.$")
_BROKEN_NUMBER = re.compile(r"^(?P<frac>\d+)%\.$")
_ENDS_WITH_INT_PCT = re.compile(r"(?P<int>\d+)%(?P<tail>(?: in \d{4})?\.)$")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
_STAGE_WORDS = (r"applause|applauding|laughter|laughing|laughs|cheers|cheering|booing|boos|crosstalk|inaudible|"
                r"music|pause|silence|audience|crowd|chanting|chants|interruption|interrupted|gavel|standing ovation")
_STAGE_DIRECTION = re.compile(r"\s*[(\[](?=[^()\[\]]{0,80}[)\]])(?=[^()\[\]]*\b(?:" + _STAGE_WORDS
                              + r")\b)[^()\[\]]*[)\]]", re.IGNORECASE)
_SPEAKER_LABEL = re.compile(r"^(?P<label>(?:[A-Z][A-Z.'\-]*\s+){0,4}[A-Z][A-Z.'\-]+)\s*:\s*")
_AUDIENCE = re.compile(r"\b(AUDIENCE|CROWD)\b")
_LATIN = re.compile(r"[A-Za-z]")
_STOP_FOR_HEADINGS = frozenset(
    "a an and as at by for from in into of on or the to with over under through its their".split())


@dataclass(frozen=True)
class Corpus:
    """The documents, their paragraphs, the cleaning log and, once tokenised, sentences and tokens.

    `read_corpus` fills the first three; `analysis.tokens.load_corpus` adds `sentences`, `tokens`
    (aligned with `paragraphs` by ``doc_id`` and ``para_id``) and `phrases`. Columns are documented
    in this module's docstring and in `analysis.tokens`.
    """

    documents: pd.DataFrame
    paragraphs: pd.DataFrame
    cleaning_log: pd.DataFrame
    manifest: Path
    sentences: pd.DataFrame | None = None
    tokens: pd.DataFrame | None = None
    phrases: pd.DataFrame | None = None
    config: object = None

    @property
    def analysed(self) -> pd.DataFrame:
        """Return the paragraphs of kinds body and list (the unit of every model)."""
        return self.paragraphs[self.paragraphs["kind"].isin(ANALYSED_KINDS)].reset_index(drop=True)


def require_columns(table: pd.DataFrame, columns: dict[str, str], stage: str) -> None:
    """Check that `table` has each column of `columns` with a compatible dtype.

    Raises
    ------
    SchemaError
        Naming every missing or mistyped column and the stage that needed it.
    """
    problems = []
    for name, dtype in columns.items():
        if name not in table.columns:
            problems.append(f"missing column '{name}'")
        elif dtype == "int64" and not pd.api.types.is_integer_dtype(table[name]):
            problems.append(f"column '{name}' is {table[name].dtype}, expected integers")
        elif dtype == "float64" and not pd.api.types.is_numeric_dtype(table[name]):
            problems.append(f"column '{name}' is {table[name].dtype}, expected numbers")
    if problems:
        raise SchemaError(f"{stage}: input table has {'; '.join(problems)}")


#: The rule for second versions, printed in the sidecar of every year or pooled table.
VERSION_RULE = ("year and pooled tables count each text once: a document that is another English version "
                "of a corpus document (manifest field version_of) is left out of them; it is kept in "
                "per-document tables and in version comparisons")


def primary_documents(documents: pd.DataFrame) -> list[str]:
    """Return the doc_ids that count in year and pooled tables (`VERSION_RULE`), sorted.

    A document is left out when its ``version_of`` names another document of the table (e.g. the
    Xinhua summary of the 2023 report); a ``version_of`` pointing outside the corpus keeps it.

    Examples
    --------
    >>> primary_documents(pd.DataFrame({"doc_id": ["a", "b", "c"], "version_of": ["", "a", "z"]}))
    ['a', 'c']
    """
    known = set(documents["doc_id"].astype(str))
    other = documents["version_of"].fillna("").astype(str) if "version_of" in documents else ""
    keep = (other == "") | ~pd.Series(other).isin(known).to_numpy()
    return sorted(documents.loc[keep, "doc_id"].astype(str))


# --------------------------------------------------------------------------- manifest


def read_seed(path: Path) -> str:
    """Return the text of a seed file, decoded as UTF-8.

    Raises
    ------
    CorpusError
        If the file cannot be decoded or holds no text.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", errors="replace")
        line = line_of_offset(prefix, len(prefix))
        raise CorpusError(f"{path}:{line}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise CorpusError(f"{path}: the document is empty")
    return text


def read_document(path: Path) -> tuple[str, list[tuple[str, int, str]]]:
    """Return the text of a corpus file, lines separated by ``\\n``, and cleaning-log notes
    ``(rule, line, changed)`` of its reader.

    The file's extension decides (`analysis.readers`): HTML pages give one line per text element
    (rule html_extract), PDFs the lines of their text layer (one pdf_page note per page); any
    other file is UTF-8 text (`read_seed`).

    Raises
    ------
    CorpusError
        Naming the file: not UTF-8, empty, HTML without text, an encrypted or image-only PDF.
    """
    kind = readers.reader_for(path)
    if kind == "text":
        return read_seed(path), []
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError(f"{path}: the document is empty")
    lines, notes = (readers.html_lines if kind == "html" else readers.pdf_lines)(data, str(path))
    rule = "html_extract" if kind == "html" else "pdf_page"
    return "\n".join(lines) + "\n", [(rule, line, changed) for line, changed in notes]


# --------------------------------------------------------------------------- cleaning


@dataclass
class _Unit:
    """A run of source lines that will become one paragraph."""

    lines: list[int]
    text: str
    indented: bool
    kind: str = "body"
    pieces: list[tuple[int, int]] = field(default_factory=list)  # (char offset in text, source line)

    def join(self, other: "_Unit", sep: str = " ") -> None:
        offset = len(self.text) + len(sep)
        self.pieces += [(o + offset, ln) for o, ln in other.pieces]
        self.text = f"{self.text}{sep}{other.text}"
        self.lines += other.lines


def _transcript_line(text: str, line_no: int, note) -> tuple[str, str]:
    """Return a transcript line without its stage directions and speaker label, and its kind:
    "body", or "boilerplate" (with the line's text kept whole) when nothing of the speech is left
    or the turn is the audience's. Each cut is a log row (rules stage_direction, speaker_label)."""
    original = text
    label = _SPEAKER_LABEL.match(text)
    if label and sum(ch.isalpha() for ch in label["label"]) >= 2:
        if _AUDIENCE.search(label["label"]):
            note("speaker_label", line_no, f"{original[:60]!r}: a turn of the audience; marked boilerplate")
            return original, "boilerplate"
        note("speaker_label", line_no, f"speaker label {label['label'] + ':'!r} cut")
        text = text[label.end():]
    directions = [m.group().strip() for m in _STAGE_DIRECTION.finditer(text)]
    if directions:
        text = " ".join(_STAGE_DIRECTION.sub(" ", text).split())
        note("stage_direction", line_no, ", ".join(map(repr, directions)) + (" cut" if text else
                                                                             "; nothing else: marked boilerplate"))
    if not text:
        return original, "boilerplate"
    return text, "body"


def _may_be_web_boilerplate(text: str) -> bool:
    """Return False when `text` cannot match `_WEB_BOILERPLATE`: an ASCII line holding none of its
    phrases (case-blind; other lines may hold letters the pattern's case folding matches)."""
    if not text.isascii():
        return True
    low = text.lower()
    return "rights reserved" in low or low.startswith(("back to top", "copyright"))


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _ends_sentence(text: str) -> bool:
    return text.endswith(_FINAL_PUNCT)


def _is_numbered_heading(text: str) -> bool:
    m = _NUMBERED.match(text)
    return bool(m) and not _ends_sentence(text) and len(_words(text)) <= 60


def _content_words(text: str) -> int:
    return sum(1 for w in _words(text) if w.lower() not in _STOP_FOR_HEADINGS)


def clean_document(doc_id: str, text: str, genre: str, translation: str, segmentation: str,
                   config: CorpusConfig) -> tuple[list[_Unit], list[dict]]:
    """Return the document's paragraphs (as units of source lines) and its cleaning-log rows.

    Applies the rules of `RULES` in order: per line (unicode, whitespace, stage_direction and
    speaker_label in transcripts, web_boilerplate, salutation, caption, attendance_list,
    blank_block), then across lines (broken_number, unclosed_quote, broken_line, heading,
    indent_block), then across paragraphs (exact_duplicate, near_duplicate).

    `segmentation` is one of `SEGMENTATIONS`: "line" (every non-empty line is a paragraph, long
    broken lines rejoined), "indent" (an indented line starts a paragraph, unindented lines continue
    it), "blank" (paragraphs are separated by blank lines; the lines of one are joined).
    """
    log: list[dict] = []

    def note(rule: str, line: int, changed: str) -> None:
        log.append({"rule": rule, "doc_id": doc_id, "line": line, "changed": changed})

    units = _line_units(text, genre, translation, segmentation, config, note)
    joined = _join_lines(units, segmentation, config, note)
    paragraphs = _mark_paragraphs(joined, segmentation, config, note)
    return _drop_duplicates(doc_id, paragraphs, config, note), log


def _line_units(text: str, genre: str, translation: str, segmentation: str, config: CorpusConfig,
                note) -> list[_Unit]:
    """Return the units of the document's lines after the per-line rules (see `clean_document`)."""
    transcript = genre in config.transcript_genres
    units: list[_Unit] = []
    after_blank = True
    lines = split_lines(text)
    for line_no, raw, (clean, indented, rules) in zip(range(1, len(lines) + 1), lines, normalise_lines(lines)):
        _note_line_rules(rules, raw, line_no, note)
        if not clean:
            after_blank = True
            continue
        kind = "body"
        if transcript:
            clean, kind = _transcript_line(clean, line_no, note)
        unit = _Unit([line_no], clean, indented, kind=kind, pieces=[(0, line_no)])
        in_block = segmentation == "blank" and not after_blank and units and units[-1].kind == "body"
        after_blank = False
        if kind != "body":
            pass
        elif _may_be_web_boilerplate(clean) and _WEB_BOILERPLATE.match(clean):
            unit.kind = "boilerplate"
            note("web_boilerplate", line_no, f"{clean[:60]!r} marked boilerplate")
        elif _SALUTATION.match(clean):
            unit.kind = "boilerplate"
            note("salutation", line_no, f"{clean!r} marked boilerplate")
        elif translation == "news" and _ATTENDANCE.search(clean):
            unit.kind = "boilerplate"
            note("attendance_list", line_no, f"{clean[:60]!r}... marked boilerplate")
        elif (translation == "news" and _CAPTION.search(clean) and clean.count(". ") == 0
              and len(_words(clean)) <= 45):
            unit.kind = "caption"
            note("caption", line_no, f"{clean[:60]!r}... marked caption")
        elif in_block:
            note("blank_block", line_no, f"joined to the paragraph of line {units[-1].lines[0]} (no blank line between)")
            units[-1].join(unit)
            continue
        units.append(unit)

    return units


def _note_line_rules(rules, raw: str, line_no: int, note) -> None:
    """Log each per-line normalisation rule that changed line `line_no` (`raw`: the line as read)."""
    for rule in rules:
        if rule == "line_separator":
            found = sorted({f"U+{ord(c):04X}" for c in _LINE_SEPARATORS.findall(raw)})
            note(rule, line_no, f"{len(_LINE_SEPARATORS.findall(raw))} line separator(s) "
                                f"({', '.join(found)}) made a space")
        elif rule == "control_character":
            found = sorted({f"U+{ord(c):04X}" for c in _CONTROLS.findall(raw)})
            note(rule, line_no, f"{len(_CONTROLS.findall(raw))} control character(s) "
                                f"({', '.join(found)}) removed")
        elif rule == "unicode":
            n = len(_SPACES.findall(raw)) + sum(raw.count(q) for q in "\u2018\u2019\u201c\u201d")
            note(rule, line_no, f"{n} character(s) normalised (non-breaking spaces, curly quotes)")
        else:
            note(rule, line_no, "white space collapsed")


def _join_lines(units: list[_Unit], segmentation: str, config: CorpusConfig, note) -> list[_Unit]:
    """Return the units after the joins across lines: broken numbers, unclosed quotes, broken lines."""
    joined: list[_Unit] = []
    seen_body = False        # a body unit ending a sentence is among joined[:-1]
    for unit in units:
        prev = joined[-1] if joined else None
        if prev is not None and prev.kind == unit.kind == "body":
            m_frac = _BROKEN_NUMBER.match(unit.text)
            m_int = m_frac and _ENDS_WITH_INT_PCT.search(prev.text)
            if m_frac and m_int:
                repaired = f"{m_int['int']}.{m_frac['frac']}%"
                prev.text = prev.text[: m_int.start()] + repaired + m_int["tail"]
                prev.lines += unit.lines
                note("broken_number", unit.lines[0],
                     f"{unit.text!r} joined to line {prev.lines[0]}: '{m_int['int']}%' -> '{repaired}'")
                continue
            if segmentation == "blank":
                pass        # blank lines mark the paragraphs: no further joins
            elif prev.text.count('"') % 2 == 1 and not _ends_sentence(prev.text):
                note("unclosed_quote", prev.lines[-1], f"line {unit.lines[0]} joined: ...{prev.text[-30:]!r} + {unit.text[:30]!r}...")
                prev.join(unit)
                continue
            elif (getattr(prev, "_broken", False)):
                note("broken_line", prev.lines[-1], f"line {unit.lines[0]} joined: ...{prev.text[-30:]!r} + {unit.text[:30]!r}...")
                prev.join(unit)
                prev._broken = False  # type: ignore[attr-defined]
                continue
        # prev is final now: no later unit joins it
        seen_body = seen_body or (prev is not None and prev.kind == "body" and _ends_sentence(prev.text))
        joined.append(unit)
        if unit.kind == "body" and not _ends_sentence(unit.text) and not _NUMBERED.match(unit.text):
            if seen_body and _content_words(unit.text) > config.heading_max_content_words:
                unit._broken = True  # type: ignore[attr-defined]

    return joined


def _mark_paragraphs(joined: list[_Unit], segmentation: str, config: CorpusConfig, note) -> list[_Unit]:
    """Return the paragraphs: headings and list items marked, indentation blocks joined."""
    paragraphs: list[_Unit] = []
    seen_body = False
    for unit in joined:
        if unit.kind == "body":
            numbered = _is_numbered_heading(unit.text)
            if (numbered or (not _ends_sentence(unit.text) and (
                    not seen_body or _content_words(unit.text) <= config.heading_max_content_words))) \
                    and (n_words := len(_words(unit.text))) <= config.heading_max_words:
                unit.kind = "heading"
                why = ("numbered" if numbered else "before the first body paragraph" if not seen_body
                       else f"{_content_words(unit.text)} content words")
                note("heading", unit.lines[0], f"{unit.text[:60]!r} ({n_words} words, no final punctuation, {why}) "
                     "marked heading")
            elif _NUMBERED.match(unit.text) or _ORDINAL_ITEM.match(unit.text):
                unit.kind = "list"
            else:
                seen_body = True
            if unit.kind == "list":
                seen_body = True
        prev = paragraphs[-1] if paragraphs else None
        if (segmentation == "indent" and prev is not None and not unit.indented
                and unit.kind == "body" and prev.kind in ("body", "list")):
            note("indent_block", unit.lines[0], f"unindented line joined to the paragraph of line {prev.lines[0]}")
            prev.join(unit)
            continue
        paragraphs.append(unit)
    return paragraphs


def _check_script(doc_id: str, path: Path, text: str, note) -> None:
    """Log (rule "script") when most of a document's letters are outside A-Z (`warn_scripts` warns)."""
    if text.isascii():          # every letter is in A-Z
        return
    share, letters, script = script_share(text)
    if letters and share > 0.5:
        line = next((i for i, ln in enumerate(split_lines(text), start=1)
                     if any(c.isalpha() and not _LATIN.match(c) for c in ln)), 1)
        note("script", line, f"{share:.0%} of the letters are outside A-Z (mostly {script}); the tokeniser "
                             "reads only Latin letters, so this document gets few or no tokens")


def warn_scripts(corpus: "Corpus") -> None:
    """Give an `AnalysisWarning` (a `CorpusWarning`) for each document the cleaning log reports
    (rule "script") as mostly outside A-Z, naming its file and line: on every load, from the cache too."""
    log = corpus.cleaning_log
    files = dict(zip(corpus.documents["doc_id"], corpus.documents["file"]))
    for row in log[log["rule"] == "script"].itertuples(index=False):
        path = Path(corpus.manifest).parent / files.get(row.doc_id, "")
        warnings.warn(f"{path}:{row.line}: document {row.doc_id!r}: {row.changed}", CorpusWarning, stacklevel=3)


def _drop_duplicates(doc_id: str, paragraphs: list[_Unit], config: CorpusConfig, note) -> list[_Unit]:
    """Return the paragraphs without repeats, by rules exact_duplicate and near_duplicate
    (`analysis.repeats.find_repeats`; with ``config.duplicate_scope == "block"`` only a repeated
    lead or block goes, a refrain in running text stays)."""
    # words of every script (two different Russian paragraphs are not "the same" for holding no
    # A-Z word); on ASCII text the two patterns agree and the ASCII one is faster
    words = paragraph_words([p.text for p in paragraphs])
    drops = find_repeats(words, [p.kind in ANALYSED_KINDS for p in paragraphs],
                         [p.kind == "boilerplate" for p in paragraphs], similarity=config.near_duplicate_similarity,
                         min_words=config.near_duplicate_min_words, scope=config.duplicate_scope,
                         min_block=config.duplicate_min_block)
    for rule, drop, kept, sim in drops:
        if rule == "exact_duplicate":
            note(rule, paragraphs[drop].lines[0], f"repeats line {paragraphs[kept].lines[0]} word for word; dropped")
        else:
            note(rule, paragraphs[drop].lines[0],
                 f"near copy (cosine {sim:.2f}) of line {paragraphs[kept].lines[0]}, which is fuller "
                 f"({len(words[kept])} vs {len(words[drop])} words); dropped")
    dropped = {d for _, d, _, _ in drops}
    return [p for i, p in enumerate(paragraphs) if i not in dropped]


def _roman(s: str) -> int:
    total = 0
    for ch, nxt in zip(s, s[1:] + " "):
        v = _ROMAN[ch]
        total += -v if nxt in _ROMAN and _ROMAN[nxt] > v else v
    return total


def structure(units: list[_Unit]) -> list[dict]:
    """Return one record per paragraph with its part, section and item, from the document's numbering."""
    part = section = section_no = item_no = ""
    out = []
    for unit in units:
        text = unit.text
        if unit.kind == "heading":
            m = _NUMBERED.match(text)
            if m:
                num = m["num"]
                section_no = str(_roman(num)) if num.isalpha() else num
                section, item_no = text, ""
            elif out and any(r["kind"] in ANALYSED_KINDS for r in out):
                part, section, section_no, item_no = text, "", "", ""
        elif unit.kind == "list":
            m = _NUMBERED.match(text)
            if m:
                item_no = str(_roman(m["num"])) if m["num"].isalpha() else m["num"]
            else:
                o = _ORDINAL_ITEM.match(text)
                word = (o["a"] or o["b"] or o["c"]).lower()
                item_no = "1" if word == "one" else str(_ORDINALS[word])
        out.append({"kind": unit.kind, "part": part, "section": section, "section_no": section_no,
                    "item_no": item_no, "line_start": min(unit.lines), "line_end": max(unit.lines),
                    "text": text})
    return out


# --------------------------------------------------------------------------- corpus


#: Paragraph records (a dict and its strings each) are made into a table every this many paragraphs,
#: so a large corpus never holds them all as Python objects at once (at 5M words, 62k records took
#: about 120 MB of heap that stayed resident after the table was built).
_BLOCK_PARAGRAPHS = 4096


def _concat_blocks(blocks: list[pd.DataFrame]) -> pd.DataFrame:
    """Return the rows of the paragraph tables `blocks` in order (the last may be empty), with the
    dtypes one table of all the records would have."""
    full = [b for b in blocks if len(b)]
    if len(full) <= 1:
        return (full or blocks)[0]
    return pd.concat(full, ignore_index=True)


def build_paragraphs(manifest: pd.DataFrame, config: CorpusConfig | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, int], tuple[tuple[int, int], ...]]]:
    """Return the paragraph table (without `n_tokens`), the cleaning log, and each paragraph's
    map from character offset (0-based) to source line (1-based)."""
    config = config or CorpusConfig()
    records, blocks, logs, line_maps = [], [], [], {}
    columns = [c for c in PARAGRAPH_COLUMNS if c != "n_tokens"]
    for row in manifest.itertuples(index=False):
        text, notes = read_document(row.path)
        logs += [{"rule": rule, "doc_id": row.doc_id, "line": line, "changed": changed} for rule, line, changed in notes]
        # an HTML element is a paragraph: its lines are the elements, whatever the manifest's segmentation
        segmentation = "line" if readers.reader_for(row.path) == "html" else row.segmentation
        units, log = clean_document(row.doc_id, text, row.genre, row.translation, segmentation, config)
        logs += log
        _check_script(row.doc_id, row.path, text, lambda rule, line, changed: logs.append(
            {"rule": rule, "doc_id": row.doc_id, "line": line, "changed": changed}))
        recs = structure(units)
        if not any(r["kind"] in ANALYSED_KINDS for r in recs):
            kinds = pd.Series([r["kind"] for r in recs], dtype=object).value_counts()
            found = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no paragraph"
            message = (f"{row.path}: document {row.doc_id!r} has no body or list paragraph after cleaning "
                       f"({found}); left out of the corpus")
            logs.append({"rule": "no_paragraph", "doc_id": row.doc_id, "line": 1, "changed": message})
            continue
        for para_id, (rec, unit) in enumerate(zip(recs, units), start=1):
            records.append({"doc_id": row.doc_id, "para_id": para_id, **rec})
            line_maps[(row.doc_id, para_id)] = tuple(unit.pieces)   # immutable: the garbage collector skips it
        if len(records) >= _BLOCK_PARAGRAPHS:
            blocks.append(pd.DataFrame.from_records(records, columns=columns))
            records = []
    paragraphs = _concat_blocks(blocks + [pd.DataFrame.from_records(records, columns=columns)])
    log = pd.DataFrame.from_records(logs, columns=list(CLEANING_LOG_COLUMNS))
    warn_left_out(log)
    return paragraphs, log, line_maps


def warn_left_out(cleaning_log: pd.DataFrame) -> None:
    """Warn (`CorpusWarning`) once for each document the cleaning log says was left out (rule
    no_paragraph), with the log row's message."""
    for message in cleaning_log.loc[cleaning_log["rule"] == "no_paragraph", "changed"]:
        warnings.warn(str(message), CorpusWarning, stacklevel=3)


def read_corpus(manifest: str | Path | None = None, config: CorpusConfig | None = None
                ) -> tuple[Corpus, dict[tuple[str, int], tuple[tuple[int, int], ...]]]:
    """Return the untokenised `Corpus` of a manifest, and each paragraph's map of character offsets
    (0-based) to source lines (1-based) as a tuple of ``(offset, line)`` pairs.

    `documents` has every column but ``n_paragraphs`` and ``n_tokens``, which tokenising adds.
    """
    path = Path(manifest) if manifest is not None else default_manifest()
    table = read_manifest(path, config)
    paragraphs, log, line_maps = build_paragraphs(table, config)
    if paragraphs.empty:
        raise CorpusError(f"{path}: no document of the manifest has a body or list paragraph after cleaning "
                          f"(left out: {', '.join(table['doc_id'])})")
    documents = table[table["doc_id"].isin(set(paragraphs["doc_id"]))].reset_index(drop=True)
    documents = documents.drop(columns=["manifest_line", "path"])
    corpus = Corpus(documents=documents, paragraphs=paragraphs, cleaning_log=log, manifest=path)
    warn_scripts(corpus)
    return corpus, line_maps
