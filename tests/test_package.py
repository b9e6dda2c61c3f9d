"""The package's shape: data flows one way, importing is cheap, the entry points work."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "analysis"

#: Stage of each top-level module or subpackage: a module may import only from earlier stages,
#: from its own package, and from the shared modules of stage 0 (readers, repeats and manifest, 0.5, are the
#: corpus stage's own helpers: file readers, the repeated-paragraph finder, the manifest reader and the
#: token scanner; phrases, 0.7, counts phrase statistics on term codes for tokens; cli_lexicon, 7.5, holds the `analysis lexicon` commands that cli registers).
STAGES = {"errors": 0, "checks": 0, "config": 0, "io": 0, "lazy": 0, "data": 0, "palette": 0, "engine": 0,
          "streams": 0, "intervals": 0, "readers": 0.5, "repeats": 0.5, "cleaning": 0.5, "manifest": 0.5, "scan": 0.5,
          "phrases": 0.7, "corpus": 1, "corpus_cache": 1.5,
          "tokens": 2, "query": 3,
          "themes": 4, "topics": 4, "discourse": 4, "effects": 5, "suggest": 5, "figures": 5, "pipeline": 6,
          "explore": 7, "cli_common": 7.2, "cli_topics": 7.5, "cli_figures": 7.5, "cli_lexicon": 7.5, "cli": 8, "__main__": 9, "__init__": 9}


def _imports(path: Path) -> set[str]:
    """Return the `analysis.X` parts (first component after `analysis`) that `path` imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "analysis":
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("analysis."))
    return found


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        yield path, rel.parts[0].removesuffix(".py")


@pytest.mark.parametrize("path, unit", list(_modules()), ids=lambda v: str(v) if isinstance(v, str) else v.name)
def test_data_flows_one_way(path, unit):
    stage = STAGES[unit]
    for imported in _imports(path) - {unit}:
        assert imported in STAGES, f"{path}: imports unknown analysis.{imported}"
        other = STAGES[imported]
        assert other == 0 or other < stage, f"{path.relative_to(PACKAGE)} (stage {stage}) imports " \
                                            f"analysis.{imported} (stage {other}): upstream only"


def test_modules_stay_readable():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 650}
    assert not long, f"modules over ~600 lines: {long}"


#: Long functions in modules other branches are rewriting (issue 16, item 3): give each a `# long:` reason or
#: split it there, then take it off this list (the test fails once one is no longer long).
LONG_ELSEWHERE: set[tuple[str, str]] = set()


def _long_functions(limit: int = 60) -> dict[tuple[str, str], int]:
    """Return (module, function) -> lines (def to end, as `ast` counts them) of every function in the package
    over `limit` lines whose def line, or the line above it, has no comment starting with `# long:`."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            size = node.end_lineno - node.lineno + 1
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            if size > limit and "# long:" not in lines[node.lineno - 1] and not above.startswith("# long:"):
                out[(str(path.relative_to(PACKAGE)), node.name)] = size
    return out


def test_functions_stay_short_or_say_why():
    long = _long_functions()
    unexplained = {f"{module}:{name}": n for (module, name), n in long.items() if (module, name) not in LONG_ELSEWHERE}
    assert not unexplained, ("functions over 60 lines: split them into named steps, or write the reason in a "
                             f"comment starting with '# long:' on the def line or the line above: {unexplained}")
    assert LONG_ELSEWHERE <= set(long), f"no longer long, take off LONG_ELSEWHERE: {LONG_ELSEWHERE - set(long)}"


def test_long_function_check_sees_a_long_function_and_its_reason(tmp_path, monkeypatch):
    body = "".join(f"    x = {i}\n" for i in range(61))
    (tmp_path / "bare.py").write_text(f"def bare():\n{body}", encoding="utf-8")
    (tmp_path / "said.py").write_text(f"# long: one statement per flag\ndef said():\n{body}", encoding="utf-8")
    (tmp_path / "inline.py").write_text(f"def inline():  # long: a table of cases\n{body}", encoding="utf-8")
    (tmp_path / "short.py").write_text("def short():\n" + body.split("\n", 2)[2], encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    assert _long_functions() == {("bare.py", "bare"): 62}


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_import_and_help_do_not_load_heavy_libraries():
    heavy = ("gensim", "sklearn", "matplotlib", "tomotopy")
    out = _run("import sys, analysis, analysis.cli\n"
               "try:\n    analysis.cli.build_parser().parse_args(['--help'])\nexcept SystemExit:\n    pass\n"
               f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    assert out.strip().splitlines()[-1] == "[]"


def test_stage_packages_are_attributes_of_the_package():
    out = _run("import analysis; print(analysis.themes.analyse_themes.__name__, analysis.topics.run_topics.__name__,"
               " analysis.discourse.kwic.__name__, callable(analysis.load_corpus))")
    assert out.split() == ["analyse_themes", "run_topics", "kwic", "True"]


def test_version_and_module_entry_point():
    import analysis
    proc = subprocess.run([sys.executable, "-m", "analysis", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"analysis {analysis.__version__}"
    assert analysis.__version__[0].isdigit()


def test_no_fact_of_the_seed_corpus_in_library_code():
    """Seed doc_ids live in data files and the seeds' config, never in code or docstrings."""
    import re
    manifest = PACKAGE.parent / "seeds" / "manifest.csv"
    doc_ids = [line.split(",")[0] for line in manifest.read_text(encoding="utf-8").splitlines()[1:] if line]
    assert len(doc_ids) == 5
    pattern = re.compile("|".join(re.escape(d) for d in doc_ids))
    found = [f"{p.relative_to(PACKAGE)}:{n}" for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, f"seed doc_ids in library code: {found}"
