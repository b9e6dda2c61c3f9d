"""Coverage study of the theme intervals: do nominal 95% intervals cover the truth 95% of the time?

Simulates documents shaped like the seeds and counts how often each interval method covers the
true rate (matches per 1,000 tokens) and share (of the four themes' matches):

* paragraphs per document: 10, 15, 21, 25, 33, 50, 100, 200 (the seeds have 21 to 154);
* paragraph lengths: log-normal with the seeds' log-mean and log-sd of analysed-paragraph tokens;
* four themes with the rates of the seeds' range: 20, 12, 8 and 1.5 (rare) per 1,000 tokens;
* two ways of writing:
  ``independent``  each theme's count is gamma-Poisson (negative binomial) per paragraph, frailty
                   shape 0.35, themes independent;
  ``dominant``     each paragraph is about one theme (drawn with probabilities 0.3, 0.3, 0.3, 0.1):
                   that theme's rate is 4x its base, the others' 0.25x, times a gamma frailty of
                   shape 1;
  both give quasi-Poisson dispersions like the seeds' (the script prints the seeds' and the
  simulated ones side by side).
* methods: ``percentile_bootstrap`` (what the theme tables used before: B = 1000 paragraph
  resamples, 2.5/97.5 percentiles), ``wald_t`` (the linearised ratio variance with a t reference
  on the raw scale) and ``deff_exact`` (the shipped method, `analysis.themes.rate_intervals` and
  `share_intervals`: Korn-Graubard design-effect-adjusted Garwood / Clopper-Pearson).

The true rate of theme k is E[y_k] / E[tokens] (paragraph lengths are independent of the themes),
its true share rate_k / sum of rates: the quantities the ratio estimators estimate.

Run: ``python benchmarks/coverage.py [--reps 1000] [--seed 20261202]``; writes
``benchmarks/results/coverage.md`` and prints it. About 3 minutes on one core.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.streams import group_rng
from analysis.themes.rates import _bootstrap, _ratio_variance, rate_intervals, share_intervals

SIZES = (10, 15, 21, 25, 33, 50, 100, 200)
SCENARIOS = ("independent", "dominant")
METHODS = ("percentile_bootstrap", "wald_t", "deff_exact")
BASE_RATES = np.array([20.0, 12.0, 8.0, 1.5]) / 1000.0     # matches per token; the last one is rare
DOMINANT_P = np.array([0.3, 0.3, 0.3, 0.1])
#: log-mean and log-sd of the analysed paragraphs' word tokens in the seeds (`seed_shape()` measures them;
#: 2026-12-02: 3.98, 0.83).
TOKENS_LOG = (3.98, 0.83)


def true_values(scenario: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the true rates (per 1,000 tokens) and shares of the four simulated themes."""
    if scenario == "independent":
        rate = BASE_RATES
    else:
        boost = np.where(np.eye(4, dtype=bool), 4.0, 0.25)          # boost[d, k]: dominant d, theme k
        rate = DOMINANT_P @ (boost * BASE_RATES)
    return 1000 * rate, rate / rate.sum()


def simulate(rng: np.random.Generator, n: int, scenario: str,
             tokens_log: tuple[float, float] = TOKENS_LOG) -> tuple[np.ndarray, np.ndarray]:
    """Return (counts: n x 4 matches per paragraph, tokens: n) of one simulated document."""
    tokens = np.maximum(5, np.round(rng.lognormal(*tokens_log, size=n))).astype(np.int64)
    if scenario == "independent":
        frailty = rng.gamma(0.35, 1 / 0.35, size=(n, 4))
        mean = tokens[:, None] * BASE_RATES[None, :] * frailty
    elif scenario == "dominant":
        dominant = rng.choice(4, size=n, p=DOMINANT_P)
        boost = np.where(np.arange(4)[None, :] == dominant[:, None], 4.0, 0.25)
        mean = tokens[:, None] * BASE_RATES[None, :] * boost * rng.gamma(1.0, 1.0, size=(n, 1))
    else:
        raise ValueError(f"scenario must be one of {SCENARIOS}; got {scenario!r}")
    return rng.poisson(mean), tokens


def intervals(method: str, counts: np.ndarray, tokens: np.ndarray, rng: np.random.Generator,
              ci_level: float = 0.95, n_boot: int = 1000) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return {"rate": (low, high) per 1,000 tokens, "share": (low, high)} of one document."""
    if method == "deff_exact":
        _, rl, rh = rate_intervals(counts, tokens, ci_level=ci_level)
        _, sl, sh = share_intervals(counts, ci_level=ci_level)
        return {"rate": (rl, rh), "share": (sl, sh)}
    if method == "percentile_bootstrap":
        bc, bt = _bootstrap([(counts, tokens)], rng, n_boot)
        a = (1 - ci_level) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = 1000 * bc / bt[:, None]
            share = bc / bc.sum(axis=1, keepdims=True)
        out = {}
        for name, boot in (("rate", rate), ("share", share)):
            lo, hi = np.nanquantile(boot, [a, 1 - a], axis=0) if np.isfinite(boot).any() else (np.zeros(4),) * 2
            out[name] = (lo, hi)
        return out
    if method == "wald_t":
        from scipy import stats

        t = stats.t.ppf(0.5 + ci_level / 2, max(1, len(tokens) - 1))
        strata = np.zeros(len(tokens))
        out = {}
        for name, denom, scale in (("rate", tokens, 1000.0), ("share", counts.sum(axis=1), 1.0)):
            total = denom.sum()
            est = counts.sum(axis=0) / total if total else np.zeros(4)
            var, _ = _ratio_variance(counts.astype(float), denom.astype(float), strata)
            half = t * np.sqrt(var)
            out[name] = (scale * (est - half), scale * (est + half))
        return out
    raise ValueError(f"method must be one of {METHODS}; got {method!r}")


def coverage(sizes=SIZES, scenarios=SCENARIOS, methods=METHODS, reps: int = 1000, seed: int = 20261202,
             ci_level: float = 0.95, n_boot: int = 1000) -> pd.DataFrame:
    """Return one row per scenario, size, method, measure and theme: coverage, misses low/high, width.

    Every (scenario, size) draws its documents from its own stream (`analysis.streams.group_rng`), so
    a cell does not change when other cells are added. All methods see the same documents.
    """
    rows = []
    for scenario in scenarios:
        true_rate, true_share = true_values(scenario)
        truth = {"rate": true_rate, "share": true_share}
        for n in sizes:
            rng = group_rng(seed, f"coverage:{scenario}:{n}")
            boot_rng = group_rng(seed, f"coverage-bootstrap:{scenario}:{n}")
            hits = {(m, q): [] for m in methods for q in truth}
            for _ in range(reps):
                counts, tokens = simulate(rng, n, scenario)
                for m in methods:
                    for q, (lo, hi) in intervals(m, counts, tokens, boot_rng, ci_level, n_boot).items():
                        lo, hi = np.nan_to_num(lo, nan=np.inf), np.nan_to_num(hi, nan=-np.inf)
                        hits[(m, q)].append(np.stack([truth[q] < lo, truth[q] > hi, hi - lo]))
            for (m, q), h in hits.items():
                h = np.array(h)                                            # reps x 3 x themes
                for k, theme in enumerate(("common20", "mid12", "mid8", "rare1.5")):
                    low, high = h[:, 0, k].mean(), h[:, 1, k].mean()
                    width = h[:, 2, k][np.isfinite(h[:, 2, k])]
                    rows.append({"scenario": scenario, "n_paragraphs": n, "method": m, "measure": q,
                                 "theme": theme, "coverage": 1 - low - high, "miss_low": low,
                                 "miss_high": high, "median_width": float(np.median(width)) if len(width) else np.nan,
                                 "reps": reps})
    return pd.DataFrame(rows)


def seed_shape() -> dict:
    """Return the seeds' paragraph-length log-mean/log-sd and quasi-Poisson dispersion quantiles."""
    import analysis
    from analysis import themes

    corpus = analysis.load_corpus()
    table = themes.score_paragraphs(corpus, themes.load_lexicon())
    logs = np.log(table["n_tokens"].to_numpy(dtype=float))
    phis = []
    for _, g in table.groupby("doc_id"):
        phis += list(_dispersions(g[[f"count_{t}" for t in themes.THEMES]].to_numpy(float),
                                  g["n_tokens"].to_numpy(float)))
    return {"tokens_log": (round(float(logs.mean()), 2), round(float(logs.std(ddof=1)), 2)),
            "dispersion_quartiles": np.round(np.quantile(phis, [0.25, 0.5, 0.75]), 2).tolist()}


def _dispersions(counts: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Quasi-Poisson Pearson dispersion of each theme with a log-token offset (themes with matches)."""
    rate = counts.sum(axis=0) / tokens.sum()
    mu = tokens[:, None] * rate[None, :]
    keep = rate > 0
    return (((counts - mu) ** 2)[:, keep] / mu[:, keep]).sum(axis=0) / (len(tokens) - 1)


def simulated_dispersion(scenario: str, n: int = 50, reps: int = 200, seed: int = 1) -> list[float]:
    """Return the quartiles of the simulated documents' quasi-Poisson dispersions."""
    rng = group_rng(seed, f"dispersion:{scenario}")
    phis = np.concatenate([_dispersions(*simulate(rng, n, scenario)) for _ in range(reps)])
    return np.round(np.quantile(phis, [0.25, 0.5, 0.75]), 2).tolist()


def markdown(table: pd.DataFrame) -> str:
    """Return the README table: coverage (mean over themes / worst theme) per method and size."""
    agg = table.groupby(["measure", "scenario", "n_paragraphs", "method"])["coverage"].agg(["mean", "min"])
    lines = []
    for measure in ("rate", "share"):
        lines += [f"\n**{measure}** (coverage of nominal 95% intervals: mean over the four themes / rare or worst theme)\n",
                  "| scenario | paragraphs | " + " | ".join(METHODS) + " |",
                  "|---|---|" + "---|" * len(METHODS)]
        for scenario in SCENARIOS:
            for n in sorted(table["n_paragraphs"].unique()):
                cells = [f"{agg.loc[(measure, scenario, n, m), 'mean']:.3f} / {agg.loc[(measure, scenario, n, m), 'min']:.3f}"
                         for m in METHODS if (measure, scenario, n, m) in agg.index]
                lines.append(f"| {scenario} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "coverage.md")
    args = parser.parse_args(argv)
    shape = seed_shape()
    header = (f"# Coverage of the theme intervals\n\n`python benchmarks/coverage.py --reps {args.reps} --seed {args.seed}`\n\n"
              f"Seeds: paragraph tokens log-mean/log-sd {shape['tokens_log']} (simulation uses {TOKENS_LOG}); "
              f"quasi-Poisson dispersion quartiles {shape['dispersion_quartiles']}; simulated (50 paragraphs): "
              + ", ".join(f"{s} {simulated_dispersion(s)}" for s in SCENARIOS) + f". {args.reps} documents per cell.\n")
    table = coverage(reps=args.reps, seed=args.seed)
    text = header + markdown(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
