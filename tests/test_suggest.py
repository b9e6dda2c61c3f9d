"""Lexicon expansion: `analysis lexicon suggest` and `analysis lexicon merge` (issue 20)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from analysis import themes
from analysis.cli import main
from analysis.config import SuggestConfig
from analysis.errors import AnalysisError, ConfigError
from analysis.suggest import MERGE_RATIONALE, SUGGEST_COLUMNS, merge_suggestions, suggest_terms
from tests.conftest import REPO

QUICK = SuggestConfig(n=12, epochs=10, vector_size=40)
KWIC_LINE = re.compile(r"^[a-z0-9-]+:\d+: .*\[[^\]]+\].*$")


@pytest.mark.corpus
def test_suggest_on_seeds_gives_new_terms_with_kwic_lines(corpus):
    lexicon = themes.load_lexicon()
    table = suggest_terms(corpus, lexicon, "supervision", QUICK)
    assert list(table.columns) == list(SUGGEST_COLUMNS) and len(table) == 12
    assert (table["category"] == "supervision").all() and (table["accept"] == "").all()
    assert table["score"].is_monotonic_decreasing
    assert table["similarity"].between(-1, 1).all() and (table["n_occurrences"] >= QUICK.min_count).all()
    held = {e.pattern.lower() for e in lexicon.entries}
    assert not set(table["term"]) & held
    for cell, term in zip(table["kwic"], table["term"]):
        lines = cell.split(" || ")
        assert 1 <= len(lines) <= QUICK.kwic_lines
        assert all(KWIC_LINE.match(line) for line in lines), cell
        # the KWIC line's doc_id:line points at a paragraph that holds the term
        doc_id, line = lines[0].split(":")[:2]
        paras = corpus.paragraphs[(corpus.paragraphs["doc_id"] == doc_id)
                                  & corpus.paragraphs["line_start"].le(int(line))
                                  & corpus.paragraphs["line_end"].ge(int(line))]
        assert len(paras) == 1
        words = term.split()
        assert all(w[:4].lower() in paras["text"].iloc[0].lower() for w in words)
    # the same seed gives the same table in this process
    pd.testing.assert_frame_equal(table, suggest_terms(corpus, lexicon, "supervision", QUICK))


@pytest.mark.slow
def test_suggest_is_the_same_across_processes(tmp_path):
    """gensim hashes words with Python's hash() unless told otherwise; ours is fixed."""
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"s{hash_seed}.csv"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "analysis.cli", "lexicon", "suggest", "--category", "security",
                        "--n", "8", "--out", str(out)], check=True, env=env, cwd=REPO, capture_output=True)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_suggest_rejects_an_unknown_category(tiny_manifest):
    import analysis

    corpus = analysis.load_corpus(tiny_manifest)
    with pytest.raises(ConfigError, match="category 'safety' is not in .*choose from security, development"):
        suggest_terms(corpus, themes.load_lexicon(), "safety", QUICK)


LEXICON = """\
# my lexicon: comments must survive a merge
themes:
  security:
  # a comment inside the list
  - pattern: terrorism
    rationale: core
  development:
  - pattern: enterprise
    rationale: core
  livelihood:
  - pattern: pension
    rationale: core
  supervision:
  - pattern: protest
    rationale: core
exclude:
- pattern: supervisory commission
  rationale: anti-corruption
"""


def _suggestions(rows):
    return pd.DataFrame(rows, columns=["category", "term", "similarity", "accept"])


def test_merge_round_trip_keeps_comments_and_adds_accepted_rows(tmp_path):
    table = _suggestions([("security", "extremism", 0.9, "y"), ("security", "crime", 0.8, "no"),
                          ("supervision", "retrial", 0.7, "TRUE"), ("supervision", "protests", 0.7, "yes"),
                          ("livelihood", "elderly people", 0.6, " 1 "), ("development", "market", 0.5, "")])
    text, added, skipped = merge_suggestions(table, LEXICON)
    assert (added, skipped) == (3, 1)
    assert "# my lexicon: comments must survive a merge" in text and "# a comment inside the list" in text
    path = tmp_path / "merged.yaml"
    path.write_text(text, encoding="utf-8")
    merged = themes.load_lexicon(path).table()
    new = merged[merged["rationale"] == MERGE_RATIONALE]
    assert new[["theme", "entry"]].values.tolist() == [["security", "extremism"], ["livelihood", "elderly people"],
                                                      ["supervision", "retrial"]]
    assert len(merged) == 5 + 3
    # merging the same file again adds nothing
    again, added, skipped = merge_suggestions(table, text)
    assert (again, added, skipped) == (text, 0, 4)


def test_merge_errors_name_the_row(tmp_path):
    with pytest.raises(AnalysisError, match=r"s\.csv:3: category 'safety' is not in lex\.yaml"):
        merge_suggestions(_suggestions([("security", "a", 0, "n"), ("safety", "b", 0, "y")]), LEXICON,
                          "s.csv", "lex.yaml")
    with pytest.raises(AnalysisError, match="missing column"):
        merge_suggestions(pd.DataFrame({"term": ["x"]}), LEXICON)
    with pytest.raises(AnalysisError, match=r"s\.csv:2: term '42' has no word"):
        merge_suggestions(_suggestions([("security", "42", 0, "y")]), LEXICON, "s.csv")


def test_cli_suggest_then_merge(tiny_manifest, tmp_path, capsys):
    lexicon = tmp_path / "lex.yaml"
    lexicon.write_text(LEXICON, encoding="utf-8")
    reviewed = tmp_path / "reviewed.csv"
    _suggestions([("security", "gang crime", 0.9, "yes")]).to_csv(reviewed, index=False)
    out = tmp_path / "out" / "merged.yaml"
    assert main(["lexicon", "merge", "--suggestions", str(reviewed), "--lexicon", str(lexicon), "--out", str(out)]) == 0
    assert "1 entries added" in capsys.readouterr().out
    assert "gang crime" in themes.load_lexicon(out).table()["entry"].tolist()
    # a bad suggestions file: one line, exit 2, nothing written
    bad = tmp_path / "bad.csv"
    bad.write_text(textwrap.dedent("term,accept\nx,y\n"), encoding="utf-8")
    out2 = tmp_path / "never.yaml"
    assert main(["lexicon", "merge", "--suggestions", str(bad), "--lexicon", str(lexicon), "--out", str(out2)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing column(s) category" in err and not out2.exists()
    assert main(["lexicon", "suggest", "--manifest", str(tiny_manifest), "--category", "nope",
                 "--out", str(tmp_path / "s.csv")]) == 2
    assert "choose from" in capsys.readouterr().err


def test_a_term_the_lexicon_holds_in_another_form_is_not_suggested():
    from analysis.suggest import _EntryIndex

    held = _EntryIndex(themes.load_lexicon().entries)
    assert held.equals("cultural_relics") and held.within("protect_cultural_relics")
    assert held.within("gangsters") and not held.within("harbour_lantern")
