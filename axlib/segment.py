"""Segmentation: QuickShift superpixels for images, rectangular grids for spectrograms.

One entry point, :func:`segment`, returns integer labels of shape (B, H, W) whatever the method;
an explainer ranks these segments. Labels are relabelled to ``0 .. S-1`` per image.

- :func:`quickshift`: scikit-image's QuickShift on [0, 1] RGB pixels (AXAI appendix A; LIME's
  default segmentation with ``kernel_size=4, max_dist=200, ratio=0.2``).
- :func:`grid`: a ``rows x cols`` grid of rectangular cells (for spectrograms).
- :func:`count_segments`, :func:`boundary_length`, :func:`colour_spread`, :func:`sweep`,
  :func:`match_count`: the measurements of notebook 01.
"""
from __future__ import annotations

import itertools
import numbers
import time
from collections.abc import Sequence

import numpy as np
import torch

from axlib._util.checks import check_int, check_number

METHODS = ("quickshift", "grid")
LIME_DEFAULTS = {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}
"""LIME's QuickShift parameters (``lime.lime_image.LimeImageExplainer.explain_instance``)."""


def segment(images, method: str = "quickshift", **params) -> torch.Tensor:
    """Segment images with ``method``; the one call shape of every segmentation.

    Parameters
    ----------
    images : torch.Tensor, shape (B, 3, H, W) or (3, H, W), floating
        RGB pixels in [0, 1]. For ``"grid"`` any (B, C, H, W) or (C, H, W) tensor: only its
        shape is used.
    method : {"quickshift", "grid"}, default "quickshift"
        The segmentation (:data:`METHODS`).
    **params
        The method's keyword arguments (:func:`quickshift`: kernel_size, max_dist, ratio,
        sigma, seed; :func:`grid`: cells).

    Returns
    -------
    torch.Tensor, shape (B, H, W) or (H, W), int64
        Labels numbered 0 .. S-1 per image; (H, W) for a single image.

    Raises
    ------
    ValueError
        For an unknown method or invalid parameters.
    """
    if method == "quickshift":
        return quickshift(images, **params)
    if method == "grid":
        images = torch.as_tensor(images)
        if images.dim() not in (3, 4):
            raise ValueError(f"images must have shape (B, C, H, W) or (C, H, W), got {tuple(images.shape)}")
        shape = images.shape[-2:] if images.dim() == 3 else (images.shape[0], *images.shape[-2:])
        return grid(tuple(shape), **params)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def quickshift(images, *, kernel_size: float = 4, max_dist: float = 200, ratio: float = 0.2,
               sigma: float = 0, seed: int = 42) -> torch.Tensor:
    """QuickShift superpixels of each image (``skimage.segmentation.quickshift``).

    Parameters
    ----------
    images : torch.Tensor, shape (B, 3, H, W) or (3, H, W), floating
        RGB pixels in [0, 1] (the un-normalised image: models in axlib normalise inside).
    kernel_size : float, default 4
        Width of the Gaussian kernel of the Parzen density estimate, in pixels, >= 1. Larger
        means fewer segments, and a cost that grows about with its square (the window is
        3 x kernel). scikit-image refuses widths below 1 pixel.
    max_dist : float, default 200
        Cut-off on the distance to the parent in the QuickShift tree (the paper's tau), in the
        joint (ratio * Lab colour, x, y) space, > 0. Larger means fewer segments.
    ratio : float, default 0.2
        The paper's lambda, in [0, 1]: weight of colour against position. Larger means colour
        counts more.
    sigma : float, default 0
        Width of a Gaussian pre-smoothing, >= 0; 0 for none.
    seed : int, default 42
        Seed of the random tie-breaking noise; the same seed gives the same labels.

    Returns
    -------
    torch.Tensor, shape (B, H, W) or (H, W), int64
        Labels 0 .. S-1 per image; (H, W) for a single image.

    Raises
    ------
    ValueError
        If kernel_size < 1, max_dist <= 0, ratio outside [0, 1], sigma < 0 (or any of them not
        a finite number), seed not an integer >= 0, or images not of shape (B, 3, H, W) /
        (3, H, W) with finite floating values in [0, 1].

    Notes
    -----
    In scikit-image lambda multiplies the Lab colour coordinates only (the paper writes it on
    all five); positions stay in pixels.

    The public AXAI reference code ran QuickShift on the *normalised* tensor (after subtracting
    the data set's mean and dividing by its std). We segment the [0, 1] pixels instead, as LIME
    does: scikit-image converts its input from RGB to CIE-Lab, which assumes RGB in [0, 1];
    normalised values (about -2 to 2.6) are out of gamut, so colour distances, and with them
    ``max_dist`` and ``ratio``, would lose their meaning and the segments would depend on the
    data set's mean and std. On pixels the parameters mean what LIME's defaults mean.
    """
    kernel_size = check_number("kernel_size", kernel_size, low=1)
    max_dist = check_number("max_dist", max_dist, low=0, low_open=True)
    ratio = check_number("ratio", ratio, 0, 1)
    sigma = check_number("sigma", sigma, low=0)
    seed = check_int("seed", seed, low=0)
    batch, single = _as_rgb_batch(images)

    from skimage.segmentation import quickshift as _skimage_quickshift

    labels = []
    for image in batch:
        hwc = image.permute(1, 2, 0).to(torch.float64).numpy()
        found = _skimage_quickshift(hwc, ratio=float(ratio), kernel_size=float(kernel_size),
                                    max_dist=float(max_dist), sigma=float(sigma), rng=int(seed))
        labels.append(torch.from_numpy(_relabel(found)))
    out = torch.stack(labels) if labels else torch.empty((0, *batch.shape[-2:]), dtype=torch.int64)
    return out[0] if single else out


def grid(shape: Sequence[int], cells) -> torch.Tensor:
    """Rectangular grid segments: ``rows x cols`` cells of (nearly) equal size.

    Cell (r, c) gets label ``r * cols + c``; row r covers the pixel rows i with
    ``floor(i * rows / H) == r`` (likewise for columns).

    Parameters
    ----------
    shape : sequence of int
        (H, W) or (B, H, W), positive sizes in pixels.
    cells : int or (int, int)
        An int n for an n x n grid, or (rows, cols), with 1 <= rows <= H and 1 <= cols <= W.

    Returns
    -------
    torch.Tensor, shape ``shape``, int64
        The labels; with a batch axis every image gets the same grid.

    Raises
    ------
    ValueError
        For a bad shape or a cell count outside those ranges.
    """
    try:
        shape = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (H, W) or (B, H, W) with positive sizes, got {shape!r}") from None
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise ValueError(f"shape must be (H, W) or (B, H, W) with positive sizes, got {shape}")
    height, width = shape[-2:]
    try:
        rows, cols = (cells, cells) if isinstance(cells, numbers.Integral) else tuple(cells)
    except (TypeError, ValueError):
        raise ValueError(f"cells must be an int or a pair (rows, cols) of ints, got {cells!r}") from None
    for what, value, size, letter in (("rows", rows, height, "H"), ("cols", cols, width, "W")):
        if not (isinstance(value, numbers.Integral) and not isinstance(value, bool) and 1 <= value <= size):
            raise ValueError(f"cells: {what} must be an integer in [1, {letter}={size}], got {value!r}")
    rows, cols = int(rows), int(cols)
    row_of = torch.arange(height) * rows // height
    col_of = torch.arange(width) * cols // width
    labels = row_of[:, None] * cols + col_of[None, :]
    if len(shape) == 3:
        labels = labels.expand(shape[0], height, width).clone()
    return labels.to(torch.int64)


def count_segments(labels: torch.Tensor) -> torch.Tensor:
    """Number of distinct labels per image.

    Parameters
    ----------
    labels : torch.Tensor, shape (B, H, W) or (H, W), integer
        Segment labels.

    Returns
    -------
    torch.Tensor, shape (B,) or (), int64
        The count for every image; a scalar tensor for one (H, W) map.

    Raises
    ------
    ValueError
        If labels is neither (B, H, W) nor (H, W).
    """
    labels = torch.as_tensor(labels)
    if labels.dim() == 2:
        return torch.tensor(torch.unique(labels).numel(), dtype=torch.int64)
    if labels.dim() != 3:
        raise ValueError(f"labels must have shape (B, H, W) or (H, W), got {tuple(labels.shape)}")
    return torch.tensor([torch.unique(one).numel() for one in labels], dtype=torch.int64)


def boundary_length(labels: torch.Tensor) -> torch.Tensor:
    """Boundary length in pixel edges: 4-neighbour pixel pairs with different labels.

    Longer means more ragged (or more) segments.

    Parameters
    ----------
    labels : torch.Tensor, shape (B, H, W) or (H, W), integer
        Segment labels.

    Returns
    -------
    torch.Tensor, shape (B,) or (), int64
        Pixel edges on segment boundaries, per image; a scalar tensor for one (H, W) map.

    Raises
    ------
    ValueError
        If labels is neither (B, H, W) nor (H, W).
    """
    labels = torch.as_tensor(labels)
    if labels.dim() not in (2, 3):
        raise ValueError(f"labels must have shape (B, H, W) or (H, W), got {tuple(labels.shape)}")
    vertical = (labels[..., 1:, :] != labels[..., :-1, :]).sum(dim=(-2, -1))
    horizontal = (labels[..., :, 1:] != labels[..., :, :-1]).sum(dim=(-2, -1))
    return (vertical + horizontal).to(torch.int64)


def colour_spread(images, labels) -> torch.Tensor:
    """How far pixels lie from their segment's mean colour: root mean square CIE-Lab distance.

    Lower means more uniform segments in colour.

    Parameters
    ----------
    images : torch.Tensor, shape (B, 3, H, W) or (3, H, W), floating
        RGB pixels in [0, 1].
    labels : torch.Tensor, shape (B, H, W) or (H, W), integer
        Segment labels >= 0.

    Returns
    -------
    torch.Tensor, shape (B,) or (), float64
        The spread in CIE-Lab units, per image; a scalar tensor for a single (3, H, W) image.

    Raises
    ------
    ValueError
        If images are not (B, 3, H, W) / (3, H, W) with finite floating values in [0, 1], or
        labels do not match their batch and size.
    """
    from skimage.color import rgb2lab

    batch, single = _as_rgb_batch(images)
    labels = torch.as_tensor(labels)
    labels = labels.unsqueeze(0) if labels.dim() == 2 else labels
    if labels.shape != (batch.shape[0], *batch.shape[-2:]):
        raise ValueError(f"labels must have shape {(batch.shape[0], *batch.shape[-2:])}, got {tuple(labels.shape)}")
    spreads = []
    for image, label in zip(batch, labels):
        lab = rgb2lab(image.permute(1, 2, 0).to(torch.float64).numpy()).reshape(-1, 3)
        flat = _relabel(label.numpy()).ravel()
        sizes = np.bincount(flat)
        means = np.stack([np.bincount(flat, lab[:, c]) / sizes for c in range(3)], axis=1)
        spreads.append(np.sqrt(((lab - means[flat]) ** 2).sum(axis=1).mean()))
    out = torch.tensor(spreads, dtype=torch.float64)
    return out[0] if single else out


def sweep(images, names: Sequence[str] | None = None, *, repeats: int = 1, **grid_params):
    """Segment counts and wall times of QuickShift over a grid of parameters.

    Every combination of the parameter values is run on every image.

    Parameters
    ----------
    images : torch.Tensor, shape (B, 3, H, W), or sequence of torch.Tensor, shape (3, H, W)
        RGB pixels in [0, 1]; in a sequence the sizes may differ.
    names : sequence of str, optional
        One label per image (default "0", "1", ...).
    repeats : int, default 1
        Runs per setting, >= 1; the fastest is kept (the least disturbed by other load on the
        machine).
    **grid_params
        Each of kernel_size, max_dist, ratio, sigma, seed as a value or a list of values
        (missing ones take :func:`quickshift`'s defaults).

    Returns
    -------
    pandas.DataFrame
        One row per (image, combination), with columns image, height, width (pixels),
        kernel_size, max_dist, ratio, sigma, seed, segments (the segment count) and seconds
        (wall time of the fastest run).

    Raises
    ------
    ValueError
        For repeats not an integer >= 1, a number of names other than the number of images, an unknown
        parameter name, or whatever :func:`quickshift` raises.
    """
    import pandas as pd

    repeats = check_int("repeats", repeats, low=1)
    images = list(images)
    names = [str(i) for i in range(len(images))] if names is None else list(names)
    if len(names) != len(images):
        raise ValueError(f"names: expected {len(images)} names, got {len(names)}")
    keys = ("kernel_size", "max_dist", "ratio", "sigma", "seed")
    unknown = set(grid_params) - set(keys)
    if unknown:
        raise ValueError(f"unknown sweep parameter(s) {sorted(unknown)}; accepted: {list(keys)}")
    defaults = {"kernel_size": 4, "max_dist": 200, "ratio": 0.2, "sigma": 0, "seed": 42}
    values = {k: _as_list(grid_params.get(k, defaults[k])) for k in keys}
    rows = []
    for name, image in zip(names, images):
        for combo in itertools.product(*(values[k] for k in keys)):
            params = dict(zip(keys, combo))
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                labels = quickshift(image, **params)
                best = min(best, time.perf_counter() - start)
            rows.append({"image": name, "height": labels.shape[-2], "width": labels.shape[-1],
                         **params, "segments": int(labels.max()) + 1, "seconds": best})
    return pd.DataFrame(rows)


def match_count(image, target: int, *, ratio: float, kernel_sizes: Sequence[float],
                max_dists: Sequence[float] = (200,), seed: int = 42) -> dict:
    """The (kernel_size, max_dist) of a grid whose QuickShift segment count is closest to target.

    Parameters
    ----------
    image : torch.Tensor, shape (3, H, W), floating
        RGB pixels in [0, 1].
    target : int
        The segment count wanted.
    ratio : float
        QuickShift's ratio, in [0, 1], the same for every grid point.
    kernel_sizes : sequence of float
        Kernel widths to try, in pixels (the outer loop).
    max_dists : sequence of float, default (200,)
        Cut-offs to try (the inner loop).
    seed : int, default 42
        QuickShift's seed.

    Returns
    -------
    dict
        ``kernel_size``, ``max_dist``, ``ratio``, ``segments`` (the count) and ``labels``
        (torch.Tensor (H, W), int64) of the best grid point; ties go to the earlier grid point
        (kernel_sizes outer loop).

    Raises
    ------
    ValueError
        If kernel_sizes or max_dists is empty, or for whatever :func:`quickshift` raises.
    """
    best = None
    for kernel_size, max_dist in itertools.product(kernel_sizes, max_dists):
        labels = quickshift(image, kernel_size=kernel_size, max_dist=max_dist, ratio=ratio, seed=seed)
        count = int(labels.max()) + 1
        if best is None or abs(count - target) < abs(best["segments"] - target):
            best = {"kernel_size": kernel_size, "max_dist": max_dist, "ratio": ratio,
                    "segments": count, "labels": labels}
    if best is None:
        raise ValueError("kernel_sizes and max_dists must not be empty")
    return best


def _as_list(value) -> list:
    if isinstance(value, (list, tuple, np.ndarray, torch.Tensor)):
        return [v.item() if hasattr(v, "item") else v for v in value]
    return [value]


def _as_rgb_batch(images) -> tuple[torch.Tensor, bool]:
    """Validate (B, 3, H, W) / (3, H, W) floats in [0, 1]; return the batch and whether single."""
    images = torch.as_tensor(images)
    single = images.dim() == 3
    batch = images.unsqueeze(0) if single else images
    if batch.dim() != 4 or batch.shape[1] != 3:
        raise ValueError(f"images must have shape (B, 3, H, W) or (3, H, W), got {tuple(images.shape)}")
    if not batch.is_floating_point():
        raise ValueError(f"images must be floats in [0, 1], got dtype {images.dtype}")
    if batch.numel() and not (torch.isfinite(batch).all() and batch.min() >= 0 and batch.max() <= 1):
        raise ValueError("images must hold finite values in [0, 1] (pixels, not normalised tensors), "
                         f"got range [{batch.min().item():.3g}, {batch.max().item():.3g}]")
    return batch.detach().cpu(), single


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Map arbitrary integer labels to 0 .. S-1, keeping their order."""
    _, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(labels.shape).astype(np.int64)
