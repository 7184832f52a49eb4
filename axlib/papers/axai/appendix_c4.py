"""Appendix C.4 of AXAI: attack-magnitude statistics of the speech and the text model.

The paper repeats its section 3.2 analysis for LeNet on Speech Commands and Kim's CNN on
Sentence Polarity (appendix C.4): skewness within [-0.5, 0.5] (Fig. 15), pairwise t-test and
Mann-Whitney p-values (Table 6), 95 % intervals of quantiles, mean and median (Table 7), and
beta shape parameters (Table 8). This module holds the paper's numbers and puts ours beside
them; every statistic itself comes from :mod:`axlib.stats`, every verdict rule from
:mod:`axlib.papers.axai.distributions` (stated there once), so nothing here recomputes them.

One *sample* is one input's X' - X: for a spectrogram the 129 x 126 = 16,254 changed bins, for
a sentence its n_tokens x D changed embedding entries (padding excluded), so text samples have
different lengths.

Units: the paper's spectrogram and embedding scales are not stated, so absolute quantiles are
not comparable; the scale-free shape numbers of :func:`axlib.papers.axai.distributions.quantile_shape`
(symmetry q85 / -q15, tail ratio (q85 - q15) / (q75 - q25)) are, and are reported beside them.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from axlib import stats
from axlib.papers.axai import distributions as dist

__all__ = ["MODELS", "LABELS", "PAPER_PVALUES", "PAPER_QUANTILES", "PAPER_BETA", "summarise", "table6",
           "table7", "table8", "shape_table", "verdict_beta", "speech_magnitudes"]

MODELS = ("speech", "text")
LABELS = {"speech": "LeNet, Speech Commands, PGD", "text": "CNN, Sentence Polarity, PGD"}
# AXAI appendix C.4, checked against shared/seeds/000_*.txt (Tables 6-8).
PAPER_PVALUES = {"speech": {"t": 0.30, "u": 0.25}, "text": {"t": 0.47, "u": 0.42}}       # Table 6
PAPER_QUANTILES = {                                                                       # Table 7
    "speech": {"q15": (-4.110e-3, -4.049e-3), "q25": (-1.150e-3, -1.109e-3),
               "mean": (1.749e-5, 2.245e-5), "median": (-4.181e-09, 1.356e-09),
               "q75": (1.145e-3, 1.204e-3), "q85": (4.153e-3, 4.220e-3)},
    "text": {"q15": (-2.753e-1, -2.673e-1), "q25": (-1.472e-1, -1.414e-1),
             "mean": (-4.165e-3, -2.492e-3), "median": (-2.142e-3, -6.219e-4),
             "q75": (1.365e-1, 1.421e-1), "q85": (2.599e-1, 2.677e-1)},
}
PAPER_BETA = {"speech": {"p": (52.82, 54.51), "q": (51.44, 53.09)},                       # Table 8
              "text": {"p": (13.22, 13.68), "q": (13.46, 13.93)}}
STAT_ORDER = dist.STAT_ORDER


def _check_model(model: str) -> str:
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return model


def summarise(deltas, *, max_pairs: int | None = None, generator=None) -> dict:
    """All C.4 statistics of one model's attack magnitudes.

    deltas: (n, m) array (equal lengths: spectrograms) or a list of n 1-D arrays (sentences);
    n >= 2. max_pairs: pairs tested (None: all). generator: seed of the pair sample.
    Returns {"skewness" (n,), "share_outside" (share of |g1| > 0.5), "pairs" (pairwise
    DataFrame), "pvalues" (:func:`axlib.papers.axai.distributions.pvalue_summary`), "cis" (quantile_cis),
    "beta" (beta_fit_cis, [min, max] rescaling), "beta_fixed" (beta_fit_cis on the shared
    support of :func:`axlib.papers.axai.distributions.fixed_support`, equal-length samples only, else None)}.
    """
    if isinstance(deltas, np.ndarray) and deltas.ndim == 2:
        samples = deltas.astype(np.float64, copy=False)
        pairs = dist.pairwise_pvalues(samples, max_pairs=max_pairs, generator=generator)
        support = dist.fixed_support(samples)
        beta_fixed = stats.beta_fit_cis(samples, rescale=support)
    else:
        samples = [np.asarray(d, dtype=np.float64).ravel() for d in deltas]
        pairs = stats.pairwise_tests(samples, max_pairs=max_pairs, generator=generator)
        beta_fixed = None
    skew = stats.skewness(samples if isinstance(samples, np.ndarray) else list(samples))
    return {"skewness": np.asarray(skew), "share_outside": stats.share_outside(skew),
            "pairs": pairs, "pvalues": dist.pvalue_summary(pairs), "cis": stats.quantile_cis(samples),
            "beta": stats.beta_fit_cis(samples), "beta_fixed": beta_fixed}


def table6(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Table 6 beside ours: rows (model, test); columns paper, pairs, mean, median, rejected."""
    rows = []
    for model, s in summaries.items():
        _check_model(model)
        for test, name in (("t", "t-test"), ("u", "Mann-Whitney U")):
            r = s["pvalues"].loc[test]
            rows.append({"model": LABELS[model], "test": name, "paper": PAPER_PVALUES[model][test],
                         "pairs": int(r["pairs"]), "mean": r["mean"], "median": r["median"],
                         "rejected": r["rejected"]})
    return pd.DataFrame(rows).set_index(["model", "test"])


def table7(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Table 7 beside ours: rows = statistic, columns (model, ours/paper, low/high)."""
    for model in summaries:
        _check_model(model)
    return dist.cis_beside_paper({LABELS[m]: (s["cis"], PAPER_QUANTILES[m]) for m, s in summaries.items()})


def shape_table(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Scale-free shape of Table 7, ours (estimates) beside the paper's (interval midpoints).

    Rows (model, source); columns sym85, sym75, tail, centre of
    :func:`axlib.papers.axai.distributions.quantile_shape`.
    """
    rows = []
    for model, s in summaries.items():
        _check_model(model)
        ours = dist.quantile_shape(s["cis"]["estimate"].to_dict())
        paper = dist.quantile_shape({k: float(np.mean(v)) for k, v in PAPER_QUANTILES[model].items()})
        rows.append({"model": LABELS[model], "source": "ours", **ours})
        rows.append({"model": LABELS[model], "source": "paper", **paper})
    return pd.DataFrame(rows).set_index(["model", "source"])


def table8(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Table 8 beside ours: rows (model, rescaling, parameter); ours estimate/low/high, paper low/high."""
    rows = []
    for model, s in summaries.items():
        _check_model(model)
        for rescaling, fit in (("[min, max] per input", s["beta"]), ("shared support", s["beta_fixed"])):
            if fit is None:
                continue
            for par in ("p", "q"):
                lo, hi = PAPER_BETA[model][par]
                rows.append({"model": LABELS[model], "rescaling": rescaling, "parameter": par,
                             "estimate": fit.loc[par, "estimate"], "low": fit.loc[par, "low"],
                             "high": fit.loc[par, "high"], "paper low": lo, "paper high": hi})
    return pd.DataFrame(rows).set_index(["model", "rescaling", "parameter"])


def verdict_beta(fit: pd.DataFrame, model: str, *, equal_tol: float = 0.05, value_tol: float = 0.25) -> str:
    """Table 8 claim, by :func:`axlib.papers.axai.distributions.beta_rule` with the means of Table 8's p and q."""
    _check_model(model)
    return dist.beta_rule(fit, float(np.mean(PAPER_BETA[model]["p"])), float(np.mean(PAPER_BETA[model]["q"])),
                     equal_tol=equal_tol, value_tol=value_tol)


def speech_magnitudes(model, specs, *, batch_size: int = 64, steps: int = 20, target=None, clip: bool = True,
                      progress: bool = False) -> np.ndarray:
    """X' - X of spectrograms (N, 1, F, T) in [0, 1] under AXAI's default L2 PGD
    (eps = 2/255 sqrt(F T), step 2.5 eps / steps, no random start) against ``target``
    (None: the model's prediction).

    clip: True clips to [0, 1] after every step (:func:`axlib.papers.axai.distributions.attack_magnitudes`,
    the book's attack); False attacks without clipping (``bounds=None``, as the AXAI reference
    code does), to see what the clipping changes. Returns (N, F*T) float64.
    """
    from axlib import attacks
    from axlib.explain.axai import default_attack_params

    params = default_attack_params(specs.shape, steps=steps)
    if clip:
        d = dist.attack_magnitudes(model, specs, batch_size=batch_size, steps=steps, target=target,
                                   progress=progress, desc="PGD speech", **params)
        return d.numpy().astype(np.float64)
    x = attacks.check_images(specs)
    y = attacks.predicted_labels(model, x, batch_size=batch_size) if target is None else target
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        x_adv = attacks.pgd(model, xb, y[i:i + batch_size], steps=steps, bounds=None, **params)
        out.append((x_adv - xb).flatten(1).cpu().double().numpy())
    return np.concatenate(out)
