"""Tests of `analysis.topics`: planted topics, determinism, stability, FREX, kappa, errors, CLI."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis import cli
from analysis import topics as topics_pkg
from analysis.config import TopicsConfig
from analysis.errors import ConfigError, SchemaError
from analysis.topics import (
    OTHER,
    agreement,
    bag_from_texts,
    build_bag,
    completion_perplexity,
    fit_topics,
    frex,
    heldout_scores,
    lexicon_terms,
    match_topics,
    run_topics,
    seeded_eta,
    stability,
    topic_similarity,
    topic_theme_table,
)

#: A small seed lexicon for tests (the real one is issue 4's analysis/data/themes.yaml).
SEED_WORDS = {
    "security": ["national security", "terror*", "gang*", "fraud", "crime", "stability", "safe china"],
    "development": ["development", "enterprise*", "econom*", "intellectual property", "ecolog*", "financial"],
    "livelihood": ["minor*", "food", "wage*", "women", "elderly", "disabilit*", "personal information"],
    "supervision": ["legal supervision", "supervision", "protest*", "procuratorial suggestion*", "trial",
                    "public interest litigation"],
}
#: Fast settings for the seed corpus.
QUICK = TopicsConfig(k_values=(4, 6), n_seeds=2, passes=2, iterations=20, max_iter=5,
                     n_jobs=1)


@pytest.fixture(scope="module")
def seed_words():
    return SEED_WORDS


def planted_texts(seed: int, n_docs: int = 45) -> list[list[str]]:
    """Documents each drawn from one of three disjoint 3-word blocks (sklearn's planted-topic test)."""
    rng = np.random.default_rng(seed)
    blocks = [["a0", "a1", "a2"], ["b0", "b1", "b2"], ["c0", "c1", "c2"]]
    texts = []
    for d in range(n_docs):
        block = blocks[d % 3]
        texts.append([block[i] for i in rng.integers(0, 3, size=20)])
    return texts


@pytest.fixture(scope="module")
def planted_bag():
    return bag_from_texts(planted_texts(0), config=TopicsConfig(min_doc_count=1, max_doc_share=1.0))


@pytest.fixture(scope="module")
def quick_result(corpus, seed_words):
    return run_topics(corpus, QUICK, seed_words)


# ------------------------------------------------------------------ planted answers

@pytest.mark.parametrize("seed", [0, 1, 2, 99])
@pytest.mark.parametrize("model", ["gensim", "sklearn", "tomotopy"])
def test_planted_topics_are_recovered(planted_bag, model, seed):
    config = TopicsConfig(passes=20, iterations=100, max_iter=20, min_doc_count=1, max_doc_share=1.0)
    fit = fit_topics(planted_bag, model, 3, seed, config)
    blocks = set()
    for row in fit.topic_word:
        top = sorted(planted_bag.vocab[np.argsort(-row)[:3]])
        assert len({t[0] for t in top}) == 1, top  # the three top words share one block
        blocks.add(top[0][0])
    assert blocks == {"a", "b", "c"}
    assert np.allclose(fit.topic_word.sum(axis=1), 1) and np.allclose(fit.doc_topic.sum(axis=1), 1)
    # each document's dominant topic is the one of its block
    dominant = fit.doc_topic.argmax(axis=1)
    for d in range(3):
        assert len(set(dominant[d::3])) == 1


@pytest.mark.parametrize("seed", [0, 1, 2, 99])
def test_seeded_topics_follow_their_seed_words(planted_bag, seed):
    theme_terms = {"x": ["c0"], "y": ["a0"]}
    fit = fit_topics(planted_bag, "seeded", 3, seed, TopicsConfig(passes=20), theme_terms)
    assert fit.seeded_themes == ("x", "y")
    assert planted_bag.vocab[np.argmax(fit.topic_word[0])].startswith("c")
    assert planted_bag.vocab[np.argmax(fit.topic_word[1])].startswith("a")


def test_seeded_eta_prior():
    config = TopicsConfig(seed_weight=20.0, seed_other_factor=0.01)
    eta = seeded_eta(["a", "b", "c", "d"], {"x": ["a"], "y": ["b", "c"]}, 3, config)
    base = 1 / 3
    expected = np.array([[20, base / 100, base / 100, base],
                         [base / 100, 20, 20, base],
                         [base, base, base, base]])
    assert np.allclose(eta, expected)


def planted_lda(seed: int, k: int = 6, v: int = 200, n_docs: int = 300, length: int = 50):
    """An LDA corpus with known topics: topics ~ Dirichlet(0.05) over v words, shares ~ Dirichlet(0.3)."""
    rng = np.random.default_rng(seed)
    topics = rng.dirichlet(np.full(v, 0.05), size=k)
    vocab = np.array([f"w{i:03d}" for i in range(v)])
    texts = []
    for _ in range(n_docs):
        z = rng.choice(k, size=length, p=rng.dirichlet(np.full(k, 0.3)))
        texts.append([str(vocab[rng.choice(v, p=topics[t])]) for t in z])
    return texts, topics, vocab


def js_to_truth(fit, bag, topics, vocab) -> float:
    """Mean Jensen-Shannon distance (base 2) of the true topics to their Hungarian-matched fitted ones."""
    from scipy.spatial.distance import jensenshannon

    full = np.zeros((fit.k, len(vocab)))
    full[:, pd.Index(vocab).get_indexer(bag.vocab)] = fit.topic_word
    match = match_topics(topics, full)
    return float(np.mean([jensenshannon(topics[i], full[match[i]], base=2) for i in range(len(topics))]))


@pytest.fixture(scope="module")
def planted_distances():
    """Per model, the Jensen-Shannon distances to the truth of its default fits on planted K = 6 corpora
    (seeds 3, 5), computed on first use; scikit-learn's is the reference."""
    cache: dict[str, list[float]] = {}

    def distances(model: str) -> list[float]:
        if model not in cache:
            cache[model] = []
            for seed in (3, 5):
                texts, topics, vocab = planted_lda(seed)
                config = TopicsConfig(min_doc_count=1, max_doc_share=1.0)
                bag = bag_from_texts(texts, config=config)
                fit = fit_topics(bag, model, 6, seed, config)
                assert fit.converged and fit.n_passes > 0 and np.isfinite(fit.last_change), (model, seed)
                cache[model].append(js_to_truth(fit, bag, topics, vocab))
        return cache[model]
    return distances


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gensim", "tomotopy"])
def test_converged_engines_recover_planted_topics_as_well_as_sklearn(planted_distances, model):
    """Issue 18: at 5 passes gensim was 0.42 JS from the truth against scikit-learn's 0.26 (K = 6);
    converged, every engine is within 0.05 of scikit-learn's mean distance.

    Mean over planted corpora: one corpus can send either engine to a worse local optimum."""
    mine, reference = np.mean(planted_distances(model)), np.mean(planted_distances("sklearn"))
    assert mine <= reference + 0.05, (model, planted_distances(model), planted_distances("sklearn"))


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.parametrize("model, k", [("gensim", 4), ("sklearn", 4), ("seeded", 10)])
def test_seed_fits_that_hit_the_old_cap_converge_at_the_default_cap(corpus, model, k):
    """At the old cap of 200 passes these three fits of the default grid (second fit seed) stopped
    unconverged. gensim and scikit-learn at K 4 are in a slow second phase of learning (the step
    rises again after a quiet stretch) and meet the rule at pass 255, under the default cap of 500;
    the seeded fit meets it at pass 34 since its prior keeps its weight on every pass."""
    from analysis import themes
    from analysis.topics.seeding import theme_words

    config = TopicsConfig()
    bag = build_bag(corpus, config)
    theme_terms = lexicon_terms(theme_words(themes.load_lexicon()), bag.vocab) if model == "seeded" else None
    fit = fit_topics(bag, model, k, config.fit_seeds[1], config, theme_terms)
    assert fit.converged and fit.n_passes < min(config.passes, config.max_iter), fit.n_passes
    assert fit.last_change < config.tolerance


def test_sklearn_stepwise_loop_equals_sklearn_fit(planted_bag):
    """The stopping-rule loop runs scikit-learn's own EM steps: N steps = max_iter=N."""
    from sklearn.decomposition import LatentDirichletAllocation

    fit = fit_topics(planted_bag, "sklearn", 3, 5, TopicsConfig(max_iter=7, tolerance=0.0), warn=False)
    direct = LatentDirichletAllocation(n_components=3, learning_method="batch", max_iter=7, random_state=5)
    direct.fit(planted_bag.matrix.astype(float))
    assert np.allclose(fit.topic_word, direct.components_ / direct.components_.sum(axis=1, keepdims=True))
    assert fit.n_passes == 7 and not fit.converged


@pytest.mark.parametrize("seed", [0, 5])
def test_gensim_engine_is_batch_em_like_sklearn(planted_bag, seed):
    """Both are batch variational EM with priors 1 / K and the same gamma(100, 1/100) start: on this
    small corpus ten passes agree to rounding. (Before, gensim's repeated `update` scaled each pass's
    statistics by the pass count, so the prior shrank as 1 / pass and the two parted at pass 2.)"""
    config = TopicsConfig(passes=10, max_iter=10, tolerance=0.0)
    gensim_fit = fit_topics(planted_bag, "gensim", 3, seed, config, warn=False)
    sklearn_fit = fit_topics(planted_bag, "sklearn", 3, seed, config, warn=False)
    assert np.allclose(gensim_fit.topic_word, sklearn_fit.topic_word, rtol=0, atol=1e-12)
    assert np.allclose(gensim_fit.doc_topic, sklearn_fit.doc_topic, rtol=0, atol=1e-9)


def test_unconverged_fit_warns_and_says_so(planted_bag):
    with pytest.warns(UserWarning, match=r"1 topic fit\(s\) stopped unconverged: gensim k=3 seed=0 \(8 passes, last"):
        fit = fit_topics(planted_bag, "gensim", 3, 0, TopicsConfig(passes=8, tolerance=1e-12))
    assert not fit.converged and fit.n_passes == 8 and fit.last_change > 1e-12
    with pytest.warns(UserWarning, match=r"\(2 passes, too few to judge\)"):
        fit_topics(planted_bag, "gensim", 3, 0, TopicsConfig(passes=2))
    converged = fit_topics(planted_bag, "sklearn", 3, 0, TopicsConfig())
    assert converged.converged and converged.n_passes < TopicsConfig().max_iter


@pytest.mark.parametrize("seed", [0, 1, 42])
@pytest.mark.parametrize("model", ["gensim", "sklearn", "seeded", "tomotopy"])
def test_same_seed_same_numbers(planted_bag, model, seed):
    theme_terms = {"x": ["a0"]} if model == "seeded" else None
    heldout = bag_from_texts(planted_texts(9, 6), config=TopicsConfig(min_doc_count=1, max_doc_share=1.0))
    one = fit_topics(planted_bag, model, 3, seed, TopicsConfig(passes=2), theme_terms, warn=False)
    two = fit_topics(planted_bag, model, 3, seed, TopicsConfig(passes=2), theme_terms, warn=False)
    s1 = heldout_scores(planted_bag, heldout, model, 3, seed, TopicsConfig(passes=2), theme_terms)
    s2 = heldout_scores(planted_bag, heldout, model, 3, seed, TopicsConfig(passes=2), theme_terms)
    assert np.array_equal(one.topic_word, two.topic_word)
    assert np.array_equal(one.doc_topic, two.doc_topic)
    assert s1 == pytest.approx(s2, nan_ok=True)


def test_completion_perplexity_of_a_known_model():
    # one topic, uniform over 4 terms: every scored term has p = 1/4, so perplexity = 4
    topic_word = np.full((1, 4), 0.25)
    value = completion_perplexity(topic_word, lambda texts: np.ones((len(texts), 1)),
                                  [["a", "b", "c", "d"], ["a", "a", "b"]], ["a", "b", "c", "d"])
    assert value == pytest.approx(4.0)


# ------------------------------------------------------------------ stability

def test_run_matched_to_itself_has_similarity_one(planted_bag):
    fit = fit_topics(planted_bag, "sklearn", 3, 0, TopicsConfig())
    table = stability([fit, fit], threshold=0.5)
    assert np.allclose(table["similarity"], 1.0) and table["stable"].all()
    assert table["n_pairs"].eq(1).all()


def test_match_topics_recovers_a_permutation():
    rng = np.random.default_rng(3)
    topics = rng.dirichlet(np.ones(20), size=5)
    perm = np.array([3, 0, 4, 1, 2])
    match = match_topics(topics, topics[perm])
    assert np.array_equal(perm[match], np.arange(5))
    assert np.allclose(np.diag(topic_similarity(topics, topics[perm][match])), 1.0)


def test_disjoint_topics_have_similarity_zero():
    a = np.array([[0.5, 0.5, 0, 0]])
    b = np.array([[0, 0, 0.5, 0.5]])
    assert topic_similarity(a, b)[0, 0] == pytest.approx(0.0)


# ------------------------------------------------------------------ FREX, lexicon, theme mapping

def test_frex_on_a_hand_made_matrix():
    beta = np.array([[0.4, 0.35, 0.25], [0.1, 0.6, 0.3]])
    # topic 0: frequency ECDF (1, 2/3, 1/3); exclusivity .8, .368, .455 -> ECDF (1, 1/3, 2/3)
    # FREX = 1 / (0.5 / excl + 0.5 / freq): 1, 1/(1.5 + 0.75) = 4/9, 4/9
    # topic 1: frequency ECDF (1/3, 1, 2/3), exclusivity .2, .632, .545 -> same ranks
    expected = np.array([[1.0, 4 / 9, 4 / 9], [1 / 3, 1.0, 2 / 3]])
    assert np.allclose(frex(beta), expected)


def test_lexicon_terms_resolves_phrases_lemmas_and_globs():
    vocab = ["crime", "national_security", "securities", "secure", "trial", "public_interest_litigation",
             "minor", "food_safety"]
    got = lexicon_terms({"security": ["secur*", "national security", "crimes"],
                         "supervision": ["Public Interest Litigation", "trials", "absent word"],
                         "livelihood": ["minors", "food *"]}, vocab)
    assert got == {"security": ["crime", "national_security", "secure", "securities"],
                   "supervision": ["public_interest_litigation", "trial"],
                   "livelihood": ["food_safety", "minor"]}


def test_topic_theme_mapping_by_lift(planted_bag):
    fit = fit_topics(planted_bag, "sklearn", 3, 0, TopicsConfig(max_iter=20))
    theme_terms = {"alpha": ["a0", "a1", "a2"], "beta": ["b0", "b1", "b2"]}
    table = topic_theme_table(fit, planted_bag, theme_terms, TopicsConfig())
    top = {t: planted_bag.vocab[np.argmax(fit.topic_word[t])][0] for t in range(3)}
    expected = {"a": "alpha", "b": "beta", "c": OTHER}
    assert table["theme"].tolist() == [expected[top[t]] for t in range(3)]
    # a block topic holds ~all its mass on its 3 terms, whose corpus share is 1/3: lift ~3
    assert table.loc[table["theme"] == "alpha", "lift"].iloc[0] == pytest.approx(3, abs=0.2)
    assert table.loc[table["theme"] == OTHER, "score"].iloc[0] == 0


def test_kappa_and_agreement_on_hand_made_labels():
    texts = [["x", "y"]] * 6
    paras = pd.DataFrame({"doc_id": ["d1"] * 3 + ["d2"] * 3, "para_id": [1, 2, 3, 1, 2, 3],
                          "line_start": range(1, 7), "line_end": range(1, 7), "year": 2020, "text": "x y"})
    bag = bag_from_texts(texts, paras, TopicsConfig(min_doc_count=1, max_doc_share=1.0))
    dictionary = paras[["doc_id", "para_id"]].assign(theme=["security"] * 3 + ["none"] * 3)
    model = paras[["doc_id", "para_id"]].assign(model="gensim", theme=["security", "security", "other",
                                                                      "other", "other", "security"])
    table = agreement(model, dictionary, bag, ["security", "development", OTHER], {"gensim": 6})
    overall = table[table["level"] == "all"].iloc[0]
    # p_o = 4/6, p_e = 0.5 * 0.5 + 0.5 * 0.5 = 0.5: kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3
    assert overall["agreement"] == pytest.approx(4 / 6)
    assert overall["kappa"] == pytest.approx(1 / 3)
    d1 = table[(table["unit"] == "d1") & (table["theme"] == "security")].iloc[0]
    assert d1["dictionary_share"] == pytest.approx(1.0) and d1["model_share"] == pytest.approx(2 / 3)


# ------------------------------------------------------------------ errors

def test_bad_k_is_a_config_error(planted_bag):
    with pytest.raises(ConfigError, match=r"topics\.k_values must be an integer in \[2, 45\].*got 1"):
        fit_topics(planted_bag, "gensim", 1, 0)
    with pytest.raises(ConfigError, match=r"topics\.k_values.*got 46"):
        fit_topics(planted_bag, "sklearn", 46, 0)
    with pytest.raises(ConfigError, match=r"topics\.k_values must be a non-empty list of integers >= 2"):
        TopicsConfig(k_values=(1, 4))


def test_unknown_model_is_a_config_error(planted_bag):
    with pytest.raises(ConfigError, match=r"topics\.models: unknown model 'lsa'; expected one of: gensim"):
        fit_topics(planted_bag, "lsa", 3, 0)
    with pytest.raises(ConfigError, match=r"topics\.models must be a non-empty list from gensim"):
        TopicsConfig(models=("gensim", "lsa"))


def test_empty_vocabulary_is_a_config_error():
    with pytest.raises(ConfigError, match=r"no terms remain.*topics\.min_doc_count=50"):
        bag_from_texts(planted_texts(0), config=TopicsConfig(min_doc_count=50))


def test_seeded_needs_a_lexicon(planted_bag, corpus):
    with pytest.raises(ConfigError, match=r"topics\.models: 'seeded' needs the theme lexicon"):
        fit_topics(planted_bag, "seeded", 3, 0)
    with pytest.raises(ConfigError, match=r"theme 'x' has no term in the topic vocabulary"):
        seeded_eta(planted_bag.vocab, {"x": []}, 3, TopicsConfig())
    with pytest.raises(ConfigError, match=r"k_values must be an integer in \[2, 309\].*got 400"):
        run_topics(corpus, dataclasses.replace(QUICK, k_values=(400,)), SEED_WORDS)


def test_dictionary_labels_need_their_columns(corpus):
    with pytest.raises(SchemaError,
                       match=r"topics \(dictionary labels\): input table has missing column 'theme'"):
        run_topics(corpus, QUICK, SEED_WORDS, pd.DataFrame({"doc_id": ["x"], "para_id": [1]}))


# ------------------------------------------------------------------ seed corpus

@pytest.mark.corpus
def test_bag_of_the_seed_corpus(corpus):
    bag = build_bag(corpus, QUICK)
    assert len(bag.bow) == len(corpus.analysed) - bag.n_dropped == bag.matrix.shape[0]
    assert list(bag.vocab) == sorted(bag.vocab)
    assert bag.matrix.shape[1] == len(bag.dictionary) == len(bag.vocab)
    assert int(bag.matrix.sum()) == sum(len(t) for t in bag.texts)
    share = np.asarray((bag.matrix > 0).sum(axis=0)).ravel() / len(bag.bow)
    assert share.max() <= QUICK.max_doc_share
    assert np.asarray((bag.matrix > 0).sum(axis=0)).min() >= QUICK.min_doc_count


@pytest.mark.corpus
def test_selection_and_stability_tables_are_sane(quick_result):
    sel = quick_result.model_selection
    assert len(sel) == 3 * 2 * 2 and not sel[["c_v", "c_npmi", "u_mass", "perplexity"]].isna().any().any()
    assert sel["c_v"].between(0, 1).all() and sel["c_npmi"].between(-1, 1).all() and (sel["u_mass"] < 0).all()
    assert (sel["perplexity"] > 1).all() and (sel["perplexity"] < quick_result.facts["n_terms"]).all()
    best = quick_result.preferred_k
    assert set(best["criterion"]) == {"c_v", "c_npmi", "u_mass", "perplexity"}
    assert best["k"].isin([4, 6]).all()
    stab = quick_result.stability
    assert len(stab) == 3 * (4 + 6) and stab["similarity"].between(0, 1).all()
    assert (stab["similarity_min"] <= stab["similarity"] + 1e-12).all()


@pytest.mark.corpus
def test_worker_processes_do_not_change_the_numbers(corpus, quick_result):
    parallel = run_topics(corpus, dataclasses.replace(QUICK, models=("gensim",), n_jobs=2), SEED_WORDS)
    serial = quick_result.model_selection
    pd.testing.assert_frame_equal(parallel.model_selection,
                                  serial[serial["model"] == "gensim"].reset_index(drop=True))
    serial_terms = quick_result.topic_terms
    pd.testing.assert_frame_equal(parallel.topic_terms,
                                  serial_terms[serial_terms["model"] == "gensim"].reset_index(drop=True))


@pytest.mark.corpus
def test_labels_themes_and_shares_on_the_seed_corpus(quick_result, corpus):
    r = quick_result
    assert set(r.topic_terms.columns) == {"model", "k", "seed", "topic", "rank", "term", "weight"}
    assert r.topic_terms.groupby(["model", "k", "seed", "topic"]).size().eq(QUICK.top_n).all()
    seeded = r.topic_themes[r.topic_themes["seeded"]]
    assert (seeded.groupby(["k", "seed"])["theme"].agg(list) == pd.Series(
        [list(SEED_WORDS)] * 4, index=seeded.groupby(["k", "seed"]).size().index)).all()
    # seeded topics put more mass on their own theme's terms than unseeded topics do on average
    own = seeded.apply(lambda row: row[f"mass_{row['theme']}"], axis=1)
    assert (own > 0.02).all()
    # the seeded model's labelling K keeps a free topic for "other" content
    assert r.facts["analysis_k"]["seeded"] == 6
    keys = set(zip(corpus.analysed["doc_id"].astype(str), corpus.analysed["para_id"]))
    pt = r.paragraph_themes
    assert pt.groupby("model").size().eq(len(corpus.analysed)).all()
    assert set(zip(pt["doc_id"], pt["para_id"])) <= keys
    assert pt["theme"].isin([*SEED_WORDS, OTHER]).all()
    shares = r.theme_shares
    # one rule for versions: the 2023 year row pools the official report only, as the dictionary's does
    y2023 = shares[(shares["level"] == "year") & (shares["unit"] == "2023")]
    report = shares[(shares["level"] == "document") & (shares["unit"] == "report-2023")]
    assert set(y2023["n_paragraphs"]) == set(report["n_paragraphs"])
    assert "version_of" in r.facts["version_rule"]
    total = shares.groupby(["model", "level", "unit"])["share"].sum()
    assert np.allclose(total, 1.0)
    eps = 1e-9
    assert ((shares["share_ci_low"] <= shares["share"] + eps) & (shares["share"] <= shares["share_ci_high"] + eps)).all()
    assert ((shares["seed_min"] <= shares["share"] + eps) & (shares["share"] <= shares["seed_max"] + eps)).all()
    dt = r.doc_topics
    assert np.allclose(dt.groupby(["model", "seed", "doc_id", "para_id"])["share"].sum(), 1.0)
    typical = r.typical.merge(corpus.paragraphs.assign(doc_id=corpus.paragraphs["doc_id"].astype(str)),
                              on=["doc_id", "para_id"], suffixes=("", "_p"))
    assert (typical["line_start"] == typical["line_start_p"]).all()
    assert all(t.startswith(s) for t, s in zip(typical["text"], typical["snippet"]))


@pytest.mark.corpus
def test_agreement_with_dictionary_labels(corpus, quick_result):
    labels = quick_result.paragraph_themes
    same = labels[labels["model"] == "seeded"][["doc_id", "para_id", "theme"]]
    result = run_topics(corpus, dataclasses.replace(QUICK, models=("seeded",)), SEED_WORDS, same)
    overall = result.agreement[result.agreement["level"] == "all"].iloc[0]
    assert overall["agreement"] == 1.0 and overall["kappa"] == pytest.approx(1.0)
    assert "dictionary" in set(result.theme_shares["model"])


def section_labels(corpus) -> pd.DataFrame:
    """Headings as a reference coding: sections I-IV of the 2023 report (both English versions)
    are titled security, development, livelihood, supervision (seeds/SOURCES.md)."""
    themes = {"1": "security", "2": "development", "3": "livelihood", "4": "supervision"}
    p = corpus.analysed.assign(doc_id=corpus.analysed["doc_id"].astype(str))
    ref = p[p["doc_id"].isin(["report-2023", "report-2023-xinhua"]) & p["section_no"].astype(str).isin(themes)]
    return ref.assign(theme=ref["section_no"].astype(str).map(themes))[["doc_id", "para_id", "theme"]]


@pytest.mark.corpus
@pytest.mark.parametrize("seeds", [(1, 2), (7, 8)])
def test_seeded_labels_agree_with_the_section_structure(corpus, seeds):
    # measured with this file's SEED_WORDS and QUICK (analysis K 6): kappa 0.35-0.42, agreement
    # 0.49-0.55 over seed pairs (1,2), (3,4), (5,6), (7,8)
    reference = section_labels(corpus)
    assert len(reference) == 55
    result = run_topics(corpus, dataclasses.replace(QUICK, models=("seeded",), seeds=seeds), SEED_WORDS,
                        reference)
    overall = result.agreement[result.agreement["level"] == "all"].iloc[0]
    assert overall["n_paragraphs"] == 30          # the Xinhua version's 25 stay out of the pooled row
    assert overall["kappa"] > 0.25 and overall["agreement"] > 0.4


# ------------------------------------------------------------------ CLI

def write_lexicon(path):
    lines = ["themes:"]
    for theme, patterns in SEED_WORDS.items():
        lines.append(f"  {theme}:")
        lines.extend(f"    - {{pattern: '{p}', rationale: test seed word}}" for p in patterns)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.corpus
def test_cli_quick_twice_gives_identical_tables(tmp_path):
    lexicon = write_lexicon(tmp_path / "themes.yaml")
    for run in ("a", "b"):
        assert cli.main(["topics", "--out", str(tmp_path / run), "--quick", "--seeds", "11",
                         "--lexicon", str(lexicon)]) == 0
    names = sorted(p.name for p in (tmp_path / "a").glob("*.csv"))
    assert {"topic_terms.csv", "doc_topics.csv", "model_selection.csv", "stability.csv", "topic_themes.csv",
            "agreement.csv", "paragraph_themes.csv"} <= set(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    head = (tmp_path / "a" / "paragraph_themes.csv").read_text().splitlines()[0]
    assert head == "model,doc_id,para_id,line_start,line_end,theme"
    terms = (tmp_path / "a" / "topic_terms.csv").read_text()
    assert terms.startswith("model,k,seed,topic,rank,term,weight\n")
    assert (tmp_path / "a" / "run.json").exists()


@pytest.mark.corpus
def test_cli_agreement_with_a_labels_file(tmp_path, corpus):
    lexicon = write_lexicon(tmp_path / "themes.yaml")
    labels = tmp_path / "labels.csv"
    section_labels(corpus).to_csv(labels, index=False)
    assert cli.main(["topics", "--out", str(tmp_path / "o"), "--quick", "--models", "seeded", "--seeds", "1", "2",
                     "--lexicon", str(lexicon), "--labels", str(labels)]) == 0
    table = pd.read_csv(tmp_path / "o" / "agreement.csv")
    overall = table[table["level"] == "all"].iloc[0]
    assert overall["model"] == "seeded" and overall["n_paragraphs"] == 30 and overall["kappa"] > 0.25
    assert set(table.loc[table["level"] == "document", "unit"]) == {"report-2023", "report-2023-xinhua"}


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert cli.main(["topics", "--out", str(tmp_path / "o"), "--quick", "--lexicon",
                     str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: lexicon file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  other:\n    - {pattern: x, rationale: y}\n", encoding="utf-8")
    assert cli.main(["topics", "--out", str(tmp_path / "o"), "--quick", "--lexicon", str(bad)]) == 2
    assert "bad.yaml:2: category name 'other' collides" in capsys.readouterr().err
    lexicon = write_lexicon(tmp_path / "themes.yaml")
    assert cli.main(["topics", "--out", str(tmp_path / "o"), "--quick", "--k", "1", "--lexicon",
                     str(lexicon)]) == 2
    assert "topics.k_values must be" in capsys.readouterr().err
    assert cli.main(["topics", "--out", str(tmp_path / "o"), "--quick", "--models", "lda", "--lexicon",
                     str(lexicon)]) == 2
    assert "topics.models must be" in capsys.readouterr().err


@pytest.mark.corpus
def test_bag_equals_gensim_dictionary_route(corpus):
    """The vectorised bag is what gensim's Dictionary, filter_extremes and doc2bow give on the same
    paragraphs (the route the toolkit took before; same ids, counts, texts and frequencies)."""
    from gensim.corpora import Dictionary

    from analysis.query import paragraph_terms

    config = TopicsConfig()
    bag = build_bag(corpus, config)
    texts = [list(t) for t in paragraph_terms(corpus.tokens)]
    ref = Dictionary(texts)
    ref.filter_extremes(no_below=config.min_doc_count, no_above=config.max_doc_share, keep_n=None)
    assert list(bag.vocab) == sorted(ref.token2id)
    kept = set(ref.token2id)
    texts = [t for t in ([w for w in text if w in kept] for text in texts) if t]
    assert bag.texts == texts
    ids = bag.dictionary.token2id
    assert bag.bow == [sorted((ids[w], n) for w, n in pd.Series(t).value_counts().items()) for t in texts]
    assert np.array_equal(bag.matrix.toarray().sum(axis=1), [len(t) for t in texts])
    assert bag.dictionary.dfs == {ids[w]: ref.dfs[ref.token2id[w]] for w in kept}
    assert bag.dictionary.num_nnz == sum(len(b) for b in bag.bow) == bag.matrix.nnz


def test_kappa_bootstrap_matches_sklearn_and_covers_it():
    from sklearn.metrics import cohen_kappa_score

    from analysis.intervals import kappa_from_codes, kappa_interval

    rng = np.random.default_rng(3)
    a = rng.choice(["x", "y", "z"], 120)
    b = np.where(rng.random(120) < 0.6, a, rng.choice(["x", "y", "z"], 120))
    kappa, low, high = kappa_interval(a, b, ["x", "y", "z"], np.random.default_rng(1), 1000)
    assert kappa == pytest.approx(cohen_kappa_score(a, b, labels=["x", "y", "z"]))
    assert low < kappa < high and 0.1 < high - low < 0.4
    codes = rng.integers(0, 3, size=(5, 40))
    other = rng.integers(0, 3, size=(5, 40))
    assert np.allclose(kappa_from_codes(codes, other, 3), [cohen_kappa_score(c, o) for c, o in zip(codes, other)])


def test_placebo_words_are_frequency_matched_and_never_real_seeds(corpus):
    from analysis.topics import placebo_terms
    from analysis.topics.placebo import N_BINS

    bag = build_bag(corpus, TopicsConfig())
    real = lexicon_terms(SEED_WORDS, bag.vocab)
    fake = placebo_terms(bag, real, np.random.default_rng(4))
    freq = pd.Series(np.asarray(bag.matrix.sum(axis=0)).ravel(), index=bag.vocab)
    edges = np.quantile(np.log(freq), np.linspace(0, 1, N_BINS + 1)[1:-1])
    decile = pd.Series(np.searchsorted(edges, np.log(freq), side="right"), index=bag.vocab)
    all_real = {t for terms in real.values() for t in terms}
    for theme in real:
        assert len(fake[theme]) == len(real[theme]) and not set(fake[theme]) & all_real
        assert sorted(decile[real[theme]]) == sorted(decile[fake[theme]])


@pytest.mark.corpus
def test_placebo_table_sits_beside_the_real_seeding(corpus):
    labels = section_labels(corpus)
    config = dataclasses.replace(QUICK, models=("seeded",), k_values=(6,), seeds=(1,), placebo_draws=2)
    result = run_topics(corpus, config, SEED_WORDS, labels)
    table = result.placebo
    assert list(table.columns) == list(topics_pkg.PLACEBO_COLUMNS)
    assert sorted(set(zip(table["source"], table["draw"]))) == [("lexicon", 0), ("placebo", 1), ("placebo", 2)]
    assert table.groupby(["source", "draw"])["theme"].apply(list).map(lambda t: t == list(SEED_WORDS)).all()
    seeded = result.agreement[result.agreement["model"] == "seeded"]
    assert seeded["note"].str.startswith("not independent validation").all()
    summary = topics_pkg.placebo_summary(table)
    assert {"lexicon_topic_share_mean", "placebo_topic_share_mean", "placebo_kappa_max"} <= set(summary.columns)


def test_equal_topics_match_at_distance_zero_not_nan():
    # topics left at their prior on a tiny corpus are equal up to rounding; scipy's JS distance of two
    # such rows can be NaN (square root of a divergence rounded below zero)
    from analysis.topics.matching import match_topics, topic_similarity
    row = np.full(7, 1 / 7)
    twin = row * (1 + 1e-16 * np.arange(7))
    topics = np.vstack([row, twin / twin.sum(), row])
    sim = topic_similarity(topics, topics)
    assert np.isfinite(sim).all() and np.allclose(sim, 1.0)
    assert sorted(match_topics(topics, topics)) == [0, 1, 2]


def test_a_units_theme_share_interval_does_not_move_when_another_unit_is_added():
    from analysis.topics.bag import bag_from_texts
    from analysis.topics.mapping import theme_shares
    rng = np.random.default_rng(0)
    texts = [["a", "b"]] * 30
    paras = pd.DataFrame({"doc_id": ["x"] * 10 + ["y"] * 10 + ["z"] * 10, "para_id": list(range(1, 11)) * 3,
                          "line_start": 1, "line_end": 1, "year": [2020] * 10 + [2021] * 10 + [2022] * 10,
                          "text": "a b", "counts_once": True})
    mass = rng.dirichlet(np.ones(3), size=30)
    loose = TopicsConfig(min_doc_count=1, max_doc_share=1.0)
    bag = bag_from_texts(texts, paras, loose)
    full = theme_shares([mass], bag, ["p", "q", "other"], "m", 3, 1000, seed=5)
    keep = np.arange(10, 30)                      # unit x (the first drawn) left out
    small = theme_shares([mass[keep]], bag_from_texts(texts[10:], paras.iloc[keep], loose), ["p", "q", "other"], "m",
                         3, 1000, seed=5)
    cols = ["share", "share_ci_low", "share_ci_high"]
    a = full[full["unit"].isin(["y", "z", "2021", "2022"])].reset_index(drop=True)[cols]
    pd.testing.assert_frame_equal(a, small.reset_index(drop=True)[cols])


def test_a_years_theme_share_bootstrap_keeps_each_documents_paragraphs():
    from analysis.topics.bag import bag_from_texts
    from analysis.topics.mapping import theme_shares
    # one year, two documents of 10 equal-length paragraphs: x all about p, y all about q. Resampling
    # within documents leaves the year's share of p at exactly 0.5; pooled resampling would not.
    texts = [["a", "b"]] * 20
    paras = pd.DataFrame({"doc_id": ["x"] * 10 + ["y"] * 10, "para_id": list(range(1, 11)) * 2,
                          "line_start": 1, "line_end": 1, "year": 2020, "text": "a b", "counts_once": True})
    mass = np.array([[1.0, 0.0, 0.0]] * 10 + [[0.0, 1.0, 0.0]] * 10)
    bag = bag_from_texts(texts, paras, TopicsConfig(min_doc_count=1, max_doc_share=1.0))
    table = theme_shares([mass], bag, ["p", "q", "other"], "m", 3, 1000, seed=5)
    year = table[(table["level"] == "year") & (table["theme"] == "p")].iloc[0]
    assert year["share"] == year["share_ci_low"] == year["share_ci_high"] == pytest.approx(0.5)
    doc = table[(table["level"] == "document") & (table["unit"] == "x") & (table["theme"] == "p")].iloc[0]
    assert doc["share_ci_low"] == doc["share_ci_high"] == 1.0


def test_stratified_draws_stay_within_their_stratum():
    from analysis.topics.mapping import _stratified_draws
    idx = np.array([3, 4, 7, 8, 9])
    strata = np.array(["b", "a", "b", "a", "b"])
    drawn = _stratified_draws(np.random.default_rng(1), idx, strata, 200)
    assert drawn.shape == (200, 5)
    assert set(drawn[:, :2].ravel()) <= {4, 8} and set(drawn[:, 2:].ravel()) <= {3, 7, 9}
    one = _stratified_draws(np.random.default_rng(1), idx, np.array(["a"] * 5), 50)
    assert (one == idx[np.random.default_rng(1).integers(0, 5, size=(50, 5))]).all()
