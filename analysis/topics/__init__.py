"""Topic models of the analysed paragraphs: gensim, scikit-learn and keyword-seeded LDA.

Paragraphs are the documents. One bag of words is built once (`build_bag`): a gensim
`Dictionary` of the paragraph terms with ``filter_extremes(no_below=min_doc_count,
no_above=max_doc_share, keep_n=None)``, term ids in sorted term order, and from it both the gensim
corpus and a scipy CSR matrix with the same ids for scikit-learn. `fit_topics` fits one model
(`TopicFit`: topic-word and doc-topic matrices, rows summing to 1); `run_topics` fits the grid of
K x seeds x models and returns every table (`TopicsResult`). For corpora whose bag does not fit
in memory, `stream_bag` builds the same bag part by part (in this process or on Dask workers)
into a gensim `MmCorpus` on disk, and `fit_streamed_lda` fits the gensim model from it in chunks
(`analysis.topics.stream`).

Definitions (all documented again where computed):
    coherence    gensim `CoherenceModel` c_v, c_npmi (sliding windows over the paragraph term lists)
                 and u_mass (paragraph co-occurrence), on each topic's `top_n` terms; mean over topics.
    perplexity   held-out document-completion perplexity per word (natural log) of a model fitted
                 on the other paragraphs (`holdout_share` left out, seeded split): topic shares
                 inferred from the first half of each held-out paragraph, the second half scored
                 (`completion_perplexity`). Lower is better. `bound_perplexity` is the library's
                 own per-word value (gensim ``exp(-log_perplexity)``, scikit-learn
                 ``perplexity``), which includes the topic-word prior term (see `fit_topics`;
                 NaN for "seeded" and "tomotopy").
    similarity   1 - Jensen-Shannon distance (base 2) between two topic-word distributions, in [0, 1].
    FREX         stm's frequency-exclusivity (Roberts et al.; stm ``calcfrex``, w = 0.5): per topic,
                 FREX = 1 / (w / ECDF(exclusivity) + (1 - w) / ECDF(p(term | topic))), where
                 exclusivity = p(term | topic) / sum over topics of p(term | topic) and ECDF ranks a
                 value among that topic's V values (share of values <= it).
    lift         a topic's probability mass on a theme's lexicon terms divided by those terms'
                 share of all tokens of the bag; a topic maps to the theme of largest lift when it is
                 >= `theme_min_lift` and beats the runner-up by `theme_margin`, else to "other".
                 Seeded topics map to their own theme by construction.
    mapped mass  per paragraph, the doc-topic shares summed over the topics mapped to each
                 category (the lexicon's categories and "other"); document/year shares are token-weighted means
                 of it (weight: the paragraph's in-vocabulary term count), averaged over seeds.
    label        per paragraph, the theme of largest mapped mass (averaged over the seeds), where
                 the unmapped topics compete one by one ("other" = the largest single unmapped
                 topic's share, `label_mass`), not pooled. Dictionary labels outside the lexicon's
                 categories (e.g. "none") count as "other" in the agreement.
    analysis K   the K of each model whose fits feed `typical`, `doc_topics`, `theme_shares`,
                 `paragraph_themes` and `agreement`: `TopicsConfig.analysis_k`, or when 0 the K
                 of highest mean c_v for that model (for "seeded" among K > number of themes, so
                 that at least one free topic can take "other" content, when the grid has such
                 a K); recorded in `facts["analysis_k"]`.

Columns of the tables of `TopicsResult` (``k`` topics, ``seed`` the fit seed, ``topic`` 0-based):
    topic_terms       model, k, seed, topic, rank (1-based), term, weight (p(term | topic))
    topic_labels      model, k, seed, topic, prob_terms, frex_terms (top `top_n`, "; "-joined)
    typical           model, k, seed, topic, rank, doc_id, para_id, line_start, line_end, share
                      (doc-topic share), snippet (first 160 characters of the paragraph)
    doc_topics        model, k, seed, doc_id, para_id, line_start, line_end, topic, share
                      (fits at the analysis K only)
    model_selection   model, k, seed, c_v, c_npmi, u_mass, perplexity, bound_perplexity,
                      heldout_converged, heldout_n_passes, heldout_last_change (the same facts of
                      the fit on the training paragraphs that the held-out scores come from), n_train,
                      n_heldout, converged (bool: the fit on all paragraphs met the stopping rule),
                      n_passes (passes / EM iterations / Gibbs sweeps it ran), last_change
                      (the stopping-rule statistic at the last check, `fit_topics`)
    preferred_k       model, criterion, k, value (mean over seeds), better ("max" or "min"),
                      value_sd, value_min, value_max (spread over seeds), n_seeds
    stability         model, k, topic (of the first seed's fit), similarity (mean over seed pairs),
                      similarity_min, n_pairs, stable (bool), similarity_max, similarity_sd
    topic_themes      model, k, seed, topic, theme, score (mass on the mapped theme's terms; 0 for
                      "other"), lift, one ``mass_<theme>`` and ``lift_<theme>`` column per theme,
                      seeded (bool: a seeded topic), top_terms
    theme_shares      model, k, level ("document" or "year"), unit, theme, share (mean over seeds),
                      seed_min, seed_max, share_ci_low, share_ci_high (percentile paragraph
                      bootstrap of the seed-mean, `n_bootstrap` >= 1000, level `ci_level`),
                      n_paragraphs, n_terms; with dictionary labels, also rows of model
                      "dictionary" (one-hot labels, seed_min = seed_max = share). Year rows leave
                      out second versions of a text (`analysis.corpus.VERSION_RULE`)
    paragraph_themes  model, doc_id, para_id, line_start, line_end, theme (label from the mapped
                      mass averaged over the seeds at the analysis K)
    agreement         model, k, level ("all" or "document"), unit, theme ("all" or a theme),
                      n_paragraphs, agreement (share of paragraphs with equal labels), kappa
                      (Cohen's, over the lexicon's categories and "other"), dictionary_share and model_share
                      (per document and theme: token-weighted share of paragraphs given that label),
                      kappa_ci_low, kappa_ci_high (paragraph bootstrap, `n_bootstrap`, `ci_level`),
                      note (seeded rows: "not independent validation ..."); the pooled row ("all")
                      leaves out second versions of a text
    placebo           model ("seeded"), k, source ("lexicon" or "placebo"), draw (0 for the lexicon,
                      1.. for placebo draws), seed, theme, seed_terms ("; "-joined), topic_share
                      (token-weighted corpus share of the theme's seeded topic), kappa (all
                      labels vs the dictionary, pooled row rule), theme_kappa (binary kappa:
                      labelled the theme or not); see `seeded_placebo`
"""
from __future__ import annotations

from analysis.lazy import lazy_exports

#: Each name and the module that defines it. Modules load on first use, so importing
#: `analysis.topics` costs nothing until a name is needed.
_EXPORTS = {
    "ModelsError": "analysis.topics.persist",
    "SavedModels": "analysis.topics.persist",
    "save_models": "analysis.topics.persist",
    "load_models": "analysis.topics.persist",
    "transform": "analysis.topics.persist",
    "ldavis_inputs": "analysis.topics.persist",
    "BagOfWords": "analysis.topics.bag",
    "_bag_from_stream": "analysis.topics.bag",
    "_gc_paused": "analysis.topics.bag",
    "bag_from_texts": "analysis.topics.bag",
    "build_bag": "analysis.topics.bag",
    "subset_bag": "analysis.topics.bag",
    "kept_terms": "analysis.topics.bag",
    "StreamedBag": "analysis.topics.stream",
    "cache_parts": "analysis.topics.stream",
    "corpus_parts": "analysis.topics.stream",
    "fit_streamed_lda": "analysis.topics.stream",
    "read_bag": "analysis.topics.stream",
    "stream_bag": "analysis.topics.stream",
    "streamed_grid": "analysis.topics.stream",
    "PARAGRAPH_THEME_COLUMNS": "analysis.topics.grid",
    "TopicsResult": "analysis.topics.grid",
    "_best_k": "analysis.topics.grid",
    "_dictionary_mass": "analysis.topics.grid",
    "_fit_pair": "analysis.topics.grid",
    "_fit_pair_unlimited": "analysis.topics.grid",
    "derived_seeds": "analysis.topics.grid",
    "run_topics": "analysis.topics.grid",
    "SNIPPET_CHARS": "analysis.topics.labels",
    "_top": "analysis.topics.labels",
    "frex": "analysis.topics.labels",
    "topic_term_table": "analysis.topics.labels",
    "typical_paragraphs": "analysis.topics.labels",
    "AGREEMENT_COLUMNS": "analysis.topics.mapping",
    "OTHER": "analysis.topics.mapping",
    "THEME_SHARE_COLUMNS": "analysis.topics.mapping",
    "_weighted_share": "analysis.topics.mapping",
    "agreement": "analysis.topics.mapping",
    "label_mass": "analysis.topics.mapping",
    "mapped_mass": "analysis.topics.mapping",
    "theme_shares": "analysis.topics.mapping",
    "topic_theme_table": "analysis.topics.mapping",
    "TopicFit": "analysis.topics.models",
    "_fit_tomotopy": "analysis.topics.models",
    "_normalise": "analysis.topics.models",
    "_texts_matrix": "analysis.topics.models",
    "check_k": "analysis.topics.models",
    "completion_perplexity": "analysis.topics.models",
    "fit_topics": "analysis.topics.models",
    "FITTERS": "analysis.topics.models",
    "GIBBS_BLOCK": "analysis.topics.models",
    "heldout_scores": "analysis.topics.models",
    "unconverged_message": "analysis.topics.models",
    "PLACEBO_COLUMNS": "analysis.topics.placebo",
    "placebo_summary": "analysis.topics.placebo",
    "placebo_terms": "analysis.topics.placebo",
    "seeded_placebo": "analysis.topics.placebo",
    "seeded_eta": "analysis.topics.models",
    "lexicon_terms": "analysis.topics.seeding",
    "theme_words": "analysis.topics.seeding",
    "COHERENCE_MEASURES": "analysis.topics.selection",
    "coherence": "analysis.topics.selection",
    "preferred_k": "analysis.topics.selection",
    "align_topics": "analysis.topics.matching",
    "match_topics": "analysis.topics.matching",
    "stability": "analysis.topics.matching",
    "topic_similarity": "analysis.topics.matching",
}

__all__ = [
    "ModelsError", "SavedModels", "save_models", "load_models", "transform", "ldavis_inputs",
    "AGREEMENT_COLUMNS", "BagOfWords", "COHERENCE_MEASURES", "align_topics", "OTHER", "PARAGRAPH_THEME_COLUMNS",
    "SNIPPET_CHARS", "THEME_SHARE_COLUMNS", "TopicFit", "TopicsResult", "agreement",
    "bag_from_texts", "build_bag", "check_k", "coherence", "completion_perplexity", "derived_seeds",
    "fit_topics", "frex", "heldout_scores", "label_mass", "lexicon_terms", "mapped_mass", "match_topics",
    "placebo_summary", "placebo_terms", "seeded_placebo",
    "preferred_k", "run_topics", "seeded_eta", "stability", "subset_bag", "theme_shares",
    "theme_words", "topic_similarity", "topic_term_table", "topic_theme_table", "typical_paragraphs",
    "StreamedBag", "cache_parts", "corpus_parts", "fit_streamed_lda", "kept_terms", "read_bag", "stream_bag",
    "streamed_grid",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
