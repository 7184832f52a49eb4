"""The bootstrap intervals that decide verdicts are calibrated: measured coverage on data whose
mean is known, for the expanded percentile interval (the default) and the plain percentile
interval it replaces (too narrow at small n)."""
import numpy as np
import pytest
from scipy import stats

from axlib.intervals import bootstrap_ci, bootstrap_tail


def _coverage(method: str, n: int, reps: int = 1000, n_boot: int = 500) -> float:
    """Share of ``reps`` samples of n standard-normal values whose 95 % interval of the mean
    contains 0."""
    rng = np.random.default_rng(2026)
    hits = 0
    for r in range(reps):
        _, low, high = bootstrap_ci(np.mean, rng.normal(size=n), n_boot=n_boot, seed=r, method=method)
        hits += low <= 0.0 <= high
    return hits / reps


def test_expanded_interval_covers_at_small_n_where_the_percentile_interval_does_not():
    """n = 6 normal values, 1,000 samples (binomial standard error of a coverage near 0.95:
    0.007): the plain percentile interval covers 0.872 of them, the expanded one 0.938."""
    percentile, expanded = _coverage("percentile", 6), _coverage("expanded", 6)
    assert percentile < 0.91, percentile
    assert expanded >= 0.93, expanded


def test_below_six_units_no_resampled_interval_reaches_95_percent():
    """The documented limit: an interval read from resamples stays inside the sample's range, so
    for the mean of 3 symmetric values it covers at most 1 - 2 ** -2 = 0.75; the expanded
    interval reads the whole resampled range there and reaches that bound, no more."""
    assert 0.72 <= _coverage("expanded", 3) <= 0.78


def test_expanded_tail_matches_students_t_and_tends_to_the_percentile_tail():
    assert bootstrap_tail(10, method="percentile") == pytest.approx(0.025)
    assert bootstrap_tail(10) == pytest.approx(0.0085506, rel=1e-4)   # Phi(-sqrt(10/9) * 2.2622), by hand
    # the tail at which a normal quantile times sqrt((n-1)/n) equals t's 97.5 % quantile (resample's ExpandProbs)
    for n in (2, 5, 10, 48):
        z = stats.norm.ppf(bootstrap_tail(n))
        assert -z * np.sqrt((n - 1) / n) == pytest.approx(stats.t.ppf(0.975, n - 1))
    tails = [bootstrap_tail(n) for n in (2, 5, 10, 20, 48, 250, 10_000)]
    assert all(a < b for a, b in zip(tails, tails[1:])) and tails[-1] == pytest.approx(0.025, abs=1e-4)
    assert bootstrap_tail(1) == 0.0
    assert bootstrap_tail(10, level=0.99) < bootstrap_tail(10, level=0.95)


def test_expanded_interval_is_close_to_the_t_interval_on_normal_data():
    x = np.random.default_rng(3).normal(size=10)
    value, low, high = bootstrap_ci(np.mean, x, n_boot=4000)
    half_t = stats.t.ppf(0.975, 9) * x.std(ddof=1) / np.sqrt(10)
    assert value == pytest.approx(x.mean())
    assert (high - low) / (2 * half_t) == pytest.approx(1.0, abs=0.15)
    _, p_low, p_high = bootstrap_ci(np.mean, x, n_boot=4000, method="percentile")
    assert p_high - p_low < 0.85 * (high - low)     # the percentile interval is the narrower


@pytest.mark.parametrize("bad", [{"method": "bca"}, {"method": None}])
def test_unknown_bootstrap_method_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="method must be one of"):
        bootstrap_ci(np.mean, np.arange(5.0), **bad)


@pytest.mark.parametrize("bad, match", [({"n": 0}, "n must be"), ({"n": 5, "level": 1.0}, "level must be")])
def test_bad_tail_arguments_are_refused_by_name(bad, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_tail(**bad)
