"""Execute every notebook in notebooks/ from top to bottom; any error fails the test."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 2


def _any_categories(folder: Path) -> bool:
    """Return True when a codebook may define categories of its own (notebook 06 needs it)."""
    from analysis import themes
    from analysis.errors import ConfigError

    path = folder / "two.yaml"
    path.write_text("themes:\n  ecology:\n  - pattern: wetland\n    rationale: r\n"
                    "  enforcement:\n  - pattern: fine\n    rationale: r\n", encoding="utf-8")
    try:
        themes.load_lexicon(path)
    except ConfigError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    if path.stem.startswith("06-") and not _any_categories(tmp_path):
        pytest.skip("06 needs codebooks with categories of their own (categories as data, not yet merged)")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit notebooks without outputs"
    client = NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    assert all(c.get("outputs") is not None for c in nb.cells if c.cell_type == "code")
