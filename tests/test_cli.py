"""The command line: outputs, one-line errors, and outputs left whole by a failed run."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.cli import main
from tests.conftest import write_corpus


def test_corpus_command_writes_tables_and_provenance(tmp_path, capsys):
    assert main(["corpus", "--out", str(tmp_path)]) == 0
    docs = pd.read_csv(tmp_path / "documents.csv")
    paras = pd.read_csv(tmp_path / "paragraphs.csv", keep_default_na=False)
    log = pd.read_csv(tmp_path / "cleaning_log.csv")
    assert len(docs) == 5 and list(log.columns) == ["rule", "doc_id", "line", "changed"]
    assert {"doc_id", "para_id", "kind", "section", "part", "line_start", "line_end", "text",
            "n_tokens"} <= set(paras.columns)
    run = json.loads((tmp_path / "run.json").read_text())
    assert run["config"]["corpus"]["near_duplicate_similarity"] == 0.6
    # the manifest, the corpus's own analysis.toml that shaped the run, and the five seed files
    assert len(run["inputs_sha256"]) == 7 and "analysis.toml" in run["inputs_sha256"]
    assert run["engine"] == {"engine": "local", "scheduler": None, "n_workers": 1, "partitions": 1}
    assert "5 documents" in capsys.readouterr().out


def test_every_run_record_says_where_the_run_ran():
    """Each call that builds a run.json passes the engine record (checked on the source, so a new
    command cannot forget it; the records' contents are tested in test_cli and test_dask)."""
    import ast
    from pathlib import Path

    import analysis

    calls = []
    for path in Path(analysis.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "run_record":
                calls.append((path.name, node.lineno, {k.arg for k in node.keywords}))
    assert len(calls) >= 9
    assert [c[:2] for c in calls if "engine" not in c[2]] == []


@pytest.mark.parametrize("argv_tail, message", [
    (["--manifest", "{tmp}/nowhere.csv"], "manifest not found"),
    (["--config", "{tmp}/nowhere.toml"], "config file not found"),
])
def test_bad_input_one_line_exit_2(tmp_path, capsys, argv_tail, message):
    argv = ["corpus", "--out", str(tmp_path / "out")] + [a.format(tmp=tmp_path) for a in argv_tail]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[corpus]\nnear_duplicate_similarty = 0.5\n")
    assert main(["corpus", "--out", str(tmp_path / "o"), "--config", str(cfg)]) == 2
    assert "unknown key(s) near_duplicate_similarty" in capsys.readouterr().err


def test_failed_run_leaves_earlier_outputs_whole(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["corpus", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    m = write_corpus(tmp_path / "bad", {"a-2020": ("2020-01-02", "Some text.\n")})
    m.write_text(m.read_text().replace("2020-01-02", "2020-02-31"))
    assert main(["corpus", "--out", str(out), "--manifest", str(m)]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["corpus", "--out", str(blocker / "sub")]) == 2
    assert "cannot create output folder" in capsys.readouterr().err


def test_console_script_runs_without_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", "corpus", "--out", str(tmp_path),
                           "--manifest", str(tmp_path / "missing.csv")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("analysis: error:") and "Traceback" not in proc.stderr


def test_library_names_parameters_and_cli_names_flags(corpus, capsys):
    from analysis import discourse
    from analysis.errors import ParameterError
    with pytest.raises(ParameterError, match=r"^kwic: window must be an integer >= 1; got 0$"):
        discourse.kwic(corpus.tokens, corpus.paragraphs, "supervision", window=0)
    with pytest.raises(ParameterError, match=r"^collocations: min_count must be >= 1; got 0$"):
        discourse.collocations(corpus.tokens, min_count=0)
    assert main(["kwic", "supervision", "--window", "0"]) == 2
    assert capsys.readouterr().err == "analysis: error: --window must be an integer >= 1; got 0\n"
    assert main(["collocations", "--min-count", "0"]) == 2
    assert capsys.readouterr().err == "analysis: error: --min-count must be >= 1; got 0\n"


def test_an_extra_manifest_column_chooses_groups_everywhere(tmp_path, capsys):
    from tests.conftest import write_manifest

    text = {"red": "The court protected minors and punished fraud. The court protected victims of fraud.\n",
            "blue": "We will build roads and schools. We will protect workers and farmers in every town.\n"}
    m = write_manifest(tmp_path / "c", [
        {"doc_id": f"{party}-{year}", "date": f"{year}-01-01", "party": party, "content": text[party]}
        for party in ("red", "blue") for year in (2020, 2021)], columns=("party",))
    out = tmp_path / "out"
    assert main(["keyness", "--manifest", str(m), "--target", "party=red", "--reference", "party=blue",
                 "--min-freq", "2", "--out", str(out / "keyness.csv")]) == 0
    key = pd.read_csv(out / "keyness.csv")
    assert key.loc[key["key_for"] == "target", "term"].tolist()[:2] == ["court", "fraud"]
    assert main(["themes", "--manifest", str(m), "--by", "party", "--out", str(out)]) == 0
    by_party = pd.read_csv(out / "themes_by_party.csv")
    assert sorted(set(by_party["party"])) == ["blue", "red"] and set(by_party["n_documents"]) == {2}
    assert main(["formulations", "--manifest", str(m), "--by", "party", "--out", str(out / "f.csv")]) == 0
    assert "party" in pd.read_csv(out / "f.csv").columns
    documents = tmp_path / "docs"
    assert main(["corpus", "--manifest", str(m), "--out", str(documents)]) == 0
    assert pd.read_csv(documents / "documents.csv")["party"].tolist() == ["red", "red", "blue", "blue"]
    capsys.readouterr()
    before = {f.name: f.read_bytes() for f in out.iterdir()}
    assert main(["themes", "--manifest", str(m), "--by", "colour", "--out", str(out)]) == 2
    assert "by must be a column of the documents table" in capsys.readouterr().err
    assert {f.name: f.read_bytes() for f in out.iterdir()} == before
