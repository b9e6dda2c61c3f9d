"""Time the corpus stage (read, clean, segment, tokenise, phrases) in-process and on a Dask LocalCluster.

    python benchmarks/dask_scale.py                         # 1M and 5M words, 2 rounds
    python benchmarks/dask_scale.py --sizes 1M 5M 20M --rounds 1 --worker-memory 4GiB

The synthetic corpora of `synth.make_corpus` are written once into a temporary folder. Every
measurement runs in a fresh process, so its peak resident memory (``resource.getrusage``) is its
own: "local" builds the corpus with `load_corpus(manifest)`; "dask" starts a `LocalCluster` of
`--workers` single-threaded worker processes with `--worker-memory` each, then builds the same
corpus with `load_corpus(manifest, client=...)` and reads each worker's peak memory before the
cluster closes. No cache is read or written. Rounds alternate the order of sizes and engines; the
fastest time of the rounds is kept and every round's numbers are in the JSON. With ``--check``
the dask child also builds the corpus in-process and asserts every table is equal.
Results: ``benchmarks/results/dask_scale.json`` and ``dask_scale.md`` (``--name`` to change).
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

SIZES = {"1M": 1_000_000, "5M": 5_000_000, "20M": 20_000_000, "50M": 50_000_000}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB


def child(engine: str, manifest: str, workers: int, worker_memory: str, check: bool) -> dict:
    """Build the corpus of `manifest` once with `engine`; return times (s) and peak memory (MiB)."""
    import pandas as pd

    from analysis.tokens import CACHED_TABLES, load_corpus

    record = {"engine": engine}
    if engine == "local":
        started = time.perf_counter()
        corpus = load_corpus(manifest)
        record["seconds"] = time.perf_counter() - started
    else:
        from analysis.engine import dask_client

        started = time.perf_counter()
        with dask_client(n_workers=workers, worker_memory=worker_memory) as client:
            record["startup_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            corpus = load_corpus(manifest, client=client)
            record["seconds"] = time.perf_counter() - started
            record["worker_peak_mib"] = sorted(client.run(_peak_mib).values())
            record["partitions"] = 4 * workers
        if check:
            local = load_corpus(manifest)
            for name in CACHED_TABLES:
                pd.testing.assert_frame_equal(getattr(local, name), getattr(corpus, name), check_exact=True)
            record["equal_to_local"] = True
    record["n_tokens"] = int(len(corpus.tokens))
    record["client_peak_mib"] = _peak_mib()
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "5M"], choices=list(SIZES))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-memory", default="4GiB")
    parser.add_argument("--name", default="dask_scale", help="results file name (without .json/.md)")
    parser.add_argument("--check", action="store_true", help="assert dask tables equal local ones (dask runs)")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "MANIFEST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.workers, args.worker_memory, args.check)))
        return
    from synth import make_corpus

    runs = []
    with tempfile.TemporaryDirectory(prefix="dask-scale-") as tmp:
        manifests = {size: str(make_corpus(Path(tmp) / size, SIZES[size])) for size in args.sizes}
        for r in range(args.rounds):
            sizes = args.sizes if r % 2 == 0 else args.sizes[::-1]
            for size in sizes:
                engines = ("local", "dask") if r % 2 == 0 else ("dask", "local")
                for engine in engines:
                    cmd = [sys.executable, __file__, "--child", engine, manifests[size], "--workers",
                           str(args.workers), "--worker-memory", args.worker_memory]
                    cmd += ["--check"] if args.check and r == 0 else []
                    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
                    if out.returncode:
                        record = {"engine": engine, "failed": out.stderr.strip().splitlines()[-1:]}
                    else:
                        record = json.loads(out.stdout.strip().splitlines()[-1])
                    record.update(size=size, round=r, load=os.getloadavg()[0])
                    runs.append(record)
                    print(json.dumps(record), flush=True)
    best = fastest(runs, "engine", "seconds")
    uptime = machine_uptime()
    lines = [f"Corpus stage, in-process vs LocalCluster ({args.workers} workers x {args.worker_memory}); fastest of "
             f"{args.rounds} rounds; {os.cpu_count()} CPUs; `uptime` at the end: {uptime}", "",
             "| size | tokens | engine | build s | cluster start s | client peak MiB | worker peaks MiB |",
             "|---|---|---|---|---|---|---|"]
    for (size, engine), rec in best.items():
        lines.append(f"| {size} | {rec['n_tokens']:,} | {engine} | {rec['seconds']:.1f} | "
                     f"{rec.get('startup_seconds', 0):.1f} | {rec['client_peak_mib']:.0f} | "
                     f"{', '.join(f'{m:.0f}' for m in rec.get('worker_peak_mib', [])) or '-'} |")
    write_results(args.name, {"uptime": uptime, "cpus": os.cpu_count(), "workers": args.workers,
                              "worker_memory": args.worker_memory, "runs": runs}, lines)


def fastest(runs: list[dict], kind: str, seconds: str) -> dict:
    """Return, per (size, `kind`) of `runs`, the run of fewest `seconds` (runs that failed left out)."""
    best = {}
    for rec in runs:
        key = (rec["size"], rec[kind])
        if seconds in rec and (key not in best or rec[seconds] < best[key][seconds]):
            best[key] = rec
    return best


def machine_uptime() -> str:
    """Return the output of `uptime` (the load averages when a run ends)."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def write_results(name: str, record: dict, lines: list[str]) -> None:
    """Write `record` to ``results/<name>.json`` and the table `lines` to ``results/<name>.md``; print the table."""
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    (results / f"{name}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
