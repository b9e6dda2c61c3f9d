"""Validation from data: structure mappings, hand-coded paragraphs scored with known answers, the coding sheet."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score, precision_recall_fscore_support

import analysis
from analysis import cli, themes
from analysis.config import ThemesConfig
from analysis.errors import AnalysisError, ConfigError, ParameterError
from analysis.themes.gold import _allocate, _confusions, _measures, _nanmean

FAST = ThemesConfig(n_boot=1000)
CODEBOOK = ["technology", "courts", "party.discipline"]

#: Hand coding of a and b (rows by line or para_id). Against the dictionary labels (see the
#: codebook_manifest fixture) the only disagreement is b 1: coded technology, labelled courts. So:
#: technology P 2/2 R 2/3 F1 0.8; courts P 2/3 R 2/2 F1 0.8; party.discipline 1, 1, 1; macro F1 13/15;
#: accuracy 7/8; kappa (7/8 - 17/64) / (1 - 17/64) = 39/47.
GOLD = """doc_id,line,para_id,category,coder_note
a-2020,1,,technology,x
a-2020,,2,courts,
a-2020,5,,party.discipline,
a-2020,7,,none,weather
b-2021,1,,technology,
b-2021,,2,party.discipline,
b-2021,5,,courts,
b-2021,7,,technology,
c-2022,3,,,not coded yet
"""
#: A second coder who disagrees with the first on a 3 (courts) only.
GOLD2 = "doc_id,para_id,category\n" + "\n".join(
    f"{d},{p},{c}" for d, p, c in [("a-2020", 1, "technology"), ("a-2020", 2, "courts"), ("a-2020", 3, "courts"),
                                    ("a-2020", 4, "other"), ("b-2021", 1, "technology"),
                                    ("b-2021", 2, "party.discipline"), ("b-2021", 3, "courts"),
                                    ("b-2021", 4, "technology")]) + "\n"


@pytest.fixture
def coded(codebook_manifest, codebook_path, tmp_path):
    corpus = analysis.load_corpus(codebook_manifest)
    lexicon = themes.load_lexicon(codebook_path)
    (tmp_path / "gold.csv").write_text(GOLD, encoding="utf-8")
    (tmp_path / "gold2.csv").write_text(GOLD2, encoding="utf-8")
    return corpus, lexicon, tmp_path / "gold.csv", tmp_path / "gold2.csv"


# --------------------------------------------------------------------------- gold scores


def test_read_gold_places_lines_and_ids(coded):
    corpus, lexicon, gold_path, _ = coded
    gold = themes.read_gold(gold_path, corpus, lexicon.categories)
    assert list(gold.itertuples(index=False, name=None)) == [
        ("a-2020", 1, "technology", 2), ("a-2020", 2, "courts", 3), ("a-2020", 3, "party.discipline", 4),
        ("a-2020", 4, "other", 5), ("b-2021", 1, "technology", 6), ("b-2021", 2, "party.discipline", 7),
        ("b-2021", 3, "courts", 8), ("b-2021", 4, "technology", 9)]


def test_planted_precision_recall_f1_kappa(coded):
    corpus, lexicon, gold_path, _ = coded
    gold = themes.read_gold(gold_path, corpus, lexicon.categories)
    labels = themes.score_paragraphs(corpus, lexicon, FAST)
    scores, confusion = themes.score_labels(gold, {"dictionary": labels}, lexicon.categories, n_boot=1000, seed=3)
    s = scores.set_index("category")
    assert list(scores.columns) == themes.SCORE_COLUMNS and list(s.index) == [*CODEBOOK, "other", "macro"]
    expected = {"technology": (1, 2 / 3, 0.8, 3, 2), "courts": (2 / 3, 1, 0.8, 2, 3),
                "party.discipline": (1, 1, 1, 2, 2), "other": (1, 1, 1, 1, 1)}
    for category, (p, r, f, support, predicted) in expected.items():
        assert (s.loc[category, "precision"], s.loc[category, "recall"], s.loc[category, "f1"]) == \
            pytest.approx((p, r, f))
        assert (s.loc[category, "support"], s.loc[category, "predicted"]) == (support, predicted)
    assert s.loc["macro", "f1"] == pytest.approx(13 / 15)
    assert s.loc["macro", "accuracy"] == pytest.approx(7 / 8)
    assert s.loc["macro", "kappa"] == pytest.approx(39 / 47)
    assert s.loc["macro", "n"] == 8 and s["kappa"].drop("macro").isna().all()
    for m in ("precision", "recall", "f1"):
        assert (s[f"{m}_ci_low"] <= s[m] + 1e-12).all() and (s[m] <= s[f"{m}_ci_high"] + 1e-12).all()
    assert s.loc["macro", "kappa_ci_low"] < s.loc["macro", "kappa"] <= s.loc["macro", "kappa_ci_high"]
    cells = confusion.set_index(["gold", "predicted"])["count"]
    assert len(cells) == 16 and cells.sum() == 8
    assert cells[("technology", "courts")] == 1 and cells[("courts", "courts")] == 2
    again, _ = themes.score_labels(gold, {"dictionary": labels}, lexicon.categories, n_boot=1000, seed=3)
    pd.testing.assert_frame_equal(scores, again)


def test_scores_equal_sklearn_on_random_labels():
    """Point scores and every bootstrap replicate equal scikit-learn's on the same resample."""
    rng = np.random.default_rng(7)
    for trial in range(8):
        n, c = int(rng.integers(3, 60)), int(rng.integers(2, 7))
        g, p = rng.integers(0, c, n), rng.integers(0, c, n)
        idx = rng.integers(0, n, size=(20, n))
        measures = _measures(_confusions(g, p, idx, c))
        for b in range(20):
            gb, pb = g[idx[b]], p[idx[b]]
            pr, rc, f1, _ = precision_recall_fscore_support(gb, pb, labels=list(range(c)), zero_division=np.nan)
            assert np.allclose(measures["precision"][b], pr, equal_nan=True)
            assert np.allclose(measures["recall"][b], rc, equal_nan=True)
            assert np.allclose(measures["f1"][b], f1, equal_nan=True)
            macro = precision_recall_fscore_support(gb, pb, labels=list(range(c)), zero_division=np.nan,
                                                    average="macro")[2]
            assert _nanmean(measures["f1"][b]) == pytest.approx(macro, nan_ok=True)
            if len(set(gb) | set(pb)) > 1:
                assert measures["kappa"][b] == pytest.approx(cohen_kappa_score(gb, pb, labels=list(range(c))))


def test_second_coder_and_topic_labels_sit_beside_the_dictionary(coded):
    corpus, lexicon, gold_path, gold2_path = coded
    gold = themes.read_gold(gold_path, corpus, lexicon.categories)
    gold2 = themes.read_gold(gold2_path, corpus, lexicon.categories)
    everything_other = corpus.analysed[["doc_id", "para_id"]].assign(theme="other").iloc[:5]
    predictions = {"dictionary": themes.score_paragraphs(corpus, lexicon, FAST),
                   "lazy": themes.complete_labels(everything_other, corpus.analysed),
                   "coder2": gold2.rename(columns={"category": "theme"})}
    scores, _ = themes.score_labels(gold, predictions, lexicon.categories, n_boot=1000)
    macro = scores[scores["category"] == "macro"].set_index("method")
    assert list(macro.index) == ["dictionary", "lazy", "coder2"]
    # coder 2 differs on a 3 only: technology F1 1; courts P 2/3 R 1 F1 0.8; party P 1 R 1/2 F1 2/3;
    # kappa (7/8 - 18/64) / (1 - 18/64) = 19/23
    assert macro.loc["coder2", "f1"] == pytest.approx((1 + 0.8 + 2 / 3) / 3)
    assert macro.loc["coder2", "accuracy"] == pytest.approx(7 / 8)
    assert macro.loc["coder2", "kappa"] == pytest.approx(19 / 23)
    # every paragraph "other": one of 8 right, no category ever predicted
    assert macro.loc["lazy", "accuracy"] == pytest.approx(1 / 8) and macro.loc["lazy", "f1"] == 0
    assert np.isnan(macro.loc["lazy", "precision"])             # never predicts a category: no precision
    assert macro.loc["lazy", "kappa"] == pytest.approx(0)


@pytest.mark.parametrize("text, message", [
    ("doc_id,line,category\nzeta,1,courts\n", r"g\.csv:2: field 'doc_id' is 'zeta'; not a document of the corpus"),
    ("doc_id,line,category\na-2020,1,courts\na-2020,2,courts\n",
     r"g\.csv:3: field 'line' is 2; no paragraph of 'a-2020' holds that line"),
    ("doc_id,line,category\na-2020,99,courts\n", r"g\.csv:2: field 'line' is 99; no paragraph"),
    ("doc_id,para_id,category\na-2020,9,courts\n", r"g\.csv:2: field 'para_id' is 9; no paragraph of 'a-2020' has"),
    ("doc_id,line,category\na-2020,1,security\n",
     r"g\.csv:2: field 'category' is 'security'; expected one of technology, courts, party\.discipline, other, none"),
    ("doc_id,line,category\nc-2022,1,courts\n", r"g\.csv:2: field 'line' is 1: paragraph 1 of 'c-2022' is a heading"),
    ("doc_id,line,category\na-2020,x,courts\n", r"g\.csv:2: field 'line' is 'x'; expected a positive integer"),
    ("doc_id,line,category\na-2020,1,courts\na-2020,1,technology\n",
     r"g\.csv:3: field 'category' is 'technology'; row 2 codes the same paragraph"),
    ("doc_id,category\na-2020,courts\n", r"g\.csv: coded file has no column\(s\) para_id or line"),
    ("doc_id,line,category\na-2020,1,\n", r"g\.csv: no row has a category"),
])
def test_bad_gold_names_file_row_field(coded, text, message):
    corpus, lexicon, _, _ = coded
    path = corpus.manifest.parent.parent / "g.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnalysisError, match=message):
        themes.read_gold(path, corpus, lexicon.categories)


# --------------------------------------------------------------------------- coding sheet


def test_allocation_respects_sizes_and_total():
    rng = np.random.default_rng(0)
    for _ in range(200):
        sizes = rng.integers(1, 12, size=int(rng.integers(1, 9)))
        n = int(rng.integers(1, sizes.sum() + 3))
        alloc = _allocate(sizes, n, np.random.default_rng(1))
        assert alloc.sum() == min(n, sizes.sum()) and (alloc <= sizes).all() and (alloc >= 0).all()
        if n >= len(sizes):
            assert (alloc >= 1).all()


def test_coding_sheet_is_stratified_seeded_and_reads_back(coded, tmp_path):
    corpus, lexicon, _, _ = coded
    labels = themes.score_paragraphs(corpus, lexicon, FAST)
    strata = labels.groupby(["doc_id", "theme"]).size()
    sheet = themes.coding_sheet(corpus, labels, n=len(strata), seed=5)
    assert list(sheet.columns) == themes.SHEET_COLUMNS and len(sheet) == len(strata) == 9
    picked = sheet.merge(labels, on=["doc_id", "para_id"])
    assert picked.groupby(["doc_id", "theme"]).size().eq(1).all()       # one per (document, label)
    assert "theme" not in sheet.columns                                 # the coder does not see the label
    pd.testing.assert_frame_equal(sheet, themes.coding_sheet(corpus, labels, n=len(strata), seed=5))
    assert len(themes.coding_sheet(corpus, labels, n=100, seed=5)) == len(labels)
    with pytest.raises(ParameterError, match=r"coding_sheet: n must be an integer >= 1; got 0"):
        themes.coding_sheet(corpus, labels, n=0, seed=5)
    sheet["category"] = picked["theme"].replace("none", "other").to_numpy()
    path = tmp_path / "sheet.csv"
    sheet.to_csv(path, index=False)
    gold = themes.read_gold(path, corpus, lexicon.categories)
    scores, _ = themes.score_labels(gold, {"dictionary": labels}, lexicon.categories, n_boot=1000)
    assert scores.query("category == 'macro'")["accuracy"].item() == 1


# --------------------------------------------------------------------------- structure mapping


def test_structure_mapping_from_a_file(coded, tmp_path):
    corpus, lexicon, _, _ = coded
    path = tmp_path / "structure.csv"
    path.write_text("doc_id,section,category,extra\nc-2022,1,courts,x\nc-2022,2,technology,\n", encoding="utf-8")
    mapping = themes.read_structure(path, corpus.documents["doc_id"], lexicon.categories)
    gold = themes.structure_labels(corpus.paragraphs, mapping)
    assert list(gold.itertuples(index=False, name=None)) == [("c-2022", 2, "courts", "primary"),
                                                             ("c-2022", 3, "courts", "primary"),
                                                             ("c-2022", 5, "technology", "primary")]
    labels = themes.score_paragraphs(corpus, lexicon, FAST)
    scores = themes.validate_structure(labels, corpus.paragraphs, mapping=mapping).set_index("theme")
    # c 3 ("Digital evidence reached the judge.") is labelled technology: courts R 1/2, technology P 1/2
    assert scores.loc["courts", ["precision", "recall"]].tolist() == pytest.approx([1, 0.5])
    assert scores.loc["technology", ["precision", "recall"]].tolist() == pytest.approx([0.5, 1])
    assert scores.loc["macro", "f1"] == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    # the seeds' default mapping names none of these documents: nothing to score
    assert themes.validate_structure(labels, corpus.paragraphs).empty


@pytest.mark.parametrize("text, message", [
    ("doc_id,section,category\nzeta,1,courts\n", r"s\.csv:2: field 'doc_id' is 'zeta'; expected a doc_id"),
    ("doc_id,section,category\nc-2022,1,security\n", r"s\.csv:2: field 'category' is 'security'; expected one of"),
    ("doc_id,section,category,check\nc-2022,1,courts,main\n", r"s\.csv:2: field 'check' is 'main'"),
    ("doc_id,section\nc-2022,1\n", r"s\.csv: structure mapping has no column\(s\) category"),
])
def test_bad_structure_mapping(coded, tmp_path, text, message):
    corpus, lexicon, _, _ = coded
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        themes.read_structure(tmp_path / "s.csv", corpus.documents["doc_id"], lexicon.categories)


@pytest.mark.corpus
def test_seed_structure_file_gives_the_same_scores(corpus):
    result = themes.analyse_themes(corpus)
    default = themes.validate_structure(result.paragraph_themes, corpus.paragraphs)
    explicit = themes.validate_structure(result.paragraph_themes, corpus.paragraphs,
                                         mapping=themes.read_structure(themes.default_structure_path(),
                                                                       corpus.documents["doc_id"], themes.THEMES))
    pd.testing.assert_frame_equal(default, explicit)
    # measured before the mapping moved to a data file: 0.871 (primary), 0.914 (secondary); with the
    # issue-20 lexicon and threshold 2.25 the secondary check is 0.877 (one Xinhua paragraph, README)
    assert default.set_index(["check", "theme"]).loc[("primary", "macro"), "f1"] == pytest.approx(0.871, abs=5e-4)
    assert default.set_index(["check", "theme"]).loc[("secondary", "macro"), "f1"] == pytest.approx(0.877, abs=5e-4)


# --------------------------------------------------------------------------- command line


def test_cli_sheet_then_validate_with_gold(coded, codebook_manifest, codebook_path, tmp_path, capsys):
    corpus, lexicon, gold_path, gold2_path = coded
    common = ["--lexicon", str(codebook_path), "--manifest", str(codebook_manifest)]
    assert cli.main(["themes-sheet", "--n", "4", "--out", str(tmp_path / "sheet.csv"), *common]) == 0
    assert "4 rows ->" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "sheet.csv")) == 4 and (tmp_path / "sheet.csv.run.json").exists()
    topic_labels = tmp_path / "topic_labels.csv"
    themes.score_paragraphs(corpus, lexicon, FAST).assign(model="fake")[["model", "doc_id", "para_id", "theme"]] \
        .to_csv(topic_labels, index=False)
    out = tmp_path / "v"
    assert cli.main(["themes-validate", "--out", str(out), "--gold", str(gold_path), "--gold2", str(gold2_path),
                     "--labels", str(topic_labels), *common]) == 0
    printed = capsys.readouterr().out
    assert "gold (8 paragraphs) macro F1 / kappa: dictionary 0.87" in printed and "coder2 0.82" in printed
    scores = pd.read_csv(out / "gold_scores.csv")
    macro = scores[scores["category"] == "macro"].set_index("method")
    assert list(macro.index) == ["dictionary", "fake", "coder2"]
    assert macro.loc["fake", "f1"] == macro.loc["dictionary", "f1"] == pytest.approx(13 / 15)
    assert len(pd.read_csv(out / "gold_confusion.csv")) == 3 * 16
    assert {"structure.csv", "translation.csv", "audit_sheet.csv", "run.json"} <= {p.name for p in out.iterdir()}


def test_cli_bad_gold_one_line_nothing_written(coded, codebook_manifest, codebook_path, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("doc_id,line,category\na-2020,1,courts\nb-2021,2,courts\n", encoding="utf-8")
    out = tmp_path / "v"
    status = cli.main(["themes-validate", "--out", str(out), "--gold", str(bad), "--no-topics",
                       "--lexicon", str(codebook_path), "--manifest", str(codebook_manifest)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "bad.csv:3: field 'line' is 2" in err
    assert not out.exists()
