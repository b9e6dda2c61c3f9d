"""Everything that touches the disk: atomic writes, tables, hashes and the run manifest.

Every file this package writes goes through `atomic_write`: a temporary file in the same folder,
synced and renamed over the target, so a failed run never leaves a half-written output.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import shutil
import subprocess
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:
    import pandas as pd

from analysis.errors import AnalysisError


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator:
    """Yield a file handle whose content replaces `path` only if the block finishes."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def require_file(path: str | Path, what: str) -> Path:
    """Return `path` as a Path after checking it names an existing regular file.

    Parameters
    ----------
    path : path
        The file the user gave.
    what : str
        What the file is, for the message ("lexicon", "config file", ...).

    Raises
    ------
    AnalysisError
        One line naming the path: not found, a folder, or not a regular file.
    """
    if str(path).strip() == "":
        raise AnalysisError(f"{what} path is empty; expected a file")
    path = Path(path)
    if path.is_dir():
        raise AnalysisError(f"{path}: {what} is a folder; expected a file")
    if not path.exists():
        raise AnalysisError(f"{path}: {what} not found")
    if not path.is_file():
        raise AnalysisError(f"{path}: {what} is not a regular file")
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(raw: str | Path | None, kind: str, inputs: Iterable[str | Path] = (),
                 option: str = "--out", siblings: Iterable[str] = ()) -> Path:
    """Return the output path `raw` as a Path after checking it cannot damage an input.

    Every command's output goes through this one guard (and `output_set` calls it again with the
    seed files once they are known).

    Parameters
    ----------
    raw : str or path
        The path as the user gave it.
    kind : {"file", "folder"}
        Whether the command writes one file or a folder of files there.
    inputs : iterable of path
        Every file the run reads (manifest, seed texts, config, lexicon, labels, ...).
    option : str, default "--out"
        The option's name, for the message.
    siblings : iterable of str
        Further file names written beside a file output (e.g. ``"<name>.run.json"``, with
        ``<name>`` replaced by the output's name).

    Raises
    ------
    AnalysisError
        One line naming the option and path: an empty path; a folder where a file is written
        or a file where a folder is; an output that is an input, or a folder that holds one.
    """
    if raw is None or str(raw).strip() == "":
        raise AnalysisError(f"{option} is empty; expected a {'file' if kind == 'file' else 'folder'} path")
    path = Path(raw)
    inputs = [Path(p) for p in inputs if p is not None and str(p) != ""]
    if kind == "file":
        if path.is_dir() or str(raw).endswith(("/", os.sep)):
            raise AnalysisError(f"{option} {path}: is a folder; expected a file name (e.g. {path / 'table.csv'})")
        targets = [path] + [path.with_name(s.replace("<name>", path.name)) for s in siblings]
        for target in targets:
            for source in inputs:
                if _same_file(target, source):
                    raise AnalysisError(f"{option} {path}: would overwrite the input file {source}; "
                                        "choose another output path")
    elif kind == "folder":
        if path.exists() and not path.is_dir():
            raise AnalysisError(f"{option} {path}: is a file; expected a folder")
        _check_creatable(path)
        where = path.resolve()
        for source in inputs:
            if source.resolve().is_relative_to(where):
                raise AnalysisError(f"{option} {path}: the folder holds the input file {source}; "
                                    "choose another output folder")
    else:
        raise ValueError(f"kind must be 'file' or 'folder'; got {kind!r}")
    return path


def _check_creatable(path: Path) -> None:
    """Raise `AnalysisError` now, before any work, if folder `path` could not be created later: its
    nearest existing ancestor is a file or is not writable."""
    existing = next((p for p in [path, *path.absolute().parents] if p.exists()), None)
    if existing is None or existing == path:
        return
    if not existing.is_dir():
        raise AnalysisError(f"{path}: cannot create output folder ({existing} is a file)")
    if not os.access(existing, os.W_OK):
        raise AnalysisError(f"{path}: cannot create output folder ({existing} is not writable)")


def check_paths(args, inputs: list[Path], folder_commands: tuple[str, ...], file_options: dict[str, str]) -> None:
    """Refuse, before any work, a file option naming a folder or nothing, and an output (``--out``,
    ``--save``, ``--cache``) that is or holds one of `inputs`, or ``--save`` sharing ``--out``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``command``, ``out`` and the options of `file_options`).
    inputs : list of path
        The input files known before the corpus is read (manifest, config, lexicon, ...).
    folder_commands : tuple of str
        Commands whose ``--out`` is a folder; the others write one table (and ``<out>.run.json``).
    file_options : dict of str to str
        Option attribute -> what the file is, for messages ("lexicon file", ...).

    Raises
    ------
    AnalysisError
        One line naming the option and the path.
    """
    for name, what in file_options.items():
        if getattr(args, name, None) is not None:
            require_file(getattr(args, name), what)
    skip = {"cache": getattr(args, "no_cache", False)}
    for option in ("cache", "save"):
        if getattr(args, option, None) is not None and not skip.get(option, False):
            check_output(getattr(args, option), "folder", inputs, option=f"--{option}")
    if getattr(args, "save", None) is not None:
        save, out = Path(args.save).resolve(), Path(args.out).resolve()
        if save.is_relative_to(out) or out.is_relative_to(save):
            raise AnalysisError(f"--save {args.save}: is or shares a folder with --out {args.out}; "
                                "the models need a folder of their own")
    if args.command in folder_commands:
        if getattr(args, "check", None) is None or args.out is not None:    # figures --check DIR only reads
            check_output(args.out, "folder", inputs)
    elif getattr(args, "out", None) is not None:
        check_output(args.out, "file", inputs, siblings=["<name>.run.json"])


@contextmanager
def output_set(folder: str | Path, inputs: Iterable[str | Path] = (), option: str = "--out",
               holds_inputs_ok: bool = False) -> Iterator[Path]:
    """Yield a staging folder whose files replace those of the same names in `folder` as a set.

    Files are written into a hidden staging folder inside `folder` (same file system). Only when
    the block finishes are they moved in, ``run.json`` (or any ``*.run.json``) last, after the old
    one is removed: a failure while writing leaves every earlier output as it was, and a folder
    is never left with a run.json describing other files than those beside it.

    Raises
    ------
    AnalysisError
        From `check_output` (the folder holds an input, unless `holds_inputs_ok`: the caller has
    checked its file names with ``check_output(..., "file")``) or `ensure_dir`.
    """
    folder = ensure_dir(check_output(folder, "folder", () if holds_inputs_ok else inputs, option))
    staging = folder / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        names = sorted(p.name for p in staging.iterdir())
        records = [n for n in names if n == "run.json" or n.endswith(".run.json")]
        for name in records:
            (folder / name).unlink(missing_ok=True)
        for name in [n for n in names if n not in records] + records:
            os.replace(staging / name, folder / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_dir(path: str | Path) -> Path:
    """Create `path` (and parents) and check it is writable; return it as a Path.

    Raises
    ------
    AnalysisError
        If the folder cannot be created or written.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AnalysisError(f"{path}: cannot create output folder ({exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise AnalysisError(f"{path}: output folder is not writable")
    return path


def write_csv(table: "pd.DataFrame", path: str | Path) -> Path:
    """Write `table` as UTF-8 CSV without the index, atomically; return the path."""
    path = Path(path)
    with atomic_write(path) as fh:
        table.to_csv(fh, index=False, lineterminator="\n")
    return path


def read_text_csv(path: str | Path, what: str, error: type[AnalysisError] = AnalysisError) -> "pd.DataFrame":
    """Return a CSV with every cell as text (empty cells as ""), or raise `error` naming the file and
    `what` it is (``<path>: <what> not found``, ``... is not a readable CSV (...)``)."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise error(f"{path}: {what} is not a readable CSV ({' '.join(str(exc).split())})") from None


def read_table(path: str | Path, columns: tuple[str, ...], what: str) -> "pd.DataFrame":
    """Read a CSV that must have `columns` (doc_id, theme and model read as text).

    Raises
    ------
    AnalysisError
        If the file is missing, not a readable CSV or lacks a column; the message names the file
        and `what` it is.
    """
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype={"doc_id": str, "theme": str, "model": str})
    except FileNotFoundError:
        raise AnalysisError(f"{path}: {what} file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{path}: {what} file is not a readable CSV ({' '.join(str(exc).split())})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise AnalysisError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}")
    return table


def write_json(data: dict, path: str | Path) -> Path:
    """Write `data` as indented, key-sorted JSON, atomically; return the path."""
    path = Path(path)
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
    return path


def claim_folder(path: str | Path, marker: str, force: bool = False) -> bool:
    """Check that a command may write its files into the folder `path`.

    A folder is the command's when it does not exist, is empty or holds the file `marker` (written
    there by the command before). Returns True for the command's own folder (it may hold the
    marker), False for another non-empty folder accepted with `force`.

    Raises
    ------
    AnalysisError
        If `path` is a file, cannot be read, or is another non-empty folder and `force` is False.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise AnalysisError(f"{path}: exists and is not a folder")
    try:
        if not path.exists() or not any(path.iterdir()) or (path / marker).is_file():
            return True
    except OSError as exc:
        raise AnalysisError(f"{path}: cannot read the output folder ({exc.strerror})") from None
    if not force:
        raise AnalysisError(f"{path}: folder is not empty and was not made by this command ({marker} is "
                            "missing); choose another folder or add --force")
    return False


def write_files(folder: str | Path, files: dict[str, bytes]) -> int:
    """Write each name -> bytes of `files` into `folder` (created), atomically; return the bytes written."""
    folder = ensure_dir(folder)
    for name, data in files.items():
        with atomic_write(folder / name, "wb") as fh:
            fh.write(data)
    return sum(len(b) for b in files.values())


def sha256_file(path: str | Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Written at build time by setup.py (``pip install .``): the commit the package was built from.
BUILD_INFO = Path(__file__).resolve().parent / "_build_info.json"


def git_commit(repo: str | Path | None = None) -> str | None:
    """Return the commit hash the package runs from, or None when it cannot be known.

    A package installed from a checkout (``pip install .``) carries the commit it was built from
    in ``_build_info.json``; a source or editable install asks git in the checkout holding it (and
    never in a folder merely above site-packages).
    """
    if repo is None and BUILD_INFO.is_file():
        try:
            return json.loads(BUILD_INFO.read_text(encoding="utf-8")).get("git_commit") or None
        except (OSError, ValueError):
            return None
    repo = Path(repo) if repo else Path(__file__).resolve().parent.parent
    if not (repo / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


PACKAGES = ("spp-discourse", "gensim", "scikit-learn", "nltk", "numpy", "pandas", "scipy", "simplemma",
            "matplotlib", "statsmodels", "networkx", "tomotopy")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Return the Python version and the installed version of each package of `names` (default: the
    packages the results depend on; None if absent)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def run_record(config, inputs: dict[str, str], **extra) -> dict:
    """Return the provenance record written beside every output.

    Parameters
    ----------
    config : dataclass
        The configuration used; stored as `dataclasses.asdict(config)`.
    inputs : dict of str to str
        Input file names mapped to their sha256.
    **extra
        Further JSON-serialisable facts (seeds, command line, timings).
    """
    return {
        "config": dataclasses.asdict(config) if dataclasses.is_dataclass(config) else config,
        "inputs_sha256": dict(sorted(inputs.items())),
        "versions": package_versions(),
        "git_commit": git_commit(),
        **extra,
    }


# ----------------------------------------------------------------------------- table cache

#: Bumped whenever what a cache entry holds changes shape; older entries are then rebuilt.
CACHE_FORMAT = 2


def default_cache_dir() -> Path:
    """Return the user's cache folder for this toolkit (``$XDG_CACHE_HOME/spp-discourse``, else
    ``~/.cache/spp-discourse``; ``ANALYSIS_CACHE`` overrides both)."""
    env = os.environ.get("ANALYSIS_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "spp-discourse"


def cache_key(parts: dict) -> str:
    """Return the sha256 (hex) of `parts` serialised as canonical JSON."""
    blob = json.dumps({"format": CACHE_FORMAT, **parts}, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def write_cache_entry(folder: str | Path, key: str, tables: dict, meta: dict | None = None,
                      part_rows: int = 1_000_000, partition_on: str = "doc_id") -> Path | None:
    """Store `tables` (name -> DataFrame) as partitioned Parquet under ``folder/key``; return the entry.

    Each table is a dataset folder ``folder/key/<name>/`` of parts ``part-00000.parquet``, ... in row
    order, which `pyarrow.parquet`, `pyarrow.dataset` and `dask.dataframe.read_parquet` read. The
    parts are blocks of whole documents: the documents (runs of `partition_on` in the largest
    table holding it) are cut into consecutive blocks of about `part_rows` rows of that table,
    and every table holding `partition_on` in block order is cut at the same documents (a table
    that is not, or has no such column, is one part). The entry's ``entry.json`` lists each
    part's sha256 and each column's dtype. It is written to a temporary sibling and renamed into
    place, so a reader never sees half an entry. Returns None (and stores nothing) when the
    folder cannot be written: a cache is an optimisation.
    """
    import tempfile

    folder = Path(folder)
    target = folder / key
    blocks = _document_blocks(tables, partition_on, part_rows)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=folder))
        record = {"format": CACHE_FORMAT, "key": key, "files": {}, "dtypes": {}, "meta": meta or {}}
        for name, table in tables.items():
            (tmp / name).mkdir()
            record["files"][name] = {}
            for i, (a, b) in enumerate(_table_parts(table, partition_on, blocks)):
                path = tmp / name / f"part-{i:05d}.parquet"
                table.iloc[a:b].to_parquet(path, index=False, engine="pyarrow")
                record["files"][name][path.name] = sha256_file(path)
            record["dtypes"][name] = {str(c): _dtype_name(t) for c, t in table.dtypes.items()}
        (tmp / "entry.json").write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except OSError:
        return None
    return target


def _document_blocks(tables: dict, column: str, part_rows: int) -> dict:
    """Return each document's block number (0-based): consecutive documents of the largest table
    holding `column`, cut before the document that would take a block past `part_rows` rows."""
    holding = [t for t in tables.values() if column in t.columns]
    if not holding:
        return {}
    import numpy as np
    import pandas as pd

    codes, uniques = pd.factorize(max(holding, key=len)[column])
    if not len(codes):
        return {}
    starts = np.concatenate([[0], np.flatnonzero(codes[1:] != codes[:-1]) + 1])
    sizes = np.diff(np.concatenate([starts, [len(codes)]]))
    block, filled, out = 0, 0, {}
    for doc, size in zip(np.asarray(uniques, dtype=object)[codes[starts]], sizes):
        if doc in out:          # the document's rows are not contiguous: one block for all
            return {}
        if filled and filled + size > part_rows:
            block, filled = block + 1, 0
        out[doc], filled = block, filled + size
    return out


def _table_parts(table, column: str, blocks: dict) -> list[tuple[int, int]]:
    """Return the [start, stop) row ranges of `table`'s parts: cut where `blocks` (document -> block)
    steps up, if the table holds `column` in non-decreasing block order; else one part."""
    import numpy as np
    import pandas as pd

    if column not in table.columns or not blocks or not len(table):
        return [(0, len(table))]
    codes, uniques = pd.factorize(table[column])
    numbers = np.array([blocks.get(v, -1) for v in uniques] + [-1])[codes]     # code -1 (missing): -1
    steps = np.diff(numbers)
    if (numbers < 0).any() or (steps < 0).any():
        return [(0, len(table))]
    edges = [0, *(np.flatnonzero(steps) + 1).tolist(), len(table)]
    return list(zip(edges[:-1], edges[1:]))


def _dtype_name(dtype) -> str:
    """Return a dtype's name; a categorical's includes its categories' dtype (``category[object]``)."""
    if str(dtype) == "category":
        return f"category[{dtype.categories.dtype}]"
    return str(dtype)


def _as_dtype(column, name: str):
    """Return `column` converted to the dtype `name` (from `_dtype_name`)."""
    import pandas as pd

    if name.startswith("category["):
        cats = column.astype("category").cat if str(column.dtype) != "category" else column.cat
        categories = pd.Index(cats.categories, dtype=name[len("category["):-1])
        return pd.Series(pd.Categorical.from_codes(cats.codes, categories=categories), index=column.index,
                         name=column.name)
    return column.astype(name)


def read_cache_entry(folder: str | Path, key: str,
                     columns: dict[str, list[str] | None] | None = None) -> tuple[dict, dict] | None:
    """Return (tables, meta) of the entry ``folder/key``, or None when it is missing, unreadable or
    any part read has a sha256 other than the one the entry recorded (such an entry is not trusted).

    `columns` maps the tables to read to their columns (None: all); default every table, whole.
    Each part's bytes are hashed and parsed from the same buffer, so what is read is what was checked.
    """
    entry = Path(folder) / key
    try:
        record = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        if record.get("format") != CACHE_FORMAT or record.get("key") != key:
            return None
        import pyarrow as pa
        import pyarrow.parquet as pq

        wanted = columns if columns is not None else dict.fromkeys(record["files"])
        tables = {}
        for name, names in wanted.items():
            parts = []
            for part, digest in sorted(record["files"][name].items()):
                data = (entry / name / part).read_bytes()
                if hashlib.sha256(data).hexdigest() != digest:
                    return None
                parts.append(pq.ParquetFile(pa.BufferReader(data)).read(columns=names))
            table = pa.concat_tables(parts).to_pandas() if len(parts) > 1 else parts[0].to_pandas()
            for column in table.columns:
                dtype = record["dtypes"][name][column]
                if _dtype_name(table[column].dtype) != dtype:
                    table[column] = _as_dtype(table[column], dtype)
            tables[name] = table
        return tables, record.get("meta", {})
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def read_labels(path: str | Path, themes: tuple[str, ...]) -> pd.DataFrame:
    """Return a paragraph labels CSV (doc_id, para_id, theme; para_id as int64) with every row checked.

    Parameters
    ----------
    path : path
        The CSV (``analysis topics --labels``).
    themes : tuple of str
        The allowed values of ``theme``.

    Raises
    ------
    AnalysisError
        Naming the file, the row (1-based, header = 1) and the field: not CSV, a missing column,
        a para_id that is not a paragraph number, an unknown theme, a paragraph labelled twice.
    """
    import pandas as pd

    try:
        labels = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise AnalysisError(f"{path}: paragraph labels file not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise AnalysisError(f"{path}: paragraph labels file is not a readable CSV "
                            f"({' '.join(str(exc).split())})") from None
    missing = sorted({"doc_id", "para_id", "theme"} - set(labels.columns))
    if missing:
        raise AnalysisError(f"{path}: missing column(s) {', '.join(missing)}; expected doc_id, para_id, theme")
    for i, (para_id, theme) in enumerate(zip(labels["para_id"], labels["theme"])):
        if not para_id.strip().isdigit() or int(para_id) < 1:
            raise AnalysisError(f"{path}:{i + 2}: field 'para_id' is {para_id!r}; expected a paragraph number >= 1")
        if theme not in themes:
            raise AnalysisError(f"{path}:{i + 2}: field 'theme' is {theme!r}; expected one of {', '.join(themes)}")
    labels["para_id"] = labels["para_id"].astype("int64")
    repeated = labels.duplicated(["doc_id", "para_id"], keep=False)
    if repeated.any():
        rows = [i + 2 for i in labels.index[repeated]]
        raise AnalysisError(f"{path}:{rows[1]}: fields 'doc_id', 'para_id' label the paragraph of row {rows[0]} "
                            "again; label each paragraph once")
    return labels
