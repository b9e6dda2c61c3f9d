"""The `analysis explore` command: parse its flags, build the site in memory, write it through `io`.

It lives here, not in `analysis.cli`, to keep that module readable; `analysis.cli.build_parser`
registers it with `add_parser`, handing over the CLI's shared helpers. Every file is written by
`analysis.io` (`claim_folder`, `write_files`, `write_json`), after everything is built in memory, so a
failure leaves the output folder as it was.
"""
from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path

from analysis import io

MARKER_TEXT = b"made by `analysis explore`; it may overwrite this folder\n"


def add_parser(sub, common, cache, inputs, quick: dict) -> None:
    """Register ``explore`` on the CLI's subparsers; `common` adds the shared flags, `cache(args)`
    gives the corpus cache folder, `inputs(args, corpus)` the input hashes, `quick` the ``--quick`` topic grid."""
    p = sub.add_parser("explore", help="offline HTML explorer of every result: corpus, categories, topics, "
                                       "concordance, keyness, formulations")
    p.add_argument("--out", required=True, help="output folder (new, empty, or made by explore)")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder explore did not make")
    p.add_argument("--quick", action="store_true", help="small topic grid (K 4 6, 2 seeds, few passes)")
    p.add_argument("--lexicon", default=None,
                   help="lexicon of categories (default: analysis/data/themes.yaml)")
    common(p)
    p.set_defaults(func=partial(run, cache=cache, inputs=inputs, quick=quick))


def run(args, config, cache, inputs, quick: dict) -> int:
    """Run ``analysis explore``; return the exit status (0)."""
    import dataclasses

    from analysis.explore import MARKER, build_data, collect_tables, site_files
    from analysis.themes import load_lexicon
    from analysis.tokens import load_corpus
    from analysis.topics import derived_seeds

    started = time.perf_counter()
    ours = io.claim_folder(args.out, MARKER, args.force)     # refuse before any work
    if args.quick:
        config = dataclasses.replace(config, topics=dataclasses.replace(config.topics, **quick))

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    progress("corpus and tokens")
    lexicon = load_lexicon(args.lexicon)
    corpus = load_corpus(args.manifest, config, progress=sys.stderr.isatty(), cache=cache(args), client=args.client,
                         partitions=args.partitions)
    tables = collect_tables(corpus, config, lexicon, progress=progress, client=args.client)
    hashes = {**inputs(args, corpus), Path(lexicon.source).name: io.sha256_file(lexicon.source)}
    seeds = {"themes": config.themes.seed, "topics": config.topics.seed,
             "topic_fits": derived_seeds(config.topics)["fit"]}
    record = io.run_record(config, hashes, command="explore", argv=sys.argv[1:], engine=args.engine_record,
                           lexicon=lexicon.source, seeds=seeds, quick=bool(args.quick))
    progress("building the site")
    files = site_files(build_data(tables, record))
    if io.claim_folder(args.out, MARKER, args.force) and ours:       # checked again before writing
        files = {MARKER: MARKER_TEXT, **files}
    size = io.write_files(args.out, files)
    seconds = time.perf_counter() - started
    io.write_json({**record, "seconds": round(seconds, 3), "outputs": sorted(files)}, Path(args.out) / "run.json")
    print(f"explorer: {len(files)} files, {size / 1e6:.2f} MB -> {Path(args.out) / 'index.html'} ({seconds:.1f} s)")
    return 0
