"""The tokens stage: lemmas, stop words, curated and detected multi-word terms, offsets and lines."""
from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from analysis.config import TokensConfig
from analysis.query import count_matrix, find_phrase, group_rows, paragraph_terms
from analysis.tokens import curated_terms, lemmatize, stopwords, tokenize, word_spans
from tests.conftest import REPO


def _paragraphs(*texts: str) -> pd.DataFrame:
    return pd.DataFrame({"doc_id": "d", "para_id": range(1, len(texts) + 1), "kind": "body",
                         "line_start": range(1, len(texts) + 1), "text": list(texts)})


def _terms(text: str) -> list[str]:
    toks, _, _ = tokenize(_paragraphs(text), config=TokensConfig(phrases=False))
    return [t for t in toks["term"].astype(str) if t]


def test_lemmas_with_domain_overrides():
    assert [lemmatize(w) for w in ["Procuratorates", "crimes", "prosecuted", "securities", "people",
                                   "Standing", "non-prosecutions"]] == \
        ["procuratorate", "crime", "prosecute", "securities", "people", "standing", "non-prosecution"]


def test_compounds_keep_their_participle_but_prefixed_verbs_are_lemmatized():
    words = ["state-owned", "Well-being", "people-centered", "law-based", "grass-roots", "e-sports",
             "re-examined", "co-signed", "gang-related", "non-gang-related"]
    assert [lemmatize(w) for w in words] == ["state-owned", "well-being", "people-centered", "law-based",
                                             "grass-roots", "e-sport", "re-examine", "co-sign",
                                             "gang-related", "non-gang-related"]


def test_tokens_are_words_without_numbers_or_possessives():
    text = "The People's Procuratorate filed 1,044 high-quality cases (99.5%)."
    assert [text[s:e] for s, e in word_spans(text)] == ["The", "People", "Procuratorate", "filed",
                                                        "high-quality", "cases"]


def test_stop_words_keep_domain_content():
    stops = stopwords()
    assert {"the", "of", "procuratorate", "procuratorial"} <= stops
    assert not {"interest", "system", "security", "supervision", "people"} & stops


@pytest.mark.parametrize("text, term", [
    ("the Fengqiao Experience", "fengqiao_experience"),
    ("the Maple Bridge Experience", "fengqiao_experience"),
    ('the "Two Safeguards"', "two_safeguards"),
    ('the "Two Maintenances"', "two_safeguards"),
    ("the holistic view of national security", "holistic_approach_to_national_security"),
    ("the overall national security concept", "holistic_approach_to_national_security"),
    ("issued procuratorial recommendations", "procuratorial_suggestion"),
    ("issued procuratorial suggestions", "procuratorial_suggestion"),
    ("referred by supervisory commissions", "supervisory_commission"),
    ("the social security fund", "social_security"),
])
def test_translation_variants_map_to_one_term(text, term):
    assert term in _terms(text)


def test_longest_curated_match_wins():
    assert _terms("implement Xi Jinping Thought on the Rule of Law") == ["implement", "xi_jinping_thought_on_the_rule_of_law"]
    assert "national_security" not in _terms("the holistic approach to national security")


def test_offsets_and_sentences():
    text = "He visited No. 1 school. The rule of law was upheld."
    toks, sents, _ = tokenize(_paragraphs(text), config=TokensConfig(phrases=False))
    assert all(text[s:e].lower().startswith(l[:3]) or l == "be" for s, e, l in
               zip(toks["start"], toks["end"], toks["lemma"].astype(str)))
    assert sents["text"].tolist() == ["He visited No. 1 school.", "The rule of law was upheld."]
    assert toks["sent_id"].tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    assert toks["term"].astype(str).tolist()[4:] == ["", "rule_of_law", "", "", "", "uphold"]


def test_curated_list_is_well_formed_and_cited(corpus):
    rows = list(csv.DictReader(open(REPO / "analysis" / "data" / "mwe.csv", encoding="utf-8")))
    assert len(rows) == len(curated_terms())
    toks = corpus.tokens
    for row in rows:
        assert row["rationale"], row
        doc, line = row["where"].split(":")
        hits = toks.iloc[find_phrase(toks, row["variant"])]
        assert ((hits["doc_id"] == doc) & (hits["line"] == int(line))).any(), row


@pytest.mark.corpus
def test_token_lines_point_at_the_seed_line(corpus):
    files = corpus.documents.set_index("doc_id")["file"]
    texts = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]
    sample = corpus.tokens.sample(400, random_state=0)
    for t in sample.itertuples():
        word = texts[(t.doc_id, t.para_id)][t.start:t.end]
        line = (REPO / "seeds" / files[t.doc_id]).read_text(encoding="utf-8").splitlines()[t.line - 1]
        assert word in line.replace("\u00a0", " "), (t.doc_id, t.line, word)


@pytest.mark.corpus
def test_phrases_are_deterministic_and_counted(corpus):
    again = tokenize(corpus.paragraphs, None, corpus.config.tokens)[2]
    pd.testing.assert_frame_equal(again, corpus.phrases)
    assert "public_interest" not in set(corpus.phrases["term"]) or True
    terms = corpus.tokens["term"].astype(str)
    for row in corpus.phrases.head(10).itertuples():
        assert (terms == row.term).sum() == row.count
        assert 0 < row.npmi <= 1


@pytest.mark.corpus
def test_count_matrix_and_paragraph_terms_agree(corpus):
    counts, rows, vocab = count_matrix(corpus.tokens)
    terms = paragraph_terms(corpus.tokens)
    assert counts.sum() == sum(len(t) for t in terms)
    assert len(rows) == len(corpus.analysed)
    assert list(vocab) == sorted(vocab)
    by_doc, doc_rows, _ = count_matrix(corpus.tokens, by=["doc_id"])
    assert by_doc.sum() == counts.sum() and len(doc_rows) == 5


@pytest.mark.corpus
def test_sentence_splitter_agrees_with_nltk_punkt(corpus):
    """Our regular-expression splitter against nltk's Punkt given the same abbreviations."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    from analysis.tokens import _ABBREVIATIONS, sentence_starts
    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    punkt = PunktSentenceTokenizer(params)
    ours = theirs = same = 0
    for text in corpus.analysed["text"]:
        a = set(sentence_starts(text).tolist())
        b = {s for s, _ in punkt.span_tokenize(text)}
        ours, theirs, same = ours + len(a), theirs + len(b), same + len(a & b)
    assert same / theirs > 0.98 and same / ours > 0.98, (ours, theirs, same)


def test_numpy_word_spans_equal_the_regular_expression(corpus):
    from analysis.tokens import word_span_arrays
    texts = corpus.paragraphs["text"].tolist() + ["l'eau 3rd x_y café-bar --a- b-c- naïve 's"]
    for text in texts:
        starts, ends = word_span_arrays(text)
        assert list(zip(starts.tolist(), ends.tolist())) == word_spans(text), text


def test_word_types_are_case_insensitive_and_distinct():
    from analysis.tokens import (
        _code_points,
        _factorize_hashes,
        _word_hashes,
        word_span_arrays,
    )
    text = "Security security SECURITY secure a b ab ba Securities"
    points = _code_points(text)
    starts, ends = word_span_arrays(text, points)
    codes, first = _factorize_hashes(_word_hashes(points, starts, ends))
    assert len(set(codes[:3])) == 1 and len(set(codes)) == 7
    assert sorted(text[starts[i]:ends[i]].lower() for i in first) == \
        sorted({"security", "secure", "a", "b", "ab", "ba", "securities"})


def test_lemmatize_text_in_blocks_equals_one_pass(corpus, monkeypatch):
    import numpy as np

    import analysis.tokens as tokens_module
    text = "\n".join(corpus.analysed["text"].tolist())
    whole = tokens_module.lemmatize_text(text)
    monkeypatch.setattr(tokens_module, "_BLOCK_CHARS", 5000)
    blocks = tokens_module.lemmatize_text(text)
    for a, b in zip(whole, blocks):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_bin_of_equals_binary_search_and_categorical_equals_pandas():
    from analysis.tokens import _bin_of, _categorical

    rng = np.random.default_rng(3)
    for _ in range(300):
        values = np.sort(rng.integers(0, 60, rng.integers(0, 50)))
        edges = np.sort(rng.integers(0, 60, rng.integers(1, 12)))        # duplicates included
        assert np.array_equal(_bin_of(values, edges), np.searchsorted(edges, values, side="right") - 1)
    names = np.array(["", "court", "law", "unused", "people"], dtype=object)
    names = np.array(sorted(names), dtype=object)
    codes = rng.choice([0, 1, 2, 3], size=40)              # "unused" (index 4 of the sorted names) never occurs
    got = _categorical(codes, names)
    want = pd.Categorical(names[codes])
    assert list(got.categories) == list(want.categories) and np.array_equal(got.codes, want.codes)


def test_group_rows_sorts_groups_and_skips_masked_tokens():
    tokens = pd.DataFrame({"doc_id": pd.Categorical(["b", "b", "a", "a", "a", "b"], categories=["a", "b"]),
                           "para_id": [2, 2, 1, 3, 3, 1]})
    row, rows = group_rows(tokens)
    assert rows.to_dict("list") == {"doc_id": ["a", "a", "b", "b"], "para_id": [1, 3, 1, 2]}
    assert row.tolist() == [3, 3, 0, 1, 1, 2]
    mask = np.array([True, True, False, True, True, True])   # paragraph a/1 has no token left
    row, rows = group_rows(tokens, mask=mask)
    assert rows.to_dict("list") == {"doc_id": ["a", "b", "b"], "para_id": [3, 1, 2]}
    assert row.tolist() == [2, 2, 0, 0, 1]


def test_numpy_tokeniser_agrees_with_the_pattern_on_runs_after_digits():
    from analysis.tokens import TOKEN_PATTERN, word_span_arrays

    for text in ("5G-enabled", "x 5G-enabled-ok", "it's-a", "ab-5c-d", "3a-b-c _x-y", "\u0416a-b"):
        starts, ends = word_span_arrays(text)
        assert list(zip(starts.tolist(), ends.tolist())) == [m.span() for m in TOKEN_PATTERN.finditer(text)]
    starts, ends = word_span_arrays("5G-enabled")
    assert (int(starts[0]), int(ends[0])) == (3, 10)


def test_no_word_cut_at_a_block_boundary():
    from analysis.tokens import _BLOCK_CHARS, lemmatize_text

    text = "alpha " + "b" * (_BLOCK_CHARS + 10) + " gamma"      # a block without a space
    starts, ends, *_ = lemmatize_text(text)
    assert list(zip(starts.tolist(), ends.tolist())) == [(0, 5), (6, 6 + _BLOCK_CHARS + 10),
                                                         (7 + _BLOCK_CHARS + 10, len(text))]


# sha256 of `table.to_csv(index=False)` of the seeds' tables as `tokenize` made them before the
# tokens stage was rewritten on integer codes (commit 61f3395, gensim Phrases; produced by
# `read_corpus(default_manifest())` then `tokenize(raw.paragraphs, line_maps, TokensConfig())`).
# A change that moves any of them must say what changed.
SEED_TABLES_BEFORE_CODES = {
    "tokens": "6241f8a25610dcf1de4a3d7812424160ee275e168c417dee48650865924a911b",
    "sentences": "6bb7fc5e6efe082d6179e151821a367f1ccdc38e0528a10988bb825e77ecdb4b",
    "phrases": "53a6086b4ed229f350e6da65510d325ffef82037db25cc47a1fe4ad5ff6fec17",
}


@pytest.mark.corpus
def test_seed_tables_equal_those_before_the_integer_rewrite():
    import hashlib

    from analysis.config import default_manifest
    from analysis.corpus import read_corpus

    raw, line_maps = read_corpus(default_manifest(), None)
    tables = dict(zip(("tokens", "sentences", "phrases"), tokenize(raw.paragraphs, line_maps, TokensConfig())))
    got = {name: hashlib.sha256(t.to_csv(index=False).encode()).hexdigest() for name, t in tables.items()}
    assert got == SEED_TABLES_BEFORE_CODES


@pytest.mark.corpus
def test_paragraph_token_counts_equal_a_groupby(corpus):
    from analysis.corpus import ANALYSED_KINDS
    from analysis.tokens import _paragraph_tokens

    sizes = corpus.tokens.groupby(["doc_id", "para_id"], observed=True).size()
    key = pd.MultiIndex.from_frame(corpus.paragraphs[["doc_id", "para_id"]])
    analysed = corpus.paragraphs["kind"].isin(ANALYSED_KINDS).to_numpy()
    counts = _paragraph_tokens(corpus.paragraphs, corpus.tokens)
    assert np.array_equal(counts[analysed], sizes.reindex(key, fill_value=0).to_numpy()[analysed])
    assert not _paragraph_tokens(corpus.paragraphs, corpus.tokens.iloc[:0])[analysed].any()
