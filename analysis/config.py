"""Typed, frozen configuration for every stage, and `load_config` for TOML files.

Each stage has one dataclass; `Config` bundles them. `load_config(path)` reads a TOML file whose
tables are named after the fields of `Config` (``[corpus]``, ``[tokens]``, ...) and rejects unknown
tables and keys. Every output directory records `dataclasses.asdict(config)` in its ``run.json``.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import ConfigError

#: The repository's own seed folder, used when no manifest is given.
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MANIFEST = REPO_ROOT / "seeds" / "manifest.csv"


def _check(cond: bool, name: str, expected: str, value: object) -> None:
    if not cond:
        raise ConfigError(f"{name} must be {expected}; got {value!r}")


@dataclass(frozen=True)
class CorpusConfig:
    """Settings for reading and cleaning the seed texts.

    Parameters
    ----------
    near_duplicate_similarity : float, default 0.6
        Cosine similarity of word 1-3-gram count vectors, in (0, 1], at or above which two
        paragraphs of one document count as copies of each other (the shorter one is dropped).
    near_duplicate_min_words : int, default 12
        Paragraphs shorter than this many words are only dropped when repeated word for word.
    heading_max_content_words : int, default 6
        An unnumbered line without final punctuation, after the title block, is a heading when it
        has at most this many non-stop words; a longer one is a line broken in two and is joined
        to the next line.
    """

    near_duplicate_similarity: float = 0.6
    near_duplicate_min_words: int = 12
    heading_max_content_words: int = 6

    def __post_init__(self) -> None:
        _check(0 < self.near_duplicate_similarity <= 1, "corpus.near_duplicate_similarity",
               "in (0, 1]", self.near_duplicate_similarity)
        _check(self.near_duplicate_min_words >= 1, "corpus.near_duplicate_min_words", ">= 1",
               self.near_duplicate_min_words)
        _check(self.heading_max_content_words >= 1, "corpus.heading_max_content_words", ">= 1",
               self.heading_max_content_words)


@dataclass(frozen=True)
class TokensConfig:
    """Settings for lemmatising and building terms.

    Parameters
    ----------
    phrases : bool, default True
        Detect further multi-word terms with gensim `Phrases` after the curated list is applied.
    phrases_min_count : int, default 5
        A bigram must occur at least this many times (a count over the whole corpus).
    phrases_threshold : float, default 0.5
        Minimum normalised PMI (gensim ``scoring="npmi"``, in (-1, 1]) for a detected phrase.
    """

    phrases: bool = True
    phrases_min_count: int = 5
    phrases_threshold: float = 0.5

    def __post_init__(self) -> None:
        _check(self.phrases_min_count >= 1, "tokens.phrases_min_count", ">= 1", self.phrases_min_count)
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
    passes : int, default 5
        gensim passes over the corpus per fit (gensim and seeded models).
    iterations : int, default 50
        gensim maximum E-step iterations per document.
    max_iter : int, default 10
        scikit-learn batch EM iterations.
    gibbs_iterations : int, default 500
        tomotopy collapsed Gibbs sweeps (model "tomotopy").
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
    n_bootstrap : int, default 200
        Paragraph bootstrap resamples for the theme-share intervals.
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
    passes: int = 5
    iterations: int = 50
    max_iter: int = 10
    gibbs_iterations: int = 500
    seed_weight: float = 5.0
    seed_other_factor: float = 0.01
    holdout_share: float = 0.2
    top_n: int = 10
    n_typical: int = 3
    stability_threshold: float = 0.5
    theme_min_lift: float = 2.0
    theme_margin: float = 0.25
    n_bootstrap: int = 200
    n_jobs: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "k_values", tuple(self.k_values))
        object.__setattr__(self, "models", tuple(self.models))
        object.__setattr__(self, "seeds", tuple(self.seeds))
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
        for name in ("passes", "iterations", "max_iter", "gibbs_iterations", "top_n", "n_typical",
                     "n_bootstrap", "n_jobs"):
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
class Config:
    """All settings of one run, one field per stage."""

    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    tokens: TokensConfig = field(default_factory=TokensConfig)
    topics: TopicsConfig = field(default_factory=TopicsConfig)


def _build(cls, data: dict, where: str):
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
            kwargs[name] = _build(sub, value, f"{where}.{name}" if where else name)
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def load_config(path: str | Path | None = None) -> Config:
    """Return the `Config` read from a TOML file, or the defaults when `path` is None.

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or names an unknown table or key.
    """
    if path is None:
        return Config()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML file ({exc})") from None
    try:
        return _build(Config, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
