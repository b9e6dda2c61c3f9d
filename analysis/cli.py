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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="build the corpus: documents.csv, paragraphs.csv, cleaning_log.csv")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _common(p)
    p.set_defaults(func=cmd_corpus)

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
