"""Time the corpus stage (`analysis.corpus.read_corpus`) of two commits side by side, and check
that they give the same tables.

Each run is a fresh process that imports the `analysis` package of one commit (``git archive`` of
the base commit into a temporary folder; the working tree for "new") and times one
`read_corpus` call on one corpus: CPU seconds of the process (``time.process_time``) and wall
seconds. Rounds alternate the order (base first, then new first), so a change in the machine's load
hits both. ``--check`` also compares sha256 digests of the documents, paragraphs and cleaning-log
tables (as CSV) and of the line maps: they must be equal byte for byte.

    python benchmarks/corpus_speed.py --base main --sizes seeds 1M 5M --rounds 3 --check

Corpora: "seeds" is `seeds/manifest.csv`; "messy" is `synth.make_messy_corpus` (every cleaning rule
fires); "1M", "5M" are `synth.make_corpus` corpora of that many
words, written once into ``--data`` (default: a folder under the system's temporary folder).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = {"1M": 1_000_000, "2.5M": 2_500_000, "5M": 5_000_000, "20M": 20_000_000}

CHILD = r"""
import hashlib, json, sys, time, warnings
warnings.simplefilter("ignore")
import pandas  # imported before the clock starts, as in every command
from analysis.corpus import read_corpus
cpu, wall = time.process_time(), time.perf_counter()
corpus, line_maps = read_corpus(sys.argv[1])
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
digest = lambda frame: hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
import analysis
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "package": analysis.__file__,
                  "documents": digest(corpus.documents), "paragraphs": digest(corpus.paragraphs),
                  "cleaning_log": digest(corpus.cleaning_log),
                  "line_maps": hashlib.sha256(repr(sorted(line_maps.items())).encode()).hexdigest(),
                  "n_paragraphs": len(corpus.paragraphs), "n_log": len(corpus.cleaning_log)}))
"""


def run_once(root: Path, manifest: Path) -> dict:
    """Return the child's measurements of `read_corpus(manifest)` with the package under `root`."""
    env = dict(os.environ, PYTHONPATH=str(root))
    out = subprocess.run([sys.executable, "-c", CHILD, str(manifest)], env=env, cwd=root, capture_output=True,
                         text=True, check=True).stdout
    result = json.loads(out)
    if not result["package"].startswith(str(root)):
        raise SystemExit(f"the child imported {result['package']}, not the package under {root}")
    return result


def base_tree(rev: str, folder: Path) -> Path:
    """Write the `analysis` package of commit `rev` into `folder`; return it."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", rev, "analysis"], capture_output=True,
                          check=True).stdout
    with tempfile.TemporaryFile() as tmp:
        tmp.write(data)
        tmp.seek(0)
        with tarfile.open(fileobj=tmp) as tar:
            tar.extractall(folder, filter="data")
    return folder


def corpus_of(size: str, data: Path) -> Path:
    if size == "seeds":
        return REPO / "seeds" / "manifest.csv"
    manifest = data / size / "manifest.csv"
    if not manifest.exists():
        sys.path.insert(0, str(REPO / "benchmarks"))
        from synth import make_corpus, make_messy_corpus

        print(f"writing the {size} corpus", file=sys.stderr, flush=True)
        if size == "messy":
            make_messy_corpus(data / size)
        else:
            make_corpus(data / size, SIZES[size])
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="the commit to compare with (default: main)")
    parser.add_argument("--sizes", nargs="+", default=["1M", "5M"], choices=["seeds", "messy", *SIZES])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="require equal tables")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "spp-corpus-speed")
    args = parser.parse_args(argv)
    rows, failures = [], []
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"base": base_tree(args.base, Path(tmp)), "new": REPO}
        for size in args.sizes:
            manifest = corpus_of(size, args.data)
            for r in range(args.rounds):
                order = ["base", "new"] if r % 2 == 0 else ["new", "base"]
                got = {}
                for which in order:
                    got[which] = run_once(roots[which], manifest)
                    rows.append({"size": size, "round": r + 1, "code": which, "cpu_s": got[which]["cpu_s"],
                                 "wall_s": got[which]["wall_s"], "load_1m": os.getloadavg()[0]})
                    print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
                keys = ("documents", "paragraphs", "cleaning_log", "line_maps")
                if args.check and any(got["base"][k] != got["new"][k] for k in keys):
                    failures.append(f"{size} round {r + 1}: " + ", ".join(
                        k for k in keys if got["base"][k] != got["new"][k]) + " differ")
    print("| corpus | code | CPU s (min, median) | wall s (min, median) | new / base CPU (median) |")
    print("| --- | --- | --- | --- | --- |")
    for size in args.sizes:
        med = {}
        for which in ("base", "new"):
            cpu = sorted(x["cpu_s"] for x in rows if x["size"] == size and x["code"] == which)
            wall = sorted(x["wall_s"] for x in rows if x["size"] == size and x["code"] == which)
            med[which] = cpu[len(cpu) // 2]
            ratio = f"{med['new'] / med['base']:.2f}" if which == "new" else ""
            print(f"| {size} | {which} | {cpu[0]:.2f}, {cpu[len(cpu) // 2]:.2f} | {wall[0]:.2f}, "
                  f"{wall[len(wall) // 2]:.2f} | {ratio} |")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    if args.check:
        print("tables equal byte for byte in every round" if not failures else "DIFFERENT: " + "; ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
