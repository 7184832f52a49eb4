"""DeepLIFT-SHAP (axlib.explain.baselines.pixel_attribution) is complete: attributions sum to
f(x) - mean f(reference), on planted max-pool networks (where Captum's own rule is not) and on
every shipped CNN family; the ViT's measured error is reported, not asserted (DeepLIFT has no
rule for attention's products)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib.explain.baselines import _complete_max_pool_rule, completeness_error, pixel_attribution
from axlib.models import load
from axlib.models.registry import checkpoint_path


def _conv(c_in: int, c_out: int) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, 3, padding=1)


PLANTED = {   # ReLU straight into a pool, stacked; overlapping 3x3 windows (stride 2 and 1)
    "relu-into-pool": lambda: nn.Sequential(_conv(3, 4), nn.ReLU(), _conv(4, 4), nn.ReLU(), nn.MaxPool2d(2),
                                            nn.Flatten(), nn.Linear(64, 2)),
    "overlapping-stride-2": lambda: nn.Sequential(_conv(3, 4), nn.ReLU(), nn.MaxPool2d(3, 2, 1), _conv(4, 4),
                                                  nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 2)),
    "overlapping-stride-1": lambda: nn.Sequential(_conv(3, 4), nn.ReLU(), nn.MaxPool2d(3, 1, 1), _conv(4, 4),
                                                  nn.ReLU(), nn.MaxPool2d(3, 1, 1), nn.Flatten(), nn.Linear(256, 2)),
}


def _planted_inputs():
    g = torch.Generator().manual_seed(0)
    return torch.rand(3, 3, 8, 8, generator=g), torch.rand(2, 3, 8, 8, generator=g)


@pytest.mark.parametrize("name", list(PLANTED))
def test_max_pool_networks_are_complete(name):
    torch.manual_seed(0)
    model = PLANTED[name]().eval()
    x, refs = _planted_inputs()
    attr = pixel_attribution(model, x, 1, method="deeplift_shap", baselines=refs)
    assert completeness_error(model, x, attr, 1, baselines=refs).max() < 1e-4


@pytest.mark.parametrize("name", list(PLANTED))
def test_captums_own_max_pool_rule_is_not(name):
    """The control: the same networks through Captum 0.9's rule miss the change by > 1 %."""
    import warnings

    from captum.attr import DeepLiftShap

    torch.manual_seed(0)
    model = PLANTED[name]().eval()
    x, refs = _planted_inputs()
    with warnings.catch_warnings():             # Captum's notice about the hooks it sets
        warnings.simplefilter("ignore", UserWarning)
        attr = DeepLiftShap(model).attribute(x, baselines=refs, target=1).detach()
    assert completeness_error(model, x, attr, 1, baselines=refs).max() > 1e-2


def test_the_rule_is_undone_afterwards():
    from captum.attr._core import deep_lift

    model = PLANTED["relu-into-pool"]()
    before = deep_lift.SUPPORTED_NON_LINEAR[nn.MaxPool2d]
    with _complete_max_pool_rule(model):
        assert deep_lift.SUPPORTED_NON_LINEAR[nn.MaxPool2d] is not before
        assert model[4]._forward_pre_hooks
    assert deep_lift.SUPPORTED_NON_LINEAR[nn.MaxPool2d] is before and not model[4]._forward_pre_hooks


CNNS = {"cifar10-alexnet": 32, "cifar10-resnet18": 32, "canvas64-alexnet": 64, "canvas64-googlenet": 64,
        "canvas64-resnet": 64, "imagenet-mobilenetv2": 224}


@pytest.mark.parametrize("name", list(CNNS))
def test_every_shipped_cnn_family_is_complete(name):
    if not checkpoint_path(name).exists():
        pytest.skip(f"{name} is not shipped in this checkout")
    model, size = load(name), CNNS[name]
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    attr = pixel_attribution(model, x, method="deeplift_shap")
    assert completeness_error(model, x, attr).max() < 1e-3


def test_completeness_error_checks_shapes():
    model = PLANTED["relu-into-pool"]().eval()
    x, _ = _planted_inputs()
    with pytest.raises(ValueError, match=r"attributions must have the shape of x \(3, 3, 8, 8\), got \(3, 8, 8\)"):
        completeness_error(model, x, x[:, 0])


@pytest.mark.parametrize("architecture", ["resnet18", "resnet50"])
def test_torchvision_resnets_load_ready_for_deeplift_and_complete(architecture):
    """The paper profile's torchvision ResNets (EXIAA's ResNet-18, the robust study's ResNet-50)
    call one ReLU per use after pretrained.one_relu_per_use: Captum refuses the blocks as
    torchvision builds them (a ReLU called twice), accepts them after, same outputs and state
    dict, complete to float precision (random weights, 64 px)."""
    import torchvision

    from axlib.models.pretrained import one_relu_per_use

    torch.manual_seed(0)
    net = getattr(torchvision.models, architecture)(weights=None).eval()
    x, refs = torch.rand(2, 3, 64, 64), torch.rand(3, 3, 64, 64)
    with pytest.raises(RuntimeError, match="being used more than once"):
        pixel_attribution(net, x, method="deeplift_shap", baselines=refs)
    before, keys = net(x), list(net.state_dict())
    one_relu_per_use(net)
    assert torch.equal(net(x), before) and list(net.state_dict()) == keys
    attr = pixel_attribution(net, x, method="deeplift_shap", baselines=refs)
    assert completeness_error(net, x, attr, baselines=refs).max() < 1e-4
