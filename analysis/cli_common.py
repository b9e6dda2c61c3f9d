"""Helpers every `analysis` command shares: the common flags, the corpus source (cache, engine),
the input files of a run and writing a command's tables as one set."""
from __future__ import annotations

import argparse
from pathlib import Path

from analysis import io
from analysis.engine import add_engine_options


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", default=None,
                        help="manifest CSV of the corpus (default: the repository's seeds/manifest.csv)")
    parser.add_argument("--config", default=None, help="TOML configuration file")
    parser.add_argument("--cache", default=None, metavar="DIR",
                        help="corpus cache folder (default: the user's cache folder, e.g. ~/.cache/spp-discourse)")
    parser.add_argument("--no-cache", action="store_true",
                        help="clean and tokenise the texts again, without reading or writing the cache")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    add_engine_options(parser)


def _workers_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers N``: processes for the topic fits (default: topics.n_jobs; the numbers do not depend on it)."""
    def positive(text: str) -> int:
        if not text.strip().isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}")
        return int(text)

    parser.add_argument("--workers", type=positive, default=None, metavar="N",
                        help="worker processes for the topic fits (default: topics.n_jobs of the config); every fit "
                             "is seeded, so the numbers do not depend on it; fits are cached under --cache "
                             "(--no-cache: fit everything again)")


def _cache(args) -> Path | None:
    """Return the corpus cache folder the command line asks for (None: no cache)."""
    if args.no_cache:
        return None
    return Path(args.cache) if args.cache is not None else io.default_cache_dir()


def _source(args) -> dict:
    """Return load_corpus's cache folder, Dask client (None: engine local) and partitions."""
    return {"cache": _cache(args), "client": args.client, "partitions": args.partitions}


def _given_inputs(args) -> list[Path]:
    """Return the input files named on the command line (or defaulted) before the corpus is read."""
    from analysis.config import corpus_config_path, default_manifest

    manifest = args.manifest if args.manifest is not None else default_manifest()
    paths = [manifest, args.config if args.config is not None else corpus_config_path(manifest)]
    paths += [getattr(args, name, None) for name in ("lexicon", "labels", "coded", "file", "gold", "gold2", "suggestions",
                                                     "structure")]
    if getattr(args, "models", None) is not None and args.command == "topics-apply":
        paths.append(Path(args.models) / "models.json")     # the saved models folder is an input
    return [Path(p) for p in paths if p is not None]


def _input_paths(args, corpus) -> list[Path]:
    """Return every input file of a run: those given, and the corpus's seed texts."""
    root = Path(corpus.manifest).parent
    return _given_inputs(args) + [root / f for f in corpus.documents["file"]]


def _lexicon_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lexicon", default=None, help="lexicon: the package's YAML, a quanteda YAML "
                        "dictionary or a LIWC .dic file (default: the package's data/themes.yaml)")
    parser.add_argument("--lexicon-format", choices=("analysis", "quanteda", "liwc"), default=None,
                        help="format of --lexicon (default: told from the file)")


def _inputs(args, corpus) -> dict[str, str]:
    """Return every input of a run mapped to its sha256: the manifest, the config file (given or the
    corpus's ``analysis.toml``), the lexicon and other files named on the command line, and the seed
    files (as the manifest names them)."""
    files = {str(corpus.manifest.name): io.sha256_file(corpus.manifest)}
    for path in _given_inputs(args)[1:]:
        if path.is_file():
            files[path.name] = io.sha256_file(path)
    files.update(dict(zip(corpus.documents["file"], corpus.documents["sha256"])))
    return files


def _write_folder(args, corpus, tables: dict, record: dict) -> Path:
    """Write `tables` (file name -> DataFrame) and `record` as run.json into ``--out`` as one set;
    return the folder."""
    out = Path(args.out)
    with io.output_set(out, _input_paths(args, corpus)) as staged:
        for name, table in tables.items():
            io.write_csv(table, staged / name)
        io.write_json(record, staged / "run.json")
    return out
