"""Peak memory of the toolkit's stages, two versions of the code side by side (issue 23).

    python benchmarks/memory.py --before /tmp/base --sizes 1M 5M --rounds 2
    python benchmarks/memory.py --sizes 5M --rounds 1 --lda        # this tree only, LDA included

Each run is one fresh process doing corpus -> tokens (`load_corpus`), themes, keyness, collocations
and bag (and one tomotopy LDA fit with ``--lda``), like `compare.py`'s toolkit worker. After each stage
it records the peak resident memory of that stage alone (``VmHWM`` of ``/proc/self/status``, reset
before the stage through ``/proc/self/clear_refs``, which resets ``ru_maxrss`` too: the process's
peak is the largest stage peak), the resident memory left when the stage ends (``VmRSS``) and CPU
seconds. ``--before DIR`` is another
checkout of the package (e.g. ``git archive main | tar -x -C DIR``): its runs import `analysis` from
there; rounds interleave the two versions and alternate which goes first. Writes
``memory_runs.csv`` and ``memory.md`` under ``--out``.
"""
from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = {"200k": 200_000, "1M": 1_000_000, "2.5M": 2_500_000, "5M": 5_000_000, "10M": 10_000_000,
         "20M": 20_000_000}


def _status(field: str) -> float:
    """Return a field of /proc/self/status in MiB (0 where /proc is missing)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0.0
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(found.group(1)) / 1024 if found else 0.0


def _reset_stage_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def worker(tree: Path, manifest: Path, lda: bool) -> dict:
    """Run the stages once on `manifest` with the package in `tree`; return {"stages", "n_words"}."""
    sys.path.insert(0, str(tree))
    import analysis
    from analysis import discourse, themes, topics
    from analysis.config import Config, TopicsConfig

    assert Path(analysis.__file__).resolve().parent.parent == tree.resolve(), analysis.__file__
    sys.path.insert(0, str(HERE))
    import compare

    compare.warm_imports()
    _ = (themes.analyse_themes, discourse.keyness, discourse.collocations, topics.build_bag, topics.fit_topics)
    rows: dict[str, dict] = {}
    kept: list = []

    def run(name: str, fn, *args):
        gc.collect()
        _reset_stage_peak()
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(*args)
        rows[name] = {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(time.process_time() - cpu, 3),
                      "stage_peak_mib": round(_status("VmHWM"), 1), "rss_after_mib": round(_status("VmRSS"), 1)}
        print(f"    {name:<13} stage peak {rows[name]['stage_peak_mib']:7.0f}  rss after "
              f"{rows[name]['rss_after_mib']:7.0f}  cpu {rows[name]['cpu_s']:7.2f}", file=sys.stderr, flush=True)
        kept.append(out)       # every result stays alive to the end, as in a pipeline run
        return out

    rows["imports"] = {"wall_s": 0, "cpu_s": 0, "stage_peak_mib": round(_status("VmHWM"), 1),
                       "rss_after_mib": round(_status("VmRSS"), 1)}
    corpus = run("load_corpus", analysis.load_corpus, manifest, Config())
    run("themes", themes.analyse_themes, corpus)
    first_year = str(int(corpus.documents["year"].min()))
    run("keyness", discourse.keyness, corpus.tokens, corpus.documents, {"year": [first_year]}, "rest")
    run("collocations", discourse.collocations, corpus.tokens, 2)
    bag = run("bag", topics.build_bag, corpus, TopicsConfig())
    if lda:
        run("lda", topics.fit_topics, bag, "tomotopy", 10, 1, TopicsConfig())
    return {"stages": rows, "n_words": int(len(corpus.tokens))}


def markdown(runs: list[dict], meta: dict) -> str:
    """Return the report: per size and version, the median over rounds of each stage's peak."""
    import numpy as np

    lines = ["# Peak memory of the toolkit's stages, before and after (issue 23)", "",
             f"Command: `{meta['command']}`; commit {meta['commit']}; before = {meta['before']}; "
             f"{meta['rounds']} rounds, fresh process per run, versions interleaved.", "",
             f"Machine load: before `{meta['uptime_before']}`; after `{meta['uptime_after']}`.", "",
             "MiB, median over rounds (min-max). *stage peak*: resident high-water mark during that stage alone; "
             "*process peak*: the largest stage peak of the run (imports included); bytes/word = process peak / words.", ""]
    versions = list(dict.fromkeys(r["version"] for r in runs))
    stages = list(dict.fromkeys(r["stage"] for r in runs))
    for size in dict.fromkeys(r["size"] for r in runs):
        lines += [f"## {size}", "", "| stage | " + " | ".join(f"{v} stage peak | {v} RSS after" for v in versions) + " |",
                  "| --- |" + " ---: | ---: |" * len(versions)]

        def cell(version, stage, field):
            vals = [r[field] for r in runs if r["size"] == size and r["version"] == version and r["stage"] == stage]
            if not vals:
                return ""
            return f"{np.median(vals):.0f}" + (f" ({min(vals):.0f}-{max(vals):.0f})" if len(vals) > 1 else "")
        for stage in stages:
            lines.append(f"| {stage} | " + " | ".join(f"{cell(v, stage, 'stage_peak_mib')} | {cell(v, stage, 'rss_after_mib')}"
                                                       for v in versions) + " |")
        for v in versions:
            last = [r for r in runs if r["size"] == size and r["version"] == v and r["stage"] == stages[-1]]
            peaks = [max(r["stage_peak_mib"] for r in runs if r["size"] == size and r["version"] == v
                         and r["round"] == x["round"]) for x in last]
            words = last[0]["n_words"] if last else 0
            cpu = [sum(r["cpu_s"] for r in runs if r["size"] == size and r["version"] == v and r["round"] == x["round"])
                   for x in last]
            lines.append(f"\n{v}: process peak {np.median(peaks):.0f} MiB ({min(peaks):.0f}-{max(peaks):.0f}), "
                         f"{np.median(peaks) * 2**20 / max(words, 1):.0f} bytes/word ({words} words); "
                         f"CPU s of all stages {np.median(cpu):.1f} ({min(cpu):.1f}-{max(cpu):.1f})")
        lines.append("")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "5M"], choices=list(SIZES))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", type=Path, help="another checkout of the package, run side by side")
    parser.add_argument("--lda", action="store_true", help="also fit one tomotopy LDA (K=10) after the bag")
    parser.add_argument("--corpora", type=Path, help="folder to write (or reuse) the synthetic corpora in")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--manifest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.manifest, args.lda)))
        return 0
    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    from synth import make_corpus

    versions = {"after": HERE.parent}
    if args.before:
        versions = {"before": args.before.resolve(), **versions}
    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE.parent).stdout.strip() or "(not a git checkout)"
    runs = []
    with tempfile.TemporaryDirectory(prefix="memory-") as tmp:
        folder = args.corpora or Path(tmp)
        manifests = {}
        for size in args.sizes:
            manifest = folder / size / "manifest.csv"
            manifests[size] = manifest if manifest.exists() else make_corpus(folder / size, SIZES[size])
        for round_ in range(args.rounds):
            order = list(versions) if round_ % 2 == 0 else list(versions)[::-1]
            for size in args.sizes:
                for version in order:
                    print(f"round {round_ + 1}, {size}, {version}:", file=sys.stderr, flush=True)
                    cmd = [sys.executable, __file__, "--worker", str(versions[version]), "--manifest", str(manifests[size])]
                    proc = subprocess.run(cmd + (["--lda"] if args.lda else []), stdout=subprocess.PIPE, text=True,
                                          cwd=versions[version])
                    if proc.returncode:
                        return proc.returncode
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
                    for stage, row in res["stages"].items():
                        runs.append({"round": round_ + 1, "size": size, "n_words": res["n_words"], "version": version,
                                     "stage": stage, **row})
    meta = {"command": "python benchmarks/memory.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "commit": commit, "before": str(args.before) if args.before else "none", "rounds": args.rounds,
            "uptime_before": uptime_before,
            "uptime_after": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "memory_runs.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(runs[0]))
        writer.writeheader()
        writer.writerows(runs)
    report = markdown(runs, meta)
    (args.out / "memory.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
