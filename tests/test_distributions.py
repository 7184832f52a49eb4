"""Tests of axlib.papers.axai.distributions: attack magnitudes, pairwise p-values, tables, the page's records."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from axlib import stats
from axlib.papers.axai import distributions as dist
from axlib.papers.axai import paper


def _tiny_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 5)).eval()


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(7, 3, 8, 8, generator=g)


# --------------------------------------------------------------------------- attack_magnitudes
def test_attack_magnitudes_shape_bound_and_determinism(batch):
    model = _tiny_model()
    eps = 0.3
    d = dist.attack_magnitudes(model, batch, batch_size=3, eps=eps, step=0.05, steps=10, progress=False)
    assert d.shape == (7, 3 * 8 * 8) and d.dtype == torch.float32
    norms = d.norm(dim=1)
    assert bool((norms <= eps * (1 + 1e-5)).all())
    assert float(norms.max()) > 0.5 * eps                     # the attack did move the images
    assert bool(((batch.flatten(1) + d) >= -1e-6).all() and ((batch.flatten(1) + d) <= 1 + 1e-6).all())
    again = dist.attack_magnitudes(model, batch, batch_size=3, eps=eps, step=0.05, steps=10, progress=False)
    assert torch.equal(d, again)
    # batching does not change the result: each image is attacked on its own
    whole = dist.attack_magnitudes(model, batch, batch_size=7, eps=eps, step=0.05, steps=10, progress=False)
    torch.testing.assert_close(d, whole, rtol=1e-5, atol=1e-6)


def test_attack_magnitudes_target_and_linf(batch):
    model = _tiny_model()
    pred = model(batch).argmax(1)
    d_pred = dist.attack_magnitudes(model, batch, batch_size=4, eps=0.3, step=0.05, steps=5, progress=False)
    d_given = dist.attack_magnitudes(model, batch, batch_size=4, eps=0.3, step=0.05, steps=5, target=pred,
                                     progress=False)
    assert torch.equal(d_pred, d_given)                        # None means the model's own prediction
    other = (pred + 1) % 5
    d_other = dist.attack_magnitudes(model, batch, batch_size=4, eps=0.3, step=0.05, steps=5, target=other,
                                     progress=False)
    assert not torch.equal(d_pred, d_other)
    d_inf = dist.attack_magnitudes(model, batch, batch_size=4, eps=0.02, step=0.01, steps=5, norm="linf",
                                   progress=False)
    assert float(d_inf.abs().max()) <= 0.02 + 1e-6


def test_attack_magnitudes_rejects_bad_input(batch):
    model = _tiny_model()
    kw = dict(eps=0.3, step=0.05, steps=2, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        dist.attack_magnitudes(model, batch, batch_size=0, **kw)
    with pytest.raises(ValueError, match="target"):
        dist.attack_magnitudes(model, batch, batch_size=2, target=torch.zeros(3, dtype=torch.long), **kw)
    with pytest.raises(ValueError, match="x must lie"):
        dist.attack_magnitudes(model, batch * 2, batch_size=2, **kw)


# --------------------------------------------------------------------------- pairwise p-values
def test_pairwise_pvalues_are_the_stats_tests_on_image_rows():
    rng = np.random.default_rng(0)
    g = np.clip(rng.normal(scale=0.01, size=(6, 300)), -0.015, 0.015).astype(np.float32)   # ties at the clip
    g[5] += 0.005                                               # one image with another mean
    pairs = dist.pairwise_pvalues(torch.from_numpy(g))
    assert len(pairs) == 15
    pd.testing.assert_frame_equal(pairs, stats.pairwise_tests(g.astype(np.float64)))
    assert (pairs.loc[pairs.j == 5, "t_p"] < 1e-3).all()        # the shifted image is found
    sampled = dist.pairwise_pvalues(g, max_pairs=5, generator=0)
    assert len(sampled) == 5 and len(set(zip(sampled.i, sampled.j))) == 5
    assert (sampled.i < sampled.j).all() and sampled.j.max() <= 5
    with pytest.raises(ValueError, match="at least 2 images"):
        dist.pairwise_pvalues(g[:1])


def test_pvalue_summary():
    df = pd.DataFrame({"t_p": [0.01, 0.5, 0.9, 0.04], "u_p": [0.2, 0.3, 0.4, 0.5]})
    s = dist.pvalue_summary(df)
    assert s.loc["t", "rejected"] == pytest.approx(0.5) and s.loc["u", "rejected"] == 0
    assert s.loc["t", "mean"] == pytest.approx(0.3625) and s.loc["u", "median"] == pytest.approx(0.35)
    assert s.loc["t", "pairs"] == 4


# --------------------------------------------------------------------------- shape, support
def test_shape_summary_tells_normal_from_heavy_tails():
    rng = np.random.default_rng(1)
    normal = rng.normal(size=(3, 20000))
    heavy = rng.standard_t(4, size=(3, 20000))
    skewed = rng.gamma(2.0, size=(1, 20000))
    s = dist.shape_summary(np.vstack([normal, heavy, skewed]))
    assert list(s.columns) == ["mean", "std", "skewness", "excess_kurtosis", "qq_r", "qq_r_middle", "max_abs",
                               "zeros"]
    assert (s.excess_kurtosis[:3].abs() < 0.2).all() and (s.excess_kurtosis[3:6] > 1).all()
    assert (s.qq_r[:3] > 0.999).all()
    assert (s.qq_r[3:6] < s.qq_r_middle[3:6]).all()             # heavy tails bend the ends, not the middle
    spike = np.concatenate([np.zeros(8000), rng.normal(size=12000)])  # 40 % exactly 0: a bent middle
    assert dist.shape_summary(spike[None])["qq_r_middle"][0] < 0.98
    assert s.skewness[6] > 1 and (s.skewness[:6].abs() < 0.2).all()
    z = dist.shape_summary(np.array([[0.0, 0.0, 1.0, -1.0]]))
    assert z.zeros[0] == 0.5


def test_fixed_support():
    assert dist.fixed_support(np.array([[0.1, -0.3], [0.2, 0.05]])) == (-0.3, 0.3)
    with pytest.raises(ValueError, match="all zero"):
        dist.fixed_support(np.zeros((2, 3)))


def test_load_images_embedded_only_caps_instead_of_downloading():
    """Page 02 downloads beyond the shipped images; page 03 (embedded_only) takes the shipped ones."""
    from axlib.data.cifar import cifar10_test

    x, y, classes = dist.load_images("cifar10", 5)
    assert torch.equal(x, cifar10_test(5)[0]) and torch.equal(y, cifar10_test(5)[1]) and len(classes) == 10
    capped, labels, _ = dist.load_images("cifar10", 2500, embedded_only=True)
    assert len(capped) == dist.EMBEDDED_IMAGES["cifar10"] and torch.equal(capped[:5], x) and torch.equal(labels[:5], y)
    with pytest.raises(ValueError, match="dataset"):
        dist.load_images("mnist", 5)


# --------------------------------------------------------------------------- tables
def test_paper_values_match_the_seeds():
    assert paper.SKEW_SHARE["cifar10"].value == 0.009 and paper.SKEW_SHARE["imagenet"].value == 0.019
    assert {t: q.value for t, q in paper.PVALUES["cifar10"].items()} == {"t": 0.70, "u": 0.58}
    assert {t: q.value for t, q in paper.PVALUES["imagenet"].items()} == {"t": 0.64, "u": 0.55}
    assert {ds: q.value for ds, q in paper.ANOVA.items()} == {"cifar10": 0.9, "imagenet": 0.94}
    assert paper.BETA["cifar10"]["p"] == (11.24, 11.32)
    assert paper.QUANTILES["cifar10"]["q85"] == (1.809e-02, 1.812e-02)
    assert paper.QUANTILES["imagenet"]["q25"] == (-1.015e-03, -1.101e-03)     # printed with low > high
    assert paper.sci_interval("(1.306e + 02, 1.329e + 02)") == (130.6, 132.9)
    with pytest.raises(ValueError, match="printed"):
        paper.sci_interval("1.306e + 02")




def test_table1_and_table2_put_paper_beside_ours():
    rng = np.random.default_rng(2)
    g = rng.normal(scale=0.01, size=(20, 500))
    summaries = {"cifar10": dist.pvalue_summary(dist.pairwise_pvalues(g))}
    t1 = dist.table1(summaries)
    assert t1.loc[("CIFAR-10", "t-test"), "paper"] == 0.70
    assert t1.loc[("CIFAR-10", "Mann-Whitney U"), "pairs"] == 190
    t2 = dist.table2({"imagenet": stats.quantile_cis(g)})
    assert list(t2.index) == list(dist.STAT_ORDER)
    assert t2.loc["q15", ("ImageNet", "paper", "low")] == -1.785e-03
    assert t2.loc["q15", ("ImageNet", "ours", "low")] < t2.loc["q15", ("ImageNet", "ours", "high")] < 0
    with pytest.raises(ValueError, match="dataset"):
        dist.table1({"mnist": summaries["cifar10"]})
    with pytest.raises(ValueError, match="lacks"):
        dist.table2({"cifar10": stats.quantile_cis(g, qs=(10, 90))})


def test_table2_forest_plot_draws_ours_beside_the_papers():
    g = np.random.default_rng(2).normal(scale=0.01, size=(20, 500))
    t2 = dist.table2({"cifar10": stats.quantile_cis(g), "imagenet": stats.quantile_cis(g)})
    fig = dist.plot_table2(t2)
    axes = fig.get_axes()
    assert len(axes) == 4 and "CIFAR-10: ours" in axes[0].get_title() and "paper" in axes[1].get_title()
    segments = axes[1].collections[0].get_segments()       # the paper's six intervals, q15 on top
    assert len(segments) == 6 and segments[0][0][0] == t2.loc["q15", ("CIFAR-10", "paper", "low")]


def test_table3():
    rng = np.random.default_rng(3)
    g = rng.normal(scale=0.01, size=(10, 400))
    fits = {("cifar10", "min-max"): stats.beta_fit_cis(g)}
    t3 = dist.table3(fits)
    assert t3.loc[("CIFAR-10", "min-max", "q"), "paper high"] == 11.45
    assert t3.loc[("CIFAR-10", "min-max", "p"), "low"] < t3.loc[("CIFAR-10", "min-max", "p"), "high"]


def test_quantile_shape():
    normal = {"q15": -1.0364, "q25": -0.6745, "mean": 0.0, "median": 0.0, "q75": 0.6745, "q85": 1.0364}
    s = dist.quantile_shape(normal)
    assert s["sym85"] == pytest.approx(1) and s["sym75"] == pytest.approx(1)
    assert s["tail"] == pytest.approx(1.5365, abs=1e-3) and s["centre"] == 0
    shifted = {k: v + 0.2 for k, v in normal.items()}
    assert dist.quantile_shape(shifted)["sym85"] > 1.4     # shifted right: q85 grows, -q15 shrinks
    with pytest.raises(ValueError, match="q75"):
        dist.quantile_shape({**normal, "q75": -1.0})


def test_figures_are_built():
    rng = np.random.default_rng(5)
    g = rng.normal(scale=0.01, size=(4, 3 * 8 * 8))
    image = torch.rand(3, 8, 8)
    figs = [
        dist.plot_magnitudes([("a", image, g[0]), ("b", image, g[1])]),
        dist.plot_skewness({"A": stats.skewness(g), "B": stats.skewness(g)}),
        dist.plot_qq({"A": g[:2]}, n_points=50),
        dist.plot_pvalues({"cifar10": dist.pairwise_pvalues(g)}, {"cifar10": {"t": 0.7, "u": 0.58}}),
        dist.plot_beta_fit(g[0], {"min-max": "minmax", "fixed": dist.fixed_support(g)}),
    ]
    assert all(isinstance(f, Figure) for f in figs)
    assert len(figs[0].axes) == 2 * 3 + 2                      # two rows of three panels, two colour bars
    assert len(figs[1].axes) == 2


# --------------------------------------------------------------------------- the page's tables and records
def test_page_tables_and_records():
    rng = np.random.default_rng(6)
    deltas = {"cifar10": rng.laplace(scale=0.01, size=(8, 400)), "imagenet": rng.laplace(scale=0.002, size=(6, 500))}
    shapes = {ds: dist.shape_summary(d) for ds, d in deltas.items()}
    models = {"cifar10": "m1", "imagenet": "m2"}
    assert list(dist.skew_table(shapes).index) == ["CIFAR-10", "ImageNet"]
    assert dist.skew_table(shapes).loc["CIFAR-10", "paper"] == 0.009
    for records in (dist.skew_records(shapes, models), dist.qq_records(shapes)):
        assert [r["claim"].rsplit(".", 1)[1] for r in records] == ["cifar10", "imagenet"]
    assert all(r["estimate"].value == 1.0 for r in dist.qq_records(shapes))     # every image heavy-tailed
    skew = dist.skew_records(shapes, models)
    assert [(r["estimate"].value, r["estimate"].n) for r in skew] == [(0.0, 8), (0.0, 6)]  # symmetric
    assert dist.qq_table(shapes).shape == (2, 6)
    frames = dist.pairwise_all(deltas, max_pairs=None, pairs_cap=20, seed=0)
    assert len(frames["cifar10"]) == 20 and len(frames["imagenet"]) == 15  # capped, all
    pairwise = dist.pairwise_records(frames, deltas)
    assert [r["claim"] for r in pairwise] == [
        "axai.ttest.cifar10", "axai.mannwhitney.cifar10", "axai.ttest.imagenet", "axai.mannwhitney.imagenet"]
    assert [r["estimate"].n for r in pairwise] == [8, 8, 6, 6]
    unclipped = dist.unclipped_images(shapes)
    anova = dist.anova_table(deltas, unclipped)
    assert anova.loc["imagenet", "paper"] == 0.94 and anova.loc["cifar10", "images"] == 8
    assert [r["claim"] for r in dist.anova_records(anova)] == ["axai.anova.cifar10", "axai.anova.imagenet"]
    data = {ds: {"x": torch.rand(len(d), 3, 4, 4)} for ds, d in deltas.items()}
    assert dist.clipping_table(data, shapes, deltas, frames, unclipped).shape == (2, 6)
    cis = {ds: stats.quantile_cis(d) for ds, d in deltas.items()}
    assert dist.shape_table(cis).shape == (4, 4)
    quantiles = dist.quantile_records(cis, deltas)[0]
    assert quantiles["claim"] == "axai.quantiles.cifar10" and quantiles["estimate"]["q85 / -q15"].n == 8
    fits = dist.beta_fits(deltas)
    assert len(fits) == 4
    records, verdicts = dist.beta_records(fits, deltas)
    assert [r["claim"] for r in records] == ["axai.beta.cifar10", "axai.beta.imagenet"]
    assert set(records[0]["estimate"]) == {"|p - q| / mean", "p / paper", "q / paper"}
    assert list(verdicts.index) == ["CIFAR-10", "ImageNet"] and "min-max" in verdicts.columns
    assert dist.beta_growth(deltas).index.names == ["data set", "images"]
