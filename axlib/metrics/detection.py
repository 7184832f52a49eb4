"""Detection accuracy: average precision at an IoU threshold (PASCAL VOC's all-point AP).

Per class: every detection of that class over all images, by score (highest first; ties in
input order); each is a true positive when its IoU with a not yet matched ground-truth box of
that class in its image is >= ``iou`` (the box of largest IoU is taken), else a false
positive; AP is the area under the precision-recall curve after making precision
monotonically non-increasing (VOC 2010 onwards, all points). mAP is the mean AP over the
classes that have ground-truth boxes. Boxes are ``(x0, y0, x1, y1)`` in continuous pixel
coordinates (area = width x height).
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["box_iou_matrix", "average_precision", "mean_average_precision"]


def box_iou_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every box of ``a`` (N, 4) with every box of ``b`` (M, 4): (N, M) float64."""
    a, b = a.double().reshape(-1, 4), b.double().reshape(-1, 4)
    w = (torch.minimum(a[:, None, 2], b[None, :, 2]) - torch.maximum(a[:, None, 0], b[None, :, 0])).clamp(min=0)
    h = (torch.minimum(a[:, None, 3], b[None, :, 3]) - torch.maximum(a[:, None, 1], b[None, :, 1])).clamp(min=0)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))


def _check(detections, targets) -> None:
    if len(detections) != len(targets):
        raise ValueError(f"detections and targets must have one entry per image, got {len(detections)} and "
                         f"{len(targets)}")
    for name, items, keys in (("detections", detections, ("boxes", "scores", "labels")),
                              ("targets", targets, ("boxes", "labels"))):
        for i, item in enumerate(items):
            missing = [k for k in keys if k not in item]
            if missing:
                raise ValueError(f"{name}[{i}] lacks {missing}")


def average_precision(detections, targets, label: int, *, iou: float = 0.5) -> float:
    """AP of class ``label`` (see the module docstring); NaN when it has no ground-truth box.

    detections: one dict per image with "boxes" (N, 4), "scores" (N,), "labels" (N,);
    targets: one dict per image with "boxes" (M, 4), "labels" (M,).
    """
    _check(detections, targets)
    gt = [t["boxes"][t["labels"] == label].detach().cpu() for t in targets]
    n_gt = sum(len(g) for g in gt)
    if n_gt == 0:
        return float("nan")
    found = []                                        # (score, image, box)
    for i, d in enumerate(detections):
        keep = d["labels"] == label
        for score, box in zip(d["scores"][keep].detach().cpu().tolist(), d["boxes"][keep].detach().cpu()):
            found.append((score, i, box))
    order = sorted(range(len(found)), key=lambda j: -found[j][0])    # stable: ties keep input order
    used = [torch.zeros(len(g), dtype=torch.bool) for g in gt]
    tp = np.zeros(len(found))
    for rank, j in enumerate(order):
        _, i, box = found[j]
        if len(gt[i]) == 0:
            continue
        overlaps = box_iou_matrix(box[None], gt[i])[0]
        overlaps[used[i]] = -1.0
        best = int(overlaps.argmax())
        if overlaps[best] >= iou:
            tp[rank], used[i][best] = 1.0, True
    if len(found) == 0:
        return 0.0
    cum_tp = np.cumsum(tp)
    recall = cum_tp / n_gt
    precision = cum_tp / np.arange(1, len(found) + 1)
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.concatenate([[0.0], precision, [0.0]])
    for k in range(len(precision) - 2, -1, -1):
        precision[k] = max(precision[k], precision[k + 1])
    steps = np.nonzero(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


def mean_average_precision(detections, targets, *, iou: float = 0.5) -> dict:
    """{"map": mean AP over the classes with ground truth, "per_class": {label: AP}, "iou": iou}."""
    _check(detections, targets)
    classes = sorted({int(c) for t in targets for c in t["labels"].tolist()})
    per_class = {c: average_precision(detections, targets, c, iou=iou) for c in classes}
    return {"map": float(np.mean(list(per_class.values()))) if per_class else float("nan"),
            "per_class": per_class, "iou": iou}
