"""Discourse statistics on the token table: keyness, concordance (KWIC), collocations, official
formulations (tifa) and per-document lexical profiles.

Every function is pure: it takes the tables of `analysis.tokens.load_corpus` (``tokens``,
``paragraphs``, ``documents``, ``sentences``) and returns a DataFrame whose columns are listed here.
All counts are vectorised with numpy over category codes or the sparse count matrix of
`analysis.tokens.count_matrix`; nothing loops over terms or tokens in Python, so the functions
scale to corpora of millions of words.

Token totals (``n_target``, ``n_reference``, ``n_tokens``) count ALL word tokens of the analysed
paragraphs, stop words included (as `documents.n_tokens` does): they are the corpus sizes of the
standard 2x2 keyness table. The items tested are every non-stop lemma, counted at every occurrence
whether or not it sits inside a multi-word term (kind "lemma"), plus each multi-word term as an
extra row (kind "phrase"; curated or detected), so a phrase never hides its words' counts.

Columns of `keyness` (one row per term tested, sorted by `sort`):
    term : str                 lemma or multi-word term (words joined by "_")
    freq_target : int          occurrences in the target paragraphs (a count)
    freq_reference : int       occurrences in the reference paragraphs
    n_target : int             word tokens in the target paragraphs (stop words included)
    n_reference : int          word tokens in the reference paragraphs (stop words included)
    g2 : float                 Dunning's log-likelihood G2 of the 2x2 table (term / other tokens
                               x target / reference), natural logarithms, always >= 0
    chi2 : float               Pearson chi-squared of the same table, no continuity correction
    p : float                  p-value of g2, chi-squared distribution with 1 degree of freedom
    p_adj : float              p adjusted for the number of terms tested (Benjamini-Hochberg)
    log_ratio : float          Hardie's log ratio: log2 of (freq_target / n_target) /
                               (freq_reference / n_reference); a zero frequency is replaced by
                               `DiscourseConfig.zero_correction` (0.5); +1 = twice as frequent in the target
    log_ratio_ci_low, log_ratio_ci_high : float
                               confidence interval (level `ci_level`, 95 %) of log_ratio, from the
                               standard error sqrt(1/freq_target + 1/freq_reference) of the natural-log
                               ratio, divided by ln 2
    expected_target, expected_reference : float
                               expected frequencies under no difference: n_group * (freq_target +
                               freq_reference) / (n_target + n_reference)
    per_10k_target, per_10k_reference : float   relative frequency per 10,000 tokens
    key_for : str              {"target", "reference"}: the group where the term is relatively more frequent
    para_target, para_reference : int   paragraphs of the group the term occurs in (dispersion)
    docs_target, docs_reference : int   documents of the group the term occurs in
    max_para_share : float     largest share of the term's occurrences (both groups) in one paragraph
    kind : str                 {"lemma", "phrase"}: a single lemma, or a multi-word term (extra row)

Columns of `kwic` (one row per match, in corpus order):
    doc_id : str, para_id : int   paragraph of the match
    line_start : int           1-based seed-file line of the first token of the match
    left : str                 original paragraph text before the match (up to `window` tokens)
    match : str                original text of the match (first to last matched token)
    right : str                original paragraph text after the match (up to `window` tokens)
    line_end : int             1-based seed-file line of the last token of the match
    token_start, token_end : int   0-based, half-open token positions of the match in the paragraph

Columns of `collocations` (one row per n-gram, sorted by `sort`):
    ngram : str                the n-gram, words separated by spaces
    w1, w2 (, w3) : str        its words (terms or lemmas, see `stream`)
    count : int                occurrences of the n-gram inside one sentence
    freq_w1, freq_w2 (, freq_w3) : int   occurrences of each word in the stream
    n_stream : int             length of the stream (words)
    p : float                  p-value of g2 (chi-squared, 1 degree of freedom; for trigrams a
                               rough guide only: their G2 has more degrees of freedom)
    pmi, g2, t_score, dice : float   association measures, as nltk's `BigramAssocMeasures` /
                               `TrigramAssocMeasures` define them (`association_measures`);
                               nltk has no trigram Dice: for trigrams dice is the generalised
                               3 n_iii / (n_ixx + n_xix + n_xxi)

Columns of `collocates` (one row per collocate of the node):
    node : str, collocate : str
    count : int                collocate tokens within `window` stream items of a node occurrence,
                               in the same paragraph, the node's own tokens excluded; a token inside
                               two overlapping windows counts once (`WINDOW_RULE`), so count <=
                               freq_collocate and count <= window_slots
    left, right : int          the collocate's positions in a left / right window (a position in
                               both is counted in each)
    freq_collocate : int       occurrences of the collocate in the stream
    window_slots : int         distinct stream positions inside the windows of all node occurrences
    n_stream : int             length of the stream
    pmi, g2, t_score, dice : float   the bigram measures with window_slots in the place of the
                               first word's frequency (the span-corrected form of #LancsBox)

Columns of `count_formulations` (one row per formulation and document, zeros included):
    formulation_id : str, doc_id : str, year : int
    count : int                matches of any variant (overlapping matches of one formulation count once)
    rate_per_10k : float       count per 10,000 word tokens of the document (stop words included)
    rate_ci_low, rate_ci_high : float   exact (Garwood) Poisson 95% interval of rate_per_10k
    n_tokens : int             word tokens of the document's analysed paragraphs
    category : str, canonical : str
    variants : str             "variant=count" for each variant found, "; "-separated
    first_line : int           1-based seed-file line of the first match in the document (0 if none)

Columns of `formulations_by_year`: formulation_id, year, count, n_tokens, rate_per_10k, n_docs.
Columns of `first_appearances`: formulation_id, canonical, category, doc_id, date, year, line,
    para_id, variant, total_count, n_docs.
Columns of `discover_formulations`: candidate, key, kind, count, n_paragraphs, n_docs, doc_ids,
    first_where.
Columns of `lexical_profile` (one row per document): doc_id, n_tokens, n_types, ttr, mattr,
    mattr_window, n_sentences, mean_sentence_length, sd_sentence_length, mattr_short (bool: shorter
    than the MATTR window, so mattr is the plain TTR and not comparable).
"""
from __future__ import annotations

from analysis.lazy import lazy_exports

#: Each name and the module that defines it. Modules load on first use, so importing
#: `analysis.discourse` costs nothing until a name is needed.
_EXPORTS = {
    "COLLOCATION_SORTS": "analysis.discourse.association",
    "STREAMS": "analysis.discourse.association",
    "WINDOW_RULE": "analysis.discourse.association",
    "_measures": "analysis.discourse.association",
    "_stream": "analysis.discourse.association",
    "association_measures": "analysis.discourse.association",
    "collocates": "analysis.discourse.association",
    "collocations": "analysis.discourse.association",
    "trigram_association_measures": "analysis.discourse.association",
    "_CAPITALISED": "analysis.discourse.formulations",
    "_NUMBER_WORDS": "analysis.discourse.formulations",
    "_NUMBERED": "analysis.discourse.formulations",
    "_NUMBERED_QUOTED": "analysis.discourse.formulations",
    "_NUMBERS": "analysis.discourse.formulations",
    "_QUOTED": "analysis.discourse.formulations",
    "FORMULATION_CATEGORIES": "analysis.discourse.formulations",
    "FORMULATION_COLUMNS": "analysis.discourse.formulations",
    "NAME_FIRSTS": "analysis.discourse.formulations",
    "NAME_HEADS": "analysis.discourse.formulations",
    "_lines_at": "analysis.discourse.formulations",
    "count_formulations": "analysis.discourse.formulations",
    "discover_formulations": "analysis.discourse.formulations",
    "first_appearances": "analysis.discourse.formulations",
    "formulation_concordance": "analysis.discourse.formulations",
    "formulations_by": "analysis.discourse.formulations",
    "formulations_by_year": "analysis.discourse.formulations",
    "match_formulations": "analysis.discourse.formulations",
    "match_formulations_parts": "analysis.discourse.formulations",
    "poisson_interval": "analysis.discourse.formulations",
    "read_formulations": "analysis.discourse.formulations",
    "parse_filters": "analysis.discourse.groups",
    "rest_documents": "analysis.discourse.groups",
    "select_documents": "analysis.discourse.groups",
    "KEYNESS_SORTS": "analysis.discourse.keyterms",
    "_describe": "analysis.discourse.keyterms",
    "keyness": "analysis.discourse.keyterms",
    "KEYNESS_KINDS": "analysis.discourse.keyterms",
    "keyness_counts": "analysis.discourse.keyterms",
    "keyness_groups": "analysis.discourse.keyterms",
    "keyness_items": "analysis.discourse.keyterms",
    "keyness_test": "analysis.discourse.keyterms",
    "keyness_statistics": "analysis.discourse.keyterms",
    "kwic": "analysis.discourse.concordance",
    "lexical_profile": "analysis.discourse.profile",
    "mattr": "analysis.discourse.profile",
    "GLOB": "analysis.query",
    "TOKEN_COLUMNS": "analysis.query",
    "category_mask": "analysis.query",
    "check_window": "analysis.query",
    "concordance_rows": "analysis.query",
    "lemma_codes": "analysis.query",
    "match_sequences": "analysis.query",
    "paragraph_key": "analysis.query",
    "paragraph_runs": "analysis.query",
    "parse_pattern": "analysis.query",
}

__all__ = [
    "COLLOCATION_SORTS", "FORMULATION_CATEGORIES", "FORMULATION_COLUMNS", "KEYNESS_KINDS", "KEYNESS_SORTS",
    "NAME_FIRSTS", "NAME_HEADS", "STREAMS", "TOKEN_COLUMNS", "WINDOW_RULE", "association_measures", "collocates",
    "collocations", "count_formulations", "discover_formulations", "first_appearances",
    "formulation_concordance", "formulations_by", "formulations_by_year", "keyness", "keyness_counts", "keyness_groups",
    "keyness_items", "keyness_statistics", "keyness_test", "kwic",
    "lexical_profile", "match_formulations", "match_formulations_parts", "mattr", "parse_filters", "poisson_interval",
    "read_formulations", "rest_documents", "select_documents", "trigram_association_measures",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
