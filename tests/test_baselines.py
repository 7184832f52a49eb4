"""Baselines of AXAI's benchmark (LIME, SHAP GradientExplainer, Captum) on a tiny CNN."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from axlib.explain import (
    captum_lime,
    gradient_shap,
    integrated_gradients,
    lime_attribution,
    shap_gradient_attribution,
)

H = W = 24


def tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(16, 3)).eval()


def blocky_images(b: int = 2) -> torch.Tensor:
    """4x4 coloured blocks of 6x6 pixels with texture (LIME's default fill is a segment's mean
    colour: flat segments would not change when switched off)."""
    g = torch.Generator().manual_seed(1)
    blocks = torch.rand(b, 3, 4, 4, generator=g)
    blocks = blocks.repeat_interleave(6, dim=2).repeat_interleave(6, dim=3)
    return (0.8 * blocks + 0.2 * torch.rand(b, 3, H, W, generator=g)).contiguous()


class PatchModel(nn.Module):
    """Two classes; the logit of class 1 depends only on the mean of the patch [4:10, 12:18]."""

    def forward(self, x):
        s = x[:, :, 4:10, 12:18].mean(dim=(1, 2, 3))
        return torch.stack([torch.zeros_like(s), 5.0 * s], dim=1)


FAST = {
    "lime": (lime_attribution, dict(num_samples=40, num_features=3, kernel_size=1, batch_size=20)),
    "shap": (shap_gradient_attribution, dict(nsamples=8)),
    "captum_lime": (captum_lime, dict(num_samples=40, num_features=3, kernel_size=1)),
    "gradient_shap": (gradient_shap, dict(n_samples=8)),
    "integrated_gradients": (integrated_gradients, dict(n_steps=8)),
}


def _call(name, model, x, seed=0, **extra):
    fn, kw = FAST[name]
    kw = dict(kw, **extra)
    if name == "shap":
        kw.setdefault("background", torch.zeros(2, *x.shape[1:]))
    if name == "lime":
        kw["random_state"] = seed
    elif name in ("shap", "captum_lime", "gradient_shap"):
        kw["seed"] = seed
    return fn(model, x, **kw)


@pytest.mark.parametrize("name", sorted(FAST))
def test_shape_finite_deterministic(name):
    model, x = tiny_cnn(), blocky_images()
    a = _call(name, model, x)
    b = _call(name, model, x)
    assert a.shape == (2, H, W)
    assert a.dtype == torch.float32
    assert torch.isfinite(a).all()
    assert torch.equal(a, b), "same seed, same map"
    assert a.abs().sum() > 0


@pytest.mark.parametrize("name", sorted(FAST))
def test_global_rng_untouched(name):
    model, x = tiny_cnn(), blocky_images(1)
    torch.manual_seed(123)
    np.random.seed(123)
    _call(name, model, x)
    t, n = torch.rand(1), np.random.rand()
    torch.manual_seed(123)
    np.random.seed(123)
    assert torch.equal(t, torch.rand(1)) and n == np.random.rand()


def test_target_as_int_and_tensor():
    model, x = tiny_cnn(), blocky_images()
    a = integrated_gradients(model, x, 2, n_steps=4)
    b = integrated_gradients(model, x, torch.tensor([2, 2]), n_steps=4)
    assert torch.equal(a, b)


def _lime_segments(image: torch.Tensor, seed: int = 0, **params) -> np.ndarray:
    from lime.wrappers.scikit_image import SegmentationAlgorithm
    seg = SegmentationAlgorithm("quickshift", random_seed=seed, **params)
    return seg(image.permute(1, 2, 0).double().numpy())


@pytest.mark.parametrize("num_features", [1, 3, 5])
def test_lime_map_covers_exactly_num_features_segments(num_features):
    model, x = tiny_cnn(), blocky_images()
    amap = lime_attribution(model, x, num_samples=60, num_features=num_features, kernel_size=1,
                            batch_size=30)
    for i in range(x.shape[0]):
        segments = _lime_segments(x[i], kernel_size=1.0, max_dist=200.0, ratio=0.2)
        assert len(np.unique(segments)) > num_features
        nonzero = np.unique(segments[amap[i].numpy() != 0])
        assert len(nonzero) == num_features
        # the map is constant on each segment: one LIME weight per superpixel
        for s in nonzero:
            assert len(torch.unique(amap[i][torch.from_numpy(segments == s)])) == 1


def test_lime_seed_changes_samples():
    model, x = tiny_cnn(), blocky_images(1)
    a = lime_attribution(model, x, num_samples=40, kernel_size=1, random_state=0)
    b = lime_attribution(model, x, num_samples=40, kernel_size=1, random_state=1)
    assert not torch.equal(a, b)


def test_lime_segmentation_timing_reported():
    timings = {}
    lime_attribution(tiny_cnn(), blocky_images(1), num_samples=10, kernel_size=1, timings=timings)
    assert timings["segmentation"] > 0


def test_integrated_gradients_finds_planted_patch():
    x = blocky_images(2)
    amap = integrated_gradients(PatchModel(), x, 1, n_steps=16)
    for i in range(2):
        r, c = divmod(int(amap[i].argmax()), W)
        assert 4 <= r < 10 and 12 <= c < 18
    outside = amap.clone()
    outside[:, 4:10, 12:18] = 0
    assert outside.abs().max() == 0


def test_gradient_shap_and_shap_find_planted_patch():
    x = blocky_images(1)
    for amap in (gradient_shap(PatchModel(), x, 1, n_samples=8),
                 shap_gradient_attribution(PatchModel(), x, 1, background=torch.zeros(1, 3, H, W),
                                           nsamples=8)):
        r, c = divmod(int(amap[0].argmax()), W)
        assert 4 <= r < 10 and 12 <= c < 18


def test_shap_reduce_sum_vs_abs():
    model, x = tiny_cnn(), blocky_images(1)
    bg = torch.zeros(1, 3, H, W)
    a = shap_gradient_attribution(model, x, background=bg, nsamples=4, reduce="abs_sum")
    s = shap_gradient_attribution(model, x, background=bg, nsamples=4, reduce="sum")
    assert (a >= 0).all() and (a >= s.abs() - 1e-6).all()


def test_captum_lime_uses_given_segments():
    model, x = tiny_cnn(), blocky_images(1)
    segments = torch.arange(16).reshape(4, 4).repeat_interleave(6, 0).repeat_interleave(6, 1)[None]
    amap = captum_lime(model, x, segments=segments, num_samples=40, num_features=2)
    assert len(torch.unique(segments[amap != 0])) == 2


def test_lime_package_uses_given_segments_and_can_keep_them_all():
    model, x = tiny_cnn(), blocky_images(1)
    segments = torch.arange(16).reshape(4, 4).repeat_interleave(6, 0).repeat_interleave(6, 1)[None]
    two = lime_attribution(model, x, segments=segments, num_samples=60, num_features=2)
    assert len(torch.unique(segments[two != 0])) == 2
    every = lime_attribution(model, x, segments=segments, num_samples=60, num_features=None)
    for label in range(16):                     # constant on every given segment, all 16 weighted
        assert every[segments == label].unique().numel() == 1
    assert (every != 0).sum() == every.numel()
    with pytest.raises(ValueError, match="segments must have shape"):
        lime_attribution(model, x, segments=segments[:, :5], num_samples=10)


@pytest.mark.parametrize("fn, kw, name", [
    (lime_attribution, dict(num_samples=0), "num_samples"),
    (lime_attribution, dict(num_features=0), "num_features"),
    (lime_attribution, dict(kernel_size=0.5), "kernel_size"),
    (lime_attribution, dict(max_dist=0), "max_dist"),
    (lime_attribution, dict(ratio=1.5), "ratio"),
    (lime_attribution, dict(batch_size=0), "batch_size"),
    (shap_gradient_attribution, dict(background=torch.zeros(1, 3, H, W), nsamples=0), "nsamples"),
    (shap_gradient_attribution, dict(background=torch.zeros(1, 3, 8, 8)), "background"),
    (shap_gradient_attribution, dict(background=torch.zeros(1, 3, H, W), reduce="max"), "reduce"),
    (captum_lime, dict(num_samples=-1), "num_samples"),
    (captum_lime, dict(surrogate="tree"), "surrogate"),
    (captum_lime, dict(segments=torch.zeros(1, 5, 5, dtype=torch.long)), "segments"),
    (gradient_shap, dict(n_samples=0), "n_samples"),
    (gradient_shap, dict(stdevs=-1.0), "stdevs"),
    (integrated_gradients, dict(n_steps=0), "n_steps"),
    (integrated_gradients, dict(method="simpson"), "method"),
    (integrated_gradients, dict(baseline="black"), "baseline"),
])
def test_bad_parameters_raise(fn, kw, name):
    with pytest.raises(ValueError, match=name):
        fn(tiny_cnn(), blocky_images(1), **kw)


@pytest.mark.parametrize("fn", [lime_attribution, captum_lime, gradient_shap, integrated_gradients])
def test_bad_images_raise(fn):
    with pytest.raises(ValueError, match="x"):
        fn(tiny_cnn(), torch.full((1, 3, H, W), 2.0))
    with pytest.raises(ValueError, match="target"):
        fn(tiny_cnn(), blocky_images(2), target=torch.tensor([0]))
