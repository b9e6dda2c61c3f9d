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
import subprocess
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

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


def write_json(data: dict, path: str | Path) -> Path:
    """Write `data` as indented, key-sorted JSON, atomically; return the path."""
    path = Path(path)
    with atomic_write(path) as fh:
        json.dump(data, fh, indent=2, sort_keys=True, default=str)
        fh.write("\n")
    return path


def sha256_file(path: str | Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit(repo: str | Path | None = None) -> str | None:
    """Return the commit hash of the checkout holding this package, or None outside git."""
    repo = Path(repo) if repo else Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


PACKAGES = ("spp-discourse", "gensim", "scikit-learn", "nltk", "numpy", "pandas", "scipy", "simplemma",
            "matplotlib", "statsmodels", "networkx", "tomotopy")


def package_versions() -> dict[str, str | None]:
    """Return the installed version of each package the results depend on (None if absent)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
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
