"""Which LDA engine converges fastest to the best topics: the measurement behind the default engine.

    python benchmarks/lda_engines.py --corpus 1M                  # the 1M-word benchmark corpus
    python benchmarks/lda_engines.py --corpus planted --k 10      # planted topics: distance to the truth
    python benchmarks/lda_engines.py --determinism                # multi-worker engines: same seed, same numbers?

One fresh process per engine and corpus (``--engine`` runs one in this process). Every engine runs
until the toolkit's stopping rule is met (`analysis.topics.fit_topics`, default `TopicsConfig`) or
its cap; per fit it reports passes (gensim, scikit-learn EM iterations, tomotopy sweeps), whether
the rule was met, CPU seconds (``time.process_time``) and wall seconds. Engines:

    gensim          the toolkit's gensim engine (batch variational EM, the corpus as one chunk)
    gensim-online   gensim `LdaModel` fed in chunks of 2000 as gensim recommends (online VB,
                    ``update_every=1``, ``decay=0.5``), same E-step settings and stopping rule
    sklearn         scikit-learn batch EM; tomotopy: collapsed Gibbs sampling, one worker

Quality: the fit is repeated on 80% of the paragraphs (seeded split) and scored by held-out
document-completion perplexity (`completion_perplexity`, lower is better); on ``planted`` corpora
(topics ~ Dirichlet(0.05) over V words, shares ~ Dirichlet(0.3), as `tests/test_topics.py`), also the
mean Jensen-Shannon distance (base 2) of the true topics to their matched fitted ones.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

ENGINES = ("tomotopy", "gensim", "gensim-online", "sklearn")


def planted(seed: int, k: int, v: int = 2000, n_docs: int = 6000, length: int = 40):
    """Return (texts, true topics k x v, vocab) of an LDA corpus with known topics."""
    rng = np.random.default_rng(seed)
    topics = rng.dirichlet(np.full(v, 0.05), size=k)
    vocab = np.array([f"w{i:04d}" for i in range(v)])
    texts = []
    for _ in range(n_docs):
        z = rng.choice(k, size=length, p=rng.dirichlet(np.full(k, 0.3)))
        words = np.concatenate([rng.choice(v, size=int((z == t).sum()), p=topics[t]) for t in range(k)])
        texts.append([str(vocab[w]) for w in rng.permutation(words)])
    return texts, topics, vocab


def gensim_online(bag, k: int, seed: int, config):
    """Return (topic_word, infer, convergence) of gensim fed in chunks of 2000 (online VB)."""
    from gensim.models import LdaModel

    from analysis.topics import models

    lda = LdaModel(None, num_topics=k, id2word=bag.dictionary, chunksize=2000, update_every=1, decay=0.5,
                   passes=1, iterations=config.iterations, gamma_threshold=config.estep_tolerance,
                   alpha="symmetric", eval_every=None, random_state=seed, dtype=np.float64)
    trace, previous = [], None
    for _ in range(config.passes):
        lda.state.numdocs = 0          # the corpus size is the corpus's, not the documents seen (`models._fit_gensim`)
        lda.update(bag.bow, passes=1)
        previous, step = models._topic_step(previous, lda.get_topics())
        trace.append(step)
        if models._mean_step(trace) < config.tolerance:
            break

    def infer(texts):
        return models._normalise(lda.inference([bag.dictionary.doc2bow(t) for t in texts])[0])
    return models._normalise(lda.get_topics()), infer, models._convergence(trace, config.tolerance, config.passes)


def fit(engine: str, bag, k: int, seed: int, config):
    """Return (topic_word, infer, {"converged", "n_passes", "last_change"}) of one engine."""
    from analysis.topics import models

    if engine == "gensim-online":
        return gensim_online(bag, k, seed, config)
    eng = models._engine(bag, engine, k, seed, config, None)
    f = eng.fit
    return f.topic_word, eng.infer, {"converged": f.converged, "n_passes": f.n_passes, "last_change": f.last_change}


def run_engine(engine: str, corpus: str, k: int, seed: int) -> dict:
    """Fit `engine` on the corpus and on its 80% training split; return times, convergence, quality."""
    import pandas as pd
    from scipy.spatial.distance import jensenshannon

    from analysis.config import Config, TopicsConfig
    from analysis.tokens import load_corpus
    from analysis.topics import bag_from_texts, build_bag, completion_perplexity, match_topics, subset_bag

    truth = None
    if corpus == "planted":
        config = TopicsConfig(min_doc_count=1, max_doc_share=1.0)
        texts, topics, vocab = planted(seed, k)
        bag, truth = bag_from_texts(texts, config=config), (topics, vocab)
    else:
        from compare import SIZES
        from synth import make_corpus

        config = TopicsConfig()
        with tempfile.TemporaryDirectory() as tmp:
            bag = build_bag(load_corpus(make_corpus(Path(tmp), SIZES[corpus]), Config()), config)
    n = len(bag.bow)
    heldout = np.sort(np.random.default_rng(7).permutation(n)[: n // 5])
    out = {"engine": engine, "corpus": corpus, "k": k, "seed": seed, "n_paragraphs": n, "n_terms": len(bag.vocab)}
    for label, part in (("full", bag), ("train", subset_bag(bag, np.setdiff1d(np.arange(n), heldout)))):
        wall, cpu = time.perf_counter(), time.process_time()
        topic_word, infer, state = fit(engine, part, k, seed, config)
        out[label] = {"cpu_s": round(time.process_time() - cpu, 2), "wall_s": round(time.perf_counter() - wall, 2),
                      **{key: (round(v, 6) if isinstance(v, float) else v) for key, v in state.items()}}
        print(f"  {engine} {corpus} {label}: {out[label]}", file=sys.stderr, flush=True)
        if label == "full" and truth is not None:
            full = np.zeros((k, len(truth[1])))
            full[:, pd.Index(truth[1]).get_indexer(part.vocab)] = topic_word
            match = match_topics(truth[0], full)
            out["js_to_truth"] = round(float(np.mean([jensenshannon(truth[0][i], full[match[i]], base=2)
                                                      for i in range(k)])), 4)
        if label == "train":
            out["heldout_perplexity"] = round(completion_perplexity(
                topic_word, infer, [bag.texts[i] for i in heldout], part.vocab), 2)
    return out


def determinism(k: int = 10, seed: int = 1) -> dict:
    """Return, per multi-worker setting, whether two fits with the same seed give the same topics
    (on 3,000 paragraphs of the 200k-word corpus): tomotopy with 2 workers (each parallel scheme)
    and gensim `LdaMulticore` with 1 and 2 workers."""
    import tomotopy as tp
    from gensim.models import LdaMulticore

    from analysis.config import Config, TopicsConfig
    from analysis.tokens import load_corpus
    from analysis.topics import build_bag
    from synth import make_corpus

    with tempfile.TemporaryDirectory() as tmp:
        bag = build_bag(load_corpus(make_corpus(Path(tmp), 200_000), Config()), TopicsConfig())
    texts, bow = bag.texts[:3000], bag.bow[:3000]

    def tomotopy(workers, scheme):
        lda = tp.LDAModel(k=k, seed=seed, min_cf=0, rm_top=0)
        for t in texts:
            lda.add_doc(t)
        lda.train(100, workers=workers, parallel=scheme, show_progress=False)
        return np.array([lda.get_topic_word_dist(t) for t in range(k)])

    def multicore(workers):
        return LdaMulticore(bow, num_topics=k, id2word=bag.dictionary, workers=workers, chunksize=500, passes=2,
                            random_state=seed, eval_every=None, dtype=np.float64).get_topics()

    out = {}
    for scheme in (tp.ParallelScheme.PARTITION, tp.ParallelScheme.COPY_MERGE):
        runs = [tomotopy(2, scheme) for _ in range(3)]
        out[f"tomotopy workers=2 {scheme.name}"] = all(np.array_equal(runs[0], r) for r in runs[1:])
    for workers in (1, 2):
        runs = [multicore(workers) for _ in range(3)]
        out[f"gensim LdaMulticore workers={workers}"] = all(np.array_equal(runs[0], r) for r in runs[1:])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="1M", choices=["planted", "200k", "500k", "1M", "2.5M", "5M"])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--engine", choices=ENGINES, help="run this engine in this process")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--determinism", action="store_true")
    args = parser.parse_args(argv)
    if args.determinism:
        print(json.dumps(determinism(args.k, args.seed), indent=2))
        return 0
    if args.engine:
        print(json.dumps(run_engine(args.engine, args.corpus, args.k, args.seed)))
        return 0
    rows = []
    for engine in args.engines:
        proc = subprocess.run([sys.executable, __file__, "--engine", engine, "--corpus", args.corpus, "--k",
                               str(args.k), "--seed", str(args.seed)], stdout=subprocess.PIPE, text=True)
        if proc.returncode:
            return proc.returncode
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print("| engine | passes (full) | converged | CPU s (full) | wall s | held-out perplexity | JS to truth |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for r in rows:
        f = r["full"]
        print(f"| {r['engine']} | {f['n_passes']} | {f['converged']} | {f['cpu_s']} | {f['wall_s']} | "
              f"{r['heldout_perplexity']} | {r.get('js_to_truth', '')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
