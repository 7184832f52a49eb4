"""AXAI for detectors (axlib.explain.axai_detection) on hand-built differentiable detectors
whose scores depend on known regions only: the explanation must fall there."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib.explain.axai_detection import axai_detection, detect

H = W = 32


class RegionDetector(nn.Module):
    """Fixed boxes; box i's score is sigmoid(10 * (mean of its region's pixels) - 2), so only
    that region's pixels move it (torchvision's output format)."""

    def __init__(self, regions, labels):
        super().__init__()
        self.regions, self.labels = regions, labels

    def forward(self, images):
        out = []
        for image in images:
            scores = torch.stack([torch.sigmoid(10 * image[:, r0:r1, c0:c1].mean() - 2)
                                  for (r0, r1, c0, c1) in self.regions])
            boxes = torch.tensor([[c0, r0, c1, r1] for (r0, r1, c0, c1) in self.regions], dtype=torch.float32)
            out.append({"boxes": boxes, "scores": scores, "labels": torch.tensor(self.labels)})
        return out


def _grid_segments(cell=4):
    rows = torch.arange(H)[:, None] // cell
    cols = torch.arange(W)[None, :] // cell
    return rows * (W // cell) + cols          # 8 x 8 grid of 4 x 4 segments


def _image():
    return torch.rand(3, H, W, generator=torch.Generator().manual_seed(0)) * 0.5 + 0.4


def test_each_detection_is_explained_by_its_own_region():
    regions = [(4, 12, 4, 16), (20, 28, 16, 28)]
    detector = RegionDetector(regions, [1, 2])
    explained = axai_detection(detector, _image(), _grid_segments(), k=4)
    assert [e.index for e in explained] == [0, 1] and [e.label for e in explained] == [1, 2]
    for e, (r0, r1, c0, c1) in zip(explained, regions):
        inside = torch.zeros(H, W, dtype=torch.bool)
        inside[r0:r1, c0:c1] = True
        assert e.mask.any() and not (e.mask & ~inside).any()          # the top-4 segments lie in the region
        assert (e.delta[:, ~inside] == 0).all()                       # the attack never touched the rest
        assert e.score_after < e.score


def test_one_detection_by_index_and_determinism():
    detector = RegionDetector([(4, 12, 4, 16), (20, 28, 16, 28)], [1, 2])
    a = axai_detection(detector, _image(), _grid_segments(), indices=[1], k=3)
    b = axai_detection(detector, _image(), _grid_segments(), indices=[1], k=3)
    assert len(a) == 1 and a[0].index == 1 and torch.equal(a[0].mask, b[0].mask) and torch.equal(a[0].delta, b[0].delta)
    assert a[0].top_k.shape == (3,)


def test_bad_inputs_give_clear_errors():
    detector = RegionDetector([(4, 12, 4, 16)], [1])
    with pytest.raises(ValueError, match=r"indices must be an integer in \[0, 0\], got 3"):
        axai_detection(detector, _image(), _grid_segments(), indices=[3])
    empty = RegionDetector([], [])
    empty.forward = lambda images: [{"boxes": torch.zeros(0, 4), "scores": torch.zeros(0),
                                     "labels": torch.zeros(0, dtype=torch.long)} for _ in images]
    with pytest.raises(ValueError, match="the detector found no box in this image"):
        axai_detection(empty, _image(), _grid_segments())

    class Frozen(RegionDetector):
        def forward(self, images):
            with torch.no_grad():
                return super().forward(images)
    with pytest.raises(ValueError, match="scores carry no gradient"):
        axai_detection(Frozen([(4, 12, 4, 16)], [1]), _image(), _grid_segments())
    with pytest.raises(ValueError, match=r"image must be a tensor of shape \(3, H, W\), got \(1, 3, 32, 32\)"):
        axai_detection(detector, _image()[None], _grid_segments())
    with pytest.raises(ValueError, match="detector output lacks"):
        detect(lambda images: [{"boxes": torch.zeros(0, 4)}], _image())
