"""Segment agreement and blur ablation helpers (axlib.papers.axai.ablation, AXAI appendices B and E.4)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib.papers.axai import ablation as AB


def test_topk_iou_sets_and_padding():
    a = torch.tensor([[0, 1, 2], [3, 4, -1], [-1, -1, -1]])
    b = torch.tensor([[2, 1, 0], [4, 5, 6], [-1, -1, -1]])
    iou = AB.topk_iou(a, b)
    assert iou.tolist() == pytest.approx([1.0, 1 / 4, 1.0])
    assert AB.topk_iou(a, torch.tensor([[5, 6, 7], [3, 4, -1], [0, -1, -1]])).tolist() == pytest.approx([0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="top_a"):
        AB.topk_iou(a.float(), b)
    with pytest.raises(ValueError, match="batch"):
        AB.topk_iou(a, b[:2])


def test_mask_iou_and_pairwise():
    m1 = torch.zeros(2, 4, 4, dtype=torch.bool)
    m2 = m1.clone()
    m1[0, :2] = True
    m2[0, 1:3] = True
    assert AB.mask_iou(m1, m2).tolist() == pytest.approx([4 / 12, 1.0])
    with pytest.raises(ValueError, match="mask_a"):
        AB.mask_iou(m1.float(), m2)
    tops = {"a": torch.tensor([[0, 1]]), "b": torch.tensor([[1, 2]])}
    p = AB.pairwise_iou(tops)
    assert p[("a", "a")] == 1.0 and p[("a", "b")] == pytest.approx(1 / 3) == p[("b", "a")]


def test_rank_band_mask():
    seg = torch.tensor([[[0, 0, 1], [2, 2, 3]]])
    ranking = torch.tensor([[3, 1, 0, 2]])
    assert AB.rank_band_mask(seg, ranking, 0, 2).tolist() == [[[False, False, True], [False, False, True]]]
    assert AB.rank_band_mask(seg, ranking, 2, 4).tolist() == [[[True, True, False], [True, True, False]]]
    assert not AB.rank_band_mask(seg, ranking, 4, 9).any()  # beyond the segments: empty
    assert not AB.rank_band_mask(seg, torch.tensor([[3, -1, -1, -1]]), 1, 3).any()
    with pytest.raises(ValueError, match="stop"):
        AB.rank_band_mask(seg, ranking, 2, 2)
    with pytest.raises(ValueError, match="start"):
        AB.rank_band_mask(seg, ranking, -1, 2)


def test_gaussian_blur():
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    y = AB.gaussian_blur(x, 1.5)
    assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    assert float(y.std()) < float(x.std())                      # smoother
    const = torch.full((1, 3, 16, 16), 0.3)
    assert torch.allclose(AB.gaussian_blur(const, 2.0), const)  # constants are fixed points
    assert y.mean().item() == pytest.approx(x.mean().item(), abs=0.02)
    with pytest.raises(ValueError, match="sigma"):
        AB.gaussian_blur(x, 0.0)
    with pytest.raises(ValueError, match="sigma"):
        AB.gaussian_blur(x, 6.0)  # radius 18 >= 16


def test_blur_regions_only_touches_mask():
    x = torch.rand(1, 3, 12, 12, generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(1, 12, 12, dtype=torch.bool)
    mask[0, :6] = True
    out = AB.blur_regions(x, mask, 1.0)
    assert torch.equal(out[:, :, 6:], x[:, :, 6:])
    assert not torch.equal(out[:, :, :6], x[:, :, :6])
    with pytest.raises(ValueError, match="mask"):
        AB.blur_regions(x, mask[:, :6], 1.0)


def test_random_ranking_is_a_seeded_permutation():
    seg = torch.tensor([[[0, 1], [2, 2]], [[0, 0], [1, 1]]])
    r = AB.random_ranking(seg, torch.Generator().manual_seed(0))
    assert r.shape == (2, 3) and sorted(r[0].tolist()) == [0, 1, 2] and sorted(r[1].tolist()) == [-1, 0, 1]
    assert r[1, 2] == -1
    assert torch.equal(r, AB.random_ranking(seg, torch.Generator().manual_seed(0)))


def test_blur_ablation_drops_accuracy_only_for_the_important_band():
    # class 1 when the left half's brightest value exceeds 0.9: bright stripes there; blurring
    # the stripes lowers their maximum, blurring the flat right half changes nothing.
    class MaxLeft(nn.Module):
        def forward(self, x):
            s = x[:, :, :, :8].amax((1, 2, 3)) - 0.9
            return torch.stack([-s, s], 1) * 100

    x = torch.full((4, 3, 16, 16), 0.5)
    x[:, :, ::2, :8] = 1.0                     # bright stripes on the left: class 1
    y = torch.ones(4, dtype=torch.long)
    seg = torch.zeros(4, 16, 16, dtype=torch.long)
    seg[:, :, 8:] = 1                          # segment 0: left half, segment 1: right half
    ranking = torch.tensor([[0, 1]] * 4)
    r = AB.blur_ablation(MaxLeft(), x, y, seg, ranking, bands=((0, 1), (1, 2)), sigma=1.0,
                         control_seed=None)
    assert r["before"] == 1.0
    assert r["bands"]["1-1"]["accuracy"] == 0.0 and r["bands"]["1-1"]["drop"] == 1.0
    assert r["bands"]["2-2"]["accuracy"] == 1.0
    assert r["bands"]["1-1"]["blurred_fraction"] == 0.5
    rc = AB.blur_ablation(MaxLeft(), x, y, seg, ranking, bands=((0, 1),), sigma=1.0, control_seed=3)
    assert "control_accuracy" in rc["bands"]["1-1"]


def test_top_pixels():
    a = torch.tensor([[[0.1, -0.9], [0.5, 0.0]]])
    assert AB.top_pixels(a, 0.5).tolist() == [[[False, True], [True, False]]]
    assert AB.top_pixels(a, 0.1).sum() == 1 and AB.top_pixels(a, 1.0).all()
    with pytest.raises(ValueError, match="fraction"):
        AB.top_pixels(a, 0.0)


def test_rankings_by_attack_reuses_each_attack():
    from axlib.explain import axai
    from axlib.segment import grid

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                          nn.Flatten(), nn.Linear(16, 3)).eval()
    x = torch.rand(5, 3, 12, 12, generator=torch.Generator().manual_seed(2))
    segs = {"coarse": grid((5, 12, 12), 3), "fine": grid((5, 12, 12), 6)}
    attacks = {"fgm": {"attack": "fgm"}, "pgd-3": {"attack": "pgd", "steps": 3}}
    out = AB.rankings_by_attack(model, x, segs, attacks, batch_size=2)
    assert set(out["ranking"]) == {(s, a) for s in segs for a in attacks}
    assert out["ranking"][("fine", "fgm")].shape == (5, 36)
    # the same as calling axai directly on the whole batch
    for s in segs:
        for a, kw in attacks.items():
            ref = axai(model, x, segs[s], **kw).ranking
            assert torch.equal(out["ranking"][(s, a)], ref)
    assert out["adv_label"]["fgm"].shape == (5,) and out["target"].shape == (5,)
    with pytest.raises(ValueError, match="segmentations"):
        AB.rankings_by_attack(model, x, {"bad": segs["fine"][:2]}, attacks)


def tiny_cnn(classes: int = 3) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(16, classes)).eval()


def test_fine_grid_has_about_fifty_times_the_segments():
    from axlib.segment import count_segments, grid

    assert AB.fine_segment_factor() == 50
    seg = grid((2, 40, 40), 2)                  # 4 segments an image
    fine, cells = AB.fine_grid(seg)
    assert cells == round((50 * 4) ** 0.5) == 14
    assert fine.shape == seg.shape and int(count_segments(fine)[0]) == 14 * 14
    fine, cells = AB.fine_grid(grid((1, 8, 8), 4))   # capped at W cells a side
    assert int(count_segments(fine)[0]) == 64
    with pytest.raises(ValueError, match="segments"):
        AB.fine_grid(seg[0])


def test_iou_table_and_fgm_vs_pgd_claims():
    ranking = {("q", "FGM"): torch.tensor([[0, 1, 2]]), ("q", "PGD-10"): torch.tensor([[0, 1, 3]]),
               ("q", "PGD-20"): torch.tensor([[0, 1, 2]]), ("q", "PGD-40"): torch.tensor([[5, 6, 7]])}
    t = AB.iou_table(ranking, "q", 2)
    assert list(t.index) == list(AB.ATTACKS) and t.loc["FGM", "PGD-40"] == 0.0 and t.loc["FGM", "PGD-10"] == 1.0
    assert AB.iou_table(ranking, "q", 3).loc["FGM", "PGD-10"] == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="k"):
        AB.iou_table(ranking, "q", 0)
    coarse = {("quickshift", a): r for (_, a), r in ranking.items()}
    fine = {("grid 50x", a): r for (_, a), r in ranking.items()}
    b = {"tables": {"cifar10": t, "imagenet": t, "fine_k10": t}, "cells": 30, "ranking_cifar10": coarse,
         "ranking_imagenet": {**coarse, **fine}}
    claims = AB.fgm_vs_pgd_claims(b)
    assert [c["claim"] for c in claims] == ["axai.appB.iou_fgm_pgd20.cifar10", "axai.appB.iou_fgm_pgd20.imagenet",
                                            "axai.appB.iou_pgd10_pgd40.fine_segments"]
    assert claims[0]["estimate"].value == 1.0 and claims[0]["estimate"].n == 1             # FGM = PGD-20 here
    assert claims[2]["estimate"].value == 0.0                                              # PGD-10 vs PGD-40


def test_fgm_vs_pgd_and_blur_experiment_run_on_a_tiny_model():
    model = tiny_cnn()
    xc = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    xi = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    b = AB.fgm_vs_pgd(model, xc, model, xi)
    assert set(b["tables"]) == {"cifar10", "imagenet", "fine_k10", "fine_k500"}
    assert all(t.shape == (4, 4) for t in b["tables"].values())
    assert b["segments_fine"].shape == (1, 64, 64)
    assert AB.plot_fig14(b) is not None
    y = torch.tensor([0, 1, 2])
    d = AB.blur_experiment(model, xc, y, "cifar10", seed=0)
    assert d["ranking"].shape[0] == 3 and d["adv"].shape == (3,) and d["target"].shape == (3,)
    assert set(d["result"]["bands"]) == {"1-5", "6-10"}
    table = AB.blur_table({"cifar10": d})
    assert table.shape[0] == 2 and "random 5: accuracy after" in table.columns
    claims = AB.blur_claims({"cifar10": d})
    assert [c["claim"] for c in claims] == ["axai.appE4.ordering.cifar10", "axai.appE4.accuracy_after_top5.cifar10",
                                            "axai.appE4.drop_6to10.cifar10"]
    assert set(claims[0]["estimate"]) == {"top 5 - segments 6-10", "top 5 - random 5"}
    assert claims[1]["estimate"].n == 3 and claims[2]["estimate"].n == 3
    r = d["result"]
    assert claims[2]["estimate"].value == pytest.approx(r["bands"]["6-10"]["drop"])
    assert len(r["correct_before"]) == 3 and len(r["bands"]["1-5"]["control_correct"]) == 3
    with pytest.raises(ValueError, match="dataset"):
        AB.blur_experiment(model, xc, y, "mnist")
