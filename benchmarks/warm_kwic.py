"""Time `analysis kwic TERM` cold and warm (the corpus cache), alternating, each run a fresh process.

    python benchmarks/warm_kwic.py                    # 5 rounds of `analysis kwic supervision`
    python benchmarks/warm_kwic.py --rounds 3 --term "Fengqiao Experience"
    python benchmarks/warm_kwic.py --words 1000000      # on a synthetic corpus of 1M words (synth.py)

Each round runs, in this order: cold without a cache (``--no-cache``), cold into a fresh cache folder
(the build plus writing the entry), warm (the entry the previous run wrote) and the floor (a process
that only imports pandas and pyarrow.parquet, which any warm command building a pandas table pays).
Wall time is `time.perf_counter` around the child; CPU is the child's user + system time
(``resource.getrusage(RUSAGE_CHILDREN)``). Prints every run, the medians and the median of the
per-round cold/warm ratios; checks that the warm output equals the cold one byte for byte.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(argv: list[str]) -> tuple[float, float, bytes]:
    """Return (wall s, CPU s, stdout) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(argv, check=True, capture_output=True).stdout
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--term", default="supervision")
    parser.add_argument("--words", type=int, default=0,
                        help="run on a synthetic corpus of about this many words (default: the seeds)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="warm-kwic-"))
    kwic = [sys.executable, "-m", "analysis", "kwic", args.term]
    if args.words:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from synth import make_corpus

        kwic += ["--manifest", str(make_corpus(folder / "corpus", args.words))]
    def fresh_cache() -> list[str]:
        shutil.rmtree(folder / "c", ignore_errors=True)
        return kwic + ["--cache", str(folder / "c")]

    runs = {"cold_no_cache": lambda: kwic + ["--no-cache"],
            "cold_fresh_cache": fresh_cache,
            "warm": lambda: kwic + ["--cache", str(folder / "c")],
            "floor_imports": lambda: [sys.executable, "-c", "import pandas, pyarrow.parquet"]}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    try:
        for r in range(args.rounds):
            outputs = {}
            for name, argv in runs.items():
                wall, cpu, outputs[name] = timed(argv())
                times[name].append((wall, cpu))
                print(f"round {r + 1} {name}: wall {wall:.2f} s, cpu {cpu:.2f} s", flush=True)
            assert outputs["warm"] == outputs["cold_no_cache"] == outputs["cold_fresh_cache"], "outputs differ"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for name, values in times.items():
        print(f"{name}: median wall {statistics.median(w for w, _ in values):.2f} s, "
              f"median cpu {statistics.median(c for _, c in values):.2f} s")
    for cold in ("cold_no_cache", "cold_fresh_cache"):
        wall = statistics.median(c[0] / w[0] for c, w in zip(times[cold], times["warm"]))
        cpu = statistics.median(c[1] / w[1] for c, w in zip(times[cold], times["warm"]))
        print(f"{cold} / warm: median per-round ratio {wall:.2f}x wall, {cpu:.2f}x cpu")


if __name__ == "__main__":
    main()
