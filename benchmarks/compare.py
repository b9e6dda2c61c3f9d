"""Time the toolkit against the reference pipeline (`reference.py`), side by side, stage by stage.

    python benchmarks/compare.py                          # 1M, 2.5M, 5M words, 2 rounds (20 min on a loaded 2-core machine)
    python benchmarks/compare.py --sizes 200k 500k --rounds 2    # a quick look

The synthetic corpora (`synth.make_corpus`) are written once. Every run is one pipeline on one
corpus in a fresh process, all stages once, so its peak memory (``ru_maxrss`` from
``resource.getrusage``, read after each stage) is its own. Rounds interleave: round 1 visits the
sizes small to large with the toolkit first, round 2 large to small with the reference first, and so
on, so each size sees both orders and a slow minute of a shared machine falls on both pipelines.
Each stage records wall seconds (``time.perf_counter``) and CPU seconds (``time.process_time``: every
thread of the process, so BLAS threads count). Both pipelines use what their libraries use by default.

Stages compared (the same work on both sides; the toolkit does more in corpus, tokens and themes):
corpus, tokens, themes (matching + labels + bootstrap per document and year), keyness, collocations,
bag, lda, kwic query (query against query; nltk's index build is its own row, the toolkit's index is
its token table, built in tokens). LDA: the toolkit fits its default engine (``--lda-model``,
tomotopy) with the default `TopicsConfig`, so the fit runs until its stopping rule is met (its
passes and `converged` are recorded with the counts); the reference fits gensim `LdaModel` twice,
with the settings of the toolkit's gensim engine (batch EM, one chunk, ``decay=0``, E-step to 1e-5,
``--passes`` passes: gensim has no stopping rule) and with gensim's own defaults (online, chunks of
2000, one pass). Totals: text stages = corpus..collocations; whole pipeline = text + bag + lda.

Ratios are toolkit / reference within one round and size (side by side in time), reported as the
median and range over rounds. Growth is the slope of log(seconds) against log(words) fitted with
``numpy.polyfit`` over every size and round (1.0 = linear). Writes, under ``--out``:
``compare_runs.csv`` (one row per round, size, pipeline and stage, plus a "process" row with the
process's peak memory), ``compare.json`` (the command, commit, machine load and each pipeline's
counts), ``compare_ratios.csv``, ``compare_growth.csv`` and ``compare.md``;
``--report DIR`` writes the last three again from the first two.
"""
from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

SIZES = {"seeds": 0, "200k": 200_000, "500k": 500_000, "1M": 1_000_000, "2.5M": 2_500_000, "5M": 5_000_000}
LEXICON = HERE.parent / "analysis" / "data" / "themes.yaml"
TEXT_STAGES = ("corpus", "tokens", "themes", "keyness", "collocations")
PIPELINE_STAGES = TEXT_STAGES + ("bag", "lda")
KWIC_WORD = "supervision"
#: Passes of the reference's gensim fit with the toolkit's gensim settings (gensim has no stopping
#: rule): a fixed count, the reference's own default; that fit is not converged (at 1M words the
#: gensim engine still moved 2.6e-4 per pass after 110 passes, `benchmarks/lda_engines.py`).
PASSES = 5


def peak_mib() -> float:
    """Return this process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stages:
    """Collects {stage: {"wall_s", "cpu_s", "peak_mib"}} of one process."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}

    def add(self, name: str, wall: float, cpu: float) -> None:
        self.rows[name] = {"wall_s": round(wall, 4), "cpu_s": round(cpu, 4), "peak_mib": round(peak_mib(), 1)}
        print(f"    {name:<24} wall {wall:8.2f} s  cpu {cpu:8.2f} s  peak {peak_mib():7.0f} MiB",
              file=sys.stderr, flush=True)

    def run(self, name: str, fn, *args, **kwargs):
        """Run `fn` once after a garbage collection; record its wall and CPU seconds; return its result."""
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        self.add(name, time.perf_counter() - wall, time.process_time() - cpu)
        return out


def warm_imports() -> None:
    """Import every library either pipeline uses, before any timing, so no stage pays an import
    (simplemma still loads its English dictionary on the first word, in tokens, on both sides)."""
    import gensim.corpora  # noqa: F401
    import gensim.models  # noqa: F401
    import nltk.collocations  # noqa: F401
    import nltk.text  # noqa: F401
    import scipy.stats  # noqa: F401
    import simplemma  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import yaml  # noqa: F401


def toolkit_worker(manifest: Path, k: int, model: str) -> dict:
    """Run the toolkit's stages once on `manifest`, LDA with `model` at the default `TopicsConfig`
    (converged by its stopping rule); return {"stages", "checks", "peak_mib"}."""
    import analysis.tokens as tokens_module
    from analysis import discourse, themes, topics
    from analysis.config import Config, TopicsConfig

    warm_imports()
    # the stage packages load their modules on first use: load them now, outside the timings
    _ = (themes.analyse_themes, discourse.keyness, discourse.collocations, discourse.kwic, topics.build_bag,
         topics.fit_topics)
    st = Stages()
    config = Config()
    # corpus and tokens run inside `load_corpus`; its call of `read_corpus` is timed on its own
    # (the rest of load_corpus is the tokens stage).
    read = tokens_module.read_corpus
    inner: dict = {}

    def timed_read(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        out = read(*args, **kwargs)
        inner.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu, peak=peak_mib())
        return out

    tokens_module.read_corpus = timed_read
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    corpus = tokens_module.load_corpus(manifest, config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    tokens_module.read_corpus = read
    st.rows["corpus"] = {"wall_s": round(inner["wall"], 4), "cpu_s": round(inner["cpu"], 4),
                         "peak_mib": round(inner["peak"], 1)}
    st.add("tokens", wall - inner["wall"], cpu - inner["cpu"])
    result = st.run("themes", themes.analyse_themes, corpus)
    first_year = str(int(corpus.documents["year"].min()))
    key = st.run("keyness", discourse.keyness, corpus.tokens, corpus.documents, {"year": [first_year]}, "rest")
    coll = st.run("collocations", discourse.collocations, corpus.tokens, 2)
    topics_config = TopicsConfig()
    bag = st.run("bag", topics.build_bag, corpus, topics_config)
    fit = st.run("lda", topics.fit_topics, bag, model, k, 1, topics_config)
    lines = st.run("kwic query", discourse.kwic, corpus.tokens, corpus.paragraphs, KWIC_WORD, 5)
    matches = result.matches
    checks = {"n_words": int(len(corpus.tokens)), "n_paragraphs": int(len(corpus.analysed)),
              "matches": {t: int((matches["theme"] == t).sum()) for t in ("security", "development",
                                                                          "livelihood", "supervision")},
              "n_keyness_terms": int(len(key)), "n_bigrams": int(len(coll)), "n_bag_terms": int(len(bag.vocab)),
              "n_bag_paragraphs": int(len(bag.bow)), "n_phrases": int(len(corpus.phrases)),
              "n_kwic": int(len(lines)), "lda_model": model, "lda_passes": int(fit.n_passes),
              "lda_converged": bool(fit.converged)}
    return {"stages": st.rows, "checks": checks, "peak_mib": round(peak_mib(), 1)}


def reference_worker(manifest: Path, k: int, passes: int, iterations: int) -> dict:
    """Run the reference pipeline once on `manifest`; return {"stages", "checks", "peak_mib"}."""
    import reference as ref

    stops = ref.read_stopwords(LEXICON.parent)    # the toolkit's stop words (its data files), before timing
    warm_imports()
    settings = ref.ReferenceSettings(k=k, passes=passes, iterations=iterations)
    st = Stages()
    documents, paragraphs = st.run("corpus", ref.read_corpus, manifest)
    paragraphs = st.run("tokens", ref.tokenise, paragraphs, stops, settings)

    def themes():
        return ref.themes(paragraphs, documents, ref.read_lexicon(LEXICON), settings)
    result = st.run("themes", themes)
    terms = paragraphs.terms()
    key = st.run("keyness", ref.keyness, paragraphs, terms, documents, settings.min_freq)
    coll = st.run("collocations", ref.collocations, paragraphs, settings.min_count)
    dictionary, bow = st.run("bag", ref.bag_of_words, terms, settings)
    st.run("lda", ref.lda, dictionary, bow, settings)
    st.run("lda (gensim defaults)", ref.lda, dictionary, bow, settings, gensim_defaults=True)
    index = st.run("kwic index", ref.kwic_index, paragraphs)
    lines = st.run("kwic query", ref.kwic_query, index, KWIC_WORD)
    found = [theme for per_para in result["matches"] for _, theme, _ in per_para]
    checks = {"n_words": int(sum(map(len, paragraphs.lemmas))), "n_paragraphs": len(paragraphs.text),
              "matches": {t: found.count(t) for t in ref.THEMES}, "n_keyness_terms": len(key),
              "n_bigrams": len(coll["pmi"]), "n_bag_terms": len(dictionary), "n_bag_paragraphs": len(bow),
              "n_phrases": len({t for s in terms for t in s if "_" in t}), "n_kwic": len(lines)}
    return {"stages": st.rows, "checks": checks, "peak_mib": round(peak_mib(), 1)}


# --------------------------------------------------------------------------- reporting


def ratio_rows(runs: list[dict]) -> list[dict]:
    """Return per size and compared quantity the toolkit / reference ratios (CPU, wall, peak memory),
    each the median, min and max over rounds of the ratio measured within one round."""
    import numpy as np

    by = {(r["round"], r["size"], r["pipeline"], r["stage"]): r for r in runs}
    rounds = sorted({r["round"] for r in runs})
    sizes = list(dict.fromkeys(r["size"] for r in runs))
    pairs = [(s, s, s) for s in PIPELINE_STAGES] + [
        ("lda vs gensim defaults", "lda", "lda (gensim defaults)"),
        ("kwic query", "kwic query", "kwic query"),
        ("text stages", "text stages", "text stages"),
        ("whole pipeline", "whole pipeline", "whole pipeline"),
        ("whole pipeline vs gensim defaults", "whole pipeline", "whole pipeline (gensim defaults)")]
    rows = []
    for size in sizes:
        for label, ours, theirs in pairs:
            out = {"size": size, "compared": label, "toolkit_stage": ours, "reference_stage": theirs}
            for field in ("cpu_s", "wall_s"):
                vals, mine, peer = [], [], []
                for r in rounds:
                    a, b = by.get((r, size, "toolkit", ours)), by.get((r, size, "reference", theirs))
                    if a and b and b[field] > 0:
                        vals.append(a[field] / b[field])
                        mine.append(a[field])
                        peer.append(b[field])
                if not vals:
                    break
                out[f"toolkit_{field}"] = round(float(np.median(mine)), 3)
                out[f"reference_{field}"] = round(float(np.median(peer)), 3)
                out[f"ratio_{field[:-2]}_median"] = round(float(np.median(vals)), 3)
                out[f"ratio_{field[:-2]}_min"] = round(min(vals), 3)
                out[f"ratio_{field[:-2]}_max"] = round(max(vals), 3)
            else:
                rows.append(out)
        for label, stage in (("peak memory (corpus to LDA)", "whole pipeline"), ("peak memory (process)", "process")):
            mem = [(by[(r, size, "toolkit", stage)]["peak_mib"], by[(r, size, "reference", stage)]["peak_mib"],
                    by[(r, size, "toolkit", stage)]["n_words"])
                   for r in rounds if (r, size, "toolkit", stage) in by and (r, size, "reference", stage) in by]
            if not mem:
                continue
            ratios = [a / b for a, b, _ in mem]
            rows.append({"size": size, "compared": label, "toolkit_stage": stage, "reference_stage": stage,
                         "toolkit_peak_mib": max(a for a, _, _ in mem), "reference_peak_mib": max(b for _, b, _ in mem),
                         "toolkit_bytes_per_word": round(max(a * 2**20 / n for a, _, n in mem), 1),
                         "ratio_mem_median": round(float(np.median(ratios)), 3),
                         "ratio_mem_min": round(min(ratios), 3), "ratio_mem_max": round(max(ratios), 3)})
    return rows


def growth_rows(runs: list[dict]) -> list[dict]:
    """Return per pipeline and stage the log-log slope of seconds against words (numpy.polyfit over
    every size and round) for CPU and wall time, with the slope's standard error."""
    import numpy as np

    out = []
    keys = list(dict.fromkeys((r["pipeline"], r["stage"]) for r in runs if r["stage"] != "process"))
    for pipeline, stage in keys:
        pts = [r for r in runs if r["pipeline"] == pipeline and r["stage"] == stage]
        if len({r["size"] for r in pts}) < 2:
            continue
        row = {"pipeline": pipeline, "stage": stage, "n_points": len(pts)}
        x = np.log([r["n_words"] for r in pts])
        for field in ("cpu_s", "wall_s"):
            y = np.log([max(r[field], 1e-4) for r in pts])
            if len(pts) > 3:
                coef, cov = np.polyfit(x, y, 1, cov=True)
                se = float(np.sqrt(cov[0, 0]))
            else:
                coef, se = np.polyfit(x, y, 1), float("nan")
            row[f"slope_{field[:-2]}"] = round(float(coef[0]), 3)
            row[f"slope_{field[:-2]}_se"] = round(se, 3)
        out.append(row)
    return out


def add_totals(runs: list[dict]) -> list[dict]:
    """Return `runs` plus the total rows (text stages, whole pipeline) of each process."""
    groups: dict = {}
    for r in runs:
        groups.setdefault((r["round"], r["size"], r["pipeline"]), {})[r["stage"]] = r
    extra = []
    for (round_, size, pipeline), st in groups.items():
        totals = {"text stages": TEXT_STAGES, "whole pipeline": PIPELINE_STAGES}
        if "lda (gensim defaults)" in st:
            totals["whole pipeline (gensim defaults)"] = PIPELINE_STAGES[:-1] + ("lda (gensim defaults)",)
        for name, parts in totals.items():
            if all(p in st for p in parts):
                base = st[parts[0]]
                extra.append({**base, "stage": name, "wall_s": round(sum(st[p]["wall_s"] for p in parts), 4),
                              "cpu_s": round(sum(st[p]["cpu_s"] for p in parts), 4),
                              "peak_mib": max(st[p]["peak_mib"] for p in parts)})
    return runs + extra


def fmt_range(row: dict, kind: str) -> str:
    if f"ratio_{kind}_median" not in row:
        return ""
    return f"{row[f'ratio_{kind}_median']:.2f} ({row[f'ratio_{kind}_min']:.2f}-{row[f'ratio_{kind}_max']:.2f})"


def markdown(ratios: list[dict], growth: list[dict], checks: dict, meta: dict) -> str:
    lines = [f"# Toolkit against the reference pipeline ({meta['machine']})", "",
             f"Command: `{meta['command']}`; commit {meta['commit']}; {meta['rounds']} rounds; LDA K={meta['k']}: "
             f"toolkit {meta.get('lda_model', 'gensim')} at the default TopicsConfig (stopping rule; its passes "
             f"and convergence are in the counts below), reference gensim with the toolkit's gensim settings for "
             f"passes={meta['passes']}, iterations={meta['iterations']}, and with gensim's defaults.", "",
             f"Machine load: before `{meta['uptime_before']}`; after `{meta['uptime_after']}`; "
             f"1-minute load average at the start of each run: {meta['load_min']:.2f}-{meta['load_max']:.2f}.", "",
             "Ratios are toolkit / reference (below 1: the toolkit is faster), median over rounds (range), "
             "each measured within one round.", ""]
    for size in dict.fromkeys(r["size"] for r in ratios):
        lines += [f"## {size}", "", "| compared | toolkit CPU s | reference CPU s | ratio CPU | ratio wall |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for r in ratios:
            if r["size"] != size:
                continue
            if r["compared"].startswith("peak memory"):
                lines.append(f"| {r['compared']}, MiB (toolkit {r['toolkit_bytes_per_word']:.0f} bytes/word) | "
                             f"{r['toolkit_peak_mib']:.0f} | {r['reference_peak_mib']:.0f} | {fmt_range(r, 'mem')} | |")
            else:
                label = r["compared"] if r["toolkit_stage"] == r["reference_stage"] else \
                    f"{r['toolkit_stage']} vs reference {r['reference_stage']}"
                lines.append(f"| {label} | {r['toolkit_cpu_s']:.2f} | {r['reference_cpu_s']:.2f} | "
                             f"{fmt_range(r, 'cpu')} | {fmt_range(r, 'wall')} |")
        c = checks.get(size, {})
        if c:
            lines += ["", "Same work: " + "; ".join(
                f"{name} toolkit {c['toolkit'].get(name)} / reference {c['reference'].get(name)}"
                for name in c["toolkit"]), ""]
    lines += ["## Growth: slope of log(seconds) against log(words), every size and round", "",
              "| stage | toolkit CPU | reference CPU | toolkit wall | reference wall |", "| --- | ---: | ---: | ---: | ---: |"]
    by = {(g["pipeline"], g["stage"]): g for g in growth}
    for stage in dict.fromkeys(g["stage"] for g in growth):
        cells = []
        for kind in ("cpu", "wall"):
            for pipeline in ("toolkit", "reference"):
                g = by.get((pipeline, stage))
                cells.append(f"{g[f'slope_{kind}']:.2f} ± {g[f'slope_{kind}_se']:.2f}" if g else "")
        lines.append(f"| {stage} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
    return "\n".join(lines) + "\n"


def write_csv(path: Path, rows: list[dict]) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "2.5M", "5M"], choices=list(SIZES))
    parser.add_argument("--rounds", type=int, default=2, help="rounds of every size and pipeline (default 2)")
    parser.add_argument("--k", type=int, default=10, help="LDA topics (default 10)")
    parser.add_argument("--lda-model", default="tomotopy", choices=["tomotopy", "gensim", "sklearn"],
                        help="the toolkit's LDA engine, run to convergence (default tomotopy)")
    parser.add_argument("--passes", type=int, default=PASSES,
                        help=f"reference gensim with the toolkit's gensim settings: passes (default {PASSES})")
    parser.add_argument("--iterations", type=int, default=200,
                        help="reference gensim with the toolkit's gensim settings: E-step iterations (default 200)")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--worker", choices=["toolkit", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, metavar="DIR",
                        help="only write the report again from DIR/compare_runs.csv and DIR/compare.json")
    args = parser.parse_args(argv)
    if args.report:
        print(write_report(args.report))
        return 0
    if args.worker:
        if args.worker == "toolkit":
            print(json.dumps(toolkit_worker(Path(args.manifest), args.k, args.lda_model)))
        else:
            print(json.dumps(reference_worker(Path(args.manifest), args.k, args.passes, args.iterations)))
        return 0
    from analysis.config import default_manifest
    from synth import make_corpus

    uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE.parent).stdout.strip()     # the code measured: read before the runs
    runs, checks, loads = [], {}, []
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        manifests = {}
        for size in args.sizes:
            if SIZES[size]:
                print(f"writing the {size} corpus", file=sys.stderr, flush=True)
                manifests[size] = make_corpus(Path(tmp) / size, SIZES[size])
            else:
                manifests[size] = default_manifest()
        for round_ in range(args.rounds):
            sizes = args.sizes if round_ % 2 == 0 else args.sizes[::-1]
            pipelines = ("toolkit", "reference") if round_ % 2 == 0 else ("reference", "toolkit")
            for size in sizes:
                for order, pipeline in enumerate(pipelines, start=1):
                    load = os.getloadavg()[0]
                    loads.append(load)
                    print(f"round {round_ + 1} of {args.rounds}, {size}, {pipeline}:", file=sys.stderr, flush=True)
                    proc = subprocess.run([sys.executable, __file__, "--worker", pipeline, "--manifest",
                                           str(manifests[size]), "--k", str(args.k), "--passes", str(args.passes),
                                           "--iterations", str(args.iterations), "--lda-model", args.lda_model],
                                          stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
                    if proc.returncode:
                        return proc.returncode
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
                    base = {"round": round_ + 1, "size": size, "n_words": res["checks"]["n_words"],
                            "pipeline": pipeline, "order": order, "load_1m": round(load, 2)}
                    for stage, v in res["stages"].items():
                        runs.append({**base, "stage": stage, **v})
                    runs.append({**base, "stage": "process", "wall_s": "", "cpu_s": "", "peak_mib": res["peak_mib"]})
                    checks.setdefault(size, {})[pipeline] = res["checks"]
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    runs = add_totals(runs)
    meta = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "command": "python benchmarks/compare.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "commit": commit, "rounds": args.rounds, "k": args.k, "lda_model": args.lda_model, "passes": args.passes,
            "iterations": args.iterations, "uptime_before": uptime_before, "uptime_after": uptime_after,
            "load_min": min(loads), "load_max": max(loads)}
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / "compare_runs.csv", runs)
    (args.out / "compare.json").write_text(json.dumps({"meta": meta, "checks": checks}, indent=2) + "\n")
    print(write_report(args.out))
    return 0


def read_runs(path: Path) -> list[dict]:
    """Return the rows of ``compare_runs.csv`` with numbers as numbers ("" for none)."""
    ints, floats = ("round", "n_words", "order"), ("wall_s", "cpu_s", "peak_mib", "load_1m")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        for k in ints:
            r[k] = int(r[k])
        for k in floats:
            r[k] = float(r[k]) if r[k] != "" else ""
    return rows


def write_report(out: Path) -> str:
    """Write ``compare_ratios.csv``, ``compare_growth.csv`` and ``compare.md`` from the runs and
    ``compare.json`` in `out`; return the markdown."""
    runs = read_runs(out / "compare_runs.csv")
    saved = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    ratios, growth = ratio_rows(runs), growth_rows([r for r in runs if r["stage"] != "process"])
    write_csv(out / "compare_ratios.csv", ratios)
    write_csv(out / "compare_growth.csv", growth)
    report = markdown(ratios, growth, saved["checks"], saved["meta"])
    (out / "compare.md").write_text(report, encoding="utf-8")
    return report


if __name__ == "__main__":
    sys.exit(main())
