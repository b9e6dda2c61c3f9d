"""Tests of `analysis.discourse`: hand-worked statistics, nltk cross-checks, planted answers, KWIC
tables on tiny texts, and invariants on the seed corpus."""
from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from nltk.metrics.association import BigramAssocMeasures, TrigramAssocMeasures
from scipy import stats

import analysis
import analysis.config
from analysis import discourse
from analysis.cli import main
from analysis.config import Config, DiscourseConfig, TokensConfig
from analysis.errors import ConfigError, CorpusError
from analysis.tokens import tokenize
from tests.conftest import write_corpus

NO_PHRASES = Config(tokens=TokensConfig(phrases=False))


def make_tokens(texts: dict[tuple[str, int], str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tokenise hand-made paragraphs ((doc_id, para_id) -> text); each paragraph on line 10 * para_id."""
    paragraphs = pd.DataFrame([{"doc_id": d, "para_id": p, "kind": "body", "line_start": 10 * p, "text": t}
                               for (d, p), t in texts.items()])
    paragraphs["para_id"] = paragraphs["para_id"].astype("int64")
    paragraphs["line_start"] = paragraphs["line_start"].astype("int64")
    tokens, sentences, _ = tokenize(paragraphs, config=TokensConfig(phrases=False))
    return tokens, sentences, paragraphs


# ----------------------------------------------------------------------------- keyness: statistics

def test_keyness_statistics_hand_worked_2x2():
    # a = 10 of n1 = 1000 tokens in the target, b = 20 of n2 = 4000 in the reference; N = 5000.
    # Expected: E1 = 1000 * 30 / 5000 = 6, E2 = 4000 * 30 / 5000 = 24,
    #           E3 = 1000 * 4970 / 5000 = 994, E4 = 4000 * 4970 / 5000 = 3976 (observed 990, 3980).
    g2 = 2 * (10 * math.log(10 / 6) + 20 * math.log(20 / 24) + 990 * math.log(990 / 994)
              + 3980 * math.log(3980 / 3976))                       # = 2.943791...
    chi2 = 4 ** 2 / 6 + 4 ** 2 / 24 + 4 ** 2 / 994 + 4 ** 2 / 3976   # = 3.353454...
    # log ratio = log2((10 / 1000) / (20 / 4000)) = log2(2) = 1; SE (ln) = sqrt(1/10 + 1/20)
    half = 1.959963984540054 * math.sqrt(0.15) / math.log(2)       # = 1.095137
    row = discourse.keyness_statistics([10], [20], 1000, 4000).iloc[0]
    assert row["expected_target"] == pytest.approx(6)
    assert row["expected_reference"] == pytest.approx(24)
    assert row["g2"] == pytest.approx(g2, rel=1e-12)
    assert row["g2"] == pytest.approx(2.943791214313115, rel=1e-9)
    assert row["chi2"] == pytest.approx(chi2, rel=1e-12)
    assert row["chi2"] == pytest.approx(3.3534540576794094, rel=1e-9)
    assert row["p"] == pytest.approx(stats.chi2.sf(g2, 1))
    assert row["log_ratio"] == pytest.approx(1.0)
    assert row["log_ratio_ci_low"] == pytest.approx(1 - half)
    assert row["log_ratio_ci_high"] == pytest.approx(1 + half)
    # scipy's G-test of the same table agrees
    g_scipy = stats.chi2_contingency([[10, 20], [990, 3980]], correction=False, lambda_="log-likelihood")[0]
    assert row["g2"] == pytest.approx(g_scipy)


def test_keyness_statistics_zero_count_uses_correction():
    row = discourse.keyness_statistics([0], [10], 1000, 1000, zero_correction=0.5).iloc[0]
    assert row["log_ratio"] == pytest.approx(math.log2(0.5 / 10))
    assert np.isfinite(row["g2"]) and row["g2"] > 0
    half = 1.959963984540054 * math.sqrt(1 / 0.5 + 1 / 10) / math.log(2)
    assert row["log_ratio_ci_high"] - row["log_ratio"] == pytest.approx(half)


# ----------------------------------------------------------------------------- keyness: planted answer

ISSUERS = {
    "alpha-2020": ("2020-01-01", ["tiger", "lion", "leopard"]),
    "beta-2021": ("2021-01-01", ["apple", "pear", "plum"]),
    "gamma-2022": ("2022-01-01", ["river", "lake", "ocean"]),
}


SHARED = ["court", "judge", "witness", "verdict", "clerk", "lawyer", "jury", "bailiff"]


@pytest.fixture(scope="module")
def issuers(tmp_path_factory):
    """Three issuers with disjoint vocabularies plus shared words used equally often.

    Own words per document: first word 5 times (paragraphs 1, 3, 4, 6, 7), second 6, third 5."""
    docs = {}
    for doc_id, (date, words) in ISSUERS.items():
        # short, distinct paragraphs (so cleaning keeps them all); the shared word differs per paragraph
        paragraphs = [f"The {shared} saw the {words[k % 3]} and the {words[(k + 1) % 3]}."
                      for k, shared in enumerate(SHARED)]
        docs[doc_id] = (date, "\n\n".join(paragraphs) + "\n")
    manifest = write_corpus(tmp_path_factory.mktemp("issuers"), docs)
    return analysis.load_corpus(manifest, NO_PHRASES), manifest


@pytest.mark.parametrize("doc_id", sorted(ISSUERS))
def test_keyness_planted_issuers_rank_own_words_first(issuers, doc_id):
    corpus, _ = issuers
    table = discourse.keyness(corpus.tokens, corpus.documents, f"doc_id={doc_id}", "rest",
                              DiscourseConfig(min_freq=2))
    own = ISSUERS[doc_id][1]
    assert set(table["term"].head(3)) == set(own)
    assert (table.head(3)["key_for"] == "target").all()
    assert (table.head(3)["freq_reference"] == 0).all()
    assert table.set_index("term").loc[own, "freq_target"].tolist() == [5, 6, 5]
    assert table.set_index("term").loc[own, "para_target"].tolist() == [5, 6, 5]
    assert (table.head(3)["docs_target"] == 1).all()
    others = {w for d, (_, ws) in ISSUERS.items() if d != doc_id for w in ws}
    rows = table.set_index("term")
    assert (rows.loc[sorted(others), "key_for"] == "reference").all()
    # the shared words are used at the same rate everywhere: not key
    assert rows.loc["court", "g2"] == pytest.approx(0, abs=1e-9)
    assert rows.loc["court", "p_adj"] == pytest.approx(1)
    assert rows.loc["court", "docs_reference"] == 2
    # totals count every word token, stop words included
    assert table["n_target"].iloc[0] == int(corpus.documents.set_index("doc_id").loc[doc_id, "n_tokens"])
    assert table["n_target"].iloc[0] + table["n_reference"].iloc[0] == len(corpus.tokens)


def test_keyness_filters_and_sorting(issuers):
    corpus, _ = issuers
    both = discourse.keyness(corpus.tokens, corpus.documents, "doc_id=alpha-2020")
    assert (np.diff(both["g2"].to_numpy()) <= 1e-12).all()
    assert (both["p_adj"] >= both["p"] - 1e-15).all()
    strong = discourse.keyness(corpus.tokens, corpus.documents, "doc_id=alpha-2020", min_abs_log_ratio=1,
                               max_p_adj=0.05)
    assert set(strong["term"]) <= set(both["term"])
    assert (strong["log_ratio"].abs() >= 1).all() and (strong["p_adj"] <= 0.05).all()
    # p_adj is computed over all terms tested, before filtering
    assert strong.set_index("term")["p_adj"].equals(both.set_index("term").loc[strong["term"], "p_adj"])
    ref_only = discourse.keyness(corpus.tokens, corpus.documents, "doc_id=alpha-2020", key_for="reference",
                                 sort="log_ratio")
    assert (ref_only["key_for"] == "reference").all()
    assert (np.diff(ref_only["log_ratio"].to_numpy()) <= 1e-12).all()
    # OR within a field, AND across fields
    two = discourse.keyness(corpus.tokens, corpus.documents, ["doc_id=alpha-2020", "doc_id=beta-2021"],
                            "doc_id=gamma-2022")
    assert set(two[two["key_for"] == "reference"]["term"].head(3)) == {"river", "lake", "ocean"}
    and_ = discourse.keyness(corpus.tokens, corpus.documents, ["year=2020", "doc_id=alpha-2020"])
    assert and_["n_target"].iloc[0] == both["n_target"].iloc[0]


def test_keyness_max_para_share_drops_terms_one_paragraph_carries():
    tokens, _, _ = make_tokens({
        ("a", 1): "zebra zebra zebra zebra zebra zebra court.", ("a", 2): "court judge court.",
        ("b", 1): "court judge judge court.", ("b", 2): "court judge.",
    })
    documents = pd.DataFrame({"doc_id": ["a", "b"], "year": [2020, 2021]})
    config = DiscourseConfig(min_freq=1)
    assert "zebra" in set(discourse.keyness(tokens, documents, "doc_id=a", config=config)["term"])
    capped = discourse.keyness(tokens, documents, "doc_id=a", config=DiscourseConfig(min_freq=1, max_para_share=0.5))
    assert "zebra" not in set(capped["term"])
    assert set(capped["term"]) == {"court", "judge"}
    assert capped.set_index("term").loc["court", "max_para_share"] == pytest.approx(2 / 6)


def test_keyness_errors(issuers):
    corpus, _ = issuers
    tokens, documents = corpus.tokens, corpus.documents
    with pytest.raises(ConfigError, match=r"target color=\.\.\.: unknown field 'color'; allowed: doc_id"):
        discourse.keyness(tokens, documents, "color=red")
    with pytest.raises(ConfigError, match=r"reference genre=novel: no document has genre 'novel'; values: report"):
        discourse.keyness(tokens, documents, "doc_id=alpha-2020", "genre=novel")
    with pytest.raises(ConfigError, match=r"keyness: target 'doc_id': expected FIELD=VALUE"):
        discourse.keyness(tokens, documents, "doc_id")
    with pytest.raises(ConfigError, match=r"reference rest: the reference group has no analysed paragraph"):
        discourse.keyness(tokens, documents, "genre=report", "rest")
    with pytest.raises(ConfigError, match=r"reference doc_id=alpha-2020: the reference group has no analysed"):
        discourse.keyness(tokens, documents, "doc_id=alpha-2020", "doc_id=alpha-2020")
    ghost = pd.concat([documents, documents.iloc[[0]].assign(doc_id="ghost-2023")], ignore_index=True)
    with pytest.raises(ConfigError, match=r"target doc_id=ghost-2023: the target group has no analysed paragraph"):
        discourse.keyness(tokens, ghost, "doc_id=ghost-2023")
    with pytest.raises(ConfigError, match=r"no term occurs at least min_freq=1000"):
        discourse.keyness(tokens, documents, "doc_id=alpha-2020", config=DiscourseConfig(min_freq=1000))
    with pytest.raises(ConfigError, match=r"discourse.max_para_share must be in \(0, 1\]; got 0"):
        DiscourseConfig(max_para_share=0)


@pytest.mark.corpus
def test_keyness_seeds_recomputed_from_reported_frequencies(corpus):
    table = discourse.keyness(corpus.tokens, corpus.documents, "doc_id=conference-2025", "doc_id=report-2023")
    assert list(table.columns[:10]) == ["term", "freq_target", "freq_reference", "n_target", "n_reference", "g2",
                                        "chi2", "p", "p_adj", "log_ratio"]
    n_tokens = corpus.documents.set_index("doc_id")["n_tokens"]
    assert (table["n_target"] == n_tokens["conference-2025"]).all()
    assert (table["n_reference"] == n_tokens["report-2023"]).all()
    for row in table.head(30).itertuples():
        g2 = stats.chi2_contingency([[row.freq_target, row.freq_reference],
                                     [row.n_target - row.freq_target, row.n_reference - row.freq_reference]],
                                    correction=False, lambda_="log-likelihood")[0]
        assert row.g2 == pytest.approx(g2, rel=1e-9)
        a = row.freq_target or 0.5
        b = row.freq_reference or 0.5
        assert row.log_ratio == pytest.approx(math.log2((a / row.n_target) / (b / row.n_reference)))
    assert table["p_adj"].to_numpy() == pytest.approx(
        stats.false_discovery_control(table["p"].to_numpy(), method="bh"))
    assert table["freq_target"].sum() <= table["n_target"].iloc[0]
    assert (table["freq_target"] + table["freq_reference"] >= DiscourseConfig().min_freq).all()
    assert table["term"].iloc[0] == "ying"      # the speaker of 2025, absent from the 2023 report


# ----------------------------------------------------------------------------- KWIC

NATO = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"


def test_kwic_whole_table_on_tiny_text():
    tokens, _, paragraphs = make_tokens({("t", 1): NATO, ("t", 2): "Delta, delta and echo."})
    table = discourse.kwic(tokens, paragraphs, "delta", window=3)
    expected = pd.DataFrame({
        "doc_id": ["t", "t", "t"], "para_id": [1, 2, 2], "line_start": [10, 20, 20],
        "left": ["alpha bravo charlie", "", "Delta,"],
        "match": ["delta", "Delta", "delta"],
        "right": ["echo foxtrot golf", ", delta and echo", "and echo"],     # the window ends at a token
        "line_end": [10, 20, 20], "token_start": [3, 0, 1], "token_end": [4, 1, 2]})
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)
    first = discourse.kwic(tokens, paragraphs, "alpha", window=2)
    assert first[["left", "match", "right"]].values.tolist() == [["", "alpha", "bravo charlie"]]
    last = discourse.kwic(tokens, paragraphs, "juliet", window=2)
    assert last[["left", "match", "right"]].values.tolist() == [["hotel india", "juliet", ""]]
    phrase = discourse.kwic(tokens, paragraphs, "delta echo", window=1)
    assert phrase[["para_id", "left", "match", "right", "token_start", "token_end"]].values.tolist() == [
        [1, "charlie", "delta echo", "foxtrot", 3, 5]]
    glob = discourse.kwic(tokens, paragraphs, "fox*", window=1)
    assert glob[["left", "match", "right"]].values.tolist() == [["echo", "foxtrot", "golf"]]
    # a phrase never crosses a paragraph edge ("juliet" ends paragraph 1, "Delta" starts 2)
    assert discourse.kwic(tokens, paragraphs, "juliet delta").empty
    # lemma or surface: a plural query finds the singular
    tokens2, _, paragraphs2 = make_tokens({("u", 1): "One measure and two measures were taken."})
    assert discourse.kwic(tokens2, paragraphs2, "measures")["match"].tolist() == ["measure", "measures"]


def test_kwic_errors():
    tokens, _, paragraphs = make_tokens({("t", 1): NATO})
    with pytest.raises(ConfigError, match=r"window must be an integer >= 1; got 0"):
        discourse.kwic(tokens, paragraphs, "delta", window=0)
    with pytest.raises(ConfigError, match=r"pattern '\.\.\.' has no word"):
        discourse.kwic(tokens, paragraphs, "...")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    text = re.sub("[\u201c\u201d]", '"', re.sub("[\u2018\u2019]", "'", text))
    return " ".join(text.split())


@pytest.mark.corpus
@pytest.mark.parametrize("pattern", ["supervis*", "Fengqiao Experience", "national security", "two safeguards",
                                     "public interest litigation", "Four Major Procuratorial Functions"])
def test_kwic_every_row_found_at_its_seed_line(corpus, pattern):
    table = discourse.kwic(corpus.tokens, corpus.paragraphs, pattern, window=6)
    assert len(table) > 0
    files = corpus.documents.set_index("doc_id")["file"]
    folder = corpus.manifest.parent
    lines = {d: (folder / f).read_text(encoding="utf-8").splitlines() for d, f in files.items()}
    for row in table.itertuples():
        source = _normalise(" ".join(lines[row.doc_id][row.line_start - 1:row.line_end]))
        assert _normalise(row.match) in source, (row.doc_id, row.line_start, row.match)
        assert _normalise(row.match).split()[0] in _normalise(lines[row.doc_id][row.line_start - 1])
        if pattern != "supervis*":
            assert len(_normalise(row.match).split()) == len(pattern.split())


# ----------------------------------------------------------------------------- collocations

@pytest.mark.corpus
@pytest.mark.parametrize("stream", ["term", "lemma"])
def test_bigram_measures_match_nltk(corpus, stream):
    table = discourse.collocations(corpus.tokens, 2, stream, min_count=2)
    assert len(table) > 50
    m = BigramAssocMeasures
    for row in pd.concat([table.head(40), table.tail(20)]).itertuples():
        marginals = (row.count, (row.freq_w1, row.freq_w2), row.n_stream)
        assert row.pmi == pytest.approx(m.pmi(*marginals), rel=1e-9)
        assert row.g2 == pytest.approx(m.likelihood_ratio(*marginals), rel=1e-9)
        assert row.t_score == pytest.approx(m.student_t(*marginals), rel=1e-9)
        assert row.dice == pytest.approx(m.dice(*marginals), rel=1e-12)
    assert (table["count"] >= 2).all()
    assert (np.diff(table["g2"].to_numpy()) <= 1e-9).all()


@pytest.mark.parametrize("marginals", [(3, (5, 4, 6), (40, 30, 50), 2000), (1, (1, 1, 1), (1, 73, 1), 2000),
                                       (10, (12, 11, 15), (30, 20, 40), 500)])
def test_trigram_measures_match_nltk(marginals):
    n_iii, (n_iix, n_ixi, n_xii), (n_ixx, n_xix, n_xxi), n = marginals
    got = discourse.trigram_association_measures(n_iii, n_iix, n_ixi, n_xii, n_ixx, n_xix, n_xxi, n)
    m = TrigramAssocMeasures
    assert float(got["pmi"]) == pytest.approx(m.pmi(*marginals), rel=1e-9)
    assert float(got["g2"]) == pytest.approx(m.likelihood_ratio(*marginals), rel=1e-6, abs=1e-9)
    assert float(got["t_score"]) == pytest.approx(m.student_t(*marginals), rel=1e-9)


def test_collocations_counts_stay_inside_sentences():
    tokens, _, _ = make_tokens({("t", 1): "Judge court judge court. Judge court ends. Court judge.",
                                ("t", 2): "Judge court."})
    table = discourse.collocations(tokens, 2, "term", min_count=1).set_index("ngram")
    # judge court: 2 + 1 (sentence 2) + 1 (paragraph 2); court judge: 1 + 1; "court judge" never across sentences
    assert table.loc["judge court", "count"] == 4
    assert table.loc["court judge", "count"] == 2
    assert table.loc["judge court", "freq_w1"] == 5 and table.loc["judge court", "freq_w2"] == 5
    assert table.loc["judge court", "n_stream"] == 11
    tri = discourse.collocations(tokens, 3, "term", min_count=1).set_index("ngram")
    assert tri.loc["judge court judge", "count"] == 1
    assert "court end court" not in tri.index


def test_collocates_window_counts_by_hand():
    tokens, _, _ = make_tokens({("t", 1): "apple pear plum fig apple kiwi.", ("t", 2): "pear apple."})
    table = discourse.collocates(tokens, "apple", window=1, min_count=1).set_index("collocate")
    # apple at 0 (right: pear), at 4 (left: fig, right: kiwi), paragraph 2 at 1 (left: pear)
    assert table.loc["pear", ["count", "left", "right"]].tolist() == [2, 1, 1]
    assert table.loc["fig", ["count", "left", "right"]].tolist() == [1, 1, 0]
    assert "plum" not in table.index
    assert table["window_slots"].iloc[0] == 4
    wide = discourse.collocates(tokens, "apple", window=2, min_count=1).set_index("collocate")
    # plum is two after the first apple and two before the second: one token, counted once
    assert wide.loc["plum", ["count", "left", "right"]].tolist() == [1, 1, 1]
    # slots: paragraph 1 positions {1, 2, 3, 5} (the apples are no slot), paragraph 2 the pear
    assert wide["window_slots"].iloc[0] == 5
    row = table.loc["fig"]
    assert row["pmi"] == pytest.approx(BigramAssocMeasures.pmi(1, (4, 1), row["n_stream"]))
    with pytest.raises(ConfigError, match=r"window must be an integer >= 1; got 0"):
        discourse.collocates(tokens, "apple", window=0)
    with pytest.raises(ConfigError, match=r"node 'mango': does not occur in the term stream"):
        discourse.collocates(tokens, "mango")


@pytest.mark.corpus
def test_collocates_of_multiword_node(corpus):
    table = discourse.collocates(corpus.tokens, "legal supervision", window=5)
    assert "strengthen" in set(table["collocate"].head(5))
    assert (table["count"] <= table["left"] + table["right"]).all()
    assert (table["count"] >= np.maximum(table["left"], table["right"])).all()


def _valid_tables(table: pd.DataFrame) -> bool:
    n = table["n_stream"]
    return bool((table["count"] <= table["freq_collocate"]).all() and (table["count"] <= table["window_slots"]).all()
                and (table["window_slots"] + table["freq_collocate"] - table["count"] <= n).all())


@pytest.mark.corpus
def test_collocate_counts_never_exceed_their_marginals_on_the_seeds(corpus):
    for node in ("supervision", "case", "legal supervision", "law"):
        table = discourse.collocates(corpus.tokens, node, window=5, min_count=1)
        assert _valid_tables(table), node
    # the committed network's third collocate of supervision (count 7 > frequency 6 before the fix)
    table = discourse.collocates(corpus.tokens, "supervision", window=5, min_count=1).set_index("collocate")
    if "consciously_accept" in table.index:
        assert table.loc["consciously_accept", "count"] <= table.loc["consciously_accept", "freq_collocate"]


def test_collocate_counts_never_exceed_their_marginals_on_random_text():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    words = ["apple", "pear", "plum", "fig", "kiwi"]

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.lists(st.sampled_from(words), min_size=1, max_size=25), min_size=1, max_size=4),
           st.integers(1, 4))
    def check(paragraphs, window):
        tokens, _, _ = make_tokens({("t", i + 1): " ".join(p) + "." for i, p in enumerate(paragraphs)})
        if "apple" not in set(tokens["term"]):
            return
        table = discourse.collocates(tokens, "apple", window=window, min_count=1)
        assert _valid_tables(table)
        # brute force: distinct non-node positions within `window` of an apple, per paragraph
        expected: dict[str, int] = {}
        for p in paragraphs:
            hit = {j for i, w in enumerate(p) if w == "apple" for j in range(i - window, i + window + 1)
                   if 0 <= j < len(p) and p[j] != "apple"}
            for j in hit:
                expected[p[j]] = expected.get(p[j], 0) + 1
        assert dict(zip(table["collocate"], table["count"])) == expected

    check()


# ----------------------------------------------------------------------------- formulations

@pytest.mark.corpus
def test_formulations_put_variants_together_across_official_and_xinhua(corpus):
    table = discourse.count_formulations(corpus.tokens, corpus.documents)
    assert list(table.columns[:5]) == ["formulation_id", "doc_id", "year", "count", "rate_per_10k"]
    counts = table.set_index(["formulation_id", "doc_id"])
    for fid in ("two_safeguards", "holistic_national_security", "four_major_functions", "case_to_procedure_ratio"):
        assert counts.loc[(fid, "report-2023"), "count"] >= 1, fid
        assert counts.loc[(fid, "report-2023-xinhua"), "count"] >= 1, fid
    assert counts.loc[("two_safeguards", "report-2023"), "variants"] == "Two Maintenances=3"
    assert "Two Safeguards" in counts.loc[("two_safeguards", "report-2023-xinhua"), "variants"]
    assert counts.loc[("holistic_national_security", "report-2023"), "variants"].startswith("holistic view")
    assert counts.loc[("holistic_national_security", "report-2023-xinhua"), "variants"].startswith("overall")
    assert set(counts.loc[("four_major_functions", "report-2023-xinhua"), "variants"].split("; ")) == \
        {"Four Procuratorates=1", "four major prosecutors=1"}
    n_tokens = corpus.documents.set_index("doc_id")["n_tokens"]
    assert (table["n_tokens"] == table["doc_id"].map(n_tokens)).all()
    assert table["rate_per_10k"].to_numpy() == pytest.approx(table["count"] / table["n_tokens"] * 1e4)
    assert len(table) == table["formulation_id"].nunique() * len(corpus.documents)


@pytest.mark.corpus
def test_formulation_where_column_points_at_a_match(corpus):
    formulations = discourse.read_formulations()
    matches = discourse.match_formulations(corpus.tokens, formulations)
    for row in formulations[formulations["where"] != ""].itertuples():
        doc_id, line = row.where.split(":")
        hit = matches[(matches["formulation_id"] == row.formulation_id) & (matches["doc_id"] == doc_id)
                      & (matches["line"] == int(line))]
        assert len(hit), f"formulations.csv:{row.row}: {row.variant!r} not found at {row.where}"


@pytest.mark.corpus
def test_first_appearances_and_concordance(corpus):
    first = discourse.first_appearances(corpus.tokens, corpus.documents).set_index("formulation_id")
    assert first.loc["two_safeguards", "doc_id"] == "opinions-2021"
    assert first.loc["two_safeguards", "line"] == 11
    # same date: the official report comes before its Xinhua version
    assert first.loc["four_major_functions", "doc_id"] == "report-2023"
    assert first.loc["four_major_functions", "line"] == 20
    rows = discourse.formulation_concordance(corpus.tokens, corpus.paragraphs, "two_safeguards", window=4)
    counts = discourse.count_formulations(corpus.tokens, corpus.documents)
    assert len(rows) == counts.loc[counts["formulation_id"] == "two_safeguards", "count"].sum()
    assert {m.lower() for m in rows["match"]} == {"two safeguards", "two maintenances"}
    by_year = discourse.formulations_by_year(counts, corpus.documents).set_index(["formulation_id", "year"])
    # the Xinhua version is left out of the per-year totals
    assert by_year.loc[("two_safeguards", 2023), "count"] == 3
    with pytest.raises(ConfigError, match=r"formulation_id 'nine_dragons': unknown formulation"):
        discourse.formulation_concordance(corpus.tokens, corpus.paragraphs, "nine_dragons")


def test_formulation_overlapping_variants_count_once():
    tokens, _, _ = make_tokens({("t", 1): "We applied the leniency system for pleading guilty and accepting "
                                          "punishment, pleading guilty and accepting punishment."})
    formulations = pd.DataFrame({"formulation_id": ["plea", "plea"], "variant": ["x", "y"],
                                 "lemmas": [("leniency", "system", "for", "plead", "guilty"),
                                            ("plead", "guilty", "and", "accept", "punishment")]})
    found = discourse.match_formulations(tokens, formulations)
    assert found["token"].tolist() == [3, 11]       # the second variant inside the first is not counted again


BAD_ROWS = {
    "missing column": ("formulation_id,category,canonical\nx,political,X\n",
                       r"bad\.csv:1: missing column\(s\) variant"),
    "empty variant": ("formulation_id,category,canonical,variant\nx,political,X,Two X\ny,political,Y,\n",
                      r"bad\.csv:3: field 'variant' is empty"),
    "bad category": ("formulation_id,category,canonical,variant\nx,politics,X,Two X\n",
                     r"bad\.csv:2: field 'category' is 'politics'; expected one of political"),
    "bad id": ("formulation_id,category,canonical,variant\nTwo X,political,X,Two X\n",
               r"bad\.csv:2: field 'formulation_id' is 'Two X'"),
    "inconsistent": ("formulation_id,category,canonical,variant\nx,political,X,Two X\nx,security,X,Two Xs\n",
                     r"bad\.csv:3: formulation 'x' has category/canonical 'security'/'X', but line 2"),
    "no words": ("formulation_id,category,canonical,variant\nx,political,X,2023\n",
                 r"bad\.csv:2: field 'variant' is '2023'; expected words"),
    "extra field": ("formulation_id,category,canonical,variant\nx,political,X,Two X,extra\n",
                    r"bad\.csv:2: more fields than the header"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_malformed_formulation_file(tmp_path, case):
    text, message = BAD_ROWS[case]
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        discourse.read_formulations(path)


def test_formulation_file_not_found(tmp_path):
    with pytest.raises(CorpusError, match=r"nope\.csv: formulation file not found"):
        discourse.read_formulations(tmp_path / "nope.csv")


def test_shipped_formulation_file_is_valid():
    formulations = discourse.read_formulations()
    assert formulations["formulation_id"].nunique() >= 35
    assert set(formulations["category"]) <= set(discourse.FORMULATION_CATEGORIES)
    assert {"two_safeguards", "fengqiao_experience", "holistic_national_security", "win_win"} <= \
        set(formulations["formulation_id"])


def test_discover_planted_numbered_slogan():
    tokens, _, paragraphs = make_tokens({
        ("t", 1): 'We upheld the "Five Guarantees" and the "Two Safeguards" in every county.',
        ("t", 2): 'The "Five Guarantees" policy and the Three Stricts Campaign were carried out.',
        ("t", 3): 'Judges praised the "grassroots first approach" here.',
        ("t", 4): 'Lawyers praised the "grassroots first approach" too.',
    })
    table = discourse.discover_formulations(paragraphs, tokens).set_index("key")
    assert table.loc["five guarantee", "kind"] == "numbered"
    assert table.loc["five guarantee", "count"] == 2
    assert table.loc["five guarantee", "first_where"] == "t:10"
    assert table.loc["three stricts campaign", "kind"] == "numbered"
    assert table.loc["grassroots first approach", "kind"] == "quoted"
    assert table.loc["grassroots first approach", "n_paragraphs"] == 2
    assert "two safeguard" not in table.index            # already in the list


@pytest.mark.corpus
def test_discover_on_seeds_lists_only_new_candidates(corpus):
    table = discourse.discover_formulations(corpus.paragraphs, corpus.tokens)
    assert "seven ban on public interest litigation prosecution" in set(table["key"])
    variants = [" ".join(v) for v in discourse.read_formulations()["lemmas"]]
    for key in table["key"]:
        assert not any(f" {v} " in f" {key} " for v in variants), key
    assert table["first_where"].str.match(r"^[a-z0-9-]+:\d+$").all()


# ----------------------------------------------------------------------------- lexical profile

def _mattr_loop(codes, window):
    return np.mean([len(set(codes[i:i + window])) / window for i in range(len(codes) - window + 1)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mattr_matches_a_plain_loop(seed):
    codes = np.random.default_rng(seed).integers(0, 40, size=300)
    assert discourse.mattr(codes, 50) == pytest.approx(_mattr_loop(codes, 50))
    assert discourse.mattr(codes[:30], 50) == pytest.approx(len(set(codes[:30])) / 30)


@pytest.mark.corpus
def test_lexical_profile_on_seeds(corpus):
    table = discourse.lexical_profile(corpus.tokens, corpus.sentences).set_index("doc_id")
    n_tokens = corpus.documents.set_index("doc_id")["n_tokens"]
    assert (table["n_tokens"] == n_tokens.reindex(table.index)).all()
    assert (table["mattr_window"] == 500).all()       # the 2025 conference has 1308 tokens
    conf = corpus.tokens[corpus.tokens["doc_id"] == "conference-2025"]
    codes = conf["lemma"].astype(str).to_numpy()
    assert table.loc["conference-2025", "mattr"] == pytest.approx(_mattr_loop(codes, 500))
    sentences = corpus.sentences[corpus.sentences["doc_id"] == "report-2023"]
    assert table.loc["report-2023", "mean_sentence_length"] == pytest.approx(sentences["n_tokens"].mean())
    assert ((table["mattr"] > table["ttr"]) & (table["mattr"] < 1)).all()


# ----------------------------------------------------------------------------- CLI

def test_cli_commands_write_csv_and_run_json(issuers, tmp_path, capsys):
    _, manifest = issuers
    out = tmp_path / "key.csv"
    assert main(["keyness", "--target", "doc_id=alpha-2020", "--reference", "rest", "--min-freq", "2",
                 "--out", str(out), "--manifest", str(manifest)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:10]) == ["term", "freq_target", "freq_reference", "n_target", "n_reference", "g2",
                                        "chi2", "p", "p_adj", "log_ratio"]
    assert (tmp_path / "key.csv.run.json").exists()
    assert main(["kwic", "lion", "--window", "2", "--manifest", str(manifest)]) == 0
    printed = capsys.readouterr().out
    assert "lion" in printed and "alpha-2020" in printed
    assert main(["formulations", "--out", str(tmp_path / "f.csv"), "--manifest", str(manifest)]) == 0
    assert list(pd.read_csv(tmp_path / "f.csv").columns[:5]) == ["formulation_id", "doc_id", "year", "count",
                                                                 "rate_per_10k"]
    assert main(["collocations", "--node", "lion", "--min-count", "1", "--out", str(tmp_path / "c.csv"),
                 "--manifest", str(manifest)]) == 0
    assert set(pd.read_csv(tmp_path / "c.csv")["collocate"]) >= {"tiger", "leopard"}
    assert main(["profile", "--window", "20", "--out", str(tmp_path / "p.csv"), "--manifest", str(manifest)]) == 0
    profile = pd.read_csv(tmp_path / "p.csv")
    assert profile["doc_id"].tolist() == sorted(ISSUERS) and (profile["mattr_window"] == 20).all()


def test_discourse_config_from_toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[discourse]\nmin_freq = 2\nmattr_window = 100\n", encoding="utf-8")
    config = analysis.config.load_config(path)
    assert config.discourse == DiscourseConfig(min_freq=2, mattr_window=100)
    path.write_text("[discourse]\nwindow = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"discourse.window must be >= 1; got 0"):
        analysis.config.load_config(path)


def test_cli_errors_print_one_line(issuers, tmp_path, capsys):
    _, manifest = issuers
    assert main(["kwic", "lion", "--window", "0", "--manifest", str(manifest)]) == 2
    assert capsys.readouterr().err.strip() == "analysis: error: --window must be an integer >= 1; got 0"
    assert main(["keyness", "--target", "year=1999", "--manifest", str(manifest)]) == 2
    assert "--target year=1999: no document has year '1999'" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("formulation_id,category,canonical,variant\nx,nope,X,Two X\n", encoding="utf-8")
    assert main(["formulations", "--file", str(bad), "--manifest", str(manifest)]) == 2
    assert "bad.csv:2: field 'category' is 'nope'" in capsys.readouterr().err


def test_keyness_counts_every_lemma_whether_or_not_it_sits_in_a_phrase(tmp_path):
    """One side says "President Obama", the other "Obama" alone; the unigram follows the raw counts."""
    fillers = ["taxes", "schools", "roads", "farms", "banks", "courts", "rivers", "towns", "ports", "mines",
               "forests", "bridges", "clinics", "markets"]
    blue = [f"President Obama spoke about {fillers[k]} and {fillers[(k + 3) % 14]} in the {fillers[(k + 7) % 14]} debate."
            for k in range(12)]
    red = [f"Obama was criticised over {fillers[k]} while {fillers[(k + 5) % 14]} waited for {fillers[(k + 9) % 14]}."
           for k in range(6)] + [f"Critics of {fillers[k]} met near the {fillers[(k + 2) % 14]} of {fillers[(k + 6) % 14]}."
                                 for k in range(6)]
    manifest = write_corpus(tmp_path / "speeches", {"blue-2012": ("2012-01-01", "\n\n".join(blue) + "\n"),
                                                    "red-2012": ("2012-02-01", "\n\n".join(red) + "\n")})
    corpus = analysis.load_corpus(manifest)                       # phrase detection on (the default)
    assert "president_obama" in set(corpus.tokens["term"].astype(str))
    table = discourse.keyness(corpus.tokens, corpus.documents, "doc_id=blue-2012", "doc_id=red-2012",
                              DiscourseConfig(min_freq=2)).set_index(["term", "kind"])
    raw = corpus.tokens.assign(lemma=corpus.tokens["lemma"].astype(str)).groupby("doc_id")["lemma"].apply(
        lambda s: int((s == "obama").sum()))
    row = table.loc[("obama", "lemma")]
    assert (row["freq_target"], row["freq_reference"]) == (raw["blue-2012"], raw["red-2012"]) == (12, 6)
    assert row["key_for"] == ("target" if 12 / row["n_target"] > 6 / row["n_reference"] else "reference")
    assert row["key_for"] == "target"
    assert table.loc[("president_obama", "phrase"), "freq_target"] == 12
    lemmas = discourse.keyness(corpus.tokens, corpus.documents, "doc_id=blue-2012", "doc_id=red-2012",
                               DiscourseConfig(min_freq=2), kinds=("lemma",))
    assert set(lemmas["kind"]) == {"lemma"}


def test_keyness_items_same_from_categorical_and_plain_string_columns(corpus):
    from analysis.discourse import keyterms
    cat = keyterms.keyness_items(corpus.tokens)
    plain = keyterms.keyness_items(corpus.tokens.astype({"lemma": object, "term": object}))
    assert (cat[0] != plain[0]).nnz == 0 and cat[1].equals(plain[1])
    assert list(cat[2]) == list(plain[2]) and list(cat[3]) == list(plain[3])
    # a stop word never counts as a lemma; a phrase row is a term with "_"
    assert not set(corpus.tokens.loc[corpus.tokens["stop"], "lemma"].astype(str)) & set(
        cat[2][(cat[3] == "lemma") & (np.asarray(cat[0].sum(axis=0)).ravel() > 0)]) - set(
        corpus.tokens.loc[~corpus.tokens["stop"], "lemma"].astype(str))
    assert all("_" in t for t in cat[2][cat[3] == "phrase"])
