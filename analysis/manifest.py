"""Read and check the manifest: one row per document, every field checked against the files.

The manifest (``seeds/manifest.csv``) names each document's file relative to the manifest's folder
(it may not leave it), its sha256, date, year, genre, translation, version_of and source; see
`analysis.corpus` for the columns of the table `read_manifest` returns. Every error names the
manifest, the 1-based line where the row starts and the field.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import warnings
from pathlib import Path

import pandas as pd

from analysis.config import CorpusConfig, default_manifest
from analysis.errors import CorpusError, CorpusWarning

MANIFEST_COLUMNS = ("doc_id", "file", "sha256", "title", "date", "year", "genre", "translation",
                    "version_of", "source")
OPTIONAL_MANIFEST_COLUMNS = {"segmentation": "line", "short_title": ""}
#: Default vocabulary of ``translation`` (`CorpusConfig.translations` sets the one in force).
TRANSLATIONS = CorpusConfig().translations
SEGMENTATIONS = ("line", "indent", "blank")


def read_manifest(path: str | Path | None = None, config: CorpusConfig | None = None) -> pd.DataFrame:
    """Return the manifest as a table (one row per document), every field checked.

    Columns beyond the required ones (e.g. ``party``) are kept as they are, as text; values of
    ``translation``, ``genre`` and any column with a vocabulary in `config` must be allowed
    values (`CorpusConfig.allowed_values`).

    The seed files are read to check their sha256; an empty ``sha256`` field is an error that
    gives the hash to paste in.

    Raises
    ------
    CorpusError
        Naming the manifest, the row's line number and the field, for a missing file or column,
        a bad date or year, a duplicate doc_id, a path outside the manifest's folder, a value
        outside a column's vocabulary (naming the allowed values), an unknown segmentation, a
        dangling version_of or a hash that does not match.
    """
    defaulted = path is None
    path = Path(path) if path is not None else default_manifest()
    if path.is_dir():
        raise CorpusError(f"{path}: manifest is a folder; expected a CSV file")
    if not path.is_file():
        raise CorpusError(f"{path}: manifest not found" + (
            " (no manifest given: looked for seeds/manifest.csv in the working folder and above, and "
            "$ANALYSIS_MANIFEST)" if defaulted else ""))
    rows, line_nos = _read_rows(path)
    header, vocabularies = _check_header(path, rows, config)
    root = path.parent.resolve()
    records, seen, files_seen, hashes_seen = [], {}, {}, {}
    for line_no, row in zip(line_nos[1:], rows[1:]):
        if not any(cell.strip() for cell in row):
            continue
        rec = _record(f"{path}:{line_no}", row, header, seen, line_no)
        _check_values(f"{path}:{line_no}", rec, vocabularies)
        _check_file(path, line_no, rec, root, files_seen, hashes_seen)
        rec["manifest_line"] = line_no
        rec["path"] = path.parent / rec["file"]      # as the user named it (messages), same file as `file`
        records.append(rec)
    if not records:
        raise CorpusError(f"{path}: manifest lists no documents")
    _check_versions(path, records, seen)
    table = pd.DataFrame(records)
    table["year"] = table["year"].astype("int64")
    return table


def _read_rows(path: Path) -> tuple[list[list[str]], list[int]]:
    """Return the manifest's CSV rows and the 1-based line where each starts (a quoted field may span lines)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader, rows, line_nos, last = csv.reader(fh), [], [], 0
            for row in reader:      # a quoted field may span lines: a row starts after the last one ended
                rows.append(row)
                line_nos.append(last + 1)
                last = reader.line_num
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: manifest is not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise CorpusError(f"{path}: manifest is not valid CSV ({exc})") from None
    return rows, line_nos


def _check_header(path: Path, rows: list[list[str]], config: CorpusConfig | None) -> tuple[list[str], dict]:
    """Return the header's column names (stripped) and the config's vocabularies (column -> allowed values),
    after checking that the header has the required columns once each and every column with a vocabulary."""
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise CorpusError(f"{path}: manifest is empty; expected a header row with {', '.join(MANIFEST_COLUMNS)}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in MANIFEST_COLUMNS if c not in header]
    if missing:
        raise CorpusError(f"{path}:1: manifest lacks column(s) {', '.join(missing)}")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise CorpusError(f"{path}:1: column(s) {', '.join(map(repr, repeated))} appear more than once in the header")
    vocabularies = (config or CorpusConfig()).allowed_values()
    no_column = [c for c in vocabularies if c not in header]
    if no_column:
        raise CorpusError(f"{path}:1: config corpus.vocabularies names column(s) {', '.join(no_column)}, "
                          f"which the manifest lacks; its columns: {', '.join(header)}")
    return header, vocabularies


def _record(where: str, row: list[str], header: list[str], seen: dict[str, int], line_no: int) -> dict:
    """Return one row as a record (stripped values, optional columns defaulted), after checking that it has
    the header's fields, no required field is empty and its doc_id is a new slug (added to `seen`)."""
    if len(row) != len(header):
        raise CorpusError(f"{where}: row has {len(row)} fields; the header has {len(header)}")
    rec = {k: v.strip() for k, v in zip(header, row)}
    for k, default in OPTIONAL_MANIFEST_COLUMNS.items():
        rec[k] = rec.get(k) or default
    rec["short_title"] = rec["short_title"] or rec["doc_id"]     # the figures' label of the document
    for k in ("doc_id", "file", "title", "date", "year", "genre", "translation"):
        if not rec[k]:
            raise CorpusError(f"{where}: field '{k}' is empty")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", rec["doc_id"]):
        raise CorpusError(f"{where}: field 'doc_id' is {rec['doc_id']!r}; expected a slug of a-z, 0-9 and '-'")
    if rec["doc_id"] in seen:
        raise CorpusError(f"{where}: field 'doc_id' {rec['doc_id']!r} repeats line {seen[rec['doc_id']]}")
    seen[rec["doc_id"]] = line_no
    return rec


def _check_values(where: str, rec: dict, vocabularies: dict) -> None:
    """Check a record's date (a real ISO day), year (that of the date), vocabularies and segmentation."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", rec["date"]):
            raise ValueError(rec["date"])
        date = dt.date.fromisoformat(rec["date"])
    except ValueError:
        raise CorpusError(f"{where}: field 'date' is {rec['date']!r}; expected an ISO date YYYY-MM-DD (a real calendar day)") from None
    if not re.fullmatch(r"\d{4}", rec["year"]):
        raise CorpusError(f"{where}: field 'year' is {rec['year']!r}; expected a 4-digit year")
    if int(rec["year"]) != date.year:
        raise CorpusError(f"{where}: field 'year' is {rec['year']} but field 'date' is {rec['date']}")
    for column, allowed in vocabularies.items():
        if rec[column] not in allowed:
            raise CorpusError(f"{where}: field {column!r} is {rec[column]!r}; expected one of "
                              + ", ".join(repr(t) for t in allowed) + " (config corpus."
                              + ("translations" if column == "translation" else "genres" if column == "genre"
                                 else f"vocabularies.{column}") + ")")
    if rec["segmentation"] not in SEGMENTATIONS:
        raise CorpusError(f"{where}: field 'segmentation' is {rec['segmentation']!r}; expected one of "
                          + ", ".join(repr(t) for t in SEGMENTATIONS))


def _check_file(path: Path, line_no: int, rec: dict, root: Path, files_seen: dict, hashes_seen: dict) -> None:
    """Check a record's file: inside `root`, present, listed once (`files_seen`: (device, inode) -> line),
    its sha256 that of the manifest; warn (`CorpusWarning`, at `read_manifest`'s caller) when its bytes
    equal an earlier file's (`hashes_seen`: sha256 -> line)."""
    where = f"{path}:{line_no}"
    file = (root / rec["file"]).resolve()
    if not file.is_relative_to(root):
        raise CorpusError(f"{where}: field 'file' {rec['file']!r} points outside the corpus folder {root}")
    if not file.is_file():
        raise CorpusError(f"{where}: field 'file': {path.parent / rec['file']} not found")
    stat = file.stat()
    identity = (stat.st_dev, stat.st_ino)
    if identity in files_seen:
        raise CorpusError(f"{where}: field 'file' {rec['file']!r} is the file of line {files_seen[identity]}; "
                          "a text may be listed once")
    files_seen[identity] = line_no
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if digest in hashes_seen:       # a copy: maybe meant (a fixture), surely worth a word
        warnings.warn(f"{where}: field 'file' {rec['file']!r} has the same bytes as the file of line "
                      f"{hashes_seen[digest]}: the same text counts twice", CorpusWarning, stacklevel=3)
    hashes_seen.setdefault(digest, line_no)
    if not rec["sha256"]:
        raise CorpusError(f"{where}: field 'sha256' is empty; the file's sha256 is {digest}")
    if rec["sha256"].lower() != digest:
        raise CorpusError(f"{where}: field 'sha256' does not match {rec['file']} "
                          f"(manifest {rec['sha256'][:12]}..., file {digest[:12]}...)")


def _check_versions(path: Path, records: list[dict], seen: dict[str, int]) -> None:
    """Check every version_of: a doc_id of the manifest, not the document itself, no cycle."""
    version_of = {rec["doc_id"]: rec["version_of"] for rec in records if rec["version_of"]}
    for rec in records:
        where = f"{path}:{rec['manifest_line']}"
        if rec["version_of"] and rec["version_of"] not in seen:
            raise CorpusError(f"{where}: field 'version_of' is {rec['version_of']!r}, "
                              "which is not a doc_id of this manifest")
        if rec["version_of"] == rec["doc_id"]:
            raise CorpusError(f"{where}: field 'version_of' names the document itself ({rec['doc_id']!r})")
        chain, doc = [rec["doc_id"]], rec["version_of"]
        while doc:
            if doc in chain:
                raise CorpusError(f"{where}: field 'version_of' makes a cycle: "
                                  + " -> ".join([*chain[chain.index(doc):], doc]))
            chain.append(doc)
            doc = version_of.get(doc, "")
