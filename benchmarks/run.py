"""Benchmark every stage of the toolkit against the libraries it stands on.

    python benchmarks/run.py                 # seeds, 1M, 2.5M and 5M words (40 minutes on 2 cores before 2.5M was added)
    python benchmarks/run.py --sizes seeds 200k --no-figures   # a quick look

The synthetic corpora are written once (`synth.make_corpus`). Each corpus size then runs the text
stages in its own process, so its peak memory (resident set, from ``resource.getrusage``) is its own;
every step runs the same number of times at every size (3, or `SHORT_REPEAT` for short steps) after a
garbage collection and the fastest time is kept. Those processes run in two rounds, the sizes in opposite
order (seeds, 1M, 5M, then 5M, 1M, seeds), and each step keeps its fastest time of both rounds, so a
slow stretch of minutes on a shared machine does not fall on one size only. The LDA steps
run in one further process that holds the bag of words of every size and interleaves them: each round
fits every size, and within a size the toolkit and the library called directly alternate which goes
first; the fastest of `LDA_ROUNDS` rounds is kept. So the LDA ratios (toolkit / library, and between sizes) are each
measured side by side in time, and a slow minute on a shared machine does not decide them. Results go
to ``benchmarks/results/benchmark.json`` (with a list ``targets`` of {"name", "measured", "target",
"met"}) and ``benchmark.md``.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

SIZES = {"seeds": 0, "200k": 200_000, "1M": 1_000_000, "2.5M": 2_500_000, "5M": 5_000_000}
LDA_ROUNDS = 4  # even, so the toolkit and the direct call go first equally often
TEXT_ROUNDS = 2  # each size's text-stage process runs this often, sizes alternating order
SHORT_REPEAT = 8  # runs of the steps that take well under a second at 1M words, at every size
LDA_SETTINGS = {"k": 10, "passes": 1, "iterations": 50, "max_iter": 5, "gibbs_iterations": 100}


def peak_mib() -> float:
    """Return this process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(results: dict, name: str, fn, *args, repeat: int = 3, **kwargs):
    """Run `fn` `repeat` times; record the fastest wall time (seconds) and the peak memory so far.

    The number of runs is the same at every corpus size: the fastest of more runs is
    systematically lower, so a growth ratio between sizes timed a different number of times would
    be biased towards the size run more often. Short steps pass a larger `repeat` (`SHORT_REPEAT`).
    """
    best = float("inf")
    for _ in range(repeat):
        out = None          # every run starts as the first did, without the last run's result held
        gc.collect()        # no run pays for collecting the garbage of the one before
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    results[name] = {"seconds": round(best, 4), "runs": repeat, "peak_mib": round(peak_mib(), 1)}
    print(f"  {name:<28} {results[name]['seconds']:8.2f} s  peak {results[name]['peak_mib']:7.0f} MiB",
          file=sys.stderr, flush=True)
    return out


def bare_tokenize(texts: list[str], stops: frozenset[str]) -> list[list[str]]:
    """The peer of tokenising: one compiled regex, lower-case, stop-word filter."""
    word = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
    return [[w for w in (x.lower() for x in word.findall(t)) if w not in stops] for t in texts]


def worker(size: str, manifest: Path) -> dict:
    """Time the text stages on one corpus size; return the timings and checks."""
    import numpy as np
    from nltk.collocations import BigramAssocMeasures, BigramCollocationFinder
    from nltk.text import ConcordanceIndex

    from analysis import discourse, themes
    from analysis.config import Config, TokensConfig
    from analysis.corpus import Corpus, read_corpus
    from analysis.tokens import lemmatize_text, lemmatize, load_corpus, stopwords, tokenize

    out: dict = {"size": size, "stages": {}, "peers": {}, "checks": {}}
    st, peers = out["stages"], out["peers"]
    config = Config()
    raw, line_maps = timed(st, "corpus (read, clean)", read_corpus, manifest, config.corpus)
    texts = raw.paragraphs.loc[raw.paragraphs["kind"].isin(["body", "list"]), "text"].tolist()
    stops = stopwords()
    # simplemma loads its English dictionary once per process (about 0.5 s, whatever the corpus
    # size): load it before timing, then clear our own per-type cache so every type is lemmatized.
    lemmatize("warm")
    lemmatize.cache_clear()
    timed(peers, "bare tokenising loop", bare_tokenize, texts, stops, repeat=SHORT_REPEAT)
    def cold_lemmatize(text):
        lemmatize.cache_clear()         # every run lemmatizes every word type
        return lemmatize_text(text)

    timed(st, "tokenise+lemmatize (lemmatize_text)", cold_lemmatize, "\n".join(texts), repeat=SHORT_REPEAT)
    timed(st, "tokens (no phrases)", tokenize, raw.paragraphs, line_maps, TokensConfig(phrases=False))
    timed(st, "tokens (with phrases)", tokenize, raw.paragraphs, line_maps, config.tokens)
    del raw, line_maps, texts
    corpus = timed(st, "load_corpus (corpus+tokens)", load_corpus, manifest, config)
    out["n_tokens"] = int(len(corpus.tokens))
    out["n_types"] = int(corpus.tokens["lemma"].nunique())
    out["n_paragraphs"] = int(len(corpus.analysed))
    timed(st, "themes (with bootstrap)", themes.analyse_themes, corpus)
    years = sorted(corpus.documents["year"].unique())
    timed(st, "keyness", discourse.keyness, corpus.tokens, corpus.documents, {"year": [str(years[0])]}, "rest",
          repeat=SHORT_REPEAT)

    # Collocations against nltk on the same stream (terms inside sentences).
    ours = timed(st, "collocations (bigrams)", discourse.collocations, corpus.tokens, 2,
                 repeat=SHORT_REPEAT)
    t = corpus.tokens[corpus.tokens["term"].astype(str) != ""]
    key = (t["doc_id"].astype(str) + "|" + t["para_id"].astype(str) + "|" + t["sent_id"].astype(str)).to_numpy()
    words = t["term"].astype(str).to_numpy()
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
    sents = [list(words[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]

    def nltk_bigrams():
        finder = BigramCollocationFinder.from_documents(sents)
        finder.apply_freq_filter(config.discourse.min_count)
        return dict(finder.score_ngrams(BigramAssocMeasures.pmi))
    theirs = timed(peers, "nltk BigramCollocationFinder", nltk_bigrams, repeat=SHORT_REPEAT)
    common = [(r.w1, r.w2) for r in ours.itertuples() if (r.w1, r.w2) in theirs]
    diffs = [abs(float(ours_pmi) - theirs[pair]) for pair, ours_pmi in
             zip(common, ours.set_index(["w1", "w2"]).loc[common, "pmi"])] if common else [0.0]
    out["checks"]["collocations_same_pairs"] = len(common) == len(theirs) == len(ours)
    out["checks"]["collocations_max_pmi_difference"] = float(max(diffs))
    del sents, theirs, ours, common, diffs, words, key, t

    # KWIC against nltk's ConcordanceIndex on the lower-cased surface words.
    timed(st, "kwic", discourse.kwic, corpus.tokens, corpus.paragraphs, "supervision", 5,
          repeat=SHORT_REPEAT)
    surface = corpus.tokens
    texts_by_para = corpus.paragraphs.set_index(["doc_id", "para_id"])["text"]

    def nltk_kwic():
        index = ConcordanceIndex(all_words, key=lambda s: s.lower())
        return index.find_concordance("supervision", width=80)
    para_text = texts_by_para.reindex(list(zip(surface["doc_id"].astype(str), surface["para_id"]))).to_numpy()
    all_words = [p[a:b] for p, a, b in zip(para_text, surface["start"].to_numpy(), surface["end"].to_numpy())]
    lines = timed(peers, "nltk ConcordanceIndex", nltk_kwic, repeat=SHORT_REPEAT)
    out["checks"]["kwic_rows_ours"] = int(len(discourse.kwic(corpus.tokens, corpus.paragraphs, "supervision", 5)))
    out["checks"]["kwic_rows_nltk"] = int(len(lines))
    del lines, all_words, para_text
    out["peak_mib"] = round(peak_mib(), 1)
    return out


def lda_worker(manifests: dict[str, Path]) -> dict:
    """Time the LDA steps on every size in one process; return {size: {"stages", "peers"}} and the
    process's peak memory.

    The toolkit's fits (`topics.fit_topics`) run against gensim and scikit-learn called directly on
    the same bag of words with the same settings and the same outputs (topic-word and doc-topic
    matrices). Each of `LDA_ROUNDS` rounds fits every size; within a size, the toolkit goes first on
    even rounds and the direct call on odd ones. The fastest time of each is kept.
    """
    import numpy as np
    from gensim.models import LdaModel
    from sklearn.decomposition import LatentDirichletAllocation

    from threadpoolctl import threadpool_limits

    from analysis import topics
    from analysis.config import Config, TopicsConfig
    from analysis.tokens import load_corpus

    # One BLAS thread for every fit, the toolkit's and the direct calls': the toolkit's own topic
    # pipeline fits that way (`topics._fit_pair`), and tomotopy runs with one worker.
    threadpool_limits(limits=1)
    k, passes, iterations = LDA_SETTINGS["k"], LDA_SETTINGS["passes"], LDA_SETTINGS["iterations"]
    # tolerance=0: the toolkit runs exactly `passes` (no stopping-rule statistic), as the direct calls do
    config = TopicsConfig(passes=passes, iterations=iterations, max_iter=LDA_SETTINGS["max_iter"],
                          gibbs_iterations=LDA_SETTINGS["gibbs_iterations"], tolerance=0.0)
    try:
        import tomotopy  # noqa: F401
        engines = True
    except ImportError:
        engines = False
    out: dict = {size: {"stages": {}, "peers": {}, "checks": {}} for size in manifests}
    bags = {}
    # The bag is timed on every size in the order seeds, 1M, 5M, 1M, seeds (half the runs on each
    # visit of the smaller sizes), so each size is timed both with a smaller and with a larger bag
    # already held, as the other stages alternate the order of sizes.
    sizes = list(manifests)
    visits = sizes + sizes[-2::-1]
    for size in visits:
        print(f"{size} (LDA, bag of words):", file=sys.stderr, flush=True)
        corpus = load_corpus(manifests[size], Config())
        table: dict = {}
        repeat = SHORT_REPEAT if visits.count(size) == 1 else SHORT_REPEAT // 2
        bags[size] = timed(table, "topics: bag of words", topics.build_bag, corpus, config, repeat=repeat)
        stages = out[size]["stages"]
        stages["topics: bag of words"] = fastest(stages.get("topics: bag of words"), table["topics: bag of words"])
        del corpus
        gc.collect()

    def fits(bag):
        def gensim_direct():
            lda = LdaModel(bag.bow, num_topics=k, id2word=bag.dictionary, chunksize=len(bag.bow), passes=passes,
                           iterations=iterations, alpha="symmetric", eval_every=None, random_state=1,
                           dtype=np.float64, decay=0.0, gamma_threshold=config.estep_tolerance)
            return lda.get_topics(), lda.inference(bag.bow)[0]

        def sklearn_direct():
            lda = LatentDirichletAllocation(n_components=k, learning_method="batch", max_iter=config.max_iter,
                                            random_state=1, max_doc_update_iter=config.iterations,
                                            mean_change_tol=config.estep_tolerance)
            return lda.fit_transform(bag.matrix), lda.components_

        def tomotopy_direct():
            import tomotopy as tp

            lda = tp.LDAModel(k=k, seed=1, min_cf=0, rm_top=0)
            for text in bag.texts:
                lda.add_doc(text)
            lda.train(config.gibbs_iterations, workers=1, show_progress=False)
            return ([lda.get_topic_word_dist(t) for t in range(k)], [d.get_topic_dist() for d in lda.docs])

        pairs = [("lda toolkit", lambda: topics.fit_topics(bag, "gensim", k, 1, config),
                  "gensim LdaModel direct", gensim_direct),
                 ("lda toolkit (sklearn)", lambda: topics.fit_topics(bag, "sklearn", k, 1, config),
                  "sklearn LatentDirichletAllocation direct", sklearn_direct)]
        if engines:
            pairs.append(("lda tomotopy (optional engine)", lambda: topics.fit_topics(bag, "tomotopy", k, 1, config),
                          "tomotopy LDAModel direct", tomotopy_direct))
        return pairs

    best: dict = {}

    def keep(size, kind, name, fn):
        table: dict = {}
        timed(table, f"{name} [{size}]", fn, repeat=1)
        row = table[f"{name} [{size}]"]
        if (size, name) not in best or row["seconds"] < best[(size, name)]["seconds"]:
            best[(size, name)] = row
        out[size][kind][name] = best[(size, name)]

    for r in range(LDA_ROUNDS):
        print(f"LDA round {r + 1} of {LDA_ROUNDS}:", file=sys.stderr, flush=True)
        for size, bag in bags.items():
            for ours, ours_fn, peer, peer_fn in fits(bag):
                order = [("stages", ours, ours_fn), ("peers", peer, peer_fn)]
                for kind, name, fn in (order if r % 2 == 0 else order[::-1]):
                    keep(size, kind, name, fn)
    for size in bags:
        if not engines:
            out[size]["checks"]["tomotopy"] = "not installed"
    return {"sizes": out, "peak_mib": round(peak_mib(), 1)}


def run_figures() -> float:
    """Return the wall time of the README's main command on the seeds, in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "analysis.cli", "figures", "--out", tmp], check=True,
                       cwd=HERE.parent, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start


def targets(results: dict, figures_seconds: float | None, lda_peak: float = 0.0) -> list[dict]:
    """Return the issue's targets, each measured against its threshold."""
    rows = []

    def add(name, measured, target, met):
        rows.append({"name": name, "measured": round(measured, 3) if measured is not None else None,
                     "target": target, "met": bool(met) if measured is not None else False})

    for size, r in results.items():
        if size == "seeds":
            continue            # too small for a ratio: fixed overheads dominate
        st, pe = r["stages"], r["peers"]
        ratio = pe["bare tokenising loop"]["seconds"] / st["tokenise+lemmatize (lemmatize_text)"]["seconds"]
        add(f"tokenising and lemmatizing speed / bare loop ({size})", ratio, ">= 0.4", ratio >= 0.4)
        if "nltk BigramCollocationFinder" in pe:
            speed = pe["nltk BigramCollocationFinder"]["seconds"] / st["collocations (bigrams)"]["seconds"]
            add(f"collocations speed-up over nltk ({size})", speed, ">= 5", speed >= 5
                and r["checks"]["collocations_max_pmi_difference"] < 1e-9)
            speed = pe["nltk ConcordanceIndex"]["seconds"] / st["kwic"]["seconds"]
            add(f"KWIC speed-up over nltk ({size})", speed, ">= 5", speed >= 5)
        if "lda toolkit" in st:
            ratio = st["lda toolkit"]["seconds"] / pe["gensim LdaModel direct"]["seconds"]
            add(f"toolkit LDA / direct gensim ({size})", ratio, "<= 1.1", ratio <= 1.1)
            ratio = st["lda toolkit (sklearn)"]["seconds"] / pe["sklearn LatentDirichletAllocation direct"]["seconds"]
            add(f"toolkit LDA / direct scikit-learn ({size})", ratio, "<= 1.1", ratio <= 1.1)
    if "5M" in results:
        st = results["5M"]["stages"]
        total = sum(st[k]["seconds"] for k in ("load_corpus (corpus+tokens)", "themes (with bootstrap)", "keyness"))
        add("5M words: corpus+tokens+themes+keyness (s)", total, "< 60", total < 60)
        peak = max(results["5M"]["peak_mib"], lda_peak)   # the 5M text stages, or the LDA process
        add("5M words: peak memory of the whole run (MiB)", peak, "< 2048", peak < 2048)
    for stage, slope in growth_slopes(results, "stages").items():
        add(f"growth (log-log slope): {stage}", slope, "<= 1.1", slope <= 1.1)
    if figures_seconds is not None:
        add("seeds: README main command, every figure (s)", figures_seconds, "< 60", figures_seconds < 60)
    return rows


def fastest(old: dict | None, new: dict) -> dict:
    """Return one step's timing row from two sets of runs: the fastest time, the runs summed, the
    larger peak memory."""
    if old is None:
        return new
    return {"seconds": min(old["seconds"], new["seconds"]), "runs": old["runs"] + new["runs"],
            "peak_mib": max(old["peak_mib"], new["peak_mib"])}


def merge_fastest(old: dict | None, new: dict) -> dict:
    """Return the worker result `new` with each step's time the fastest of `old` and `new`.

    Peak memory is the larger of the two (the same process, run again, should match).
    """
    if old is None:
        return new
    for kind in ("stages", "peers"):
        for name, row in new[kind].items():
            new[kind][name] = fastest(old[kind].get(name), row)
    new["peak_mib"] = max(old["peak_mib"], new["peak_mib"])
    return new


def growth_slopes(results: dict, kind: str) -> dict[str, float]:
    """Return per step the slope of log(seconds) against log(tokens) over the sizes of 1M words and
    more (fastest time of each size; numpy.polyfit): 1.0 grows linearly. This replaces the single
    5M/1M ratio, which swings with the machine's noise; `compare.py` fits it over rounds too."""
    import numpy as np

    sizes = [s for s in results if SIZES[s] >= 1_000_000]
    if len(sizes) < 2:
        return {}
    out = {}
    for name in results[sizes[-1]][kind]:
        pts = [(results[s]["n_tokens"], results[s][kind][name]["seconds"]) for s in sizes if name in results[s][kind]]
        if len(pts) == len(sizes):
            x, y = np.log([p[0] for p in pts]), np.log([max(p[1], 1e-4) for p in pts])
            out[name] = round(float(np.polyfit(x, y, 1)[0]), 3)
    return out


def peer_growth(results: dict) -> dict[str, float]:
    """Return the growth slope of every peer (the libraries themselves), for reference."""
    return growth_slopes(results, "peers")


def markdown(results: dict, rows: list[dict], figures_seconds: float | None, lda_peak: float = 0.0) -> str:
    lines = [f"# Benchmark ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()})", ""]
    for size, r in results.items():
        lines += [f"## {size}: {r['n_tokens']:,} tokens, {r['n_types']:,} lemma types, "
                  f"{r['n_paragraphs']:,} paragraphs; peak {r['peak_mib']:.0f} MiB", "",
                  "| step | seconds | peak MiB |", "| --- | ---: | ---: |"]
        for kind in ("stages", "peers"):
            for name, v in r[kind].items():
                label = name if kind == "stages" else f"peer: {name}"
                lines.append(f"| {label} | {v['seconds']:.2f} | {v['peak_mib']:.0f} |")
        lines += ["", "checks: " + ", ".join(f"{k} = {v}" for k, v in r["checks"].items()), ""]
    if figures_seconds is not None:
        lines += [f"README main command on the seeds: {figures_seconds:.1f} s", ""]
    lines += [f"LDA rows: one process holding every size's bag of words, {LDA_ROUNDS} interleaved rounds, "
              f"one BLAS thread, fastest kept; settings {LDA_SETTINGS}; that process's peak {lda_peak:.0f} MiB.", ""]
    growth = peer_growth(results)
    if growth:
        lines += ["Growth (log-log slope of seconds against tokens) of the peers (the libraries themselves, for reference): "
                  + ", ".join(f"{name} {g}" for name, g in growth.items()), ""]
    lines += ["## Targets", "", "| target | measured | threshold | met |", "| --- | ---: | --- | --- |"]
    lines += [f"| {t['name']} | {t['measured']} | {t['target']} | {'yes' if t['met'] else 'NO'} |" for t in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["seeds", "1M", "2.5M", "5M"], choices=list(SIZES))
    parser.add_argument("--no-figures", action="store_true", help="skip timing the figure command")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--worker", choices=list(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--lda-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--manifests", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker or args.lda_worker:
        manifests = {size: Path(m) for size, m in json.loads(args.manifests).items()}
        result = worker(args.worker, manifests[args.worker]) if args.worker else lda_worker(manifests)
        print(json.dumps(result))
        return 0
    from analysis.config import default_manifest
    from synth import make_corpus

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        manifests = {}
        for size in args.sizes:
            if SIZES[size]:
                print(f"writing the {size} corpus", file=sys.stderr, flush=True)
                manifests[size] = str(make_corpus(Path(tmp) / size, SIZES[size]))
            else:
                manifests[size] = str(default_manifest())

        def run(*flags):
            # the worker's progress (stderr) goes to the terminal as it happens; its result is stdout
            proc = subprocess.run([sys.executable, __file__, *flags, "--manifests", json.dumps(manifests)],
                                  stdout=subprocess.PIPE, text=True)
            if proc.returncode:
                raise SystemExit(proc.returncode)
            return json.loads(proc.stdout.strip().splitlines()[-1])

        results = {}
        for round_ in range(TEXT_ROUNDS):
            order = args.sizes if round_ % 2 == 0 else args.sizes[::-1]
            for size in order:
                print(f"{size} (text stages, round {round_ + 1} of {TEXT_ROUNDS}):", file=sys.stderr, flush=True)
                results[size] = merge_fastest(results.get(size), run("--worker", size))
        lda = run("--lda-worker")
    for size, r in lda["sizes"].items():
        for kind in ("stages", "peers", "checks"):
            results[size][kind].update(r[kind])
    lda_peak = lda["peak_mib"]
    figures_seconds = None if args.no_figures else run_figures()
    rows = targets(results, figures_seconds, lda_peak)
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()},
              "lda_settings": LDA_SETTINGS, "lda_rounds": LDA_ROUNDS, "lda_peak_mib": lda_peak,
              "results": results, "figures_seconds": figures_seconds, "targets": rows}
    (args.out / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "benchmark.md").write_text(markdown(results, rows, figures_seconds, lda_peak))
    print(markdown(results, rows, figures_seconds, lda_peak))
    return 0


if __name__ == "__main__":
    sys.exit(main())
