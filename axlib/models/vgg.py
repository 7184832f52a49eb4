"""VGG16 for 32x32 images (Simonyan & Zisserman 2015, the CIFAR form): AXAI's CIFAR-100 model.

Thirteen 3x3 convolutions with batch norm and ReLU in five stages (64, 128, 256, 512, 512
channels; 2, 2, 3, 3, 3 layers), each stage ending in a 2x2 max-pool, so a 32x32 image ends
as a 1x1x512 map, then one linear layer: the usual CIFAR adaptation of VGG16 (the ImageNet
form's 4,096-wide fully connected layers would be fed a single position). About 14.8M
parameters for 100 classes. Every ReLU is its own module, used once (Captum's DeepLift needs
that); inputs are [0, 1] pixels, normalised inside with CIFAR-100's channel statistics.
"""
from __future__ import annotations

import torch
from torch import nn

from axlib.models.alexnet import conv_bn_relu
from axlib.models.normalize import Normalize

CIFAR100_MEAN = (0.5071, 0.4865, 0.4409)
CIFAR100_STD = (0.2673, 0.2564, 0.2762)
STAGES = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
"""(channels, convolutions) of VGG16's five stages."""


class VGG16Cifar(nn.Module):
    """x: (B, 3, 32, 32) in [0, 1] -> logits (B, num_classes)."""

    def __init__(self, num_classes: int = 100):
        super().__init__()
        self.normalize = Normalize(CIFAR100_MEAN, CIFAR100_STD)
        layers, c_in = [], 3
        for channels, convolutions in STAGES:
            for _ in range(convolutions):
                layers.append(conv_bn_relu(c_in, channels, 3))
                c_in = channels
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self.normalize(x)).flatten(1))
