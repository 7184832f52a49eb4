"""EXIAA's change measures: percentage change of explanation, SSIM (against scikit-image),
confidence change."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from axlib.metrics.change import confidence_change, percentage_change, ssim


def _reference_ssim(x, y, **kw):
    return np.array([structural_similarity(a.double().numpy(), b.double().numpy(), channel_axis=0,
                                           data_range=1.0, **kw) for a, b in zip(x, y)])


@pytest.mark.parametrize("shape", [(4, 3, 32, 32), (2, 1, 17, 23), (1, 3, 64, 48)])
def test_ssim_matches_scikit_image(shape):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(shape, generator=g)
    y = (x + 0.2 * torch.randn(shape, generator=g)).clamp(0, 1)
    np.testing.assert_allclose(ssim(x, y).numpy(), _reference_ssim(x, y), rtol=0, atol=1e-10)


def test_ssim_window_matches_scikit_image():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(2, 3, 32, 32, generator=g)
    y = torch.rand(2, 3, 32, 32, generator=g)
    np.testing.assert_allclose(ssim(x, y, win_size=11).numpy(), _reference_ssim(x, y, win_size=11), atol=1e-10)


def test_ssim_of_identical_images_is_one_and_drops_with_noise():
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(ssim(x, x), torch.ones(3, dtype=torch.float64))
    noisy = (x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(4))).clamp(0, 1)
    assert bool((ssim(x, noisy) < 0.95).all())


@pytest.mark.parametrize("kw, name", [({"win_size": 4}, "win_size"), ({"win_size": 41}, "win_size"),
                                      ({"data_range": 0.0}, "data_range")])
def test_ssim_rejects_bad_parameters(kw, name):
    x = torch.rand(1, 3, 32, 32)
    with pytest.raises(ValueError, match=name):
        ssim(x, x, **kw)


def test_ssim_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        ssim(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 31))


def test_percentage_change_by_hand():
    z = torch.tensor([[[1.0, -1.0], [2.0, 0.0]], [[0.5, 0.5], [0.5, 0.5]]])
    z_hat = torch.tensor([[[1.0, 1.0], [2.0, 0.0]], [[0.5, 0.5], [0.5, 0.5]]])
    # image 0: |(-1) - 1| = 2 over sum |z| = 4 -> 50 %; image 1 unchanged
    assert percentage_change(z, z_hat).tolist() == [50.0, 0.0]
    assert percentage_change(z, -z).tolist() == [200.0, 200.0]


def test_percentage_change_of_zero_explanation_is_not_hidden():
    out = percentage_change(torch.zeros(1, 4), torch.ones(1, 4))
    assert torch.isinf(out).all()


def test_confidence_change_by_hand():
    p = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3]])
    p_hat = torch.tensor([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    out = confidence_change(p, p_hat, torch.tensor([0, 1]))
    np.testing.assert_allclose(out.numpy(), [10.0, 40.0], atol=1e-4)  # float32 inputs


@pytest.mark.parametrize("label", [torch.tensor([0, 3]), torch.tensor([0.0, 1.0]), torch.tensor([0])])
def test_confidence_change_rejects_bad_labels(label):
    p = torch.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="label"):
        confidence_change(p, p, label)


def test_confidence_change_rejects_logits():
    with pytest.raises(ValueError, match="p"):
        confidence_change(torch.tensor([[2.0, -1.0]]), torch.tensor([[0.5, 0.5]]), torch.tensor([0]))


@pytest.mark.parametrize("metric, names", [(percentage_change, ("z", "z_hat")), (ssim, ("x", "y"))])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_change_metrics_refuse_non_finite_inputs(metric, names, bad):
    a = torch.rand(2, 3, 8, 8)
    b = a.clone()
    b[0, 1, 2, 3] = bad
    with pytest.raises(ValueError, match=rf"{names[1]} holds 1 NaN or infinite value\(s\)"):
        metric(a, b)
    with pytest.raises(ValueError, match=rf"{names[0]} holds 1 NaN"):
        metric(b, a)
