"""Time and memory of the tokens stage, one fresh process per measurement, two code trees interleaved.

    python benchmarks/tokens_stage.py --trees OLD_TREE NEW_TREE --manifests M1 M5 [--rounds 2]

Each round runs every (manifest, tree) pair as a fresh ``python`` process with ``PYTHONPATH=tree``
(the tree's `analysis` package is imported, checked by its path), the order of the trees reversed
in every other round. A process reads and cleans the corpus (`read_corpus`), tokenises it
(`tokenize`, phrases on) and counts tokens per paragraph, as `load_corpus` does without a cache,
and prints one JSON line: CPU seconds (`time.process_time`) and wall seconds per step, and the
peak resident memory (ru_maxrss) after imports, after reading and at the end, in MiB and in bytes
per token. ``--one MANIFEST`` is the worker.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def one(manifest: Path) -> dict:
    """Return the measurements of one build of the tokens stage from `manifest` in this process."""
    import analysis
    from analysis import tokens as T
    from analysis.config import Config
    from analysis.corpus import read_corpus

    T.stopwords(), T._lemmatizer()           # imports and dictionaries out of the timing
    config, base = Config(), _peak()
    t0, c0 = time.perf_counter(), time.process_time()
    raw, line_maps = read_corpus(manifest, config.corpus)
    t1, c1, after_read = time.perf_counter(), time.process_time(), _peak()
    paragraphs = raw.paragraphs.copy()
    toks, _, _ = T.tokenize(paragraphs, line_maps, config.tokens)
    paragraphs["n_tokens"] = T._paragraph_tokens(paragraphs, toks)
    t2, c2, peak = time.perf_counter(), time.process_time(), _peak()
    n = len(toks)
    return {"tree": str(Path(analysis.__file__).parents[1]), "manifest": str(manifest), "tokens": n,
            "read_cpu": round(c1 - c0, 2), "read_wall": round(t1 - t0, 2),
            "tokens_cpu": round(c2 - c1, 2), "tokens_wall": round(t2 - t1, 2),
            "base_mib": round(base / 2**20), "read_peak_mib": round(after_read / 2**20), "peak_mib": round(peak / 2**20),
            "peak_bytes_per_token": round(peak / n), "tokens_stage_bytes_per_token": round((peak - after_read) / n)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", type=Path, help="worker: measure one manifest in this process")
    parser.add_argument("--trees", nargs="+", type=Path, default=[])
    parser.add_argument("--manifests", nargs="+", type=Path, default=[])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)), flush=True)
        return 0
    for r in range(args.rounds):
        trees = args.trees if r % 2 == 0 else args.trees[::-1]
        for manifest in args.manifests:
            for tree in trees:
                env = {**os.environ, "PYTHONPATH": str(tree.resolve())}
                out = subprocess.run([sys.executable, __file__, "--one", str(manifest)], env=env, cwd="/",
                                     capture_output=True, text=True, check=True).stdout
                row = json.loads(out.strip().splitlines()[-1])
                assert Path(row["tree"]).resolve() == tree.resolve(), (row["tree"], tree)
                print(json.dumps({"round": r + 1, **row}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
