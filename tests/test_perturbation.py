"""RISE, Meaningful Perturbation and Extremal Perturbation against the properties their papers
define, on models whose output is a known function of one image region."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib.explain import perturbation as P


class LinearProbability(nn.Module):
    """Two classes; P(class 1 | x) = 0.1 + 0.8 * mean of channel 0 over the region R (exactly:
    the logit is log(q / (1 - q))), so the score is a known linear function of R's pixels."""

    def __init__(self, rows, cols):
        super().__init__()
        self.rows, self.cols = rows, cols
        self.dummy = nn.Parameter(torch.zeros(1))  # so the model has a device and parameters

    def q(self, x):
        return 0.1 + 0.8 * x[:, 0, self.rows, self.cols].mean(dim=(1, 2))

    def forward(self, x):
        q = self.q(x)
        return torch.stack([torch.zeros_like(q), torch.log(q / (1 - q))], dim=1) + 0 * self.dummy


class RegionLogit(nn.Module):
    """logit_1 = a * (mean of R over all channels - 0.5), logit_0 = 0."""

    def __init__(self, rows, cols, a=8.0):
        super().__init__()
        self.rows, self.cols, self.a = rows, cols, a
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        v = x[:, :, self.rows, self.cols].mean(dim=(1, 2, 3))
        return torch.stack([torch.zeros_like(v), self.a * (v - 0.5)], dim=1) + 0 * self.dummy


def bright_region_images(b=2, h=32, rows=slice(8, 16), cols=slice(16, 24), seed=0):
    x = 0.4 + 0.2 * torch.rand(b, 3, h, h, generator=torch.Generator().manual_seed(seed))
    x[:, :, rows, cols] = 1.0
    return x


# --------------------------------------------------------------------------- RISE
def test_rise_masks_shape_range_and_mean():
    m = P.rise_masks(500, 4, 20, 24, p=0.3, generator=torch.Generator().manual_seed(0))
    assert m.shape == (500, 20, 24) and m.min() >= 0 and m.max() <= 1
    assert m.mean().item() == pytest.approx(0.3, abs=0.02)
    binary = P.rise_masks(50, 4, 20, 24, smooth=False, generator=torch.Generator().manual_seed(0))
    assert set(binary.unique().tolist()) <= {0.0, 1.0}


def test_rise_equals_expected_score_given_the_pixel_is_kept():
    """RISE's definition: S(l) = E[f(x * M) | M(l) = 1]. With i.i.d. Bernoulli(p) pixels
    (mask_size = H, binary) and f linear in R, by hand:
    S(l) = 0.1 + 0.8 / |R| * (p * sum_R x + (1 - p) * x_l * [l in R])."""
    h, p = 8, 0.5
    rows, cols = slice(2, 4), slice(3, 5)
    model = LinearProbability(rows, cols)
    x = torch.rand(1, 3, h, h, generator=torch.Generator().manual_seed(1))
    sal = P.rise(model, x, 1, n_masks=20000, mask_size=h, p=p, smooth=False, seed=0)[0].double()
    xr = x[0, 0].double()
    expected = torch.full((h, h), 0.1 + 0.8 / 4 * p * xr[rows, cols].sum().item(), dtype=torch.float64)
    expected[rows, cols] += 0.8 / 4 * (1 - p) * xr[rows, cols]
    assert (sal - expected).abs().max().item() < 0.02
    inside = torch.zeros(h, h, dtype=torch.bool)
    inside[rows, cols] = True
    gap = (sal[inside].mean() - sal[~inside].mean()).item()
    assert gap == pytest.approx(0.8 / 4 * (1 - p) * xr[rows, cols].mean().item(), abs=0.01)


def test_rise_is_the_weighted_sum_of_its_masks_and_batched_consistently():
    model = LinearProbability(slice(2, 6), slice(2, 6))
    x = torch.rand(3, 3, 12, 12, generator=torch.Generator().manual_seed(2))
    masks = P.rise_masks(64, 3, 12, 12, generator=torch.Generator().manual_seed(5))
    sal = P.rise(model, x, 1, masks=masks, p=0.5, batch_size=7)
    for i in range(3):
        q = model.q(x[i:i + 1] * masks[:, None])  # (N,) exact class-1 probability
        direct = (q[:, None, None] * masks).sum(0) / (64 * 0.5)
        assert torch.allclose(sal[i], direct, atol=1e-5)
    again = P.rise(model, x, 1, n_masks=64, mask_size=3, seed=5, batch_size=1000)
    assert torch.allclose(sal, again, atol=1e-6)
    assert torch.equal(P.rise(model, x, 1, n_masks=32, mask_size=3, seed=1),
                       P.rise(model, x, 1, n_masks=32, mask_size=3, seed=1))


@pytest.mark.parametrize("kw, match", [(dict(n_masks=0), "n_masks"), (dict(mask_size=0), "mask_size"),
                                       (dict(mask_size=99), "mask_size"), (dict(p=0.0), "p"),
                                       (dict(p=1.5), "p"), (dict(batch_size=0), "batch_size")])
def test_rise_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        P.rise(LinearProbability(slice(0, 2), slice(0, 2)), torch.rand(1, 3, 8, 8), 1, **kw)


# --------------------------------------------------------------------------- Meaningful Perturbation
def mp(model, x, **kw):
    params = dict(iterations=60, blur_sigma=4.0, mask_size=8)
    params.update(kw)
    return P.meaningful_perturbation(model, x, 1, **params)


def test_mp_deletes_the_region_the_score_depends_on_and_lowers_its_loss():
    rows, cols = slice(8, 16), slice(16, 24)
    x = bright_region_images(rows=rows, cols=cols)
    history = []
    sal = mp(RegionLogit(rows, cols), x, history=history)
    assert sal.shape == (2, 32, 32) and sal.min() >= 0 and sal.max() <= 1
    inside = torch.zeros(32, 32, dtype=torch.bool)
    inside[rows, cols] = True
    for s in sal:  # R is deleted entirely; elsewhere only TV's smooth slope around R
        assert s[inside].mean() > 0.99 and s[inside].mean() > s[~inside].mean() + 0.3
    assert history[-1] < history[0] - 0.1


def test_mp_sparsity_and_smoothness_follow_their_coefficients():
    rows, cols = slice(8, 16), slice(16, 24)
    model, x = RegionLogit(rows, cols), bright_region_images(rows=rows, cols=cols)
    area = lambda s: s.mean().item()  # noqa: E731
    assert area(mp(model, x, l1_coeff=1.0)) < area(mp(model, x, l1_coeff=0.01))
    rough = mp(model, x, tv_coeff=0.0, mask_size=16)
    smooth = mp(model, x, tv_coeff=5.0, mask_size=16)
    tv = lambda s: P.tv_norm(s[:, None], 1.0).mean().item()  # noqa: E731
    assert tv(smooth) < tv(rough)


def test_mp_is_deterministic_and_per_image():
    rows, cols = slice(8, 16), slice(16, 24)
    model, x = RegionLogit(rows, cols), bright_region_images(rows=rows, cols=cols)
    a = mp(model, x, iterations=10, noise_std=0.05, seed=3)
    b = mp(model, x, iterations=10, noise_std=0.05, seed=3)
    assert torch.equal(a, b)
    single = mp(model, x[1:], iterations=10)
    assert torch.allclose(mp(model, x, iterations=10)[1], single[0], atol=1e-5)
    with pytest.raises(ValueError, match="tv_beta"):
        mp(model, x, tv_beta=0.5)


# --------------------------------------------------------------------------- Extremal Perturbation
def test_ep_masks_have_the_requested_area_and_cover_the_region():
    rows, cols = slice(8, 16), slice(16, 24)   # 64 of 1,024 pixels: 6.25% of the image
    x = bright_region_images(rows=rows, cols=cols)
    areas = (0.05, 0.1, 0.2)
    sal, masks = P.extremal_perturbation(RegionLogit(rows, cols), x, 1, areas=areas, iterations=300,
                                         smooth_sigma=1.0, return_masks=True, jitter=False)   # toy: not flip-invariant
    assert masks.shape == (2, 3, 32, 32) and sal.shape == (2, 32, 32)
    assert torch.allclose(sal, masks.mean(1))
    assert masks.min() >= 0 and masks.max() <= 1
    for k, a in enumerate(areas):
        m = masks[:, k]
        assert m.mean(dim=(1, 2)).sub(a).abs().max() < 0.02            # soft area
        assert (m > 0.5).float().mean(dim=(1, 2)).sub(a).abs().max() < 0.03  # hard area
    # a mask smaller than R lies inside it; larger ones cover R
    assert masks[:, 0, rows, cols].sum(dim=(1, 2)).div(masks[:, 0].sum(dim=(1, 2))).min() > 0.8
    assert masks[:, 2, rows, cols].mean() > 0.8


def test_ep_deterministic_and_bad_input():
    rows, cols = slice(2, 6), slice(2, 6)
    model, x = RegionLogit(rows, cols), torch.rand(1, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    a = P.extremal_perturbation(model, x, 1, iterations=5)
    assert torch.equal(a, P.extremal_perturbation(model, x, 1, iterations=5))
    for kw, match in [(dict(areas=(0.0,)), "areas"), (dict(areas=()), "areas"),
                      (dict(iterations=0), "iterations"), (dict(lr=0), "lr")]:
        with pytest.raises(ValueError, match=match):
            P.extremal_perturbation(model, x, 1, **kw)


def test_gaussian_blur_preserves_constants_and_mass():
    x = torch.full((1, 2, 9, 9), 0.7)
    assert torch.allclose(P.gaussian_blur(x, 2.0), x)
    spike = torch.zeros(1, 1, 21, 21)
    spike[0, 0, 10, 10] = 1.0
    out = P.gaussian_blur(spike, 1.5)
    assert out.sum().item() == pytest.approx(1.0, abs=1e-5) and out.max() < 0.1
    assert torch.equal(P.gaussian_blur(spike, 0.0), spike)


def test_ep_jitter_is_torchrays_flip_on_even_iterations():
    """With jitter the model sees the perturbed image flipped on iterations 0, 2, 4, ...:
    recorded by a model that notes on which side a bright column of the image lies."""
    x = torch.zeros(1, 3, 8, 8)
    x[..., 0] = 1.0                                      # a bright left column: flipped, it is on the right
    left = []

    class LeftColumn(torch.nn.Module):
        def forward(self, x):
            left.append(bool(x[0, 0, :, 0].mean() > x[0, 0, :, -1].mean()))
            return torch.stack([x.mean(dim=(1, 2, 3)), -x.mean(dim=(1, 2, 3))], 1)

    P.extremal_perturbation(LeftColumn(), x, 0, areas=(0.5,), iterations=4, max_blur=0.0, smooth_sigma=0.0)
    assert left[-4:] == [False, True, False, True]     # iterations 0..3: flipped on the even ones
