"""Bad input through the command line: every case exits 2 with one line on stderr naming the file
and field, shows no traceback, and leaves every file already there (inputs and earlier outputs)
byte for byte as it was.

Each case is a command line run in a workspace holding a tiny corpus, a config, a lexicon, a
formulation list, a labels file, a coded audit sheet, an output folder and an output table from
an earlier run. A case may first damage one input (`mutate`); the snapshot is taken after that.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import pytest

from analysis.cli import main
from tests.conftest import MANIFEST_HEADER, write_corpus

DOCS = {
    "alpha-2020": ("2020-03-01", "I. Security\n\nWe cracked down on telecom fraud and gang crime to keep national "
                                 "security.\n\nWe punished terrorism and kept social stability.\n"),
    "beta-2021": ("2021-03-01", "We served high-quality development and protected private enterprises.\n\n"
                                "Intellectual property of market entities was protected.\n"),
    "gamma-2022": ("2022-03-01", "We protected minors and food and drug safety.\n\n"
                                 "Procuratorial suggestions supervised trials and the enforcement of judgments.\n"),
}
CODED_HEADER = "doc_id,para_id,line,left,match,right,theme,entry,correct\n"
CODED_ROW = "alpha-2020,2,3,keep ,national security,.,security,national security,1\n"


@dataclass
class Workspace:
    root: Path
    manifest: Path
    files: dict[str, Path] = field(default_factory=dict)

    def edit(self, name: str, old: str, new: str, count: int = 1) -> None:
        path = self.files[name]
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    def snapshot(self) -> dict[str, bytes]:
        return {str(p.relative_to(self.root)): p.read_bytes() for p in sorted(self.root.rglob("*"))
                if p.is_file() or p.is_symlink()}


@pytest.fixture
def ws(tmp_path) -> Workspace:
    manifest = write_corpus(tmp_path / "c", DOCS)
    w = Workspace(tmp_path, manifest, {"manifest": manifest})
    w.files["config"] = tmp_path / "cfg.toml"
    w.files["config"].write_text("[themes]\nseed = 7\n")
    w.files["lexicon"] = tmp_path / "lex.yaml"
    shutil.copy(resources.files("analysis.data").joinpath("themes.yaml"), w.files["lexicon"])
    w.files["formulations"] = tmp_path / "form.csv"
    shutil.copy(resources.files("analysis.data").joinpath("formulations.csv"), w.files["formulations"])
    w.files["labels"] = tmp_path / "labels.csv"
    w.files["labels"].write_text("doc_id,para_id,theme\nalpha-2020,2,security\n")
    w.files["coded"] = tmp_path / "coded.csv"
    w.files["coded"].write_text(CODED_HEADER + CODED_ROW)
    out = tmp_path / "out"
    out.mkdir()
    (out / "documents.csv").write_text("doc_id\nearlier-run\n")
    (out / "run.json").write_text('{"earlier": true}\n')
    (tmp_path / "old.csv").write_text("doc_id\nearlier-run\n")
    (tmp_path / "old.csv.run.json").write_text('{"earlier": true}\n')
    (tmp_path / "adir").mkdir()
    return w


@dataclass(frozen=True)
class Case:
    id: str
    argv: str                   # {m} manifest, {c} corpus folder, {t} workspace, {cfg} {lex} {form} {labels} {coded}
    expect: tuple[str, ...]     # fragments the one error line must hold (file and field)
    mutate: Callable[[Workspace], None] | None = None


def _append_row(w: Workspace, row: str) -> None:
    with open(w.manifest, "a", encoding="utf-8") as fh:
        fh.write(row)


def _same_bytes_copy(w: Workspace) -> None:
    shutil.copy(w.manifest.parent / "beta-2021.txt", w.manifest.parent / "copy.txt")
    row = w.manifest.read_text().splitlines()[2].replace("beta-2021,beta-2021.txt", "copy-2021,copy.txt")
    _append_row(w, row + "\n")


def _symlink_row(w: Workspace) -> None:
    os.symlink(w.manifest.parent / "beta-2021.txt", w.manifest.parent / "link.txt")
    row = w.manifest.read_text().splitlines()[2].replace("beta-2021,beta-2021.txt", "link-2021,link.txt")
    _append_row(w, row + "\n")


def _multiline_then_error(w: Workspace) -> None:
    lines = w.manifest.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("Title of alpha-2020", '"Title of\nalpha\n2020"')
    lines[3] = lines[3].replace("2022-03-01", "2022-13-01", 1)
    w.manifest.write_text("".join(lines))


def _version_of(w: Workspace, doc_id: str, value: str) -> None:
    date = DOCS[doc_id][0]
    w.edit("manifest", f"Title of {doc_id},{date},{date[:4]},report,official,,",
           f"Title of {doc_id},{date},{date[:4]},report,official,{value},")


def _wrong_sha(w: Workspace) -> None:
    w.edit("manifest", ",beta-2021.txt,", ",gamma-2022.txt,")


def _cfg(text: str) -> Callable[[Workspace], None]:
    return lambda w: w.files["config"].write_text(text)


def _coded(rows: str) -> Callable[[Workspace], None]:
    return lambda w: w.files["coded"].write_text(CODED_HEADER + rows)


CORPUS = "corpus --out {t}/out --manifest {m}"
THEMES = "themes --out {t}/out --manifest {m} --lexicon {lex}"
VALIDATE = "themes-validate --out {t}/out --manifest {m} --lexicon {lex} --coded {coded}"
TOPICS = "topics --out {t}/out --manifest {m} --quick"

CASES = [
    # --- one output guard
    Case("out-is-manifest", "kwic supervision --manifest {m} --out {m}", ("--out", "manifest.csv", "input file")),
    Case("out-is-seed-text", "kwic supervision --manifest {m} --out {c}/beta-2021.txt",
         ("--out", "beta-2021.txt", "input file")),
    Case("out-is-config", "kwic supervision --manifest {m} --config {cfg} --out {cfg}", ("--out", "cfg.toml", "input")),
    Case("out-is-formulations", "formulations --manifest {m} --file {form} --out {form}", ("--out", "form.csv", "input")),
    Case("out-run-json-is-input", "kwic supervision --manifest {m} --config {t}/x.run.json --out {t}/x",
         ("--out", "x.run.json", "input"), lambda w: (w.root / "x.run.json").write_text("")),
    Case("out-folder-holds-manifest", "corpus --manifest {m} --out {c}", ("--out", "holds the input file")),
    Case("out-folder-holds-lexicon", "themes --manifest {m} --lexicon {lex} --out {t}", ("--out", "holds the input")),
    Case("out-folder-is-parent-of-inputs", "topics --manifest {m} --quick --out {t}", ("--out", "holds the input")),
    Case("out-empty-folder", "corpus --manifest {m} --out ''", ("--out is empty",)),
    Case("out-empty-file", "kwic supervision --manifest {m} --out ''", ("--out is empty",)),
    Case("out-folder-for-a-table", "kwic supervision --manifest {m} --out {t}/adir", ("--out", "adir", "is a folder")),
    Case("out-file-for-a-folder", "corpus --manifest {m} --out {t}/old.csv", ("--out", "old.csv", "is a file")),
    Case("out-under-a-file", "corpus --manifest {m} --out {t}/old.csv/sub", ("old.csv/sub", "cannot create output folder")),
    Case("save-is-out", TOPICS + " --save {t}/out", ("--save", "--out")),
    Case("save-holds-inputs", "topics --out {t}/o2 --manifest {m} --quick --save {c}", ("--save", "holds the input")),
    Case("cache-holds-inputs", CORPUS + " --cache {c}", ("--cache", "holds the input")),
    Case("cache-is-a-file", CORPUS + " --cache {t}/old.csv", ("--cache", "is a file")),
    # --- a folder (or nothing) where a file is expected
    Case("manifest-missing", "corpus --out {t}/out --manifest {t}/nowhere.csv", ("nowhere.csv", "manifest not found")),
    Case("manifest-folder", "corpus --out {t}/out --manifest {t}/adir", ("adir", "manifest is a folder")),
    Case("manifest-empty-path", "corpus --out {t}/out --manifest ''", ("manifest path is empty",)),
    Case("config-missing", CORPUS + " --config {t}/nowhere.toml", ("nowhere.toml", "config file not found")),
    Case("config-folder", CORPUS + " --config {t}/adir", ("adir", "config file is a folder")),
    Case("lexicon-folder", "themes --out {t}/out --manifest {m} --lexicon {t}/adir", ("adir", "lexicon file is a folder")),
    Case("lexicon-missing", "themes --out {t}/out --manifest {m} --lexicon {t}/no.yaml", ("no.yaml", "lexicon file not found")),
    Case("labels-folder", TOPICS + " --labels {t}/adir", ("adir", "labels file is a folder")),
    Case("coded-folder", "themes-validate --out {t}/out --manifest {m} --coded {t}/adir", ("adir", "coding sheet is a folder")),
    Case("formulations-folder", "formulations --manifest {m} --file {t}/adir", ("adir", "formulation file is a folder")),
    # --- manifest
    Case("manifest-bad-calendar-date", CORPUS, ("manifest.csv:2", "field 'date'", "2020-02-31"),
         lambda w: w.edit("manifest", "2020-03-01", "2020-02-31")),
    Case("manifest-compact-date", CORPUS, ("manifest.csv:2", "field 'date'", "20200301"),
         lambda w: w.edit("manifest", "2020-03-01", "20200301")),
    Case("manifest-week-date", CORPUS, ("manifest.csv:2", "field 'date'", "2020-W09-7"),
         lambda w: w.edit("manifest", "2020-03-01", "2020-W09-7")),
    Case("manifest-two-rows-one-file", CORPUS, ("manifest.csv:5", "field 'file'", "line 3"),
         lambda w: _append_row(w, w.manifest.read_text().splitlines()[2].replace("beta-2021,", "delta-2021,", 1) + "\n")),
    Case("manifest-symlink-to-listed-file", CORPUS, ("manifest.csv:5", "field 'file'", "line 3"), _symlink_row),
    Case("manifest-version-of-itself", CORPUS, ("manifest.csv:3", "field 'version_of'", "itself"),
         lambda w: _version_of(w, "beta-2021", "beta-2021")),
    Case("manifest-version-cycle", CORPUS, ("manifest.csv:2", "field 'version_of'", "cycle"),
         lambda w: _version_of(w, "alpha-2020", "beta-2021") or _version_of(w, "beta-2021", "alpha-2020")),
    Case("manifest-version-of-unknown", CORPUS, ("manifest.csv:2", "field 'version_of'", "not a doc_id"),
         lambda w: _version_of(w, "alpha-2020", "omega")),
    Case("manifest-repeated-header-column", CORPUS, ("manifest.csv:1", "'title'", "more than once"),
         lambda w: w.manifest.write_text("\n".join(
             line + (",title" if i == 0 else ",x") for i, line in enumerate(w.manifest.read_text().splitlines())) + "\n")),
    Case("manifest-error-after-multiline-field", CORPUS, ("manifest.csv:6", "field 'date'", "2022-13-01"),
         _multiline_then_error),
    Case("manifest-duplicate-doc-id", CORPUS, ("manifest.csv:3", "field 'doc_id'", "repeats line 2"),
         lambda w: w.edit("manifest", "beta-2021,beta", "alpha-2020,beta")),
    Case("manifest-sha-mismatch", CORPUS, ("manifest.csv:3", "field 'sha256'"), _wrong_sha),
    Case("manifest-year-disagrees", CORPUS, ("manifest.csv:2", "field 'year'"),
         lambda w: w.edit("manifest", "2020-03-01,2020,", "2020-03-01,2019,")),
    Case("manifest-file-outside", CORPUS, ("manifest.csv:2", "field 'file'", "outside"),
         lambda w: w.edit("manifest", ",alpha-2020.txt,", ",../cfg.toml,")),
    Case("manifest-missing-column", CORPUS, ("manifest.csv:1", "genre"),
         lambda w: w.manifest.write_text(MANIFEST_HEADER.replace(",genre", ""))),
    # --- config: types and ranges, the key named
    Case("config-phrases-string", CORPUS + " --config {cfg}", ("cfg.toml", "tokens.phrases", "boolean"),
         _cfg('[tokens]\nphrases = "no"\n')),
    Case("config-bool-as-int", CORPUS + " --config {cfg}", ("cfg.toml", "themes.year_include_versions"),
         _cfg("[themes]\nyear_include_versions = 1\n")),
    Case("config-int-as-float", CORPUS + " --config {cfg}", ("cfg.toml", "topics.min_doc_count", "integer"),
         _cfg("[topics]\nmin_doc_count = 2.5\n")),
    Case("config-int-as-bool", CORPUS + " --config {cfg}", ("cfg.toml", "topics.n_jobs", "integer"),
         _cfg("[topics]\nn_jobs = true\n")),
    Case("config-negative-seed", CORPUS + " --config {cfg}", ("cfg.toml", "topics.seed", ">= 0"),
         _cfg("[topics]\nseed = -1\n")),
    Case("config-seed-too-large", CORPUS + " --config {cfg}", ("cfg.toml", "themes.seed"),
         _cfg("[themes]\nseed = 4294967296\n")),
    Case("config-infinite-bootstrap", CORPUS + " --config {cfg}", ("cfg.toml", "topics.n_bootstrap"),
         _cfg("[topics]\nn_bootstrap = inf\n")),
    Case("config-nan-share", CORPUS + " --config {cfg}", ("cfg.toml", "corpus.near_duplicate_similarity"),
         _cfg("[corpus]\nnear_duplicate_similarity = nan\n")),
    Case("config-float-layout-seed", CORPUS + " --config {cfg}", ("cfg.toml", "figures.layout_seed"),
         _cfg("[figures]\nlayout_seed = 1.5\n")),
    Case("config-repeated-seeds", CORPUS + " --config {cfg}", ("cfg.toml", "topics.seeds", "distinct"),
         _cfg("[topics]\nseeds = [7, 7]\n")),
    Case("config-repeated-k", CORPUS + " --config {cfg}", ("cfg.toml", "topics.k_values", "distinct"),
         _cfg("[topics]\nk_values = [4, 4]\n")),
    Case("config-string-for-a-list", CORPUS + " --config {cfg}", ("cfg.toml", "topics.models", "list"),
         _cfg('[topics]\nmodels = "gensim"\n')),
    Case("config-empty-network-node", CORPUS + " --config {cfg}", ("cfg.toml", "figures.network_node"),
         _cfg('[figures]\nnetwork_node = " "\n')),
    Case("config-unknown-key", CORPUS + " --config {cfg}", ("cfg.toml", "near_duplicate_similarty"),
         _cfg("[corpus]\nnear_duplicate_similarty = 0.5\n")),
    Case("config-unknown-table", CORPUS + " --config {cfg}", ("cfg.toml", "unknown key(s) corpse"),
         _cfg("[corpse]\nx = 1\n")),
    Case("config-not-toml", CORPUS + " --config {cfg}", ("cfg.toml", "not a valid TOML"), _cfg("[corpus\n")),
    Case("config-section-not-table", CORPUS + " --config {cfg}", ("cfg.toml", "corpus", "expected a table"),
         _cfg("corpus = 3\n")),
    # --- command-line options
    Case("repeated-seeds-option", TOPICS + " --seeds 7 7", ("--seeds", "7")),
    Case("repeated-k-option", TOPICS + " --k 4 4", ("--k", "4")),
    Case("repeated-models-option", TOPICS + " --models gensim gensim", ("--models", "gensim")),
    Case("negative-top", "kwic supervision --manifest {m} --top -1", ("--top", "-1")),
    Case("zero-top", "kwic supervision --manifest {m} --top 0", ("--top", "0")),
    Case("nan-max-p-adj", "keyness --manifest {m} --target year=2020 --max-p-adj nan", ("--max-p-adj", "nan")),
    Case("negative-seed-option", THEMES + " --seed -1", ("themes.seed", ">= 0")),
    Case("zero-window", "kwic supervision --manifest {m} --window 0", ("--window", "0")),
    Case("unknown-figure", "figures --manifest {m} --out {t}/out --only nosuch", ("--only", "nosuch")),
    # --- lexicon
    Case("lexicon-repeated-theme-key", THEMES, ("lex.yaml:", "'security'", "twice"),
         lambda w: w.edit("lexicon", "  security:\n", "  security:\n  - pattern: foo bar\n    rationale: x\n  security:\n")),
    Case("lexicon-star-entry", THEMES, ("lex.yaml", "'*'", "would match every word"),
         lambda w: w.edit("lexicon", "pattern: gang*", "pattern: '*'")),
    Case("lexicon-double-star-entry", THEMES, ("lex.yaml", "'**'", "would match every word"),
         lambda w: w.edit("lexicon", "pattern: gang*", "pattern: '**'")),
    # (a theme name the package does not know is not an error: categories are data, issue 19)
    # --- coded audit sheet (precision read-back)
    Case("coded-row-without-document", VALIDATE, ("coded.csv:3", "field 'doc_id'", "empty"),
         _coded(CODED_ROW + CODED_ROW.replace("alpha-2020,", ",", 1))),
    Case("coded-row-unknown-document", VALIDATE, ("coded.csv:2", "field 'doc_id'", "'nosuch'"),
         _coded(CODED_ROW.replace("alpha-2020,", "nosuch,", 1))),
    Case("coded-row-without-entry", VALIDATE, ("coded.csv:2", "field 'entry'", "empty"),
         _coded(CODED_ROW.replace(",national security,1", ",,1"))),
    Case("coded-row-unknown-entry", VALIDATE, ("coded.csv:2", "field 'entry'", "not an entry"),
         _coded(CODED_ROW.replace(",national security,1", ",made up,1"))),
    Case("coded-row-entry-under-other-theme", VALIDATE, ("coded.csv:2", "field 'entry'", "listed under"),
         _coded(CODED_ROW.replace(",security,national security,", ",development,national security,"))),
    Case("coded-row-bad-paragraph", VALIDATE, ("coded.csv:2", "field 'para_id'", "'x'"),
         _coded(CODED_ROW.replace("alpha-2020,2,", "alpha-2020,x,"))),
    Case("coded-repeats-marked-differently", VALIDATE, ("coded.csv:3", "field 'correct'", "row 2"),
         _coded(CODED_ROW + CODED_ROW.replace(",1\n", ",0\n"))),
    Case("coded-bad-mark", VALIDATE, ("coded.csv:2", "field 'correct'", "'maybe'"),
         _coded(CODED_ROW.replace(",1\n", ",maybe\n"))),
    # --- formulation list and labels
    Case("labels-missing-column", TOPICS + " --labels {labels}", ("labels.csv", "theme"),
         lambda w: w.files["labels"].write_text("doc_id,para_id\nalpha-2020,2\n")),
    Case("labels-unknown-theme", TOPICS + " --labels {labels}", ("labels.csv:2", "field 'theme'", "'securty'"),
         lambda w: w.files["labels"].write_text("doc_id,para_id,theme\nalpha-2020,2,securty\n")),
    Case("labels-bad-paragraph", TOPICS + " --labels {labels}", ("labels.csv:3", "field 'para_id'", "'2.5'"),
         lambda w: w.files["labels"].write_text("doc_id,para_id,theme\nalpha-2020,2,security\nbeta-2021,2.5,none\n")),
    Case("labels-paragraph-twice", TOPICS + " --labels {labels}", ("labels.csv:3", "'para_id'", "row 2"),
         lambda w: w.files["labels"].write_text("doc_id,para_id,theme\nalpha-2020,2,security\nalpha-2020,2,none\n")),
    Case("labels-unknown-document", TOPICS + " --labels {labels}", ("labels.csv:2", "field 'doc_id'", "'nosuch'"),
         lambda w: w.files["labels"].write_text("doc_id,para_id,theme\nnosuch,2,security\n")),
    # --- usage errors are one line too
    Case("usage-not-an-integer", "kwic supervision --manifest {m} --top abc", ("--top", "'abc'")),
    Case("usage-bad-choice", "collocations --manifest {m} --n 4", ("--n", "4")),
    Case("usage-missing-out", "corpus --manifest {m}", ("--out",)),
    Case("formulations-unknown-category", "formulations --manifest {m} --file {form}", ("form.csv:2", "category"),
         lambda w: w.edit("formulations", "two_establishments,political,", "two_establishments,nonsense,")),
]


def _argv(case: Case, w: Workspace) -> list[str]:
    import shlex

    names = {"m": w.manifest, "c": w.manifest.parent, "t": w.root, "cfg": w.files["config"],
             "lex": w.files["lexicon"], "form": w.files["formulations"], "labels": w.files["labels"],
             "coded": w.files["coded"]}
    return shlex.split(case.argv.format(**{k: shlex.quote(str(v)) for k, v in names.items()}))


def test_cases_are_distinct():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, ws, capsys):
    if case.mutate is not None:
        case.mutate(ws)
    before = ws.snapshot()
    try:
        status = main(_argv(case, ws))
    except SystemExit as exc:           # argparse's usage errors
        status = exc.code
    captured = capsys.readouterr()
    err = captured.err
    assert status == 2, (status, err, captured.out[-500:])
    assert err.count("\n") == 1 and err.startswith("analysis: error: "), err
    assert "Traceback" not in err
    for fragment in case.expect:
        assert fragment in err, (fragment, err)
    assert ws.snapshot() == before, "a refused run changed a file"


CONSOLE_CASES = [c for c in CASES if c.id in ("out-is-manifest", "config-phrases-string", "manifest-version-cycle")]


@pytest.mark.parametrize("case", CONSOLE_CASES, ids=[c.id for c in CONSOLE_CASES])
def test_bad_input_in_a_process(case, ws):
    """The same through the console entry point: a real process, its real stderr."""
    if case.mutate is not None:
        case.mutate(ws)
    before = ws.snapshot()
    proc = subprocess.run([sys.executable, "-m", "analysis.cli", *_argv(case, ws)], capture_output=True, text=True,
                          cwd=ws.root)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert all(f in proc.stderr for f in case.expect)
    assert ws.snapshot() == before


def test_pasted_coded_rows_count_once(ws, capsys):
    ws.files["coded"].write_text(CODED_HEADER + CODED_ROW * 50)
    argv = _argv(Case("x", VALIDATE, ()), ws)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "analysis: warning:" in err and "49 row(s) repeat an earlier row" in err
    import pandas as pd

    by_theme = pd.read_csv(ws.root / "out" / "audit_precision_themes.csv")
    assert by_theme.set_index("theme").loc["security", "n_coded"] == 1


def test_good_outputs_replace_the_earlier_set(ws, capsys):
    """The guard lets ordinary outputs through; the folder's files and run.json come from one run."""
    import json

    assert main(_argv(Case("x", CORPUS, ()), ws)) == 0
    out = ws.root / "out"
    assert "earlier-run" not in (out / "documents.csv").read_text()
    assert json.loads((out / "run.json").read_text())["command"] == "corpus"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]       # no staging folder left
    assert main(_argv(Case("x", "kwic supervision --manifest {m} --out {t}/old.csv", ()), ws)) == 0
    assert json.loads((ws.root / "old.csv.run.json").read_text())["command"] == "kwic"


def test_failed_write_leaves_the_earlier_set(ws, capsys, monkeypatch):
    """A write failing part-way (the third table) leaves every earlier output as it was."""
    from analysis import io

    before = ws.snapshot()
    real, calls = io.write_csv, []

    def failing(table, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(table, path)

    monkeypatch.setattr(io, "write_csv", failing)
    with pytest.raises(OSError):
        main(_argv(Case("x", CORPUS, ()), ws))
    assert ws.snapshot() == before


@pytest.mark.parametrize("call", ["config", "lexicon", "formulations", "coded", "manifest"])
def test_api_refuses_a_folder_where_a_file_is_expected(tmp_path, call):
    """The library functions (not only the CLI) answer a folder with their own one-line error."""
    from analysis import discourse, themes
    from analysis.config import load_config
    from analysis.corpus import read_manifest
    from analysis.errors import AnalysisError

    reader = {"config": load_config, "lexicon": themes.load_lexicon, "formulations": discourse.read_formulations,
              "coded": themes.read_audit, "manifest": read_manifest}[call]
    with pytest.raises(AnalysisError, match=f"{tmp_path}: .*is a folder"):
        reader(tmp_path)


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    import analysis

    return analysis.load_corpus(write_corpus(tmp_path_factory.mktemp("api"), DOCS))


STAGES = {
    "tokenize": lambda c, bad: __import__("analysis.tokens", fromlist=["tokenize"]).tokenize(bad),
    "keyness": lambda c, bad: _d().keyness(bad, c.documents, ["year=2020"]),
    "kwic-tokens": lambda c, bad: _d().kwic(bad, c.paragraphs, "security"),
    "kwic-paragraphs": lambda c, bad: _d().kwic(c.tokens, bad, "security"),
    "collocations": lambda c, bad: _d().collocations(bad),
    "collocates": lambda c, bad: _d().collocates(bad, "security"),
    "lexical_profile": lambda c, bad: _d().lexical_profile(bad, c.sentences),
    "lexical_profile-sentences": lambda c, bad: _d().lexical_profile(c.tokens, bad),
    "count_formulations": lambda c, bad: _d().count_formulations(bad, c.documents),
    "first_appearances": lambda c, bad: _d().first_appearances(c.tokens, bad),
    "formulations_by_year": lambda c, bad: _d().formulations_by_year(bad, c.documents),
    "formulation_concordance": lambda c, bad: _d().formulation_concordance(c.tokens, bad),
    "discover_formulations": lambda c, bad: _d().discover_formulations(bad, c.tokens),
    "match_lexicon": lambda c, bad: _t().match_lexicon(bad, _t().load_lexicon()),
    "analyse_themes": lambda c, bad: _t().analyse_themes(c.__class__(**{**c.__dict__, "paragraphs": bad})),
    "validate_structure": lambda c, bad: _t().validate_structure(bad, c.paragraphs),
    "compare_versions": lambda c, bad: _t().compare_versions(bad, c.documents),
    "audit_precision": lambda c, bad: _t().audit_precision(bad),
}


def _d():
    from analysis import discourse

    return discourse


def _t():
    from analysis import themes

    return themes


@pytest.mark.parametrize("stage", STAGES)
def test_api_stage_refuses_a_table_of_the_wrong_shape(tiny_corpus, stage):
    """A table without the stage's columns raises SchemaError naming the stage and the column."""
    import pandas as pd

    from analysis.errors import AnalysisError

    with pytest.raises(AnalysisError, match=r"(missing column|no column)"):
        STAGES[stage](tiny_corpus, pd.DataFrame({"unrelated": [1, 2]}))


def test_a_copy_of_a_listed_file_is_warned_about(ws, capsys):
    """Two files with the same bytes count one text twice: allowed (fixtures do it), never silently."""
    _same_bytes_copy(ws)
    assert main(_argv(Case("x", CORPUS, ()), ws)) == 0
    err = capsys.readouterr().err
    assert "analysis: warning:" in err and "manifest.csv:5: field 'file' 'copy.txt' has the same bytes" in err
