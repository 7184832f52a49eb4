"""AXAI appendix E.2 as numbers: where the explanation of a detection lies.

The paper shows YOLOv3 detections of buildings with their AXAI explanations and says they
"are clearly focused on areas where buildings are located and ignore empty spaces" (Fig. 19).
For each detection that matches a ground-truth object (same label, IoU >= 0.5), with its
explanation (:func:`axlib.explain.axai_detection.axai_detection`: the top-K segments' mask):

- ``inside_share``: the share of the explanation's pixels inside the matched object's box;
  ``box_share``: the share of the image that box covers (what a random pixel would give);
  ``enrichment`` = inside_share / box_share (1 = chance);
- ``random_inside_share``: the inside share of K segments drawn at random from the same
  segmentation (mean of ``random_draws`` draws), a null that keeps the segments' sizes;
- ``background_share``: the share of the explanation outside every object box of the scene;
  ``background_fraction``: the share of the image outside every box; ``background_ratio`` =
  background_share / background_fraction (1 = chance).

:func:`estimates` turns a table of such rows into the three estimates the pre-registered rules
of :mod:`axlib.papers.axai.claims` judge (``DETECTION_*_RULE``): means over detections with
percentile-bootstrap intervals that resample *scenes* (detections of one scene are not
independent), n = detections.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from axlib.companion.rules import Estimate
from axlib.data.boxes import box_masks
from axlib.intervals import bootstrap_ci
from axlib.metrics.detection import box_iou_matrix

__all__ = ["matched_object", "explanation_shares", "estimates"]


def matched_object(box: torch.Tensor, label: int, gt_boxes: torch.Tensor, gt_labels: torch.Tensor, *,
                   iou: float = 0.5) -> int | None:
    """The index of the ground-truth object a detection matches (same label, largest IoU, at
    least ``iou``), or None (a false positive)."""
    if len(gt_boxes) == 0:
        return None
    overlaps = box_iou_matrix(box[None], gt_boxes)[0]
    overlaps[gt_labels != label] = -1.0
    best = int(overlaps.argmax())
    return best if overlaps[best] >= iou else None


def explanation_shares(explained: Sequence, gt_boxes: torch.Tensor, gt_labels: torch.Tensor,
                       segments: torch.Tensor, *, k: int, generator: torch.Generator,
                       random_draws: int = 10) -> list[dict]:
    """One row per detection of one scene that matches an object (see the module docstring).

    explained: :class:`~axlib.explain.axai_detection.DetectionExplanation` of the scene's
    detections; gt_boxes (M, 4), gt_labels (M,): the scene's objects; segments (H, W): the
    segmentation AXAI used; k: its number of top segments (the random null draws as many);
    generator: the random segments' draws. Rows hold ``index``, ``object`` and the shares.
    """
    height, width = segments.shape[-2:]
    object_masks = box_masks(gt_boxes.reshape(-1, 4), height, width)          # (M, H, W)
    boxes_mask = object_masks.any(dim=0)
    background_fraction = float((~boxes_mask).float().mean())
    ids = torch.unique(segments)
    rows = []
    for e in explained:
        j = matched_object(e.box, e.label, gt_boxes, gt_labels)
        if j is None:
            continue
        inside = object_masks[j]
        explained_pixels = max(int(e.mask.sum()), 1)
        random_shares = []
        for _ in range(random_draws):
            chosen = ids[torch.randperm(len(ids), generator=generator)[:k]]
            mask = torch.isin(segments, chosen)
            random_shares.append(float((mask & inside).sum()) / max(int(mask.sum()), 1))
        inside_share = float((e.mask & inside).sum()) / explained_pixels
        box_share = float(inside.float().mean())
        background_share = float((e.mask & ~boxes_mask).sum()) / explained_pixels
        rows.append({"index": e.index, "object": j, "label": e.label, "score": e.score,
                     "inside_share": inside_share, "box_share": box_share, "enrichment": inside_share / box_share,
                     "random_inside_share": float(np.mean(random_shares)), "background_share": background_share,
                     "background_fraction": background_fraction,
                     "background_ratio": background_share / background_fraction if background_fraction > 0 else np.nan})
    return rows


def estimates(table: pd.DataFrame, *, seed: int = 0) -> dict[str, Estimate]:
    """The estimates of the three E.2 rules from a table of :func:`explanation_shares` rows with
    a ``scene`` column: {"enrichment", "inside_minus_random", "background_ratio"}, each the mean
    over detections with a bootstrap interval over scenes, n = detections."""
    if "scene" not in table or table.empty:
        raise ValueError("table must hold explanation_shares rows with a 'scene' column")
    values = {"enrichment": table["enrichment"],
              "inside_minus_random": table["inside_share"] - table["random_inside_share"],
              "background_ratio": table["background_ratio"]}
    out = {}
    for name, column in values.items():
        frame = pd.DataFrame({"scene": table["scene"], "v": column}).dropna()
        per_scene = frame.groupby("scene")["v"].agg(["sum", "count"])
        value, low, high = bootstrap_ci(lambda s, c: float(s.sum() / c.sum()), per_scene["sum"].to_numpy(),
                                        per_scene["count"].to_numpy(), seed=seed)
        out[name] = Estimate(value, min(low, value), max(high, value), int(per_scene["count"].sum()),
                             n_of="detections", interval="bootstrap over scenes")
    return out
