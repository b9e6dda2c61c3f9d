"""Figures: intervals required, print size and text size, the figure command's files (byte-identical
across runs), drawn numbers checked against the CSVs, errors."""
from __future__ import annotations

import json
import re
import zlib

import numpy as np

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


def pdf_font_sizes(pdf: bytes) -> list[float]:
    """Return the size (pt) of every font selection (``/F1 7 Tf``) in a PDF's content streams."""
    sizes = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            sizes += [float(x) for x in re.findall(rb"/F\d+ ([\d.]+) Tf", zlib.decompress(m.group(1)))]
        except zlib.error:
            continue
    return sizes


def shares_table(model_share):
    rows = []
    for model, share in (("dictionary", 0.3), ("gensim", model_share)):
        for doc in ("a-2020", "b-2021"):
            for theme in ("security", "supervision"):
                rows.append({"model": model, "k": 4, "level": "document", "unit": doc, "theme": theme, "share": share,
                             "share_ci_low": share - 0.1 if share == share else np.nan,
                             "share_ci_high": share + 0.1 if share == share else np.nan})
    return pd.DataFrame(rows)


def test_not_mapped_is_drawn_as_missing_not_as_zero():
    agreement = pd.DataFrame({"model": ["gensim"], "level": ["all"], "theme": ["all"], "kappa": [0.2]})
    fig = figures.plot_method_agreement(shares_table(np.nan), agreement)
    assert figures.drawn_values(fig)["share"] == [0.3] * 4      # only the dictionary's points are numbers
    legend = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert "not mapped (no topic)" in legend
    fig = figures.plot_method_agreement(shares_table(0.0), agreement)
    assert figures.drawn_values(fig)["share"].count(0.0) == 4 and "not mapped (no topic)" not in \
        [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_keyness_fill_agrees_with_the_drawn_interval():
    table = pd.DataFrame({"term": ["a", "b", "c", "d"], "log_ratio": [2.0, 0.5, -0.4, -3.0],
                          "log_ratio_ci_low": [1.0, -0.2, -1.0, -4.0], "log_ratio_ci_high": [3.0, 1.2, 0.1, -2.0],
                          "p_adj": [0.001, 0.01, 0.5, 0.2], "freq_target": [9, 3, 1, 0],
                          "freq_reference": [1, 2, 3, 9]})
    fig = figures.plot_keyness(table, "t", "A", "B")
    bars = [p for p in fig.axes[0].patches]
    for bar in bars:
        width = bar.get_width()
        row = table[np.isclose(table["log_ratio"], width)].iloc[0]
        excludes = row["log_ratio_ci_low"] > 0 or row["log_ratio_ci_high"] < 0
        assert (bar.get_facecolor()[:3] != (1.0, 1.0, 1.0)) == excludes, row["term"]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert any(lab.startswith("b *") for lab in labels) and not any(lab.startswith("d *") for lab in labels)
    phrase = figures.plot_keyness(table.assign(term=["legal_supervision", "b", "c", "d"]), "t", "A", "B")
    assert any(t.get_text().startswith("legal supervision *") for t in phrase.axes[0].get_yticklabels())


@pytest.mark.parametrize("width, inches", [("single", 3.5), ("double", 7.2)])
def test_print_width_and_smallest_text(width, inches):
    versions = pd.DataFrame({"doc_id": ["x"], "version_of": ["y"], "theme": ["security"], "share": [0.2],
                             "share_ci_low": [0.1], "share_ci_high": [0.3], "other_share": [0.25],
                             "other_ci_low": [0.15], "other_ci_high": [0.35], "share_difference": [-0.05]})
    fig = figures.plot_translation_robustness(versions, width=width)
    assert fig.get_size_inches()[0] == pytest.approx(inches)
    assert figures.smallest_text(fig) >= figures.MIN_FONT_PT
    assert figures.drawn_values(fig) == {"other_ci_high": [0.35], "other_ci_low": [0.15], "other_share": [0.25],
                                         "share": [0.2], "share_ci_high": [0.3], "share_ci_low": [0.1]}


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
    names = {p.stem for p in (tmp_path / "a").iterdir()} - {"captions"}
    assert names == {"theme_attention", "translation_robustness", "keyness_2021_vs_rest", "formulations",
                     "collocation_network"}
    for name in names:
        for ext in ("png", "pdf", "svg", "csv", "json"):
            assert (tmp_path / "a" / f"{name}.{ext}").stat().st_size > 0
    # deterministic: every file of two runs is byte-identical (PNG, PDF and SVG included)
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    captions = (tmp_path / "a" / "captions.md").read_text()
    assert all(f"## {name}" in captions for name in names)
    for name in names:
        # print size: the PDF page is the double-column width; every text at least 7 pt
        pdf = (tmp_path / "a" / f"{name}.pdf").read_bytes()
        width_pt = float(re.search(rb"/MediaBox \[ *0 0 ([\d.]+)", pdf).group(1))
        assert width_pt == pytest.approx(7.2 * 72, abs=0.5), name
        sizes = pdf_font_sizes(pdf)
        assert sizes and min(sizes) >= 7.0, (name, min(sizes))
        svg = (tmp_path / "a" / f"{name}.svg").read_text()
        assert "<text" in svg, name              # editable text, not paths
        side = json.loads((tmp_path / "a" / f"{name}.json").read_text())
        assert side["caption"] and side["drawn"], name
    assert main(["figures", "--check", str(tmp_path / "a")]) == 0
    # a number changed in a CSV is found: exit 1, the figure and column named
    shown_csv = tmp_path / "a" / "translation_robustness.csv"
    table = pd.read_csv(shown_csv)
    table.loc[0, "share"] += 0.01
    table.to_csv(shown_csv, index=False)
    capsys.readouterr()
    assert main(["figures", "--check", str(tmp_path / "a"), "--only", "translation_robustness"]) == 1
    out = capsys.readouterr().out
    assert "translation_robustness: 1 of" in out and "drawn value(s) of share" in out
    assert "translation_robustness.csv: column share: 1 row(s) differ" in out
    side = json.loads((tmp_path / "a" / "theme_attention.json").read_text())
    assert side["seeds"]["themes"] == 12345 and side["ci_level"] == 0.95
    assert "Clopper-Pearson" in side["interval"] and "version_of" in side["version_rule"]
    assert len(side["inputs_sha256"]) == 8 and "gensim" in side["versions"]
    assert "themes.yaml" in side["inputs_sha256"]          # the lexicon, whose categories the figures show
    assert "analysis.toml" in side["inputs_sha256"]        # the corpus config (its keyness comparisons)
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
    mapped = agreement["mapped"]
    assert (agreement.loc[mapped, "share_ci_low"] <= agreement.loc[mapped, "share_ci_high"]).all()
    # a category no fit maps a topic to is missing, not a measured zero
    assert agreement.loc[~mapped, "share"].isna().all() and (agreement.loc[~mapped, "seeds_mapped"] == 0).all()
    assert mapped[agreement["model"] == "dictionary"].all()
    side = json.loads((tmp_path / "f" / "document_topics.json").read_text())
    assert "Hungarian" in side["matching"] and side["n_seeds"] == 2
    assert main(["figures", "--check", str(tmp_path / "f"), "--config", str(cfg)]) == 0
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
    assert sorted(p.name for p in out.iterdir()) == ["captions.md", "theme_attention.csv", "theme_attention.json",
                                                      "theme_attention.pdf", "theme_attention.png",
                                                      "theme_attention.svg"]
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


def _outside(fig) -> list[float]:
    """Return by how much (inches: left, bottom, right, top) what the figure draws leaves its page."""
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())       # drawn artists only, in inches
    width, height = fig.get_size_inches()
    return [max(0.0, -box.x0), max(0.0, -box.y0), max(0.0, box.x1 - width), max(0.0, box.y1 - height)]


@pytest.mark.parametrize("width", ["single", "double"])
def test_no_text_is_clipped_or_below_7_pt(width):
    docs = pd.DataFrame({"doc_id": ["alpha-2020", "beta-2021", "gamma-2023"], "date": ["2020-01-01", "2021-01-01", "2023-01-01"],
                         "short_title": ["A long report title 2020", "Opinions 2021", "Conference 2023"]})
    rows = []
    for d, y in zip(docs["doc_id"], (2020, 2021, 2023)):
        for i, theme in enumerate(("security", "development", "livelihood", "supervision")):
            rows.append({"doc_id": d, "year": y, "theme": theme, "rate_per_1k": 5.0 + i, "rate_ci_low": 3.0 + i,
                         "rate_ci_high": 8.0 + i, "share": 0.25, "share_ci_low": 0.1, "share_ci_high": 0.4})
    doc_table = pd.DataFrame(rows)
    keyness = pd.DataFrame({"term": [f"a_rather_long_term_{i}" for i in range(24)],
                            "log_ratio": np.linspace(4, -4, 24), "log_ratio_ci_low": np.linspace(3, -5, 24),
                            "log_ratio_ci_high": np.linspace(5, -3, 24), "p_adj": 0.01,
                            "freq_target": 10, "freq_reference": 100})
    for fig in (figures.plot_theme_attention(doc_table, doc_table, docs, width=width),
                figures.plot_keyness(keyness, "Key terms: a long target name against a long reference",
                                     "a long target name", "a long reference", width=width)):
        assert figures.smallest_text(fig) >= 7.0
        assert max(_outside(fig)) < 0.01, _outside(fig)
        assert fig.get_size_inches()[0] == pytest.approx(figures.WIDTHS[width])


def _label_boxes(fig):
    """Return the pixel boxes (x0, y0, x1, y1) of every text drawn inside the figure's axes."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("n_first, n_second", [(8, 3), (12, 3)])
def test_collocation_labels_do_not_overlap(n_first, n_second):
    # the figure's shape (a dozen collocates, three of their own each), labels of 4-24 characters
    rng = np.random.default_rng(n_first)
    words = ["".join(rng.choice(list("abcdefghijklmnop"), rng.integers(4, 12))) for _ in range(n_first * (n_second + 1))]
    words = [w if i % 5 else f"{w}_{w[:6]}" for i, w in enumerate(words)]
    rows = [("supervision", f"{words[i]}{i}") for i in range(n_first)]
    rows += [(f"{words[i]}{i}", f"{words[n_first + i * n_second + j]}{i}{j}") for i in range(n_first) for j in range(n_second)]
    edges = pd.DataFrame(rows, columns=["source", "target"]).assign(
        count=5, g2=rng.uniform(4, 40, len(rows)), pmi=2.0, p=0.01)
    fig = figures.plot_collocation_network(edges, "supervision", seed=1)
    boxes = _label_boxes(fig)
    assert len(boxes) == len(set(edges["source"]) | set(edges["target"]))
    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    # a spot free of every other label exists for nearly every node; a crowded centre may leave one
    assert len(overlaps) <= max(1, len(boxes) // 20), overlaps[:3]


def test_topic_term_panels_are_lettered():
    k = 6
    terms = pd.DataFrame([(t, r, f"public interest litigation {r}" if t == 0 else f"term{r}", 0.05 / (r + 1)) for t in range(k) for r in range(8)],
                         columns=["topic", "rank", "term", "weight"])
    mapping = pd.DataFrame({"topic": range(k), "theme": ["security", "development", "livelihood", "supervision",
                                                         "other", "other"],
                            "seeded": [True] * 4 + [False] * 2, "lift": [2.0] * k})
    fig = figures.plot_topic_terms(terms, mapping)
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t.split("$")[1] for t in titles] == [rf"\bf{{{c}}}" for c in "abcdef"]
    assert all(ax.get_title() == "" for ax in fig.axes), "one title per panel, the letter leading it"
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:  # the p(term | topic) tick labels of a narrow panel stay apart
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert all(not a.overlaps(b) for a, b in zip(boxes, boxes[1:]))


def test_a_legend_of_long_labels_takes_fewer_columns_and_fits_the_figure():
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="o", ls="none", label=f"model {i} (kappa 0.61 [0.53, 0.68])") for i in range(4)]
    with figures.style():
        fig = figures.plt.figure(figsize=(3.5, 2.5), layout="constrained")
        legend = figures._legend(fig, handles, "outside upper center", 3)
        assert legend.get_window_extent(fig.canvas.get_renderer()).width <= fig.bbox.width
        assert len(fig.legends) == 1 and legend._ncols < 3
        short = figures._legend(figures.plt.figure(figsize=(7.2, 2.5)), handles[:2], "outside upper center", 3)
        assert short._ncols == 2
