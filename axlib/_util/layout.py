"""The memory layout batches of images are computed in."""
from __future__ import annotations

import torch
from torch import nn

CHANNELS_LAST_MIN_PIXELS = 16_384
"""Attacks (:func:`axlib.attacks.pgd`), SHAP's and Integrated Gradients' batches, RISE's masked
images, Meaningful / Extremal Perturbation's steps and the Insertion / Deletion curves compute in channels-last layout when
a batch holds at least this many pixels (B x H x W): a 224x224 image, or 16 CIFAR images.
(LIME's batches are channels-last already: they come from NHWC arrays.) Measured (PGD-20, 1 thread, 2-core x86_64
CPU, Dec 2026): MobileNetV2 at 224 px 0.91 vs 1.13 s per image at batch 1 and 0.70 vs 1.05 at
batch 32; the CIFAR-10 AlexNet / ResNet-18 at batch 128 27 vs 33 / 40 vs 48 ms per image, but
at batch 1 4-14 % slower, hence the threshold. The layout changes which convolution kernels
run, so results differ from the contiguous layout's in the last bits; they stay deterministic.
The canvas models at 64 px in batches of 256 (Insertion / Deletion, 1 thread): ResNet 0.28 vs
0.22 s, GoogLeNet 0.72 vs 0.33 s, AlexNet 0.25 vs 0.20 s per batch."""


def compute_layout(x: torch.Tensor) -> torch.Tensor:
    """x in channels-last layout when it is a batch of images (B, C, H, W) holding at least
    :data:`CHANNELS_LAST_MIN_PIXELS` pixels, else x unchanged; the values are the same either
    way (differentiable: a gradient flows back to x)."""
    if x.dim() == 4 and x.shape[0] * x.shape[2] * x.shape[3] >= CHANNELS_LAST_MIN_PIXELS:
        return x.contiguous(memory_format=torch.channels_last)
    return x


class InComputeLayout(nn.Module):
    """``model`` called on :func:`compute_layout` of its input, for libraries (Captum) that call
    the model themselves: ``InComputeLayout(model)(x) == model(compute_layout(x))``."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(compute_layout(x))
