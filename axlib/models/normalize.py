"""Per-channel normalisation as the first layer of every model, so inputs stay [0, 1] pixels."""
from __future__ import annotations

import torch
from torch import nn


class Normalize(nn.Module):
    """(x - mean) / std per channel. x: (B, C, H, W) in [0, 1] with C the number of channels of
    ``mean``; any other C raises ValueError (no silent broadcast of a grey image). Buffers are
    not trained."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.mean.shape[1]:
            raise ValueError(f"x must have shape (B, {self.mean.shape[1]}, H, W) for this model, got "
                             f"{tuple(x.shape)}" + (" (a grey image: repeat it to 3 channels)"
                                                   if x.dim() == 4 and x.shape[1] == 1 else ""))
        return (x - self.mean) / self.std
