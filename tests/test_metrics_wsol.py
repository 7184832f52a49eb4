"""MaxBoxAcc (axlib.metrics.wsol) on planted maps whose framework boxes are worked out by hand
from the WSOL evaluation framework's documented rule (Choe et al. 2020, wsolevaluation):
8-bit quantisation, strict threshold, largest contour by polygon area, inclusive boxes one
pixel past the contour except at the right / bottom border, IoU >= 0.5."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from axlib.metrics import wsol


def hits_of(maps, boxes, iou_threshold=0.5, **kw):
    return wsol.wsol_ious(maps, boxes, **kw) >= iou_threshold


def _map(h: int = 8, w: int = 8) -> torch.Tensor:
    return torch.zeros(1, h, w)


def test_box_is_one_pixel_past_the_blob_and_iou_counts_inclusive_pixels():
    m = _map()
    m[0, 2:5, 1:4] = 1.0                      # a 3 x 3 blob: cols 1-3, rows 2-4
    # framework box (1, 2, 4, 5) inclusive = 4 x 4 = 16 pixels; the blob's own box has 9
    assert wsol.framework_box(wsol._quantised(m[0].numpy()), 0).tolist() == [[1, 2, 4, 5]]
    tight = torch.tensor([[1.0, 2.0, 4.0, 5.0]])          # half-open: the blob's 9 pixels
    hits = hits_of(m, tight)
    assert wsol.wsol_ious(m, tight)[0, 0] == 9 / 16
    assert hits.shape == (1, wsol.N_LEVELS) and hits.all()  # IoU 9 / 16 = 0.5625 at every level
    assert wsol.framework_iou([[1, 2, 4, 5]], [1, 2, 3, 4]).tolist() == [9 / 16]
    wide = torch.tensor([[1.0, 2.0, 6.0, 5.0]])           # inclusive (1, 2, 5, 4): 15 pixels, 12 shared
    assert wsol.framework_iou([[1, 2, 4, 5]], [1, 2, 5, 4]).tolist() == [12 / 19]
    assert hits_of(m, wide).all()
    far = torch.tensor([[5.0, 0.0, 8.0, 2.0]])
    assert not hits_of(m, far).any()


def test_box_touching_the_border_is_clipped_to_the_last_pixel():
    m = _map()
    m[0, 5:8, 5:8] = 1.0                      # blob in the bottom right corner
    assert wsol.framework_box(wsol._quantised(m[0].numpy()), 0).tolist() == [[5, 5, 7, 7]]
    assert hits_of(m, torch.tensor([[5.0, 5.0, 8.0, 8.0]])).all()     # IoU exactly 1


def test_largest_contour_by_area_wins_until_the_threshold_removes_it():
    m = _map()
    m[0, 0:3, 0:3] = 0.5                      # large blob, quantised to uint8(127.5) = 127
    m[0, 6, 6] = 1.0                          # single peak pixel, 255; its contour has area 0
    truth = torch.tensor([[0.0, 0.0, 3.0, 3.0]])
    hits = hits_of(m, truth)[0]
    # levels 0..126: both are foreground, the blob's contour (area 4) is the largest: IoU 9 / 16;
    # levels 127..254: only the peak is above (strict >): box (6, 6, 7, 7), IoU 0
    assert hits[:127].all() and not hits[127:].any()
    out = wsol.max_box_accuracy(wsol.wsol_ious(m, truth))
    assert out["accuracy"] == 1.0 and out["level"] == 0 and out["threshold"] == 0.0
    # tau = 0.498 gives level int(126.99) = 126 (a hit), tau = 0.499 level 127 (a miss)
    assert out["accuracies"][498] == 1.0 and out["accuracies"][499] == 0.0


def test_constant_map_has_no_contour_and_predicts_the_top_left_pixel():
    m = torch.full((1, 6, 6), 3.0)
    assert hits_of(m, torch.tensor([[0.0, 0.0, 1.0, 1.0]])).all()     # IoU 1 / 1
    assert not hits_of(m, torch.tensor([[0.0, 0.0, 2.0, 2.0]])).any()  # IoU 1 / 4


def test_iou_of_exactly_one_half_is_correct():
    m = _map()
    m[0, 0, 0] = 1.0                          # box (0, 0, 1, 1) inclusive: 4 pixels
    half = torch.tensor([[0.0, 0.0, 2.0, 1.0]])  # inclusive (0, 0, 1, 0): 2 pixels, IoU 2 / 4
    assert hits_of(m, half).all()
    assert not hits_of(m, half, 0.51).any()


def test_max_box_accuracy_uses_one_threshold_for_all_images():
    ious = np.zeros((4, wsol.N_LEVELS))
    ious[0, :50] = ious[1, 40:60] = ious[2, 45:200] = 0.5    # level 45..49: three of four
    ious[3, 220:230] = 0.9                                    # correct only where the others are not
    out = wsol.max_box_accuracy(ious)
    hits = ious >= 0.5
    assert out["accuracy"] == 0.75 and out["level"] == 45
    assert out["correct"].tolist() == [True, True, True, False]
    assert out["iou"].tolist() == [0.5, 0.5, 0.5, 0.0]
    assert wsol.max_box_accuracy(ious, iou_threshold=0.6)["accuracy"] == 0.25
    assert out["threshold"] == pytest.approx(0.177)              # smallest tau with int(255 tau) = 45
    assert hits.any(axis=1).all()              # a threshold per image would score 1.0: not the rule


def test_multi_contour_box_rule_takes_the_best_contour():
    m = _map()
    m[0, 0:3, 0:3] = 1.0                      # the largest contour
    m[0, 6, 6] = 1.0                          # a second, smaller one
    peak = torch.tensor([[6.0, 6.0, 8.0, 8.0]])  # inclusive (6, 6, 7, 7), the peak's box exactly
    assert not hits_of(m, peak).any()
    assert hits_of(m, peak, multi_contour=True).all()
