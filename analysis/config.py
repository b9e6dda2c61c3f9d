"""Typed, frozen configuration for every stage, and `load_config` for TOML files.

Each stage has one dataclass; `Config` bundles them. `load_config(path)` reads a TOML file whose
tables are named after the fields of `Config` (``[corpus]``, ``[tokens]``, ...) and rejects unknown
tables and keys. Every output directory records `dataclasses.asdict(config)` in its ``run.json``.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analysis.checks import (  # noqa: F401 (re-exported)
    FIGURE_NAMES,
    KEYNESS_PAIR_KEYS,
    _check,
    _check_ints,
    _check_seed,
    _check_types,
    _is_int,
    _str_tuple,
    _tuples,
    figure_names,
    keyness_pair,
)
from analysis.errors import ConfigError

#: The checkout this package sits in (meaningful for a source or editable install).
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_manifest() -> Path:
    """Return the manifest used when none is given.

    In order: the environment variable ``ANALYSIS_MANIFEST``; ``seeds/manifest.csv`` of the
    checkout holding this package; ``seeds/manifest.csv`` in the working folder or a parent of it.
    If none exists, ``seeds/manifest.csv`` (relative to the working folder) is returned, and
    reading it reports it missing; never a path inside site-packages the user did not give.
    """
    env = os.environ.get("ANALYSIS_MANIFEST")
    if env:
        return Path(env)
    candidates = []
    if (REPO_ROOT / "pyproject.toml").is_file():    # a checkout, not site-packages
        candidates.append(REPO_ROOT / "seeds" / "manifest.csv")
    cwd = Path.cwd().resolve()
    # named relative to the working folder, as the user would type them
    candidates += [Path(os.path.relpath(folder / "seeds" / "manifest.csv", cwd)) for folder in (cwd, *cwd.parents)]
    return next((c for c in candidates if c.is_file()), Path("seeds") / "manifest.csv")


#: How `corpus` limits duplicate removal (see `CorpusConfig.duplicate_scope`).
DUPLICATE_SCOPES = ("block", "document")
#: Manifest columns whose values are not a vocabulary (ids, paths, free text, dates).
RESERVED_MANIFEST_COLUMNS = ("doc_id", "file", "sha256", "title", "date", "year", "version_of", "source",
                             "segmentation", "translation", "genre")


@dataclass(frozen=True)
class CorpusConfig:
    """Settings for reading and cleaning the seed texts.

    Parameters
    ----------
    near_duplicate_similarity : float, default 0.6
        Cosine similarity of word 1-3-gram count vectors, in (0, 1], at or above which two
        paragraphs of one document count as copies of each other (the shorter one is dropped).
    near_duplicate_min_words : int, default 12
        Paragraphs shorter than this many words are never near copies; with `duplicate_scope`
        "block" they are not dropped as word-for-word repeats either (a refrain stays).
    duplicate_scope : {"block", "document"}, default "block"
        Which repeats are removed. "block": only a repeated lead or block, that is a repeat that
        sits in a run of at least `duplicate_min_block` consecutive paragraphs each repeating
        (or repeated by) another paragraph of the document; an isolated repeated paragraph in
        running text (a refrain) is kept. "document": any pair of the document, and word-for-word
        repeats of any length.
    duplicate_min_block : int, default 2
        Shortest run of consecutive repeating paragraphs (a count) that is a repeated block.
    heading_max_content_words : int, default 6
        An unnumbered line without final punctuation, after the title block, is a heading when it
        has at most this many non-stop words; a longer one is a line broken in two and is joined
        to the next line.
    heading_max_words : int, default 40
        No paragraph longer than this many words is a heading, whatever its punctuation or
        numbering (a count of words; the longest seed heading has 32).
    translations : tuple of str, default ("official", "machine", "news")
        Allowed values of the manifest's ``translation`` column; empty means any value.
    genres : tuple of str, default ()
        Allowed values of the manifest's ``genre`` column; empty means any value. Genres with a
        meaning for cleaning: those in `transcript_genres`; "news" texts get the caption rules
        through ``translation`` = "news".
    vocabularies : dict of str to tuple of str, default {}
        Allowed values of any other manifest column, e.g. ``{"party": ("CPC", "KMT")}`` (in TOML a
        ``[corpus.vocabularies]`` table); the column must exist in the manifest.
    transcript_genres : tuple of str, default ("speech", "transcript", "remarks")
        Documents of these genres get the ``stage_direction`` and ``speaker_label`` rules
        ("(Applause.)", "AUDIENCE MEMBERS:" removed and logged); empty turns the rules off.
    """

    near_duplicate_similarity: float = 0.6
    near_duplicate_min_words: int = 12
    duplicate_scope: str = "block"
    duplicate_min_block: int = 2
    heading_max_content_words: int = 6
    heading_max_words: int = 40
    translations: tuple[str, ...] = ("official", "machine", "news")
    genres: tuple[str, ...] = ()
    vocabularies: dict = field(default_factory=dict)
    transcript_genres: tuple[str, ...] = ("speech", "transcript", "remarks")

    def __post_init__(self) -> None:
        _check_types(self, "corpus")
        _check(0 < self.near_duplicate_similarity <= 1, "corpus.near_duplicate_similarity",
               "in (0, 1]", self.near_duplicate_similarity)
        _check(self.near_duplicate_min_words >= 1, "corpus.near_duplicate_min_words", ">= 1",
               self.near_duplicate_min_words)
        _check(self.heading_max_content_words >= 1, "corpus.heading_max_content_words", ">= 1",
               self.heading_max_content_words)
        _check(_is_int(self.heading_max_words) and self.heading_max_words >= 1, "corpus.heading_max_words",
               "an integer >= 1", self.heading_max_words)
        _check(self.duplicate_scope in DUPLICATE_SCOPES, "corpus.duplicate_scope",
               "one of " + ", ".join(map(repr, DUPLICATE_SCOPES)), self.duplicate_scope)
        _check(_is_int(self.duplicate_min_block) and self.duplicate_min_block >= 1, "corpus.duplicate_min_block",
               "an integer >= 1", self.duplicate_min_block)
        for name in ("translations", "genres", "transcript_genres"):
            object.__setattr__(self, name, _str_tuple(getattr(self, name), f"corpus.{name}"))
        _check(isinstance(self.vocabularies, dict), "corpus.vocabularies",
               "a table of column = [allowed values]", self.vocabularies)
        vocabularies = {}
        for column, values in self.vocabularies.items():
            _check(isinstance(column, str) and column not in RESERVED_MANIFEST_COLUMNS,
                   f"corpus.vocabularies.{column}", "a manifest column other than "
                   + ", ".join(RESERVED_MANIFEST_COLUMNS) + " (translation and genre have their own keys)", column)
            vocabularies[column] = _str_tuple(values, f"corpus.vocabularies.{column}")
        object.__setattr__(self, "vocabularies", vocabularies)

    def allowed_values(self) -> dict[str, tuple[str, ...]]:
        """Return the manifest columns with a vocabulary, mapped to their allowed values (a column
        whose vocabulary is empty accepts any value and is left out)."""
        allowed = {"translation": self.translations, "genre": self.genres, **self.vocabularies}
        return {column: values for column, values in allowed.items() if values}


@dataclass(frozen=True)
class TokensConfig:
    """Settings for lemmatizing and building terms.

    Parameters
    ----------
    phrases : bool, default True
        Detect further multi-word terms with gensim `Phrases` after the curated list is applied.
    phrases_min_count : int, default 5
        A bigram must occur at least this many times (a count over the whole corpus).
    phrases_threshold : float, default 0.5
        Minimum normalised PMI (gensim ``scoring="npmi"``, in (-1, 1]) for a detected phrase.
    phrases_max_words : int, default 1_000_000
        `Phrases` learns from the first this many terms of the corpus, in reading order (a count);
        what it learns is applied to all of it.
    """

    phrases: bool = True
    phrases_min_count: int = 5
    phrases_threshold: float = 0.5
    phrases_max_words: int = 1_000_000

    def __post_init__(self) -> None:
        _check_types(self, "tokens")
        _check(self.phrases_min_count >= 1, "tokens.phrases_min_count", ">= 1", self.phrases_min_count)
        _check(self.phrases_max_words >= 2, "tokens.phrases_max_words", ">= 2", self.phrases_max_words)
        _check(-1 < self.phrases_threshold <= 1, "tokens.phrases_threshold", "in (-1, 1]",
               self.phrases_threshold)


#: Topic-model families `analysis.topics.fit_topics` knows.
TOPIC_MODELS = ("gensim", "sklearn", "seeded", "tomotopy")


@dataclass(frozen=True)
class TopicsConfig:
    """Settings for the topic models, their selection, stability and theme mapping.

    Parameters
    ----------
    k_values : tuple of int, default (4, 6, 8, 10, 12)
        Grid of topic numbers K; each at least 2 (at most the number of paragraphs, checked at
        fit time).
    models : tuple of str, default ("gensim", "sklearn", "seeded")
        Model families, from {"gensim", "sklearn", "seeded", "tomotopy"}.
    seed : int, default 12345
        Root seed: fit seeds, the held-out split and the bootstrap are derived from it with
        ``np.random.SeedSequence(seed).spawn``.
    n_seeds : int, default 3
        Number of fit seeds derived from `seed` (ignored when `seeds` is given).
    seeds : tuple of int, default ()
        Explicit fit seeds; empty means derive `n_seeds` seeds from `seed`.
    analysis_k : int, default 0
        K whose fits feed the theme shares, paragraph labels and agreement; 0 means the K with
        the highest mean c_v coherence, chosen per model ("seeded": among K with a free topic,
        K > number of themes, if any). Must be in `k_values` when not 0.
    min_doc_count : int, default 2
        Drop terms found in fewer than this many paragraphs (a count; gensim ``no_below``).
    max_doc_share : float, default 0.5
        Drop terms found in more than this share of paragraphs, in (0, 1] (gensim ``no_above``).
    passes, iterations : int, default 500, 200
        Most gensim passes per fit (`tolerance` ends it sooner; on the seeds fits need up to 255);
        most E-step iterations per document.
    estep_tolerance : float, default 1e-5
        E-step convergence (gensim ``gamma_threshold``, sklearn ``mean_change_tol``; at 1e-3 topics jitter).
    max_iter, gibbs_iterations : int, default 500, 2000
        Most scikit-learn batch EM iterations; most tomotopy Gibbs sweeps (checked every 50).
    tolerance : float, default 1e-4
        Stopping rule of `analysis.topics.fit_topics` (p(term | topic) step per pass; tomotopy:
        log-likelihood change per 50 sweeps / 50); 0: off, run the maximum, report unconverged.
    seed_weight : float, default 5.0
        Seeded LDA: Dirichlet prior ``eta`` (pseudo-counts) of a theme's seed terms in that
        theme's topic. Every other cell has gensim's symmetric default ``1 / K``, except the seed
        terms of one theme in the other themes' topics, which get ``1 / K * seed_other_factor``.
    seed_other_factor : float, default 0.01
        Seeded LDA: shrinkage of a seed term's prior in the seeded topics of other themes, in (0, 1].
    holdout_share : float, default 0.2
        Share of paragraphs left out for held-out perplexity, in (0, 0.5].
    top_n : int, default 10
        Terms per topic in `topic_terms` and in the coherence computation.
    n_typical : int, default 3
        Most typical paragraphs reported per topic.
    stability_threshold : float, default 0.5
        A topic whose mean matched similarity (1 - Jensen-Shannon distance, base 2, in [0, 1])
        across seed pairs is below this is reported unstable.
    theme_min_lift : float, default 2.0
        A topic maps to the theme whose lexicon terms it weights most relative to the corpus
        (lift = topic mass on the terms / their share of all tokens) when that lift is at least
        this and exceeds the runner-up's lift by `theme_margin`; otherwise to "other".
    theme_margin : float, default 0.25
        Minimum lead of the best theme's lift over the second best (lift units).
    n_bootstrap : int, default 1000
        Paragraph bootstrap resamples of the theme-share and kappa intervals; >= 1000.
    ci_level : float, default 0.95
        Interval level, in (0, 1); set by `Config.ci_level`.
    frex_shrinkage : bool, default True
        FREX shrinks exclusivity by corpus count (stm ``labelTopics``' James-Stein estimate).
    placebo_draws : int, default 5
        Seeded fits with random frequency-matched seed words (`seeded_placebo`); 0: none.
    n_jobs : int, default 2
        Worker processes for the grid of fits (joblib); each fit is single-threaded and seeded,
        so the numbers do not depend on it.
    """

    k_values: tuple[int, ...] = (4, 6, 8, 10, 12)
    models: tuple[str, ...] = ("gensim", "sklearn", "seeded")
    seed: int = 12345
    n_seeds: int = 3
    seeds: tuple[int, ...] = ()
    analysis_k: int = 0
    min_doc_count: int = 2
    max_doc_share: float = 0.5
    passes: int = 500
    iterations: int = 200
    estep_tolerance: float = 1e-5
    max_iter: int = 500
    gibbs_iterations: int = 2000
    tolerance: float = 1e-4
    seed_weight: float = 5.0
    seed_other_factor: float = 0.01
    holdout_share: float = 0.2
    top_n: int = 10
    n_typical: int = 3
    stability_threshold: float = 0.5
    theme_min_lift: float = 2.0
    theme_margin: float = 0.25
    n_bootstrap: int = 1000
    ci_level: float = 0.95
    frex_shrinkage: bool = True
    placebo_draws: int = 5
    n_jobs: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.k_values, list):      # TOML arrays; a string stays a string and is refused
            object.__setattr__(self, "k_values", tuple(self.k_values))
        if isinstance(self.models, list):      # TOML arrays; a string stays a string and is refused
            object.__setattr__(self, "models", tuple(self.models))
        if isinstance(self.seeds, list):      # TOML arrays; a string stays a string and is refused
            object.__setattr__(self, "seeds", tuple(self.seeds))
        _check_types(self, "topics")
        _check_seed(self.seed, "topics.seed")
        for s in self.seeds:
            _check_seed(s, "topics.seeds")
        _check(len(self.k_values) > 0 and all(isinstance(k, int) and k >= 2 for k in self.k_values),
               "topics.k_values", "a non-empty list of integers >= 2", self.k_values)
        _check(len(self.models) > 0 and all(m in TOPIC_MODELS for m in self.models), "topics.models",
               f"a non-empty list from {', '.join(TOPIC_MODELS)}", self.models)
        _check(self.n_seeds >= 1, "topics.n_seeds", ">= 1", self.n_seeds)
        _check(all(isinstance(s, int) and s >= 0 for s in self.seeds), "topics.seeds",
               "a list of integers >= 0", self.seeds)
        _check(self.analysis_k == 0 or self.analysis_k in self.k_values, "topics.analysis_k",
               "0 or one of topics.k_values", self.analysis_k)
        _check(self.min_doc_count >= 1, "topics.min_doc_count", ">= 1", self.min_doc_count)
        _check(0 < self.max_doc_share <= 1, "topics.max_doc_share", "in (0, 1]", self.max_doc_share)
        _check(self.n_bootstrap >= 1000 and 0 < self.ci_level < 1, "topics.n_bootstrap, ci_level", ">= 1000, in (0, 1)",
               (self.n_bootstrap, self.ci_level))
        _check(self.tolerance >= 0 and self.estep_tolerance > 0 and self.placebo_draws >= 0, "topics.tolerance, "
               "estep_tolerance, placebo_draws", ">= 0, > 0, >= 0", (self.tolerance, self.estep_tolerance, self.placebo_draws))
        for name in ("passes", "iterations", "max_iter", "gibbs_iterations", "top_n", "n_typical",
                     "n_jobs"):
            _check(getattr(self, name) >= 1, f"topics.{name}", ">= 1", getattr(self, name))
        _check(self.seed_weight > 0, "topics.seed_weight", "> 0", self.seed_weight)
        _check(0 < self.seed_other_factor <= 1, "topics.seed_other_factor", "in (0, 1]",
               self.seed_other_factor)
        _check(0 < self.holdout_share <= 0.5, "topics.holdout_share", "in (0, 0.5]", self.holdout_share)
        _check(0 <= self.stability_threshold <= 1, "topics.stability_threshold", "in [0, 1]",
               self.stability_threshold)
        _check(self.theme_min_lift >= 0, "topics.theme_min_lift", ">= 0", self.theme_min_lift)
        _check(self.theme_margin >= 0, "topics.theme_margin", ">= 0", self.theme_margin)

    @property
    def fit_seeds(self) -> tuple[int, ...]:
        """Return the fit seeds: `seeds`, or `n_seeds` seeds derived from `seed`."""
        if self.seeds:
            return self.seeds
        import numpy as np

        fit_ss = np.random.SeedSequence(self.seed).spawn(3)[0]
        return tuple(int(s.generate_state(1)[0]) for s in fit_ss.spawn(self.n_seeds))


@dataclass(frozen=True)
class ThemesConfig:
    """Settings of the theme dictionary model (`analysis.themes`).

    Parameters
    ----------
    min_score : float, default 2.25
        A paragraph is labelled "none" when its best theme has fewer than this many matches per
        100 tokens (and always when it has no match); >= 0. At 2.25 a theme must come up about
        once per 45 words: paragraphs on Party building or team discipline that name "legal
        supervision" once or twice in passing stay "none" (other), as THEMES.md codes them.
        Calibrated by `analysis.themes.heldout.calibrate_min_score` on the seeds (README).
    n_boot : int, default 2000
        Bootstrap replicates of the validation intervals (F1, kappa); at least 1000.
    ci_level : float, default 0.95
        Level of every interval, in (0, 1); set by `Config.ci_level` in a full configuration.
    min_paragraphs : int, default 15
        Rows of fewer paragraphs are flagged ``small_sample`` (see ``benchmarks/coverage.py``).
    equivalence_margin : float, default 0.05
        Two versions are equivalent in a share when the 90% interval of the difference is in +- this.
    seed : int, default 12345
        Seeds the bootstrap and the audit sample.
    audit_per_entry : int, default 5
        Matches of each entry drawn into the precision-audit coding sheet; >= 1.
    year_include_versions : bool, default False
        Count documents that are another English version of a corpus document (``version_of``)
        in the year tables too (by default they are left out, so one text counts once).
    """

    min_score: float = 2.25
    n_boot: int = 2000
    ci_level: float = 0.95
    seed: int = 12345
    audit_per_entry: int = 5
    year_include_versions: bool = False
    min_paragraphs: int = 15
    equivalence_margin: float = 0.05

    def __post_init__(self) -> None:
        _check_types(self, "themes")
        _check(isinstance(self.min_score, (int, float)) and self.min_score >= 0, "themes.min_score", ">= 0",
               self.min_score)
        _check(isinstance(self.n_boot, int) and self.n_boot >= 1000, "themes.n_boot", "an integer >= 1000",
               self.n_boot)
        _check(isinstance(self.ci_level, float) and 0 < self.ci_level < 1, "themes.ci_level", "in (0, 1)",
               self.ci_level)
        _check_seed(self.seed, "themes.seed")
        _check(isinstance(self.audit_per_entry, int) and self.audit_per_entry >= 1, "themes.audit_per_entry",
               "an integer >= 1", self.audit_per_entry)
        _check(self.min_paragraphs >= 2, "themes.min_paragraphs", "an integer >= 2", self.min_paragraphs)
        _check(0 < self.equivalence_margin < 1, "themes.equivalence_margin", "in (0, 1)", self.equivalence_margin)


@dataclass(frozen=True)
class ClassifierConfig:
    """Settings of the theme classifier (`analysis.themes.classifier`), the second theme measure.

    Parameters
    ----------
    min_count : >= 1, default 2          a paragraph trains its dictionary label when its top theme has
    min_purity : (0, 1], default 0.6     >= min_count matches, and >= min_purity of its theme matches
    none_max_matches : >= 0, default 1   a "none" paragraph with at most this many matches trains "none"
    c : > 0, default 10.0                inverse L2 regularisation strength of the logistic regression
    min_df : >= 1, default 2             features (lemmas, terms) in fewer training paragraphs are dropped
    min_proba : [0, 1), default 0.5      probability the model needs to fill in a dictionary "none"
    folds : >= 2, default 5              training paragraphs are labelled by models fitted without them
    fallback_only : bool, default True   keep the dictionary's theme labels (False: the model labels all)
    seed : default 12345                 ``random_state`` of the model and the folds
    """

    min_count: int = 2
    min_purity: float = 0.6
    none_max_matches: int = 1
    c: float = 10.0
    min_df: int = 2
    min_proba: float = 0.5
    folds: int = 5
    fallback_only: bool = True
    seed: int = 12345

    def __post_init__(self) -> None:
        _check_ints(self, "classifier", min_count=1, none_max_matches=0, min_df=1, folds=2, seed=0)
        _check(0 < self.min_purity <= 1, "classifier.min_purity", "in (0, 1]", self.min_purity)
        _check(0 <= self.min_proba < 1, "classifier.min_proba", "in [0, 1)", self.min_proba)
        _check(self.c > 0, "classifier.c", "> 0", self.c)
        _check(isinstance(self.fallback_only, bool), "classifier.fallback_only", "true or false", self.fallback_only)


@dataclass(frozen=True)
class SuggestConfig:
    """Settings of `analysis lexicon suggest` (`analysis.suggest`); every field an integer.

    Parameters
    ----------
    n : >= 1, default 50            candidates returned
    min_count : >= 1, default 3     a candidate occurs at least this many times in the corpus
    vector_size : >= 2, default 100 dimensions of the Word2Vec vectors trained on the corpus
    window : >= 1, default 5        Word2Vec context window (terms on each side)
    epochs : >= 1, default 50       Word2Vec passes over the corpus (the seeds are small)
    kwic_lines : 1..10, default 3   concordance lines shown per candidate
    seed : default 12345            Word2Vec seed (one worker thread, fixed hash: runs repeat byte for byte)
    """

    n: int = 50
    min_count: int = 3
    vector_size: int = 100
    window: int = 5
    epochs: int = 50
    kwic_lines: int = 3
    seed: int = 12345

    def __post_init__(self) -> None:
        _check_ints(self, "suggest", n=1, min_count=1, vector_size=2, window=1, epochs=1, kwic_lines=1, seed=0)
        _check(self.kwic_lines <= 10, "suggest.kwic_lines", "an integer in 1..10", self.kwic_lines)


@dataclass(frozen=True)
class DiscourseConfig:
    """Settings for keyness, concordance, collocations, formulations and lexical profiles.

    Parameters
    ----------
    min_freq : int, default 5
        Keyness: a term must occur at least this many times in target and reference together
        (a count of term tokens).
    max_para_share : float, default 1.0
        Keyness: drop terms of which one paragraph holds more than this share of all their
        occurrences (in target and reference together), in (0, 1]; 1.0 drops nothing.
    zero_correction : float, default 0.5
        Keyness: count put in place of a zero frequency when computing the log ratio and its
        confidence interval (Hardie 2014), in (0, 1].
    ci_level : float, default 0.95
        Level of every interval (keyness, formulation rates), in (0, 1); set by `Config.ci_level`.
    window : int, default 5
        KWIC context and collocate window, in tokens on each side; at least 1.
    min_count : int, default 3
        Collocations: an n-gram or node-collocate pair must occur at least this many times.
    mattr_window : int, default 500
        Lexical profile: window of the moving-average type-token ratio, in tokens; at least 10.
    """

    min_freq: int = 5
    max_para_share: float = 1.0
    zero_correction: float = 0.5
    ci_level: float = 0.95
    window: int = 5
    min_count: int = 3
    mattr_window: int = 500

    def __post_init__(self) -> None:
        _check_types(self, "discourse")
        _check(self.min_freq >= 1, "discourse.min_freq", ">= 1", self.min_freq)
        _check(0 < self.max_para_share <= 1, "discourse.max_para_share", "in (0, 1]", self.max_para_share)
        _check(0 < self.zero_correction <= 1, "discourse.zero_correction", "in (0, 1]", self.zero_correction)
        _check(0 < self.ci_level < 1, "discourse.ci_level", "in (0, 1)", self.ci_level)
        _check(self.window >= 1, "discourse.window", ">= 1", self.window)
        _check(self.min_count >= 1, "discourse.min_count", ">= 1", self.min_count)
        _check(self.mattr_window >= 10, "discourse.mattr_window", ">= 10", self.mattr_window)


@dataclass(frozen=True)
class FiguresConfig:
    """Settings of the comparative figures (`analysis figures`).

    Parameters
    ----------
    keyness_top : int, default 12
        Key terms shown for each side of a keyness comparison.
    formulations_top : int, default 25
        Formulations shown in the heatmap (most frequent first).
    network_node : str, default "supervision"
        Centre of the collocation network (a term).
    network_window : int, default 5
        Collocate window, in terms on each side.
    network_min_count : int, default 3
        A collocate must occur at least this many times in the node's windows.
    network_first_ring : int, default 10
        Collocates of the node shown (strongest by G2).
    network_second_ring : int, default 3
        Collocates shown for each first-ring collocate.
    layout_seed : int, default 12345
        Seed of the network's spring layout.
    keyness : tuple of dict, default ()
        The keyness comparisons drawn, one figure ``keyness_<label>`` each; in TOML an array of
        tables ``[[figures.keyness]]`` with keys ``label``, ``target`` (``FIELD=VALUE`` or a list),
        ``reference`` (the same, or "rest", the default), and optional ``title``,
        ``target_name``, ``reference_name``. Any documents column works as FIELD, extra manifest
        columns included. Empty: derived from the corpus (`analysis.pipeline.keyness_pairs`):
        the latest year against the rest, and each genre against the rest.
    effects_formula : str, default "~ genre + year"
        Document covariates of the effects figure (`analysis.effects.category_effects`).
    width : {"double", "single"}, default "double"
        Print width of every figure: a journal's double column (7.2 in) or single column (3.5 in).
    """

    keyness_top: int = 12
    formulations_top: int = 25
    network_node: str = "supervision"
    network_window: int = 5
    network_min_count: int = 3
    network_first_ring: int = 10
    network_second_ring: int = 3
    layout_seed: int = 12345
    keyness: tuple = ()
    effects_formula: str = "~ genre + year"
    width: str = "double"

    def __post_init__(self) -> None:
        _check_types(self, "figures")
        _check(isinstance(self.keyness, (list, tuple)), "figures.keyness", "a list of tables", self.keyness)
        pairs = tuple(keyness_pair(p, f"figures.keyness[{i}]") for i, p in enumerate(self.keyness))
        labels = [p["label"] for p in pairs]
        _check(len(set(labels)) == len(labels), "figures.keyness", "comparisons with distinct labels", labels)
        object.__setattr__(self, "keyness", pairs)
        _check(isinstance(self.effects_formula, str) and self.effects_formula.strip().startswith("~"),
               "figures.effects_formula", "a right-hand side such as '~ genre + year'", self.effects_formula)
        _check(self.width in ("double", "single"), "figures.width", "one of 'double', 'single'", self.width)
        for name in ("keyness_top", "formulations_top", "network_window", "network_min_count",
                     "network_first_ring", "network_second_ring"):
            _check(getattr(self, name) >= 1, f"figures.{name}", ">= 1", getattr(self, name))
        _check_seed(self.layout_seed, "figures.layout_seed")
        _check(self.network_node.strip() != "", "figures.network_node", "a non-empty term", self.network_node)


CI_STAGES = ("themes", "discourse", "topics")


@dataclass(frozen=True)
class Config:
    """All settings of one run, one field per stage; ``ci_level`` (top-level TOML key) is every interval's
    level, copied into the stages (an older file's one ``[themes]``/``[discourse] ci_level`` is lifted)."""

    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    tokens: TokensConfig = field(default_factory=TokensConfig)
    themes: ThemesConfig = field(default_factory=ThemesConfig)
    discourse: DiscourseConfig = field(default_factory=DiscourseConfig)
    figures: FiguresConfig = field(default_factory=FiguresConfig)
    topics: TopicsConfig = field(default_factory=TopicsConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    suggest: SuggestConfig = field(default_factory=SuggestConfig)
    ci_level: float = 0.95

    def __post_init__(self) -> None:
        _check(isinstance(self.ci_level, float) and 0 < self.ci_level < 1, "ci_level", "in (0, 1)", self.ci_level)
        levels = ({self.ci_level} | {getattr(self, s).ci_level for s in CI_STAGES}) - {0.95}
        _check(len(levels) <= 1, "ci_level", "one level for the whole run (top-level ci_level)", sorted(levels))
        level = levels.pop() if levels else 0.95
        for name in ("ci_level", *CI_STAGES):
            object.__setattr__(self, name, level if name == "ci_level" else dataclasses.replace(getattr(self, name), ci_level=level))


def _build(cls, data: dict, where: str):
    where = where or "top level"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table; got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
    kwargs = {}
    for name, value in data.items():
        sub = fields[name].default_factory if fields[name].default_factory is not dataclasses.MISSING else None
        if sub is not None and dataclasses.is_dataclass(sub):
            kwargs[name] = _build(sub, value, name)
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def config_from_dict(data: dict, where: str = "") -> Config:
    """Return the `Config` of a dict shaped like `dataclasses.asdict(Config())` (e.g. a run.json's
    ``config``), every value checked as `load_config` checks a TOML file."""
    return _build(Config, _tuples(data), where)


CORPUS_CONFIG_NAME = "analysis.toml"


def corpus_config_path(manifest: str | Path | None = None) -> Path | None:
    """Return the corpus-level config beside `manifest` (default: `default_manifest()`), ``analysis.toml``,
    or None when there is none."""
    manifest = Path(manifest) if manifest is not None else default_manifest()
    candidate = manifest.parent / CORPUS_CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: str | Path | None = None, manifest: str | Path | None = None) -> Config:
    """Return the `Config` read from a TOML file.

    Parameters
    ----------
    path : path, optional
        A TOML file. When None: the corpus's own ``analysis.toml`` beside `manifest` if there is
        one (the seed corpus keeps its two keyness comparisons in ``seeds/analysis.toml``), else
        the defaults.
    manifest : path, optional
        The manifest whose folder is searched when `path` is None; default `default_manifest()`.

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or names an unknown table or key.
    """
    if path is None:
        path = corpus_config_path(manifest)
    if path is None:
        return Config()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: config file is a folder; expected a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file ({exc})") from None
    try:
        return _build(Config, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
