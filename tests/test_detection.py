"""Detection scenes, the CenterNet detector's target encoding and decoding, and AP worked by hand."""
from __future__ import annotations

import math

import pytest
import torch

from axlib.data.scenes import make_scenes
from axlib.explain.axai_detection import axai_detection
from axlib.metrics.detection import average_precision, box_iou_matrix, mean_average_precision
from axlib.models.centernet import CenterNet, centernet_loss, encode_targets


def _det(boxes, scores, labels):
    return {"boxes": torch.tensor(boxes, dtype=torch.float32), "scores": torch.tensor(scores),
            "labels": torch.tensor(labels)}


def _gt(boxes, labels):
    return {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels)}


# ----------------------------------------------------------------------------- AP by hand
def test_ap_of_a_perfect_and_of_a_ranked_wrong_detection():
    gt = [_gt([[0, 0, 10, 10]], [1])]
    assert average_precision([_det([[0, 0, 10, 10]], [0.9], [1])], gt, 1) == 1.0
    # a false positive ranked above the true one: precision 1/2 at recall 1 -> AP 0.5
    worse = [_det([[50, 50, 60, 60], [0, 0, 10, 10]], [0.9, 0.8], [1, 1])]
    assert average_precision(worse, gt, 1) == 0.5
    # the true one ranked first: AP 1 (the later false positive does not lower the envelope)
    better = [_det([[50, 50, 60, 60], [0, 0, 10, 10]], [0.5, 0.8], [1, 1])]
    assert average_precision(better, gt, 1) == 1.0


def test_ap_iou_threshold_duplicates_and_missed_boxes():
    gt = [_gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1])]
    # IoU of [0,0,10,5] with [0,0,10,10] is 0.5: a hit at 0.5, a miss at 0.6
    half = [_det([[0, 0, 10, 5]], [0.9], [1])]
    assert average_precision(half, gt, 1) == 0.5                 # recall 1/2, precision 1
    assert average_precision(half, gt, 1, iou=0.6) == 0.0
    # a duplicate of a matched box is a false positive
    dup = [_det([[0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.8, 0.7], [1, 1, 1])]
    # ranks: TP (r .5, p 1), FP (p .5), TP (r 1, p 2/3) -> 0.5 * 1 + 0.5 * 2/3
    assert average_precision(dup, gt, 1) == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert math.isnan(average_precision(dup, gt, 7))             # no ground truth of class 7
    result = mean_average_precision(dup, gt)
    assert result["per_class"] == {1: pytest.approx(0.5 + 0.5 * 2 / 3)} and result["iou"] == 0.5
    assert box_iou_matrix(torch.tensor([[0, 0, 10, 10.]]), torch.tensor([[5, 0, 15, 10.]])).item() == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="one entry per image"):
        mean_average_precision(dup, gt + gt)


# ----------------------------------------------------------------------------- scenes
def _pool():
    g = torch.Generator().manual_seed(0)
    return torch.rand(20, 3, 32, 32, generator=g), torch.arange(20) % 10


def test_scenes_place_separate_objects_and_record_their_boxes():
    x, y = _pool()
    scenes = make_scenes(x, y, 6, max_objects=3, seed=1)
    assert scenes.x.shape == (6, 3, 128, 128) and len(scenes) == 6
    for boxes, labels, sources in zip(scenes.boxes, scenes.labels, scenes.sources):
        assert 1 <= len(boxes) <= 3 and torch.equal(labels, y[sources])
        sides = boxes[:, 2] - boxes[:, 0]
        assert torch.equal(sides, boxes[:, 3] - boxes[:, 1]) and ((sides >= 24) & (sides <= 40)).all()
        iou = box_iou_matrix(boxes, boxes) - torch.eye(len(boxes), dtype=torch.float64)
        assert (iou == 0).all()                                       # no two objects overlap
    again = make_scenes(x, y, 6, max_objects=3, seed=1)
    assert torch.equal(scenes.x, again.x)
    with pytest.raises(ValueError, match="canvas must be an integer in"):
        make_scenes(x, y, 1, canvas=40)


# ----------------------------------------------------------------------------- CenterNet
def test_targets_decode_back_to_the_boxes():
    boxes = [torch.tensor([[8.0, 12.0, 40.0, 44.0], [56.0, 60.0, 88.0, 92.0]])]
    labels = [torch.tensor([3, 7])]
    t = encode_targets(boxes, labels, num_classes=10, height=96, width=96)
    assert t.shape == (1, 15, 24, 24) and t[0, 3].max() == 1.0 and t[0, 14].sum() == 2
    logits = torch.logit(t[:, :10].clamp(1e-4, 1 - 1e-4))
    from axlib.models.centernet import decode
    heads = {"heatmap": logits, "size": t[:, 10:12], "offset": t[:, 12:14]}
    out = decode(heads, score_threshold=0.5, max_detections=5)[0]
    assert sorted(out["labels"].tolist()) == [3, 7]
    order = out["labels"].argsort()
    assert torch.allclose(out["boxes"][order], boxes[0], atol=1e-4)
    assert centernet_loss(heads, t) < centernet_loss({k: torch.zeros_like(v) for k, v in heads.items()}, t)


def test_detector_scores_are_differentiable_and_axai_explains_them():
    torch.manual_seed(0)
    net = CenterNet(num_classes=10, width=8, score_threshold=0.0, max_detections=2).eval()
    image = torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(1))
    x = image[None].clone().requires_grad_(True)
    out = net(x)[0]
    out["scores"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    segments = (torch.arange(32)[:, None] // 8) * 4 + torch.arange(32)[None, :] // 8
    explained = axai_detection(net, image, segments, k=2, steps=3)
    assert len(explained) == 2 and explained[0].mask.shape == (32, 32)


# ----------------------------------------------------------------------------- App. E.2 numbers
def test_explanation_shares_by_hand_and_the_estimates():
    import pandas as pd

    from axlib.explain.axai_detection import DetectionExplanation
    from axlib.papers.axai import claims
    from axlib.papers.axai.detection import estimates, explanation_shares

    segments = (torch.arange(16)[:, None] // 4) * 4 + torch.arange(16)[None, :] // 4      # 4 x 4 grid of 4 x 4
    gt_boxes, gt_labels = torch.tensor([[0.0, 0.0, 8.0, 8.0]]), torch.tensor([2])
    mask = torch.zeros(16, 16, dtype=torch.bool)
    mask[0:8, 0:4] = True          # 32 pixels in the box
    mask[12:16, 12:16] = True      # 16 pixels in the background
    e = DetectionExplanation(index=0, box=torch.tensor([0.0, 0.0, 8.0, 8.0]), label=2, score=0.9, score_after=0.1,
                             ranking=torch.zeros(16), density=torch.zeros(16), sizes=torch.zeros(16),
                             top_k=torch.zeros(3), mask=mask, attacked=mask, delta=torch.zeros(3, 16, 16))
    wrong_label = DetectionExplanation(**{**e.__dict__, "label": 5})
    rows = explanation_shares([e, wrong_label], gt_boxes, gt_labels, segments, k=3,
                              generator=torch.Generator().manual_seed(0))
    assert len(rows) == 1                                    # the detection of another label matches nothing
    row = rows[0]
    assert row["inside_share"] == pytest.approx(32 / 48) and row["box_share"] == pytest.approx(64 / 256)
    assert row["enrichment"] == pytest.approx((32 / 48) / 0.25)
    assert row["background_share"] == pytest.approx(16 / 48) and row["background_ratio"] == pytest.approx((16 / 48) / 0.75)
    assert 0 <= row["random_inside_share"] <= 1
    table = pd.DataFrame([dict(row, scene=s) for s in range(120)])
    est = estimates(table)
    assert est["enrichment"].n == 120 and est["enrichment"].n_of == "detections"
    assert est["enrichment"].value == pytest.approx(row["enrichment"])
    assert claims.DETECTION_INSIDE_RULE.judge(est["enrichment"]).verdict == "reproduced"       # 2.67 >= 2
    assert claims.DETECTION_BACKGROUND_RULE.judge(est["background_ratio"]).verdict == "reproduced"  # 0.44 <= 0.5


def test_detector_trains_by_its_recipe_and_writes_a_card_with_map(tmp_path, monkeypatch):
    """`axlib train` for a detection-scenes model, at tiny sizes (needs CIFAR-10's training images)."""
    from axlib.data.cifar import _jpeg_zip_path
    from axlib.models import registry

    if _jpeg_zip_path() is None:
        pytest.skip("CIFAR-10 training images are not available offline here")
    spec = registry.ModelSpec(build=lambda: CenterNet(num_classes=10, width=8), dataset="cifar10-scenes",
                              description="tiny test detector",
                              recipe=dict(registry.SCENES_RECIPE, epochs=1, scenes_per_epoch=128, eval_scenes=8))
    monkeypatch.setitem(registry.MODELS, "tiny-scenes", spec)
    card = registry.train("tiny-scenes", out=tmp_path, source="jpeg-zip")
    assert 0.0 <= card["map50"] <= 1.0 and card["recipe"]["scenes_per_epoch"] == 128 and len(card["log"]) == 1
    assert (tmp_path / "tiny-scenes.safetensors").is_file() and not (tmp_path / "tiny-scenes.work").exists()
    assert "8 held-out scenes" in card["eval_set"]
