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
n_bootstrap = 50
"""


def test_plots_refuse_tables_without_intervals():
    table = pd.DataFrame({"doc_id": ["a"], "year": [2020], "theme": ["security"], "rate_per_1k": [1.0], "share": [0.5]})
    with pytest.raises(SchemaError, match="no interval column"):
        figures.plot_theme_attention(table, table.rename(columns={"doc_id": "unit"}))
    with pytest.raises(SchemaError, match="log_ratio_ci_low"):
        figures.plot_keyness(pd.DataFrame({"term": ["x"], "log_ratio": [1.0]}), "t", "a", "b")


@pytest.mark.corpus
def test_figure_command_writes_four_files_per_figure_and_same_csv_twice(tmp_path, capsys):
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
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()
    side = json.loads((tmp_path / "a" / "theme_attention.json").read_text())
    assert side["seeds"]["themes"] == 12345 and side["n_boot"] >= 1000
    assert len(side["inputs_sha256"]) == 6 and "gensim" in side["versions"]
    shown = pd.read_csv(tmp_path / "a" / "theme_attention.csv")
    assert {"rate_ci_low", "rate_ci_high", "share_ci_low", "share_ci_high"} <= set(shown.columns)
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
                 "--only", "translation_robustness", "--only", "keyness_2025_vs_2023"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["theme_attention.csv", "theme_attention.json",
                                                      "theme_attention.png", "theme_attention.svg"]
    err = capsys.readouterr().err
    assert "skipping translation_robustness" in err and "skipping keyness_2025_vs_2023" in err
