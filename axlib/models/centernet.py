"""A small CenterNet-style detector for the detection scenes (AXAI appendix E.2's counterpart).

"Objects as points" (Zhou, Wang, Krähenbühl 2019), scaled to train on a CPU: a convolutional
backbone at output stride 4, and three heads per output cell: a class heatmap (one sigmoid per
class: an object's centre is a peak), the box size and the sub-cell offset of the centre.

- **Training** (:func:`centernet_loss`): the targets are drawn from the boxes as in the paper:
  a Gaussian bump per object at its centre cell on its class's heatmap (standard deviation a
  sixth of the box side in cells), the penalty-reduced focal loss on the heatmap (alpha 2,
  beta 4), and L1 losses on size and offset at the centre cells only, weighted 0.1 and 1.
- **Inference** (``forward`` in eval mode): torchvision's detection interface. Peaks are the
  heatmap cells equal to their 3 x 3 max-pool; the ``max_detections`` best above
  ``score_threshold`` become boxes (centre = (cell + offset) * stride, side = size * stride).
  Scores are the heatmap values themselves, so they are differentiable in the image (AXAI for
  detectors attacks them).

Input: a list of (3, H, W) images or a (B, 3, H, W) tensor, pixels in [0, 1] (normalised
inside), H and W multiples of 4.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from axlib.models.alexnet import CIFAR10_MEAN, CIFAR10_STD
from axlib.models.normalize import Normalize

__all__ = ["CenterNet", "STRIDE", "encode_targets", "centernet_loss"]

STRIDE = 4


def _block(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


class CenterNet(nn.Module):
    """CenterNet with a 7-conv backbone (stride 4) and 3 heads; about 0.3M parameters.

    num_classes: heatmap channels; width: backbone channels; score_threshold, max_detections:
    inference settings (attributes, change them freely)."""

    def __init__(self, num_classes: int = 10, width: int = 48, score_threshold: float = 0.3,
                 max_detections: int = 20):
        super().__init__()
        w = width
        self.num_classes, self.score_threshold, self.max_detections = num_classes, score_threshold, max_detections
        self.normalize = Normalize(CIFAR10_MEAN, CIFAR10_STD)
        self.backbone = nn.Sequential(
            _block(3, w // 2), _block(w // 2, w, stride=2), _block(w, w),
            _block(w, 2 * w, stride=2), _block(2 * w, 2 * w), _block(2 * w, 2 * w), _block(2 * w, 2 * w))
        self.heatmap = nn.Sequential(_block(2 * w, w), nn.Conv2d(w, num_classes, 1))
        self.size = nn.Sequential(_block(2 * w, w), nn.Conv2d(w, 2, 1))
        self.offset = nn.Sequential(_block(2 * w, w), nn.Conv2d(w, 2, 1))
        nn.init.constant_(self.heatmap[-1].bias, -math.log((1 - 0.1) / 0.1))     # prior 0.1, as the paper

    def heads(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, 3, H, W) -> {"heatmap": logits (B, K, H/4, W/4), "size": (B, 2, ...), "offset": (B, 2, ...)}."""
        if x.dim() != 4 or x.shape[-1] % STRIDE or x.shape[-2] % STRIDE:
            raise ValueError(f"x must be (B, 3, H, W) with H and W multiples of {STRIDE}, got {tuple(x.shape)}")
        f = self.backbone(self.normalize(x))
        return {"heatmap": self.heatmap(f), "size": self.size(f), "offset": self.offset(f)}

    def forward(self, images):
        batch = torch.stack(list(images)) if isinstance(images, (list, tuple)) else images
        out = self.heads(batch)
        if self.training:
            return out
        return decode(out, score_threshold=self.score_threshold, max_detections=self.max_detections)


def decode(heads: dict[str, torch.Tensor], *, score_threshold: float, max_detections: int) -> list[dict]:
    """Detections from the heads: heatmap peaks (3 x 3 max-pool), the best ``max_detections``
    above ``score_threshold``; boxes in input pixels. Scores keep their gradient."""
    heat = torch.sigmoid(heads["heatmap"])
    b, k, h, w = heat.shape
    peaks = heat.detach() == F.max_pool2d(heat.detach(), 3, stride=1, padding=1)
    flat = (heat * peaks).flatten(1)                                   # (B, K*h*w)
    top = flat.detach().topk(min(max_detections, flat.shape[1]), dim=1)
    out = []
    for i in range(b):
        keep = top.values[i] > score_threshold
        idx = top.indices[i][keep]
        label, cell = idx // (h * w), idx % (h * w)
        row, col = cell // w, cell % w
        size = heads["size"][i, :, row, col].detach().clamp(min=0) * STRIDE       # (2, n): width, height
        offset = heads["offset"][i, :, row, col].detach()
        cx, cy = (col + offset[0]) * STRIDE, (row + offset[1]) * STRIDE
        boxes = torch.stack([cx - size[0] / 2, cy - size[1] / 2, cx + size[0] / 2, cy + size[1] / 2], dim=1)
        out.append({"boxes": boxes, "scores": flat[i, idx], "labels": label})
    return out


def encode_targets(boxes: list[torch.Tensor], labels: list[torch.Tensor], *, num_classes: int, height: int,
                   width: int) -> torch.Tensor:
    """Dense training targets of a batch of scenes, (B, K + 5, H/4, W/4): the Gaussian class
    heatmaps (K), size (2), offset (2) and the centre mask (1), from half-open pixel boxes."""
    h, w = height // STRIDE, width // STRIDE
    out = torch.zeros(len(boxes), num_classes + 5, h, w)
    rows, cols = torch.arange(h, dtype=torch.float32)[:, None], torch.arange(w, dtype=torch.float32)[None, :]
    for i, (bx, lab) in enumerate(zip(boxes, labels)):
        for (x0, y0, x1, y1), c in zip(bx.tolist(), lab.tolist()):
            cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
            col, row = min(int(cx), w - 1), min(int(cy), h - 1)
            sigma = max((x1 - x0) / STRIDE / 6, 0.5)
            bump = torch.exp(-((rows - row) ** 2 + (cols - col) ** 2) / (2 * sigma ** 2))
            out[i, c] = torch.maximum(out[i, c], bump)
            out[i, num_classes:num_classes + 2, row, col] = torch.tensor([(x1 - x0) / STRIDE, (y1 - y0) / STRIDE])
            out[i, num_classes + 2:num_classes + 4, row, col] = torch.tensor([cx - col, cy - row])
            out[i, num_classes + 4, row, col] = 1.0
    return out


def centernet_loss(heads: dict[str, torch.Tensor], targets: torch.Tensor) -> torch.Tensor:
    """The paper's loss: penalty-reduced focal loss on the heatmap (alpha 2, beta 4, averaged
    over objects) + 0.1 L1 on sizes + L1 on offsets, at centre cells."""
    k = heads["heatmap"].shape[1]
    gt, mask = targets[:, :k], targets[:, k + 4:k + 5]
    pred = torch.sigmoid(heads["heatmap"]).clamp(1e-4, 1 - 1e-4)
    centre = gt.eq(1.0).float()
    pos = -((1 - pred) ** 2) * torch.log(pred) * centre
    neg = -((1 - gt) ** 4) * (pred ** 2) * torch.log(1 - pred) * (1 - centre)
    n = centre.sum().clamp(min=1.0)
    focal = (pos.sum() + neg.sum()) / n
    m = mask.sum().clamp(min=1.0)
    size = (F.l1_loss(heads["size"], targets[:, k:k + 2], reduction="none") * mask).sum() / m
    offset = (F.l1_loss(heads["offset"], targets[:, k + 2:k + 4], reduction="none") * mask).sum() / m
    return focal + 0.1 * size + offset
