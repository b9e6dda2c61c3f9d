"""The `analysis` command: thin wrappers over the package's functions.

Every command takes ``--manifest PATH`` (default: the repository's ``seeds/manifest.csv``) and
``--config PATH`` (a TOML file, see `analysis.config`). An error in the input prints one line on
stderr and exits with status 2; ``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import time
import warnings
from functools import partial
from pathlib import Path

from analysis import io
from analysis.cli_common import (
    _cache,
    _common,
    _given_inputs,
    _input_paths,
    _inputs,
    _lexicon_options,
    _source,
    _workers_option,
    _write_folder,
)
from analysis.cli_figures import cmd_effects, cmd_figures
from analysis.cli_lexicon import add_lexicon_commands
from analysis.cli_topics import QUICK_TOPICS, cmd_topics, cmd_topics_apply
from analysis.config import FIGURE_NAMES, load_config
from analysis.engine import engine_session
from analysis.errors import AnalysisError, AnalysisWarning, ConfigError, ParameterError


def cmd_corpus(args, config) -> int:
    from analysis.tokens import load_corpus

    started = time.perf_counter()
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), **_source(args))
    tables = {f"{name}.csv": getattr(corpus, name)
              for name in ("documents", "paragraphs", "cleaning_log", "sentences", "phrases")}
    seconds = time.perf_counter() - started
    out = _write_folder(args, corpus, tables, io.run_record(config, _inputs(args, corpus), command="corpus",
                                                            engine=args.engine_record,
                                                            seconds=round(seconds, 3)))
    docs = corpus.documents
    print(f"{len(docs)} documents, {len(corpus.paragraphs)} paragraphs "
          f"({len(corpus.analysed)} analysed), {int(docs['n_tokens'].sum())} tokens, "
          f"{corpus.tokens['lemma'].nunique()} lemma types; {len(corpus.cleaning_log)} cleaning-log rows "
          f"-> {out} ({seconds:.1f} s)")
    return 0


def _themes_setup(args, config):
    """Load the corpus, lexicon and themes config (with ``--seed``) for the themes commands."""
    from analysis import themes
    from analysis.tokens import load_corpus

    themes_config = config.themes if args.seed is None else dataclasses.replace(config.themes, seed=args.seed)
    config = dataclasses.replace(config, themes=themes_config)
    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), **_source(args))
    inputs = _inputs(args, corpus)
    inputs[Path(lexicon.source).name] = io.sha256_file(lexicon.source)
    return themes, corpus, lexicon, config, inputs


def cmd_themes(args, config) -> int:
    started = time.perf_counter()
    themes, corpus, lexicon, config, inputs = _themes_setup(args, config)
    result = themes.analyse_themes(corpus, lexicon, config.themes, client=args.client, partitions=args.partitions)
    # computed before anything is written: a bad --by leaves earlier outputs whole
    by_tables = {f"themes_by_{re.sub(r'[^A-Za-z0-9_-]+', '-', field)}.csv":
                 themes.theme_rates(result.paragraph_themes, corpus.documents, by=field, config=config.themes,
                                    categories=lexicon.categories)
                 for field in args.by or ()}
    methods = {"both": ("dictionary", "classifier"), "classifier": ("classifier",)}.get(args.method)
    labelled = themes.analyse_theme_methods(corpus, lexicon, config.themes, config.classifier, methods) \
        if methods else result              # the methods' tables stacked with a first column `method`
    tables = {"paragraph_themes.csv": labelled.paragraph_themes, "document_themes.csv": labelled.document_themes,
              "year_themes.csv": labelled.year_themes, **by_tables, "lexicon_entries.csv": result.entry_counts,
              "concordance.csv": themes.concordance(corpus, result.matches)}
    seconds = time.perf_counter() - started
    out = _write_folder(args, corpus, tables, io.run_record(
        config, inputs, command="themes", engine=args.engine_record, lexicon=lexicon.source, method=args.method,
        seed=config.themes.seed, n_boot=config.themes.n_boot, seconds=round(seconds, 3)))
    labels = result.paragraph_themes["theme"].value_counts()
    print(f"{len(result.matches)} matches in {len(result.paragraph_themes)} paragraphs; labels: "
          + ", ".join(f"{t} {int(labels.get(t, 0))}" for t in (*lexicon.categories, "none"))
          + f" -> {out} ({seconds:.1f} s)")
    return 0


def cmd_themes_validate(args, config) -> int:
    from analysis.pipeline import validate_themes

    started = time.perf_counter()
    themes, corpus, lexicon, config, inputs = _themes_setup(args, config)
    categories = list(lexicon.categories)
    gold, gold2 = (themes.read_gold(p, corpus, categories) if p is not None else None for p in (args.gold, args.gold2))
    if gold2 is not None and gold is None:
        raise ConfigError("--gold2 needs --gold (the first coder's file)")
    labels = io.read_table(args.labels, ("model", "doc_id", "para_id", "theme"), "topic labels") if args.labels else None
    quick = None if args.no_topics or labels is not None else dataclasses.replace(config.topics, **QUICK_TOPICS)
    mapping = themes.read_structure(args.structure, corpus.documents["doc_id"], categories)
    audit = themes.read_audit(args.coded, categories, entries={e.pattern: e.theme for e in lexicon.entries},
                              doc_ids=set(corpus.documents["doc_id"])) if args.coded else None
    tables, facts = validate_themes(corpus, lexicon, config, mapping, audit, gold, gold2, labels, quick, args.client)
    inputs.update({Path(p).name: io.sha256_file(p) for p in (args.coded, args.structure, args.gold, args.gold2,
                                                             args.labels) if p})
    seconds = time.perf_counter() - started
    files = {k: str(v) if v else None for k, v in (("coded", args.coded), ("gold", args.gold), ("gold2", args.gold2))}
    out = _write_folder(args, corpus, tables, io.run_record(
        config, inputs, command="themes-validate", engine=args.engine_record, lexicon=lexicon.source,
        seed=config.themes.seed,
        structure=str(args.structure or themes.default_structure_path().name), **files, **facts,
        seconds=round(seconds, 3)))
    structure, versions = tables["structure.csv"], tables["translation.csv"]
    macro = structure[structure["theme"] == "macro"].set_index("check")["f1"]
    largest = versions.loc[versions["share_difference"].abs().idxmax()] if len(versions) else None
    line = ("structure macro F1: " + ", ".join(f"{k} {v:.3f}" for k, v in macro.items()) if len(macro)
            else "no paragraph with a section theme")
    if largest is not None:
        line += (f"; largest share difference {largest['doc_id']} vs {largest['version_of']}: "
                 f"{largest['theme']} {largest['share_difference']:+.3f}")
    if args.coded is not None:
        line += "; audit precision: " + ", ".join(f"{r.theme} {r.precision:.2f} (n={r.n_coded})"
                                                  for r in tables["audit_precision_themes.csv"].itertuples())
    line += themes.heldout_summary(tables["heldout.csv"]) if "heldout.csv" in tables else ""
    if gold is not None:
        scores = tables["gold_scores.csv"]
        line += f"; gold ({len(gold)} paragraphs) macro F1 / kappa: " + ", ".join(
            f"{r.method} {r.f1:.2f} [{r.f1_ci_low:.2f}, {r.f1_ci_high:.2f}] / {r.kappa:.2f}"
            for r in scores[scores["category"] == "macro"].itertuples())
    print(f"{line} -> {out} ({seconds:.1f} s)")
    return 0


def cmd_themes_sheet(args, config) -> int:
    themes, corpus, lexicon, config, _ = _themes_setup(args, config)
    labels = themes.score_paragraphs(corpus, lexicon, config.themes)
    sheet = themes.coding_sheet(corpus, labels, args.n, config.themes.seed)
    _emit(sheet, args, config, corpus, "themes-sheet", n=args.n, seed=config.themes.seed, lexicon=lexicon.source)
    print(f"code 'category' as one of {', '.join(lexicon.categories)}, other; read it back with themes-validate --gold")
    return 0


def _discourse_config(config, **overrides):
    """Return `config.discourse` with the command-line options that were given."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(config.discourse, **given) if given else config.discourse


def _emit(table, args, config, corpus, command: str, columns=None, **extra) -> int:
    """Write `table` to ``--out`` (CSV, atomic, with ``<out>.run.json``) or print its top rows."""
    if args.out is not None:
        out = io.check_output(args.out, "file", _input_paths(args, corpus), siblings=["<name>.run.json"])
        with io.output_set(out.parent, holds_inputs_ok=True) as staged:
            io.write_csv(table, staged / out.name)
            io.write_json(io.run_record(config, _inputs(args, corpus), command=command, argv=sys.argv[1:],
                                        engine=args.engine_record,
                                        rows=len(table), **extra), staged / (out.name + ".run.json"))
        print(f"{len(table)} rows -> {out}")
        return 0
    import pandas as pd

    shown = table[columns] if columns else table
    with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.precision", 3):
        print(shown.head(args.top).to_string(index=False))
    if len(table) > args.top:
        print(f"... {len(table) - args.top} more rows (--top N, or --out FILE for all)")
    return 0


def cmd_keyness(args, config) -> int:
    from analysis import discourse
    from analysis.tokens import load_corpus

    settings = _discourse_config(config, min_freq=args.min_freq, max_para_share=args.max_para_share)
    corpus = load_corpus(args.manifest, config, **_source(args))
    table = discourse.keyness(corpus.tokens, corpus.documents, args.target, args.reference or "rest", settings,
                              min_abs_log_ratio=args.min_log_ratio, max_p_adj=args.max_p_adj,
                              key_for=args.key_for, sort=args.sort)
    return _emit(table, args, config, corpus, "keyness",
                 ["term", "freq_target", "freq_reference", "g2", "p_adj", "log_ratio", "log_ratio_ci_low",
                  "log_ratio_ci_high", "key_for", "para_target", "para_reference"],
                 target=args.target, reference=args.reference or ["rest"])


def cmd_kwic(args, config) -> int:
    from analysis import discourse
    from analysis.discourse.concordance import KWIC_COLUMNS
    from analysis.tokens import load_corpus

    window = config.discourse.window if args.window is None else args.window
    discourse.check_window(window)
    corpus = load_corpus(args.manifest, config, **_source(args), columns=KWIC_COLUMNS)
    table = discourse.kwic(corpus.tokens, corpus.paragraphs, " ".join(args.term), window)
    return _emit(table, args, config, corpus, "kwic", ["doc_id", "line_start", "left", "match", "right"])


def cmd_collocations(args, config) -> int:
    from analysis import discourse
    from analysis.tokens import load_corpus

    if args.window is not None:
        discourse.check_window(args.window)
    settings = _discourse_config(config, window=args.window)
    corpus = load_corpus(args.manifest, config, **_source(args))
    if args.node:
        table = discourse.collocates(corpus.tokens, args.node, settings.window, args.stream, settings,
                                     min_count=args.min_count, sort=args.sort)
    else:
        table = discourse.collocations(corpus.tokens, args.n, args.stream, settings, min_count=args.min_count,
                                       sort=args.sort)
    columns = [c for c in table.columns if c not in ("n_stream", "window_slots", "w1", "w2", "w3")]
    extra = {"window_rule": discourse.WINDOW_RULE} if args.node else {}
    return _emit(table, args, config, corpus, "collocations", columns, **extra)


def cmd_formulations(args, config) -> int:
    from analysis import discourse
    from analysis.tokens import load_corpus

    if args.window is not None:
        discourse.check_window(args.window)
    formulations = discourse.read_formulations(args.file)
    corpus = load_corpus(args.manifest, config, **_source(args))
    columns = None
    if args.discover:
        table = discourse.discover_formulations(corpus.paragraphs, corpus.tokens, formulations)
        columns = ["candidate", "kind", "count", "n_paragraphs", "n_docs", "first_where"]
    elif args.concordance:
        table = discourse.formulation_concordance(corpus.tokens, corpus.paragraphs, args.concordance, formulations,
                                                  args.window or config.discourse.window)
        columns = ["doc_id", "line_start", "left", "match", "right"]
    elif args.first:
        table = discourse.first_appearances(corpus.tokens, corpus.documents, formulations)
        columns = ["formulation_id", "doc_id", "date", "line", "variant", "total_count", "n_docs"]
    else:
        table = discourse.count_formulations(corpus.tokens, corpus.documents, formulations, client=args.client,
                                             partitions=args.partitions)
        if args.by != "doc":
            table = discourse.formulations_by(table, corpus.documents, args.by)
        if args.out is None:
            table = table[table["count"] > 0]
            columns = [c for c in table.columns if c not in ("category", "canonical", "n_tokens")]
    return _emit(table, args, config, corpus, "formulations", columns)


def cmd_profile(args, config) -> int:
    from analysis import discourse
    from analysis.tokens import load_corpus

    settings = _discourse_config(config, mattr_window=args.window)
    corpus = load_corpus(args.manifest, config, **_source(args))
    table = discourse.lexical_profile(corpus.tokens, corpus.sentences, settings)
    return _emit(table, args, config, corpus, "profile")


def _table_output(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, help="write the whole table to this CSV file "
                   "(and <out>.run.json); default: print the top rows")
    p.add_argument("--top", type=int, default=20, help="rows to print on the terminal (default 20)")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (status 2), like every other error."""

    def error(self, message: str):
        command = self.prog.partition(" ")[2]
        self.exit(2, f"analysis: error: {command + ': ' if command else ''}{' '.join(message.split())} "
                     f"(see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the `analysis` parser: the global options, then each command group's sub-commands, in `--help` order."""
    import analysis

    parser = _Parser(prog="analysis", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {analysis.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    _add_corpus_command(sub)
    _add_theme_commands(sub)
    add_lexicon_commands(sub, _common, _lexicon_options, _emit, _cache)
    _add_keyness_command(sub)
    _add_text_commands(sub)
    _add_figure_commands(sub)
    _add_topic_commands(sub)
    return parser


def _add_corpus_command(sub) -> None:
    """Register `corpus`."""
    p = sub.add_parser("corpus", help="build the corpus: documents.csv, paragraphs.csv, cleaning_log.csv")
    p.add_argument("--out", required=True, help="output folder")
    _common(p)
    p.set_defaults(func=cmd_corpus)


def _add_theme_commands(sub) -> None:
    """Register `themes`, `themes-validate` and `themes-sheet` (one loop: they share most flags)."""
    for name, func, text in (
            ("themes", cmd_themes, "theme dictionary model: paragraph_themes.csv, document_themes.csv, "
                                   "year_themes.csv, lexicon_entries.csv, concordance.csv"),
            ("themes-validate", cmd_themes_validate, "validate the theme model: structure.csv, translation.csv, "
                                                     "lexicon_entries.csv, leave_one_out.csv, audit_sheet.csv; "
                                                     "with --gold: gold_scores.csv, gold_confusion.csv"),
            ("themes-sheet", cmd_themes_sheet, "coding sheet: a seeded sample of paragraphs, stratified by "
                                               "document and predicted label, to code by hand")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--out", required=True,
                       help="the coding sheet CSV to write" if name == "themes-sheet" else "output folder")
        if name == "themes-sheet":
            p.add_argument("--n", type=int, required=True, help="paragraphs to draw")
        _lexicon_options(p)
        p.add_argument("--seed", type=int, default=None, help="bootstrap and sample seed (default: config)")
        if name == "themes":
            p.add_argument("--by", action="append", metavar="FIELD", default=None,
                           help="also write themes_by_FIELD.csv: rates and shares per group of a documents.csv "
                                "field (genre, translation, or a column the manifest adds); repeatable")
            p.add_argument("--method", choices=("dictionary", "classifier", "both"), default="dictionary",
                           help="dictionary labels (default), the classifier's, or both with a 'method' column")
        for flag, help_text in (("--coded", "a marked audit_sheet.csv: per-entry and per-theme precision"),
                                ("--structure", "structure mapping CSV (doc_id, part, section, item, category, "
                                                "check); default: analysis/data/structure_seeds.csv"),
                                ("--gold", "hand-coded paragraphs (doc_id, para_id or line, category): "
                                           "gold_scores.csv, gold_confusion.csv"),
                                ("--gold2", "a second coder's file, scored against --gold (inter-coder ceiling)"),
                                ("--labels", "topic models' paragraph labels (paragraph_themes.csv of a topics "
                                             "run) for --gold; default: a quick topic grid")):
            if name == "themes-validate":
                p.add_argument(flag, default=None, help=help_text)
        if name == "themes-validate":
            p.add_argument("--no-topics", action="store_true", help="score only the dictionary against --gold")
        _common(p)
        p.set_defaults(func=func)


def _add_keyness_command(sub) -> None:
    """Register `keyness`."""
    p = sub.add_parser("keyness", help="key terms of a target group of paragraphs against a reference group")
    p.add_argument("--target", action="append", required=True, metavar="FIELD=VALUE",
                   help="documents of the target group, by a documents.csv field (doc_id, year, genre, "
                        "translation, ...); repeat: same field = OR, different fields = AND")
    p.add_argument("--reference", action="append", default=None, metavar="FIELD=VALUE|rest",
                   help="documents of the reference group, as --target; 'rest' (default) = all other paragraphs")
    p.add_argument("--min-freq", type=int, default=None, help="minimum frequency in both groups together")
    p.add_argument("--max-para-share", type=float, default=None,
                   help="drop terms of which one paragraph holds more than this share, in (0, 1]")
    p.add_argument("--min-log-ratio", type=float, default=0.0, help="keep terms with |log_ratio| >= this")
    p.add_argument("--max-p-adj", type=float, default=1.0, help="keep terms with p_adj <= this")
    p.add_argument("--key-for", choices=("both", "target", "reference"), default="both")
    p.add_argument("--sort", choices=("g2", "log_ratio", "abs_log_ratio", "p_adj"), default="g2")
    _table_output(p)
    _common(p)
    p.set_defaults(func=cmd_keyness)


def _add_text_commands(sub) -> None:
    """Register `kwic`, `collocations`, `formulations` and `profile`."""
    p = sub.add_parser("kwic", help="concordance of a word, lemma, phrase or glob (supervis*)")
    p.add_argument("term", nargs="+", help="word, phrase (several words) or glob")
    p.add_argument("--window", type=int, default=None, help="context tokens on each side (default 5)")
    _table_output(p)
    _common(p)
    p.set_defaults(func=cmd_kwic)

    p = sub.add_parser("collocations", help="bigrams/trigrams, or collocates of a node, with PMI, G2, t, Dice")
    p.add_argument("--n", type=int, choices=(2, 3), default=2, help="n-gram size (default 2)")
    p.add_argument("--node", default=None, help="collocates of this word, phrase or glob instead of n-grams")
    p.add_argument("--window", type=int, default=None, help="collocate window, items on each side (default 5)")
    p.add_argument("--stream", choices=("term", "lemma"), default="term",
                   help="terms (no stop words, multi-word terms as one item) or all lemmas")
    p.add_argument("--min-count", type=int, default=None, help="minimum count (default 3)")
    p.add_argument("--sort", choices=("g2", "pmi", "t_score", "dice", "count"), default="g2")
    _table_output(p)
    _common(p)
    p.set_defaults(func=cmd_collocations)

    p = sub.add_parser("formulations", help="official formulations (tifa): counts per document or year, "
                                            "first appearances, concordance, discovery")
    p.add_argument("--file", default=None, help="formulation list CSV (default: the package's)")
    p.add_argument("--by", default="doc", metavar="doc|FIELD",
                   help="counts per document, or per group of a documents.csv field: year, genre, translation "
                        "or a column the manifest adds (groups leave out other versions of a document)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--first", action="store_true", help="first appearance of each formulation")
    mode.add_argument("--concordance", metavar="FORMULATION_ID", help="KWIC of one formulation's variants")
    mode.add_argument("--discover", action="store_true", help="candidate formulations the list lacks")
    p.add_argument("--window", type=int, default=None, help="concordance context tokens (default 5)")
    _table_output(p)
    _common(p)
    p.set_defaults(func=cmd_formulations)

    p = sub.add_parser("profile", help="per-document tokens, types, MATTR, mean sentence length")
    p.add_argument("--window", type=int, default=None, help="MATTR window in tokens (default 500)")
    _table_output(p)
    _common(p)
    p.set_defaults(func=cmd_profile)


def _add_figure_commands(sub) -> None:
    """Register `figures` and `effects`."""
    p = sub.add_parser("figures", help="regenerate every comparative figure: NAME.png, .pdf, .svg, .csv, .json "
                                       "and captions.md; or --check a folder of them")
    p.add_argument("--out", default=None, help="output folder (e.g. figures/)")
    p.add_argument("--check", type=Path, default=None, metavar="DIR",
                   help="compare every number drawn with its CSV and every CSV with a recomputation; "
                        "exit 1 listing any mismatch")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="make only this figure (repeatable); names: "
                   + ", ".join(n if n != "keyness" else "keyness_<label>" for n in FIGURE_NAMES)
                   + " (labels: [[figures.keyness]] of the config, or derived from the manifest)")
    _workers_option(p)
    _lexicon_options(p)
    _common(p)
    p.set_defaults(func=partial(cmd_figures, shared=(_inputs, _source, QUICK_TOPICS, _input_paths)))
    p = sub.add_parser("effects", help="effects of document covariates on category attention (and topic "
                                       "prevalence): effects.csv, marginal_means.csv, effects.png/.pdf/.svg")
    p.add_argument("--formula", default="~ genre + year",
                   help="right-hand side over documents columns (patsy), default '~ genre + year'")
    p.add_argument("--method", choices=("negbin", "poisson"), default="negbin",
                   help="negative-binomial GLM or quasi-Poisson (Poisson with cluster-robust errors)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _lexicon_options(p)
    p.add_argument("--topics", action="store_true",
                   help="also topic prevalence by the method of composition (fits the topic grid)")
    p.add_argument("--quick", action="store_true", help="with --topics: the small grid of `topics --quick`")
    p.add_argument("--topic-model", default=None, choices=("seeded", "gensim", "sklearn", "tomotopy"),
                   help="with --topics: the model whose topics are regressed (default: seeded if fitted, else the "
                        "first of topics.models); its free topics are matched across seeds first")
    _common(p)
    p.set_defaults(func=partial(cmd_effects, shared=(_inputs, _source, QUICK_TOPICS, _input_paths)))


def _add_topic_commands(sub) -> None:
    """Register `topics`, `topics-apply` and `explore`."""
    p = sub.add_parser("topics", help="topic models: selection, stability, labels, themes, agreement")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--k", type=int, nargs="+", default=None, metavar="K", help="grid of topic numbers")
    p.add_argument("--seeds", type=int, nargs="+", default=None, metavar="SEED",
                   help="fit seeds (default: derived from topics.seed)")
    p.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                   help="model families: gensim, sklearn, seeded, tomotopy")
    p.add_argument("--quick", action="store_true", help="small grid (K 4 6, 2 seeds, few passes)")
    _lexicon_options(p)
    p.add_argument("--labels", default=None,
                   help="CSV of dictionary paragraph labels (doc_id, para_id, theme) for agreement.csv")
    p.add_argument("--save", default=None, metavar="DIR",
                   help="keep the fitted models at the analysis K (library formats, sha256 manifest, "
                        "pyLDAvis inputs, a document-term matrix for R)")
    p.add_argument("--streamed", action="store_true",
                   help="build the bag of words per partition into OUT/bag (a gensim MmCorpus) and fit the gensim "
                        "model from it in chunks, every K and seed: topic_terms.csv, doc_topics.csv, "
                        "streamed_fits.csv (no selection, stability or themes)")
    _workers_option(p)
    _common(p)
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("topics-apply", help="topic shares of new documents under saved models: "
                                            "paragraph_topics.csv, document_topics.csv")
    p.add_argument("--models", required=True, help="a folder written by `analysis topics --save`")
    p.add_argument("--out", required=True, help="output folder")
    _common(p)
    p.set_defaults(func=cmd_topics_apply)
    from analysis.explore.command import (
        add_parser as add_explore,  # the command's body lives there
    )
    add_explore(sub, _common, cache=_cache, inputs=_inputs, quick=QUICK_TOPICS)


#: Library parameters whose command-line flag is not ``--`` + the name with dashes.
FLAGS = {"formulation_id": "--concordance", "only": "--only"}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one line: ``analysis: warning: ...`` (tracebacks-style context for others)."""
    if issubclass(category, AnalysisWarning):
        print(f"analysis: warning: {' '.join(str(message).split())}", file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stderr)


#: The file options of the commands, and what each file is (for messages).
FILE_OPTIONS = {"config": "config file", "lexicon": "lexicon file", "labels": "paragraph labels file",
                "coded": "coding sheet", "file": "formulation file", "manifest": "manifest",
                "gold": "hand-coded file", "gold2": "second coder's file", "structure": "structure mapping",
                "suggestions": "suggestions file"}
FOLDER_COMMANDS = ("corpus", "themes", "themes-validate", "figures", "effects", "topics", "topics-apply", "explore")


def _check_options(args) -> None:
    """Refuse option values argparse lets through: ``--top`` below 1, repeated grid values,
    non-finite or out-of-range thresholds. Each message names the option."""
    import math

    if getattr(args, "top", None) is not None and args.top < 1:
        raise ConfigError(f"--top must be an integer >= 1; got {args.top}")
    for option in ("k", "seeds", "models", "only"):
        values = getattr(args, option, None)
        values = values if isinstance(values, list) else []     # topics-apply's --models is a folder
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise ConfigError(f"--{option} repeats {', '.join(repeated)}; give each value once")
    ranges = {"min_log_ratio": (lambda v: v >= 0, " >= 0"), "max_p_adj": (lambda v: 0 < v <= 1, " in (0, 1]"),
              "max_para_share": (lambda v: True, "")}
    for option, (ok, rule) in ranges.items():
        value = getattr(args, option, None)
        if value is not None and not (math.isfinite(value) and ok(value)):
            raise ConfigError(f"--{option.replace('_', '-')} must be a finite number{rule}; got {value}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            # a document the corpus leaves out or may misread is one line on stderr, and the run goes on
            warnings.simplefilter("always", AnalysisWarning)
            warnings.showwarning = _show_warning
            _check_options(args)
            io.check_paths(args, _given_inputs(args), FOLDER_COMMANDS, FILE_OPTIONS)
            config = load_config(args.config, manifest=args.manifest)
            with engine_session(args) as args.client:
                return args.func(args, config)
    except AnalysisError as exc:
        if args.debug:
            raise
        text = exc.as_flag(FLAGS.get(exc.param)) if isinstance(exc, ParameterError) else str(exc)
        message = " ".join(text.split())
        print(f"analysis: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("analysis: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:     # the reader (``| head``) stopped reading: nothing more to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
