"""Statistics of attack-magnitude distributions (AXAI section 3.2 and appendix C).

One *sample* is the attack-magnitude distribution of one image: the flattened X' - X of that
image (all pixels and channels), a 1-D array. A set of images is a list of such arrays, or a
2-D array (n_images, n_values). numpy / scipy in; plain floats, numpy arrays and pandas
DataFrames out.

Methods, where the paper leaves a choice:

* skewness: Fisher-Pearson g1 = m3 / m2^(3/2) with biased moments (appendix C.1, eq. 2-3),
  i.e. ``scipy.stats.skew(bias=True)``; "approximately symmetric" = g1 in [-0.5, 0.5].
* pairwise tests: Student's two-sample t-test with pooled variance (appendix eq. 4-5, equal
  variances) and the two-sided Mann-Whitney U test (scipy's default method: exact for small,
  asymptotic normal with tie and continuity correction for large samples). The paper reports
  one p-value per data set; the mean over pairs is the natural summary (``df.mean()``).
* ANOVA: one-way, ``scipy.stats.f_oneway`` over all images.
* confidence intervals across images: each image gives one value of each statistic
  (percentile, mean, median); the interval is the Student t-interval for the mean of those
  per-image values (``method="t"``), or a percentile bootstrap over images
  (``method="bootstrap"``). Percentiles use numpy's linear interpolation.
* beta fit: method of moments (appendix C.3, eq. 9-10) on values rescaled to [0, 1] by
  x' = (x - a) / (b - a); [a, b] is each image's [min, max] (``rescale="minmax"``, default:
  the paper's distributions have no stated support) or a fixed interval such as (-eps, eps).
  s^2 is the unbiased sample variance (ddof=1).
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import special as _special
from scipy import stats as _st

from ._util.checks import check_int, check_number

__all__ = ["skewness", "share_outside", "qq_data", "draw_pairs", "pairwise_tests", "anova", "quantile_cis",
           "beta_fit_moments", "beta_fit_cis"]


def _as_1d(samples, name: str = "samples") -> np.ndarray:
    arr = np.asarray(samples, dtype=float).ravel()
    if arr.size < 2:
        raise ValueError(f"{name} must hold at least 2 values, got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN/inf)")
    return arr


def _as_groups(groups, name: str = "groups", min_groups: int = 2) -> list[np.ndarray]:
    if isinstance(groups, np.ndarray) and groups.ndim == 2:
        out = [np.asarray(g, dtype=float) for g in groups]
    else:
        try:
            out = [np.asarray(g, dtype=float).ravel() for g in groups]
        except TypeError:
            raise ValueError(f"{name} must be a 2-D array or a sequence of 1-D arrays") from None
    if len(out) < min_groups:
        raise ValueError(f"{name} must hold at least {min_groups} samples, got {len(out)}")
    for i, g in enumerate(out):
        if g.size < 2:
            raise ValueError(f"{name}[{i}] must hold at least 2 values, got {g.size}")
        if not np.all(np.isfinite(g)):
            raise ValueError(f"{name}[{i}] must be finite (no NaN/inf)")
    return out


def _check_level(level) -> float:
    return check_number("level", level, 0, 1, low_open=True, high_open=True)


def _rng(generator) -> np.random.Generator:
    if generator is None or (isinstance(generator, (int, np.integer)) and not isinstance(generator, bool)):
        return np.random.default_rng(generator)
    if isinstance(generator, np.random.Generator):
        return generator
    raise ValueError(f"generator must be None, an int seed or a numpy Generator, got {type(generator).__name__}")


# --------------------------------------------------------------------------- shape
def skewness(samples, axis: int | None = -1):
    """Fisher-Pearson coefficient g1 = m3 / m2^(3/2) (biased moments; scipy.stats.skew bias=True).

    A constant sample (m2 = 0) gives 0.

    Parameters
    ----------
    samples : array_like
        A 1-D array (one distribution); a 2-D array (n_images, n_values); or a list of 1-D
        arrays of different lengths.
    axis : int or None, default -1
        Axis of a 2-D array along which each distribution lies; None flattens the input into
        one distribution.

    Returns
    -------
    float or numpy.ndarray, shape (n_images,)
        A float for a 1-D array (or axis=None); an (n_images,) array for a 2-D array with
        axis=-1 or for a list of 1-D arrays.

    Raises
    ------
    ValueError
        If a 1-D distribution (or one in a list) holds fewer than 2 values, or any value is
        NaN or inf.
    """
    if isinstance(samples, (list, tuple)) and samples and np.ndim(samples[0]) >= 1:
        return np.array([skewness(s, axis=None) for s in _as_groups(samples, "samples", 1)])
    arr = np.asarray(samples, dtype=float)
    if axis is None or arr.ndim == 1:
        arr = _as_1d(arr)
        d = arr - arr.mean()
        m2 = np.mean(d ** 2)
        if m2 == 0:
            return 0.0
        return float(np.mean(d ** 3) / m2 ** 1.5)
    if not np.all(np.isfinite(arr)):
        raise ValueError("samples must be finite (no NaN/inf)")
    d = arr - arr.mean(axis=axis, keepdims=True)
    m2 = np.mean(d ** 2, axis=axis)
    m3 = np.mean(d ** 3, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        g1 = np.where(m2 > 0, m3 / np.where(m2 > 0, m2, 1.0) ** 1.5, 0.0)
    return g1


def share_outside(values, low: float = -0.5, high: float = 0.5) -> float:
    """Fraction of values (e.g. per-image skewness) outside [low, high].

    Parameters
    ----------
    values : array_like
        Any shape (flattened); not empty.
    low, high : float, default -0.5, 0.5
        The interval, low <= high.

    Returns
    -------
    float
        The fraction, in [0, 1].

    Raises
    ------
    ValueError
        If values is empty, low or high is not a finite number, or low > high.
    """
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError("values must not be empty")
    low, high = check_number("low", low), check_number("high", high)
    if not low <= high:
        raise ValueError(f"low must be <= high, got low={low}, high={high}")
    return float(np.mean((v < low) | (v > high)))


def qq_data(samples, *, standardize: bool = False, n_points: int | None = None) -> pd.DataFrame:
    """Normal Q-Q data: theoretical N(0, 1) quantiles vs ordered sample values.

    Plotting positions are Filliben's (scipy.stats.probplot).

    Parameters
    ----------
    samples : array_like, shape (n,)
        One sample of n >= 2 finite values.
    standardize : bool, default False
        z-score the sample first (mean 0, std 1) so that the diagonal is the reference line;
        False keeps the raw values (compare with the fitted line ``attrs["slope"]``,
        ``attrs["intercept"]``).
    n_points : int, optional
        Keep that many evenly spaced order statistics, >= 2 (for plotting 150k-pixel images);
        None keeps all.

    Returns
    -------
    pandas.DataFrame
        Columns ``theoretical`` and ``sample`` (n or n_points rows) and ``attrs`` slope,
        intercept, r of the least-squares line through all points.

    Raises
    ------
    ValueError
        If samples holds fewer than 2 values or a NaN / inf, or n_points is neither None nor
        an integer >= 2.
    """
    arr = _as_1d(samples)
    if standardize:
        sd = arr.std()
        arr = (arr - arr.mean()) / (sd if sd > 0 else 1.0)
    (osm, osr), (slope, intercept, r) = _st.probplot(arr, dist="norm")
    if n_points is not None:
        n_points = check_int("n_points", n_points, low=2)
        if n_points < osm.size:
            idx = np.unique(np.round(np.linspace(0, osm.size - 1, n_points)).astype(int))
            osm, osr = osm[idx], osr[idx]
    df = pd.DataFrame({"theoretical": osm, "sample": osr})
    df.attrs.update(slope=float(slope), intercept=float(intercept), r=float(r))
    return df


# --------------------------------------------------------------------------- tests
class _SortedSample:
    """One sample prepared for many Mann-Whitney comparisons: its distinct values in ascending
    order, their counts, the running count of values below each, and its own tie term."""

    def __init__(self, values: np.ndarray):
        self.size = values.size
        self.values, counts = np.unique(values, return_counts=True)
        self.counts = counts.astype(np.int64)
        self.below = np.concatenate([[0], np.cumsum(self.counts)])     # (n_distinct + 1,)
        self.tie_term = float(np.sum(self.counts.astype(np.float64) ** 3 - self.counts))

    def u_and_ties(self, other: _SortedSample) -> tuple[float, float]:
        """U of this sample against ``other`` (pairs x > y, ties counted one half) and the tie
        term sum(t^3 - t) of the two samples pooled."""
        lo = np.searchsorted(other.values, self.values, side="left")
        hi = np.searchsorted(other.values, self.values, side="right")
        twice_u = int(np.dot(self.counts, other.below[lo] + other.below[hi]))
        shared = hi > lo
        ta, tb = self.counts[shared].astype(np.float64), other.counts[lo[shared]].astype(np.float64)
        # (ta + tb)^3 - (ta + tb) = (ta^3 - ta) + (tb^3 - tb) + 3 ta tb (ta + tb) per shared value
        return twice_u / 2, self.tie_term + other.tie_term + float(np.sum(3.0 * ta * tb * (ta + tb)))


def _mann_whitney(a: _SortedSample, b: _SortedSample, raw_a: np.ndarray, raw_b: np.ndarray) -> tuple[float, float]:
    """Two-sided Mann-Whitney U of ``a`` against ``b`` as scipy.stats.mannwhitneyu computes it
    (method "auto": the asymptotic normal with tie and continuity correction when both samples
    hold more than 8 values or there are ties, else scipy's exact distribution)."""
    u1, tie_term = a.u_and_ties(b)
    n1, n2 = a.size, b.size
    has_ties = tie_term > 0
    if (n1 <= 8 or n2 <= 8) and not has_ties:
        res = _st.mannwhitneyu(raw_a, raw_b, alternative="two-sided")
        return float(res.statistic), float(res.pvalue)
    n = n1 + n2
    s = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (max(u1, n1 * n2 - u1) - n1 * n2 / 2 - 0.5) / s
    return u1, float(np.clip(2 * _special.ndtr(-z), 0.0, 1.0))


def draw_pairs(n: int, max_pairs: int | None, generator=None) -> np.ndarray:
    """Pairs (i, j), i < j, of n items: all n(n-1)/2 in row-major order, or (max_pairs an int
    below that) max_pairs distinct pairs drawn uniformly without replacement, sorted.

    Returns an int array of shape (n_pairs, 2).
    """
    total = n * (n - 1) // 2
    if max_pairs is None or max_pairs >= total:
        return np.array(list(combinations(range(n), 2)), dtype=int).reshape(-1, 2)
    flat = np.sort(_rng(generator).choice(total, size=max_pairs, replace=False))
    # decode the index of pair (i, j), i < j, in the row-major upper triangle
    starts = np.array([i * n - i * (i + 1) // 2 for i in range(n)])
    i = np.searchsorted(starts, flat, side="right") - 1
    return np.stack([i, flat - starts[i] + i + 1], axis=1)


def pairwise_tests(groups, max_pairs: int | None = None, generator=None) -> pd.DataFrame:
    """Two-sample t-test and Mann-Whitney U test over pairs of samples.

    The paper's single p-value per data set corresponds to ``df[["t_p", "u_p"]].mean()``.
    Both tests give scipy's values (``ttest_ind(equal_var=True)``, ``mannwhitneyu(
    alternative="two-sided")``) to floating-point rounding, computed faster for many pairs:
    each sample's mean and variance once, and each sample sorted once, so a pair's U statistic
    and tie correction come from binary searches (O(m log m) per pair, no ranking of the pooled
    pair); memory O(n m).

    Parameters
    ----------
    groups : sequence of array_like or numpy.ndarray, shape (n, n_values)
        n >= 2 samples (a list of 1-D arrays, or a 2-D array), each of >= 2 finite values.
    max_pairs : int, optional
        None tests all n(n-1)/2 pairs; an int >= 1 draws that many distinct pairs uniformly
        without replacement (all pairs if it is at least n(n-1)/2).
    generator : None, int or numpy.random.Generator, optional
        Seed or generator of the draw of pairs.

    Returns
    -------
    pandas.DataFrame
        One row per pair, sorted by (i, j): columns i, j, t_stat, t_p (Student, pooled
        variance, two-sided), u_stat, u_p (Mann-Whitney U of group i, two-sided).

    Raises
    ------
    ValueError
        For fewer than 2 samples, a sample with fewer than 2 values or a NaN / inf, max_pairs
        neither None nor an integer >= 1, or (when pairs are drawn) a generator that is not
        None, an int or a numpy Generator.
    """
    gs = _as_groups(groups)
    n = len(gs)
    if max_pairs is not None:
        max_pairs = check_int("max_pairs", max_pairs, low=1)
    pairs = draw_pairs(n, max_pairs, generator)
    i, j = pairs[:, 0], pairs[:, 1]
    sizes = np.array([g.size for g in gs], dtype=np.float64)
    means = np.array([g.mean() for g in gs])
    variances = np.array([g.var(ddof=1) for g in gs])
    dof = sizes[i] + sizes[j] - 2
    pooled = ((sizes[i] - 1) * variances[i] + (sizes[j] - 1) * variances[j]) / dof
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = (means[i] - means[j]) / np.sqrt(pooled * (1 / sizes[i] + 1 / sizes[j]))
    t_p = 2 * _st.t.sf(np.abs(t_stat), dof)
    sorted_samples: dict[int, _SortedSample] = {}

    def prepared(k: int) -> _SortedSample:
        if k not in sorted_samples:
            sorted_samples[k] = _SortedSample(gs[k])
        return sorted_samples[k]

    uu = np.array([_mann_whitney(prepared(a), prepared(b), gs[a], gs[b]) for a, b in pairs]).reshape(-1, 2)
    return pd.DataFrame({"i": i, "j": j, "t_stat": t_stat, "t_p": t_p, "u_stat": uu[:, 0], "u_p": uu[:, 1]})


def anova(groups) -> float:
    """One-way ANOVA p-value (scipy.stats.f_oneway) that all samples share one mean.

    Parameters
    ----------
    groups : sequence of array_like or numpy.ndarray, shape (n, n_values)
        n >= 2 samples (a list of 1-D arrays, or a 2-D array), each of >= 2 finite values.

    Returns
    -------
    float
        The p-value.

    Raises
    ------
    ValueError
        For fewer than 2 samples, or a sample with fewer than 2 values or a NaN / inf.
    """
    gs = _as_groups(groups)
    return float(_st.f_oneway(*gs).pvalue)


# --------------------------------------------------------------------------- intervals
def _interval(values: np.ndarray, level: float, method: str, rng, n_boot: int) -> tuple[float, float, float]:
    est = float(values.mean())
    n = values.size
    if method == "t":
        if n < 2:
            return est, float("nan"), float("nan")
        half = _st.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
        return est, float(est - half), float(est + half)
    idx = rng.integers(0, n, size=(n_boot, n))
    means = values[idx].mean(axis=1)
    lo, hi = np.quantile(means, [0.5 - level / 2, 0.5 + level / 2])
    return est, float(lo), float(hi)


def _check_method(method) -> str:
    if method not in ("t", "bootstrap"):
        raise ValueError(f"method must be 't' or 'bootstrap', got {method!r}")
    return method


def quantile_cis(samples_per_image, qs: Sequence[float] = (15, 25, 75, 85), level: float = 0.95, *,
                 method: str = "t", n_boot: int = 2000, generator=None) -> pd.DataFrame:
    """Confidence intervals across images for percentiles, mean and median (AXAI Table 2).

    Each image gives one value of each statistic; the interval is for the mean of those
    per-image values.

    Parameters
    ----------
    samples_per_image : sequence of array_like or numpy.ndarray, shape (n_images, n_values)
        n_images >= 2 samples (a list of 1-D arrays, or a 2-D array), each of >= 2 finite values.
    qs : sequence of float, default (15, 25, 75, 85)
        Percentiles in [0, 100] (numpy's linear interpolation).
    level : float, default 0.95
        Confidence level, in the open interval (0, 1).
    method : {"t", "bootstrap"}, default "t"
        ``"t"``: Student t-interval of the mean of the per-image statistic; ``"bootstrap"``:
        percentile bootstrap over images.
    n_boot : int, default 2000
        Bootstrap resamples, >= 1.
    generator : None, int or numpy.random.Generator, optional
        Seed or generator of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Indexed by statistic (index name ``statistic``) in the paper's order (q15, q25, mean,
        median, q75, q85 for the default qs: percentiles below 50, mean, median, the others)
        with columns estimate (mean over images), low, high, n_images.

    Raises
    ------
    ValueError
        For fewer than 2 samples or a bad sample, level outside (0, 1), an unknown method,
        percentiles outside [0, 100], n_boot not an integer >= 1, or a bad generator.
    """
    gs = _as_groups(samples_per_image, "samples_per_image")
    level = _check_level(level)
    method = _check_method(method)
    try:
        qs = [float(q) for q in qs]
    except (TypeError, ValueError):
        raise ValueError(f"qs must be percentiles in [0, 100], got {qs!r}") from None
    if any(not 0 <= q <= 100 for q in qs):
        raise ValueError(f"qs must be percentiles in [0, 100], got {qs}")
    n_boot = check_int("n_boot", n_boot, low=1)
    per_image = {f"q{q:g}": np.array([np.percentile(g, q) for g in gs]) for q in qs}
    per_image["mean"] = np.array([g.mean() for g in gs])
    per_image["median"] = np.array([np.median(g) for g in gs])
    lower = [f"q{q:g}" for q in qs if q < 50]
    upper = [f"q{q:g}" for q in qs if q >= 50]
    order = lower + ["mean", "median"] + upper
    rng = _rng(generator)
    rows = {name: _interval(per_image[name], level, method, rng, n_boot) for name in order}
    df = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "low", "high"])
    df["n_images"] = len(gs)
    df.index.name = "statistic"
    return df


def beta_fit_moments(samples, *, rescale="minmax") -> tuple[float, float]:
    """Method-of-moments shape parameters (p, q) of a beta distribution (appendix C.3).

    With m the mean and s^2 the unbiased variance of the rescaled values:
    p = m (m (1 - m) / s^2 - 1), q = (1 - m) (m (1 - m) / s^2 - 1).

    Parameters
    ----------
    samples : array_like, shape (n,)
        One sample of n >= 2 finite values.
    rescale : "minmax" or (float, float), default "minmax"
        ``"minmax"``: map [min, max] of the sample to [0, 1]; a pair (a, b) with a < b: the
        known support (e.g. (-eps, eps)), mapped by x' = (x - a) / (b - a); values outside it
        are an error.

    Returns
    -------
    p, q : float
        Negative if s^2 >= m (1 - m): no beta distribution has those moments.

    Raises
    ------
    ValueError
        For a bad sample, a rescale that is neither "minmax" nor a pair of numbers, values
        outside (a, b), or an empty rescaling interval (a constant sample).
    """
    arr = _as_1d(samples)
    if isinstance(rescale, str):
        if rescale != "minmax":
            raise ValueError(f"rescale must be 'minmax' or a pair (a, b) with a < b, got {rescale!r}")
        a, b = float(arr.min()), float(arr.max())
    else:
        try:
            a, b = (float(v) for v in rescale)
        except (TypeError, ValueError):
            raise ValueError(f"rescale must be 'minmax' or a pair (a, b) with a < b, got {rescale!r}") from None
        if arr.min() < a or arr.max() > b:
            raise ValueError(f"samples must lie inside rescale=({a}, {b})")
    if not a < b:
        raise ValueError("samples must not be constant (the rescaling interval is empty)")
    z = (arr - a) / (b - a)
    m, s2 = z.mean(), z.var(ddof=1)
    common = m * (1 - m) / s2 - 1
    return float(m * common), float((1 - m) * common)


def beta_fit_cis(samples_per_image, level: float = 0.95, *, rescale="minmax", method: str = "t",
                 n_boot: int = 2000, generator=None) -> pd.DataFrame:
    """Confidence intervals across images for the beta shape parameters (AXAI Table 3).

    Fits :func:`beta_fit_moments` to every image, then an interval for the mean of the
    per-image p and q.

    Parameters
    ----------
    samples_per_image : sequence of array_like or numpy.ndarray, shape (n_images, n_values)
        n_images >= 2 samples (a list of 1-D arrays, or a 2-D array), each of >= 2 finite values.
    level : float, default 0.95
        Confidence level, in the open interval (0, 1).
    rescale : "minmax" or (float, float), default "minmax"
        As in :func:`beta_fit_moments`.
    method : {"t", "bootstrap"}, default "t"
        As in :func:`quantile_cis`.
    n_boot : int, default 2000
        Bootstrap resamples, >= 1.
    generator : None, int or numpy.random.Generator, optional
        Seed or generator of the bootstrap.

    Returns
    -------
    pandas.DataFrame
        Indexed by p, q (index name ``parameter``) with columns estimate, low, high, n_images.

    Raises
    ------
    ValueError
        As :func:`quantile_cis` and :func:`beta_fit_moments` do.
    """
    gs = _as_groups(samples_per_image, "samples_per_image")
    level = _check_level(level)
    method = _check_method(method)
    n_boot = check_int("n_boot", n_boot, low=1)
    fits = np.array([beta_fit_moments(g, rescale=rescale) for g in gs])
    rng = _rng(generator)
    rows = {"p": _interval(fits[:, 0], level, method, rng, n_boot),
            "q": _interval(fits[:, 1], level, method, rng, n_boot)}
    df = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "low", "high"])
    df["n_images"] = len(gs)
    df.index.name = "parameter"
    return df
