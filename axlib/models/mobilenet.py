"""ImageNet MobileNetV2 in float32, converted from torchvision's official int8 weights.

The architecture is MobileNetV2 1.0 (Sandler et al. 2018) as torchvision quantises it: batch
norm already folded into every convolution (each conv has a bias, there is no BN layer) and
ReLU in place of ReLU6. ImageNet mean/std normalisation is the model's first layer, so inputs
are (B, 3, 224, 224) pixels in [0, 1] and outputs are (B, 1000) logits in the standard
ImageNet class order (sorted WordNet ids, see :mod:`axlib.data.imagenet`).

Module names follow torchvision's quantisable MobileNetV2 after ``fuse_model()``
(``features.1.conv.0.0`` is the depthwise conv of block 1, ``classifier.1`` the linear layer),
which is also how the int8 TorchScript file names its packed parameters; that makes the
conversion in :func:`convert_int8_torchscript` a name-for-name copy of dequantised tensors.
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from axlib.models.normalize import Normalize

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# (expansion t, output channels c, repeats n, first stride s), as in the paper's Table 2.
INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def _conv_relu(inp: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Conv (with bias: BN folded in) then ReLU; indices 0 and 1 as in torchvision's fused ConvReLU2d."""
    return nn.Sequential(
        nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=True),
        nn.ReLU(inplace=False))


class InvertedResidual(nn.Module):
    """Expand (1x1, unless t = 1), depthwise 3x3, project (1x1, linear); skip when shapes agree."""

    def __init__(self, inp: int, out: int, stride: int, expand_ratio: int):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        hidden = inp * expand_ratio
        self.use_residual = stride == 1 and inp == out
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(_conv_relu(inp, hidden, kernel=1))
        layers += [_conv_relu(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, out, 1, 1, 0, bias=True)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return x + y if self.use_residual else y


class MobileNetV2Folded(nn.Module):
    """MobileNetV2 1.0 with BN folded into the convs and ReLU activations, 3.5M parameters.

    x: (B, 3, H, W) floats in [0, 1] (224x224 for ImageNet); returns (B, num_classes) logits.
    Normalisation by ImageNet mean/std happens inside (``self.normalize``).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self.normalize = Normalize(IMAGENET_MEAN, IMAGENET_STD)
        channels, last_channels = 32, 1280
        features: list[nn.Module] = [_conv_relu(3, channels, stride=2)]
        for t, c, n, s in INVERTED_RESIDUAL_SETTING:
            for i in range(n):
                features.append(InvertedResidual(channels, c, s if i == 0 else 1, t))
                channels = c
        features.append(_conv_relu(channels, last_channels, kernel=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(last_channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.normalize(x))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.classifier(x)


_CONV_ATTR = re.compile(r"^_jit_pass_hoist_conv_packed_params\.(?P<module>.+)\._packed_params\.\d+$")


def load_int8_torchscript(path) -> torch.jit.ScriptModule:
    """The official int8 MobileNetV2 TorchScript file (PyTorch iOS demo app), engine qnnpack.

    Its input is ImageNet-normalised (not [0, 1]) and its output dequantised logits.
    TorchScript is code: only load files you trust (this one is checked by sha256 in the
    conversion script).
    """
    torch.backends.quantized.engine = "qnnpack"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.jit.load(str(path), map_location="cpu").eval()


def int8_forward(int8_model: torch.jit.ScriptModule, x: torch.Tensor) -> torch.Tensor:
    """Logits (B, 1000) of the int8 model for (B, 3, 224, 224) pixels in [0, 1].

    Normalises here, and runs one image at a time: the traced graph reshapes to batch 1.
    """
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.cat([int8_model((image[None] - mean) / std).float().reshape(1, -1) for image in x])


def _packed_params(int8_model: torch.jit.ScriptModule) -> dict[str, tuple[str, object]]:
    """module name -> ("conv" | "linear", packed params) for every quantised layer."""
    found: dict[str, tuple[str, object]] = {}
    for name in re.findall(r'prim::GetAttr\[name="([^"]+)"\]', str(int8_model.graph)):
        match = _CONV_ATTR.match(name)
        if match:
            found[match["module"]] = ("conv", getattr(int8_model, name))
    found["classifier.1"] = ("linear", getattr(int8_model.classifier, "1")._packed_params._packed_params)
    return found


def convert_int8_torchscript(path) -> tuple[MobileNetV2Folded, list[dict]]:
    """Build :class:`MobileNetV2Folded` from the int8 TorchScript file at ``path``.

    Each quantised conv/linear is unpacked (``torch.ops.quantized.conv2d_unpack`` /
    ``linear_unpack``), its int8 weight dequantised (scale * (q - zero_point)) and copied with
    its float bias into the float layer of the same name. Raises ValueError when a layer's
    shape, stride, padding or groups disagree, or when any float layer is left without weights.
    Returns the model in eval mode and one record per layer (name, shape, weight scale, qscheme).
    """
    int8_model = load_int8_torchscript(path)
    model = MobileNetV2Folded().eval()
    modules = dict(model.named_modules())
    layers: list[dict] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (kind, packed) in _packed_params(int8_model).items():
            target = modules.get(name)
            if kind == "conv":
                weight, bias = torch.ops.quantized.conv2d_unpack(packed)
                if not isinstance(target, nn.Conv2d):
                    raise ValueError(f"int8 conv {name} has no float Conv2d of that name")
                geometry = (list(packed.stride()), list(packed.padding()), packed.groups())
                expected = (list(target.stride), list(target.padding), target.groups)
                if geometry != expected:
                    raise ValueError(f"{name}: int8 (stride, padding, groups) {geometry} != float {expected}")
            else:
                weight, bias = torch.ops.quantized.linear_unpack(packed)
                if not isinstance(target, nn.Linear):
                    raise ValueError(f"int8 linear {name} has no float Linear of that name")
            if tuple(weight.shape) != tuple(target.weight.shape):
                raise ValueError(f"{name}: int8 weight {tuple(weight.shape)} != float {tuple(target.weight.shape)}")
            with torch.no_grad():
                target.weight.copy_(weight.dequantize())
                target.bias.copy_(bias.dequantize() if bias.is_quantized else bias)
            scheme = weight.qscheme()
            layers.append({
                "name": name, "kind": kind, "shape": list(weight.shape), "qscheme": str(scheme),
                "weight_scale": weight.q_scale() if scheme == torch.per_tensor_affine else None,
            })
    converted = {record["name"] for record in layers}
    missing = [n for n, m in modules.items() if isinstance(m, (nn.Conv2d, nn.Linear)) and n not in converted]
    if missing:
        raise ValueError(f"float layers without int8 weights: {missing}")
    return model, layers


def int8_model_path() -> Path | None:
    """``../shared/data/mobilenet-v2-int8/mobilenet_quantized.pt`` when present (development only)."""
    from axlib._util.paths import shared_data_dir

    shared = shared_data_dir()
    candidate = shared / "mobilenet-v2-int8" / "mobilenet_quantized.pt" if shared else None
    return candidate if candidate is not None and candidate.exists() else None
