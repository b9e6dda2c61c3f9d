"""The `analysis lexicon` commands: export, suggest and merge (part of the command line; see `analysis.cli`).

They sit apart from `analysis.cli` only to keep that module readable; the same rules hold: parse,
call the library, write through `analysis.io`, one line on error. `add_lexicon_commands` receives
the command line's shared helpers (common options, lexicon options, table output, corpus cache).
"""
from __future__ import annotations

import dataclasses
import functools
import sys
from pathlib import Path

from analysis import io


def cmd_lexicon_export(args, config) -> int:
    from analysis import themes

    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    with io.atomic_write(io.ensure_dir(Path(args.out).parent) / Path(args.out).name) as fh:
        fh.write(themes.export_lexicon(lexicon, args.format))
    print(f"{len(lexicon.categories)} categories -> {args.out} ({args.format})\n{themes.export_note(lexicon, args.format)}")
    return 0


def cmd_lexicon_suggest(args, config, emit, cache) -> int:
    from analysis import suggest, themes
    from analysis.tokens import load_corpus

    overrides = {k: v for k, v in (("n", args.n), ("seed", args.seed)) if v is not None}
    config = dataclasses.replace(config, suggest=dataclasses.replace(config.suggest, **overrides))
    lexicon = themes.load_lexicon(args.lexicon, args.lexicon_format)
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), cache=cache(args), client=args.client,
                         partitions=args.partitions)
    table = suggest.suggest_terms(corpus, lexicon, args.category, config.suggest, config.themes)
    return emit(table, args, config, corpus, "lexicon-suggest", category=args.category, lexicon=lexicon.source,
                lexicon_sha256=io.sha256_file(lexicon.source))


def cmd_lexicon_merge(args, config) -> int:
    from analysis import suggest, themes

    table = io.read_table(args.suggestions, ("category", "term", "accept"), "suggestions").fillna("").astype(str)
    themes.load_lexicon(args.lexicon, "analysis")         # the input must be a valid lexicon of this package
    text, added, skipped = suggest.merge_suggestions(table, Path(args.lexicon).read_text(encoding="utf-8"),
                                                     str(args.suggestions), str(args.lexicon))
    with io.atomic_write(io.ensure_dir(Path(args.out).parent) / Path(args.out).name) as fh:
        fh.write(text)
    print(f"{added} entries added, {skipped} already in the lexicon -> {args.out}")
    return 0


def add_lexicon_commands(sub, common, lexicon_options, emit, cache) -> None:
    """Add ``analysis lexicon export|suggest|merge`` to the command line's subparsers `sub`."""
    lex = sub.add_parser("lexicon", help="lexicon tools: export for quanteda or LIWC, suggest terms, merge "
                                         "accepted ones").add_subparsers(dest="lexicon_command", required=True)
    p = lex.add_parser("export", help="write the lexicon for quanteda or LIWC")
    p.add_argument("--format", choices=("quanteda", "liwc"), required=True, help="dictionary format to write")
    p.add_argument("--out", required=True, help="file to write")
    lexicon_options(p)
    p.set_defaults(func=cmd_lexicon_export)
    p = lex.add_parser("suggest", help="rank candidate terms for a category (Word2Vec on this corpus, keyness) "
                                       "with KWIC lines, as a CSV to review")
    p.add_argument("--category", required=True, help="a category (theme) of the lexicon")
    p.add_argument("--n", type=int, default=None, help="candidates to list (default 50)")
    p.add_argument("--out", required=True, help="CSV to write (fill its 'accept' column)")
    p.add_argument("--seed", type=int, default=None, help="Word2Vec seed (default: config suggest.seed)")
    lexicon_options(p)
    p.set_defaults(func=functools.partial(cmd_lexicon_suggest, emit=emit, cache=cache))
    p = lex.add_parser("merge", help="add the accepted rows (accept y/yes/1/true) of a suggestions CSV to a lexicon")
    p.add_argument("--suggestions", required=True, help="the reviewed CSV of 'lexicon suggest'")
    p.add_argument("--lexicon", required=True, help="lexicon YAML (this package's format) to start from")
    p.add_argument("--out", required=True, help="lexicon YAML to write")
    p.set_defaults(func=cmd_lexicon_merge)
    for parser in lex.choices.values():
        common(parser)
