"""Figures: intervals required, the figure command's files, identical CSVs for one seed, errors."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import figures
from analysis.cli import main
from analysis.errors import SchemaError

QUICK_TOPICS = """[topics]
k_values = [4, 6]
n_seeds = 2
passes = 2
iterations = 20
max_iter = 5
"""


def test_plots_refuse_tables_without_intervals():
    table = pd.DataFrame({"doc_id": ["a"], "year": [2020], "theme": ["security"], "rate_per_1k": [1.0], "share": [0.5]})
    with pytest.raises(SchemaError, match="no interval column"):
        figures.plot_theme_attention(table, table.rename(columns={"doc_id": "unit"}))
    with pytest.raises(SchemaError, match="log_ratio_ci_low"):
        figures.plot_keyness(pd.DataFrame({"term": ["x"], "log_ratio": [1.0]}), "t", "a", "b")


@pytest.mark.corpus
def test_figure_command_writes_four_files_per_figure_and_same_bytes_twice(tmp_path, capsys):
    only = ["--only", "theme_attention", "--only", "translation_robustness", "--only", "keyness_2021_vs_rest",
            "--only", "formulations", "--only", "collocation_network"]
    for run in ("a", "b"):
        assert main(["figures", "--out", str(tmp_path / run)] + only) == 0
    names = {p.stem for p in (tmp_path / "a").iterdir()}
    assert names == {"theme_attention", "translation_robustness", "keyness_2021_vs_rest", "formulations",
                     "collocation_network"}
    for name in names:
        for ext in ("png", "svg", "csv", "json"):
            assert (tmp_path / "a" / f"{name}.{ext}").stat().st_size > 0
            # every kind of file, the SVG too (fixed svg.hashsalt, no date), is byte-identical across runs
            assert (tmp_path / "a" / f"{name}.{ext}").read_bytes() == (tmp_path / "b" / f"{name}.{ext}").read_bytes()
    side = json.loads((tmp_path / "a" / "theme_attention.json").read_text())
    assert side["seeds"]["themes"] == 12345 and side["ci_level"] == 0.95
    assert "Clopper-Pearson" in side["interval"] and "version_of" in side["version_rule"]
    assert len(side["inputs_sha256"]) == 7 and "gensim" in side["versions"]
    assert "themes.yaml" in side["inputs_sha256"]          # the lexicon, whose categories the figures show
    shown = pd.read_csv(tmp_path / "a" / "theme_attention.csv")
    assert {"rate_ci_low", "rate_ci_high", "share_ci_low", "share_ci_high", "small_sample"} <= set(shown.columns)
    assert ((shown["rate_ci_low"] <= shown["rate_per_1k"]) & (shown["rate_per_1k"] <= shown["rate_ci_high"])).all()
    edges = pd.read_csv(tmp_path / "a" / "collocation_network.csv")
    assert (edges["source"] == "supervision").sum() == 10 and not (edges["source"] == edges["target"]).any()


@pytest.mark.corpus
@pytest.mark.slow
def test_topic_figures_with_a_quick_grid(tmp_path):
    cfg = tmp_path / "quick.toml"
    cfg.write_text(QUICK_TOPICS)
    only = ["--only", "method_agreement", "--only", "topic_diagnostics", "--only", "topic_terms",
            "--only", "document_topics"]
    assert main(["figures", "--out", str(tmp_path / "f"), "--config", str(cfg)] + only) == 0
    agreement = pd.read_csv(tmp_path / "f" / "method_agreement.csv")
    assert set(agreement["model"]) == {"dictionary", "gensim", "sklearn", "seeded"}
    assert (agreement["share_ci_low"] <= agreement["share_ci_high"]).all()
    topics = pd.read_csv(tmp_path / "f" / "document_topics.csv")
    sums = topics.groupby("doc_id")["share"].sum()
    assert ((sums > 0.99) & (sums < 1.01)).all()


def test_unknown_figure_and_unwritable_folder(tmp_path, capsys):
    assert main(["figures", "--out", str(tmp_path / "f"), "--only", "pie_chart"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--only pie_chart: no such figure" in err
    (tmp_path / "file").write_text("x")
    assert main(["figures", "--out", str(tmp_path / "file" / "sub")]) == 2
    assert "cannot create output folder" in capsys.readouterr().err


def test_failed_run_leaves_earlier_figures_whole(tmp_path, capsys):
    out = tmp_path / "f"
    assert main(["figures", "--out", str(out), "--only", "formulations"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    bad = tmp_path / "bad.toml"
    bad.write_text("[figures]\nnetwork_node = 'no-such-term-anywhere'\n")
    assert main(["figures", "--out", str(out), "--config", str(bad), "--only", "formulations",
                 "--only", "collocation_network"]) == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_users_corpus_skips_figures_it_cannot_make(tmp_path, tiny_manifest, capsys):
    out = tmp_path / "f"
    assert main(["figures", "--out", str(out), "--manifest", str(tiny_manifest), "--only", "theme_attention",
                 "--only", "translation_robustness", "--only", "keyness_2022_vs_rest"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["theme_attention.csv", "theme_attention.json",
                                                      "theme_attention.png", "theme_attention.svg"]
    err = capsys.readouterr().err
    assert "skipping translation_robustness" in err
    assert "skipping keyness_2022_vs_rest: keyness: no term occurs at least min_freq=5 times" in err
    # the seed corpus's comparisons are not figures of this corpus
    assert main(["figures", "--out", str(out), "--manifest", str(tiny_manifest),
                 "--only", "keyness_2025_vs_2023"]) == 2
    assert "keyness_2025_vs_2023: no such figure; choose from" in capsys.readouterr().err


SPEECH = ("We will build roads and schools for every family. We will protect workers and farmers.\n"
          "Our party will protect workers, farmers and families in every town.\n")
REPORT = ("The court heard cases of fraud and protected minors. The court punished fraud and protected victims.\n"
          "The procuratorate supervised trials and protected minors from fraud.\n")


@pytest.fixture
def users_corpus(tmp_path):
    """Four documents of a user's corpus: years 2019, 2021, 2022 (2020 missing), two genres, a party column,
    and a second version of one text."""
    from tests.conftest import write_manifest

    return write_manifest(tmp_path / "users", [
        {"doc_id": "speech-2019", "date": "2019-05-01", "genre": "speech", "party": "blue", "content": SPEECH},
        {"doc_id": "report-2021", "date": "2021-03-01", "genre": "report", "party": "red", "content": REPORT},
        {"doc_id": "speech-2022", "date": "2022-05-01", "genre": "speech", "party": "red", "content": SPEECH + REPORT},
        {"doc_id": "report-2022-copy", "date": "2022-03-01", "genre": "report", "party": "red",
         "version_of": "report-2021", "translation": "machine", "content": REPORT}], columns=("party",))


def test_figures_drawn_from_any_corpus(users_corpus, tmp_path, capsys):
    import analysis
    from analysis import pipeline
    from analysis.config import Config, DiscourseConfig

    config = Config(discourse=DiscourseConfig(min_freq=1))
    corpus = analysis.load_corpus(users_corpus, config)
    pairs = pipeline.keyness_pairs(corpus.documents)
    assert [(p["label"], p["target"], p["reference"]) for p in pairs] == [
        ("2022_vs_rest", ["year=2022"], ["rest"]), ("report_vs_rest", ["genre=report"], ["rest"]),
        ("speech_vs_rest", ["genre=speech"], ["rest"])]
    outputs = pipeline.make_figures(corpus, config, only=["theme_attention", "keyness_2022_vs_rest",
                                                          "keyness_report_vs_rest", "keyness_speech_vs_rest"])
    by_name = {o.name: o for o in outputs}
    assert list(by_name) == ["theme_attention", "keyness_2022_vs_rest", "keyness_report_vs_rest",
                             "keyness_speech_vs_rest"]
    # "rest" never holds a second version of a text, nor the text a target document is a version of
    # (2022 holds report-2022-copy, a version of report-2021)
    assert by_name["keyness_2022_vs_rest"].facts["reference_docs"] == ["speech-2019"]
    assert by_name["keyness_speech_vs_rest"].facts["reference_docs"] == ["report-2021"]
    # the year axis is time: 2019, 2021, 2022 sit at their years, 2020 is a gap
    year_axis = by_name["theme_attention"].figure.axes[1]
    assert list(year_axis.get_xticks()) == [2019.0, 2021.0, 2022.0]
    # the CLI draws them all; a configured comparison by an extra manifest column
    cfg = tmp_path / "c.toml"
    cfg.write_text('[discourse]\nmin_freq = 1\n\n[[figures.keyness]]\nlabel = "red_vs_blue"\n'
                   'target = "party=red"\nreference = ["party=blue"]\ntarget_name = "red party"\n')
    out = tmp_path / "f"
    assert main(["figures", "--out", str(out), "--manifest", str(users_corpus), "--config", str(cfg),
                 "--only", "keyness_red_vs_blue"]) == 0
    side = json.loads((out / "keyness_red_vs_blue.json").read_text())
    assert side["target_docs"] == ["report-2021", "report-2022-copy", "speech-2022"]
    assert side["reference_docs"] == ["speech-2019"]
    rows = pd.read_csv(out / "keyness_red_vs_blue.csv")
    assert set(rows.loc[rows["key_for"] == "target", "term"]) >= {"court"}


def test_rest_leaves_out_second_versions():
    from analysis.discourse import rest_documents

    docs = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "version_of": ["", "", "a", ""]})
    assert rest_documents(docs, ["b"]) == ["a", "d"]
    assert rest_documents(docs, ["c"]) == ["b", "d"]        # c is a version of a: a is not its "rest"
    assert rest_documents(docs, ["a"]) == ["b", "d"]
    assert rest_documents(docs.drop(columns="version_of"), ["a"]) == ["b", "c", "d"]


@pytest.mark.corpus
def test_seed_comparisons_come_from_the_seed_corpus_config():
    from analysis.config import Config, corpus_config_path, load_config
    from analysis.pipeline import keyness_pairs

    assert corpus_config_path().name == "analysis.toml"
    pairs = load_config().figures.keyness
    assert [p["label"] for p in pairs] == ["2025_vs_2023", "2021_vs_rest"]
    assert Config().figures.keyness == ()
    documents = pd.DataFrame({"doc_id": ["x"], "year": [2020], "genre": ["report"]})
    assert keyness_pairs(documents, pairs) == [dict(p) for p in pairs]


@pytest.mark.parametrize("pair, message", [
    ({"target": "year=2020"}, r"figures\.keyness\[0\]\.label must be a name"),
    ({"label": "a b", "target": "year=2020"}, r"figures\.keyness\[0\]\.label must be a name"),
    ({"label": "a"}, r"figures\.keyness\[0\]\.target must be FIELD=VALUE"),
    ({"label": "a", "target": "2020"}, r"figures\.keyness\[0\]\.target must be FIELD=VALUE"),
    ({"label": "a", "target": "year=2020", "colour": "red"}, r"figures\.keyness\[0\] must be a table with keys"),
])
def test_keyness_pair_checks(pair, message):
    from analysis.config import FiguresConfig
    from analysis.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        FiguresConfig(keyness=[pair])
