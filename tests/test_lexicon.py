"""Lexicons as data: any categories, quanteda YAML and LIWC .dic in and out, categories flowing downstream."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import cli, themes, topics
from analysis.config import ThemesConfig, TopicsConfig
from analysis.errors import ConfigError

FAST = ThemesConfig(n_boot=1000)
CODEBOOK = ("technology", "courts", "party.discipline")


def write(path, text: str):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- formats


def test_quanteda_yaml_flattens_nested_categories(codebook_path):
    lexicon = themes.load_lexicon(codebook_path)
    assert themes.lexicon_format(codebook_path) == "quanteda"
    assert lexicon.categories == CODEBOOK
    table = lexicon.table()
    assert table.groupby("theme", sort=False)["entry"].apply(list).to_dict() == {
        "technology": ["digital*", "artificial intelligence", "big data"],
        "courts": ["court", "judge", "trial"], "party.discipline": ["corruption", "discipline"]}
    assert list(table["lemmas"][table["entry"] == "big data"]) == ["big data"]
    assert set(table["rationale"]) == {""}
    assert lexicon.entries[4].words == ("judge",) and lexicon.entries[0].is_glob


def test_a_single_category_is_a_lexicon(tmp_path):
    lexicon = themes.load_lexicon(write(tmp_path / "one.yml", "courts: [court, judge]\n"))
    assert lexicon.categories == ("courts",)
    named = themes.load_lexicon(write(tmp_path / "two.yml", "'Law & order (public)': [police]\nÉconomie: [tax]\n"))
    assert named.categories == ("Law & order (public)", "Économie")


def test_format_option_overrides_the_guess(codebook_path, tmp_path):
    with pytest.raises(ConfigError, match=r"codebook\.yaml: lexicon must be a mapping with a 'themes' key"):
        themes.load_lexicon(codebook_path, format="analysis")
    with pytest.raises(ConfigError, match=r"load_lexicon: format must be one of analysis, quanteda, liwc"):
        themes.load_lexicon(codebook_path, format="wordstat")


LIWC = "%\n1\tcourts\n2\ttechnology\n%\ncourt\t1\njudge*\t1\nbig data\t2\ndigital*  2\n"


def test_liwc_dic_is_read(tmp_path):
    assert themes.lexicon_format(write(tmp_path / "d.txt", LIWC)) == "liwc"       # told from the '%' header
    lexicon = themes.load_lexicon(write(tmp_path / "d.dic", LIWC))
    assert lexicon.categories == ("courts", "technology")
    assert [(e.theme, e.pattern, e.words) for e in lexicon.entries] == [
        ("courts", "court", ("court",)), ("courts", "judge*", ("judge*",)),
        ("technology", "big data", ("big", "data")), ("technology", "digital*", ("digital*",))]


@pytest.mark.parametrize("text, message", [
    ("1\tcourts\n%\ncourt\t1\n", r"d\.dic:1: LIWC header must start with a line holding only '%'"),
    ("%\n1\tcourts\ncourt\t1\n", r"d\.dic:1: LIWC header is not closed"),
    ("%\nx\tcourts\n%\ncourt\t1\n", r"d\.dic:2: LIWC header line 'x.*courts': expected '<number> <category>'"),
    ("%\n%\ncourt\t1\n", r"d\.dic:1: LIWC header defines no category"),
    ("%\n1\tcourts\n1\tlaw\n%\ncourt\t1\n", r"d\.dic:3: LIWC category number 1 is defined twice"),
    ("%\n1\tcourts\n2\tlaw\n%\ncourt\t1\t2\n", r"d\.dic:5: LIWC entry 'court' is listed under courts, law"),
    ("%\n1\tcourts\n%\ncourt\t7\n", r"d\.dic:4: LIWC entry 'court': category number 7 is not in the header"),
    ("%\n1\tcourts\n%\nlike (02 134)125/464\n", r"d\.dic:4: LIWC entry .*conditional LIWC entries are not"),
    ("%\n1\tcourts\n2\tlaw\n%\ncourt\t1\n", r"d\.dic: LIWC category 2 'law' has no entry"),
    ("%\n1\tcourts\n%\n*\t1\n", r"d\.dic:4: pattern '\*': glob word '\*' has no letter and would match every word"),
    ("%\n1\tother\n%\ncourt\t1\n", r"d\.dic:2: category name 'other' collides with a table column"),
])
def test_bad_liwc_names_file_and_line(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        themes.load_lexicon(write(tmp_path / "d.dic", text))


@pytest.mark.parametrize("text, message", [
    ("courts: [court]\ncourts: [judge]\n", r"q\.yaml:2: key 'courts' appears twice in one mapping \(first at line 1\)"),
    ("courts: []\n", r"q\.yaml:1: category 'courts' is empty"),
    ("courts:\n  - court\n  - '**'\n", r"q\.yaml:3: courts entry 2: pattern '\*\*': glob word '\*\*' has no letter"),
    ("courts: [court]\nlaw: [court]\n", r"q\.yaml:2: law entry 1: pattern 'court' is already listed under 'courts'"),
    ("doc_id: [court]\n", r"q\.yaml:1: category name 'doc_id' collides with a table column"),
    ("courts: [court]\nNone: [judge]\n", r"q\.yaml:2: category name 'None' collides"),
    ("courts: [court, 12]\n", r"q\.yaml:1: courts entry 2: expected a pattern \(a string\); got 12"),
    ("courts: ['court', '(#']\n", r"q\.yaml:1: courts entry 2: pattern '\(#' has no word"),
    ("a:\n  b: [court]\na.b: [judge]\n", r"q\.yaml:3: category 'a\.b' is defined twice"),
    ("courts: [court]\n'bad,name': [judge]\n", r"q\.yaml:2: category name 'bad,name' must start with a letter"),
])
def test_bad_quanteda_yaml_names_file_and_line(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        themes.load_lexicon(write(tmp_path / "q.yaml", text))


def _content(lexicon):
    return [(e.theme, e.words) for e in lexicon.entries if e.theme != themes.EXCLUDE]


@pytest.mark.parametrize("fmt, suffix", [("liwc", ".dic"), ("quanteda", ".yaml")])
def test_export_round_trip_of_the_default_lexicon(tmp_path, fmt, suffix):
    lexicon = themes.load_lexicon()
    text = themes.export_lexicon(lexicon, fmt)
    path = tmp_path / f"out{suffix}"
    path.write_text(text, encoding="utf-8")
    back = themes.load_lexicon(path)
    assert back.categories == lexicon.categories
    assert _content(back) == _content(lexicon)
    assert not any(e.theme == themes.EXCLUDE for e in back.entries)
    note = themes.export_note(lexicon, fmt)
    for what in ("lemma", "longest", "exclude"):
        assert what in note
    assert ("# Exported from themes.yaml" in text) == (fmt == "quanteda")


def test_export_round_trip_keeps_dotted_and_liwc_categories(codebook_path, tmp_path):
    lexicon = themes.load_lexicon(codebook_path)
    dic = tmp_path / "c.dic"
    dic.write_text(themes.export_lexicon(lexicon, "liwc"), encoding="utf-8")
    assert dic.read_text().splitlines()[:5] == ["%", "1\ttechnology", "2\tcourts", "3\tparty.discipline", "%"]
    again = tmp_path / "c.yaml"
    again.write_text(themes.export_lexicon(themes.load_lexicon(dic), "quanteda"), encoding="utf-8")
    assert _content(themes.load_lexicon(again)) == _content(lexicon)


def test_cli_lexicon_export(codebook_path, tmp_path, capsys):
    out = tmp_path / "x" / "codebook.dic"
    assert cli.main(["lexicon", "export", "--format", "liwc", "--out", str(out), "--lexicon", str(codebook_path)]) == 0
    printed = capsys.readouterr().out
    assert "3 categories ->" in printed and "longest first" in printed
    assert themes.load_lexicon(out).categories == CODEBOOK


# --------------------------------------------------------------------------- categories downstream


def test_tables_follow_the_codebook(codebook_manifest, codebook_path):
    corpus = analysis.load_corpus(codebook_manifest)
    lexicon = themes.load_lexicon(codebook_path)
    result = themes.analyse_themes(corpus, lexicon, FAST)
    labels = result.paragraph_themes.set_index(["doc_id", "para_id"])["theme"].to_dict()
    assert labels == {("a-2020", 1): "technology", ("a-2020", 2): "courts", ("a-2020", 3): "party.discipline",
                      ("a-2020", 4): "none", ("b-2021", 1): "courts", ("b-2021", 2): "party.discipline",
                      ("b-2021", 3): "courts", ("b-2021", 4): "technology", ("c-2022", 2): "courts",
                      ("c-2022", 3): "technology", ("c-2022", 5): "technology"}
    assert [c for c in result.paragraph_themes.columns if c.startswith("count_")] == [f"count_{c}" for c in CODEBOOK]
    for table in (result.document_themes, result.year_themes):
        assert list(table["theme"].unique()) == list(CODEBOOK)
        assert (table["rate_ci_low"] <= table["rate_per_1k"]).all()
    a = result.document_themes.query("doc_id == 'a-2020'").set_index("theme")
    assert a["count"].to_dict() == {"technology": 3, "courts": 3, "party.discipline": 2}
    assert a.loc["courts", "share"] == pytest.approx(3 / 8)
    loo = themes.leave_one_out(corpus, lexicon, result.matches)
    assert set(loo["most_changed_theme"]) <= set(CODEBOOK)
    sheet = themes.audit_sample(corpus, result.matches, FAST, lexicon.categories)
    assert list(dict.fromkeys(sheet["theme"])) == list(CODEBOOK)


def test_seeded_topics_and_mapping_follow_the_codebook(codebook_manifest, codebook_path):
    corpus = analysis.load_corpus(codebook_manifest)
    lexicon = themes.load_lexicon(codebook_path)
    words = topics.theme_words(lexicon)
    assert list(words) == list(CODEBOOK)
    config = TopicsConfig(k_values=(4,), models=("seeded",), n_seeds=1, min_doc_count=1, max_doc_share=1.0,
                          passes=2, iterations=20, n_jobs=1)
    labels = themes.score_paragraphs(corpus, lexicon, FAST)[["doc_id", "para_id", "theme"]]
    result = topics.run_topics(corpus, config, words, labels)
    tt = result.topic_themes
    assert list(tt.loc[tt["seeded"], "theme"]) == list(CODEBOOK)       # one seed topic per category, in order
    assert {f"mass_{c}" for c in CODEBOOK} <= set(tt.columns)
    assert set(result.theme_shares["theme"]) == {*CODEBOOK, "other"}
    assert set(result.paragraph_themes["theme"]) <= {*CODEBOOK, "other"}
    kappa = result.agreement.query("level == 'all'")["kappa"]
    assert len(kappa) == 1 and -1 <= kappa.iloc[0] <= 1


def test_figures_take_any_categories(codebook_manifest, codebook_path):
    from analysis import figures

    corpus = analysis.load_corpus(codebook_manifest)
    lexicon = themes.load_lexicon(codebook_path)
    result = themes.analyse_themes(corpus, lexicon, FAST)
    fig = figures.plot_theme_attention(result.document_themes, result.year_themes, corpus.documents, ci_level=0.95)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    small = bool(result.document_themes["small_sample"].any())
    assert legend == list(CODEBOOK) + (["hollow: small_sample (too few paragraphs for the interval)"] if small else [])
    assert fig.axes[2].get_ylabel() == "share of the categories' matches"
    figures.plt.close(fig)
    colours = figures.category_colours(CODEBOOK)
    # the palette's first colours, none of them grey (kept for other/none), all distinct
    assert [colours[c] for c in CODEBOOK] == list(figures.CATEGORY_PALETTE[:3])
    many = figures.category_colours([f"c{k}" for k in range(12)])
    assert len({many[f"c{k}"] for k in range(12)}) == 12 and figures.OKABE_ITO["grey"] not in \
        {many[f"c{k}"] for k in range(12)}
    assert figures.category_colours(themes.THEMES) == figures.THEME_COLOURS
    mixed = figures.category_colours(["courts", "security", "technology"])
    assert mixed["security"] == figures.THEME_COLOURS["security"]
    assert len({mixed["courts"], mixed["security"], mixed["technology"]}) == 3
    assert figures.category_markers(themes.THEMES) == figures.MARKERS


def test_cli_themes_with_a_quanteda_codebook(codebook_manifest, codebook_path, tmp_path, capsys):
    assert cli.main(["themes", "--out", str(tmp_path / "o"), "--lexicon", str(codebook_path),
                     "--manifest", str(codebook_manifest)]) == 0
    assert "labels: technology 4, courts 4, party.discipline 2, none 1" in capsys.readouterr().out
    table = pd.read_csv(tmp_path / "o" / "document_themes.csv")
    assert list(table["theme"].unique()) == list(CODEBOOK)
    assert np.isfinite(table["share_ci_high"]).all()
