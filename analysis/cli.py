"""The `analysis` command: thin wrappers over the package's functions.

Every command takes ``--manifest PATH`` (default: the repository's ``seeds/manifest.csv``) and
``--config PATH`` (a TOML file, see `analysis.config`). An error in the input prints one line on
stderr and exits with status 2; ``--debug`` shows the traceback instead.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analysis import io
from analysis.config import load_config
from analysis.errors import AnalysisError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", type=Path, default=None,
                        help="manifest CSV of the corpus (default: the repository's seeds/manifest.csv)")
    parser.add_argument("--config", type=Path, default=None, help="TOML configuration file")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _inputs(corpus) -> dict[str, str]:
    """Return the manifest and seed files of a corpus mapped to their sha256."""
    files = {str(corpus.manifest.name): io.sha256_file(corpus.manifest)}
    files.update(dict(zip(corpus.documents["file"], corpus.documents["sha256"])))
    return files


def cmd_corpus(args, config) -> int:
    from analysis.tokens import load_corpus

    started = time.perf_counter()
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty())
    out = io.ensure_dir(args.out)
    io.write_csv(corpus.documents, out / "documents.csv")
    io.write_csv(corpus.paragraphs, out / "paragraphs.csv")
    io.write_csv(corpus.cleaning_log, out / "cleaning_log.csv")
    io.write_csv(corpus.sentences, out / "sentences.csv")
    io.write_csv(corpus.phrases, out / "phrases.csv")
    seconds = time.perf_counter() - started
    io.write_json(io.run_record(config, _inputs(corpus), command="corpus", seconds=round(seconds, 3)),
                  out / "run.json")
    docs = corpus.documents
    print(f"{len(docs)} documents, {len(corpus.paragraphs)} paragraphs "
          f"({len(corpus.analysed)} analysed), {int(docs['n_tokens'].sum())} tokens, "
          f"{corpus.tokens['lemma'].nunique()} lemma types; {len(corpus.cleaning_log)} cleaning-log rows "
          f"-> {out} ({seconds:.1f} s)")
    return 0


def _themes_setup(args, config):
    """Load the corpus, lexicon and themes config (with ``--seed``) for the themes commands."""
    import dataclasses

    from analysis import themes
    from analysis.tokens import load_corpus

    themes_config = config.themes if args.seed is None else dataclasses.replace(config.themes, seed=args.seed)
    config = dataclasses.replace(config, themes=themes_config)
    lexicon = themes.load_lexicon(args.lexicon)
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty())
    inputs = _inputs(corpus)
    inputs[Path(lexicon.source).name] = io.sha256_file(lexicon.source)
    return themes, corpus, lexicon, config, inputs


def cmd_themes(args, config) -> int:
    started = time.perf_counter()
    themes, corpus, lexicon, config, inputs = _themes_setup(args, config)
    result = themes.analyse_themes(corpus, lexicon, config.themes)
    out = io.ensure_dir(args.out)
    io.write_csv(result.paragraph_themes, out / "paragraph_themes.csv")
    io.write_csv(result.document_themes, out / "document_themes.csv")
    io.write_csv(result.year_themes, out / "year_themes.csv")
    io.write_csv(result.entry_counts, out / "lexicon_entries.csv")
    io.write_csv(themes.concordance(corpus, result.matches), out / "concordance.csv")
    seconds = time.perf_counter() - started
    io.write_json(io.run_record(config, inputs, command="themes", lexicon=lexicon.source,
                                seed=config.themes.seed, n_boot=config.themes.n_boot,
                                seconds=round(seconds, 3)), out / "run.json")
    labels = result.paragraph_themes["theme"].value_counts()
    print(f"{len(result.matches)} matches in {len(result.paragraph_themes)} paragraphs; labels: "
          + ", ".join(f"{t} {int(labels.get(t, 0))}" for t in (*themes.THEMES, "none"))
          + f" -> {out} ({seconds:.1f} s)")
    return 0


def cmd_themes_validate(args, config) -> int:
    started = time.perf_counter()
    themes, corpus, lexicon, config, inputs = _themes_setup(args, config)
    out = io.ensure_dir(args.out)
    if args.coded is not None:
        sheet = themes.read_audit(args.coded)
        by_entry, by_theme = themes.audit_precision(sheet)
        io.write_csv(by_entry, out / "audit_precision_entries.csv")
        io.write_csv(by_theme, out / "audit_precision_themes.csv")
        inputs[Path(args.coded).name] = io.sha256_file(args.coded)
    result = themes.analyse_themes(corpus, lexicon, config.themes)
    structure = themes.validate_structure(result.paragraph_themes, corpus.paragraphs)
    versions = themes.compare_versions(result.document_themes, corpus.documents)
    io.write_csv(structure, out / "structure.csv")
    io.write_csv(versions, out / "translation.csv")
    io.write_csv(result.entry_counts, out / "lexicon_entries.csv")
    io.write_csv(themes.leave_one_out(corpus, lexicon, result.matches), out / "leave_one_out.csv")
    if args.coded is None:
        io.write_csv(themes.audit_sample(corpus, result.matches, config.themes), out / "audit_sheet.csv")
    seconds = time.perf_counter() - started
    io.write_json(io.run_record(config, inputs, command="themes-validate", lexicon=lexicon.source,
                                coded=str(args.coded) if args.coded else None, seed=config.themes.seed,
                                seconds=round(seconds, 3)), out / "run.json")
    macro = structure[structure["theme"] == "macro"].set_index("check")["f1"]
    largest = versions.loc[versions["share_difference"].abs().idxmax()] if len(versions) else None
    line = ("structure macro F1: " + ", ".join(f"{k} {v:.3f}" for k, v in macro.items()) if len(macro)
            else "no paragraph with a section theme")
    if largest is not None:
        line += (f"; largest share difference {largest['doc_id']} vs {largest['version_of']}: "
                 f"{largest['theme']} {largest['share_difference']:+.3f}")
    if args.coded is not None:
        line += "; audit precision: " + ", ".join(f"{r.theme} {r.precision:.2f} (n={r.n_coded})"
                                                  for r in by_theme.itertuples())
    print(f"{line} -> {out} ({seconds:.1f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="build the corpus: documents.csv, paragraphs.csv, cleaning_log.csv")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _common(p)
    p.set_defaults(func=cmd_corpus)

    for name, func, text in (
            ("themes", cmd_themes, "theme dictionary model: paragraph_themes.csv, document_themes.csv, "
                                   "year_themes.csv, lexicon_entries.csv, concordance.csv"),
            ("themes-validate", cmd_themes_validate, "validate the theme model: structure.csv, translation.csv, "
                                                     "lexicon_entries.csv, leave_one_out.csv, audit_sheet.csv")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--out", type=Path, required=True, help="output folder")
        p.add_argument("--lexicon", type=Path, default=None,
                       help="theme lexicon YAML (default: the package's data/themes.yaml)")
        p.add_argument("--seed", type=int, default=None, help="bootstrap and audit seed (default: config)")
        if name == "themes-validate":
            p.add_argument("--coded", type=Path, default=None,
                           help="a marked audit_sheet.csv: report per-entry and per-theme precision")
        _common(p)
        p.set_defaults(func=func)

    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        return args.func(args, config)
    except AnalysisError as exc:
        if args.debug:
            raise
        message = " ".join(str(exc).split())
        print(f"analysis: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("analysis: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
