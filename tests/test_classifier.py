"""The theme classifier beside the dictionary, and the out-of-document checks (issue 20)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis import themes
from analysis.config import ClassifierConfig, ConfigError, ThemesConfig
from analysis.errors import AnalysisError
from analysis.themes.classifier import analyse_theme_methods, classify_paragraphs
from analysis.themes.heldout import calibrate_min_score, f1_scores, gold_labels, leave_one_document_out
from tests.conftest import write_corpus
from tests.test_themes import write_lexicon

FAST = ThemesConfig(n_boot=1000)

PLANTED_LEXICON = """\
themes:
  security:
    - {pattern: terrorism, rationale: core}
  development:
    - {pattern: enterprise, rationale: core}
  livelihood:
    - {pattern: pension, rationale: core}
  supervision:
    - {pattern: protest, rationale: core}
"""


@pytest.fixture
def planted_cooccurrence(tmp_path):
    """Each theme's lexicon word co-occurs with an invented word the lexicon lacks (zorbic with
    terrorism, quillet with enterprise, ...); the last paragraphs use only the invented words."""
    words = {"terrorism": "zorbic", "enterprise": "quillet", "pension": "mardle", "protest": "vexon"}
    fillers = ["harbour", "lantern", "meadow", "copper", "willow", "granite"]
    paras = []
    for k in range(6):
        for lexical, invented in words.items():
            paras.append(f"The {invented} {fillers[k]} work met {lexical} with {invented} effort and {lexical}.")
        paras.append(f"The meeting of the {fillers[k]} committee opened on a {fillers[(k + 1) % 6]} morning.")
    paras += ["Zorbic squads and zorbic patrols went out.", "Quillet owners and quillet markets grew."]
    manifest = write_corpus(tmp_path / "cooc", {"doc-2020": ("2020-01-01", "\n\n".join(paras) + "\n")})
    corpus = analysis.load_corpus(manifest)
    lexicon = themes.load_lexicon(write_lexicon(tmp_path / "lex.yaml", PLANTED_LEXICON))
    return corpus, lexicon


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_classifier_learns_a_cooccurring_word_the_lexicon_lacks(planted_cooccurrence, seed):
    corpus, lexicon = planted_cooccurrence
    dictionary = themes.score_paragraphs(corpus, lexicon, FAST)
    config = ClassifierConfig(min_count=2, seed=seed, min_proba=0.0)
    labels = classify_paragraphs(corpus, lexicon, FAST, config, paragraph_themes=dictionary)
    last = labels.tail(2).reset_index(drop=True)
    # the dictionary finds nothing in the last two paragraphs; the classifier labels them
    assert dictionary.tail(2)["theme"].tolist() == ["none", "none"]
    assert last["theme"].tolist() == ["security", "development"]
    assert last["source"].tolist() == ["classifier", "classifier"]
    # both were "none" training examples (no lexicon match), labelled by models that did not see them
    assert last["training"].tolist() == ["none", "none"]
    # confident dictionary labels are kept; the filler paragraphs stay "none"
    themed = dictionary["theme"] != "none"
    assert (labels.loc[themed, "theme"] == dictionary.loc[themed, "theme"]).all()
    assert (labels.iloc[:-2].loc[~themed.iloc[:-2], "theme"] == "none").all()
    # the model alone (every paragraph) agrees on the planted paragraphs
    alone = classify_paragraphs(corpus, lexicon, FAST, dataclasses.replace(config, fallback_only=False),
                                paragraph_themes=dictionary)
    assert alone.tail(2)["theme"].tolist() == ["security", "development"]
    probs = alone[[c for c in alone.columns if c.startswith("prob_")]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_classifier_same_seed_same_table_and_methods_stack(planted_cooccurrence):
    corpus, lexicon = planted_cooccurrence
    first = analyse_theme_methods(corpus, lexicon, FAST, ClassifierConfig(seed=3))
    second = analyse_theme_methods(corpus, lexicon, FAST, ClassifierConfig(seed=3))
    for a, b in zip(dataclasses.astuple(first), dataclasses.astuple(second)):
        pd.testing.assert_frame_equal(a, b)
    table = first.document_themes
    assert table.columns[0] == "method" and set(table["method"]) == {"dictionary", "classifier"}
    # classifier rows count tokens of labelled paragraphs: shares of themed tokens sum to 1
    clf = table[table["method"] == "classifier"]
    labels = first.paragraph_themes.query("method == 'classifier'")
    expected = labels.loc[labels["theme"] != "none"].groupby("theme")["n_tokens"].sum()
    got = clf.set_index("theme")["count"]
    assert (got.reindex(expected.index) == expected).all()
    assert clf["share"].sum() == pytest.approx(1.0)
    dictionary = first.paragraph_themes.query("method == 'dictionary'").drop(columns="method").dropna(axis=1, how="all")
    pd.testing.assert_frame_equal(dictionary.reset_index(drop=True),
                                  themes.score_paragraphs(corpus, lexicon, FAST), check_dtype=False)


def test_classifier_needs_two_classes_and_valid_config(planted_cooccurrence):
    corpus, lexicon = planted_cooccurrence
    with pytest.raises(AnalysisError, match="at least two classes"):
        classify_paragraphs(corpus, lexicon, FAST, ClassifierConfig(min_count=50))
    with pytest.raises(ConfigError, match=r"classifier\.min_purity must be in \(0, 1\]"):
        ClassifierConfig(min_purity=0)
    with pytest.raises(ConfigError, match="method must be one of"):
        analyse_theme_methods(corpus, lexicon, FAST, methods=("topic",))


def test_calibrate_min_score_planted():
    # gold: two theme paragraphs with top score 3 and 4, one "other" paragraph whose top score is 1
    themes_ = ("security", "development")
    scores = pd.DataFrame({"doc_id": ["d"] * 3, "para_id": [1, 2, 3],
                           "score_security": [3.0, 0.0, 1.0], "score_development": [0.0, 4.0, 0.0],
                           "theme": ["security", "development", "security"]})
    gold = pd.DataFrame({"doc_id": ["d"] * 3, "para_id": [1, 2, 3], "gold": ["security", "development", "none"]})
    chosen, curve = calibrate_min_score(scores, gold, themes_, grid=(0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5),
                                        tolerance=0.0)
    # thresholds in (1, 3] drop the "other" paragraph and keep both themes: 1.5, 2, 2.5, 3 -> middle 2.5
    assert chosen == 2.5
    assert curve.set_index("min_score")["macro_f1"].loc[[1.5, 3.0]].tolist() == [1.0, 1.0]
    assert curve.set_index("min_score")["macro_f1"].loc[1.0] < 1.0
    scored = f1_scores(scores.assign(theme=["security", "none", "none"]), gold, themes_).set_index("theme")
    assert scored.loc["development", "recall"] == 0.0 and scored.loc["security", "f1"] == 1.0


def test_f1_interval_matches_an_independent_bootstrap():
    """The vectorised bootstrap of F1 agrees with sklearn's f1_score on the same resamples."""
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(5)
    themes_ = ("security", "development", "livelihood")
    labels = np.array([*themes_, "none"])
    y_true = rng.choice(labels, 60)
    y_pred = np.where(rng.random(60) < 0.7, y_true, rng.choice(labels, 60))
    gold = pd.DataFrame({"doc_id": "d", "para_id": np.arange(60), "gold": y_true})
    pred = pd.DataFrame({"doc_id": "d", "para_id": np.arange(60), "theme": y_pred})
    table = f1_scores(pred, gold, themes_, n_boot=1000, seed=11).set_index("theme")
    draws = np.random.default_rng(11).multinomial(60, np.full(60, 1 / 60), size=1000)
    macro = []
    for w in draws:
        idx = np.repeat(np.arange(60), w)
        macro.append(f1_score(y_true[idx], y_pred[idx], labels=list(themes_), average="macro", zero_division=0))
    assert table.loc["macro", "f1_ci_low"] == pytest.approx(np.quantile(macro, 0.025), abs=1e-6)
    assert table.loc["macro", "f1_ci_high"] == pytest.approx(np.quantile(macro, 0.975), abs=1e-6)


@pytest.mark.corpus
def test_leave_one_document_out_on_seeds(corpus):
    gold = gold_labels(corpus.paragraphs)
    assert gold["gold"].value_counts().to_dict() == {"supervision": 24, "none": 23, "security": 15,
                                                     "development": 14, "livelihood": 14}
    scores, folds = leave_one_document_out(corpus)
    assert folds["held_out"].tolist() == ["opinions-2021", "report-2023+report-2023-xinhua"]
    macro = scores[scores["theme"] == "macro"].set_index(["method", "setting"])["f1"]
    # Measured (README, "Validation"): dictionary 0.856 in sample, 0.837 left out; classifier 0.848 / 0.833;
    # the model alone 0.741 / 0.467.
    assert macro[("dictionary", "leave_one_out")] >= 0.75
    assert macro[("classifier", "leave_one_out")] >= 0.75
    assert macro[("dictionary", "in_sample_calibrated")] >= macro[("dictionary", "in_sample")] - 1e-9
    per_theme = scores[(scores["theme"] != "macro") & (scores["method"] == "dictionary")
                       & (scores["setting"] == "leave_one_out")]
    assert macro[("dictionary", "leave_one_out")] == pytest.approx(per_theme["f1"].mean())
    assert (scores["f1_ci_low"] <= scores["f1"] + 1e-9).all() and (scores["f1"] <= scores["f1_ci_high"] + 1e-9).all()


def test_cli_themes_method_both(tiny_manifest, tmp_path, capsys):
    from analysis.cli import main

    out = tmp_path / "both"
    assert main(["themes", "--manifest", str(tiny_manifest), "--out", str(out), "--method", "both"]) == 0
    table = pd.read_csv(out / "paragraph_themes.csv")
    assert table.columns[0] == "method" and set(table["method"]) == {"dictionary", "classifier"}
    assert "labels: security" in capsys.readouterr().out


def test_cli_themes_validate_heldout_against_own_coding(planted_cooccurrence, tiny_manifest, tmp_path, capsys):
    from analysis.cli import main

    corpus, _ = planted_cooccurrence
    lexicon = tmp_path / "lex.yaml"               # written by the fixture
    gold = tmp_path / "gold.csv"                  # the format of themes-sheet / read_gold
    gold.write_text("doc_id,para_id,category\ndoc-2020,1,security\ndoc-2020,2,development\ndoc-2020,5,other\n"
                    "doc-2020,31,security\n", encoding="utf-8")
    out = tmp_path / "val"
    assert main(["themes-validate", "--manifest", str(corpus.manifest), "--lexicon", str(lexicon),
                 "--out", str(out), "--gold", str(gold), "--no-topics"]) == 0
    heldout = pd.read_csv(out / "heldout.csv")
    macro = heldout[heldout["theme"] == "macro"].set_index(["method", "setting"])
    # one document: nothing to leave out; in sample the classifier gets the planted paragraph 31 right
    assert set(macro.index) == {("dictionary", "in_sample"), ("dictionary", "in_sample_calibrated"),
                                ("classifier", "in_sample"), ("classifier_alone", "in_sample")}
    assert (macro["n"] == 4).all()
    assert macro.loc[("classifier", "in_sample"), "f1"] == 1.0
    assert macro.loc[("dictionary", "in_sample"), "recall"] < 1.0     # it misses the zorbic paragraph
    capsys.readouterr()
    # without a document the tiny corpus is too small to train a classifier: the dictionary is still scored
    tiny_gold = tmp_path / "tiny_gold.csv"
    tiny_gold.write_text("doc_id,para_id,category\nalpha-2020,2,security\nbeta-2021,1,development\n",
                         encoding="utf-8")
    assert main(["themes-validate", "--manifest", str(tiny_manifest), "--out", str(tmp_path / "v1"),
                 "--gold", str(tiny_gold), "--no-topics"]) == 0
    left_out = pd.read_csv(tmp_path / "v1" / "heldout.csv").query("setting == 'leave_one_out'")
    assert set(left_out["method"]) == {"dictionary"}
    assert "leave-one-document-out macro F1: dictionary" in capsys.readouterr().out


def test_gold_labels_other_sections_come_from_data(corpus):
    """The seeds' "other" sections are data (structure_seeds_other.csv), not code."""
    from analysis.themes.heldout import default_other_path

    rows = pd.read_csv(default_other_path(), dtype=str, keep_default_na=False)
    assert set(rows["category"]) == {"other"}
    gold = gold_labels(corpus.paragraphs)
    other = gold[gold["gold"] == "none"]
    assert len(other) == 23 and set(other["doc_id"]) == set(rows["doc_id"])
