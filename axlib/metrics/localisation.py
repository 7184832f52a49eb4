"""Localisation and score metrics of attribution maps, batched (Nourelahi et al. 2022, sec. 2.4).

All functions take attribution maps ``maps`` (B, H, W) (any real values, larger = more
important) and, where needed, boxes (B, 4) ``(x0, y0, x1, y1)`` in half-open pixel
coordinates of the same H x W grid (the convention of :mod:`axlib.data.boxes`; a pixel
(row, col) is inside when its centre ``(col + 0.5, row + 0.5)`` is).

- :func:`pointing_game`: a map is a hit when its maximum lies inside the box, up to a
  tolerance. Rule as in TorchRay's ``PointingGame`` (the implementation the paper uses): the
  maximum is the first maximal pixel in row-major order (``argmax``), and it counts when it
  is within ``tolerance`` pixels of the box (TorchRay: 15 pixels at 224 x 224; default here
  the same fraction of the map size, ``15 * max(H, W) / 224``, 4.3 pixels on 64 x 64).
- :func:`wsl` / :func:`wsl_iou`: weakly supervised localisation at one fixed threshold.
  Threshold rule: each map is min-max normalised to [0, 1] (a constant map becomes all
  zeros); the pixels with normalised value ``>= threshold`` are the foreground; the predicted
  box is the tight box of the largest 8-connected foreground component (ties: the component
  met first in row-major order); a map is correct when IoU(predicted box, true box) > 0.5
  (strictly, as the paper says). ``threshold`` defaults to 0.2, CAM's rule (Zhou et al. 2016:
  20% of the maximum). The WSL framework the robust paper cites [11] (Choe et al. 2020) scores
  at the best threshold of a grid with its own box rule: :mod:`axlib.metrics.wsol`.
- :func:`insertion` / :func:`deletion` / :func:`causal_curves`: the causal metrics of
  Petsiuk et al. (RISE). Pixels are ranked as the RISE reference code ranks them, the
  ascending argsort flipped (``np.flip(np.argsort(map))``): descending, ties in *reverse*
  row-major order (the flip of a stable ascending sort; numpy's default argsort leaves the
  order of ties to its implementation, which this fixes deterministically). Segment-constant
  maps (LIME, AXAI) are mostly ties, so this moves their scores;
  deletion starts from the image and replaces the ``step`` top-ranked pixels by the baseline
  at each step until none is left, insertion starts from the baseline and puts them back.
  The curve is the softmax probability of the target class after 0, 1, ..., n steps
  (n = ceil(H * W / step)); the score is its area under the curve over the fraction of
  pixels changed, [0, 1], by the trapezoid rule on the true fractions (the last step may
  be partial). Default step: ``ceil(H * W / 112)``, which is the paper's N = 448 pixels on
  224 x 224 inputs (112 steps) and 37 pixels on 64 x 64. Default baseline: 0.0, a black
  image in [0, 1] pixel space. The RISE code the paper uses works on normalised tensors,
  where 0 is the dataset's mean colour: pass ``baseline`` as a (1, C, 1, 1) mean-colour
  tensor to follow it exactly. Insertion: higher is better; deletion: lower is better.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from axlib._util.checks import (
    check_classes,
    check_images,
    check_int,
    check_labels,
    check_number,
    eval_mode,
    model_device,
)
from axlib._util.layout import compute_layout

__all__ = ["pointing_game", "box_iou", "wsl_boxes", "wsl_iou", "wsl", "localisation_scores",
           "causal_curves", "insertion", "deletion", "default_step"]

PAPER_STEPS = 112  # 448 pixels a step on 224 x 224 inputs (50,176 / 448)


# --------------------------------------------------------------------------- validation
def _check_maps(maps) -> torch.Tensor:
    if not isinstance(maps, torch.Tensor) or maps.dim() != 3 or maps.shape[0] < 1:
        shape = tuple(maps.shape) if isinstance(maps, torch.Tensor) else type(maps).__name__
        raise ValueError(f"maps must be a tensor of shape (B, H, W) with B >= 1, got {shape}")
    if not maps.is_floating_point():
        maps = maps.float()
    if not bool(torch.isfinite(maps).all()):
        raise ValueError("maps must be finite (no NaN/inf)")
    return maps.detach().cpu()


def _check_boxes(boxes, maps: torch.Tensor) -> torch.Tensor:
    from axlib.data.boxes import check_boxes as check

    boxes = check(boxes)
    if boxes.shape[0] != maps.shape[0]:
        raise ValueError(f"boxes must have one row per map ({maps.shape[0]}), got {boxes.shape[0]}")
    return boxes.detach().cpu().double()


def _unit(name: str, value, *, open_low: bool = False) -> float:
    return check_number(name, value, 0, 1, low_open=open_low)


# --------------------------------------------------------------------------- pointing game
def pointing_game(maps: torch.Tensor, boxes: torch.Tensor, *, tolerance: float | None = None) -> torch.Tensor:
    """Pointing game, TorchRay's rule: a hit when some pixel of the box lies strictly within
    ``tolerance`` pixels of the map's maximum.

    The maximum is ``argmax`` of the flattened map (the first maximal pixel in row-major
    order), at integer pixel coordinates (col, row); the box's pixels are the integer
    (col, row) it covers. As ``torchray.benchmark.pointing_game.PointingGame.evaluate``
    (its acceptance disc ``(v - row)^2 + (u - col)^2 < tolerance^2`` intersected with the
    object mask): hit iff the squared distance to the nearest box pixel is < tolerance^2.

    Parameters
    ----------
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps, finite (larger = more important).
    boxes : torch.Tensor, shape (B, 4)
        True boxes ``(x0, y0, x1, y1)`` in half-open pixel coordinates of the H x W grid: the
        box covers the pixels ``ceil(x0) <= col <= ceil(x1) - 1`` (and the same for rows).
    tolerance : float, optional
        In pixels, > 0 (with TorchRay's strict inequality 0 would never hit); None:
        TorchRay's 15 pixels at 224 scaled to the map, ``15 * max(H, W) / 224``.

    Returns
    -------
    torch.Tensor, shape (B,), bool
        True for a hit.

    Raises
    ------
    ValueError
        For bad shapes or a tolerance that is not > 0.
    """
    maps = _check_maps(maps)
    boxes = _check_boxes(boxes, maps)
    b, h, w = maps.shape
    if tolerance is None:
        tolerance = 15.0 * max(h, w) / 224.0
    tolerance = check_number("tolerance", tolerance, low=0, low_open=True)
    flat = maps.reshape(b, -1).argmax(dim=1)
    row, col = (flat // w).double(), (flat % w).double()
    first, last = torch.ceil(boxes), torch.ceil(boxes) - 1            # first and last covered pixel
    dx = torch.clamp(torch.maximum(first[:, 0] - col, col - last[:, 2]), min=0)
    dy = torch.clamp(torch.maximum(first[:, 1] - row, row - last[:, 3]), min=0)
    return dx * dx + dy * dy < float(tolerance) ** 2


# --------------------------------------------------------------------------- WSL
def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of paired boxes a[i], b[i].

    Parameters
    ----------
    a, b : torch.Tensor, shape (B, 4)
        Boxes ``(x0, y0, x1, y1)`` in half-open pixel coordinates.

    Returns
    -------
    torch.Tensor, shape (B,), float64
        The IoU of every pair; two empty boxes give IoU 0.

    Raises
    ------
    ValueError
        For mismatched or malformed boxes.
    """
    from axlib.data.boxes import check_boxes as check

    a, b = check(a).double(), check(b).double()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    iw = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    ih = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    inter = iw * ih
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])  # noqa: E731
    union = area(a) + area(b) - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-300), torch.zeros_like(union))


def _normalise(maps: torch.Tensor) -> torch.Tensor:
    """Per-map min-max to [0, 1] (float64); a constant map becomes all zeros."""
    m = maps.double()
    lo = m.amin(dim=(1, 2), keepdim=True)
    span = m.amax(dim=(1, 2), keepdim=True) - lo
    return torch.where(span > 0, (m - lo) / span.clamp(min=1e-300), torch.zeros_like(m))


def _largest_component_box(fg: np.ndarray) -> tuple[int, int, int, int]:
    """Tight half-open box of the largest 8-connected True component of fg (H, W)."""
    from scipy import ndimage

    labels, count = ndimage.label(fg, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return 0, 0, 0, 0
    sizes = np.bincount(labels.ravel())[1:]
    biggest = int(np.argmax(sizes)) + 1  # labels are numbered in row-major order of first pixel
    rows, cols = np.nonzero(labels == biggest)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def wsl_boxes(maps: torch.Tensor, threshold: float = 0.2) -> torch.Tensor:
    """Predicted boxes of weakly supervised localisation, one per map.

    The tight box of the largest 8-connected component of the pixels whose
    min-max-normalised value is >= threshold (see the module docstring). Threshold 0 keeps
    every pixel (the whole image). A constant map normalises to zeros: threshold 0 gives the
    whole image, any threshold > 0 an empty box (IoU 0).

    Parameters
    ----------
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps, finite (larger = more important).
    threshold : float, default 0.2
        On the min-max-normalised map, in [0, 1].

    Returns
    -------
    torch.Tensor, shape (B, 4), float32
        ``(x0, y0, x1, y1)`` in half-open pixel coordinates; ``(0, 0, 0, 0)`` (empty) when no
        pixel reaches the threshold.

    Raises
    ------
    ValueError
        For a bad threshold or maps not (B, H, W).
    """
    maps = _check_maps(maps)
    threshold = _unit("threshold", threshold)
    fg = (_normalise(maps) >= threshold).numpy()
    return torch.tensor([_largest_component_box(f) for f in fg], dtype=torch.float32)


def wsl_iou(maps: torch.Tensor, boxes: torch.Tensor, *, threshold: float = 0.2) -> torch.Tensor:
    """IoU between :func:`wsl_boxes` (maps, threshold) and the true boxes.

    Parameters
    ----------
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps, finite (larger = more important).
    boxes : torch.Tensor, shape (B, 4)
        True boxes ``(x0, y0, x1, y1)`` in half-open pixel coordinates of the H x W grid.
    threshold : float, default 0.2
        As in :func:`wsl_boxes`, in [0, 1].

    Returns
    -------
    torch.Tensor, shape (B,), float64
        The IoU of every map's predicted box with its true box.

    Raises
    ------
    ValueError
        For maps not (B, H, W), boxes not one per map, or a threshold outside [0, 1].
    """
    maps = _check_maps(maps)
    boxes = _check_boxes(boxes, maps)
    return box_iou(wsl_boxes(maps, threshold).double(), boxes)


def wsl(maps: torch.Tensor, boxes: torch.Tensor, *, threshold: float = 0.2,
        iou_threshold: float = 0.5) -> torch.Tensor:
    """Whether each map localises the object: IoU(predicted box, box) > iou_threshold.

    See :func:`wsl_boxes` for the threshold rule.

    Parameters
    ----------
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps, finite (larger = more important).
    boxes : torch.Tensor, shape (B, 4)
        True boxes ``(x0, y0, x1, y1)`` in half-open pixel coordinates of the H x W grid.
    threshold : float, default 0.2
        As in :func:`wsl_boxes`, in [0, 1].
    iou_threshold : float, default 0.5
        A map is correct when its IoU is strictly above it, in [0, 1].

    Returns
    -------
    torch.Tensor, shape (B,), bool
        True where the map localises the object.

    Raises
    ------
    ValueError
        For thresholds outside [0, 1] (or bad maps / boxes).
    """
    iou_threshold = _unit("iou_threshold", iou_threshold)
    return wsl_iou(maps, boxes, threshold=threshold) > iou_threshold


# --------------------------------------------------------------------------- insertion / deletion
def default_step(height: int, width: int) -> int:
    """Pixels changed per insertion / deletion step: ``ceil(H * W / 112)``.

    The paper's 448 on 224 x 224 (112 steps); 37 on 64 x 64.

    Parameters
    ----------
    height, width : int
        Size of the map, in pixels.

    Returns
    -------
    int
        Pixels per step, at least 1.
    """
    return max(1, math.ceil(height * width / PAPER_STEPS))


@torch.no_grad()
def causal_curves(model, x: torch.Tensor, maps: torch.Tensor, target, *, mode: str = "deletion",
                  step: int | None = None, baseline: float | torch.Tensor = 0.0,
                  batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Insertion or deletion curves of a batch (see the module docstring for the rule).

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from [0, 1] pixels; run in eval mode without gradients
        (its previous mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps ranking the pixels (descending; ties in reverse row-major order, as
        the RISE code's flipped argsort), finite.
    target : int or torch.Tensor, shape (B,), integer
        Labels whose softmax probability is tracked.
    mode : {"deletion", "insertion"}, default "deletion"
        Deletion starts from the image and replaces the top-ranked pixels by the baseline;
        insertion starts from the baseline and puts them back.
    step : int, optional
        Pixels changed per step, >= 1 (None: :func:`default_step`).
    baseline : float or torch.Tensor, default 0.0
        What a removed pixel becomes: a number (0.0: a black image in [0, 1] pixel space) or a
        tensor of shape (1|B, C, 1|H, 1|W), e.g. (1, C, 1, 1) for one colour.
    batch_size : int, default 256
        Images per forward pass, >= 1 (the steps of all B images are evaluated together, in
        chunks).

    Returns
    -------
    curves : torch.Tensor, shape (B, n + 1), float64
        The target's softmax probability after 0, 1, ..., n steps, n = ceil(H * W / step).
    fractions : torch.Tensor, shape (n + 1,), float64
        The fraction of pixels changed after each step, 0 ... 1.

    Raises
    ------
    ValueError
        For an unknown mode, step < 1, batch_size < 1, mismatched shapes, x not in [0, 1], a
        bad target, or a baseline that is neither a number nor a tensor of those shapes.
    """

    if mode not in ("deletion", "insertion"):
        raise ValueError(f"mode must be 'deletion' or 'insertion', got {mode!r}")
    x = check_images(x)
    maps = _check_maps(maps)
    b, c, h, w = x.shape
    if maps.shape != (b, h, w):
        raise ValueError(f"maps must have shape (B, H, W) = {(b, h, w)}, got {tuple(maps.shape)}")
    y = check_classes(model, x, check_labels(target, x, name="target"), name="target").cpu()
    if step is None:
        step = default_step(h, w)
    step = check_int("step", step, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    if isinstance(baseline, torch.Tensor):
        ok = baseline.dim() == 4 and baseline.shape[0] in (1, b) and baseline.shape[1] == c \
            and baseline.shape[2] in (1, h) and baseline.shape[3] in (1, w)
        if not ok:
            raise ValueError(f"baseline tensor must have shape (1|B, C, 1|H, 1|W), got {tuple(baseline.shape)}")
        base = baseline.detach().float().cpu().expand(b, c, h, w)
    elif isinstance(baseline, (int, float)) and not isinstance(baseline, bool):
        base = torch.full((b, c, h, w), float(baseline))
    else:
        raise ValueError(f"baseline must be a number or a tensor, got {baseline!r}")

    hw = h * w
    n = math.ceil(hw / step)
    counts = torch.clamp(torch.arange(n + 1) * step, max=hw)  # pixels changed after k steps
    order = torch.sort(maps.reshape(b, hw), dim=1, stable=True).indices.flip(1)   # RISE: np.flip(np.argsort)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(hw).expand(b, hw).contiguous())  # rank of each pixel
    xc = x.detach().float().cpu()
    device = model_device(model, x.device)
    per_chunk = max(1, batch_size // b)
    curves = torch.empty(b, n + 1, dtype=torch.float64)
    with eval_mode(model):
        for start in range(0, n + 1, per_chunk):
            ks = counts[start:start + per_chunk]  # (K,)
            changed = (rank[None, :, :] < ks[:, None, None]).reshape(len(ks), b, 1, h, w)
            if mode == "deletion":
                imgs = torch.where(changed, base[None], xc[None])
            else:
                imgs = torch.where(changed, xc[None], base[None])
            logits = model(compute_layout(imgs.reshape(-1, c, h, w).to(device))).float().cpu()
            probs = torch.softmax(logits, dim=1).reshape(len(ks), b, -1)
            curves[:, start:start + len(ks)] = probs.gather(
                2, y.view(1, b, 1).expand(len(ks), b, 1))[..., 0].T.double()
    return curves, counts.double() / hw


def _auc(curves: torch.Tensor, fractions: torch.Tensor) -> torch.Tensor:
    return torch.trapezoid(curves, fractions, dim=1)


def insertion(model, x: torch.Tensor, maps: torch.Tensor, target, *, step: int | None = None,
              baseline: float | torch.Tensor = 0.0, batch_size: int = 256) -> torch.Tensor:
    """Insertion AUC per image (higher is better); see :func:`causal_curves`.

    The area under the insertion curve over the fraction of pixels changed, [0, 1], by the
    trapezoid rule.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from [0, 1] pixels; run in eval mode without gradients
        (its previous mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps ranking the pixels, finite.
    target : int or torch.Tensor, shape (B,), integer
        Labels whose softmax probability is tracked.
    step : int, optional
        Pixels changed per step, >= 1 (None: :func:`default_step`).
    baseline : float or torch.Tensor, default 0.0
        What a removed pixel becomes: a number (0.0: a black image in [0, 1] pixel space) or a
        tensor of shape (1|B, C, 1|H, 1|W), e.g. (1, C, 1, 1) for one colour.
    batch_size : int, default 256
        Images per forward pass, >= 1 (the steps of all B images are evaluated together, in
        chunks).

    Returns
    -------
    torch.Tensor, shape (B,), float64
        The AUC of every image, in [0, 1].

    Raises
    ------
    ValueError
        As :func:`causal_curves` does.
    """
    curves, fr = causal_curves(model, x, maps, target, mode="insertion", step=step,
                               baseline=baseline, batch_size=batch_size)
    return _auc(curves, fr)


def deletion(model, x: torch.Tensor, maps: torch.Tensor, target, *, step: int | None = None,
             baseline: float | torch.Tensor = 0.0, batch_size: int = 256) -> torch.Tensor:
    """Deletion AUC per image (lower is better); see :func:`causal_curves`.

    The area under the deletion curve over the fraction of pixels changed, [0, 1], by the
    trapezoid rule.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from [0, 1] pixels; run in eval mode without gradients
        (its previous mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps ranking the pixels, finite.
    target : int or torch.Tensor, shape (B,), integer
        Labels whose softmax probability is tracked.
    step : int, optional
        Pixels changed per step, >= 1 (None: :func:`default_step`).
    baseline : float or torch.Tensor, default 0.0
        What a removed pixel becomes: a number (0.0: a black image in [0, 1] pixel space) or a
        tensor of shape (1|B, C, 1|H, 1|W), e.g. (1, C, 1, 1) for one colour.
    batch_size : int, default 256
        Images per forward pass, >= 1 (the steps of all B images are evaluated together, in
        chunks).

    Returns
    -------
    torch.Tensor, shape (B,), float64
        The AUC of every image, in [0, 1].

    Raises
    ------
    ValueError
        As :func:`causal_curves` does.
    """
    curves, fr = causal_curves(model, x, maps, target, mode="deletion", step=step,
                               baseline=baseline, batch_size=batch_size)
    return _auc(curves, fr)


# --------------------------------------------------------------------------- all four at once
def localisation_scores(model, x: torch.Tensor, maps: torch.Tensor, target, boxes: torch.Tensor, *,
                        tolerance: float | None = None, threshold: float = 0.2,
                        step: int | None = None, baseline: float | torch.Tensor = 0.0,
                        batch_size: int = 256) -> dict[str, torch.Tensor]:
    """The paper's four metrics for one batch of maps, per image.

    Parameters
    ----------
    model : callable
        As in :func:`causal_curves`.
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps, finite (larger = more important).
    target : int or torch.Tensor, shape (B,), integer
        The class the maps explain.
    boxes : torch.Tensor, shape (B, 4)
        True boxes ``(x0, y0, x1, y1)`` in half-open pixel coordinates of the H x W grid.
    tolerance : float, optional
        As in :func:`pointing_game` (pixels).
    threshold : float, default 0.2
        As in :func:`wsl_iou`.
    step, baseline, batch_size
        As in :func:`causal_curves`.

    Returns
    -------
    dict of str to torch.Tensor
        ``"pointing_game"``: (B,) bool; ``"wsl_iou"``: (B,) float64; ``"wsl"``: (B,) bool
        (IoU > 0.5); ``"insertion"``: (B,) float64; ``"deletion"``: (B,) float64.

    Raises
    ------
    ValueError
        For whatever the four metrics reject.
    """
    iou = wsl_iou(maps, boxes, threshold=threshold)
    return {
        "pointing_game": pointing_game(maps, boxes, tolerance=tolerance),
        "wsl_iou": iou,
        "wsl": iou > 0.5,
        "insertion": insertion(model, x, maps, target, step=step, baseline=baseline, batch_size=batch_size),
        "deletion": deletion(model, x, maps, target, step=step, baseline=baseline, batch_size=batch_size),
    }
