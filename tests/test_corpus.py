"""The corpus stage: manifest checks, cleaning rules, segmentation, provenance."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
from analysis.config import CorpusConfig
from analysis.corpus import RULES, read_corpus, read_manifest, split_lines
from analysis.errors import CorpusError, CorpusWarning
from analysis.io import atomic_write
from tests.conftest import REPO, write_corpus

SEEDS = REPO / "seeds"


def _norm(text: str) -> str:
    text = text.replace("\u00a0", " ").translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}))
    return " ".join(text.split())


def _source_lines(doc_file: str) -> list[str]:
    return split_lines((SEEDS / doc_file).read_text(encoding="utf-8"))


# ----------------------------------------------------------------- seeds


@pytest.mark.corpus
def test_manifest_facts(corpus):
    docs = corpus.documents.set_index("doc_id")
    assert sorted(docs.index) == ["conference-2025", "opinions-2021", "pil-review-2022", "report-2023",
                                  "report-2023-xinhua"]
    assert docs.loc["report-2023-xinhua", "version_of"] == "report-2023"
    assert docs["year"].to_dict() == {"opinions-2021": 2021, "pil-review-2022": 2022, "report-2023": 2023,
                                      "report-2023-xinhua": 2023, "conference-2025": 2025}
    assert docs.loc["opinions-2021", "date"] == "2021-06-15"
    assert docs.loc["conference-2025", "date"] == "2025-01-13"
    assert set(docs["translation"]) == {"official", "machine", "news"}


@pytest.mark.corpus
def test_seed_files_are_untouched_copies():
    shared = REPO.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds not beside the repository")
    for f in shared.glob("*.txt"):
        assert (SEEDS / f.name).read_bytes() == f.read_bytes()


@pytest.mark.corpus
def test_paragraph_invariants(corpus):
    p = corpus.paragraphs
    assert not p.duplicated(["doc_id", "para_id"]).any()
    assert (p["text"].str.strip() != "").all()
    assert set(p["kind"]) <= {"heading", "body", "list", "caption", "boilerplate"}
    assert (p["line_start"] <= p["line_end"]).all()
    for _, group in p.groupby("doc_id"):
        assert group["para_id"].tolist() == list(range(1, len(group) + 1))
        assert group["line_start"].is_monotonic_increasing
    analysed = p[p["kind"].isin(["body", "list"])]
    assert analysed["n_tokens"].sum() == len(corpus.tokens) == corpus.documents["n_tokens"].sum()


@pytest.mark.corpus
def test_every_paragraph_traces_back_to_its_lines(corpus):
    files = corpus.documents.set_index("doc_id")["file"]
    repaired = set(zip(corpus.cleaning_log.query("rule == 'broken_number'")["doc_id"],
                       corpus.cleaning_log.query("rule == 'broken_number'")["line"]))
    checked = 0
    for row in corpus.paragraphs.itertuples():
        lines = _source_lines(files[row.doc_id])
        source = _norm(" ".join(lines[row.line_start - 1: row.line_end]))
        if any(d == row.doc_id and row.line_start <= ln <= row.line_end for d, ln in repaired):
            assert source.replace("99% in 2021. 5%.", "99.5% in 2021.") == row.text
        else:
            assert source == row.text, (row.doc_id, row.line_start)
        checked += 1
    assert checked == len(corpus.paragraphs)


@pytest.mark.corpus
def test_pil_review_lead_kept_once_and_fuller(corpus):
    pil = corpus.paragraphs.query("doc_id == 'pil-review-2022'")
    assert pil["text"].str.contains("is a major reform measure that was conceived and born").sum() == 1
    assert pil["text"].str.contains("more than 670,000 public interest litigation cases were filed").sum() == 1
    # the fuller copy of the opening (line 1, 48 words) is kept, the shorter one (line 41) dropped
    assert 1 in set(pil["line_start"]) and 41 not in set(pil["line_start"])
    # the block repeated three times word for word appears once
    assert (pil["text"] == "The fifth is the protection of the rights and interests of special groups.").sum() == 1
    log = corpus.cleaning_log.query("doc_id == 'pil-review-2022'")
    assert (log["rule"] == "near_duplicate").sum() >= 10
    assert (log["rule"] == "exact_duplicate").sum() >= 10


@pytest.mark.corpus
def test_broken_number_repaired(corpus):
    text = corpus.paragraphs["text"]
    assert text.str.contains(r"from 97\.2% in 2018 to 99\.5% in 2021\.").sum() == 1
    assert not (text == "5%.").any()
    row = corpus.cleaning_log.query("rule == 'broken_number'").iloc[0]
    assert (row["doc_id"], row["line"]) == ("pil-review-2022", 79)


@pytest.mark.corpus
def test_boilerplate_and_captions(corpus):
    p = corpus.paragraphs.set_index(["doc_id", "line_start"])
    assert p.loc[("report-2023", 140), "kind"] == "boilerplate"          # Back to top
    assert p.loc[("report-2023", 141), "kind"] == "boilerplate"          # copyright
    assert p.loc[("report-2023", 12), "kind"] == "boilerplate"           # Fellow Deputies,
    assert [p.loc[("conference-2025", n), "kind"] for n in (1, 2, 3, 36, 37, 38, 39, 40)] == \
        ["caption", "caption", "body", "caption", "caption", "caption", "boilerplate", "boilerplate"]
    assert "\u00a0" not in "".join(corpus.paragraphs["text"])
    tokened = set(zip(corpus.tokens["doc_id"].astype(str), corpus.tokens["para_id"]))
    hidden = corpus.paragraphs[~corpus.paragraphs["kind"].isin(["body", "list"])]
    assert not tokened & set(zip(hidden["doc_id"], hidden["para_id"]))


@pytest.mark.corpus
def test_sections_parts_and_items(corpus):
    p = corpus.paragraphs
    r23 = p.query("doc_id == 'report-2023'").set_index("line_start")
    assert r23.loc[26, "section_no"] == "1" and r23.loc[26, "part"].startswith("Review of the Work")
    assert r23.loc[98, "section_no"] == "5"
    assert r23.loc[128, "part"] == "2023 Work Proposals" and r23.loc[128, "item_no"] == "2"
    assert r23.query("kind == 'list'")["item_no"].tolist() == ["1", "2", "3", "4", "5", "6"]
    ops = p.query("doc_id == 'opinions-2021' and kind == 'list'")
    assert ops["item_no"].tolist() == [str(i) for i in range(1, 20)]
    assert ops.set_index("item_no").loc["5", "section_no"] == "3"
    pil = p.query("doc_id == 'pil-review-2022' and kind == 'heading'")
    assert pil["section_no"].tolist() == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.corpus
def test_indent_segmentation_mirrors_the_official_paragraphs(corpus):
    xin = corpus.paragraphs.query("doc_id == 'report-2023-xinhua'").set_index("line_start")
    assert xin.loc[19, "line_end"] == 31
    assert xin.loc[19, "text"].startswith("Resolutely safeguard national security and social stability. A total of 8.273")
    assert xin.loc[17, "kind"] == "heading" and xin.loc[17, "section_no"] == "1"
    assert (xin["kind"] == "list").sum() == 6


def test_every_rule_is_documented_and_logged_by_name(corpus):
    assert set(corpus.cleaning_log["rule"]) <= set(RULES)
    assert {"unicode", "web_boilerplate", "caption", "broken_number", "near_duplicate",
            "exact_duplicate", "indent_block"} <= set(corpus.cleaning_log["rule"])


# ----------------------------------------------------------------- adding a document


def test_user_adds_a_document(tmp_path, corpus):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    text = ("Report on the Work of the Supreme People's Procuratorate\n\n"
            "I. Safeguarding Security\n\n"
            "The procuratorates cracked down on telecom fraud and protected national security.\n\n"
            "II. Serving Development\n\n"
            "The procuratorates protected private enterprises and intellectual property.\n")
    (folder / "report-2024.txt").write_text(text, encoding="utf-8")
    import hashlib
    digest = hashlib.sha256(text.encode()).hexdigest()
    with open(folder / "manifest.csv", "a", encoding="utf-8") as fh:
        fh.write(f"report-2024,report-2024.txt,{digest},SPP Work Report 2024,2024-03-08,2024,work_report,"
                 "official,,test,line,Work report 2024\n")
    grown = analysis.load_corpus(folder / "manifest.csv")
    assert len(grown.documents) == len(corpus.documents) + 1
    new = grown.paragraphs.query("doc_id == 'report-2024'")
    assert new["kind"].tolist() == ["heading", "heading", "body", "heading", "body"]
    assert new.query("kind == 'body'")["section_no"].tolist() == ["1", "2"]
    assert grown.documents.set_index("doc_id").loc["report-2024", "n_tokens"] == 19
    # the seed documents are unchanged by the addition
    old = grown.paragraphs[grown.paragraphs["doc_id"] != "report-2024"].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, corpus.paragraphs.reset_index(drop=True))


# ----------------------------------------------------------------- bad input


def _manifest_with(tmp_path, **change) -> Path:
    m = write_corpus(tmp_path / "c", {"a-2020": ("2020-01-02", "One sentence about security.\n")})
    lines = m.read_text().splitlines()
    header = lines[0].split(",")
    row = dict(zip(header, lines[1].split(",")))
    row.update(change)
    m.write_text(",".join(header) + "\n" + ",".join(row[h] for h in header) + "\n")
    return m


@pytest.mark.parametrize("change, message", [
    ({"date": "2020-13-01"}, r"manifest\.csv:2: field 'date' is '2020-13-01'"),
    ({"year": "20"}, r"manifest\.csv:2: field 'year' is '20'"),
    ({"year": "2021"}, r"manifest\.csv:2: field 'year' is 2021 but field 'date' is 2020-01-02"),
    ({"file": "../outside.txt"}, r"manifest\.csv:2: field 'file' '\.\./outside\.txt' points outside"),
    ({"file": "missing.txt"}, r"manifest\.csv:2: field 'file': .*missing\.txt not found"),
    ({"sha256": "0" * 64}, r"manifest\.csv:2: field 'sha256' does not match a-2020\.txt"),
    ({"sha256": ""}, r"manifest\.csv:2: field 'sha256' is empty; the file's sha256 is [0-9a-f]{64}"),
    ({"translation": "human"}, r"manifest\.csv:2: field 'translation' is 'human'; expected one of"),
    ({"doc_id": "Bad Id"}, r"manifest\.csv:2: field 'doc_id' is 'Bad Id'"),
    ({"version_of": "nope"}, r"manifest\.csv:2: field 'version_of' is 'nope'"),
])
def test_bad_manifest_rows(tmp_path, change, message):
    (tmp_path / "outside.txt").write_text("x")
    with pytest.raises(CorpusError, match=message):
        read_manifest(_manifest_with(tmp_path, **change))


def test_missing_column_and_duplicate_id(tmp_path):
    m = _manifest_with(tmp_path)
    lines = m.read_text().splitlines()
    m.write_text("\n".join([lines[0].replace(",source", ""), lines[1].rsplit(",", 1)[0]]) + "\n")
    with pytest.raises(CorpusError, match=r"manifest\.csv:1: manifest lacks column\(s\) source"):
        read_manifest(m)
    m = _manifest_with(tmp_path)
    lines = m.read_text().splitlines()
    m.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n")
    with pytest.raises(CorpusError, match=r"manifest\.csv:3: field 'doc_id' 'a-2020' repeats line 2"):
        read_manifest(m)


def test_missing_manifest(tmp_path):
    with pytest.raises(CorpusError, match=r"nowhere\.csv: manifest not found"):
        read_manifest(tmp_path / "nowhere.csv")


def test_undecodable_and_empty_documents(tmp_path):
    import hashlib
    bad = b"Good line.\n\xff\xfe broken\n"
    m = write_corpus(tmp_path / "c", {"a-2020": ("2020-01-02", "x")})
    (tmp_path / "c" / "a-2020.txt").write_bytes(bad)
    m.write_text(m.read_text().replace(hashlib.sha256(b"x").hexdigest(), hashlib.sha256(bad).hexdigest()))
    with pytest.raises(CorpusError, match=r"a-2020\.txt:2: not UTF-8 text"):
        read_corpus(m)
    m = write_corpus(tmp_path / "d", {"a-2020": ("2020-01-02", "  \n\n")})
    with pytest.raises(CorpusError, match=r"a-2020\.txt: the document is empty"):
        read_corpus(m)
    m = write_corpus(tmp_path / "e", {"a-2020": ("2020-01-02", "Only A Heading\n")})
    with pytest.warns(CorpusWarning, match=r"a-2020\.txt: document 'a-2020' has no body or list paragraph"), \
            pytest.raises(CorpusError, match=r"manifest\.csv: no document .* \(left out: a-2020\)"):
        read_corpus(m)


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_tiny_corpus_cleaning(tmp_path):
    text = ("Title Of The Report\n\n"
            "I. Security\n\n"
            "Rates rose from 97.2% in 2018 to 99% in 2021.\n5%.\n\n"
            "A long line that was broken in the middle of its sentence by the copy\n"
            "and continues here.\n\n"
            "Back to top\n")
    m = write_corpus(tmp_path / "c", {"a-2020": ("2020-01-02", text)})
    c, _ = read_corpus(m)
    p = c.paragraphs
    assert p["kind"].tolist() == ["heading", "heading", "body", "body", "boilerplate"]
    assert p["text"].iloc[2] == "Rates rose from 97.2% in 2018 to 99.5% in 2021."
    assert p["line_end"].iloc[2] == 6
    assert p["text"].iloc[3].endswith("by the copy and continues here.")
    assert set(c.cleaning_log["rule"]) == {"broken_number", "broken_line", "web_boilerplate", "heading"}
    assert c.cleaning_log.query("rule == 'heading'")["line"].tolist() == [1, 3]


def test_shingle_matrix_counts_distinct_one_to_three_grams():
    from analysis.corpus import _shingle_matrix
    m = _shingle_matrix([["a", "b", "a", "b"], ["a", "b"], ["b", "a"]])
    # {a, b, ab, ba, aba, bab}; {a, b, ab}; {b, a, ba}: an n-gram never spans two paragraphs
    assert np.diff(m.indptr).tolist() == [6, 3, 3]
    assert (m @ m.T).toarray().tolist() == [[6, 3, 3], [3, 3, 2], [3, 2, 3]]


def test_similar_pairs_hand_made_and_the_same_in_any_block_size():
    from scipy import sparse

    from analysis.corpus import _shingle_matrix, _similar_pairs
    m = _shingle_matrix([["a", "b", "a", "b"], ["a", "b"], ["b", "a"]])
    # shared shingles 3, 3, 2 over sizes 6, 3, 3: cosines 3/sqrt(18), 3/sqrt(18), 2/3
    pairs = _similar_pairs(m, 0.6)
    assert [(a, b) for _, a, b in pairs] == [(0, 1), (0, 2), (1, 2)]
    assert [round(s, 4) for s, _, _ in pairs] == [0.7071, 0.7071, 0.6667]
    assert [(a, b) for _, a, b in _similar_pairs(m, 0.7)] == [(0, 1), (0, 2)]
    # blocks of rows give exactly the pairs of the whole n x n matrix
    rng = np.random.default_rng(3)
    grams = sparse.csr_matrix((rng.random((40, 30)) < 0.3).astype(float))
    grams = grams[np.diff(grams.indptr) > 0]
    sizes = np.sqrt(np.diff(grams.indptr))
    full = (grams @ grams.T).toarray() / np.outer(sizes, sizes)
    expected = sorted(((full[a, b], a, b) for a in range(len(full)) for b in range(a + 1, len(full))
                       if full[a, b] >= 0.4), key=lambda t: (-t[0], t[1], t[2]))
    assert len(expected) > 5
    for block in (1, 7, 1024):
        assert _similar_pairs(grams, 0.4, block=block) == expected


# ----------------------------------------------------------------- real corpora: transcripts, layouts, repeats

SPEECH = """Remarks by the President at a Rally

THE PRESIDENT: Thank you so much. (Applause.) It is good to be back in this great state.
(Cheers, applause.)
AUDIENCE MEMBERS: Four more years! Four more years!
THE PRESIDENT: We will build roads, schools and hospitals for every family in every town of this country. [Laughter]
We will not rest until the work is done.
"""


def test_stage_directions_and_speaker_labels_are_a_named_rule(tmp_path):
    from tests.conftest import write_manifest

    m = write_manifest(tmp_path / "c", [{"doc_id": "rally-2024", "date": "2024-05-01", "genre": "speech",
                                         "content": SPEECH}])
    c, _ = read_corpus(m)
    p = c.paragraphs
    assert p[["kind", "line_start", "text"]].values.tolist() == [
        ["heading", 1, "Remarks by the President at a Rally"],
        ["body", 3, "Thank you so much. It is good to be back in this great state."],
        ["boilerplate", 4, "(Cheers, applause.)"],
        ["boilerplate", 5, "AUDIENCE MEMBERS: Four more years! Four more years!"],
        ["body", 6, "We will build roads, schools and hospitals for every family in every town of this country."],
        ["body", 7, "We will not rest until the work is done."]]
    log = c.cleaning_log.set_index("line")
    assert log.loc[3].values.tolist() == [
        ["speaker_label", "rally-2024", "speaker label 'THE PRESIDENT:' cut"],
        ["stage_direction", "rally-2024", "'(Applause.)' cut"]]
    assert log.loc[4, "changed"] == "'(Cheers, applause.)'; nothing else: marked boilerplate"
    assert log.loc[5, "rule"] == "speaker_label" and "audience" in log.loc[5, "changed"]
    assert "'[Laughter]' cut" in c.cleaning_log.query("line == 6")["changed"].tolist()
    # the rule is off for other genres, and configurable
    m = write_manifest(tmp_path / "d", [{"doc_id": "rally-2024", "date": "2024-05-01", "genre": "report",
                                         "content": SPEECH}])
    assert "(Applause.)" in read_corpus(m)[0].paragraphs["text"].iloc[1]
    m = write_manifest(tmp_path / "e", [{"doc_id": "rally-2024", "date": "2024-05-01", "genre": "rally",
                                         "content": SPEECH}])
    assert "(Applause.)" not in read_corpus(m, CorpusConfig(transcript_genres=("rally",)))[0].paragraphs["text"].iloc[1]


def test_a_long_line_is_never_a_heading(tmp_path):
    from tests.conftest import write_manifest

    long_line = " ".join(["the people"] * 50) + " —"          # 100 words, no full stop
    text = f"Speech At The Opening\n\n{long_line}\n\nWe opened the session.\n"
    m = write_manifest(tmp_path / "c", [{"doc_id": "s-2024", "date": "2024-01-01", "content": text}])
    c, _ = read_corpus(m)
    assert c.paragraphs["kind"].tolist() == ["heading", "body", "body"]
    heading_rows = c.cleaning_log.query("rule == 'heading'")
    assert heading_rows["line"].tolist() == [1] and "(4 words, no final punctuation" in heading_rows["changed"].iloc[0]
    # the cap is a setting: at 3 words the title is body text too
    c, _ = read_corpus(m, CorpusConfig(heading_max_words=3))
    assert c.paragraphs["kind"].tolist() == ["body", "body", "body"]


def test_blank_line_segmentation_joins_the_lines_of_a_paragraph(tmp_path):
    from tests.conftest import write_manifest

    text = ("The Court's Report\n\nThe court heard many cases\nin the year and protected\nminors.\n\n\n"
            "It punished fraud.\nIt served enterprises.\n\nBack to top\n")
    m = write_manifest(tmp_path / "c", [{"doc_id": "b-2024", "date": "2024-01-01", "segmentation": "blank",
                                         "content": text}])
    c, line_maps = read_corpus(m)
    p = c.paragraphs
    assert p[["kind", "line_start", "line_end", "text"]].values.tolist() == [
        ["heading", 1, 1, "The Court's Report"],
        ["body", 3, 5, "The court heard many cases in the year and protected minors."],
        ["body", 8, 9, "It punished fraud. It served enterprises."],
        ["boilerplate", 11, 11, "Back to top"]]
    assert c.cleaning_log.query("rule == 'blank_block'")["line"].tolist() == [4, 5, 9]
    assert line_maps[("b-2024", 3)] == ((0, 8), (19, 9))     # character offset -> source line
    # the same file in line mode: every line a paragraph
    m = write_manifest(tmp_path / "d", [{"doc_id": "b-2024", "date": "2024-01-01", "content": text}])
    assert len(read_corpus(m)[0].paragraphs) > 4


REFRAIN = "We will stand together with every family and every worker until the job is done in this land."


def test_duplicates_limited_to_a_repeated_lead_or_block(tmp_path):
    from tests.conftest import write_manifest

    lead = ["The court heard 1,200 cases of fraud in the year and returned the money to the victims at once.",
            "It protected minors in schools and homes, and punished the people who harmed them in every town."]
    body = ["Roads were paved across the northern provinces, linking remote villages to markets.",
            "Teachers received higher salaries; rural schools gained libraries and laboratories.",
            "Hospitals opened emergency wards staffed around the clock by trained nurses.",
            "Farmers got cheaper credit, crop insurance and new irrigation channels.",
            "Pensions rose faster than prices for the third consecutive year.",
            "Factories cut emissions after inspectors enforced stricter limits."]
    text = "\n".join([*lead, body[0], REFRAIN, body[1], "Yes, we can.", body[2], REFRAIN, body[3],
                      "Yes, we can.", *lead, body[4], REFRAIN, body[5]]) + "\n"
    m = write_manifest(tmp_path / "c", [{"doc_id": "d-2024", "date": "2024-01-01", "content": text}])
    c, _ = read_corpus(m)
    texts = c.paragraphs["text"].tolist()
    assert texts.count(REFRAIN) == 3 and texts.count("Yes, we can.") == 2    # refrains stay
    assert texts.count(lead[0]) == 1 and texts.count(lead[1]) == 1           # the repeated block goes
    dropped = c.cleaning_log.query("rule == 'exact_duplicate'")
    assert dropped["line"].tolist() == [11, 12]
    # scope "document" (the old rule) drops every repeat, refrains included
    c, _ = read_corpus(m, CorpusConfig(duplicate_scope="document"))
    assert c.paragraphs["text"].tolist().count(REFRAIN) == 1
    assert c.paragraphs["text"].tolist().count("Yes, we can.") == 1


def test_a_document_without_body_is_left_out_and_the_run_goes_on(tmp_path, capsys):
    from analysis.cli import main
    from tests.conftest import write_manifest

    m = write_manifest(tmp_path / "c", [
        {"doc_id": "good-2020", "date": "2020-01-01", "content": "The court protected minors and the environment.\n"},
        {"doc_id": "hollow-2021", "date": "2021-01-01", "content": "Table Of Contents\n\nBack to top\n"}])
    with pytest.warns(CorpusWarning, match=r"hollow-2021\.txt: document 'hollow-2021' has no body or list paragraph "
                                           r"after cleaning \(1 heading, 1 boilerplate\); left out"):
        c, _ = read_corpus(m)
    assert c.documents["doc_id"].tolist() == ["good-2020"]
    assert set(c.paragraphs["doc_id"]) == {"good-2020"}
    assert c.cleaning_log.query("rule == 'no_paragraph'")["doc_id"].tolist() == ["hollow-2021"]
    assert main(["corpus", "--manifest", str(m), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if "warning" in line] == [
        f"analysis: warning: {tmp_path / 'c' / 'hollow-2021.txt'}: document 'hollow-2021' has no body or list "
        "paragraph after cleaning (1 heading, 1 boilerplate); left out of the corpus"]
    log = pd.read_csv(tmp_path / "out" / "cleaning_log.csv")
    assert "no_paragraph" in set(log["rule"])
    # an empty file is still an error
    m = write_manifest(tmp_path / "d", [
        {"doc_id": "good-2020", "date": "2020-01-01", "content": "The court protected minors.\n"},
        {"doc_id": "empty-2021", "date": "2021-01-01", "content": "\n\n"}])
    with pytest.raises(CorpusError, match=r"empty-2021\.txt: the document is empty"):
        read_corpus(m)


# ----------------------------------------------------------------- vocabularies


def test_vocabularies_come_from_the_config(tmp_path):
    from tests.conftest import write_manifest

    docs = [{"doc_id": "a-2020", "date": "2020-01-01", "content": "The court protected minors.\n",
             "translation": "think_tank", "genre": "speech", "party": "CPC"}]
    m = write_manifest(tmp_path / "c", docs, columns=("party",))
    with pytest.raises(CorpusError, match=r"manifest\.csv:2: field 'translation' is 'think_tank'; expected one of "
                                          r"'official', 'machine', 'news' \(config corpus\.translations\)"):
        read_manifest(m)
    table = read_manifest(m, CorpusConfig(translations=()))                 # empty = any value
    assert table["party"].tolist() == ["CPC"]                                # extra columns pass through
    config = CorpusConfig(translations=("official", "think_tank"), genres=("report", "speeches"))
    with pytest.raises(CorpusError, match=r"manifest\.csv:2: field 'genre' is 'speech'; expected one of "
                                          r"'report', 'speeches' \(config corpus\.genres\)"):
        read_manifest(m, config)
    config = CorpusConfig(translations=(), vocabularies={"party": ["KMT", "DPP"]})
    with pytest.raises(CorpusError, match=r"manifest\.csv:2: field 'party' is 'CPC'; expected one of 'KMT', 'DPP' "
                                          r"\(config corpus\.vocabularies\.party\)"):
        read_manifest(m, config)
    with pytest.raises(CorpusError, match=r"manifest\.csv:1: config corpus\.vocabularies names column\(s\) region"):
        read_manifest(m, CorpusConfig(translations=(), vocabularies={"region": ["north"]}))
    c, _ = read_corpus(m, CorpusConfig(translations=(), vocabularies={"party": ["CPC"]}))
    assert c.documents["party"].tolist() == ["CPC"]


@pytest.mark.parametrize("settings, message", [
    ({"translations": "official"}, r"corpus\.translations must be a list of distinct non-empty strings"),
    ({"genres": ["a", "a"]}, r"corpus\.genres must be a list of distinct"),
    ({"vocabularies": {"genre": ["x"]}}, r"corpus\.vocabularies\.genre must be a manifest column other than"),
    ({"duplicate_scope": "everywhere"}, r"corpus\.duplicate_scope must be one of 'block', 'document'"),
    ({"heading_max_words": 0}, r"corpus\.heading_max_words must be an integer >= 1"),
])
def test_corpus_config_checks(settings, message):
    from analysis.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        CorpusConfig(**settings)


def test_a_left_out_document_is_reported_again_from_the_cache(tmp_path, capsys):
    from analysis.cli import main
    from tests.conftest import write_manifest

    m = write_manifest(tmp_path / "c", [
        {"doc_id": "good-2020", "date": "2020-01-01", "content": "The court protected minors and the environment.\n"},
        {"doc_id": "hollow-2021", "date": "2021-01-01", "content": "Table Of Contents\n"}])
    for run in ("built", "cached"):
        assert main(["corpus", "--manifest", str(m), "--out", str(tmp_path / run),
                     "--cache", str(tmp_path / "cache")]) == 0
        err = capsys.readouterr().err
        assert err.count("analysis: warning:") == 1 and "'hollow-2021'" in err, run
    assert any((tmp_path / "cache").iterdir())


# ----------------------------------------------------------------- text the tokeniser cannot read


def test_document_outside_latin_script_is_warned_and_logged_and_kept_whole(tmp_path):
    from analysis.errors import AnalysisWarning

    russian = ("Генеральная прокуратура провела проверку в 2023 году.\n\n"
               "Прокуроры защищали права граждан в 2023 году.\n\n***\n\n***\n\nСуды рассмотрели дела.\n")
    m = write_corpus(tmp_path, {"en-2020": ("2020-01-02", "We supervised trials and protected enterprises.\n"),
                                "ru-2021": ("2021-01-02", russian)})
    with pytest.warns(AnalysisWarning, match=r"ru-2021\.txt:1: document 'ru-2021': 100% of the letters .*CYRILLIC"):
        corpus, _ = read_corpus(m)
    log = corpus.cleaning_log
    assert log[log["rule"] == "script"]["doc_id"].tolist() == ["ru-2021"]
    ru = corpus.paragraphs[corpus.paragraphs["doc_id"] == "ru-2021"]
    # different Russian lines sharing only "2023", and lines without any word, are not "repeats"
    assert ru["line_start"].tolist() == [1, 3, 5, 7, 9]
    assert not log["rule"].isin(["exact_duplicate", "near_duplicate"]).any()


def test_a_real_repeat_in_another_script_is_still_dropped(tmp_path):
    text = "Прокуроры защищали права граждан.\n\nПрокуроры защищали права граждан.\n\nWe supervised trials.\n"
    m = write_corpus(tmp_path, {"ru-2021": ("2021-01-02", text)})
    with pytest.warns(Warning):
        corpus, _ = read_corpus(m, CorpusConfig(duplicate_scope="document"))
    assert corpus.cleaning_log.query("rule == 'exact_duplicate'")["line"].tolist() == [3]


def test_form_feed_and_line_separators_keep_sed_line_numbers(tmp_path):
    text = ("Page one holds the first finding of the procuratorate.\f\n"
            "\fPage two holds a second, different finding on trials.\n"
            "A third\u2028finding\x00 about enterprises follows here.\n")
    m = write_corpus(tmp_path, {"a-2020": ("2020-01-02", text)})
    corpus, _ = read_corpus(m)
    paras = corpus.paragraphs
    assert paras[["line_start", "line_end"]].values.tolist() == [[1, 1], [2, 2], [3, 3]]
    assert paras["text"].iloc[2] == "A third finding about enterprises follows here."
    log = corpus.cleaning_log
    assert log.query("rule == 'line_separator'")["line"].tolist() == [1, 2, 3]
    assert log.query("rule == 'control_character'")["line"].tolist() == [3]


def test_script_warning_also_from_the_cache(tmp_path):
    from analysis.errors import AnalysisWarning
    from analysis.tokens import load_corpus

    m = write_corpus(tmp_path / "c", {"ru-2021": ("2021-01-02", "Суды рассмотрели дела. We supervised trials.\n")})
    for _ in range(2):      # built, then read back from the cache: the same warning
        with pytest.warns(AnalysisWarning, match=r"ru-2021\.txt:1: document 'ru-2021'"):
            load_corpus(m, cache=tmp_path / "cache")
