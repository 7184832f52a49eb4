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
* the tables that put the paper's numbers (:mod:`axlib.papers.axai.paper`) beside ours
  (:func:`table1`, :func:`table2`, :func:`table3`) and the page's other tables;
* the page's claim records (``*_records``: claim id, our number, the verdict of the rule in
  :mod:`axlib.papers.axai.claims`, a note), passed as they are to ``rec.record``;
* figures (Figures built outside pyplot, as in :mod:`axlib.plots`): :func:`plot_magnitudes`,
  :func:`plot_skewness`, :func:`plot_qq`, :func:`plot_pvalues`, :func:`plot_beta_fit`.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from scipy import stats as _st

from axlib import attacks, stats
from axlib._util.checks import check_choice, check_images, check_int
from axlib._util.quotes import unquote
from axlib.papers.axai import claims, estimates, paper

__all__ = [
    "EMBEDDED_IMAGES", "load_images", "attack_datasets", "attack_records", "skew_table", "skew_records",
    "qq_table", "qq_records",
    "pairwise_all", "pairwise_records", "unclipped_images", "anova_table", "anova_records", "clipping_table",
    "shape_table", "quantile_records", "beta_fits", "beta_growth", "beta_records", "not_run_records",
    "DATASETS", "PAPER_DATASETS", "LABELS",
    "attack_magnitudes", "pairwise_pvalues", "pvalue_summary", "shape_summary", "fixed_support",
    "table1", "table2", "plot_table2", "table3", "quantile_shape",
    "cis_beside_paper",
    "plot_magnitudes", "plot_skewness", "plot_qq", "plot_pvalues", "plot_beta_fit",
]

DATASETS = ("cifar10", "cifar100", "imagenet")
LABELS = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "imagenet": "ImageNet"}
PAPER_DATASETS = {"skew_share": DATASETS, "qq_heavy_tails": ("cifar10", "imagenet"),
                  "ttest": ("cifar10", "imagenet"), "mannwhitney": ("cifar10", "imagenet"),
                  "anova": ("cifar10", "imagenet"), "quantiles": DATASETS, "beta": DATASETS}
"""The data sets of each claim of the page the paper reports (``axai.<kind>.<dataset>``): Fig. 2,
Tables 2 and 3 have a CIFAR-100 (VGG16) column; Fig. 3, Table 1 and App. C.1 do not, so the
CIFAR-100 numbers of those appear in the page's tables only."""

STAT_ORDER = ("q15", "q25", "mean", "median", "q75", "q85")
_MIDDLE_Z = 1.2816                  # N(0, 1) 90th percentile: the central 80 % of a Q-Q plot


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
    batch_size = check_int("batch_size", batch_size, low=1)
    x = check_images(x)
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


def pairwise_pvalues(deltas, *, max_pairs: int | None = None, generator=None) -> pd.DataFrame:
    """Student t-test and Mann-Whitney U test for pairs of images.

    deltas: (n_images, n_values) array or tensor (rows: one image's X_diff); n_images >= 2.
    max_pairs: None tests all n(n-1)/2 pairs; an int draws that many distinct pairs uniformly
    without replacement (``generator``: None, an int seed or a numpy Generator).
    Memory: each image sorted once, O(n_images x n_values) (:func:`axlib.stats.pairwise_tests`).
    Returns :func:`axlib.stats.pairwise_tests`' DataFrame: i, j, t_stat, t_p, u_stat, u_p.
    """
    arr = _as_array(deltas).astype(np.float64, copy=False)
    if arr.shape[0] < 2:
        raise ValueError(f"deltas must hold at least 2 images, got {arr.shape[0]}")
    return stats.pairwise_tests(arr, max_pairs=max_pairs, generator=generator)


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
        check_choice("dataset", dataset, DATASETS, case_sensitive=True)
        for test, name in (("t", "t-test"), ("u", "Mann-Whitney U")):
            s = summary.loc[test]
            quoted = paper.PVALUES.get(dataset, {}).get(test)            # Table 1 has no CIFAR-100 column
            rows.append({"data set": LABELS[dataset], "test": name,
                         "paper": float("nan") if quoted is None else quoted.value,
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
        check_choice("dataset", dataset, DATASETS, case_sensitive=True)
        missing = [s for s in STAT_ORDER if s not in ci.index]
        if missing:
            raise ValueError(f"cis[{dataset!r}] lacks the statistics {missing}")
        entries[LABELS[dataset]] = (ci, paper.QUANTILES[dataset])
    return cis_beside_paper(entries)


def cis_beside_paper(entries: Mapping[str, tuple[pd.DataFrame, Mapping[str, tuple[float, float]]]]) -> pd.DataFrame:
    """Our confidence intervals beside the paper's, one row per statistic of STAT_ORDER.

    entries: {column label: (our CI DataFrame with "low" / "high" columns indexed by statistic,
    the paper's {statistic: (low, high)})}. Returns columns (label, ours/paper, low/high).
    """
    parts = {}
    for label, (ci, theirs) in entries.items():
        parts[(label, "ours", "low")] = ci.loc[list(STAT_ORDER), "low"].to_numpy()
        parts[(label, "ours", "high")] = ci.loc[list(STAT_ORDER), "high"].to_numpy()
        parts[(label, "paper", "low")] = [theirs[s][0] for s in STAT_ORDER]
        parts[(label, "paper", "high")] = [theirs[s][1] for s in STAT_ORDER]
    df = pd.DataFrame(parts, index=pd.Index(STAT_ORDER, name="statistic"))
    df.columns = pd.MultiIndex.from_tuples(df.columns)
    return df


def plot_table2(table: pd.DataFrame):
    """Table 2 as a forest plot: per data set, our 95 % intervals (left) beside the paper's
    (right), one row per statistic, each panel on its own scale (the units differ: ours are
    [0, 1] pixels, the paper's its normalised inputs), a line at 0 (symmetry shows as mirror
    images about it).

    table: :func:`table2` output (columns data set / ours-paper / low-high). Returns the Figure.
    """
    from matplotlib.figure import Figure

    labels = list(dict.fromkeys(table.columns.get_level_values(0)))
    fig = Figure(figsize=(9.0, 2.0 + 1.3 * len(labels)), layout="constrained")
    axes = fig.subplots(len(labels), 2, squeeze=False)
    rows = np.arange(len(table.index))[::-1]
    for r, label in enumerate(labels):
        for c, (who, colour) in enumerate((("ours", "tab:blue"), ("paper", "tab:gray"))):
            ax = axes[r][c]
            low, high = table[(label, who, "low")].to_numpy(), table[(label, who, "high")].to_numpy()
            ax.hlines(rows, low, high, color=colour, lw=3)
            ax.plot((low + high) / 2, rows, "o", color=colour, ms=4)
            ax.axvline(0.0, color="k", lw=0.6)
            ax.set_yticks(rows, list(table.index))
            ax.set_title(f"{label}: {'ours ([0, 1] pixels)' if who == 'ours' else 'paper (its units)'}", fontsize=10)
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    return fig


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
        check_choice("dataset", dataset, DATASETS, case_sensitive=True)
        for par in ("p", "q"):
            lo, hi = paper.BETA[dataset][par]
            rows.append({"data set": LABELS[dataset], "rescaling": rescaling, "parameter": par,
                         "estimate": fit.loc[par, "estimate"], "low": fit.loc[par, "low"],
                         "high": fit.loc[par, "high"], "paper low": lo, "paper high": hi})
    return pd.DataFrame(rows).set_index(["data set", "rescaling", "parameter"])



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


def plot_pvalues(pairs: Mapping[str, pd.DataFrame], paper_pvalues: Mapping[str, Mapping[str, float]] | None = None,
                 title: str | None = None):
    """Table 1 as distributions: histograms of the pairwise t-test and Mann-Whitney p-values,
    one panel per data set, with the paper's single p-values as vertical lines.

    paper_pvalues: {data set: {"t": p, "u": p}}; None: Table 1's (:data:`paper.PVALUES`)."""
    paper_pvalues = unquote(paper.PVALUES) if paper_pvalues is None else paper_pvalues
    fig, axes = _figure(len(pairs), size=(4.4, 3.2))
    fig.set_layout_engine("constrained")
    for ax, (dataset, df) in zip(axes[0], pairs.items()):
        bins = np.linspace(0, 1, 21)
        ax.hist([df["t_p"], df["u_p"]], bins=bins, label=["t-test", "Mann-Whitney U"], color=["C0", "C1"],
                density=True)
        ax.axhline(1.0, color="0.4", lw=1, ls=":", label="uniform (H0 true)")
        if dataset in paper_pvalues:
            for key, color in (("t", "C0"), ("u", "C1")):
                ax.axvline(paper_pvalues[dataset][key], color=color, ls="--", lw=1.5)
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


# --------------------------------------------------------------------------- the page (notebook 02)
EMBEDDED_IMAGES = {"cifar10": 2000, "cifar100": 0, "imagenet": 250}
"""Test images shipped per data set: the embedded CIFAR-10 subset and ImageNet sample images
(none of CIFAR-100: the paper profile downloads it)."""


def load_images(dataset: str, n: int, *, embedded_only: bool = False, imagenet_source: str = "samples"):
    """The first ``n`` test images of ``dataset`` ("cifar10": the embedded subset up to 2,000, the
    full test set above; "cifar100": the official test set, downloaded; "imagenet": by
    ``imagenet_source``, :func:`axlib.data.imagenet.imagenet_images`: the sample images, embedded
    up to 250 and downloaded above, or "val", n random images of a local copy of the validation
    split). embedded_only: never download, take at most the :data:`EMBEDDED_IMAGES` instead
    (page 03; refused for CIFAR-100, which has none; a local validation copy is no download, so
    "val" is read as asked).
    Returns (x (n, 3, H, W) in [0, 1], y (n,), class names)."""
    from axlib.data.cifar import cifar10, cifar10_test, cifar100
    from axlib.data.imagenet import imagenet_images

    check_choice("dataset", dataset, DATASETS, case_sensitive=True)
    if dataset == "imagenet" and imagenet_source == "val":
        return imagenet_images(n, "val")
    if embedded_only:
        if not EMBEDDED_IMAGES[dataset]:
            raise ValueError(f"dataset {dataset!r} has no embedded images; embedded_only needs one of "
                             f"{[d for d, k in EMBEDDED_IMAGES.items() if k]}")
        n = min(n, EMBEDDED_IMAGES[dataset])
    if dataset == "cifar100":
        x, y, classes = cifar100("test")
        return x[:n], y[:n], classes
    if dataset == "cifar10":
        if n <= EMBEDDED_IMAGES["cifar10"]:
            return cifar10_test(n)
        x, y, classes = cifar10("test")
        return x[:n], y[:n], classes
    return imagenet_images(n, imagenet_source)


def attack_datasets(models: Mapping[str, str], images: Mapping[str, int], batch: Mapping[str, int], *,
                    steps: int, device: str = "cpu", imagenet_source: str = "samples"):
    """Attack every image of each data set with untargeted L2 PGD against the model's prediction.

    models, images, batch: {dataset: model name / number of images / PGD batch size}; steps: PGD
    iterations (budget and step of :func:`axlib.explain.default_attack_params`); imagenet_source:
    where the ImageNet images come from (:func:`load_images`).
    Returns (data, deltas, summary): data {dataset: dict(x (N, 3, H, W) on the CPU, y, pred,
    classes, params, flipped (N,) bool)}, deltas {dataset: float64 array (N, C*H*W)} and a
    DataFrame, one row per data set (model, images, eps, step, clean accuracy, attack success,
    largest L2 of X' - X, attack seconds).
    """
    import time

    from axlib import models as _models
    from axlib.explain import default_attack_params

    data, deltas, summary = {}, {}, []
    for ds, name in models.items():
        model = _models.load(name, device=device)
        x, y, classes = load_images(ds, images[ds], imagenet_source=imagenet_source)
        x = x.to(device)
        params = default_attack_params(x.shape, steps=steps)
        pred = attacks.predicted_labels(model, x, batch_size=batch[ds]).cpu()
        start = time.perf_counter()
        d = attack_magnitudes(model, x, batch_size=batch[ds], steps=steps, target=pred.to(device),
                              desc=f"PGD-{steps} {LABELS[ds]}", **params)
        seconds = time.perf_counter() - start
        x_adv = (x.cpu() + d.view_as(x.cpu())).clamp(0, 1)
        flipped = attacks.predicted_labels(model, x_adv.to(device), batch_size=batch[ds]).cpu() != pred
        data[ds] = dict(x=x.cpu(), y=y, pred=pred, classes=classes, params=params, flipped=flipped)
        deltas[ds] = d.numpy().astype(np.float64)
        summary.append({"data set": LABELS[ds], "model": name, "images": len(x),
                        "values per image": d.shape[1], "eps (L2)": params["eps"], "step": params["step"],
                        "clean accuracy": float((pred == y).float().mean()),
                        "attack success": float(flipped.float().mean()),
                        "max L2 of X'-X": float(d.norm(dim=1).max()), "attack seconds": seconds})
        del model
    return data, deltas, pd.DataFrame(summary).set_index("data set")


def attack_records(summary: pd.DataFrame, data: Mapping[str, dict], *, steps: int) -> list[dict]:
    """The attack success of each data set as a reference record (no paper number)."""
    from axlib.companion.results import REFERENCE

    out = []
    for ds, d in data.items():
        row = summary.loc[LABELS[ds]]
        out.append(dict(claim=f"axai.pgd_success.{ds}", ours=round(row["attack success"], 4), verdict=REFERENCE,
                        unit="share of images",
                        note=(f"L2 PGD-{steps}, eps {d['params']['eps']:.3f}, step {d['params']['step']:.4f}, "
                              f"against the predicted label, {row['model']}, {row['images']} images; the paper "
                              "gives no success rate")))
    return out


def _spearman(a, b) -> float:
    a, b = pd.Series(np.asarray(a, dtype=float)), pd.Series(np.asarray(b, dtype=float))
    return a.corr(b, method="spearman") if a.nunique() > 1 and b.nunique() > 1 else float("nan")


def skew_table(shapes: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Fig. 2 beside the paper: one row per data set. shapes: {dataset: :func:`shape_summary`}.
    Columns: images, share outside [-0.5, 0.5], the paper's share, median and max |g1|, and the
    Spearman correlations of |g1| with the excess kurtosis and with the share of values held at 0."""
    return pd.DataFrame({
        LABELS[ds]: {"images": len(s), "outside [-0.5, 0.5]": stats.share_outside(s["skewness"]),
                     "paper": paper.SKEW_SHARE[ds].value, "median |g1|": s["skewness"].abs().median(),
                     "max |g1|": s["skewness"].abs().max(),
                     "Spearman(|g1|, excess kurtosis)": _spearman(s["skewness"].abs(), s["excess_kurtosis"]),
                     "Spearman(|g1|, share held at 0)": _spearman(s["skewness"].abs(), s["zeros"])}
        for ds, s in shapes.items()}).T


def skew_records(shapes: Mapping[str, pd.DataFrame], models: Mapping[str, str]) -> list[dict]:
    """The Fig. 2 claims (``axai.skew_share.<dataset>``): keyword arguments of
    :meth:`~axlib.companion.results.Recorder.judge`, the estimate the share of images with
    |g1| > 0.5 and its Clopper-Pearson interval (:data:`claims.SKEW_SHARE_RULE` judges it)."""
    out = []
    for ds, s in _reported(shapes, "skew_share"):
        skew = s["skewness"].to_numpy()
        out.append(dict(claim=f"axai.skew_share.{ds}", estimate=estimates.share(np.abs(skew) > 0.5),
                        unit="share of images with |skewness| > 0.5",
                        note=f"{len(s)} images, {models[ds]}; median |g1| {np.median(np.abs(skew)):.3f}"))
    return out


def qq_table(shapes: Mapping[str, pd.DataFrame], r_min: float = 0.98) -> pd.DataFrame:
    """Fig. 3 in numbers, one row per data set: excess kurtosis and Q-Q straightness."""
    return pd.DataFrame({
        LABELS[ds]: {"median excess kurtosis": s["excess_kurtosis"].median(),
                     "share kurtosis > 0": (s["excess_kurtosis"] > 0).mean(),
                     "median Q-Q r, whole": s["qq_r"].median(), "median Q-Q r, middle": s["qq_r_middle"].median(),
                     "min Q-Q r, middle": s["qq_r_middle"].min(),
                     f"share heavy-tailed, middle r >= {r_min:g}":
                         ((s["excess_kurtosis"] > 0) & (s["qq_r_middle"] >= r_min)).mean()}
        for ds, s in shapes.items()}).T


def qq_records(shapes: Mapping[str, pd.DataFrame], r_min: float = 0.98) -> list[dict]:
    """The Fig. 3 claims (``axai.qq_heavy_tails.<dataset>``): :meth:`~axlib.companion.results.Recorder.judge`
    keywords, the estimate the share of heavy-tailed images with a straight Q-Q middle
    (:data:`claims.HEAVY_TAILS_RULE`)."""
    out = []
    for ds, s in _reported(shapes, "qq_heavy_tails"):
        k, r = s["excess_kurtosis"], s["qq_r_middle"]
        out.append(dict(
            claim=f"axai.qq_heavy_tails.{ds}", estimate=estimates.share((k > 0) & (r >= r_min)),
            ours=(f"{(k > 0).mean():.1%} of images heavy-tailed (median excess kurtosis {k.median():.1f}), "
                  f"{(r >= r_min).mean():.1%} with a straight middle (median central Q-Q r {r.median():.4f})"),
            note=f"{len(s)} images"))
    return out


def pairwise_all(deltas: Mapping[str, np.ndarray], *, max_pairs: int | None, pairs_cap: int,
                 seed) -> dict[str, pd.DataFrame]:
    """:func:`pairwise_pvalues` of every data set: max_pairs pairs, or (None) all pairs when
    there are at most pairs_cap, else a uniform sample of pairs_cap; seed: the pair sample's.
    Prints how many pairs each data set tested."""
    frames = {}
    for ds, d in deltas.items():
        n = len(d)
        total = n * (n - 1) // 2
        limit = max_pairs if max_pairs is not None else (None if total <= pairs_cap else pairs_cap)
        frames[ds] = pairwise_pvalues(d, max_pairs=limit, generator=seed)
        print(f"{LABELS[ds]}: {len(frames[ds]):,} of {total:,} pairs tested")
    return frames


def pairwise_records(pair_frames: Mapping[str, pd.DataFrame], deltas: Mapping[str, np.ndarray]) -> list[dict]:
    """The Table 1 claims (``axai.ttest.<dataset>``, ``axai.mannwhitney.<dataset>``):
    :meth:`~axlib.companion.results.Recorder.judge` keywords, the estimate the share of tested
    pairs with p < 0.05 and its bootstrap interval over images (:data:`claims.PAIRWISE_RULE`);
    pair_frames: {dataset: :func:`pairwise_pvalues`}."""
    out = []
    for ds, frame in _reported(pair_frames, "ttest"):
        for column, name in (("t_p", "ttest"), ("u_p", "mannwhitney")):
            p = frame[column]
            out.append(dict(
                claim=f"axai.{name}.{ds}", estimate=estimates.pairs_rejected(frame, column, len(deltas[ds])),
                unit="share of pairs with p < 0.05",
                note=(f"{len(frame):,} pairs of {len(deltas[ds])} images; mean p {p.mean():.2f} (the paper's single "
                      f"p-value), median p {p.median():.2f}")))
    return out


def unclipped_images(shapes: Mapping[str, pd.DataFrame], max_zeros: float = 1e-3) -> dict[str, np.ndarray]:
    """{dataset: indices of the images whose attack held fewer than max_zeros of values at 0}."""
    return {ds: np.flatnonzero(s["zeros"].to_numpy() < max_zeros) for ds, s in shapes.items()}


def anova_table(deltas: Mapping[str, np.ndarray], unclipped: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """One-way ANOVA over all images of each data set, and over the unclipped ones only.
    One row per dataset key: images, ANOVA p, paper, images without clipping, ANOVA p, those."""
    return pd.DataFrame({ds: {"images": len(d), "ANOVA p": stats.anova(d),
                              "paper": paper.ANOVA[ds].value if ds in paper.ANOVA else float("nan"),
                              "images without clipping": len(unclipped[ds]),
                              "ANOVA p, those": stats.anova(d[unclipped[ds]]) if len(unclipped[ds]) >= 2
                              else float("nan")}
                         for ds, d in deltas.items()}).T


def anova_records(table: pd.DataFrame) -> list[dict]:
    """The App. C.1 claims (``axai.anova.<dataset>``) from :func:`anova_table`:
    :meth:`~axlib.companion.results.Recorder.judge` keywords (:data:`claims.ANOVA_RULE`)."""
    return [dict(claim=f"axai.anova.{ds}", estimate=estimates.anova_p(row["ANOVA p"], int(row["images"])),
                 unit="p-value",
                 note=(f"one-way ANOVA (scipy f_oneway) over {int(row['images'])} images as groups; on the "
                       f"{int(row['images without clipping'])} images whose attack held < 0.1 % of values at 0: "
                       f"p = {row['ANOVA p, those']:.3g}"))
            for ds, row in _reported(dict(table.iterrows()), "anova")]


def _reported(per_dataset: Mapping, kind: str) -> list[tuple[str, object]]:
    """The items of ``per_dataset`` (data set -> value) whose data set the paper reports a claim
    of ``kind`` for (:data:`PAPER_DATASETS`), in the mapping's order."""
    return [(ds, value) for ds, value in per_dataset.items() if ds in PAPER_DATASETS[kind]]


def not_run_records(models: Mapping[str, str]) -> list[dict]:
    """For each claim of the page on a data set this profile attacks no images of (``models``:
    data set -> model name; the default profile has no CIFAR-100 model): a record with n = 0,
    which its rule judges "inconclusive", and a note saying what would run it.
    :meth:`~axlib.companion.results.Recorder.judge` keywords."""
    from axlib.companion.claims import CATALOGUE
    from axlib.companion.rules import AllOf, Estimate

    rules = {c.id: c.rule for c in CATALOGUE}
    out = []
    for kind, datasets in PAPER_DATASETS.items():
        for ds in (d for d in datasets if d not in models):
            claim = f"axai.{kind}.{ds}"
            nothing = Estimate.nothing("images", f"no {LABELS[ds]} images attacked in this profile")
            out.append(dict(claim=claim, estimate=dict.fromkeys(rules[claim].parts, nothing)
                            if isinstance(rules[claim], AllOf) else nothing,
                            note=(f"this profile attacks no {LABELS[ds]} images: the paper's VGG16 is trained by "
                                  "`axlib train cifar100-vgg16` and attacked by the paper profile")))
    return out


def clipping_table(data: Mapping[str, dict], shapes: Mapping[str, pd.DataFrame], deltas: Mapping[str, np.ndarray],
                   pair_frames: Mapping[str, pd.DataFrame], unclipped: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """Where the means differ: each image's mean in units of its naive standard error z, against
    the balance of black and white pixels, and the t-test on the pairs of unclipped images."""
    diag = {}
    for ds, s in shapes.items():
        xf = data[ds]["x"].flatten(1)
        balance = ((xf <= 0).double().mean(1) - (xf >= 1).double().mean(1)).numpy()
        zscore = (s["mean"] / (s["std"] / np.sqrt(deltas[ds].shape[1]))).to_numpy()
        pf = pair_frames[ds]
        both = pf["i"].isin(unclipped[ds]) & pf["j"].isin(unclipped[ds])
        diag[LABELS[ds]] = {
            "median |z|": np.median(np.abs(zscore)), "|z| if independent": 0.674, "max |z|": np.abs(zscore).max(),
            "corr(z, black - white)": np.corrcoef(zscore, balance)[0, 1] if balance.std() > 0 else float("nan"),
            "pairs without clipping": int(both.sum()),
            "t-test rejected, those": (pf.loc[both, "t_p"] < 0.05).mean() if both.any() else float("nan")}
    return pd.DataFrame(diag).T


def shape_table(cis: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """:func:`quantile_shape` of ours and of the paper's Table 2 (interval midpoints), one row
    per (data set, ours/paper)."""
    rows = {}
    for ds, ci in cis.items():
        rows[(LABELS[ds], "ours")] = quantile_shape(ci["estimate"])
        rows[(LABELS[ds], "paper")] = quantile_shape({k: np.mean(v) for k, v in paper.QUANTILES[ds].items()})
    return pd.DataFrame(rows).T


def quantile_records(cis: Mapping[str, pd.DataFrame], deltas: Mapping[str, np.ndarray]) -> list[dict]:
    """The Table 2 claims (``axai.quantiles.<dataset>``): :meth:`~axlib.companion.results.Recorder.judge`
    keywords, the estimates the scale-free shape of :func:`estimates.quantile_shape` over the
    images of ``deltas`` (:data:`claims.QUANTILE_RULE`); cis: the page's Table 2 intervals."""
    out = []
    for ds, ci in _reported(cis, "quantiles"):
        theirs = quantile_shape({k: np.mean(v) for k, v in paper.QUANTILES[ds].items()})
        width = ((ci["high"] - ci["low"]) / ci["estimate"].abs()).loc[["q15", "q25", "q75", "q85"]].max()
        out.append(dict(
            claim=f"axai.quantiles.{ds}", estimate=estimates.quantile_shape(estimates.per_input_quantiles(deltas[ds])),
            ours=(f"q15 ({ci.loc['q15', 'low']:.3e}, {ci.loc['q15', 'high']:.3e}), "
                  f"q85 ({ci.loc['q85', 'low']:.3e}, {ci.loc['q85', 'high']:.3e})"),
            note=(f"{len(deltas[ds])} images; ours in [0, 1]-pixel units, the paper's in normalised-input units, so "
                  f"only the shape compares (the paper's q85/-q15 {theirs['sym85']:.2f}, tail ratio "
                  f"{theirs['tail']:.2f}); widest quantile interval {width:.1%} of its value")))
    return out


def beta_fits(deltas: Mapping[str, np.ndarray]) -> dict[tuple[str, str], pd.DataFrame]:
    """:func:`axlib.stats.beta_fit_cis` of each data set with two supports: each image's own
    min-max ("min-max") and the data set's :func:`fixed_support` ("fixed +-c")."""
    fits = {}
    for ds, d in deltas.items():
        support = fixed_support(d)
        fits[(ds, "min-max")] = stats.beta_fit_cis(d, rescale="minmax")
        fits[(ds, f"fixed ±{support[1]:.4f}")] = stats.beta_fit_cis(d, rescale=support)
    return fits


def beta_growth(deltas: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """How the fixed support c and the fitted p grow with the number of images (n/16, n/4, n)."""
    rows = []
    for ds, d in deltas.items():
        n = len(d)
        for k in sorted({max(2, n // 16), max(2, n // 4), n}):
            sub = d[:k]
            rows.append({"data set": LABELS[ds], "images": k, "c": fixed_support(sub)[1],
                         "p, fixed support": stats.beta_fit_cis(sub, rescale=fixed_support(sub)).loc["p", "estimate"],
                         "p, min-max": stats.beta_fit_cis(sub).loc["p", "estimate"]})
    return pd.DataFrame(rows).set_index(["data set", "images"])


def beta_records(fits: Mapping[tuple[str, str], pd.DataFrame], deltas: Mapping[str, np.ndarray],
                 best: str = "min-max") -> tuple[list[dict], pd.DataFrame]:
    """The Table 3 claims (``axai.beta.<dataset>``): :meth:`~axlib.companion.results.Recorder.judge`
    keywords with the estimates of :func:`estimates.beta_shape` on the ``best`` support's
    per-image fits (:func:`claims.beta_shape_rule`), and a table of every support's verdict
    by the same rule (one row per data set)."""
    out, rows = [], []
    for ds, d in _reported(deltas, "beta"):
        rule = claims.beta_shape_rule(paper.BETA[ds])
        paper_p, paper_q = (float(np.mean(paper.BETA[ds][k])) for k in ("p", "q"))
        supports = {key[1]: ("minmax" if key[1] == "min-max" else fixed_support(d)) for key in fits if key[0] == ds}
        shapes = {k: estimates.beta_shape(estimates.per_input_beta(d, rescale=r), paper_p, paper_q)
                  for k, r in supports.items()}
        verdicts = {k: rule.judge(e).verdict for k, e in shapes.items()}
        fit = fits[(ds, best)]
        others = "; ".join(f"{k}: p {fits[(ds, k)].loc['p', 'estimate']:.1f}, q {fits[(ds, k)].loc['q', 'estimate']:.1f} "
                           f"({v})" for k, v in verdicts.items())
        out.append(dict(
            claim=f"axai.beta.{ds}", estimate=shapes[best],
            ours=(f"p ({fit.loc['p', 'low']:.2f}, {fit.loc['p', 'high']:.2f}), "
                  f"q ({fit.loc['q', 'low']:.2f}, {fit.loc['q', 'high']:.2f}), {best}"),
            note=(f"{len(d)} images; the paper does not state its support [a, b]; {others}; the fixed "
                  "support (largest |X'-X| of the data set) grows with the number of images, so the verdict is "
                  "the min-max fit's")))
        rows.append({"data set": LABELS[ds], **verdicts})
    return out, pd.DataFrame(rows).set_index("data set")


