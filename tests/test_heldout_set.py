"""The held-out validation set (validation/heldout/): its files parse, the corpus is rebuilt from page
copies by fingerprint, and the scoring runs on what is rebuilt.

The texts themselves are not in the repository (third-party pages, cited in sources.csv), so the
build-and-score test runs on a stand-in: seed paragraphs coded by the seeds' structure labels,
written as "pages" with the noise a saved web page has. With HELDOUT_PAGES set to a folder of
copies of the real pages, the last test builds and scores the real set.
"""
from __future__ import annotations

import csv
import importlib.util
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli, themes

HELDOUT = Path(__file__).resolve().parents[1] / "validation" / "heldout"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"heldout_{name}", HELDOUT / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build, score, intercoder = _load("build"), _load("score"), _load("intercoder")


def test_coding_and_sources_parse():
    sources = build.read_csv(HELDOUT / "sources.csv", build.SOURCES_COLUMNS)
    coding = build.read_csv(HELDOUT / "coding.csv", build.CODING_COLUMNS)
    doc_ids = [s["doc_id"] for s in sources]
    assert len(set(doc_ids)) == len(doc_ids) >= 8 and 120 <= len(coding) <= 200
    for s in sources:
        rows = [r for r in coding if r["doc_id"] == s["doc_id"]]
        assert [int(r["para_no"]) for r in rows] == list(range(1, int(s["n_paragraphs"]) + 1)), s["doc_id"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", s["date"]) and s["year"] == s["date"][:4]
        assert s["url"].startswith("http") and s["title"] and s["translation"] in ("official", "machine", "news")
    assert {r["doc_id"] for r in coding} == set(doc_ids)
    assert len({(r["doc_id"], r["sha256"]) for r in coding}) == len(coding)
    for r in coding:
        assert r["line"] == r["para_no"] and re.fullmatch(r"[0-9a-f]{16}", r["sha256"]) and int(r["n_words"]) > 0
        assert r["category"] in build.CATEGORIES and r["reason"].strip()
        assert r["secondary"] in ("", *themes.THEMES) and r["secondary"] != r["category"]
    assert set(build.CATEGORIES) == {*themes.THEMES, "none"}


def test_second_coding_covers_the_same_paragraphs_and_splits_are_set():
    first = build.read_csv(HELDOUT / "coding.csv", build.CODING_COLUMNS)
    second = build.read_csv(HELDOUT / "coding_coder2.csv", build.CODING_COLUMNS)
    key = ("doc_id", "para_no", "line", "sha256", "n_words")
    assert [tuple(r[k] for k in key) for r in second] == [tuple(r[k] for k in key) for r in first]
    for r in second:
        assert r["category"] in build.CATEGORIES and r["reason"].strip()
        assert r["secondary"] in ("", *themes.THEMES) and r["secondary"] != r["category"]
    sources = build.read_csv(HELDOUT / "sources.csv", [*build.SOURCES_COLUMNS, "split"])
    assert all(s["split"] == ("development" if s["seen_by_lexicon"] else "test") for s in sources)


def test_intercoder_kappa_equals_sklearn(tmp_path, capsys):
    from sklearn.metrics import cohen_kappa_score
    assert intercoder.main(["--out", str(tmp_path / "k.csv")]) == 0
    table = pd.read_csv(tmp_path / "k.csv")
    first = pd.read_csv(HELDOUT / "coding.csv", dtype=str, keep_default_na=False)
    second = pd.read_csv(HELDOUT / "coding_coder2.csv", dtype=str, keep_default_na=False)
    row = table[(table["subset"] == "all") & (table["category"] == "macro")].iloc[0]
    assert row["n"] == len(first)
    assert row["kappa"] == pytest.approx(cohen_kappa_score(first["category"], second["category"]), abs=1e-12)
    assert row["kappa_ci_low"] <= row["kappa"] <= row["kappa_ci_high"]
    assert set(table["subset"]) == {"all", "test", "development"}
    bad = second.assign(category=second["category"].where(second.index != 3, "securty"))
    bad.to_csv(tmp_path / "bad.csv", index=False)
    capsys.readouterr()
    assert intercoder.main(["--second", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.csv:5" in err and "securty" in err
    assert not (tmp_path / "x.csv").exists()


def test_fingerprint_ignores_quotes_and_white_space():
    assert build.fingerprint("the \u201cFengqiao  experience\u201d\n") == build.fingerprint('the "Fengqiao experience"')
    assert build.fingerprint("Safe China.") != build.fingerprint("Safe China")


@pytest.fixture
def stand_in(corpus, tmp_path):
    """A coding of seed paragraphs (structure labels of the 2023 report and the 2021 Opinions) and their
    "pages": a title line, the paragraphs with curly quotes, one of them broken over lines in a block."""
    gold = themes.gold_labels(corpus.paragraphs)
    gold = gold[gold["doc_id"].isin(["report-2023", "opinions-2021"])]
    text = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]
    here, pages = tmp_path / "here", tmp_path / "pages"
    here.mkdir(), pages.mkdir()
    sources, coding = [], []
    for doc_id, part in gold.groupby("doc_id", sort=True):
        paragraphs = [text[(doc_id, p)] for p in part["para_id"]]
        lines = [f"{doc_id} (page title)", *(p.replace('"', "\u201c", 1) for p in paragraphs[1:])]
        words = paragraphs[0].split()
        lines += ["", " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2:]), ""]
        (pages / f"{doc_id}.txt").write_text("\n".join(lines), encoding="utf-8")
        order = paragraphs[1:] + paragraphs[:1]
        labels = list(part["gold"])[1:] + list(part["gold"])[:1]
        sources.append({"doc_id": doc_id, "title": doc_id, "organ": "SPP", "date": "2023-03-07", "year": "2023",
                        "genre": "work_report", "translation": "official", "url": "https://example.org",
                        "n_paragraphs": len(order), "seen_by_lexicon": "seed" if doc_id == "opinions-2021" else ""})
        coding += [{"doc_id": doc_id, "para_no": k, "line": k, "sha256": build.fingerprint(p),
                    "n_words": len(p.split()), "category": label, "secondary": "", "reason": "structure label"}
                   for k, (p, label) in enumerate(zip(order, labels), start=1)]
    for name, columns, rows in (("sources.csv", build.SOURCES_COLUMNS, sources),
                                ("coding.csv", build.CODING_COLUMNS, coding)):
        with (here / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return here, pages, coding


def test_build_then_score_the_stand_in(stand_in, tmp_path):
    here, pages, coding = stand_in
    out = tmp_path / "corpus"
    assert build.build(pages, out, here) == len(coding)
    built = (out / "report-2023.txt").read_text(encoding="utf-8").splitlines()
    rows = [r for r in coding if r["doc_id"] == "report-2023"]
    assert [build.fingerprint(line) for line in built] == [r["sha256"] for r in rows]
    table = score.score(out / "manifest.csv")
    macro = table[table["category"] == "macro"].set_index(["subset", "scoring", "method"])
    assert set(macro.index) == {(s, c, m) for s in ("all", "unseen") for c in ("strict", "lenient")
                                for m in score.METHODS}
    assert (macro.xs("all")["n"] == len(coding)).all()
    assert (macro.xs("unseen")["n"] == len(rows)).all()
    # with no secondary code the lenient scoring is the strict one
    strict = table[table["scoring"] == "strict"].drop(columns="scoring").reset_index(drop=True)
    lenient = table[table["scoring"] == "lenient"].drop(columns="scoring").reset_index(drop=True)
    pd.testing.assert_frame_equal(strict, lenient)
    # the scoring command of the toolkit reads the same gold file and agrees on the dictionary
    assert cli.main(["themes-validate", "--manifest", str(out / "manifest.csv"), "--gold", str(out / "gold.csv"),
                     "--no-topics", "--out", str(tmp_path / "v")]) == 0
    gold_scores = pd.read_csv(tmp_path / "v" / "gold_scores.csv")
    ours = strict[(strict["subset"] == "all") & (strict["method"] == "dictionary")].drop(columns="subset")
    pd.testing.assert_frame_equal(ours.reset_index(drop=True), gold_scores, check_dtype=False)


def test_lenient_counts_a_secondary_match():
    gold = pd.DataFrame({"doc_id": ["d"] * 3, "para_id": [1, 2, 3], "category": ["security", "other", "livelihood"]})
    secondary = pd.Series(["livelihood", "development", ""])
    labels = pd.DataFrame({"doc_id": ["d"] * 3, "para_id": [1, 2, 3], "theme": ["livelihood", "none", "security"]})
    assert list(score.lenient_gold(gold, secondary, labels)["category"]) == ["livelihood", "other", "livelihood"]


def test_missing_paragraph_is_a_one_line_error(stand_in, tmp_path, capsys):
    here, pages, coding = stand_in
    page = pages / "report-2023.txt"
    lines = page.read_text(encoding="utf-8").splitlines()
    page.write_text("\n".join([lines[0], lines[1] + " (edited)", *lines[2:]]), encoding="utf-8")
    with pytest.raises(ValueError, match=r"paragraph 1 of report-2023 \(sha256 [0-9a-f]{16}"):
        build.build(pages, tmp_path / "out", here)
    assert build.main(["--pages", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.skipif(not os.environ.get("HELDOUT_PAGES"), reason="set HELDOUT_PAGES to a folder of the pages' copies")
def test_real_heldout_set_builds_and_scores(tmp_path):
    out = tmp_path / "corpus"
    assert build.main(["--pages", os.environ["HELDOUT_PAGES"], "--out", str(out)]) == 0
    assert score.main(["--manifest", str(out / "manifest.csv"), "--out", str(tmp_path / "scores.csv")]) == 0
    table = pd.read_csv(tmp_path / "scores.csv")
    n = len(build.read_csv(HELDOUT / "coding.csv", build.CODING_COLUMNS))
    assert (table.loc[(table["subset"] == "all") & (table["category"] == "macro"), "n"] == n).all()
    assert score.main(["--manifest", str(out / "manifest.csv"), "--gold", str(HELDOUT / "coding_coder2.csv"),
                       "--out", str(tmp_path / "scores2.csv")]) == 0
    second = pd.read_csv(tmp_path / "scores2.csv")
    assert (second.loc[(second["subset"] == "all") & (second["category"] == "macro"), "n"] == n).all()
