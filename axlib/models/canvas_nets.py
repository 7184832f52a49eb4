"""Three CNN families of the robust-model study (Nourelahi et al., Table 1), sized for 64x64 canvases.

The study's models see CIFAR-10 objects (32x32) pasted on 64x64 label-free canvases
(:mod:`axlib.data.boxes`). Each network opens with a stride-2 stem, as the ImageNet originals
do (AlexNet: 11x11 stride 4; GoogLeNet and ResNet: 7x7 stride 2), so the body works on 32x32
maps and a model trains in minutes per epoch on a 2-core CPU.

- :class:`AlexNet64`: AlexNet's shape (large first kernel, stacked 3x3 convolutions, max-pools,
  two hidden fully connected layers); no global average pooling, so CAM does not apply (as the
  paper's AlexNet: "N/A").
- :class:`ResNet64`: ResNet-18's layout (four stages of two basic blocks) at width 16 after a
  3x3 stride-2 stem; global average pooling, then the linear classifier (CAM applies).
- :class:`GoogLeNet64`: GoogLeNet's inception modules (1x1, 3x3, double-3x3 and pool branches
  concatenated), one module at 16x16 and two at 8x8; global average pooling (CAM applies).

Every ReLU is its own module, used once (Captum's DeepLift and hooks need that); batch norms are
``nn.BatchNorm2d`` so :func:`axlib.models.advprop.convert_to_dual_bn` can give each an auxiliary
twin. Inputs are (B, 3, 64, 64) in [0, 1]; the CIFAR-10 normalisation is inside. The classifier
of the GAP networks is ``fc`` after ``pool``.
"""
from __future__ import annotations

import torch
from torch import nn

from axlib.models.alexnet import CIFAR10_MEAN, CIFAR10_STD, conv_bn_relu
from axlib.models.normalize import Normalize
from axlib.models.resnet import ResNet18Cifar


class AlexNet64(nn.Module):
    """x: (B, 3, 64, 64) in [0, 1] -> logits (B, num_classes). About 0.95M parameters.

    5x5 stride-2 stem (64 -> 32) and max-pool (-> 16) as AlexNet's strided first layer and
    pool; a 5x5 stage, max-pool (-> 8), three 3x3 stages, max-pool (-> 4); then dropout /
    FC 2048 -> 256 / FC 256 -> classes.
    """

    def __init__(self, num_classes: int = 10, width: int = 32):
        super().__init__()
        w = width
        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD)
        self.features = nn.Sequential(
            conv_bn_relu(3, w, 5, stride=2), nn.MaxPool2d(2),    # 64 -> 32 -> 16
            conv_bn_relu(w, 2 * w, 5), nn.MaxPool2d(2),          # 16 -> 8
            conv_bn_relu(2 * w, 4 * w, 3),
            conv_bn_relu(4 * w, 4 * w, 3),
            conv_bn_relu(4 * w, 4 * w, 3), nn.MaxPool2d(2),      # 8 -> 4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * w * 16, 256), nn.ReLU(inplace=False),
            nn.Dropout(0.3), nn.Linear(256, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self.normalize(x)))


class ResNet64(ResNet18Cifar):
    """x: (B, 3, 64, 64) in [0, 1] -> logits (B, num_classes). About 0.7M parameters at width 16.

    :class:`~axlib.models.resnet.ResNet18Cifar` with a 3x3 stride-2 stem (64 -> 32): stages of
    two basic blocks with channels w, 2w, 4w, 8w and strides 1, 2, 2, 2 (32 -> 4), global
    average pooling, linear.
    """

    def __init__(self, num_classes: int = 10, width: int = 16):
        super().__init__(num_classes=num_classes, width=width, stem_stride=2)


class Inception(nn.Module):
    """GoogLeNet's inception module with batch norm: four branches concatenated on channels.

    x: (B, c_in, H, W) -> (B, b1 + b3 + b5 + bp, H, W). Branches: 1x1; 1x1 -> 3x3;
    1x1 -> 3x3 -> 3x3 (the 5x5 branch as two 3x3, as in later GoogLeNets); 3x3 max-pool -> 1x1.
    """

    def __init__(self, c_in: int, b1: int, b3: tuple[int, int], b5: tuple[int, int], bp: int):
        super().__init__()
        self.branch1 = conv_bn_relu(c_in, b1, 1)
        self.branch3 = nn.Sequential(conv_bn_relu(c_in, b3[0], 1), conv_bn_relu(b3[0], b3[1], 3))
        self.branch5 = nn.Sequential(conv_bn_relu(c_in, b5[0], 1), conv_bn_relu(b5[0], b5[1], 3),
                                     conv_bn_relu(b5[1], b5[1], 3))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv_bn_relu(c_in, bp, 1))
        self.out_channels = b1 + b3[1] + b5[1] + bp

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], 1)


class GoogLeNet64(nn.Module):
    """x: (B, 3, 64, 64) in [0, 1] -> logits (B, num_classes). About 0.6M parameters.

    3x3 stride-2 stem (64 -> 32), max-pool (-> 16), 3x3 conv, an inception module, max-pool
    (-> 8), two inception modules, global average pooling, dropout, linear.
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD)
        self.stem = nn.Sequential(conv_bn_relu(3, 32, 3, stride=2), nn.MaxPool2d(2), conv_bn_relu(32, 64, 3))
        a = Inception(64, 48, (48, 64), (12, 24), 24)              # 160 channels at 16x16
        c = Inception(a.out_channels, 64, (64, 96), (16, 32), 32)  # 224 at 8x8
        d = Inception(c.out_channels, 96, (96, 128), (24, 48), 48)  # 320
        self.inception = nn.Sequential(a, nn.MaxPool2d(2), c, d)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(d.out_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.inception(self.stem(self.normalize(x)))
        return self.fc(self.dropout(torch.flatten(self.pool(h), 1)))
