"""Attack-magnitude distributions (AXAI section 3.2, appendix C.1-C.3): data, tables, figures.

The *attack magnitudes* of an image are X_diff = X' - X, the change an untargeted L2 PGD-20
attack makes to every pixel-channel value, flattened: one 1-D sample of C*H*W values per
image (3,072 for CIFAR-10, 150,528 for a 224x224 ImageNet image). The paper calls its
histogram the "attack magnitudes vs. frequency distribution" (Fig. 1b) and claims that, for a
fixed model, data set and attack, these distributions are symmetric (Fig. 2), near-normal with
heavy tails (Fig. 3), have equal means and mean ranks (Table 1, ANOVA), consistent quantiles
(Table 2) and follow a beta distribution with known parameters (Table 3).

What lives here:

* :func:`attack_magnitudes`: X_diff for a data set, batched, with a progress bar;
* :func:`pairwise_pvalues`: :func:`axlib.stats.pairwise_tests` over all or a sample of pairs
  with bounded memory (ImageNet samples are 150k values long), and :func:`pvalue_summary`;
* :func:`shape_summary` (per-image skewness, excess kurtosis, Q-Q straightness) and
  :func:`fixed_support` (the data set's largest |X_diff|, a shared beta support);
* the paper's numbers (``PAPER_*``) and the tables that put them beside ours
  (:func:`table1`, :func:`table2`, :func:`table3`);
* verdict rules, stated once, so the notebook's verdicts are not typed by hand
  (:func:`verdict_skew_share`, :func:`verdict_pairwise`, :func:`verdict_anova`,
  :func:`verdict_quantiles`, :func:`verdict_beta`, :func:`verdict_heavy_tails`);
* figures (Figures built outside pyplot, as in :mod:`axlib.plots`): :func:`plot_magnitudes`,
  :func:`plot_skewness`, :func:`plot_qq`, :func:`plot_pvalues`, :func:`plot_beta_fit`.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from scipy import stats as _st

from axlib import attacks, stats

__all__ = [
    "attack_magnitudes", "pairwise_pvalues", "pvalue_summary", "shape_summary", "fixed_support",
    "PAPER_SKEW_SHARE", "PAPER_PVALUES", "PAPER_ANOVA", "PAPER_QUANTILES", "PAPER_BETA",
    "table1", "table2", "table3", "quantile_shape",
    "verdict_skew_share", "verdict_pairwise", "verdict_anova", "verdict_quantiles", "verdict_beta", "beta_rule", "cis_beside_paper",
    "verdict_heavy_tails",
    "plot_magnitudes", "plot_skewness", "plot_qq", "plot_pvalues", "plot_beta_fit",
]

DATASETS = ("cifar10", "imagenet")
LABELS = {"cifar10": "CIFAR-10", "imagenet": "ImageNet"}

# --------------------------------------------------------------------------- the paper's numbers
# AXAI (Rahnama & Tseng 2021), section 3.2 and appendix C; CIFAR-10 = AlexNet, ImageNet =
# ResNet34 in the paper. Checked against shared/seeds/001_*.txt (main text) and 000_*.txt.
PAPER_SKEW_SHARE = {"cifar10": 0.009, "imagenet": 0.019}          # Fig. 2 text: share outside [-0.5, 0.5]
PAPER_PVALUES = {                                                # Table 1: one p-value per test
    "cifar10": {"t": 0.70, "u": 0.58},
    "imagenet": {"t": 0.64, "u": 0.55},
}
PAPER_ANOVA = {"cifar10": 0.9, "imagenet": 0.94}                # appendix C.1 text
PAPER_QUANTILES = {                                             # Table 2: 95 % CIs (low, high)
    "cifar10": {
        "q15": (-1.807e-02, -1.805e-02), "q25": (-1.145e-02, -1.071e-02),
        "mean": (1.775e-05, 2.295e-05), "median": (2.115e-06, 1.127e-05),
        "q75": (1.071e-02, 1.073e-02), "q85": (1.809e-02, 1.812e-02),
    },
    "imagenet": {  # q25 printed with low > high in the paper: kept as printed
        "q15": (-1.785e-03, -1.777e-03), "q25": (-1.015e-03, -1.101e-03),
        "mean": (-1.090e-07, -6.000e-08), "median": (-2.155e-07, -9.381e-08),
        "q75": (1.011e-03, 1.016e-03), "q85": (1.777e-03, 1.785e-03),
    },
}
PAPER_BETA = {                                                  # Table 3: 95 % CIs (low, high)
    "cifar10": {"p": (11.24, 11.32), "q": (11.36, 11.45)},
    "imagenet": {"p": (130.6, 132.9), "q": (130.3, 132.6)},
}
STAT_ORDER = ("q15", "q25", "mean", "median", "q75", "q85")
_MIDDLE_Z = 1.2816                  # N(0, 1) 90th percentile: the central 80 % of a Q-Q plot


def _check_dataset(dataset: str) -> str:
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    return dataset


def _mid(pair) -> float:
    return float(np.mean(pair))


# --------------------------------------------------------------------------- data
def attack_magnitudes(model, x: torch.Tensor, *, batch_size: int, eps: float, step: float, steps: int,
                      norm: str = "l2", target=None, progress: bool = True, desc: str | None = None) -> torch.Tensor:
    """Attack magnitudes X_diff = PGD(x) - x of every image, flattened.

    model: classifier taking [0, 1] pixels; x: (N, C, H, W) floats in [0, 1].
    batch_size: images per PGD call (>= 1); eps, step, steps, norm: as :func:`axlib.attacks.pgd`
    (no random start, clipping to [0, 1] after every step).
    target: labels to move away from, (N,) integers; None attacks the model's own prediction
    (as the AXAI reference code does).
    progress: show a tqdm bar (text, on stderr) counting images; desc: its label.
    Returns a float32 tensor (N, C*H*W) on the CPU, row i = X_diff of image i in C, H, W order,
    with ||row||_2 <= eps (L2) or max |row| <= eps (linf), up to float rounding.
    Deterministic for a fixed model and x (PGD without random start).
    Raises ValueError for a bad batch_size, x or target (and what :func:`pgd` raises).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    x = attacks.check_images(x)
    n = x.shape[0]
    if target is None:
        target = attacks.predicted_labels(model, x, batch_size=batch_size)
    elif not isinstance(target, torch.Tensor) or target.shape != (n,) or target.is_floating_point():
        shape = tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__
        raise ValueError(f"target must be None or an integer tensor of shape ({n},), got {shape}")
    from tqdm.std import tqdm

    out = torch.empty((n, x[0].numel()), dtype=torch.float32)
    with tqdm(total=n, desc=desc or "PGD", unit="img", disable=not progress, file=sys.stderr,
              mininterval=5.0, ncols=80) as bar:
        for i in range(0, n, batch_size):
            xb = x[i:i + batch_size]
            x_adv = attacks.pgd(model, xb, target[i:i + batch_size], eps=eps, step=step, steps=steps, norm=norm)
            out[i:i + xb.shape[0]] = (x_adv - xb).flatten(1).to(device="cpu", dtype=torch.float32)
            bar.update(xb.shape[0])
    return out


def _as_array(deltas) -> np.ndarray:
    if isinstance(deltas, torch.Tensor):
        deltas = deltas.detach().cpu().numpy()
    arr = np.asarray(deltas)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 2:
        raise ValueError(f"deltas must be a 2-D array (n_images, n_values) with n_values >= 2, got shape {arr.shape}")
    return arr


def _pairs(n: int, max_pairs: int | None, generator) -> np.ndarray:
    """All pairs (i < j) of n items, or max_pairs of them drawn uniformly without replacement."""
    total = n * (n - 1) // 2
    if max_pairs is None or max_pairs >= total:
        return np.array(list(combinations(range(n), 2)), dtype=int).reshape(-1, 2)
    rng = generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)
    flat = np.sort(rng.choice(total, size=max_pairs, replace=False))
    starts = np.array([i * n - i * (i + 1) // 2 for i in range(n)])
    i = np.searchsorted(starts, flat, side="right") - 1
    return np.stack([i, flat - starts[i] + i + 1], axis=1)


def pairwise_pvalues(deltas, *, max_pairs: int | None = None, generator=None,
                     max_bytes: int = 512 * 2**20) -> pd.DataFrame:
    """Student t-test and Mann-Whitney U test for pairs of images, with bounded memory.

    deltas: (n_images, n_values) array or tensor (rows: one image's X_diff); n_images >= 2.
    max_pairs: None tests all n(n-1)/2 pairs; an int draws that many distinct pairs uniformly
    without replacement (``generator``: None, an int seed or a numpy Generator).
    max_bytes: memory allowed for the stacked pairs. :func:`axlib.stats.pairwise_tests` stacks
    up to 2,048 pairs at a time (2 x 2,048 x n_values float64, plus Mann-Whitney's ranks,
    several times that); below the limit it is called directly, above it (ImageNet: 150,528
    values, about 5 GB a chunk) each pair is tested on its own through the same function.
    Returns :func:`axlib.stats.pairwise_tests`' DataFrame: i, j, t_stat, t_p, u_stat, u_p.
    """
    arr = _as_array(deltas).astype(np.float64, copy=False)
    n, m = arr.shape
    if n < 2:
        raise ValueError(f"deltas must hold at least 2 images, got {n}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be an integer >= 1, got {max_bytes!r}")
    total = n * (n - 1) // 2
    if max_pairs is not None and (isinstance(max_pairs, bool) or not isinstance(max_pairs, int) or max_pairs < 1):
        raise ValueError(f"max_pairs must be None or an integer >= 1, got {max_pairs!r}")
    chunk = min(2048, total if max_pairs is None else min(max_pairs, total))
    if chunk * 2 * m * 8 * 4 <= max_bytes:                     # x4: Mann-Whitney's concatenation and ranks
        return stats.pairwise_tests(arr, max_pairs=max_pairs, generator=generator)
    rows = []
    for i, j in _pairs(n, max_pairs, generator):
        row = stats.pairwise_tests(arr[[i, j]]).iloc[0]
        rows.append((i, j, row.t_stat, row.t_p, row.u_stat, row.u_p))
    return pd.DataFrame(rows, columns=["i", "j", "t_stat", "t_p", "u_stat", "u_p"]).astype({"i": int, "j": int})


def pvalue_summary(pairs: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Summary of pairwise p-values: one row per test (t, u).

    pairs: a :func:`pairwise_pvalues` DataFrame. Columns: pairs (how many), mean, median,
    rejected (share of pairs with p < alpha; alpha under the null hypothesis), min.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    out = {}
    for test, col in (("t", "t_p"), ("u", "u_p")):
        p = pairs[col].to_numpy(dtype=float)
        out[test] = {"pairs": p.size, "mean": p.mean(), "median": np.median(p),
                     "rejected": float(np.mean(p < alpha)), "min": p.min()}
    df = pd.DataFrame.from_dict(out, orient="index")
    df.index.name = "test"
    return df


def shape_summary(deltas) -> pd.DataFrame:
    """Per-image shape of the attack magnitudes: one row per image.

    Columns: mean, std (ddof 0), skewness (Fisher-Pearson g1, :func:`axlib.stats.skewness`),
    excess_kurtosis (Fisher, biased, 0 for a normal; > 0: heavier tails than a normal),
    qq_r (correlation of the whole normal Q-Q plot, 1 for a perfectly straight line; heavy
    tails lower it), qq_r_middle (the same over the central 80 %: theoretical quantiles within
    +-1.2816; the "straight middle" of the paper's Fig. 3), max_abs, zeros (share of values
    exactly 0: features the attack did not move, e.g. held at 0 or 1 by the clipping).
    """
    arr = _as_array(deltas).astype(np.float64, copy=False)
    whole, middle = [], []
    for row in arr:
        (osm, osr), (_, _, r) = _st.probplot(row, dist="norm")
        keep = np.abs(osm) <= _MIDDLE_Z
        whole.append(r)
        middle.append(np.corrcoef(osm[keep], osr[keep])[0, 1] if osr[keep].std() > 0 else 1.0)
    return pd.DataFrame({
        "mean": arr.mean(1), "std": arr.std(1), "skewness": stats.skewness(arr),
        "excess_kurtosis": _st.kurtosis(arr, axis=1, fisher=True, bias=True),
        "qq_r": np.array(whole), "qq_r_middle": np.array(middle), "max_abs": np.abs(arr).max(1),
        "zeros": (arr == 0).mean(1),
    })


def fixed_support(deltas) -> tuple[float, float]:
    """A support (-c, c) shared by all images: c = the largest |X_diff| of the data set.

    This is the attack's realised L-infinity radius on the data set: the smallest symmetric
    interval that holds every image's magnitudes, the natural "known interval [a, b]" of the
    paper's appendix C.3 when one beta law is meant to describe every image.
    """
    c = float(np.abs(_as_array(deltas)).max())
    if c == 0:
        raise ValueError("deltas are all zero: no support to rescale to")
    return -c, c


# --------------------------------------------------------------------------- tables
def table1(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Table 1 beside ours: one row per (data set, test).

    summaries: {dataset: :func:`pvalue_summary` DataFrame}. Columns: paper (the paper's single
    p-value), pairs, mean, median, rejected (share of pairs with p < 0.05).
    """
    rows = []
    for dataset, summary in summaries.items():
        _check_dataset(dataset)
        for test, name in (("t", "t-test"), ("u", "Mann-Whitney U")):
            s = summary.loc[test]
            rows.append({"data set": LABELS[dataset], "test": name, "paper": PAPER_PVALUES[dataset][test],
                         "pairs": int(s["pairs"]), "mean": s["mean"], "median": s["median"],
                         "rejected": s["rejected"]})
    return pd.DataFrame(rows).set_index(["data set", "test"])


def table2(cis: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Table 2 beside ours: one row per statistic, columns (data set, ours/paper, low/high).

    cis: {dataset: :func:`axlib.stats.quantile_cis` DataFrame (default qs 15, 25, 75, 85)}.
    Our values are in [0, 1]-pixel units, the paper's in its (normalised-input) units.
    """
    entries = {}
    for dataset, ci in cis.items():
        _check_dataset(dataset)
        missing = [s for s in STAT_ORDER if s not in ci.index]
        if missing:
            raise ValueError(f"cis[{dataset!r}] lacks the statistics {missing}")
        entries[LABELS[dataset]] = (ci, PAPER_QUANTILES[dataset])
    return cis_beside_paper(entries)


def cis_beside_paper(entries: Mapping[str, tuple[pd.DataFrame, Mapping[str, tuple[float, float]]]]) -> pd.DataFrame:
    """Our confidence intervals beside the paper's, one row per statistic of STAT_ORDER.

    entries: {column label: (our CI DataFrame with "low" / "high" columns indexed by statistic,
    the paper's {statistic: (low, high)})}. Returns columns (label, ours/paper, low/high).
    """
    parts = {}
    for label, (ci, paper) in entries.items():
        parts[(label, "ours", "low")] = ci.loc[list(STAT_ORDER), "low"].to_numpy()
        parts[(label, "ours", "high")] = ci.loc[list(STAT_ORDER), "high"].to_numpy()
        parts[(label, "paper", "low")] = [paper[s][0] for s in STAT_ORDER]
        parts[(label, "paper", "high")] = [paper[s][1] for s in STAT_ORDER]
    df = pd.DataFrame(parts, index=pd.Index(STAT_ORDER, name="statistic"))
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    return df


def quantile_shape(values: Mapping[str, float]) -> dict:
    """Scale-free shape numbers from the six Table 2 statistics (estimates or interval midpoints).

    values: {"q15", "q25", "mean", "median", "q75", "q85": float}. Returns
    sym85 = q85 / -q15 and sym75 = q75 / -q25 (1 for a distribution symmetric about 0),
    tail = (q85 - q15) / (q75 - q25) (1.54 for a normal; larger: heavier shoulders/tails),
    centre = max(|mean|, |median|) / (q75 - q25) (0 for a distribution centred on 0).
    """
    v = {k: float(values[k]) for k in STAT_ORDER}
    iqr = v["q75"] - v["q25"]
    if iqr <= 0:
        raise ValueError("q75 must exceed q25")
    return {"sym85": v["q85"] / -v["q15"], "sym75": v["q75"] / -v["q25"],
            "tail": (v["q85"] - v["q15"]) / iqr, "centre": max(abs(v["mean"]), abs(v["median"])) / iqr}


def table3(fits: Mapping[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """Table 3 beside ours: one row per (data set, rescaling, parameter).

    fits: {(dataset, rescaling label): :func:`axlib.stats.beta_fit_cis` DataFrame}.
    Columns: estimate, low, high (ours), paper low, paper high.
    """
    rows = []
    for (dataset, rescaling), fit in fits.items():
        _check_dataset(dataset)
        for par in ("p", "q"):
            lo, hi = PAPER_BETA[dataset][par]
            rows.append({"data set": LABELS[dataset], "rescaling": rescaling, "parameter": par,
                         "estimate": fit.loc[par, "estimate"], "low": fit.loc[par, "low"],
                         "high": fit.loc[par, "high"], "paper low": lo, "paper high": hi})
    return pd.DataFrame(rows).set_index(["data set", "rescaling", "parameter"])


# --------------------------------------------------------------------------- verdict rules
def verdict_skew_share(share: float) -> str:
    """Fig. 2 claim: (nearly) all images approximately symmetric, |g1| <= 0.5.

    reproduced: at most 5 % of images outside (the paper: 0.9-3.3 % over three data sets);
    partly: at most 25 % (most images symmetric); else not reproduced.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be in [0, 1], got {share!r}")
    return "reproduced" if share <= 0.05 else "partly" if share <= 0.25 else "not reproduced"


def verdict_pairwise(rejected: float, alpha: float = 0.05) -> str:
    """Table 1 claim: no significant difference between any two images.

    rejected: share of tested pairs with p < alpha (alpha expected under the null hypothesis).
    reproduced: at most 2 alpha (10 %); partly: at most one half of the pairs; else not reproduced.
    """
    if not 0 <= rejected <= 1:
        raise ValueError(f"rejected must be in [0, 1], got {rejected!r}")
    return "reproduced" if rejected <= 2 * alpha else "partly" if rejected <= 0.5 else "not reproduced"


def verdict_anova(p: float, alpha: float = 0.05) -> str:
    """ANOVA claim: the means of all images are equal. reproduced iff p >= alpha."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    return "reproduced" if p >= alpha else "not reproduced"


def verdict_quantiles(ci: pd.DataFrame, *, sym_tol: float = 0.05, width_tol: float = 0.05,
                      centre_tol: float = 0.05) -> str:
    """Table 2 claim: narrow intervals, quantiles symmetric about 0, mean and median near 0.

    ci: :func:`axlib.stats.quantile_cis` DataFrame. Checks: (1) symmetric: q85/-q15 and
    q75/-q25 within 1 +- sym_tol; (2) narrow: every quantile interval's width below
    width_tol times its |estimate|; (3) centred: the mean and median intervals lie within
    +- centre_tol x IQR of 0. reproduced: all three; partly: two; else not reproduced.
    """
    est = ci["estimate"].to_dict()
    shape = quantile_shape(est)
    symmetric = abs(shape["sym85"] - 1) <= sym_tol and abs(shape["sym75"] - 1) <= sym_tol
    qrows = ci.loc[["q15", "q25", "q75", "q85"]]
    narrow = bool(((qrows["high"] - qrows["low"]) <= width_tol * qrows["estimate"].abs()).all())
    iqr = est["q75"] - est["q25"]
    bound = centre_tol * iqr
    centred = bool((ci.loc[["mean", "median"], ["low", "high"]].abs() <= bound).all().all())
    passed = symmetric + narrow + centred
    return "reproduced" if passed == 3 else "partly" if passed == 2 else "not reproduced"


def beta_rule(fit: pd.DataFrame, paper_p: float, paper_q: float, *, equal_tol: float = 0.05,
              value_tol: float = 0.25) -> str:
    """Verdict on a beta-fit claim: one beta law, symmetric (p = q), with the paper's p and q.

    fit: :func:`axlib.stats.beta_fit_cis` DataFrame; paper_p, paper_q: the paper's values.
    Checks: (1) p = q: |p - q| / mean(p, q) <= equal_tol; (2) magnitude: the paper's p and q
    within value_tol (25 %) of ours. reproduced: both; partly: one; else not reproduced.
    """
    p, q = float(fit.loc["p", "estimate"]), float(fit.loc["q", "estimate"])
    equal = abs(p - q) / ((p + q) / 2) <= equal_tol
    close = all(abs(paper - ours) <= value_tol * ours for paper, ours in ((paper_p, p), (paper_q, q)))
    passed = equal + close
    return "reproduced" if passed == 2 else "partly" if passed == 1 else "not reproduced"


def verdict_beta(fit: pd.DataFrame, dataset: str, *, equal_tol: float = 0.05, value_tol: float = 0.25) -> str:
    """Table 3 claim (:func:`beta_rule` with the midpoints of the paper's p and q intervals)."""
    _check_dataset(dataset)
    return beta_rule(fit, _mid(PAPER_BETA[dataset]["p"]), _mid(PAPER_BETA[dataset]["q"]),
                     equal_tol=equal_tol, value_tol=value_tol)


def verdict_heavy_tails(excess_kurtosis, qq_r_middle, r_min: float = 0.98) -> str:
    """Fig. 3 claim: near-normal (a straight Q-Q middle) with heavier tails than a normal.

    excess_kurtosis, qq_r_middle: per-image columns of :func:`shape_summary`.
    reproduced: at least 90 % of images have excess kurtosis > 0 and a central-80 % Q-Q
    correlation >= r_min (0.98: a Laplace sample gives 0.996, so only clearly bent middles
    fail); partly: at least 50 %; else not reproduced.
    """
    k = np.asarray(excess_kurtosis, dtype=float)
    r = np.asarray(qq_r_middle, dtype=float)
    if k.shape != r.shape or k.size == 0:
        raise ValueError("excess_kurtosis and qq_r_middle must be non-empty and of equal length")
    share = float(np.mean((k > 0) & (r >= r_min)))
    return "reproduced" if share >= 0.9 else "partly" if share >= 0.5 else "not reproduced"


# --------------------------------------------------------------------------- figures
def _figure(ncols: int, nrows: int = 1, size=(4.0, 3.0)):
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows))
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def plot_magnitudes(panels: Sequence[tuple[str, torch.Tensor, np.ndarray]], *, bins: int = 101,
                    title: str | None = None):
    """Fig. 1b: for each (label, image (3, H, W), X_diff (C*H*W,)) the image, the per-pixel
    L2 norm of the change over channels, and the histogram of X_diff (magnitude vs frequency)."""
    from axlib.plots import to_hwc

    fig, axes = _figure(3, len(panels), size=(3.3, 2.9))
    for row, (label, image, delta) in zip(axes, panels):
        delta = np.asarray(delta, dtype=float)
        c, h, w = image.shape
        row[0].imshow(to_hwc(image), interpolation="nearest" if h < 128 else "antialiased")
        row[0].set_title(label)
        row[0].set_axis_off()
        im = row[1].imshow(np.sqrt((delta.reshape(c, h, w) ** 2).sum(0)), cmap="magma")
        row[1].set_title("|X' - X| per pixel")
        row[1].set_axis_off()
        fig.colorbar(im, ax=row[1], shrink=0.8)
        row[2].hist(delta, bins=bins, color="C0", histtype="stepfilled")
        row[2].set_xlabel("attack magnitude X' - X")
        row[2].set_ylabel("frequency (pixel values)")
    if title:
        fig.suptitle(title)
    return fig


def plot_skewness(skews: Mapping[str, np.ndarray], band: float = 0.5, title: str | None = None):
    """Fig. 2: histogram of the per-image skewness, one panel per data set, [-band, band] shaded."""
    fig, axes = _figure(len(skews), size=(4.2, 3.0))
    for ax, (label, g) in zip(axes[0], skews.items()):
        g = np.asarray(g, dtype=float)
        ax.axvspan(-band, band, color="0.9", zorder=0, label=f"[-{band:g}, {band:g}]")
        ax.hist(g, bins=max(10, min(60, g.size // 10)), color="C0")
        ax.set_xlabel("Fisher-Pearson skewness g1")
        ax.set_ylabel("images")
        ax.set_title(f"{label}: {stats.share_outside(g, -band, band):.1%} of {g.size} outside")
        lo, hi = min(g.min(), -band), max(g.max(), band)
        ax.set_xlim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
    axes[0][0].legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


def plot_qq(samples: Mapping[str, np.ndarray], *, n_points: int = 300, title: str | None = None):
    """Fig. 3: normal Q-Q curves of a few images per panel, each standardised (z-scores).

    samples: {panel label: (k, n_values) array of k images}. The diagonal is the normal.
    """
    fig, axes = _figure(len(samples), size=(4.0, 3.6))
    for ax, (label, rows) in zip(axes[0], samples.items()):
        rows = np.atleast_2d(np.asarray(rows, dtype=float))
        for row in rows:
            qq = stats.qq_data(row, standardize=True, n_points=n_points)
            ax.plot(qq["theoretical"], qq["sample"], lw=1, alpha=0.8)
        lim = 4.5
        ax.plot([-lim, lim], [-lim, lim], color="k", ls="--", lw=1, label="normal")
        ax.set_xlabel("theoretical N(0, 1) quantiles")
        ax.set_ylabel("standardised sample quantiles")
        ax.set_title(f"{label}: {len(rows)} images")
        ax.legend(loc="upper left")
    if title:
        fig.suptitle(title)
    return fig


def plot_pvalues(pairs: Mapping[str, pd.DataFrame], paper: Mapping[str, Mapping[str, float]] | None = None,
                 title: str | None = None):
    """Table 1 as distributions: histograms of the pairwise t-test and Mann-Whitney p-values,
    one panel per data set, with the paper's single p-values as vertical lines."""
    fig, axes = _figure(len(pairs), size=(4.4, 3.2))
    fig.set_layout_engine("constrained")
    for ax, (dataset, df) in zip(axes[0], pairs.items()):
        bins = np.linspace(0, 1, 21)
        ax.hist([df["t_p"], df["u_p"]], bins=bins, label=["t-test", "Mann-Whitney U"], color=["C0", "C1"],
                density=True)
        ax.axhline(1.0, color="0.4", lw=1, ls=":", label="uniform (H0 true)")
        if paper is not None and dataset in paper:
            for key, color in (("t", "C0"), ("u", "C1")):
                ax.axvline(paper[dataset][key], color=color, ls="--", lw=1.5)
        ax.set_xlabel("p-value of a pair (dashed: the paper's)")
        ax.set_ylabel("density")
        ax.set_title(f"{LABELS.get(dataset, dataset)}: {len(df):,} pairs")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3)
    if title:
        fig.suptitle(title)
    return fig


def plot_beta_fit(delta, supports: Mapping[str, tuple[float, float] | str], *, bins: int = 101,
                  title: str | None = None):
    """One image's X_diff with the method-of-moments beta densities for each rescaling, and
    the normal with the same mean and variance. supports: {label: "minmax" or (a, b)}."""
    delta = np.asarray(delta, dtype=float).ravel()
    fig, axes = _figure(1, size=(5.5, 3.3))
    ax = axes[0][0]
    ax.hist(delta, bins=bins, density=True, color="0.75", histtype="stepfilled", label="X' - X")
    grid = np.linspace(delta.min(), delta.max(), 400)
    for k, (label, support) in enumerate(supports.items()):
        a, b = (delta.min(), delta.max()) if support == "minmax" else support
        p, q = stats.beta_fit_moments(delta, rescale=support)
        ax.plot(grid, _st.beta.pdf(grid, p, q, loc=a, scale=b - a), color=f"C{k}",
                label=f"beta, {label}: p={p:.1f}, q={q:.1f}")
    ax.plot(grid, _st.norm.pdf(grid, delta.mean(), delta.std()), color="k", ls=":", label="normal")
    ax.set_xlabel("attack magnitude X' - X")
    ax.set_ylabel("density")
    ax.legend(loc="upper left", fontsize="small")
    if title:
        ax.set_title(title)
    return fig
