"""Tests of axlib.stats against scipy and known distributions."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from axlib import stats


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(0)


def test_skewness_matches_scipy(rng):
    x = rng.gamma(2.0, size=5000)
    assert stats.skewness(x) == pytest.approx(st.skew(x, bias=True), rel=1e-10)
    assert stats.skewness(x) > 1  # gamma(2) is right-skewed (g1 = sqrt(2))
    m = rng.normal(size=(6, 400)) ** 3
    np.testing.assert_allclose(stats.skewness(m), st.skew(m, axis=1, bias=True), rtol=1e-10)
    ragged = [rng.normal(size=n) for n in (50, 80, 120)]
    np.testing.assert_allclose(stats.skewness(ragged), [st.skew(r, bias=True) for r in ragged], rtol=1e-10)
    assert stats.skewness([1.0, 2.0, 3.0]) == 0.0
    assert stats.skewness([2.0, 2.0, 2.0]) == 0.0  # constant: defined as symmetric


def test_share_outside():
    assert stats.share_outside([-0.6, -0.5, 0.0, 0.5, 0.7]) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="values"):
        stats.share_outside([])


def test_qq_normal_is_diagonal(rng):
    x = rng.normal(size=4000)
    df = stats.qq_data(x)
    assert list(df.columns) == ["theoretical", "sample"] and len(df) == 4000
    assert np.all(np.diff(df["sample"]) >= 0) and np.all(np.diff(df["theoretical"]) > 0)
    mid = df.iloc[40:-40]  # central 98 %
    assert np.max(np.abs(mid["sample"] - mid["theoretical"])) < 0.1
    assert df.attrs["slope"] == pytest.approx(1.0, abs=0.05) and df.attrs["r"] > 0.999
    # a heavy-tailed sample bends away from the line in the tails
    t = stats.qq_data(rng.standard_t(3, size=4000), standardize=True)
    assert t["sample"].iloc[-1] > t["theoretical"].iloc[-1] and t["sample"].iloc[0] < t["theoretical"].iloc[0]
    small = stats.qq_data(x, n_points=101)
    assert len(small) == 101 and small["sample"].iloc[0] == df["sample"].iloc[0]


def test_pairwise_tests_match_scipy(rng):
    groups = [rng.normal(loc, 1.0, size=300) for loc in (0.0, 0.0, 0.5, 0.0)]
    df = stats.pairwise_tests(groups)
    assert isinstance(df, pd.DataFrame) and len(df) == 6
    assert list(df[["i", "j"]].itertuples(index=False, name=None)) == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    for row in df.itertuples():
        t = st.ttest_ind(groups[row.i], groups[row.j])
        u = st.mannwhitneyu(groups[row.i], groups[row.j], alternative="two-sided")
        assert row.t_p == pytest.approx(t.pvalue, rel=1e-9) and row.t_stat == pytest.approx(t.statistic, rel=1e-9)
        assert row.u_p == pytest.approx(u.pvalue, rel=1e-9) and row.u_stat == pytest.approx(u.statistic, rel=1e-9)
    shifted = df[(df.i == 2) | (df.j == 2)]
    assert (shifted.t_p < 1e-3).all() and (shifted.u_p < 1e-3).all()
    assert (df[(df.i != 2) & (df.j != 2)].t_p > 1e-3).all()
    ragged = [g[: 100 + 50 * i] for i, g in enumerate(groups)]
    df2 = stats.pairwise_tests(ragged)
    assert df2.t_p.iloc[0] == pytest.approx(st.ttest_ind(ragged[0], ragged[1]).pvalue, rel=1e-9)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")   # scipy, on the constant samples
@pytest.mark.parametrize("case", ["ties", "clipped", "small (exact)", "constant", "ragged"])
def test_pairwise_tests_equal_scipy_on_ties_and_small_samples(rng, case):
    """The sorted-sample U statistic and tie term are scipy's, pair by pair: rounded values
    (many ties), values clipped at a bound (one huge tie group per sample, as attack magnitudes
    at +-eps), samples of at most 8 values (scipy's exact distribution), constant samples."""
    groups = {"ties": [np.round(rng.normal(size=60), 1) for _ in range(4)],
              "clipped": [np.clip(rng.normal(size=500), -0.3, 0.3) for _ in range(4)],
              "small (exact)": [rng.normal(size=k) for k in (3, 5, 8, 9)],
              "constant": [np.full(10, 1.0), np.full(12, 1.0), rng.normal(size=10)],
              "ragged": [rng.normal(size=k) for k in (30, 31, 57)]}[case]
    df = stats.pairwise_tests(groups)
    for row in df.itertuples():
        t = st.ttest_ind(groups[row.i], groups[row.j])
        u = st.mannwhitneyu(groups[row.i], groups[row.j], alternative="two-sided")
        np.testing.assert_allclose([row.t_stat, row.t_p, row.u_stat, row.u_p],
                                   [t.statistic, t.pvalue, u.statistic, u.pvalue], rtol=1e-12, atol=0)


def test_draw_pairs_covers_all_pairs():
    all_pairs = stats.draw_pairs(5, None)
    assert [tuple(p) for p in all_pairs] == [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)]
    drawn = stats.draw_pairs(5, 10, 0)                          # all of them, by sampling
    assert {tuple(p) for p in drawn} == {tuple(p) for p in all_pairs}
    some = stats.draw_pairs(40, 50, np.random.default_rng(3))
    assert len({tuple(p) for p in some}) == 50 and (some[:, 0] < some[:, 1]).all() and some.max() < 40


def test_pairwise_sampling(rng):
    groups = rng.normal(size=(30, 50))
    a = stats.pairwise_tests(groups, max_pairs=40, generator=3)
    b = stats.pairwise_tests(groups, max_pairs=40, generator=3)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 40 and (a.i < a.j).all() and (a.j < 30).all()
    assert not a.duplicated(["i", "j"]).any()
    full = stats.pairwise_tests(groups)
    assert len(full) == 435
    merged = a.merge(full, on=["i", "j"], suffixes=("", "_full"))
    np.testing.assert_allclose(merged.t_p, merged.t_p_full)
    with pytest.raises(ValueError, match="max_pairs"):
        stats.pairwise_tests(groups, max_pairs=0)


def test_anova_matches_scipy(rng):
    groups = [rng.normal(0, 1, 200), rng.normal(0.1, 1, 250), rng.normal(0, 2, 150)]
    assert stats.anova(groups) == pytest.approx(st.f_oneway(*groups).pvalue, rel=1e-12)
    assert isinstance(stats.anova(groups), float)
    with pytest.raises(ValueError, match="groups"):
        stats.anova([groups[0]])


@pytest.mark.parametrize("method", ["t", "bootstrap"])
def test_quantile_cis_cover_truth(rng, method):
    samples = rng.normal(0.0, 1.0, size=(60, 2000))
    df = stats.quantile_cis(samples, method=method, generator=0)
    assert list(df.index) == ["q15", "q25", "mean", "median", "q75", "q85"]
    truth = {"q15": st.norm.ppf(0.15), "q25": st.norm.ppf(0.25), "mean": 0.0, "median": 0.0,
             "q75": st.norm.ppf(0.75), "q85": st.norm.ppf(0.85)}
    for name, value in truth.items():
        low, high = df.loc[name, ["low", "high"]]
        assert low < df.loc[name, "estimate"] < high
        assert low - 0.01 < value < high + 0.01  # within (a hair of) the interval
        assert high - low < 0.05
    assert (df.n_images == 60).all()


def test_quantile_cis_t_formula(rng):
    samples = rng.normal(size=(5, 100))
    df = stats.quantile_cis(samples, qs=(15,), level=0.9)
    per_image = np.percentile(samples, 15, axis=1)
    half = st.t.ppf(0.95, 4) * per_image.std(ddof=1) / np.sqrt(5)
    assert df.loc["q15", "estimate"] == pytest.approx(per_image.mean())
    assert df.loc["q15", "low"] == pytest.approx(per_image.mean() - half)
    with pytest.raises(ValueError, match="level"):
        stats.quantile_cis(samples, level=95)
    with pytest.raises(ValueError, match="qs"):
        stats.quantile_cis(samples, qs=(150,))


def test_beta_moments_recover_beta_11_11(rng):
    x = rng.beta(11, 11, size=200_000)
    p, q = stats.beta_fit_moments(x, rescale=(0.0, 1.0))
    assert p == pytest.approx(11, rel=0.03) and q == pytest.approx(11, rel=0.03)
    # a Beta(11, 11) on [-0.02, 0.02] (attack-magnitude scale), known support
    y = -0.02 + 0.04 * rng.beta(11, 11, size=200_000)
    p, q = stats.beta_fit_moments(y, rescale=(-0.02, 0.02))
    assert p == pytest.approx(11, rel=0.03) and q == pytest.approx(11, rel=0.03)
    # asymmetric shapes are recovered too
    p, q = stats.beta_fit_moments(rng.beta(2, 5, size=200_000), rescale=(0, 1))
    assert p == pytest.approx(2, rel=0.03) and q == pytest.approx(5, rel=0.03)
    # min-max rescaling of a bounded symmetric sample stays symmetric
    p, q = stats.beta_fit_moments(x)
    assert p == pytest.approx(q, rel=0.05)
    with pytest.raises(ValueError, match="rescale"):
        stats.beta_fit_moments(y, rescale=(0.0, 1.0))
    with pytest.raises(ValueError, match="rescale"):
        stats.beta_fit_moments(y, rescale="zscore")


def test_beta_fit_cis(rng):
    samples = rng.beta(11, 11, size=(40, 3000))
    df = stats.beta_fit_cis(samples, rescale=(0.0, 1.0))
    assert list(df.index) == ["p", "q"]
    for name in ("p", "q"):
        assert df.loc[name, "low"] < 11 < df.loc[name, "high"]
    boot = stats.beta_fit_cis(samples, rescale=(0.0, 1.0), method="bootstrap", generator=1)
    assert boot.loc["p", "estimate"] == pytest.approx(df.loc["p", "estimate"])
