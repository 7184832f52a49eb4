"""The 9 methods of the robust-model study behind one call, on tiny CNNs with known structure."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib.explain import baselines as _baselines
from axlib.explain import methods as M

H = W = 16


class GapNet(nn.Module):
    """conv-relu-conv-relu, global average pooling, one linear layer: CAM applies."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(6, 8, 3, padding=1, stride=2), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))


class FlatNet(nn.Module):
    """AlexNet-style head: a flattened map into fully connected layers (no GAP)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, x):
        return self.classifier(self.features(x))


class LinearNet(nn.Module):
    """logit_c = sum(W_c * x): gradients and IG are known in closed form."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(2)
        self.w = nn.Parameter(torch.randn(2, 3, H, W))

    def forward(self, x):
        return torch.einsum("bchw,kchw->bk", x, self.w)


def images(b=2, seed=0):
    return torch.rand(b, 3, H, W, generator=torch.Generator().manual_seed(seed))


FAST = {
    "gradient": {}, "ig": dict(n_steps=8), "shap": dict(n_samples=8), "gradcam": {}, "cam": {},
    "rise": dict(n_masks=40, mask_size=4), "lime": dict(num_samples=30, n_segments=8),
    "mp": dict(iterations=3), "ep": dict(iterations=3),
}


@pytest.mark.parametrize("method", M.METHODS)
def test_every_method_returns_finite_maps(method):
    model, x = GapNet().eval(), images()
    out = M.attribute(method, model, x, torch.tensor([1, 2]), **FAST[method])
    assert out.shape == (2, H, W) and out.dtype == torch.float32 and torch.isfinite(out).all()
    assert out.abs().sum() > 0
    assert model.training is False
    again = M.attribute(method, model, x, torch.tensor([1, 2]), **FAST[method])
    assert torch.allclose(out, again, atol=1e-6)  # deterministic (seeded where random)


def test_methods_and_families_cover_the_paper():
    assert len(M.METHODS) == 9 and set(M.FAMILIES) == set(M.METHODS)
    assert sorted(M.FAMILIES.values()).count("perturbation") == 4


def test_target_none_is_the_prediction():
    model, x = GapNet().eval(), images()
    pred = model(x).argmax(1)
    assert torch.equal(M.attribute("gradcam", model, x), M.attribute("gradcam", model, x, pred))


def test_cam_needs_gap_and_gradcam_does_not():
    model, x = FlatNet().eval(), images()
    ok, reason, _ = M.has_gap_classifier(model, x)
    assert not ok and "global average" in reason
    with pytest.raises(ValueError, match="global average pooling"):
        M.attribute("cam", model, x, 0)
    assert M.attribute("gradcam", model, x, 0).shape == (2, H, W)
    assert M.has_gap_classifier(GapNet().eval(), x)[0]


def test_cam_by_hand_and_equal_to_gradcam_up_to_scale():
    """CAM = sum_k w_ck A_k upsampled; on GAP + linear GradCAM's channel weights are
    w_ck / (h w), so GradCAM = ReLU(CAM) / (h w) (the paper: "almost identical")."""
    model, x = GapNet().eval(), images()
    y = torch.tensor([3, 0])
    feats = model.features(x)                    # (2, 8, 8, 8)
    by_hand = torch.einsum("bk,bkhw->bhw", model.fc.weight[y], feats)
    by_hand = nn.functional.interpolate(by_hand[:, None], size=(H, W), mode="bilinear",
                                        align_corners=False)[:, 0]
    c = M.attribute("cam", model, x, y)
    assert torch.allclose(c, by_hand, atol=1e-5)
    g = M.attribute("gradcam", model, x, y)
    # GradCAM applies the ReLU on the h x w map, then upsamples (as Captum's LayerGradCam + interpolate)
    ref = nn.functional.interpolate(torch.relu(torch.einsum("bk,bkhw->bhw", model.fc.weight[y], feats))[:, None] / 64,
                                    size=(H, W), mode="bilinear", align_corners=False)[:, 0]
    assert torch.allclose(g, ref, atol=1e-5)


def test_feature_layer_default_and_override():
    model, x = GapNet().eval(), images()
    assert M.feature_layer(model, x) is model.features  # the container runs last of its children
    model.cam_layer = model.features[1]
    assert M.feature_layer(model, x) is model.features[1]


def test_gradient_and_ig_on_a_linear_model():
    model, x = LinearNet().eval(), images()
    y = torch.tensor([0, 1])
    expected = model.w[y].detach().abs().sum(1)          # |d logit / dx| summed over channels
    assert torch.allclose(M.attribute("gradient", model, x, y), expected, atol=1e-6)
    # IG from black on a linear model: x * W exactly (completeness: sums to f(x) - f(0))
    ig = M.attribute("ig", model, x, y, reduce="sum")
    assert torch.allclose(ig, (x * model.w[y].detach()).sum(1), atol=1e-4)


def test_lime_map_is_constant_on_superpixels():
    model, x = GapNet().eval(), images(1)
    out = M.attribute("lime", model, x, 1, num_samples=30, n_segments=6)
    assert 1 < out.unique().numel() <= 12


class Saturate(nn.Module):
    """Logits x 100, plus 100 on one class: its softmax probability is 1 for any input here."""

    def __init__(self, label: int):
        super().__init__()
        self.label = label

    def forward(self, z):
        return 100.0 * z + 100.0 * nn.functional.one_hot(torch.tensor(self.label), z.shape[1])


def _slic(x, n_segments):
    from skimage.segmentation import slic
    return torch.stack([torch.from_numpy(slic(im.permute(1, 2, 0).double().numpy(), n_segments=n_segments,
                                              compactness=10.0, sigma=3.0, start_label=0, channel_axis=-1)).long()
                        for im in x])


def test_study_lime_fits_probabilities_not_logits():
    # a saturated probability does not move when superpixels are switched off, so LIME on
    # probabilities (the paper's lime package) gives ~0 weights; the logits still move
    model, x = GapNet().eval(), images(1)
    saturated = nn.Sequential(model, Saturate(1)).eval()
    out = M.attribute("lime", saturated, x, 1, num_samples=60, n_segments=6)
    assert out.abs().max() < 1e-6
    on_logits = _baselines.captum_lime(saturated, x, 1, segments=_slic(x, 6), num_samples=60)
    assert on_logits.abs().max() > 1e-2      # the same question asked of logits: the test can fail


def test_bad_method_and_params():
    model, x = GapNet().eval(), images()
    with pytest.raises(ValueError, match="method must be one of"):
        M.attribute("smoothgrad", model, x, 0)
    with pytest.raises(TypeError):
        M.attribute("rise", model, x, 0, n_mask=10)
    with pytest.raises(ValueError, match="return_masks"):
        M.attribute("ep", model, x, 0, iterations=1, return_masks=True)
    with pytest.raises(ValueError, match="n_segments"):
        M.attribute("lime", model, x, 0, n_segments=0)
