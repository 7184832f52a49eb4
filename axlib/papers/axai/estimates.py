"""The estimates that judge AXAI's distribution claims (section 3.2, appendix C; pages 02 and
07): each of our numbers with its 95 % interval and n, the input (image, clip, sentence) being
the unit.

* shares of inputs (|skewness| > 0.5, heavy-tailed): Clopper-Pearson;
* the share of input pairs whose test rejects: a bootstrap over inputs, each pair weighted by
  how often both its inputs are drawn (pairs sharing an input are not independent);
* Table 2's scale-free shape (q85 / -q15, q75 / -q25, mean / IQR, median / IQR) and Table 3's
  beta shape (|p - q| / mean, p and q over the paper's): a bootstrap over inputs of the
  per-input values;
* the ANOVA's p-value, which is its own decision (no interval: ``low == high``).

The rules that read them are declared in :mod:`axlib.papers.axai.claims`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from axlib import stats
from axlib.companion.rules import Estimate
from axlib.intervals import bootstrap_tail

__all__ = ["share", "pairs_rejected", "anova_p", "quantile_shape", "beta_shape", "per_input_quantiles",
           "per_input_beta"]


def share(flags, n_of: str = "images") -> Estimate:
    """The share of inputs whose flag is true, with its Clopper-Pearson interval.

    Parameters
    ----------
    flags : array_like of bool, shape (n,)
        One flag per input.
    n_of : str, default "images"
        What the inputs are.
    """
    flags = np.asarray(flags, dtype=bool).ravel()
    return Estimate.proportion(int(flags.sum()), flags.size, n_of)


def pairs_rejected(pairs: pd.DataFrame, column: str, n_inputs: int, *, alpha: float = 0.05, n_boot: int = 2000,
                   seed: int = 0, n_of: str = "images") -> Estimate:
    """The share of tested input pairs with p < alpha, with a bootstrap interval over inputs (the
    expanded percentile interval of :func:`axlib.intervals.bootstrap_tail`).

    Parameters
    ----------
    pairs : pandas.DataFrame
        One row per tested pair, with input indices ``i``, ``j`` and the p-value ``column``.
    column : str
        The p-value column ("t_p" or "u_p").
    n_inputs : int
        The number of inputs the pairs were drawn from (indices 0 .. n_inputs - 1).
    alpha : float, default 0.05
        The test level.
    n_boot : int, default 2000
        Bootstrap resamples.
    seed : int, default 0
        Seed of the resampling.
    n_of : str, default "images"
        What the inputs are.

    Returns
    -------
    axlib.companion.rules.Estimate
        n is the number of inputs (the unit), not of pairs.
    """
    i, j = pairs["i"].to_numpy(int), pairs["j"].to_numpy(int)
    if len(pairs) == 0 or i.max(initial=0) >= n_inputs or j.max(initial=0) >= n_inputs:
        raise ValueError(f"pairs must be non-empty with indices below n_inputs={n_inputs}")
    rejected = (pairs[column].to_numpy(float) < alpha).astype(float)
    value = float(rejected.mean())
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n_inputs, np.full(n_inputs, 1 / n_inputs), size=n_boot)   # (n_boot, n_inputs)
    weights = draws[:, i] * draws[:, j]
    total = weights.sum(axis=1)
    boot = (weights @ rejected)[total > 0] / total[total > 0]
    tail = bootstrap_tail(n_inputs)                       # the expanded percentile interval, as bootstrap_ci
    low, high = np.quantile(boot, [tail, 1 - tail]) if boot.size else (value, value)
    return Estimate(value, min(low, value), max(high, value), n_inputs, n_of,
                    f"bootstrap over {n_of}, pairs weighted by their inputs' draws")


def anova_p(p: float, n_inputs: int, n_of: str = "images") -> Estimate:
    """The one-way ANOVA's p-value as an estimate: the test's own decision, no interval."""
    return Estimate(float(p), float(p), float(p), n_inputs, n_of, "none: the test's p-value is its own decision")


def per_input_quantiles(samples) -> pd.DataFrame:
    """Per input: q15, q25, q75, q85 (linear interpolation), mean and median; one row per input.

    samples: (n, m) array or a list of n 1-D arrays (inputs of different lengths)."""
    rows = [np.asarray(s, dtype=float).ravel() for s in samples]
    return pd.DataFrame([{**dict(zip(("q15", "q25", "q75", "q85"), np.percentile(r, [15, 25, 75, 85]))),
                          "mean": r.mean(), "median": np.median(r)} for r in rows])


def quantile_shape(per_input: pd.DataFrame, n_of: str = "images", seed: int = 0) -> dict[str, Estimate]:
    """Table 2's scale-free shape from the means over inputs of :func:`per_input_quantiles`:
    {"q85 / -q15", "q75 / -q25" (1: symmetric about 0), "mean / IQR", "median / IQR" (0:
    centred)}, each with a bootstrap interval over inputs."""
    q = {c: per_input[c].to_numpy(float) for c in per_input.columns}

    def ratio(top: str, bottom: str):
        return Estimate.bootstrap(lambda a, b: np.mean(a) / -np.mean(b), q[top], q[bottom], n_of=n_of, seed=seed)

    def centre(stat: str):
        return Estimate.bootstrap(lambda c, lo, hi: np.mean(c) / (np.mean(hi) - np.mean(lo)), q[stat], q["q25"], q["q75"],
                                  n_of=n_of, seed=seed)

    return {"q85 / -q15": ratio("q85", "q15"), "q75 / -q25": ratio("q75", "q25"),
            "mean / IQR": centre("mean"), "median / IQR": centre("median")}


def per_input_beta(samples, rescale="minmax") -> np.ndarray:
    """Per input, the method-of-moments beta shape (p, q) of :func:`axlib.stats.beta_fit_moments`;
    shape (n, 2)."""
    return np.array([stats.beta_fit_moments(np.asarray(s, dtype=float).ravel(), rescale=rescale) for s in samples])


def beta_shape(fits: np.ndarray, paper_p: float, paper_q: float, n_of: str = "images",
               seed: int = 0) -> dict[str, Estimate]:
    """Table 3's claim in three numbers, bootstrap over inputs of the per-input fits (n, 2):
    {"|p - q| / mean": 0 for a symmetric law, "p / paper": mean p over the paper's, "q / paper"}."""
    p, q = np.asarray(fits, dtype=float)[:, 0], np.asarray(fits, dtype=float)[:, 1]
    return {"|p - q| / mean": Estimate.bootstrap(lambda a, b: abs(np.mean(a) - np.mean(b)) / np.mean((a + b) / 2), p, q,
                                                 n_of=n_of, seed=seed),
            "p / paper": Estimate.bootstrap(lambda a: np.mean(a) / paper_p, p, n_of=n_of, seed=seed),
            "q / paper": Estimate.bootstrap(lambda a: np.mean(a) / paper_q, q, n_of=n_of, seed=seed)}

