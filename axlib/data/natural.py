"""High-resolution natural photographs available offline, by name.

The AXAI paper segments ImageNet images; two offline sources stand in for them:

* the photographs scikit-image ships with its wheel: ``chelsea`` (a cat), ``coffee``,
  ``astronaut``, ``rocket`` (any ``skimage.data`` image that needs no download);
* the 250 embedded ImageNet sample images (:mod:`axlib.data.imagenet`), named by their file
  stem, ``"<wnid>_<class>"`` such as ``"n01440764_tench"``, read at their full resolution after
  their sha256 is checked against the manifest.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

DEFAULT_NAMES = ("chelsea", "coffee", "astronaut", "rocket")


def natural_images(names: Sequence[str] = DEFAULT_NAMES, size=None):
    """Load photographs by name (scikit-image's or the embedded ImageNet samples) as (B, 3, H, W)
    float32 tensors in [0, 1].

    names: ``skimage.data`` function names of RGB (or grey, repeated to RGB) images, or file
    stems of the embedded ImageNet sample images (``"n01440764_tench"``).
    size: None keeps the native resolution (all images must then share one shape; load them
    one at a time otherwise); an int ``s`` applies ImageNet's evaluation preprocessing, i.e.
    resize the shorter side to ``round(s * 256 / 224)`` (256 for 224) with antialiasing,
    then centre-crop ``s x s``; a pair ``(h, w)`` resizes to exactly that shape.
    Returns ``(images, names)`` with names a tuple in the order of the batch.
    Raises ValueError for an unknown name, a bad size, or differing native shapes.
    """
    from torchvision.transforms import functional as TF

    if isinstance(names, str):
        names = (names,)
    names = tuple(names)
    if not names:
        raise ValueError("names must name at least one skimage.data image or ImageNet sample")
    images = []
    for name in names:
        pixels = _pixels(name)
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[..., None], 3, axis=-1)
        if pixels.ndim != 3 or pixels.shape[-1] not in (3, 4):
            raise ValueError(f"names: {name!r} is not a colour or grey image (shape {pixels.shape})")
        pixels = pixels[..., :3]
        scale = 255.0 if pixels.dtype == np.uint8 else 1.0
        tensor = torch.from_numpy(np.ascontiguousarray(pixels)).permute(2, 0, 1).float() / scale
        if size is not None:
            tensor = _resize(tensor, size, TF)
        images.append(tensor.clamp(0, 1))
    shapes = {tuple(t.shape) for t in images}
    if len(shapes) > 1:
        raise ValueError(f"images have different shapes {sorted(shapes)}: pass size=224 (or (h, w)) "
                         "or load them one at a time")
    return torch.stack(images), names


def _pixels(name: str) -> np.ndarray:
    """The photograph ``name`` as an array (H, W) or (H, W, C), from scikit-image or the embedded
    ImageNet samples (sha256-checked)."""
    from skimage import data as skdata

    loader = getattr(skdata, name, None)
    if loader is not None and callable(loader):
        return np.asarray(loader())
    from PIL import Image

    from axlib.data.imagenet import sample_paths
    from axlib.data.manifest import verified

    samples = {p.stem: p for p in sample_paths()}
    if name not in samples:
        raise ValueError(f"names: {name!r} is neither a skimage.data image (such as {DEFAULT_NAMES[0]!r}) nor "
                         f"the file stem of an embedded ImageNet sample (such as {next(iter(samples))!r})")
    with Image.open(verified(samples[name])) as image:
        return np.array(image.convert("RGB"))          # a writable copy (torch.from_numpy warns on read-only)


def _resize(tensor: torch.Tensor, size, TF) -> torch.Tensor:
    if isinstance(size, (int, np.integer)):
        if size < 1:
            raise ValueError(f"size must be a positive int or a pair (h, w), got {size}")
        short = round(size * 256 / 224)
        tensor = TF.resize(tensor, short, antialias=True)
        return TF.center_crop(tensor, [size, size])
    try:
        height, width = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be None, a positive int or a pair (h, w), got {size!r}") from None
    if height < 1 or width < 1:
        raise ValueError(f"size must be positive, got {size!r}")
    return TF.resize(tensor, [height, width], antialias=True)
