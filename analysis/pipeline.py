"""The pipelines: a tokenised corpus -> the tables of every figure (`make_figures`), and the
paragraph labels of every method scored against a coder (`score_gold`).

Runs the stages (themes, topics, discourse) and hands each figure's table to its plotting function
in `analysis.figures`; writing files is the CLI's job.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import pandas as pd

import re

from analysis.config import FIGURE_NAMES, keyness_pair, figure_names
from analysis.corpus import VERSION_RULE
from analysis.figures import (
    plot_collocation_network,
    plot_document_topics,
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
    """One figure, the numbers it shows, and what its sidecar records besides the run facts."""

    name: str
    figure: plt.Figure
    table: pd.DataFrame
    facts: dict = field(default_factory=dict)


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


def make_figures(corpus, config=None, only: list[str] | None = None, progress=None,
                 lexicon=None) -> list[FigureOutput]:
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

    Raises
    ------
    ConfigError
        If `only` names an unknown figure.
    """
    from analysis import discourse, themes
    from analysis.config import Config
    from analysis.errors import AnalysisError, ParameterError

    config = config or Config()
    say = progress or (lambda msg: None)
    fc = config.figures
    docs = corpus.documents
    pairs = {f"keyness_{p['label']}": p for p in keyness_pairs(docs, fc.keyness)}
    names = figure_names([p["label"] for p in pairs.values()])
    wanted = [n for n in names if n in set(only)] if only else list(names)
    unknown = [n for n in (only or ()) if n not in names]
    if unknown:
        raise ParameterError("make_figures", "only", f"{', '.join(unknown)}: no such figure; choose from {', '.join(names)}")
    outputs: list[FigureOutput] = []
    needs_topics = {"method_agreement", "topic_diagnostics", "topic_terms", "document_topics"} & set(wanted)
    lexicon = lexicon or themes.load_lexicon()
    say("themes: dictionary model and bootstrap")
    theme_result = themes.analyse_themes(corpus, lexicon, config=config.themes)
    topic_result = None
    if needs_topics:
        from analysis import topics

        say("topics: LDA grid (gensim, scikit-learn, seeded)")
        topic_result = topics.run_topics(corpus, config.topics, topics.theme_words(lexicon),
                                         theme_result.paragraph_themes[["doc_id", "para_id", "theme"]])
    for name in wanted:
        say(f"figure {name}")
        if name == "theme_attention":
            table = pd.concat([theme_result.document_themes.assign(level="document"),
                               theme_result.year_themes.assign(level="year")], ignore_index=True)
            fig = plot_theme_attention(theme_result.document_themes, theme_result.year_themes, docs,
                                       ci_level=config.themes.ci_level)
            outputs.append(FigureOutput(name, fig, table, {"interval": INTERVAL_NOTE, "ci_level": config.themes.ci_level,
                                                           "min_paragraphs": config.themes.min_paragraphs,
                                                           "version_rule": VERSION_RULE}))
        elif name == "translation_robustness":
            table = themes.compare_versions(theme_result.document_themes, docs, theme_result.paragraph_themes,
                                            config.themes)
            if table.empty:
                say(f"skipping {name}: no document of the corpus is a version_of another")
                continue
            outputs.append(FigureOutput(name, plot_translation_robustness(table), table,
                                        {"interval": INTERVAL_NOTE, "ci_level": config.themes.ci_level,
                                         "difference": "Agresti-Caffo interval of the share difference on effective "
                                                       "counts; equivalent = 90% interval inside +- equivalence_margin "
                                                       "(two one-sided tests at 5%)",
                                         "equivalence_margin": config.themes.equivalence_margin}))
        elif name == "method_agreement":
            shares, agree = topic_result.theme_shares, topic_result.agreement
            outputs.append(FigureOutput(name, plot_method_agreement(shares, agree, docs),
                                        shares[shares["level"] == "document"].reset_index(drop=True),
                                        {"kappa": agree[(agree["level"] == "all") & (agree["theme"] == "all")]
                                         [["model", "k", "n_paragraphs", "agreement", "kappa", "kappa_ci_low", "kappa_ci_high", "note"]]
                                         .to_dict("records"),
                                         "version_rule": VERSION_RULE}))
        elif name == "topic_diagnostics":
            sel, stab = topic_result.model_selection, topic_result.stability
            analysis_k = topic_result.facts["analysis_k"]
            stab = stab[[int(k) == int(analysis_k.get(m, -1)) for m, k in zip(stab["model"], stab["k"])]]
            table = pd.concat([sel.assign(table="model_selection"), stab.assign(table="stability")], ignore_index=True)
            outputs.append(FigureOutput(name, plot_topic_diagnostics(sel, stab), table,
                                        {"preferred_k": topic_result.preferred_k.to_dict("records")}))
        elif name in ("topic_terms", "document_topics"):
            model = "seeded" if "seeded" in set(topic_result.topic_terms["model"]) else topic_result.topic_terms["model"].iloc[0]
            k = int(topic_result.facts["analysis_k"][model])
            seed0 = int(topic_result.topic_terms.query("model == @model and k == @k")["seed"].min())
            tt = topic_result.topic_themes.query("model == @model and k == @k and seed == @seed0")
            if name == "topic_terms":
                terms = topic_result.topic_terms.query("model == @model and k == @k and seed == @seed0 and rank <= 8")
                outputs.append(FigureOutput(name, plot_topic_terms(terms, tt), terms.reset_index(drop=True),
                                            {"model": model, "k": k, "seed": seed0}))
            else:
                dt = topic_result.doc_topics.query("model == @model and k == @k")
                per_seed = dt.groupby(["seed", "doc_id", "topic"])["share"].mean().reset_index()
                table = per_seed.groupby(["doc_id", "topic"])["share"].agg(share="mean", seed_min="min",
                                                                          seed_max="max").reset_index()
                names = tt.set_index("topic")
                table["label"] = [f"{t}: {names.loc[t, 'theme']}" for t in table["topic"]]
                outputs.append(FigureOutput(name, plot_document_topics(table, docs), table,
                                            {"model": model, "k": k, "note": "topics matched across seeds by index"}))
        elif name in pairs:
            pair = pairs[name]
            try:
                table = discourse.keyness(corpus.tokens, docs, pair["target"], pair["reference"], config.discourse)
            except AnalysisError as exc:
                say(f"skipping {name}: {exc}")
                continue
            rows = _keyness_rows(table, fc.keyness_top)
            target_docs = discourse.select_documents(docs, discourse.parse_filters(pair["target"], "target"), "target")
            reference_docs = (discourse.rest_documents(docs, target_docs) if pair["reference"] == ["rest"] else
                              discourse.select_documents(docs, discourse.parse_filters(pair["reference"], "reference"),
                                                         "reference"))
            figure = plot_keyness(rows, pair["title"], pair["target_name"], pair["reference_name"], fc.keyness_top)
            outputs.append(FigureOutput(name, figure, rows, {
                "target": pair["target"], "reference": pair["reference"], "target_docs": target_docs,
                "reference_docs": [d for d in reference_docs if d not in set(target_docs)]}))
        elif name == "formulations":
            counts = discourse.count_formulations(corpus.tokens, docs)
            outputs.append(FigureOutput(name, plot_formulations(counts, docs, fc.formulations_top), counts))
        elif name == "collocation_network":
            edges = collocation_edges(corpus.tokens, fc.network_node, fc.network_window, fc.network_first_ring,
                                      fc.network_second_ring, fc.network_min_count)
            outputs.append(FigureOutput(name, plot_collocation_network(edges, fc.network_node, fc.layout_seed), edges,
                                        {"node": fc.network_node, "window": fc.network_window,
                                         "window_rule": discourse.WINDOW_RULE,
                                         "min_count": fc.network_min_count, "layout_seed": fc.layout_seed}))
    return outputs


def score_gold(corpus, lexicon, paragraph_themes: pd.DataFrame, gold: pd.DataFrame,
               gold2: pd.DataFrame | None = None, topic_labels: pd.DataFrame | None = None,
               topics_config=None, themes_config=None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
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

        result = run_topics(corpus, topics_config, theme_words(lexicon))
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
                    topics_config=None) -> tuple[dict[str, pd.DataFrame], dict]:
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
        As `score_gold` (skipped without `gold`).

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
    result = themes.analyse_themes(corpus, lexicon, config.themes)
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
                                              topics_config, config.themes)
        tables.update({"gold_scores.csv": scores, "gold_confusion.csv": confusion})
    heldout = themes.heldout_tables(corpus, lexicon, config.themes, config.classifier, gold, mapping)
    if heldout is not None:     # in sample and left one document out, dictionary and classifier (issue 20)
        tables.update({"heldout.csv": heldout[0], "heldout_folds.csv": heldout[1]})
    return tables, facts
