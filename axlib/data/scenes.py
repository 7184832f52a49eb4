"""Multi-object detection scenes built offline from the embedded data (AXAI appendix E.2's setting).

Each scene is a square canvas (default 128 x 128) cut from a photograph of
:func:`axlib.data.clutter.texture_backgrounds` (the robust study's cluttered benchmark uses the
same bank: coffee, a rocket launch, stained tissue, brick, grass, gravel ...), with 1 to
``max_objects`` CIFAR-10 objects pasted at random non-overlapping places, each rescaled to a
side drawn uniformly from ``sizes``. The rest of the canvas is "empty space": background with
no box, the part of the scene AXAI's Fig. 19 says the explanations ignore. Every object's box
(half-open pixel coordinates) and label is recorded.

:func:`make_scenes` draws scenes from a pool of objects with one seeded generator: the same
seed gives the same scenes, bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from axlib._util.checks import check_images, check_int, check_labels
from axlib.data.clutter import TEXTURE_SIDE, texture_backgrounds

__all__ = ["Scenes", "make_scenes"]


@dataclass(frozen=True)
class Scenes:
    """x: (N, 3, S, S) float32 in [0, 1]; boxes: N tensors (M_i, 4) float32 half-open
    ``(x0, y0, x1, y1)``; labels: N tensors (M_i,) int64; sources: N tensors (M_i,) int64,
    the pool index of each object."""

    x: torch.Tensor
    boxes: tuple[torch.Tensor, ...]
    labels: tuple[torch.Tensor, ...]
    sources: tuple[torch.Tensor, ...]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def targets(self) -> list[dict[str, torch.Tensor]]:
        """torchvision's target format: one {"boxes", "labels"} dict per scene."""
        return [{"boxes": b, "labels": lab} for b, lab in zip(self.boxes, self.labels)]


def _overlaps(box: list[int], placed: list[list[int]], gap: int) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] + gap and b[0] < x1 + gap and y0 < b[3] + gap and b[1] < y1 + gap for b in placed)


def make_scenes(pool_x: torch.Tensor, pool_y: torch.Tensor, n: int, *, canvas: int = 128, max_objects: int = 3,
                sizes: tuple[int, int] = (24, 40), gap: int = 2, seed: int = 0) -> Scenes:
    """n scenes of 1..max_objects pool objects on photograph crops.

    Parameters
    ----------
    pool_x : torch.Tensor, shape (P, 3, s, s)
        The objects, pixels in [0, 1] (CIFAR-10: s = 32).
    pool_y : torch.Tensor, shape (P,), int64
        Their labels.
    n : int
        Scenes, >= 1.
    canvas : int, default 128
        Scene side in pixels, in [sizes[1] + 1, TEXTURE_SIDE].
    max_objects : int, default 3
        Objects per scene, drawn uniformly from 1..max_objects, >= 1.
    sizes : (int, int), default (24, 40)
        Range (inclusive) of an object's side after rescaling (antialiased bilinear), >= 8.
    gap : int, default 2
        Pixels kept free between two objects, >= 0.
    seed : int, default 0
        Seeds every draw (objects, counts, sizes, places, backgrounds).

    Returns
    -------
    Scenes

    Raises
    ------
    ValueError
        For bad sizes or counts (naming the parameter), or when objects cannot be placed
        without overlap after many tries (canvas too small for max_objects at these sizes).
    """
    pool_x = check_images(pool_x, name="pool_x")
    pool_y = check_labels(pool_y, pool_x, "pool_y").cpu()
    n = check_int("n", n, low=1)
    max_objects = check_int("max_objects", max_objects, low=1)
    low, high = (check_int("sizes", s, low=8) for s in sizes)
    if low > high:
        raise ValueError(f"sizes must be (low, high) with low <= high, got {tuple(sizes)}")
    canvas = check_int("canvas", canvas, low=high + 1, high=TEXTURE_SIDE)
    gap = check_int("gap", gap, low=0)
    g = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    x = texture_backgrounds(n, canvas, generator=g)
    boxes, labels, sources = [], [], []
    for i in range(n):
        count = int(torch.randint(1, max_objects + 1, (1,), generator=g))
        placed, picked = [], []
        for _ in range(count):
            side = int(torch.randint(low, high + 1, (1,), generator=g))
            for _try in range(200):
                col, row = (int(v) for v in torch.randint(0, canvas - side + 1, (2,), generator=g))
                box = [col, row, col + side, row + side]
                if not _overlaps(box, placed, gap):
                    break
            else:
                raise ValueError(f"could not place {count} objects of side up to {high} on a {canvas} x {canvas} "
                                 "canvas without overlap: use a larger canvas or fewer objects")
            j = int(torch.randint(0, len(pool_y), (1,), generator=g))
            obj = F.interpolate(pool_x[j:j + 1], size=(side, side), mode="bilinear", antialias=True,
                                align_corners=False)[0].clamp(0.0, 1.0)
            x[i, :, row:row + side, col:col + side] = obj
            placed.append(box)
            picked.append(j)
        boxes.append(torch.tensor(placed, dtype=torch.float32))
        labels.append(pool_y[picked].clone())
        sources.append(torch.tensor(picked, dtype=torch.int64))
    return Scenes(x, tuple(boxes), tuple(labels), tuple(sources))
