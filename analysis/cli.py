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


#: Small grid of `--quick` (tests and smoke runs): a few seconds on the seeds.
QUICK_TOPICS = {"k_values": (4, 6), "n_seeds": 2, "passes": 2, "iterations": 20, "max_iter": 5,
                "gibbs_iterations": 100, "n_bootstrap": 50, "n_jobs": 1}
TOPIC_TABLES = {"topic_terms": "topic_terms.csv", "topic_labels": "topic_labels.csv",
                "typical": "typical_paragraphs.csv", "doc_topics": "doc_topics.csv",
                "model_selection": "model_selection.csv", "preferred_k": "preferred_k.csv",
                "stability": "stability.csv", "topic_themes": "topic_themes.csv",
                "theme_shares": "theme_shares.csv", "paragraph_themes": "paragraph_themes.csv",
                "agreement": "agreement.csv"}


def read_theme_lexicon(path: Path) -> dict[str, list[str]]:
    """Return theme -> patterns from a YAML lexicon (``themes:`` theme -> entries with ``pattern``)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnalysisError(f"{path}: theme lexicon not found (topics needs it; pass --lexicon PATH)"
                            ) from None
    except yaml.YAMLError as exc:
        raise AnalysisError(f"{path}: not valid YAML ({exc})") from None
    themes = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(themes, dict) or not themes:
        raise AnalysisError(f"{path}: expected a top-level 'themes' mapping of theme -> list of entries")
    lexicon = {}
    for theme, entries in themes.items():
        if not isinstance(entries, list):
            raise AnalysisError(f"{path}: themes.{theme}: expected a list of entries")
        patterns = []
        for i, entry in enumerate(entries, start=1):
            pattern = entry.get("pattern") if isinstance(entry, dict) else entry
            if not isinstance(pattern, str) or not pattern.strip():
                raise AnalysisError(f"{path}: themes.{theme} entry {i}: field 'pattern' is {pattern!r}; "
                                    "expected a non-empty string")
            patterns.append(pattern)
        lexicon[str(theme)] = patterns
    return lexicon


def cmd_topics(args, config) -> int:
    import dataclasses

    import pandas as pd

    from analysis.tokens import load_corpus
    from analysis.topics import derived_seeds, run_topics

    started = time.perf_counter()
    overrides = dict(QUICK_TOPICS) if args.quick else {}
    for option, name in (("k", "k_values"), ("seeds", "seeds"), ("models", "models")):
        if getattr(args, option):
            overrides[name] = tuple(getattr(args, option))
    topics_config = dataclasses.replace(config.topics, **overrides)
    config = dataclasses.replace(config, topics=topics_config)
    lexicon = read_theme_lexicon(args.lexicon)
    labels = None
    if args.labels is not None:
        try:
            labels = pd.read_csv(args.labels, dtype={"doc_id": str, "theme": str})
        except FileNotFoundError:
            raise AnalysisError(f"{args.labels}: paragraph labels file not found") from None
        missing = sorted({"doc_id", "para_id", "theme"} - set(labels.columns))
        if missing:
            raise AnalysisError(f"{args.labels}: missing column(s) {', '.join(missing)}; "
                                "expected doc_id, para_id, theme")
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty())
    result = run_topics(corpus, topics_config, lexicon, labels, progress=sys.stderr.isatty())
    out = io.ensure_dir(args.out)
    for attr, name in TOPIC_TABLES.items():
        io.write_csv(getattr(result, attr), out / name)
    inputs = _inputs(corpus)
    inputs[str(Path(args.lexicon).name)] = io.sha256_file(args.lexicon)
    if args.labels is not None:
        inputs[str(Path(args.labels).name)] = io.sha256_file(args.labels)
    seconds = time.perf_counter() - started
    io.write_json(io.run_record(config, inputs, command="topics", argv=sys.argv[1:],
                                derived_seeds=derived_seeds(topics_config), facts=result.facts,
                                outputs=sorted(TOPIC_TABLES.values()), seconds=round(seconds, 3)),
                  out / "run.json")
    best = result.preferred_k
    summary = "; ".join(f"{m}: " + ", ".join(f"{r.criterion}={r.k}" for r in sub.itertuples())
                        for m, sub in best.groupby("model", sort=False))
    print(f"{result.facts['n_paragraphs']} paragraphs, {result.facts['n_terms']} terms, "
          f"{len(result.model_selection)} fits; preferred K: {summary} -> {out} ({seconds:.1f} s)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("corpus", help="build the corpus: documents.csv, paragraphs.csv, cleaning_log.csv")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _common(p)
    p.set_defaults(func=cmd_corpus)

    p = sub.add_parser("topics", help="topic models: selection, stability, labels, themes, agreement")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--k", type=int, nargs="+", default=None, metavar="K", help="grid of topic numbers")
    p.add_argument("--seeds", type=int, nargs="+", default=None, metavar="SEED",
                   help="fit seeds (default: derived from topics.seed)")
    p.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                   help="model families: gensim, sklearn, seeded, tomotopy")
    p.add_argument("--quick", action="store_true", help="small grid (K 4 6, 2 seeds, few passes)")
    p.add_argument("--lexicon", type=Path, default=Path(__file__).resolve().parent / "data" / "themes.yaml",
                   help="theme lexicon YAML (default: analysis/data/themes.yaml)")
    p.add_argument("--labels", type=Path, default=None,
                   help="CSV of dictionary paragraph labels (doc_id, para_id, theme) for agreement.csv")
    _common(p)
    p.set_defaults(func=cmd_topics)

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
