"""The pipelines: a tokenised corpus -> the tables of every figure (`make_figures`), and the
paragraph labels of every method scored against a coder (`score_gold`).

Runs the stages (themes, topics, discourse) and hands each figure's table to its plotting function
in `analysis.figures`; writing files is the CLI's job.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from analysis.config import FIGURE_NAMES, FiguresConfig, figure_names, keyness_pair
from analysis.corpus import VERSION_RULE
from analysis.figures import (
    drawn_values,
    plot_collocation_network,
    plot_document_topics,
    plot_effects,
    plot_formulations,
    plot_keyness,
    plot_method_agreement,
    plot_theme_attention,
    plot_topic_diagnostics,
    plot_topic_terms,
    plot_translation_robustness,
)


@dataclass
class FigureOutput:
    """One figure, the numbers it shows, and what its sidecar records besides the run facts.

    ``caption`` is the figure's caption (for the sidecar and ``captions.md``; never drawn);
    ``drawn`` the numbers the figure draws by CSV column (`analysis.figures.drawn_values`), taken
    from the figure when the output is made.
    """

    name: str
    figure: plt.Figure
    table: pd.DataFrame
    facts: dict = field(default_factory=dict)
    caption: str = ""
    drawn: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.drawn:
            self.drawn = drawn_values(self.figure)


def _mapped_shares(shares: pd.DataFrame, topic_themes: pd.DataFrame) -> pd.DataFrame:
    """Return document-level shares with ``seeds_mapped`` (fits of the model in which some topic
    maps to the category) and ``mapped``; share and interval are NaN where no fit maps a topic to
    the category, so that "not mapped" is not drawn as a measured zero."""
    table = shares[shares["level"] == "document"].reset_index(drop=True).copy()
    per_model = (topic_themes.groupby(["model", "k", "theme"])["seed"].nunique().rename("seeds_mapped").reset_index())
    table = table.merge(per_model, on=["model", "k", "theme"], how="left")
    table["seeds_mapped"] = table["seeds_mapped"].fillna(0).astype(int)
    table["mapped"] = (table["model"] == "dictionary") | (table["seeds_mapped"] > 0)
    for col in ("share", "seed_min", "seed_max", "share_ci_low", "share_ci_high"):
        table[col] = table[col].where(table["mapped"], np.nan)
    return table


def _caption(name: str, **f) -> str:
    """Return the caption of figure `name` from the run's facts."""
    texts = {
        "theme_attention": (
            "Attention to each category in the dictionary model. (a, b) matches per 1,000 word tokens; (c, d) share "
            "of the categories' matches; by document (a, c) and by year (b, d). Points: estimates; bars: "
            f"{100 * f.get('ci_level', 0.95):g}% intervals (exact Garwood / Clopper-Pearson on counts shrunk by the "
            "paragraphs' design effect); hollow: fewer than "
            f"{f.get('min_paragraphs')} paragraphs, where no interval method reaches its nominal coverage. Years "
            "pool their documents and leave out second versions of a text (the Xinhua summary of 2023); with one "
            "document per year, a year's interval is that document's."),
        "translation_robustness": (
            "One text in two English versions: each category's share of the categories' matches in the official "
            "translation (filled circles) and in the other version (hollow squares), with "
            f"{100 * f.get('ci_level', 0.95):g}% design-effect-adjusted intervals; the difference's interval and an "
            f"equivalence test (margin {f.get('equivalence_margin')}) are in the table."),
        "method_agreement": (
            "Each category's share of each document by the dictionary model (share of paragraphs with the label, "
            "token-weighted) and by the topic models (mapped topic mass, mean over seeds), with 95% paragraph-"
            "bootstrap intervals. Kappa: Cohen's kappa of the paragraph labels against the dictionary's. A grey "
            "cross marks a category to which no topic of that model maps (not mapped; not a measured zero)."),
        "topic_diagnostics": (
            "Topic-model selection. (a-c) coherence and (d) held-out document-completion perplexity per word "
            "against K: mean over seeds, bars from the lowest to the highest seed. (e) Stability of each topic at "
            "the K the other figures use: mean similarity (1 - Jensen-Shannon distance) to its Hungarian-matched "
            "topic in the other seeds' fits, the line down to the least similar pair; hollow: below "
            f"{f.get('threshold', 0.5)}."),
        "topic_terms": (
            f"Top terms by p(term | topic) of the {f.get('model')} model at K = {f.get('k')} (seed {f.get('seed')}); "
            "each topic is titled with the category it maps to by lift on the lexicon (grey: other)."),
        "document_topics": (
            f"Mean topic share of each document's paragraphs, {f.get('model')} model at K = {f.get('k')}: mean over "
            f"{f.get('n_seeds')} seeds after matching every seed's free topics to the first seed's (Hungarian "
            "assignment on the topics' paragraph profiles); below each value the lowest and highest seed's share."),
        "formulations": (
            "Official formulations across documents: colour is the rate per 10,000 word tokens, the number the "
            "count of matches of any English variant. Exact Poisson 95% intervals are in the CSV."),
        "collocation_network": (
            f"Collocations of '{f.get('node')}': its {f.get('first_ring')} strongest collocates by G2 (window "
            f"{f.get('window')} terms, minimum count {f.get('min_count')}) and their {f.get('second_ring')} strongest "
            f"collocates each. Edge width grows with G2; dashed: p >= 0.05. Spring layout, seed {f.get('layout_seed')}."),
        "effects": (
            f"Fitted mean attention to each category by covariate level ({f.get('formula')}; {f.get('method')} GLM of "
            "paragraph match counts with log-token offset, cluster-robust errors by document, 95% intervals from "
            f"coefficient draws; n = {f.get('n_clusters')} documents). Where year and genre cannot be separated, "
            "the panels say so instead of drawing a number."),
    }
    if name.startswith("keyness_"):
        return (f"Key terms of {f.get('target_label')} against {f.get('reference_label')}: Hardie's log ratio with its "
                "95% confidence interval, the top terms each way by G2. Filled: the interval excludes 0; hollow: it "
                f"does not. *: G2 significant after Benjamini-Hochberg (p_adj < {f.get('alpha', 0.05)}). Counts "
                f"target/reference in brackets; n = {f.get('n_target'):,} / {f.get('n_reference'):,} tokens.")
    return texts.get(name, "")




FIGURES = FIGURE_NAMES

INTERVAL_NOTE = ("rate and share: design-effect-adjusted exact intervals over paragraphs (Garwood for the rate, "
                 "Clopper-Pearson for the share, effective count = count / design effect / (t_df/z)^2; "
                 "analysis.themes.rates); small_sample: fewer than min_paragraphs paragraphs")


def keyness_pairs(documents: pd.DataFrame, configured=()) -> list[dict]:
    """Return the keyness comparisons the figure command draws.

    Parameters
    ----------
    documents : DataFrame
        The documents table (doc_id, year, genre).
    configured : sequence of dict, default ()
        `FiguresConfig.keyness`; when given it is returned as it is.

    Returns
    -------
    list of dict
        Each with keys label, target, reference (lists of ``FIELD=VALUE``, or ["rest"]), title,
        target_name, reference_name. Derived when none is configured: the latest year against
        the rest (if the corpus spans more than one year), then each genre against the rest (if
        it has more than one genre), genres in sorted order.
    """
    if configured:
        return [dict(p) for p in configured]
    pairs = []
    years = sorted({int(y) for y in documents["year"]})
    if len(years) > 1:
        pairs.append({"label": f"{years[-1]}_vs_rest", "target": [f"year={years[-1]}"],
                      "title": f"Key terms: {years[-1]} vs the other years",
                      "target_name": str(years[-1]), "reference_name": "rest"})
    genres = sorted({str(g) for g in documents["genre"]}) if "genre" in documents.columns else []
    if len(genres) > 1:
        for genre in genres:
            slug = re.sub(r"[^A-Za-z0-9_-]+", "-", genre).strip("-") or "genre"
            pairs.append({"label": f"{slug}_vs_rest", "target": [f"genre={genre}"],
                          "title": f"Key terms: {genre} vs the other genres",
                          "target_name": genre, "reference_name": "rest"})
    return [keyness_pair(p, f"keyness pair {p['label']}") for p in pairs]


def _keyness_rows(table: pd.DataFrame, top: int, alpha: float = 0.05) -> pd.DataFrame:
    """Return the `top` terms key for each side (by G2), preferring significant ones."""
    parts = []
    for side in ("target", "reference"):
        sub = table[table["key_for"] == side].sort_values(["g2", "term"], ascending=[False, True])
        parts.append(sub.head(top))
    return pd.concat(parts).sort_values("log_ratio", ascending=False).reset_index(drop=True)


def collocation_edges(tokens: pd.DataFrame, node: str, window: int, first_ring: int, second_ring: int,
                      min_count: int) -> pd.DataFrame:
    """Return the edges of a two-ring collocation network around `node`: its `first_ring`
    strongest collocates by G2, and for each of them its `second_ring` strongest collocates."""
    from analysis import discourse

    def strongest(term: str, n: int) -> pd.DataFrame:
        table = discourse.collocates(tokens, term, window=window, min_count=min_count)
        table = table[(table["collocate"] != term) & (table["collocate"] != node)]
        return table.sort_values(["g2", "collocate"], ascending=[False, True]).head(n)

    first = strongest(node, first_ring)
    edges = [first.assign(source=node)]
    for term in first["collocate"]:
        edges.append(strongest(term, second_ring).assign(source=term))
    table = pd.concat(edges, ignore_index=True).rename(columns={"collocate": "target"})
    pair = table[["source", "target"]].apply(lambda r: tuple(sorted(r)), axis=1)
    table = table[~pair.duplicated()].reset_index(drop=True)
    return table[["source", "target", "count", "g2", "pmi", "t_score", "dice", "p"]]


@dataclass
class _Run:
    """What every figure step of `make_figures` reads: the corpus, the settings and the stage results."""

    corpus: object
    config: object
    pairs: dict
    say: object
    theme_result: object
    topic_result: object = None

    @property
    def docs(self) -> pd.DataFrame:
        return self.corpus.documents

    @property
    def width(self) -> str:
        return self.config.figures.width


def make_figures(corpus, config=None, only: list[str] | None = None, progress=None,
                 lexicon=None, theme_result=None, topic_result=None, workers: int | None = None,
                 cache=None, client=None) -> list[FigureOutput]:
    """Return every figure (or those named in `only`) computed from a tokenised corpus.

    Parameters
    ----------
    corpus : Corpus
        From `analysis.load_corpus`.
    config : analysis.config.Config, optional
    only : list of str, optional
        Names from `FIGURES`, with ``keyness_<label>`` for each comparison of `keyness_pairs`.
    progress : callable, optional
        Called with a short message before each slow step.
    lexicon : analysis.themes.Lexicon, optional
        Its categories are the figures' themes; default `analysis.themes.load_lexicon()`.
    theme_result, topic_result : optional
        Results already computed with this corpus, lexicon and `config` (`analyse_themes`,
        `run_topics`), e.g. in a notebook; not computed again.
    workers, cache : optional
        `run_topics`' worker processes and fit-cache folder (None: `topics.n_jobs`, no cache).
    client : distributed.Client, optional
        Match the lexicon and fit the topic grid on these Dask workers; the same tables.

    Raises
    ------
    ParameterError
        If `only` names an unknown figure.
    """
    from analysis import themes
    from analysis.config import Config

    config = config or Config()
    say = progress or (lambda msg: None)
    pairs = {f"keyness_{p['label']}": p for p in keyness_pairs(corpus.documents, config.figures.keyness)}
    wanted = _wanted_figures(figure_names([p["label"] for p in pairs.values()]), only)
    lexicon = lexicon or themes.load_lexicon()
    say("themes: dictionary model and bootstrap")
    if theme_result is None:
        theme_result = themes.analyse_themes(corpus, lexicon, config=config.themes, client=client)
    if {"method_agreement", "topic_diagnostics", "topic_terms", "document_topics"} & set(wanted) \
            and topic_result is None:
        from analysis import topics

        say("topics: LDA grid (gensim, scikit-learn, seeded)")
        # no figure draws the seeded model's placebo table: its fits are not made here
        topic_result = topics.run_topics(corpus, config.topics, topics.theme_words(lexicon),
                                         theme_result.paragraph_themes[["doc_id", "para_id", "theme"]],
                                         workers=workers, cache=cache, placebo=False, client=client)
    run = _Run(corpus, config, pairs, say, theme_result, topic_result)
    outputs = []
    for name in wanted:
        say(f"figure {name}")
        step = _keyness_figure if name in pairs else _FIGURE_STEPS[name]
        output = step(run, name)
        if output is not None:
            outputs.append(output)
    return outputs


def _wanted_figures(names: list[str], only: list[str] | None) -> list[str]:
    """Return the figures of `names` that `only` names (all without it), in `names` order."""
    from analysis.errors import ParameterError

    unknown = [n for n in (only or ()) if n not in names]
    if unknown:
        raise ParameterError("make_figures", "only", f"{', '.join(unknown)}: no such figure; choose from {', '.join(names)}")
    return [n for n in names if n in set(only)] if only else list(names)


def _theme_attention(run: _Run, name: str) -> FigureOutput:
    tr, config = run.theme_result, run.config
    table = pd.concat([tr.document_themes.assign(level="document"), tr.year_themes.assign(level="year")],
                      ignore_index=True)
    fig = plot_theme_attention(tr.document_themes, tr.year_themes, run.docs, width=run.width,
                               ci_level=config.themes.ci_level)
    facts = {"interval": INTERVAL_NOTE, "ci_level": config.themes.ci_level,
             "min_paragraphs": config.themes.min_paragraphs, "version_rule": VERSION_RULE}
    return FigureOutput(name, fig, table, facts, _caption(name, **facts))


def _translation_robustness(run: _Run, name: str) -> FigureOutput | None:
    from analysis import themes

    tr, tc = run.theme_result, run.config.themes
    table = themes.compare_versions(tr.document_themes, run.docs, tr.paragraph_themes, tc)
    if table.empty:
        run.say(f"skipping {name}: no document of the corpus is a version_of another")
        return None
    facts = {"interval": INTERVAL_NOTE, "ci_level": tc.ci_level,
             "difference": "Agresti-Caffo interval of the share difference on effective counts; "
                           "equivalent = 90% interval inside +- equivalence_margin (two one-sided tests at 5%)",
             "equivalence_margin": tc.equivalence_margin}
    return FigureOutput(name, plot_translation_robustness(table, run.docs, width=run.width), table, facts,
                        _caption(name, **facts))


def _method_agreement(run: _Run, name: str) -> FigureOutput:
    agree = run.topic_result.agreement
    shares = _mapped_shares(run.topic_result.theme_shares, run.topic_result.topic_themes)
    kappa = agree[(agree["level"] == "all") & (agree["theme"] == "all")][
        ["model", "k", "n_paragraphs", "agreement", "kappa", "kappa_ci_low", "kappa_ci_high", "note"]]
    return FigureOutput(name, plot_method_agreement(shares, agree, run.docs, width=run.width), shares,
                        {"kappa": kappa.to_dict("records"), "version_rule": VERSION_RULE}, _caption(name))


def _topic_diagnostics(run: _Run, name: str) -> FigureOutput:
    result = run.topic_result
    sel, stab = result.model_selection, result.stability
    analysis_k = result.facts["analysis_k"]
    stab = stab[[int(k) == int(analysis_k.get(m, -1)) for m, k in zip(stab["model"], stab["k"])]]
    measures = ["c_v", "c_npmi", "u_mass", "perplexity"]
    means = sel.groupby(["model", "k"], as_index=False)[measures].mean()
    table = pd.concat([sel.assign(table="model_selection"), means.assign(table="mean_over_seeds"),
                       stab.assign(table="stability")], ignore_index=True)
    return FigureOutput(name, plot_topic_diagnostics(sel, stab, width=run.width), table,
                        {"preferred_k": result.preferred_k.to_dict("records")},
                        _caption(name, threshold=run.config.topics.stability_threshold))


def _topic_figure(run: _Run, name: str) -> FigureOutput:
    """The topic_terms and document_topics figures: the seeded model (else the first) at its analysis K."""
    result = run.topic_result
    model = "seeded" if "seeded" in set(result.topic_terms["model"]) else result.topic_terms["model"].iloc[0]
    k = int(result.facts["analysis_k"][model])
    seed0 = int(result.topic_terms.query("model == @model and k == @k")["seed"].min())
    tt = result.topic_themes.query("model == @model and k == @k and seed == @seed0")
    if name == "topic_terms":
        terms = result.topic_terms.query("model == @model and k == @k and seed == @seed0 and rank <= 8")
        facts = {"model": model, "k": k, "seed": seed0}
        return FigureOutput(name, plot_topic_terms(terms, tt, width=run.width), terms.reset_index(drop=True),
                            facts, _caption(name, **facts))
    from analysis.palette import category_label
    from analysis.topics import align_topics

    dt = result.doc_topics.query("model == @model and k == @k")
    fixed = tt.loc[tt["seeded"].astype(bool), "topic"].tolist()
    dt = align_topics(dt, fixed=fixed)
    per_seed = dt.groupby(["seed", "doc_id", "topic"])["share"].mean().reset_index()
    table = per_seed.groupby(["doc_id", "topic"])["share"].agg(share="mean", seed_min="min",
                                                              seed_max="max").reset_index()
    topic_names = tt.set_index("topic")
    table["label"] = [f"{t}: {category_label(topic_names.loc[t, 'theme'])}" for t in table["topic"]]
    facts = {"model": model, "k": k, "n_seeds": int(dt["seed"].nunique()), "fixed_topics": fixed,
             "matching": "free topics of every seed matched to the first seed's (Hungarian, "
                         "analysis.topics.align_topics)"}
    return FigureOutput(name, plot_document_topics(table, run.docs, width=run.width), table, facts,
                        _caption(name, **facts))


def _keyness_figure(run: _Run, name: str) -> FigureOutput | None:
    from analysis import discourse
    from analysis.errors import AnalysisError

    pair, docs, fc = run.pairs[name], run.docs, run.config.figures
    try:
        table = discourse.keyness(run.corpus.tokens, docs, pair["target"], pair["reference"], run.config.discourse)
    except AnalysisError as exc:
        run.say(f"skipping {name}: {exc}")
        return None
    rows = _keyness_rows(table, fc.keyness_top)
    target_docs = discourse.select_documents(docs, discourse.parse_filters(pair["target"], "target"), "target")
    reference_docs = (discourse.rest_documents(docs, target_docs) if pair["reference"] == ["rest"] else
                      discourse.select_documents(docs, discourse.parse_filters(pair["reference"], "reference"),
                                                 "reference"))
    figure = plot_keyness(rows, pair["title"], pair["target_name"], pair["reference_name"], fc.keyness_top,
                          width=run.width)
    facts = {"target": pair["target"], "reference": pair["reference"], "target_docs": target_docs,
             "reference_docs": [d for d in reference_docs if d not in set(target_docs)],
             "target_label": pair["target_name"], "reference_label": pair["reference_name"], "alpha": 0.05,
             "n_target": int(table["n_target"].iloc[0]), "n_reference": int(table["n_reference"].iloc[0])}
    return FigureOutput(name, figure, rows, facts, _caption(name, **facts))


def _formulations(run: _Run, name: str) -> FigureOutput:
    from analysis import discourse

    counts = discourse.count_formulations(run.corpus.tokens, run.docs)
    return FigureOutput(name, plot_formulations(counts, run.docs, run.config.figures.formulations_top,
                                                width=run.width), counts, {}, _caption(name))


def _collocation_network(run: _Run, name: str) -> FigureOutput:
    from analysis import discourse

    fc = run.config.figures
    # the default node adapts to a corpus without it; a node the user set must occur (else an error)
    node = fc.network_node
    if fc.network_node == FiguresConfig().network_node:
        node = network_node(run.corpus.tokens, fc.network_node)
    if node is None:
        run.say(f"skipping {name}: the corpus has no term")
        return None
    if node != fc.network_node:
        run.say(f"{name}: the default figures.network_node {fc.network_node!r} does not occur in this corpus; "
                f"drawing its most frequent term, {node!r} (set figures.network_node to choose)")
    edges = collocation_edges(run.corpus.tokens, node, fc.network_window, fc.network_first_ring,
                              fc.network_second_ring, fc.network_min_count)
    if edges.empty:
        run.say(f"skipping {name}: no term occurs {fc.network_min_count}+ times near {node!r} "
                "(figures.network_min_count)")
        return None
    facts = {"node": node, "configured_node": fc.network_node, "window": fc.network_window,
             "window_rule": discourse.WINDOW_RULE, "min_count": fc.network_min_count, "layout_seed": fc.layout_seed,
             "first_ring": fc.network_first_ring, "second_ring": fc.network_second_ring}
    return FigureOutput(name, plot_collocation_network(edges, node, fc.layout_seed, width=run.width),
                        edges, facts, _caption(name, **facts))


def network_node(tokens: pd.DataFrame, configured: str) -> str | None:
    """Return `configured` if it is a term of `tokens`, else the most frequent term (ties: the
    first in alphabetical order), or None when there is no term."""
    terms = tokens["term"].astype(str)
    terms = terms[terms != ""]
    if (terms == configured).any():
        return configured
    if terms.empty:
        return None
    counts = terms.value_counts()
    return str(sorted(counts.index[counts == counts.max()])[0])


def _effects(run: _Run, name: str) -> FigureOutput:
    from analysis.effects import category_effects

    fc = run.config.figures
    effects, means = category_effects(run.theme_result.paragraph_themes, run.docs, fc.effects_formula,
                                      seed=run.config.themes.seed)
    facts = {"formula": fc.effects_formula, "method": "negbin",
             "n_clusters": int(effects["n_clusters"].iloc[0]) if len(effects) else 0,
             "warnings": sorted(set(effects["warning"]) - {""})}
    return FigureOutput(name, plot_effects(means, effects, width=run.width), means, facts, _caption(name, **facts))


#: One step per figure of `FIGURES` (each keyness comparison: `_keyness_figure`).
_FIGURE_STEPS = {"theme_attention": _theme_attention, "translation_robustness": _translation_robustness,
                 "method_agreement": _method_agreement, "topic_diagnostics": _topic_diagnostics,
                 "topic_terms": _topic_figure, "document_topics": _topic_figure, "formulations": _formulations,
                 "collocation_network": _collocation_network, "effects": _effects}


def score_gold(corpus, lexicon, paragraph_themes: pd.DataFrame, gold: pd.DataFrame,
               gold2: pd.DataFrame | None = None, topic_labels: pd.DataFrame | None = None,
               topics_config=None, themes_config=None, client=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Score the dictionary's, each topic model's and a second coder's paragraph labels against a coder.

    Parameters
    ----------
    corpus : Corpus
    lexicon : analysis.themes.Lexicon
        Its categories are the labels scored.
    paragraph_themes : DataFrame
        The dictionary's labels (`analysis.themes.score_paragraphs`).
    gold, gold2 : DataFrame
        Coders' files read with `analysis.themes.read_gold`; `gold2` is scored against `gold` as
        method "coder2" (the inter-coder ceiling).
    topic_labels : DataFrame, optional
        Topic models' labels (model, doc_id, para_id, theme: a topics run's ``paragraph_themes``).
    topics_config : TopicsConfig, optional
        Without `topic_labels`, fit this topic grid to label the paragraphs; neither: the dictionary
        (and the second coder) only.
    themes_config : ThemesConfig, optional
        Supplies n_boot, seed and ci_level of the bootstrap.

    Returns
    -------
    scores, confusion : DataFrame
        As `analysis.themes.score_labels`.
    facts : dict
        What labelled the paragraphs (the topic grid's analysis K), for the run record.
    """
    from analysis import themes
    from analysis.config import ThemesConfig

    themes_config = themes_config or ThemesConfig()
    facts: dict = {}
    if topic_labels is None and topics_config is not None:
        from analysis.topics import run_topics, theme_words

        result = run_topics(corpus, topics_config, theme_words(lexicon), client=client)
        topic_labels = result.paragraph_themes
        facts["topics_analysis_k"] = result.facts["analysis_k"]
    predictions = {"dictionary": paragraph_themes[["doc_id", "para_id", "theme"]]}
    if topic_labels is not None:
        for model, sub in topic_labels.groupby("model", sort=False):
            predictions[str(model)] = themes.complete_labels(sub, corpus.analysed)
    if gold2 is not None:
        predictions["coder2"] = gold2.rename(columns={"category": "theme"})
    scores, confusion = themes.score_labels(gold, predictions, lexicon.categories, themes_config.n_boot,
                                            themes_config.seed, themes_config.ci_level)
    return scores, confusion, facts


def validate_themes(corpus, lexicon, config=None, mapping: pd.DataFrame | None = None,
                    audit: pd.DataFrame | None = None, gold: pd.DataFrame | None = None,
                    gold2: pd.DataFrame | None = None, topic_labels: pd.DataFrame | None = None,
                    topics_config=None, client=None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return every table of ``analysis themes-validate``, computed before anything is written.

    Parameters
    ----------
    corpus : Corpus
    lexicon : analysis.themes.Lexicon
    config : analysis.config.Config, optional
    mapping : DataFrame, optional
        A structure mapping (`analysis.themes.read_structure`); default the seed corpus's.
    audit : DataFrame, optional
        A marked precision-audit sheet (`analysis.themes.read_audit`); without it, a new sheet.
    gold, gold2, topic_labels, topics_config
        As `score_gold` (skipped without `gold`). client: Dask workers for the matching and the grid.

    Returns
    -------
    tables : dict of str to DataFrame
        File name -> table: structure.csv, translation.csv, lexicon_entries.csv, leave_one_out.csv,
        audit_sheet.csv or audit_precision_entries.csv and audit_precision_themes.csv, and with
        `gold` gold_scores.csv and gold_confusion.csv; heldout.csv and heldout_folds.csv
        (`analysis.themes.heldout_tables`: against `gold`, else the structure labels and the
        "other" sections) when there is a gold label.
    facts : dict
        What `score_gold` reports, for the run record.
    """
    from analysis import themes
    from analysis.config import Config

    config = config or Config()
    categories = list(lexicon.categories)
    result = themes.analyse_themes(corpus, lexicon, config.themes, client=client)
    tables = {"structure.csv": themes.validate_structure(result.paragraph_themes, corpus.paragraphs, mapping=mapping,
                                                         categories=categories, config=config.themes),
              "translation.csv": themes.compare_versions(result.document_themes, corpus.documents,
                                                         result.paragraph_themes, config.themes),
              "lexicon_entries.csv": result.entry_counts,
              "leave_one_out.csv": themes.leave_one_out(corpus, lexicon, result.matches)}
    if audit is None:
        tables["audit_sheet.csv"] = themes.audit_sample(corpus, result.matches, config.themes, categories)
    else:
        by_entry, by_theme = themes.audit_precision(audit, categories=categories)
        tables.update({"audit_precision_entries.csv": by_entry, "audit_precision_themes.csv": by_theme})
    facts: dict = {}
    if gold is not None:
        scores, confusion, facts = score_gold(corpus, lexicon, result.paragraph_themes, gold, gold2, topic_labels,
                                              topics_config, config.themes, client)
        tables.update({"gold_scores.csv": scores, "gold_confusion.csv": confusion})
    heldout = themes.heldout_tables(corpus, lexicon, config.themes, config.classifier, gold, mapping)
    if heldout is not None:     # in sample and left one document out, dictionary and classifier (issue 20)
        tables.update({"heldout.csv": heldout[0], "heldout_folds.csv": heldout[1]})
    return tables, facts


# ----------------------------------------------------------------------------- files and checks (no disk)


def render_figure(figure, name: str) -> dict[str, bytes]:
    """Return a figure as PNG (300 dpi; 600 for line art), PDF and SVG bytes, at its print size.

    Text stays text (SVG ``svg.fonttype: none``, PDF TrueType fonts) and no date or software
    version is written, so one figure gives the same bytes in every run.
    """
    import io

    from analysis import figures

    out = {}
    with figures.style():
        for fmt, kw in (("png", {"dpi": 600 if name in figures.LINE_ART else 300, "metadata": {"Software": None}}),
                        ("pdf", {"metadata": {"CreationDate": None, "ModDate": None, "Producer": None,
                                              "Creator": None}}),
                        ("svg", {"metadata": {"Date": None, "Creator": None}})):
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, **kw)
            out[fmt] = buffer.getvalue()
    return out


def captions_markdown(sidecars: dict[str, dict]) -> str:
    """Return the text of ``captions.md``: each figure's caption from its sidecar, in FIGURES order."""
    order = [n for n in FIGURES if n in sidecars] + sorted(set(sidecars) - set(FIGURES))
    parts = ["# Figure captions\n", "Generated by `analysis figures`; each figure's numbers are in NAME.csv and its "
             "provenance in NAME.json.\n"]
    parts += [f"## {name}\n\n{sidecars[name]['caption']}\n" for name in order if sidecars[name].get("caption")]
    return "\n".join(parts)


def _numeric(series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def compare_tables(name: str, written: pd.DataFrame, fresh: pd.DataFrame) -> list[str]:
    """Return one message per column in which a written CSV and its recomputed table differ
    (numbers to 1e-9 relative; text exactly); an empty list when they agree."""
    if list(written.columns) != list(fresh.columns) or len(written) != len(fresh):
        return [f"{name}.csv: shape or columns differ from the recomputed table "
                f"({len(written)} x {len(written.columns)} vs {len(fresh)} x {len(fresh.columns)})"]
    bad = []
    for col in written.columns:
        a, b = written[col], fresh[col]
        if _numeric(a) and _numeric(b):
            same = np.isclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            same = (a.fillna("").astype(str) == b.fillna("").astype(str)).to_numpy()
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            bad.append(f"{name}.csv: column {col}: {int((~same).sum())} row(s) differ from the recomputed table "
                       f"(first at CSV line {row + 2}: {a.iloc[row]!r} vs {b.iloc[row]!r})")
    return bad


def check_drawn(name: str, drawn: dict[str, list[float]], table: pd.DataFrame) -> list[str]:
    """Return one message per CSV column whose drawn numbers are not all in the CSV (1e-9 relative)."""
    bad = []
    for column, values in drawn.items():
        if column not in table.columns:
            bad.append(f"{name}: draws column {column!r}, which {name}.csv lacks")
            continue
        have = np.sort(table[column].to_numpy(dtype=float))
        have = have[np.isfinite(have)]
        if not len(have):
            bad.append(f"{name}: draws {len(values)} value(s) of {column}, which is empty in {name}.csv")
            continue
        idx = np.searchsorted(have, values)
        near = np.minimum(np.abs(have[np.clip(idx, 0, len(have) - 1)] - values),
                          np.abs(have[np.clip(idx - 1, 0, len(have) - 1)] - values))
        missing = np.asarray(values)[near > 1e-12 + 1e-9 * np.abs(values)]
        if len(missing):
            bad.append(f"{name}: {len(missing)} of {len(values)} drawn value(s) of {column} not in {name}.csv "
                       f"(e.g. {missing[0]:.6g})")
    return bad
