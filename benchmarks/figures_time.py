"""Time `analysis figures` on the seeds against an earlier commit, side by side in one run.

    python benchmarks/figures_time.py                       # baseline 7a71a5e, 2 rounds
    python benchmarks/figures_time.py --baseline HEAD~10 --rounds 3 --workers 2

The baseline is the commit the speed issue was measured on (7a71a5e, the last before the stage
packages); its tree is extracted with ``git archive`` into a temporary folder and run with that folder
first on ``PYTHONPATH`` (same interpreter and libraries). Each round runs, in alternating order:

- ``baseline``: the baseline's figure command (it has no cache);
- ``cold``: this tree's command with a fresh, empty cache folder (corpus cache and topic-fit cache);
- ``warm``: this tree's command again on that cache (nothing changed, so nothing is refitted).

Every run is a fresh process writing to its own folder. Wall time is `time.perf_counter` around the
child; CPU is the child's user + system time (``resource.getrusage(RUSAGE_CHILDREN)``), which adds up
the worker processes. Prints every run and the medians; with ``--out`` writes ``figures_time.json``
and ``figures_time.md`` there. The 1-minute load average is recorded before each run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def extract(commit: str, folder: Path) -> Path:
    """Write the tree of `commit` to `folder` (git archive); return it."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def timed(argv: list[str], cwd: Path, env: dict) -> dict:
    """Return wall s, CPU s and the load average of one child process."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "load": load}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="7a71a5e", help="commit to compare with (default 7a71a5e)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="--workers of this tree's command")
    parser.add_argument("--out", type=Path, default=None, help="folder for figures_time.json and .md")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="figures-time-"))
    base = extract(args.baseline, scratch / "baseline")
    env_base = {**os.environ, "PYTHONPATH": str(base)}
    env_here = {**os.environ, "PYTHONPATH": str(REPO)}
    runs: dict[str, list[dict]] = {"baseline": [], "cold": [], "warm": []}
    try:
        for r in range(args.rounds):
            cache = scratch / f"cache-{r}"
            here = [sys.executable, "-m", "analysis", "figures", "--cache", str(cache), "--workers", str(args.workers)]
            plan = {"baseline": ([sys.executable, "-m", "analysis.cli", "figures", "--out", str(scratch / f"b{r}")],
                                 base, env_base),
                    "cold": (here + ["--out", str(scratch / f"c{r}")], REPO, env_here),
                    "warm": (here + ["--out", str(scratch / f"w{r}")], REPO, env_here)}
            order = ["baseline", "cold", "warm"] if r % 2 == 0 else ["cold", "warm", "baseline"]
            for name in order:
                result = timed(*plan[name])
                runs[name].append(result)
                print(f"round {r + 1} {name}: wall {result['wall']:.1f} s, cpu {result['cpu']:.1f} s, "
                      f"load {result['load']:.1f}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    summary = {name: {k: statistics.median(x[k] for x in rs) for k in ("wall", "cpu")} for name, rs in runs.items()}
    ratios = {f"{name}/baseline": {k: summary[name][k] / summary["baseline"][k] for k in ("wall", "cpu")}
              for name in ("cold", "warm")}
    lines = [f"# `analysis figures` on the seeds: this tree against {args.baseline}", "",
             f"`python benchmarks/figures_time.py --baseline {args.baseline} --rounds {args.rounds} "
             f"--workers {args.workers}`; medians of {args.rounds} interleaved rounds.", "",
             "| run | wall s | CPU s | wall / baseline | CPU / baseline |", "| --- | --- | --- | --- | --- |",
             f"| baseline ({args.baseline}) | {summary['baseline']['wall']:.1f} | {summary['baseline']['cpu']:.1f} | 1 | 1 |"]
    for name in ("cold", "warm"):
        q = ratios[f"{name}/baseline"]
        lines.append(f"| {name} | {summary[name]['wall']:.1f} | {summary[name]['cpu']:.1f} | {q['wall']:.2f} | "
                     f"{q['cpu']:.2f} |")
    loads = [x["load"] for rs in runs.values() for x in rs]
    lines += ["", f"1-minute load average before the runs: {min(loads):.1f}-{max(loads):.1f} (2 cores)."]
    print("\n".join(lines))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "figures_time.json").write_text(json.dumps({"baseline": args.baseline, "runs": runs,
                                                                "summary": summary, "ratios": ratios}, indent=1))
        (args.out / "figures_time.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
