"""Memory-lean paths (issue 23) against plain oracles: `group_rows`, `count_matrix` and `build_bag`
build the same arrays and tables as the int64 code they replace, on the seeds, a synthetic corpus
and random token tables."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

import analysis
from analysis import topics
from analysis.config import TopicsConfig
from analysis.query import count_matrix, group_rows

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synth import make_corpus  # noqa: E402


def oracle_group_rows(tokens: pd.DataFrame, by, mask=None):
    """The row of each token in its (sorted) group and the groups, by pandas groupby."""
    frame = tokens[list(by)] if mask is None else tokens[list(by)][mask]
    frame = frame.astype({c: object for c in by if isinstance(frame[c].dtype, pd.CategoricalDtype)})
    keys = frame.drop_duplicates().sort_values(list(by), ignore_index=True)
    row = frame.merge(keys.reset_index(), on=list(by), how="left")["index"].to_numpy(dtype=np.int64)
    return row, keys


def oracle_count_matrix(tokens: pd.DataFrame, by=("doc_id", "para_id"), column="term"):
    """The group x value count matrix, from Python strings and a dict of counts."""
    row, rows = oracle_group_rows(tokens, by)
    values = tokens[column].astype(object).to_numpy()
    keep = np.array([v == v and v != "" for v in values], dtype=bool)
    vocab = np.array(sorted(set(values[keep].tolist())), dtype=object).astype(str)
    col = pd.Index(vocab).get_indexer(values[keep])
    matrix = sparse.coo_matrix((np.ones(int(keep.sum()), dtype=np.int64), (row[keep], col)),
                               shape=(len(rows), len(vocab))).tocsr()
    matrix.sum_duplicates()
    return matrix, rows, vocab


def assert_same_matrix(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return analysis.load_corpus(make_corpus(tmp_path_factory.mktemp("synth"), 30_000))


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_count_matrix_and_group_rows_equal_the_oracle(which, corpus, synthetic):
    tokens = corpus.tokens if which == "seeds" else synthetic.tokens
    for column in ("term", "lemma"):
        matrix, rows, vocab = count_matrix(tokens, column=column)
        o_matrix, o_rows, o_vocab = oracle_count_matrix(tokens, column=column)
        assert_same_matrix(matrix, o_matrix)
        assert np.array_equal(vocab, o_vocab)
        assert rows.astype(object).equals(o_rows.astype(object))
    mask = ~tokens["stop"].to_numpy()
    for by in (("doc_id", "para_id"), ("doc_id",), ("doc_id", "para_id", "sent_id")):
        for m in (None, mask):
            row, keys = group_rows(tokens, by, m)
            o_row, o_keys = oracle_group_rows(tokens, by, m)
            assert row.dtype == np.int64 and np.array_equal(row, o_row)
            assert keys.astype(object).equals(o_keys.astype(object))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["b", "a", "c"]), st.integers(1, 4), st.sampled_from(["", "x", "y", "z"])),
                min_size=1, max_size=60))
def test_count_matrix_equals_the_oracle_on_random_tables(rows):
    doc, para, term = zip(*rows)
    tokens = pd.DataFrame({"doc_id": pd.Categorical(doc), "para_id": np.array(para, dtype=np.int32),
                           "term": pd.Categorical(term)})
    tokens = tokens.sort_values(["doc_id", "para_id"], kind="stable", ignore_index=True)
    matrix, groups, vocab = count_matrix(tokens)
    o_matrix, o_groups, o_vocab = oracle_count_matrix(tokens)
    assert_same_matrix(matrix, o_matrix)
    assert np.array_equal(vocab, o_vocab) and groups.astype(object).equals(o_groups.astype(object))


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_build_bag_equals_the_bag_of_the_term_lists(which, corpus, synthetic):
    """`build_bag` on the token table's int32 codes = `bag_from_texts` on plain Python term lists."""
    c = corpus if which == "seeds" else synthetic
    bag = topics.build_bag(c, TopicsConfig())
    terms = c.tokens[c.tokens["term"].astype(str) != ""]
    lists = terms.groupby(["doc_id", "para_id"], observed=True, sort=True)["term"].agg(lambda s: list(map(str, s)))
    lists.index = lists.index.set_levels(lists.index.levels[0].astype(str), level=0)
    lists = lists.sort_index()
    plain = topics.bag_from_texts(lists.tolist(), bag.paragraphs.drop(columns="n_terms").iloc[:0].reindex(
        range(len(lists))).assign(doc_id=lists.index.get_level_values(0), para_id=lists.index.get_level_values(1)),
        TopicsConfig())
    assert bag.bow == plain.bow and bag.texts == plain.texts and np.array_equal(bag.vocab, plain.vocab)
    assert_same_matrix(bag.matrix, plain.matrix)
    for field in ("dfs", "cfs", "num_docs", "num_pos", "num_nnz", "token2id"):
        assert getattr(bag.dictionary, field) == getattr(plain.dictionary, field), field



def test_memory_report_takes_the_largest_stage_peak_of_each_run():
    """`benchmarks/memory.py`: resetting VmHWM resets ru_maxrss too, so a run's peak is its largest stage peak."""
    import memory

    runs = [{"round": r, "size": "1M", "n_words": 1_000_000, "version": v, "stage": s, "wall_s": 1.0, "cpu_s": 1.0,
             "stage_peak_mib": peak, "rss_after_mib": peak - 10}
            for r in (1, 2) for v in ("before", "after")
            for s, peak in (("load_corpus", 300 + r), ("keyness", (500 if v == "before" else 400) + r), ("bag", 350))]
    report = memory.markdown(runs, {"command": "x", "commit": "c", "before": "b", "rounds": 2,
                                    "uptime_before": "u", "uptime_after": "u"})
    assert "before: process peak 502 MiB (501-502)" in report
    assert "after: process peak 402 MiB (401-402)" in report
    assert "| keyness | 502 (501-502) | 492 (491-492) | 402 (401-402) | 392 (391-392) |" in report


def oracle_keyness_items(tokens: pd.DataFrame):
    """The two-pass keyness matrix it replaces: `count_matrix` of lemmas and of phrases, stacked."""
    lemma = tokens["lemma"].astype(str).where(~tokens["stop"].to_numpy(dtype=bool), "")
    term = tokens["term"].astype(str)
    frame = tokens[["doc_id", "para_id"]].assign(_lemma=lemma.astype("category"),
                                                 _phrase=term.where(term.str.contains("_", regex=False), "").astype("category"))
    lemmas, rows, lemma_vocab = count_matrix(frame, column="_lemma")
    phrases, _, phrase_vocab = count_matrix(frame, column="_phrase")
    kind = np.r_[["lemma"] * len(lemma_vocab), ["phrase"] * len(phrase_vocab)].astype(object)
    return sparse.hstack([lemmas, phrases]).tocsr(), rows, np.r_[lemma_vocab, phrase_vocab].astype(str), kind


def assert_same_items(tokens: pd.DataFrame):
    from analysis.discourse.keyterms import keyness_items
    matrix, rows, vocab, kind = keyness_items(tokens)
    o_matrix, o_rows, o_vocab, o_kind = oracle_keyness_items(tokens)
    assert_same_matrix(matrix, o_matrix)
    assert matrix.has_canonical_format and matrix.indices.dtype == o_matrix.indices.dtype
    assert np.array_equal(vocab, o_vocab) and vocab.dtype == o_vocab.dtype and np.array_equal(kind, o_kind)
    assert rows.equals(o_rows)


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_keyness_items_in_one_pass_equal_the_two_count_matrices(which, corpus, synthetic):
    assert_same_items(corpus.tokens if which == "seeds" else synthetic.tokens)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["b", "a"]), st.integers(1, 3), st.sampled_from(["", "x", "y"]),
                          st.booleans(), st.sampled_from(["", "x", "x_y", "y_z"])), min_size=1, max_size=50))
def test_keyness_items_equal_the_two_count_matrices_on_random_tables(rows):
    doc, para, lemma, stop, term = zip(*rows)
    tokens = pd.DataFrame({"doc_id": list(doc), "para_id": np.array(para, dtype=np.int64),
                           "lemma": pd.Categorical(lemma), "stop": np.array(stop), "term": pd.Categorical(term)})
    assert_same_items(tokens.sort_values(["doc_id", "para_id"], kind="stable", ignore_index=True))


def oracle_stream(tokens: pd.DataFrame, stream: str):
    """`association._stream` as it was: int64 codes, keys and masks over every token."""
    values = tokens[stream].astype("category")
    codes = values.cat.codes.to_numpy().astype(np.int64)
    categories = np.asarray(values.cat.categories, dtype=object).astype(str)
    para_key = tokens["doc_id"].astype("category").cat.codes.to_numpy().astype(np.int64) * (1 << 32) + \
        tokens["para_id"].to_numpy().astype(np.int64)
    sent_key = para_key * 4096 + tokens["sent_id"].to_numpy().astype(np.int64)
    if stream == "term":
        keep = ~np.isin(codes, np.flatnonzero(categories == "")) & (codes >= 0)
        codes, para_key, sent_key = codes[keep], para_key[keep], sent_key[keep]
        used = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
        renumber = np.full(len(categories), -1, dtype=np.int64)
        renumber[used] = np.arange(len(used))
        codes, categories = renumber[codes], categories[used]
    return codes, categories, sent_key, para_key


def assert_same_stream(tokens: pd.DataFrame):
    from analysis.discourse.association import _stream
    for stream in ("term", "lemma"):
        got, want = _stream(tokens, stream, "collocations"), oracle_stream(tokens, stream)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_collocation_stream_equals_the_int64_stream(which, corpus, synthetic):
    assert_same_stream(corpus.tokens if which == "seeds" else synthetic.tokens)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["b", "a"]), st.integers(0, 3), st.integers(0, 2), st.sampled_from(["", "x", "y"]),
                          st.sampled_from(["", "x", "x_y"])), min_size=1, max_size=50))
def test_collocation_stream_equals_the_int64_stream_on_random_tables(rows):
    doc, para, sent, lemma, term = zip(*rows)
    assert_same_stream(pd.DataFrame({"doc_id": list(doc), "para_id": np.array(para, dtype=np.int64),
                                     "sent_id": np.array(sent, dtype=np.int64), "lemma": pd.Categorical(lemma),
                                     "term": pd.Categorical(term)}))


def oracle_match_lexicon(tokens: pd.DataFrame, lexicon) -> pd.DataFrame:
    """Longest match first, left to right, by a plain loop over each paragraph's lemma strings."""
    import fnmatch

    from analysis.query import GLOB
    ranked = sorted(lexicon.entries, key=lambda e: (-len(e.words), e.is_glob, e.order))
    lemmas = [None if v != v else str(v) for v in tokens["lemma"].astype(object)]

    import functools

    @functools.lru_cache(maxsize=None)
    def accepts(word, lemma):
        return lemma is not None and (fnmatch.fnmatchcase(lemma, word) if GLOB.search(word) else lemma == word)
    rows = []
    doc, para = tokens["doc_id"].astype(str).to_numpy(), tokens["para_id"].to_numpy()
    i, n = 0, len(tokens)
    while i < n:
        end = i
        while end < n and doc[end] == doc[i] and para[end] == para[i]:
            end += 1
        j = i
        while j < end:
            hit = next((e for e in ranked if j + len(e.words) <= end
                        and all(accepts(w, lemmas[j + k]) for k, w in enumerate(e.words))), None)
            if hit is None:
                j += 1
                continue
            rows.append((j, len(hit.words), hit.theme, hit.pattern))
            j += len(hit.words)
        i = end
    first = np.array([r[0] for r in rows], dtype=np.int64)
    size = np.array([r[1] for r in rows], dtype=np.int64)
    return pd.DataFrame({"doc_id": doc[first].astype(object), "para_id": para[first].astype("int64"),
                         "position": tokens["position"].to_numpy()[first].astype("int64"), "length": size,
                         "start": tokens["start"].to_numpy()[first].astype("int64"),
                         "end": tokens["end"].to_numpy()[first + size - 1].astype("int64"),
                         "line": tokens["line"].to_numpy()[first].astype("int64"),
                         "theme": [r[2] for r in rows], "entry": [r[3] for r in rows]})


@pytest.mark.parametrize("which", ["seeds", "synthetic", "plain strings"])
def test_match_lexicon_on_paragraph_cuts_equals_the_loop(which, corpus, synthetic):
    """`match_lexicon` (native-width lemma codes, paragraph ends looked up from the cuts) = a Python loop."""
    from analysis.themes import load_lexicon, match_lexicon
    tokens = synthetic.tokens if which == "synthetic" else corpus.tokens
    if which == "plain strings":
        tokens = tokens.astype({"doc_id": object, "lemma": object})
    lexicon = load_lexicon()
    got = match_lexicon(tokens, lexicon, warn_unmatched=False)
    pd.testing.assert_frame_equal(got, oracle_match_lexicon(tokens, lexicon))


def oracle_keyness_counts(tokens: pd.DataFrame, target_docs, reference_docs) -> pd.DataFrame:
    """Per item: sums, paragraphs, documents and the largest paragraph count, by pandas groupby on the cells."""
    counts, rows, vocab, kind = oracle_keyness_items(tokens)
    cells = counts.tocoo()
    docs = rows["doc_id"].astype(str).to_numpy()
    frame = pd.DataFrame({"item": cells.col, "count": cells.data, "doc": docs[cells.row]})
    frame["group"] = np.where(frame["doc"].isin(target_docs), "t", np.where(frame["doc"].isin(reference_docs), "r", ""))
    frame = frame[frame["group"] != ""]
    size = len(vocab)

    def per_item(series):
        return series.reindex(range(size), fill_value=0).to_numpy()
    g = {k: frame[frame["group"] == k].groupby("item") for k in "tr"}
    total = per_item(frame.groupby("item")["count"].sum()).astype(float)
    top = per_item(frame.groupby("item")["count"].max()).astype(float)
    group_docs = sorted(set(docs[np.isin(docs, reference_docs) & ~np.isin(docs, target_docs)]))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, top / total, 1.0)
    return pd.DataFrame({
        "term": vocab, "kind": kind, "freq_target": per_item(g["t"]["count"].sum()).astype(np.int64),
        "freq_reference": per_item(g["r"]["count"].sum()).astype(np.int64),
        "n_target": int(tokens["doc_id"].isin(target_docs).sum()), "n_reference": int(tokens["doc_id"].isin(group_docs).sum()),
        "para_target": per_item(g["t"].size()), "para_reference": per_item(g["r"].size()),
        "docs_target": per_item(g["t"]["doc"].nunique()), "docs_reference": per_item(g["r"]["doc"].nunique()),
        "max_para_share": share})


@pytest.mark.parametrize("which", ["seeds", "synthetic"])
def test_keyness_counts_with_int32_cells_equal_the_groupby(which, corpus, synthetic):
    from analysis.discourse.keyterms import keyness_counts, keyness_groups
    c = corpus if which == "seeds" else synthetic
    year = str(int(c.documents["year"].min()))
    target, reference = keyness_groups(c.documents, {"year": [year]}, "rest")
    got = keyness_counts(c.tokens, target, reference)
    want = oracle_keyness_counts(c.tokens, target, reference)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    for col in ("freq_target", "freq_reference", "para_target", "para_reference", "docs_target", "docs_reference"):
        assert got[col].dtype == np.int64
