"""Tests of the theme dictionary model: planted inputs first, then the seed corpus."""
from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import cli, themes
from analysis.config import ThemesConfig, load_config
from analysis.errors import AnalysisError, ConfigError
from tests.conftest import write_corpus

FAST = ThemesConfig(n_boot=1000)


def write_lexicon(path, text: str):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


SMALL_LEXICON = """\
themes:
  security:
    - {pattern: national security, rationale: core}
    - {pattern: security, rationale: bare word}
    - {pattern: "gang*", rationale: glob}
  development:
    - {pattern: private enterprise, rationale: core}
    - {pattern: intellectual property, rationale: core}
  livelihood:
    - {pattern: social security, rationale: 'welfare, claimed before security'}
    - {pattern: minor, rationale: core}
  supervision:
    - {pattern: supervision, rationale: core}
exclude:
  - {pattern: supervisory commission, rationale: anti-corruption organ}
"""


@pytest.fixture
def small_lexicon(tmp_path):
    return themes.load_lexicon(write_lexicon(tmp_path / "small.yaml", SMALL_LEXICON))


@pytest.fixture
def planted(tmp_path):
    """Two documents whose matches are known by construction."""
    manifest = write_corpus(tmp_path / "planted", {
        "sec-2020": ("2020-01-01", "National security and social security matter to gangs and gangsters.\n\n"
                                   "Security came first; the minors were safe.\n"),
        "dev-2021": ("2021-01-01", "Private enterprises and intellectual property grew.\n\n"
                                   "The supervisory commission and supervision of trials.\n\n"
                                   "Nothing to see here at all.\n"),
    })
    return analysis.load_corpus(manifest)


# --------------------------------------------------------------------------- lexicon


def test_default_lexicon_has_four_themes_with_rationales():
    lexicon = themes.load_lexicon()
    table = lexicon.table()
    assert set(table["theme"]) == {*themes.THEMES, "exclude"}
    assert (table["rationale"].str.len() > 0).all()
    assert table.groupby("theme").size().min() >= 10
    by_pattern = dict(zip(table["entry"], table["theme"]))
    assert by_pattern["social security"] == "livelihood"
    assert by_pattern["food safety"] == "livelihood"
    assert by_pattern["production safety"] == "livelihood"
    assert by_pattern["supervisory commission"] == "exclude"
    assert by_pattern["supervisory organ"] == "exclude"
    # Several renderings of one Chinese term are all listed.
    for variant in ("procuratorial suggestion", "procuratorial recommendation", "procuratorial advice"):
        assert by_pattern[variant] == "supervision"
    for variant in ("letters and visits", "petition"):
        assert by_pattern[variant] == "livelihood"


def test_pattern_words_are_lemmatised_like_tokens(small_lexicon):
    words = {e.pattern: e.words for e in small_lexicon.entries}
    assert words["private enterprise"] == ("private", "enterprise")
    assert words["gang*"] == ("gang*",)
    assert next(e for e in small_lexicon.entries if e.pattern == "gang*").is_glob


# --------------------------------------------------------------------------- matching and scores


def test_longest_match_first_and_exclusions(planted, small_lexicon):
    matches = themes.match_lexicon(planted.tokens, small_lexicon)
    got = matches[["doc_id", "para_id", "position", "length", "theme", "entry"]].values.tolist()
    para = planted.analysed.set_index(["doc_id", "para_id"])
    first_sec = int(planted.analysed.query("doc_id == 'sec-2020'")["para_id"].min())
    first_dev = int(planted.analysed.query("doc_id == 'dev-2021'")["para_id"].min())
    assert got == [
        ["sec-2020", first_sec, 0, 2, "security", "national security"],
        ["sec-2020", first_sec, 3, 2, "livelihood", "social security"],  # not "security"
        ["sec-2020", first_sec, 7, 1, "security", "gang*"],
        ["sec-2020", first_sec, 9, 1, "security", "gang*"],
        ["sec-2020", first_sec + 1, 0, 1, "security", "security"],
        ["sec-2020", first_sec + 1, 4, 1, "livelihood", "minor"],
        ["dev-2021", first_dev, 0, 2, "development", "private enterprise"],
        ["dev-2021", first_dev, 3, 2, "development", "intellectual property"],
        ["dev-2021", first_dev + 1, 1, 2, "exclude", "supervisory commission"],  # not "supervision"
        ["dev-2021", first_dev + 1, 4, 1, "supervision", "supervision"],
    ]
    # The match text is what the paragraph says at those offsets.
    row = matches.iloc[6]
    assert para.loc[(row.doc_id, row.para_id), "text"][row.start:row.end] == "Private enterprises"
    assert matches.iloc[2]["line"] == 1 and matches.iloc[4]["line"] == 3


def test_matches_never_overlap_or_cross_paragraphs(tmp_path):
    lexicon = themes.load_lexicon(write_lexicon(tmp_path / "lex.yaml", SMALL_LEXICON.replace(
        "    - {pattern: security, rationale: bare word}\n",
        "    - {pattern: security, rationale: bare word}\n    - {pattern: security system, rationale: x}\n")))
    corpus = analysis.load_corpus(write_corpus(tmp_path / "c", {
        "d-2020": ("2020-01-01", "Social security system reform comes first in national.\n\n"
                                 "Security of supervision.\n"),
    }))
    got = themes.match_lexicon(corpus.tokens, lexicon, warn_unmatched=False)[["para_id", "position", "entry"]].values.tolist()
    first = int(corpus.analysed["para_id"].min())
    # "security system" (position 1) lies inside "social security"; "national" + "Security" are
    # in two paragraphs, so no "national security"
    assert got == [[first, 0, "social security"], [first + 1, 0, "security"],
                   [first + 1, 2, "supervision"]]


def test_score_paragraphs_counts_scores_and_labels(planted, small_lexicon):
    table = themes.score_paragraphs(planted, small_lexicon, FAST)
    assert list(table.columns[:9]) == ["doc_id", "para_id", "line_start", "line_end", "score_security",
                                       "score_development", "score_livelihood", "score_supervision", "theme"]
    table = table.set_index("doc_id")
    sec = table.loc["sec-2020"].iloc[0]
    # "National security and social security matter to gangs and gangsters." has 10 tokens.
    assert sec["n_tokens"] == 10
    assert (sec["count_security"], sec["count_livelihood"]) == (3, 1)
    assert sec["score_security"] == pytest.approx(30.0)
    assert sec["score_livelihood"] == pytest.approx(10.0)
    assert sec["theme"] == "security"
    # Tie (1 security, 1 livelihood): the first match in the paragraph wins.
    tie = table.loc["sec-2020"].iloc[1]
    assert (tie["count_security"], tie["count_livelihood"]) == (1, 1)
    assert tie["theme"] == "security"
    dev = table.loc["dev-2021"]
    assert list(dev["theme"]) == ["development", "supervision", "none"]
    assert dev.iloc[1]["count_supervision"] == 1  # "supervisory commission" counted for nothing


def test_min_score_threshold_gives_none(planted, small_lexicon):
    strict = themes.score_paragraphs(planted, small_lexicon, ThemesConfig(min_score=25.0))
    # Scores: 30 and 20 (sec-2020); 33.3, 14.3 and 0 (dev-2021) matches per 100 tokens.
    assert list(strict["theme"]) == ["security", "none", "development", "none", "none"]


def test_default_lexicon_disambiguation(tmp_path):
    manifest = write_corpus(tmp_path / "traps", {
        "trap-2020": ("2020-01-01",
                      "The social security fund paid pensions to the elderly.\n\n"
                      "The supervisory commission and the supervisory organs transferred the cases.\n\n"
                      "The Ministry of Public Security and public security organs cooperated.\n\n"
                      "Food safety and production safety were checked by the workshop.\n\n"
                      "We safeguarded national security and fought gang-related crime.\n"),
    })
    corpus = analysis.load_corpus(manifest)
    matches = themes.match_lexicon(corpus.tokens, themes.load_lexicon())
    by_text = {}
    texts = corpus.paragraphs.set_index("para_id")["text"]
    for m in matches.itertuples():
        by_text.setdefault(m.theme, []).append(texts[m.para_id][m.start:m.end].lower())
    assert "social security" in by_text["livelihood"]
    assert "food safety" in by_text["livelihood"] and "production safety" in by_text["livelihood"]
    assert {"supervisory commission", "supervisory organs", "ministry of public security",
            "public security organs"} <= set(by_text["exclude"])
    assert "supervision" not in by_text
    assert sorted(by_text["security"]) == ["gang-related", "national security"]


def test_glob_matching_nothing_warns_not_raises(planted, tmp_path):
    path = write_lexicon(tmp_path / "glob.yaml", SMALL_LEXICON.replace('"gang*"', '"zebra*"'))
    lexicon = themes.load_lexicon(path)
    with pytest.warns(UserWarning, match=r"glob\.yaml: security entry 'zebra\*' matches no lemma"):
        matches = themes.match_lexicon(planted.tokens, lexicon)
    assert "zebra*" not in set(matches["entry"])


# --------------------------------------------------------------------------- bad lexicons


@pytest.mark.parametrize("text, message", [
    ("themes:\n  security: [\n", r"bad\.yaml: lexicon is not valid YAML"),
    ("- just a list\n", r"bad\.yaml: lexicon must be a mapping: a 'themes' key"),
    (SMALL_LEXICON.replace("  supervision:", "  doc_id:"),
     r"bad\.yaml:12: category name 'doc_id' collides with a table column"),
    (SMALL_LEXICON.replace("  supervision:", "  none:"), r"bad\.yaml:12: category name 'none' collides"),
    (SMALL_LEXICON.replace("    - {pattern: supervision, rationale: core}\n", "    []\n"),
     r"bad\.yaml:12: category 'supervision' is empty"),
    (SMALL_LEXICON.replace("  supervision:", "  security:"),
     r"bad\.yaml:12: key 'security' appears twice in one mapping \(first at line 2\)"),
    (SMALL_LEXICON.replace("minor, rationale", "national security, rationale"),
     r"bad\.yaml:11: livelihood entry 2: pattern 'national security' is already listed under 'security'"),
    (SMALL_LEXICON.replace("{pattern: minor, rationale: core}", "{pattern: minor}"),
     r"bad\.yaml:11: livelihood entry 2 \('minor'\): field 'rationale' is missing"),
    (SMALL_LEXICON.replace("{pattern: minor, rationale: core}", "{pattern: minor, rationale: x, weight: 2}"),
     r"bad\.yaml:11: livelihood entry 2 \('minor'\): unknown field\(s\) weight"),
    (SMALL_LEXICON.replace("{pattern: minor,", "{pattern: '123',"),
     r"bad\.yaml:11: livelihood entry 2: pattern '123' has no word"),
    (SMALL_LEXICON.replace("{pattern: minor,", "{pattern: '**',"),
     r"bad\.yaml:11: livelihood entry 2: pattern '\*\*': glob word '\*\*' has no letter and would match every"),
    (SMALL_LEXICON + "weights: {}\n", r"bad\.yaml: unknown top-level key\(s\) 'weights'"),
    ("themes: {}\n", r"bad\.yaml:1: 'themes' must map category names to lists of entries \(at least one"),
])
def test_bad_lexicon_names_file_and_entry(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        themes.load_lexicon(write_lexicon(tmp_path / "bad.yaml", text))


def test_missing_lexicon_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.yaml: lexicon file not found"):
        themes.load_lexicon(tmp_path / "nope.yaml")


@pytest.mark.parametrize("kwargs, message", [
    ({"n_boot": 999}, r"themes\.n_boot must be an integer >= 1000; got 999"),
    ({"ci_level": 1.0}, r"themes\.ci_level must be in \(0, 1\)"),
    ({"min_score": -1}, r"themes\.min_score must be >= 0"),
    ({"seed": -3}, r"themes\.seed must be an integer >= 0"),
    ({"audit_per_entry": 0}, r"themes\.audit_per_entry must be an integer >= 1"),
])
def test_themes_config_validation(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ThemesConfig(**kwargs)


def test_theme_rates_rejects_bad_input(planted, small_lexicon):
    table = themes.score_paragraphs(planted, small_lexicon, FAST)
    with pytest.raises(ConfigError, match=r"by must be a column of the documents table \(.*\); got 'month'"):
        themes.theme_rates(table, planted.documents, by="month", config=FAST)
    with pytest.raises(analysis.SchemaError, match=r"theme_rates: .*missing column 'count_security'"):
        themes.theme_rates(table.drop(columns="count_security"), planted.documents, config=FAST,
                           categories=small_lexicon.categories)
    with pytest.raises(AnalysisError, match=r"doc_id 'sec-2020' of the paragraph table is not in the documents"):
        themes.theme_rates(table, planted.documents.query("doc_id != 'sec-2020'"), config=FAST)


def test_themes_table_in_config_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[themes]\nseed = 9\nmin_score = 1.5\n", encoding="utf-8")
    config = load_config(path)
    assert (config.themes.seed, config.themes.min_score, config.themes.n_boot) == (9, 1.5, 2000)
    path.write_text("[themes]\nn_boot = 500\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml: themes\.n_boot must be an integer >= 1000; got 500"):
        load_config(path)
    path.write_text("[themes]\nbootstraps = 5000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c\.toml: themes: unknown key\(s\) bootstraps"):
        load_config(path)


# --------------------------------------------------------------------------- rates and bootstrap


def test_rates_and_shares_planted(planted, small_lexicon):
    table = themes.score_paragraphs(planted, small_lexicon, FAST)
    docs = themes.theme_rates(table, planted.documents, config=FAST).set_index(["doc_id", "theme"])
    sec = docs.loc["sec-2020"]
    n_tokens = int(table.query("doc_id == 'sec-2020'")["n_tokens"].sum())
    assert sec.loc["security", "count"] == 4 and sec.loc["livelihood", "count"] == 2
    assert sec.loc["security", "rate_per_1k"] == pytest.approx(1000 * 4 / n_tokens)
    assert sec.loc["security", "share"] == pytest.approx(4 / 6)
    assert sec["share"].sum() == pytest.approx(1.0)
    # A document with matches of one theme only in each paragraph (none for others) has share 0 there.
    assert docs.loc[("dev-2021", "security"), "share"] == 0.0
    years = themes.theme_rates(table, planted.documents, by="year", config=FAST)
    assert sorted(years["year"].unique()) == [2020, 2021]
    assert list(years.columns) == ["year", *themes.RATE_COLUMNS, "n_documents"]


def test_interval_determinism_and_sanity(corpus):
    result = themes.analyse_themes(corpus, config=ThemesConfig(seed=1))
    again = themes.theme_rates(result.paragraph_themes, corpus.documents, config=ThemesConfig(seed=2))
    # The intervals are closed-form: no seed moves them.
    pd.testing.assert_frame_equal(result.document_themes, again)
    assert not result.document_themes["small_sample"].any()          # 21 to 154 paragraphs
    # Wider at 90%? No: narrower, and nested in the 95% interval.
    narrow = themes.theme_rates(result.paragraph_themes, corpus.documents, config=ThemesConfig(ci_level=0.9))
    for lo, hi in (("rate_ci_low", "rate_ci_high"), ("share_ci_low", "share_ci_high")):
        assert (narrow[lo] >= result.document_themes[lo] - 1e-12).all()
        assert (narrow[hi] <= result.document_themes[hi] + 1e-12).all()
    for table in (result.document_themes, result.year_themes):
        assert (table["rate_ci_low"] <= table["rate_per_1k"] + 1e-12).all()
        assert (table["rate_per_1k"] <= table["rate_ci_high"] + 1e-12).all()
        assert (table["share_ci_low"] <= table["share"] + 1e-12).all()
        assert (table["share"] <= table["share_ci_high"] + 1e-12).all()
        assert table["share_ci_low"].between(0, 1).all() and table["share_ci_high"].between(0, 1).all()
    # Shares of the four themes add up to one per document.
    assert np.allclose(result.document_themes.groupby("doc_id")["share"].sum(), 1.0)
    # The Xinhua summary is another version of the 2023 report: left out of the 2023 year row.
    y2023 = result.year_themes[result.year_themes["year"] == 2023]
    assert set(y2023["n_documents"]) == {1}
    report = result.document_themes[result.document_themes["doc_id"] == "report-2023"]
    assert list(y2023["count"]) == list(report["count"])
    both = themes.theme_rates(result.paragraph_themes, corpus.documents, by="year",
                              config=ThemesConfig(year_include_versions=True))
    both2023 = both[both["year"] == 2023]
    assert set(both2023["n_documents"]) == {2}
    xinhua = result.document_themes[result.document_themes["doc_id"] == "report-2023-xinhua"]
    assert list(both2023["count"]) == list(report["count"].to_numpy() + xinhua["count"].to_numpy())


def test_bootstrap_does_not_depend_on_chunking_or_other_groups(planted, small_lexicon):
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    counts = np.array([[1, 0, 2, 0], [0, 3, 0, 1], [2, 2, 0, 0]])
    tokens = np.array([10, 20, 15])
    a = themes._bootstrap([(counts, tokens)], rng_a, 1000)
    b = themes._bootstrap([(counts, tokens)], rng_b, 1000, chunk_cells=7)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    table = themes.score_paragraphs(planted, small_lexicon, FAST)
    full = themes.theme_rates(table, planted.documents, config=FAST)
    alone = themes.theme_rates(table[table["doc_id"] == "sec-2020"], planted.documents, config=FAST)
    pd.testing.assert_frame_equal(full[full["doc_id"] == "sec-2020"].reset_index(drop=True), alone)


def test_one_paragraph_intervals_are_the_exact_ones():
    """With one paragraph there is no spread to estimate: Garwood and Clopper-Pearson exactly."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    counts, tokens = np.array([[7, 0, 2, 1]]), np.array([400])
    rate, lo, hi = themes.rate_intervals(counts, tokens)
    y = counts[0].astype(float)
    garwood_lo = np.where(y > 0, stats.chi2.ppf(0.025, 2 * y) / 2, 0)
    garwood_hi = stats.chi2.ppf(0.975, 2 * y + 2) / 2
    assert np.allclose(lo, garwood_lo * 1000 / 400) and np.allclose(hi, garwood_hi * 1000 / 400)
    share, slo, shi = themes.share_intervals(counts)
    cp_lo, cp_hi = proportion_confint(counts[0], counts.sum(), alpha=0.05, method="beta")
    assert np.allclose(share, counts[0] / 10) and np.allclose(slo, cp_lo) and np.allclose(shi, cp_hi)


def test_few_or_no_matches_never_give_zero_width():
    # One match in a document: share 1 but a wide interval; the other themes' upper bound above 0.
    counts = np.zeros((20, 4), dtype=int)
    counts[3, 0] = 1
    share, lo, hi = themes.share_intervals(counts)
    assert share[0] == 1.0 and lo[0] < 0.1 and hi[0] == 1.0
    assert (hi[1:] > 0.9).all()
    rate, rlo, rhi = themes.rate_intervals(counts, np.full(20, 50))
    assert rate[1] == 0 and rlo[1] == 0 and rhi[1] > 0
    assert np.isnan(themes.share_intervals(np.zeros((5, 4)))[0]).all()
    assert (themes.share_intervals(np.zeros((5, 4)))[2] == 1).all()


def test_small_documents_are_flagged(planted, small_lexicon):
    table = themes.score_paragraphs(planted, small_lexicon, FAST)
    docs = themes.theme_rates(table, planted.documents, config=FAST)
    assert docs["small_sample"].all()                                # 2 and 3 paragraphs
    assert not themes.theme_rates(table, planted.documents, config=ThemesConfig(min_paragraphs=2))[
        "small_sample"].any()
    assert (docs["share_ci_high"] > docs["share_ci_low"]).all()


@pytest.mark.parametrize("scenario", ["independent", "dominant"])
def test_interval_coverage_on_simulated_documents(scenario):
    """The coverage study in small (benchmarks/coverage.py): nominal 95% reached from 25 paragraphs."""
    from benchmarks.coverage import coverage

    table = coverage(sizes=(25, 60), scenarios=(scenario,), methods=("deff_exact",), reps=300, seed=7)
    by_measure = table.groupby(["n_paragraphs", "measure"])["coverage"].mean()
    assert (by_measure >= 0.92).all(), by_measure
    assert table["coverage"].min() >= 0.85


# --------------------------------------------------------------------------- validation


def test_structure_validation_on_seeds(corpus):
    result = themes.analyse_themes(corpus)
    gold = themes.structure_labels(corpus.paragraphs)
    # 2023 report sections I-IV body paragraphs (30) and Opinions items 1-3, 5-13 (12).
    assert len(gold[gold["doc_id"].isin(["report-2023", "opinions-2021"])]) == 42
    assert gold.query("doc_id == 'opinions-2021'").set_index("para_id").loc[8, "section_theme"] == "security"
    scores = themes.validate_structure(result.paragraph_themes, corpus.paragraphs).set_index(["check", "theme"])
    # Measured 0.871 (primary) and 0.877 (Xinhua, secondary) with the shipped lexicon, min_score 2.25.
    assert scores.loc[("primary", "macro"), "f1"] >= 0.75
    assert scores.loc[("secondary", "macro"), "f1"] >= 0.75
    for theme in themes.THEMES:
        assert scores.loc[("primary", theme), "f1"] >= 0.6
    assert scores.loc[("primary", "macro"), "f1"] == pytest.approx(
        scores.loc["primary"].loc[list(themes.THEMES), "f1"].mean())


def test_translation_versions_agree(corpus):
    result = themes.analyse_themes(corpus)
    versions = themes.compare_versions(result.document_themes, corpus.documents)
    assert list(versions["theme"]) == list(themes.THEMES)
    assert set(versions["doc_id"]) == {"report-2023-xinhua"} and set(versions["version_of"]) == {"report-2023"}
    assert np.allclose(versions["share_difference"], versions["share"] - versions["other_share"])
    # Measured: largest |difference| 0.030 (supervision); all intervals overlap.
    assert versions["share_difference"].abs().max() < 0.1
    assert versions["intervals_overlap"].all()


def test_entry_counts_and_leave_one_out(planted, small_lexicon):
    matches = themes.match_lexicon(planted.tokens, small_lexicon)
    counts = themes.entry_counts(matches, small_lexicon).set_index("entry")
    assert counts.loc["gang*", "sec-2020"] == 2 and counts.loc["gang*", "dev-2021"] == 0
    assert counts["total"].sum() == len(matches)
    loo = themes.leave_one_out(planted, small_lexicon, matches)
    # Without "social security", its tokens fall to "security": sec-2020 goes from 4/6 to 5/6 security.
    row = loo[(loo["entry"] == "social security") & (loo["doc_id"] == "sec-2020")].iloc[0]
    assert row["share_before"] == pytest.approx(2 / 6) and row["share_after"] == pytest.approx(1 / 6)
    assert row["max_abs_change"] == pytest.approx(1 / 6)
    assert loo["max_abs_change"].is_monotonic_decreasing


def test_audit_sheet_and_precision(planted, small_lexicon, tmp_path):
    matches = themes.match_lexicon(planted.tokens, small_lexicon)
    config = ThemesConfig(audit_per_entry=1, seed=3)
    sheet = themes.audit_sample(planted, matches, config)
    assert list(sheet.columns) == ["doc_id", "para_id", "line", "left", "match", "right", "theme", "entry", "correct"]
    assert "exclude" not in set(sheet["theme"])
    assert sheet.groupby("entry").size().max() == 1
    assert set(sheet["entry"]) == set(matches.loc[matches["theme"] != "exclude", "entry"])
    pd.testing.assert_frame_equal(sheet, themes.audit_sample(planted, matches, config))
    # Mark and read back.
    assert len(sheet) == 8  # eight theme entries matched, one sampled each
    sheet["correct"] = ["1", "yes", "0", "", "1", "n", "TRUE", "false"]
    path = tmp_path / "coded.csv"
    sheet.to_csv(path, index=False)
    coded = themes.read_audit(path)
    by_entry, by_theme = themes.audit_precision(coded)
    assert by_entry["n_coded"].sum() == int(coded["correct"].notna().sum())
    # Wilson interval, checked against its closed form for each theme.
    for r in by_theme.itertuples():
        z = 1.959963984540054
        n, p = r.n_coded, r.n_correct / r.n_coded
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        assert r.precision_ci_low == pytest.approx(centre - half)
        assert r.precision_ci_high == pytest.approx(centre + half)


def test_read_audit_rejects_bad_values(tmp_path):
    header = "doc_id,para_id,line,left,match,right,theme,entry,correct\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "d,1,1,a,b,c,security,x,1\nd,2,2,a,b,c,security,x,maybe\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"bad\.csv:3: field 'correct' is 'maybe'; expected 1/0"):
        themes.read_audit(bad)
    bad.write_text(header + "d,1,1,a,b,c,safety,x,1\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"bad\.csv:2: field 'theme' is 'safety'; expected one of security, "):
        themes.read_audit(bad, themes.THEMES)
    bad.write_text("doc_id,para_id,theme\nd,1,security\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"bad\.csv: coding sheet has no column\(s\) entry, correct"):
        themes.read_audit(bad)
    bad.write_text(header + "d,1,1,a,b,c,security,x,\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"no row of the coding sheet is marked"):
        themes.audit_precision(themes.read_audit(bad))
    with pytest.raises(AnalysisError, match=r"missing\.csv: coding sheet not found"):
        themes.read_audit(tmp_path / "missing.csv")


# --------------------------------------------------------------------------- CLI


def test_cli_themes_twice_same_seed_identical_bytes(tiny_manifest, tmp_path, capsys):
    names = ["paragraph_themes.csv", "document_themes.csv", "year_themes.csv", "lexicon_entries.csv",
             "concordance.csv"]
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert cli.main(["themes", "--out", str(out), "--seed", "11", "--manifest", str(tiny_manifest)]) == 0
        outputs.append({n: (out / n).read_bytes() for n in names})
        assert (out / "run.json").exists()
    assert outputs[0] == outputs[1]
    header = outputs[0]["paragraph_themes.csv"].decode().splitlines()[0].split(",")
    assert header[:9] == ["doc_id", "para_id", "line_start", "line_end", "score_security", "score_development",
                          "score_livelihood", "score_supervision", "theme"]
    doc_header = outputs[0]["document_themes.csv"].decode().splitlines()[0].split(",")
    assert doc_header[:10] == ["doc_id", "year", "theme", "count", "rate_per_1k", "rate_ci_low", "rate_ci_high",
                               "share", "share_ci_low", "share_ci_high"]
    labels = pd.read_csv(tmp_path / "a" / "paragraph_themes.csv").groupby("doc_id")["theme"].agg(list)
    assert labels["alpha-2020"] == ["security", "security"]
    assert labels["beta-2021"] == ["development", "development"]
    assert labels["gamma-2022"] == ["livelihood", "supervision"]
    record = json.loads((tmp_path / "a" / "run.json").read_text())
    assert record["seed"] == 11 and record["config"]["themes"]["seed"] == 11
    assert record["config"]["themes"]["n_boot"] == 2000


def test_cli_themes_validate_and_coded_sheet(tiny_manifest, tmp_path, capsys):
    out = tmp_path / "val"
    assert cli.main(["themes-validate", "--out", str(out), "--manifest", str(tiny_manifest)]) == 0
    for name in ("structure.csv", "translation.csv", "lexicon_entries.csv", "leave_one_out.csv",
                 "audit_sheet.csv", "run.json"):
        assert (out / name).exists(), name
    sheet = pd.read_csv(out / "audit_sheet.csv", dtype=str, keep_default_na=False)
    sheet["correct"] = "1"
    sheet.to_csv(tmp_path / "coded.csv", index=False)
    assert cli.main(["themes-validate", "--out", str(out), "--manifest", str(tiny_manifest),
                     "--coded", str(tmp_path / "coded.csv")]) == 0
    assert "audit precision: security 1.00 (n=" in capsys.readouterr().out
    precision = pd.read_csv(out / "audit_precision_themes.csv")
    assert set(precision["precision"]) == {1.0}


def test_cli_bad_lexicon_one_line_exit_2(tiny_manifest, tmp_path, capsys):
    bad = write_lexicon(tmp_path / "bad.yaml", SMALL_LEXICON.replace("  supervision:", "  theme:"))
    status = cli.main(["themes", "--out", str(tmp_path / "o"), "--lexicon", str(bad),
                       "--manifest", str(tiny_manifest)])
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.yaml:12: category name 'theme' collides" in err


def test_one_interval_level_for_the_whole_run(tmp_path):
    from analysis.config import Config

    path = tmp_path / "c.toml"
    path.write_text("ci_level = 0.9\n", encoding="utf-8")
    config = load_config(path)
    assert (config.ci_level, config.themes.ci_level, config.discourse.ci_level, config.topics.ci_level) == (0.9,) * 4
    path.write_text("[themes]\nci_level = 0.8\n", encoding="utf-8")          # older files: lifted to the run
    assert load_config(path).discourse.ci_level == 0.8
    with pytest.raises(ConfigError, match="ci_level must be one level"):
        Config(ci_level=0.9, themes=ThemesConfig(ci_level=0.8))
