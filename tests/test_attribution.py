"""One entry point for every attribution method: axlib.explain.attribute."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib import explain
from axlib.explain import baselines, methods


def tiny_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 3)).eval()


SMALL = {
    "axai": dict(segments=torch.arange(64).reshape(8, 8).repeat_interleave(2, 0).repeat_interleave(2, 1)[None]
                 .expand(2, 16, 16).contiguous(), k=3, steps=2),
    "ig": dict(n_steps=4), "shap": dict(n_samples=4), "rise": dict(n_masks=8, mask_size=4),
    "lime": dict(num_samples=20, n_segments=8), "mp": dict(iterations=2), "ep": dict(iterations=2, areas=(0.1,)),
    "lime_package": dict(num_samples=20, kernel_size=1, max_dist=10),
    "shap_gradient": dict(background=torch.rand(2, 3, 16, 16), nsamples=4),
    "integrated_gradients": dict(n_steps=4),
}


@pytest.mark.parametrize("method", list(explain.METHODS))
def test_every_method_runs_through_one_call_with_its_documented_output(method):
    model, x = tiny_model(), torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    out = explain.attribute(method, model, x, target=torch.tensor([0, 2]), **SMALL.get(method, {}))
    expected = (2, 3, 16, 16) if explain.OUTPUT[method] == "B,C,H,W" else (2, 16, 16)
    assert tuple(out.shape) == expected and bool(torch.isfinite(out).all())
    assert explain.attribute.__module__ == "axlib.explain.attribution"
    assert method in explain.attribution.__doc__


def test_the_entry_point_is_the_methods_own_function():
    model, x = tiny_model(), torch.rand(1, 3, 16, 16)
    assert torch.equal(explain.attribute("gradient", model, x), methods.attribute("gradient", model, x))
    assert torch.equal(explain.attribute("saliency", model, x),
                       baselines.pixel_attribution(model, x, method="saliency"))


def test_unknown_method_and_keyword():
    with pytest.raises(ValueError, match="method must be one of"):
        explain.attribute("gradcam++", tiny_model(), torch.rand(1, 3, 16, 16))
    with pytest.raises(TypeError):
        explain.attribute("gradient", tiny_model(), torch.rand(1, 3, 16, 16), n_masks=3)
