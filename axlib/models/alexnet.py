"""An AlexNet-style CIFAR-10 classifier (the AXAI paper's CIFAR-10 model, scaled to 32x32).

Five stages like AlexNet (large first kernel, max-pooling, stacked 3x3 convolutions, two
fully connected layers), with batch norm so that it trains in minutes on a CPU.
Inputs are [0, 1] pixels; normalisation lives inside the model.
"""
from __future__ import annotations

import torch
from torch import nn

from axlib.models.normalize import Normalize

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def conv_bn_relu(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    """k x k convolution (padding k // 2), batch norm, ReLU: (B, c_in, H, W) -> (B, c_out, H / stride, W / stride)."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU(inplace=False))


class AlexNetCifar(nn.Module):
    """x: (B, 3, 32, 32) in [0, 1] -> logits (B, num_classes). About 0.8M parameters."""

    def __init__(self, num_classes: int = 10, width: int = 32):
        super().__init__()
        w = width
        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD)
        self.features = nn.Sequential(
            conv_bn_relu(3, w, 5), nn.MaxPool2d(2),            # 32 -> 16
            conv_bn_relu(w, 2 * w, 5), nn.MaxPool2d(2),        # 16 -> 8
            conv_bn_relu(2 * w, 4 * w, 3),
            conv_bn_relu(4 * w, 4 * w, 3), nn.MaxPool2d(2),    # 8 -> 4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * w * 16, 256), nn.ReLU(inplace=False),
            nn.Dropout(0.3), nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self.normalize(x)))
