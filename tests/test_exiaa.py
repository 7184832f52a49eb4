"""EXIAA: running-up class, attack-image ranking, top-k mask, injection, Gaussian baseline,
the resumable grid runner, and the Captum attributions it uses (DeepLIFT on our ResNet/ViT)."""
from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from axlib import exiaa
from axlib.explain.baselines import pixel_attribution
from axlib.models.resnet import ResNet18Cifar
from axlib.models.vit import ViTCifar


def images(n=4, seed=0, size=16):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def tiny_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(32, 5)).eval()


# ----------------------------------------------------------------- phase one
def test_running_up_class_is_second_most_probable():
    p = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.2, 0.6]])
    pred, runner = exiaa.running_up_class(p)
    assert pred.tolist() == [1, 0, 2]
    assert runner.tolist() == [2, 2, 0]          # tie 0.2 / 0.2 goes to the lower index


def test_rank_pool_orders_by_confidence_within_class():
    p = torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8], [0.95, 0.05]])
    labels = torch.tensor([0, 1, 0, 1, 1])
    idx = exiaa.rank_pool(p, torch.tensor([0, 1]), [1, 2], pool_labels=labels)
    assert idx.tolist() == [[0, 2], [3, 1]]      # class 1: item 4 is labelled 1 but least confident
    idx = exiaa.rank_pool(p, torch.tensor([1]), [1, 3], pool_labels=labels)
    assert idx.tolist() == [[3, 4]]
    assert exiaa.rank_pool(p, torch.tensor([0]), [1])[0, 0] == 4   # no labels: whole pool
    with pytest.raises(ValueError, match="ranks"):
        exiaa.rank_pool(p, torch.tensor([0]), [3], pool_labels=labels)
    with pytest.raises(ValueError, match="ranks"):
        exiaa.rank_pool(p, torch.tensor([0]), [0])


# ----------------------------------------------------------------- phase two
def test_top_k_mask_selects_the_largest_positive_fraction():
    z = torch.tensor([5.0, -1.0, 3.0, 0.0, 4.0, 1.0, -2.0, 2.0]).view(1, 2, 2, 2)  # 5 positives
    for top_k, expected in [(0.2, {0}), (0.4, {0, 4}), (0.5, {0, 4, 2}), (1.0, {0, 4, 2, 7, 5})]:
        mask = exiaa.top_k_mask(z, top_k).view(-1)
        assert set(torch.nonzero(mask).view(-1).tolist()) == expected, top_k
    assert exiaa.top_k_mask(torch.zeros(1, 1, 2, 2), 0.5).sum() == 0


def test_top_k_mask_counts_per_image():
    z = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    mask = exiaa.top_k_mask(z, 0.3)
    positives = (z > 0).flatten(1).sum(1)
    assert mask.flatten(1).sum(1).tolist() == [math.ceil(0.3 * int(p)) for p in positives]
    assert bool((z[mask] > 0).all())
    for zi, mi in zip(z, mask):                  # every chosen value beats every unchosen one
        assert bool(zi[mi].min() >= zi[~mi].max())


# ----------------------------------------------------------------- phase three
def test_injection_touches_exactly_the_selected_channels():
    x, x_bar = images(2, 0), images(2, 1)
    mask = torch.rand(x.shape, generator=torch.Generator().manual_seed(2)) < 0.1
    x_hat = exiaa.inject(x, x_bar, mask, 0.15)
    changed = x_hat != x
    assert bool((changed == mask).all())       # x != x_bar almost surely on every value
    expected = (0.85 * x + 0.15 * x_bar)[mask]
    assert torch.allclose(x_hat[mask], expected)
    assert torch.equal(x_hat[~mask], x[~mask])


def test_alpha_zero_leaves_the_image_unchanged():
    x, x_bar = images(2, 0), images(2, 1)
    mask = torch.ones_like(x, dtype=torch.bool)
    assert torch.equal(exiaa.inject(x, x_bar, mask, 0.0), x)
    gen = torch.Generator().manual_seed(0)
    out = exiaa.gaussian_baseline(x, [x[0].numel()] * 2, 0.0, mean=[0.5] * 3, std=[0.25] * 3, generator=gen)
    assert torch.equal(out, x)


@pytest.mark.parametrize("alpha", [-0.01, 1.0, 1.5, float("nan"), True, "0.1"])
def test_bad_alpha_raises(alpha):
    x = images(1)
    with pytest.raises(ValueError, match="alpha"):
        exiaa.inject(x, x, torch.ones_like(x, dtype=torch.bool), alpha)
    with pytest.raises(ValueError, match="alpha"):
        exiaa.gaussian_baseline(x, [1], alpha, mean=[0.5] * 3, std=[0.2] * 3, generator=torch.Generator())


@pytest.mark.parametrize("top_k", [0.0, -0.5, 1.01, float("inf"), None])
def test_bad_top_k_raises(top_k):
    with pytest.raises(ValueError, match="top_k"):
        exiaa.top_k_mask(torch.randn(1, 3, 4, 4), top_k)


def test_baseline_touches_the_requested_number_of_channels_and_is_seeded():
    x = images(3, 0)
    counts = [0, 10, 100]
    out1 = exiaa.gaussian_baseline(x, counts, 0.5, mean=[0.5] * 3, std=[0.25] * 3,
                                   generator=torch.Generator().manual_seed(7))
    out2 = exiaa.gaussian_baseline(x, counts, 0.5, mean=[0.5] * 3, std=[0.25] * 3,
                                   generator=torch.Generator().manual_seed(7))
    out3 = exiaa.gaussian_baseline(x, counts, 0.5, mean=[0.5] * 3, std=[0.25] * 3,
                                   generator=torch.Generator().manual_seed(8))
    assert torch.equal(out1, out2) and not torch.equal(out1, out3)
    assert (out1 != x).flatten(1).sum(1).tolist() == counts
    assert float(out1.min()) >= 0 and float(out1.max()) <= 1


# ----------------------------------------------------------------- runner
def _run(tmp_path, model, x, x_bar, **kw):
    return exiaa.run_grid(model, x, x_bar, method="saliency", out_dir=tmp_path, alphas=(0.03, 0.15),
                          top_ks=(0.05, 0.5), noise_mean=[0.5] * 3, noise_std=[0.25] * 3, seed=3, **kw)


def test_grid_is_deterministic_and_has_every_cell(tmp_path):
    model, x, x_bar = tiny_cnn(), images(3, 0), images(3, 1)
    a = _run(tmp_path / "a", model, x, x_bar)
    b = _run(tmp_path / "b", model, x, x_bar)
    assert a.equals(b)
    assert len(a) == 2 * 2 * 2 * 3
    assert set(a["kind"]) == {"exiaa", "baseline"}
    assert bool((a["ssim"] <= 1).all()) and bool((a["explanation_change"] >= 0).all())
    assert a["explanation_change"].mean() > 0
    ours = a[a.kind == "exiaa"].groupby("alpha")["ssim"].mean()
    assert ours[0.03] > ours[0.15]               # a stronger blend moves the image more


def test_grid_resumes_from_written_cells(tmp_path, monkeypatch):
    model, x, x_bar = tiny_cnn(), images(2, 0), images(2, 1)
    full = _run(tmp_path, model, x, x_bar)
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    cells = sorted(folder.glob("cell_*.json"))
    assert len(cells) == 4 and (folder / "prep.pt").exists()
    cells[1].unlink()
    calls = []
    original = exiaa.pixel_attribution

    def counting(*args, **kw):
        calls.append(args[1].shape[0])
        return original(*args, **kw)

    monkeypatch.setattr(exiaa, "pixel_attribution", counting)
    resumed = _run(tmp_path, model, x, x_bar)
    assert resumed.equals(full)
    assert len(calls) == 2                       # the missing cell only: exiaa + baseline
    assert json.loads(cells[1].read_text())      # rewritten


def test_grid_rejects_bad_grid_values(tmp_path):
    model, x = tiny_cnn(), images(1)
    with pytest.raises(ValueError, match="alpha"):
        exiaa.run_grid(model, x, x, method="saliency", out_dir=tmp_path, alphas=(1.2,), top_ks=(0.1,),
                       baseline=False)
    with pytest.raises(ValueError, match="top_k"):
        exiaa.run_grid(model, x, x, method="saliency", out_dir=tmp_path, alphas=(0.1,), top_ks=(0,),
                       baseline=False)
    with pytest.raises(ValueError, match="method"):
        exiaa.run_grid(model, x, x, method="lime", out_dir=tmp_path, baseline=False)


# ----------------------------------------------------------------- attributions
def test_deeplift_shap_is_complete_on_the_resnet():
    """Summation-to-delta holds only if every ReLU gets DeepLIFT's rule: one module per use."""
    torch.manual_seed(0)
    model = ResNet18Cifar(width=4).eval()
    x, refs = images(2, 0, 32), images(3, 5, 32)
    attr = pixel_attribution(model, x, 1, method="deeplift_shap", baselines=refs)
    with torch.no_grad():
        delta = model(x)[:, 1] - model(refs)[:, 1].mean()
    assert torch.allclose(attr.flatten(1).sum(1), delta, atol=1e-4, rtol=1e-3)


def test_reused_relu_breaks_captum_deeplift():
    class Reused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            h = self.relu(self.relu(self.conv(x)) - 0.1)
            return self.fc(h.mean((2, 3)))

    with pytest.raises(RuntimeError, match="more than once"):
        pixel_attribution(Reused().eval(), images(1), 0, method="deeplift_shap")


def test_vit_attributions_run_and_gelu_rule_is_restored():
    from captum.attr._core import deep_lift

    torch.manual_seed(0)
    model = ViTCifar(dim=16, depth=1, heads=2, mlp_dim=32).eval()
    x = images(2, 0, 32)
    for method in ("saliency", "integrated_gradients", "deeplift_shap"):
        a = pixel_attribution(model, x, 0, method=method, n_steps=4)
        assert a.shape == x.shape and bool(torch.isfinite(a).all())
    assert nn.GELU not in deep_lift.SUPPORTED_NON_LINEAR
    assert bool((pixel_attribution(model, x, 0, method="saliency") >= 0).all())
