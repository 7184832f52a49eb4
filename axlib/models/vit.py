"""A small Vision Transformer (Dosovitskiy et al. 2021) for 32x32 images, patch size 4.

The image is cut into (32 / 4)^2 = 64 patches, each linearly embedded to ``dim``; a learned
class token and learned position embeddings are added; ``depth`` pre-norm encoder blocks
(multi-head self-attention, then an MLP with GELU) follow; the class token's final LayerNorm
output is classified linearly. The EXIAA paper uses ViT-B/16 (86M parameters, ImageNet
pre-trained); this one is trained from scratch on CIFAR-10 on a CPU, so it is far smaller.

For Captum's DeepLift: Captum has rescale rules only for elementwise nonlinear modules (ReLU,
ELU, Sigmoid, Tanh, ...) and pooling; it has none for GELU or LayerNorm, and the attention's
products q k^T and A v are multiplicative interactions no DeepLift rule covers. Through all of
those Captum propagates the plain gradient. The attention softmax is deliberately the function
``torch.softmax``, not an ``nn.Softmax`` module, so that Captum's softmax rule (written for a
final softmax layer, it normalises over the whole tensor) is not applied inside attention;
``axlib.explain.baselines.pixel_attribution`` gives GELU the rescale rule (it is elementwise).
Inputs are [0, 1] pixels; normalisation is inside.
"""
from __future__ import annotations

import torch
from torch import nn

from axlib.models.alexnet import CIFAR10_MEAN, CIFAR10_STD
from axlib.models.normalize import Normalize


class Attention(nn.Module):
    """Multi-head self-attention. x: (B, T, dim) -> (B, T, dim)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim must be divisible by heads, got dim={dim}, heads={heads}")
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = torch.softmax((q @ k.transpose(-2, -1)) * self.scale, dim=-1)      # (B, heads, T, T)
        out = (attn @ v).transpose(1, 2).reshape(b, t, d)
        return self.proj(out)


class Block(nn.Module):
    """Pre-norm transformer encoder block. x: (B, T, dim) -> (B, T, dim)."""

    def __init__(self, dim: int, heads: int, mlp_dim: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTCifar(nn.Module):
    """x: (B, 3, image_size, image_size) in [0, 1] -> logits (B, num_classes).

    image_size must be a multiple of patch (both >= 1).
    """

    def __init__(self, num_classes: int = 10, image_size: int = 32, patch: int = 4, dim: int = 96,
                 depth: int = 6, heads: int = 4, mlp_dim: int = 192):
        super().__init__()
        if patch < 1 or image_size < 1 or image_size % patch:
            raise ValueError(f"image_size must be a positive multiple of patch, got {image_size}, {patch}")
        n_tokens = (image_size // patch) ** 2
        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD)
        self.embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n_tokens + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.embed(self.normalize(x)).flatten(2).transpose(1, 2)      # (B, T, dim)
        tokens = torch.cat([self.cls_token.expand(len(x), -1, -1), tokens], dim=1) + self.pos
        return self.head(self.norm(self.blocks(tokens))[:, 0])
