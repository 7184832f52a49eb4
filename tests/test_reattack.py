"""Tests of axlib.papers.axai.reattack (AXAI section 3.3, Fig. 4 and Table 4).

The main fixture is a linear two-class "model" on 1x10x10 images whose PGD has a closed form:
with logits (0, w.(x - 0.5)) and label 0, every L2 PGD step moves along the masked weights,
so the (masked) attack ends at delta = eps * w_m / ||w_m|| and raises the logit gap by
eps * ||w_m||. An image with margin m flips when eps * ||w_m|| > m. The tails of the full
attack's X_diff (proportional to w) are the largest |w|, computed here with numpy's
percentiles, independently of axlib.explain.tail_mask.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from axlib.papers.axai import reattack
from axlib.papers.axai.reattack import (
    band_accuracy,
    band_attack,
    band_masks,
    flip_threshold,
    full_attack,
    mean_alpha_bounds,
)

torch.set_num_threads(1)

EPS = 0.3
STEPS = 20
STEP = 2.5 * EPS / STEPS
ALPHAS = (1, 2, 5, 10, 20, 30, 50)


class Linear2(nn.Module):
    """logits = (0, w . (x - 0.5)): class 0 while w . (x - 0.5) < 0."""

    def __init__(self, w: torch.Tensor):
        super().__init__()
        self.register_buffer("w", w.flatten().clone())

    def forward(self, x):
        s = (x.flatten(1) - 0.5) @ self.w
        return torch.stack([torch.zeros_like(s), s], dim=1)


def _weights():
    """50 distinct magnitudes 0.97^k, each once positive and once negative, shuffled."""
    mags = 0.97 ** torch.arange(50, dtype=torch.float64)
    w = torch.cat([mags, -mags])[torch.randperm(100, generator=torch.Generator().manual_seed(0))]
    return w.float()


def _tail_norm(w: np.ndarray, alpha: float) -> float:
    """||w restricted to the alpha% tails of w's distribution|| (numpy percentiles); 50 = all."""
    if alpha >= 50:
        return float(np.linalg.norm(w))
    lo, hi = np.percentile(w, alpha), np.percentile(w, 100 - alpha)
    m = ((w <= lo) & (w < 0)) | ((w >= hi) & (w > 0))
    return float(np.linalg.norm(w[m]))


def _images(w: torch.Tensor, margins) -> torch.Tensor:
    """Images x = 0.5 - (m / ||w||^2) w, so that w . (x - 0.5) = -m (class 0, margin m)."""
    m = torch.tensor(margins, dtype=torch.float64).view(-1, 1)
    wd = w.double().view(1, -1)
    x = 0.5 - m / (wd.norm() ** 2) * wd
    return x.float().view(-1, 1, 10, 10)


@pytest.fixture(scope="module")
def toy():
    w = _weights()
    norms = [_tail_norm(w.numpy().astype(np.float64), a) for a in ALPHAS]
    assert all(b > a * 1.05 for a, b in zip(norms, norms[1:])), "tail norms must grow along the grid"
    # one image per grid value, margin halfway between the gains at the previous and this alpha
    margins, expected = [], []
    for j, alpha in enumerate(ALPHAS):
        below = EPS * norms[j - 1] if j else 0.0
        margins.append(0.5 * (below + EPS * norms[j]))
        expected.append(float(alpha))
    margins.append(1.5 * EPS * norms[-1])          # the full attack cannot flip it: not fooled
    expected.append(math.nan)
    x = _images(w, margins)
    x = torch.cat([x, _images(w, [-0.2])])           # misclassified clean (class 1): not fooled
    expected.append(math.nan)
    y = torch.zeros(x.shape[0], dtype=torch.long)
    model = Linear2(w).eval()
    assert x.min() >= 0 and x.max() <= 1
    return model, x, y, torch.tensor(expected), w, norms


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool(torch.equal(a.isnan(), b.isnan()) and torch.equal(a[~a.isnan()], b[~b.isnan()]))


# --------------------------------------------------------------------------- flip_threshold
def test_full_attack_fools_exactly_the_flippable(toy):
    model, x, y, expected, _, _ = toy
    delta, fooled = full_attack(model, x, y, eps=EPS, step=STEP, steps=STEPS)
    assert fooled.tolist() == (~expected.isnan()).tolist()
    assert torch.all(delta.flatten(1).norm(dim=1) <= EPS * (1 + 1e-5))


def test_flip_threshold_is_the_smallest_flipping_alpha(toy):
    model, x, y, expected, _, _ = toy
    got = flip_threshold(model, x, y, alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS, batch_size=3)
    assert got.shape == (x.shape[0],) and got.dtype == torch.float32
    assert _same(got, expected), f"got {got.tolist()}, expected {expected.tolist()}"


def test_flip_threshold_nan_when_grid_stops_early(toy):
    model, x, y, expected, _, _ = toy
    grid = ALPHAS[:3]
    got = flip_threshold(model, x, y, alphas=grid, eps=EPS, step=STEP, steps=STEPS)
    want = torch.where(expected <= grid[-1], expected, torch.full_like(expected, math.nan))
    assert _same(got, want)
    assert got.isnan().sum() == x.shape[0] - len(grid)


def test_flip_threshold_restrict_method(toy):
    """restrict: x + mask * X_diff raises the gap by eps * ||w_m||^2 / ||w||."""
    model, x, y, _, w, norms = toy
    full = norms[-1]
    gains = [EPS * n ** 2 / full for n in norms]
    margins = [0.5 * ((gains[j - 1] if j else 0.0) + gains[j]) for j in range(len(ALPHAS))]
    xr = _images(w, margins)
    yr = torch.zeros(len(margins), dtype=torch.long)
    got = flip_threshold(model, xr, yr, alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS, method="restrict")
    assert got.tolist() == [float(a) for a in ALPHAS]


def test_flip_threshold_scaled_method(toy):
    """scaled: masked PGD with eps * sqrt(2 alpha / 100) raises the gap by that times ||w_m||."""
    model, x, y, _, w, norms = toy
    gains = [EPS * math.sqrt(min(2 * a / 100, 1)) * n for a, n in zip(ALPHAS, norms)]
    assert all(b > a * 1.05 for a, b in zip(gains, gains[1:]))
    margins = [0.5 * ((gains[j - 1] if j else 0.0) + gains[j]) for j in range(len(ALPHAS))]
    xs = _images(w, margins)
    ys = torch.zeros(len(margins), dtype=torch.long)
    got = flip_threshold(model, xs, ys, alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS, method="scaled")
    assert got.tolist() == [float(a) for a in ALPHAS]
    # the same images under the full-budget reading flip earlier (never later)
    full = flip_threshold(model, xs, ys, alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS, method="pgd")
    assert torch.all(full <= got) and torch.any(full < got)


def test_flip_threshold_reuses_full_attack_and_is_deterministic(toy):
    model, x, y, expected, _, _ = toy
    delta, fooled = full_attack(model, x, y, eps=EPS, step=STEP, steps=STEPS)
    a = flip_threshold(model, x, y, alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS, delta=delta,
                       fooled=fooled)
    b = flip_threshold(model, x, y, alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS)
    assert _same(a, b) and _same(a, expected)


def test_flip_threshold_deterministic_on_a_cnn():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 64, 3)).eval()
    x = torch.rand(12, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x).argmax(1)
    kw = dict(alphas=(1, 5, 15, 30, 50), eps=0.5, step=0.1, steps=10, batch_size=5)
    a, b = flip_threshold(model, x, y, **kw), flip_threshold(model, x, y, **kw)
    assert _same(a, b)
    assert not a.isnan().all()
    # fooled images flip at 50 at the latest (50 is the full attack itself)
    _, fooled = full_attack(model, x, y, eps=0.5, step=0.1, steps=10)
    assert torch.equal(~a.isnan(), fooled)


# --------------------------------------------------------------------------- bands
def test_band_masks_are_complementary():
    delta = torch.randn(4, 3, 6, 6, generator=torch.Generator().manual_seed(2))
    delta[0, 0, :2] = 0.0                             # exact zeros always land in the middle
    for band in reattack.PAPER_BANDS:
        inside, outside = band_masks(delta, band)
        assert inside.dtype == torch.bool and inside.shape == delta.shape
        assert torch.all(inside ^ outside)
        assert not outside[0, 0, :2].any()
    inside, outside = band_masks(delta, (15, 85))
    share = outside.flatten(1).float().mean(1)
    assert torch.all((share > 0.25) & (share < 0.35))  # about 2 x 15 % of the features


@pytest.mark.parametrize("method", reattack.METHODS)
def test_band_attack_respects_the_masks(toy, method):
    model, x, y, expected, _, _ = toy
    delta, fooled = full_attack(model, x, y, eps=EPS, step=STEP, steps=STEPS)
    inside, outside = band_masks(delta, (10, 90))
    for where, mask in (("inside", inside), ("outside", outside)):
        x_adv = band_attack(model, x, y, delta, (10, 90), where=where, method=method, eps=EPS, step=STEP,
                            steps=STEPS)
        change = x_adv - x
        assert torch.all(change[~mask] == 0), f"{where}: features outside the mask changed"
        assert torch.all(change.flatten(1).abs().sum(1) > 0), f"{where}: nothing attacked"
        assert torch.all(change.flatten(1).norm(dim=1) <= EPS * (1 + 1e-5))


def test_band_accuracy_tails_carry_the_attack():
    """w is large on 20 features (the 10 % tails, each side) and tiny elsewhere: attacking the
    middle band [10, 90] cannot flip anything, attacking the tails flips everything."""
    g = torch.Generator().manual_seed(3)
    w = 1e-3 * torch.where(torch.rand(100, generator=g) < 0.5, -1.0, 1.0)
    big = torch.randperm(100, generator=g)[:20]
    w[big[:10]], w[big[10:]] = -1.0, 1.0
    model = Linear2(w).eval()
    gain = EPS * float(w[big].norm())
    x = _images(w, [0.1 * gain, 0.2 * gain, 0.3 * gain])   # the "scaled" tails attack gains 0.45 gain
    y = torch.zeros(3, dtype=torch.long)
    for method in reattack.METHODS:
        table = band_accuracy(model, x, y, bands=[(10, 90)], eps=EPS, step=STEP, steps=STEPS, method=method)
        assert isinstance(table, pd.DataFrame)
        row = table.iloc[0]
        assert row.band == "10-90" and row.n == 3
        assert row.inside == 1.0 and row.outside == 0.0, (method, row.to_dict())
        assert math.isclose(row.inside_share + row.outside_share, 1.0)
        assert math.isclose(row.outside_share, 0.2)


def test_band_accuracy_populations(toy):
    model, x, y, expected, _, _ = toy
    kw = dict(bands=[(15, 85), (1, 99)], eps=EPS, step=STEP, steps=STEPS, method="restrict")
    fooled_table = band_accuracy(model, x, y, **kw)
    all_table = band_accuracy(model, x, y, population="all", **kw)
    n_fooled = int((~expected.isnan()).sum())
    assert fooled_table.n.tolist() == [n_fooled] * 2
    assert all_table.n.tolist() == [x.shape[0]] * 2
    assert list(fooled_table.band) == ["15-85", "1-99"]
    assert fooled_table[["inside", "outside"]].apply(lambda c: c.between(0, 1)).all().all()


# --------------------------------------------------------------------------- bounds
def test_mean_alpha_bounds():
    # everything flips between 5 and 10: the mean lies in [5, 10]
    assert mean_alpha_bounds([5, 10], [1.0, 0.0]) == (5.0, 10.0)
    # half never flips below 50 when the grid stops at 10
    assert mean_alpha_bounds([10], [0.5]) == (5.0, 30.0)
    low, high = mean_alpha_bounds([1, 5, 10, 15], [0.92, 0.45, 0.26, 0.16])  # AXAI Table 4, CIFAR-10
    assert low == pytest.approx(4.82) and high == pytest.approx(13.83)


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("kw,name", [
    (dict(alphas=()), "alphas"), (dict(alphas=(5, 1)), "alphas"), (dict(alphas=(0, 5)), "alphas"),
    (dict(alphas=(10, 60)), "alphas"), (dict(alphas="15"), "alphas"), (dict(eps=-1.0), "eps"),
    (dict(step=0.0), "step"), (dict(steps=0), "steps"), (dict(norm="l3"), "norm"),
    (dict(method="blur"), "method"), (dict(batch_size=0), "batch_size"),
    (dict(delta=torch.zeros(2, 1, 10, 10)), "delta"),
])
def test_flip_threshold_rejects_bad_parameters(toy, kw, name):
    model, x, y, _, _, _ = toy
    args = dict(alphas=ALPHAS, eps=EPS, step=STEP, steps=STEPS)
    args.update(kw)
    if "delta" in kw:
        args["fooled"] = torch.ones(2, dtype=torch.bool)
    with pytest.raises(ValueError, match=name):
        flip_threshold(model, x, y, **args)


@pytest.mark.parametrize("kw,name", [
    (dict(bands=[(10, 80)]), "bands"), (dict(bands=[(0, 100)]), "bands"), (dict(bands=[(60, 40)]), "bands"),
    (dict(bands=[]), "bands"), (dict(bands=(15, 85)), "bands"), (dict(population="some"), "population"),
    (dict(method="x"), "method"), (dict(eps=float("nan")), "eps"),
    (dict(fooled=torch.ones(9, dtype=torch.bool)), "delta"),
])
def test_band_accuracy_rejects_bad_parameters(toy, kw, name):
    model, x, y, _, _, _ = toy
    args = dict(eps=EPS, step=STEP, steps=STEPS)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        band_accuracy(model, x, y, **args)


def test_other_validation(toy):
    model, x, y, _, _, _ = toy
    delta = torch.zeros_like(x)
    with pytest.raises(ValueError, match="where"):
        band_attack(model, x, y, delta, (15, 85), where="middle", eps=EPS, step=STEP)
    with pytest.raises(ValueError, match="bands"):
        band_masks(delta, (20, 90))
    with pytest.raises(ValueError, match="accuracy"):
        mean_alpha_bounds([1, 5], [0.2, 0.5])
    with pytest.raises(ValueError, match="accuracy"):
        mean_alpha_bounds([1, 5], [0.5])


def test_alpha_mask():
    from axlib.explain import tail_mask

    delta = torch.randn(2, 3, 5, 5, generator=torch.Generator().manual_seed(4))
    assert torch.equal(reattack.alpha_mask(delta, 15), tail_mask(delta, 15))
    assert reattack.alpha_mask(delta, 50).all()
    with pytest.raises(ValueError, match="alphas"):
        reattack.alpha_mask(delta, 0)
    with pytest.raises(ValueError, match="delta"):
        reattack.alpha_mask(delta[0], 15)


# --------------------------------------------------------------------------- the page's tables and records
def _synthetic_table4(n: int = 40):
    import pandas as pd

    rows = []
    for name in ("cifar10", "imagenet"):
        for method in reattack.METHODS:
            for lo, hi in reattack.PAPER_BANDS:
                rows.append(dict(band=f"{lo:g}-{hi:g}", low=float(lo), high=float(hi), inside=0.8, outside=0.1,
                                 inside_share=1 - 2 * lo / 100, outside_share=2 * lo / 100, n=n, data=name,
                                 reading=method))
    table4 = pd.DataFrame(rows)
    for side in ("inside", "outside"):
        table4[f"paper_{side}"] = [reattack.paper.TABLE4[d][side][int(lo)] for d, lo in zip(table4.data, table4.low)]
    return table4


def test_table4_bands_and_alpha_stats():
    assert reattack.PAPER_BANDS == ((15, 85), (10, 90), (5, 95), (1, 99))
    assert reattack.table4_bands(1) == ((15, 85),)
    with pytest.raises(ValueError, match="k must"):
        reattack.table4_bands(5)
    s = reattack.alpha_stats(torch.tensor([1.0, 5.0, float("nan"), 50.0]), (1, 5, 15, 50))
    assert s["n"] == 3 and s["mean"] == pytest.approx(56 / 3) and s["mean_low"] == pytest.approx(16 / 3)
    assert s["share_le_15"] == pytest.approx(2 / 3) and s["at_50"] == pytest.approx(1 / 3)
    assert reattack.alpha_stats(torch.tensor([float("nan")]), (1, 50)) == dict(n=0)


def test_mean_flip_threshold_interval_holds_the_grid_step():
    """Planted thresholds on a grid: the estimate reads the grid values, its interval reaches down
    to the brackets' lower ends, so images that all flip at the first grid value do not give a
    zero-width interval."""
    grid = (0.5, 1, 2, 3, 4, 5)
    np.testing.assert_array_equal(reattack.grid_brackets(np.array([0.5, 1, 2, 5]), grid), [0, 0.5, 1, 4])
    floor = reattack.bracketed_mean(np.full(22, 0.5), grid)
    assert (floor.value, floor.low, floor.high, floor.n) == (0.5, 0.0, 0.5, 22)
    mixed = reattack.bracketed_mean(np.array([1.0, 2, 2, 5] * 10), grid)
    assert mixed.value == pytest.approx(2.5) and mixed.high > 2.5
    assert mixed.low < np.mean([0.5, 1, 1, 4]) < 2.5                       # below the lower ends' mean
    assert "bracketed by its grid step" in mixed.interval
    # float32 thresholds (flip_threshold's dtype) on a grid float32 cannot hold exactly
    tenths = (0.1, 0.3, 1.1)
    np.testing.assert_array_equal(reattack.grid_brackets(np.float32([0.1, 0.3, 1.1]), tenths), [0, 0.1, 0.3])
    for off in ([0.2], [60.0], [float("nan")]):
        with pytest.raises(ValueError, match="alpha must hold values of the grid"):
            reattack.grid_brackets(np.array(off), tenths)
    with pytest.raises(ValueError, match="strictly increasing"):
        reattack.grid_brackets(np.array([1.0]), (2, 1))


def test_table4_records_consistency_and_timings():
    table4 = _synthetic_table4()
    experiments = {"cifar10": {}, "imagenet": {}}
    records = reattack.table4_records(table4, experiments)
    assert [r["claim"] for r in records] == [
        "axai.table4.tails_vs_middle.cifar10", "axai.table4.cells.cifar10",
        "axai.table4.tails_vs_middle.imagenet", "axai.table4.cells.imagenet"]
    gap = records[0]["estimate"]
    assert gap.value == pytest.approx(0.7) and gap.n == 40 and gap.low < 0.7 < gap.high      # middle 0.8 - tails 0.1
    cells = records[1]["estimate"]
    assert len(cells) == 8 and cells["tails 15"].value == pytest.approx(0.1) and cells["middle 1"].n == 40
    rules = {c.id: c.rule for c in reattack.claims.CLAIMS}
    assert rules["axai.table4.tails_vs_middle.cifar10"].judge(gap).verdict == "reproduced"
    assert set(cells) == set(rules["axai.table4.cells.cifar10"].parts)
    one_band = table4[table4.low == 15]
    assert [r["claim"] for r in reattack.table4_records(one_band, {"cifar10": {}})] == [
        "axai.table4.tails_vs_middle.cifar10"]                  # the cells need all four bands
    assert reattack.table4_view(table4).shape[1] == 6
    import pandas as pd

    alpha = pd.DataFrame({(d, m): dict(n=40, mean=10.0, mean_low=8.0) for d in experiments
                          for m in reattack.METHODS}).T
    bounds = reattack.consistency_bounds(table4, alpha)
    assert bounds.loc[("cifar10", "paper's Table 4"), "highest mean α"] < reattack.paper.FLIP_ALPHA_MEAN.value
    assert "at most" in reattack.consistency_text(bounds)
    assert list(reattack.timing_table({("cifar10", "first attack"): 1.5}).seconds) == [1.5]


def _findings(tails=0.1, middle=0.8, means=(2.6, 17.8, 5.3), caps=None, imagenet_fooled=5, imagenet_acc=(0.0, 0.0)):
    """findings_text and consistency_text of a planted run: CIFAR-10 Table 4 accuracies, the
    readings' mean flip thresholds, the paper's Table 4 caps {dataset: highest mean} (None: the
    paper's own), ImageNet's fooled count and (tails, middle) accuracy."""
    table4 = _synthetic_table4()
    for name, (t, m) in {"cifar10": (tails, middle), "imagenet": imagenet_acc}.items():
        table4.loc[table4.data == name, ["outside", "inside"]] = (t, m)
    alpha = pd.DataFrame({(d, r): dict(n=40, mean=mean, mean_low=mean - 1, median=mean)
                          for d in ("cifar10", "imagenet") for r, mean in zip(reattack.METHODS, means)}).T
    bounds = reattack.consistency_bounds(table4, alpha)
    for name, cap in (caps or {}).items():
        bounds.loc[(name, "paper's Table 4"), "highest mean α"] = cap
    experiments = {"cifar10": {"summary": dict(images=500, clean_accuracy=0.87, fooled=336)},
                   "imagenet": {"summary": dict(images=6, fooled=imagenet_fooled, eps=3.04)}}
    return reattack.findings_text(experiments, table4, alpha, bounds, 150), reattack.consistency_text(bounds)


def test_findings_wording_follows_the_numbers_it_quotes():
    """Each judgement of the page's findings is a comparison of the numbers beside it: change
    the numbers and the wording flips."""
    text, consistency = _findings()
    assert "**The tails carry the attack (Table 4, CIFAR-10).** With the 15% tails (30% of the features)" in text
    assert "depends on the reading" in text and "needs far fewer features than the paper reports" in text
    assert "**The paper's Fig. 4 and Table 4 disagree with each other**: its Table 4 implies a mean threshold " \
           "of at most 13.8 (CIFAR-10) and 8.6 (ImageNet)" in text
    assert "**ImageNet is anecdotal here**: 5 fooled images" in text and "Both bands flip every fooled image" in text
    assert "the paper's mean of 15 is beyond what its Table 4 permits. " in consistency

    text, consistency = _findings(tails=0.9, middle=0.5, means=(20.0, 20.0, 20.0), caps={"cifar10": 16.0},
                                  imagenet_fooled=40, imagenet_acc=(0.2, 0.6))
    assert "**The tails do not carry the attack here (Table 4, CIFAR-10).**" in text
    assert "does not depend on the reading" in text and "needs more features than the paper reports" in text
    assert "**The paper's Fig. 4 and Table 4 disagree with each other on ImageNet**" in text
    assert "**ImageNet**: 40 fooled images" in text and "Both bands" not in text
    assert "beyond what its Table 4 permits on ImageNet" in consistency

    text, consistency = _findings(means=(10.0, 15.0, 5.0), caps={"cifar10": 16.0, "imagenet": 15.0})
    assert "needs fewer features than the paper reports" in text
    assert "**The paper's Fig. 4 and Table 4 agree**" in text
    assert "The paper's mean of 15 is within what its Table 4 permits" in consistency
