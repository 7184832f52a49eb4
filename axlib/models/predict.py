"""Predictions as a reader wants to see them: top-k class names with probabilities."""
from __future__ import annotations

import pandas as pd
import torch


@torch.no_grad()
def top_k(model: torch.nn.Module, x: torch.Tensor, classes, k: int = 5, names=None) -> pd.DataFrame:
    """Top-k softmax predictions of ``model`` for (B, C, H, W) images in [0, 1].

    Returns a long DataFrame with columns image, rank (1..k), class, probability.
    Raises ValueError when k is outside [1, number of classes].
    """
    if not 1 <= k <= len(classes):
        raise ValueError(f"k must be in [1, {len(classes)}], got {k}")
    probs = torch.softmax(model.eval()(x), dim=1)
    values, indices = probs.topk(k, dim=1)
    names = names if names is not None else [str(i) for i in range(len(x))]
    rows = [{"image": names[b], "rank": r + 1, "class": classes[indices[b, r]],
             "probability": round(values[b, r].item(), 4)}
            for b in range(len(x)) for r in range(k)]
    return pd.DataFrame(rows)
