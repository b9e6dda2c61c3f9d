"""Time and peak memory of the bag of words + gensim LDA: in memory vs streamed from disk (`analysis.topics.stream`).

    python benchmarks/stream_scale.py                        # 1M and 5M words, 2 rounds, K 10, 3 passes
    python benchmarks/stream_scale.py --sizes 1M --rounds 1 --passes 2

The synthetic corpora of `synth.make_corpus` are written once into a temporary folder and loaded
once into a corpus cache there (partitioned Parquet, parts of about 1M token rows). Every
measurement is a fresh process with one BLAS thread, so its peak resident memory
(``resource.getrusage``) is its own:

- "memory": `load_corpus(manifest, cache=...)` reads the tokens and paragraphs the bag needs from
  the cache, `build_bag`, then `fit_topics(bag, "gensim", K, seed)`;
- "streamed": `stream_bag(entry)` counts the cache entry's parts one by one (engine local) into
  ``corpus.mm``, then `fit_streamed_lda` reads it in chunks of 2000 paragraphs.

Both fit the same model (stopping rule off: exactly ``--passes`` passes). Each stage records wall
and CPU seconds (`time.process_time`); ``base_mib`` is the resident memory after the imports,
``bag_peak_mib`` the peak once the bag is built (before LDA), ``peak_mib`` the peak of the run. Rounds
alternate the order of sizes and of the two paths; the tables keep the fastest wall time of the
rounds per size and path, every run is in the JSON, and ``max_diff`` is the largest difference
between the two paths' p(term | topic) in each round. Results: ``benchmarks/results/stream_scale.json``
and ``stream_scale.md`` (``--name`` to change).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

SIZES = {"1M": 1_000_000, "5M": 5_000_000, "20M": 20_000_000}
THREADS = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


class _Stages:
    """Wall and CPU seconds of named stages."""

    def __init__(self):
        self.times = {}

    def run(self, name, function, *args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        out = function(*args, **kwargs)
        self.times[name] = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
        return out


def child(path: str, manifest: str, cache: str, work: str, k: int, passes: int) -> dict:
    """Build the bag and fit LDA once along `path` ("memory" or "streamed"); return times and memory."""
    import gensim.models  # noqa: F401  (imported before the baseline, as both paths need it)
    import numpy as np

    from analysis.config import Config, TopicsConfig
    from analysis.corpus_cache import corpus_key
    from analysis.tokens import load_corpus
    from analysis.topics import build_bag, fit_topics
    from analysis.topics.stream import fit_streamed_lda, stream_bag

    config = TopicsConfig(passes=passes, tolerance=0.0)
    stages, record = _Stages(), {"path": path, "base_mib": _rss_mib()}
    if path == "memory":
        corpus = stages.run("load", load_corpus, manifest, cache=cache, columns={
            "tokens": ["doc_id", "para_id", "term"], "paragraphs": ["doc_id", "para_id", "line_start", "line_end", "text"]})
        bag = stages.run("bag", build_bag, corpus, config)
        record["bag_peak_mib"] = _peak_mib()
        fit = stages.run("lda", fit_topics, bag, "gensim", k, 1, config, warn=False)
        record.update(n_paragraphs=len(bag.bow), n_terms=len(bag.vocab), n_tokens=int(len(corpus.tokens)))
    else:
        entry = Path(cache) / corpus_key(Path(manifest), Config())
        bag = stages.run("bag", stream_bag, entry, Path(work) / "bag", config)
        record["bag_peak_mib"] = _peak_mib()
        fit = stages.run("lda", fit_streamed_lda, bag, k, 1, config)
        record.update(n_paragraphs=bag.record["n_paragraphs"], n_terms=bag.record["n_terms"],
                      n_parts=bag.record["n_parts"], mm_mib=bag.path.stat().st_size / 2**20)
    np.save(Path(work) / f"{path}.npy", fit.topic_word)
    record.update(stages=stages.times, peak_mib=_peak_mib(), n_passes=fit.n_passes,
                  total_wall_s=sum(s["wall_s"] for s in stages.times.values()),
                  total_cpu_s=sum(s["cpu_s"] for s in stages.times.values()))
    return record


def _warm(manifest: str, cache: str) -> None:
    from analysis.tokens import load_corpus

    load_corpus(manifest, cache=cache)


def _spawn(*argv: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True,
                         env={**os.environ, **THREADS, "PYTHONWARNINGS": "ignore"})
    if out.returncode:
        return {"failed": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "5M"], choices=list(SIZES))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--name", default="stream_scale", help="results file name (without .json/.md)")
    parser.add_argument("--child", nargs=4, metavar=("PATH", "MANIFEST", "CACHE", "WORK"), help=argparse.SUPPRESS)
    parser.add_argument("--warm", nargs=2, metavar=("MANIFEST", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child, args.k, args.passes)))
        return
    if args.warm:
        _warm(*args.warm)
        return
    import numpy as np

    from synth import make_corpus

    runs = []
    with tempfile.TemporaryDirectory(prefix="stream-scale-") as tmp:
        cache = str(Path(tmp) / "cache")
        manifests = {size: str(make_corpus(Path(tmp) / size, SIZES[size])) for size in args.sizes}
        for size in args.sizes:
            _spawn("--warm", manifests[size], cache)
        for r in range(args.rounds):
            for size in (args.sizes if r % 2 == 0 else args.sizes[::-1]):
                work = Path(tmp) / f"work-{size}-{r}"
                work.mkdir()
                for path in (("memory", "streamed") if r % 2 == 0 else ("streamed", "memory")):
                    record = _spawn("--child", path, manifests[size], cache, str(work), "--k", str(args.k),
                                    "--passes", str(args.passes))
                    record.update(path=path, size=size, round=r, load=os.getloadavg()[0])
                    runs.append(record)
                    print(json.dumps(record), flush=True)
                if all((work / f"{p}.npy").exists() for p in ("memory", "streamed")):
                    diff = float(np.abs(np.load(work / "memory.npy") - np.load(work / "streamed.npy")).max())
                    for rec in runs[-2:]:
                        rec["max_diff"] = diff
    _report(runs, args)


def _report(runs: list[dict], args) -> None:
    from dask_scale import fastest, machine_uptime, write_results

    best = fastest(runs, "path", "total_wall_s")
    uptime = machine_uptime()
    lines = [f"Bag of words + gensim LDA (K {args.k}, {args.passes} passes, one BLAS thread), in memory vs streamed "
             f"from disk; fastest wall of {args.rounds} rounds per size and path, each a fresh process; "
             f"{os.cpu_count()} CPUs; `uptime` at the end: {uptime}", "",
             "| size | path | paragraphs | terms | load wall/CPU s | bag wall/CPU s | LDA wall/CPU s | total wall/CPU s "
             "| peak MiB | peak - base MiB | max diff p(term\\|topic) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (size, path), rec in sorted(best.items()):
        st = rec["stages"]
        cell = (lambda s: f"{st[s]['wall_s']:.1f} / {st[s]['cpu_s']:.1f}" if s in st else "-")
        lines.append(f"| {size} | {path} | {rec['n_paragraphs']:,} | {rec['n_terms']:,} | {cell('load')} | "
                     f"{cell('bag')} | {cell('lda')} | {rec['total_wall_s']:.1f} / {rec['total_cpu_s']:.1f} | "
                     f"{rec['peak_mib']:.0f} | {rec['peak_mib'] - rec['base_mib']:.0f} | {rec.get('max_diff', float('nan')):.1e} |")
    write_results(args.name, {"uptime": uptime, "cpus": os.cpu_count(), "k": args.k, "passes": args.passes,
                              "runs": runs}, lines)


if __name__ == "__main__":
    main()
