"""Pointing game, WSL, insertion and deletion against hand-computed cases."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from axlib.metrics import localisation as M


def one_hot_map(h, w, row, col, b=1):
    m = torch.zeros(b, h, w)
    m[:, row, col] = 1.0
    return m


# --------------------------------------------------------------------------- pointing game
def test_pointing_game_inside_outside_and_tolerance():
    boxes = torch.tensor([[2.0, 2.0, 5.0, 5.0]] * 3)   # pixels 2..4 in both directions
    maps = torch.zeros(3, 10, 10)
    maps[0, 3, 3] = 1   # inside
    maps[1, 3, 6] = 1   # 2 px right of the last box pixel (col 4)
    maps[2, 9, 9] = 1   # (5, 5) px from the corner pixel (4, 4): sqrt(50) = 7.07
    assert M.pointing_game(maps, boxes, tolerance=1).tolist() == [True, False, False]
    assert M.pointing_game(maps, boxes, tolerance=2).tolist() == [True, False, False]    # strict <
    assert M.pointing_game(maps, boxes, tolerance=2.01).tolist() == [True, True, False]
    assert M.pointing_game(maps, boxes, tolerance=7.1).tolist() == [True, True, True]


def test_pointing_game_default_tolerance_is_torchray_scaled():
    # 224 x 224: 15 px; the box covers cols 0..99; a maximum 14 px right of col 99 hits, 15 px misses
    boxes = torch.tensor([[0.0, 0.0, 100.0, 224.0]] * 2)
    maps = torch.zeros(2, 224, 224)
    maps[0, 50, 113] = 1
    maps[1, 50, 114] = 1
    assert M.pointing_game(maps, boxes).tolist() == [True, False]


def _torchray_hit(saliency: torch.Tensor, box, tolerance: float) -> bool:
    """TorchRay's PointingGame.evaluate restated: the argmax point, the object mask of the
    box's pixels, the acceptance disc (strict), their intersection."""
    h, w = saliency.shape
    k = int(saliency.reshape(-1).argmax())
    point = (k % w, k // w)                                # (u, v) = (col, row)
    mask = torch.zeros(h, w, dtype=torch.bool)
    x0, y0, x1, y1 = (int(math.ceil(c)) for c in box)
    mask[y0:y1, x0:x1] = True
    v, u = torch.meshgrid((torch.arange(h, dtype=torch.float32) - point[1]) ** 2,
                          (torch.arange(w, dtype=torch.float32) - point[0]) ** 2, indexing="ij")
    return bool((mask & ((v + u) < tolerance ** 2)).any())


def test_pointing_game_equals_torchrays_rule_on_random_maps_and_boxes():
    g = torch.Generator().manual_seed(0)
    maps = torch.rand(300, 20, 24, generator=g)
    x0 = torch.randint(0, 20, (300,), generator=g)
    y0 = torch.randint(0, 16, (300,), generator=g)
    boxes = torch.stack([x0, y0, x0 + torch.randint(1, 5, (300,), generator=g),
                         y0 + torch.randint(1, 5, (300,), generator=g)], 1).float()
    for tolerance in (0.5, 1.0, 3.0, 15 * 24 / 224):
        ours = M.pointing_game(maps, boxes, tolerance=tolerance).tolist()
        assert ours == [_torchray_hit(m, b.tolist(), tolerance) for m, b in zip(maps, boxes)]
        assert 0 < sum(ours) < len(ours)


def test_pointing_game_ties_take_the_first_maximum():
    maps = torch.zeros(1, 4, 4)  # all tied: argmax = pixel (0, 0)
    assert M.pointing_game(maps, torch.tensor([[0.0, 0.0, 1.0, 1.0]]), tolerance=0.5).item()
    assert not M.pointing_game(maps, torch.tensor([[2.0, 2.0, 4.0, 4.0]]), tolerance=0.5).item()


def test_pointing_game_bad_input():
    with pytest.raises(ValueError, match="maps"):
        M.pointing_game(torch.zeros(4, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="boxes"):
        M.pointing_game(torch.zeros(2, 4, 4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="tolerance"):
        M.pointing_game(torch.zeros(1, 4, 4), torch.zeros(1, 4), tolerance=-1)
    with pytest.raises(ValueError, match="tolerance"):
        M.pointing_game(torch.zeros(1, 4, 4), torch.zeros(1, 4), tolerance=0)


# --------------------------------------------------------------------------- WSL
def test_box_iou_by_hand():
    a = torch.tensor([[0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    b = torch.tensor([[2.0, 0.0, 6.0, 4.0], [0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0], [0.0, 0.0, 0.0, 0.0]])
    # 8 / (16 + 16 - 8) = 1/3; identical = 1; disjoint = 0; two empty = 0
    assert M.box_iou(a, b).tolist() == pytest.approx([1 / 3, 1.0, 0.0, 0.0])


def test_wsl_box_is_the_largest_component_above_threshold():
    m = torch.zeros(1, 8, 8)
    m[0, 1:3, 1:3] = 1.0       # 4 pixels at value 1 (holds the maximum)
    m[0, 4:7, 3:8] = 0.5       # 15 pixels at 0.5: the largest component at threshold 0.2
    m[0, 7, 0] = 0.1           # below threshold
    assert M.wsl_boxes(m, 0.2).tolist() == [[3.0, 4.0, 8.0, 7.0]]
    assert M.wsl_boxes(m, 0.6).tolist() == [[1.0, 1.0, 3.0, 3.0]]
    assert M.wsl_boxes(m, 0.0).tolist() == [[0.0, 0.0, 8.0, 8.0]]


def test_wsl_uses_8_connectivity_and_min_max_normalisation():
    m = torch.full((1, 6, 6), -3.0)   # negative values: min-max normalised first
    for i in range(4):
        m[0, i, i] = 5.0                 # a diagonal line: one 8-connected component
    m[0, 5, 5] = 4.0
    m[0, 5, 0] = 4.0
    assert M.wsl_boxes(m, 0.5).tolist() == [[0.0, 0.0, 4.0, 4.0]]


def test_wsl_hit_needs_iou_strictly_above_half():
    m = torch.zeros(3, 8, 8)
    m[0, 0:4, 0:4] = 1   # box (0,0,4,4) vs truth (0,0,4,4): IoU 1
    m[1, 0:4, 0:2] = 1   # (0,0,2,4) vs truth: IoU 8/16 = 0.5 exactly -> not correct
    m[2, 0:4, 0:3] = 1   # IoU 12/16 = 0.75
    truth = torch.tensor([[0.0, 0.0, 4.0, 4.0]] * 3)
    assert M.wsl_iou(m, truth).tolist() == pytest.approx([1.0, 0.5, 0.75])
    assert M.wsl(m, truth).tolist() == [True, False, True]


def test_constant_map_gives_the_whole_image_or_nothing():
    m = torch.ones(1, 5, 5)
    assert M.wsl_boxes(m, 0.0).tolist() == [[0.0, 0.0, 5.0, 5.0]]
    assert M.wsl_boxes(m, 0.2).tolist() == [[0.0, 0.0, 0.0, 0.0]]


# --------------------------------------------------------------------------- insertion / deletion
class MeanOfPixels(nn.Module):
    """Two classes; logit_1 - logit_0 = a * (mean of the kept pixel values) with a known form.

    The softmax probability of class 1 is sigmoid(a * (s - 0.5)), s = mean of channel 0."""

    def __init__(self, a=0.0):
        super().__init__()
        self.a = a

    def forward(self, x):
        s = x[:, 0].mean(dim=(1, 2))
        return torch.stack([torch.zeros_like(s), self.a * (s - 0.5)], dim=1)


class FractionModel(nn.Module):
    """logit_1 = log(p / (1 - p)) with p = (fraction of pixels equal to 1) clipped to [1e-6, 1-1e-6]:
    the class-1 probability equals the fraction of white pixels (up to 1e-6)."""

    def forward(self, x):
        p = (x[:, 0] == 1).float().mean(dim=(1, 2)).clamp(1e-6, 1 - 1e-6)
        return torch.stack([torch.zeros_like(p), torch.log(p / (1 - p))], dim=1)


def test_deletion_and_insertion_curves_by_hand():
    """4 pixels, step 1: deleting the white pixel first drops the probability at once."""
    x = torch.zeros(1, 1, 2, 2)
    x[0, 0, 0, 0] = 1.0
    x[0, 0, 1, 1] = 1.0                 # 2 of 4 pixels white: p = 0.5
    good = torch.tensor([[[2.0, 0.0], [0.0, 1.0]]])   # ranks the white pixels first
    bad = -good
    model = FractionModel()
    curve, fr = M.causal_curves(model, x, good, 1, mode="deletion", step=1)
    assert fr.tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert curve[0].tolist() == pytest.approx([0.5, 0.25, 0, 0, 0], abs=1e-5)
    # trapezoid: 0.25 * (0.5/2 + 0.25 + 0 + 0 + 0/2) = 0.125
    assert M.deletion(model, x, good, 1, step=1).item() == pytest.approx(0.125, abs=1e-5)
    # bad order: black pixels first: [0.5, 0.5, 0.5, 0.25, 0] -> 0.25*(0.25+0.5+0.5+0.25+0) = 0.375
    assert M.deletion(model, x, bad, 1, step=1).item() == pytest.approx(0.375, abs=1e-5)
    # insertion from black: good order [0, .25, .5, .5, .5] -> 0.25*(0+.25+.5+.5+.25) = 0.375
    assert M.insertion(model, x, good, 1, step=1).item() == pytest.approx(0.375, abs=1e-5)
    assert M.insertion(model, x, bad, 1, step=1).item() == pytest.approx(0.125, abs=1e-5)


def test_partial_last_step_and_default_step():
    assert M.default_step(224, 224) == 448 and M.default_step(64, 64) == 37
    x = torch.ones(1, 1, 1, 5)
    _, fr = M.causal_curves(FractionModel(), x, torch.zeros(1, 1, 5), 1, step=2)
    assert fr.tolist() == [0, 0.4, 0.8, 1.0]


def test_constant_model_gives_its_probability_and_batching_is_invariant():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 3, 8, 8, generator=g)
    maps = torch.rand(3, 8, 8, generator=g)
    const = MeanOfPixels(a=0.0)   # p = 0.5 everywhere: AUC 0.5
    assert M.insertion(const, x, maps, 1, step=5).tolist() == pytest.approx([0.5] * 3)
    model = MeanOfPixels(a=6.0)
    big = M.deletion(model, x, maps, torch.tensor([1, 0, 1]), step=3, batch_size=1000)
    small = M.deletion(model, x, maps, torch.tensor([1, 0, 1]), step=3, batch_size=4)
    single = torch.cat([M.deletion(model, x[i:i + 1], maps[i:i + 1], int(t), step=3)
                        for i, t in enumerate([1, 0, 1])])
    assert torch.allclose(big, small) and torch.allclose(big, single)


def test_baseline_tensor_is_what_deleted_pixels_become():
    x = torch.zeros(1, 1, 2, 2)
    maps = torch.rand(1, 2, 2)
    white = torch.ones(1, 1, 1, 1)
    curve, _ = M.causal_curves(FractionModel(), x, maps, 1, mode="deletion", step=1, baseline=white)
    assert curve[0].tolist() == pytest.approx([0, 0.25, 0.5, 0.75, 1.0], abs=1e-5)


def test_causal_bad_input():
    x, maps = torch.zeros(1, 1, 2, 2), torch.zeros(1, 2, 2)
    with pytest.raises(ValueError, match="mode"):
        M.causal_curves(FractionModel(), x, maps, 0, mode="both")
    with pytest.raises(ValueError, match="step"):
        M.deletion(FractionModel(), x, maps, 0, step=0)
    with pytest.raises(ValueError, match="maps"):
        M.deletion(FractionModel(), x, torch.zeros(1, 3, 3), 0)
    with pytest.raises(ValueError, match="baseline"):
        M.deletion(FractionModel(), x, maps, 0, baseline=torch.zeros(2, 2))
    assert math.isfinite(M.deletion(FractionModel(), x, maps, 0).item())


def test_localisation_scores_bundle_the_four_metrics():
    x = torch.zeros(2, 1, 4, 4)
    x[:, 0, :2, :2] = 1.0
    maps = torch.zeros(2, 4, 4)
    maps[0, :2, :2] = 1.0        # right on the white object
    maps[1, 2:, 2:] = 1.0        # on the black corner
    boxes = torch.tensor([[0.0, 0.0, 2.0, 2.0]] * 2)
    out = M.localisation_scores(FractionModel(), x, maps, 1, boxes, tolerance=0.5, step=4)
    assert out["pointing_game"].tolist() == [True, False]
    assert out["wsl"].tolist() == [True, False] and out["wsl_iou"].tolist() == pytest.approx([1.0, 0.0])
    # insertion, step 4 (a quarter of the pixels): good map, curve [0, .25, .25, .25, .25]:
    # .25 * (.125 + .25 * 3) = .21875; bad map (corner first, then the tied zeros in reverse
    # row-major order, RISE's flipped argsort: 13 12 9 8 | 7 6 5 4 | 3 2 1 0):
    # [0, 0, 0, .125, .25]: .25 * (0 + 0 + .125 + .125) = .0625
    assert out["insertion"].tolist() == pytest.approx([0.21875, 0.0625], abs=1e-5)
    assert out["deletion"][0] < out["deletion"][1]


def test_causal_ranking_is_the_rise_codes_flipped_argsort():
    """Pixels enter in the order of RISE's np.flip(np.argsort(map)) (with a stable argsort):
    descending, ties last-index first; checked on maps full of ties, with binary images whose
    class-1 probability is the fraction of white pixels shown."""
    import numpy as np

    g = torch.Generator().manual_seed(0)
    maps = torch.randint(0, 4, (3, 5, 6), generator=g).float()      # 4 levels: many ties
    x = torch.randint(0, 2, (3, 1, 5, 6), generator=g).float()
    curves, _ = M.causal_curves(FractionModel(), x, maps, 1, mode="insertion", step=1)
    for i in range(3):
        order = np.flip(np.argsort(maps[i].reshape(-1).numpy(), kind="stable"))
        white = x[i, 0].reshape(-1).numpy()[order]
        expected = np.clip(np.concatenate([[0], np.cumsum(white)]) / 30, 1e-6, 1 - 1e-6)
        assert curves[i].tolist() == pytest.approx(expected.tolist(), abs=1e-6)
    row_major, _ = M.causal_curves(FractionModel(), x, maps * 0, 1, mode="insertion", step=1)
    assert row_major[0, 1].item() == pytest.approx(max(x[0, 0, -1, -1].item() / 30, 1e-6), abs=1e-6)  # last pixel first


def test_pointing_game_boxes_touching_the_border_by_hand():
    # box over the last 4 columns and first 4 rows of a 64 x 64 map: pixels cols 60-63, rows 0-3;
    # default tolerance 15 * 64 / 224 = 4.29 pixels, TorchRay's strict d^2 < tol^2 = 18.37
    box = torch.tensor([[60.0, 0.0, 64.0, 4.0]])
    def peak(row, col):
        m = torch.zeros(1, 64, 64)
        m[0, row, col] = 1.0
        return m
    assert M.pointing_game(peak(0, 63), box).item()           # the corner pixel itself
    assert M.pointing_game(peak(0, 56), box).item()           # 4 columns left: 16 < 18.37
    assert not M.pointing_game(peak(0, 55), box).item()       # 5 columns left: 25
    assert M.pointing_game(peak(6, 58), box).item()           # 3 rows below, 2 left of col 60: 4 + 9 = 13
    assert not M.pointing_game(peak(7, 57), box).item()       # 4 rows, 3 columns: 16 + 9 = 25
