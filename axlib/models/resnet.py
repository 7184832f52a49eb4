"""ResNet-18, small-image variant (He et al. 2016, CIFAR form), for the EXIAA notebook.

The CIFAR form replaces ImageNet's 7x7 stride-2 stem and max-pool by one 3x3 stride-1
convolution, so 32x32 inputs keep their resolution into the first stage. Four stages of two
basic blocks each (channels w, 2w, 4w, 8w; strides 1, 2, 2, 2), global average pooling and a
linear layer. ``width=64`` is the standard ResNet-18 (11.2M parameters); the shipped model
uses a narrower width so that it trains on a shared CPU (see its card).

Every ReLU is its own module, used once. torchvision's BasicBlock calls one ``self.relu`` twice;
Captum's DeepLift stores per-module inputs and outputs in forward hooks, so a reused module
overwrites its first call's reference values and the rescale rule is applied with the wrong
pair. One module per use avoids that. Inputs are [0, 1] pixels; normalisation is inside.
"""
from __future__ import annotations

import torch
from torch import nn

from axlib.models.alexnet import CIFAR10_MEAN, CIFAR10_STD, conv_bn_relu
from axlib.models.normalize import Normalize


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 conv-BN) shortcut.

    x: (B, c_in, H, W) -> (B, c_out, H / stride, W / stride).
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu1 = nn.ReLU(inplace=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(c_out))
        self.relu2 = nn.ReLU(inplace=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.shortcut(x))


class ResNet18Cifar(nn.Module):
    """x: (B, 3, 32, 32) in [0, 1] -> logits (B, num_classes).

    width: channels of the first stage (64 is the standard ResNet-18); must be >= 1.
    stem_stride: stride of the 3x3 stem, 1 (the CIFAR form) or 2 (halves larger inputs first,
    as :class:`axlib.models.canvas_nets.ResNet64` does for 64x64 canvases).
    """

    def __init__(self, num_classes: int = 10, width: int = 64, stem_stride: int = 1):
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        if stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 or 2, got {stem_stride!r}")
        w = width
        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD)
        self.stem = conv_bn_relu(3, w, 3, stride=stem_stride)
        blocks, c_in = [], w
        for c_out, stride in ((w, 1), (2 * w, 2), (4 * w, 2), (8 * w, 2)):
            blocks += [BasicBlock(c_in, c_out, stride), BasicBlock(c_out, c_out, 1)]
            c_in = c_out
        self.layers = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * w, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layers(self.stem(self.normalize(x)))
        return self.fc(torch.flatten(self.pool(h), 1))
